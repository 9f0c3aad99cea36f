//! The cache in front of temporary credentials: fetched on first need, reused until shortly
//! before they expire, refreshed by one task at a time.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use time::OffsetDateTime;
use tokio::sync::Mutex;
use tracing::{debug, warn};

use super::{CredentialProvider, Credentials};
use crate::alicloud::error::Error;

/// Refresh at most this long before expiry (less for credentials that live shorter).
pub const REFRESH_MARGIN: Duration = Duration::from_secs(300);

/// A source of fresh temporary credentials (STS, ECS metadata).
#[async_trait]
pub trait Fetch: Send + Sync + fmt::Debug {
    /// Fetches new credentials.
    async fn fetch(&self) -> Result<Credentials, Error>;

    /// Where they come from (never secret).
    fn describe(&self) -> String;
}

type Clock = Arc<dyn Fn() -> OffsetDateTime + Send + Sync>;

struct Cached {
    credentials: Credentials,
    fetched_at: OffsetDateTime,
}

/// Caches what a [`Fetch`] returns and refreshes it before it expires.
pub(crate) struct CachingProvider<F> {
    fetcher: F,
    state: Mutex<Option<Cached>>,
    clock: Clock,
}

impl<F: Fetch> fmt::Debug for CachingProvider<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CachingProvider")
            .field("fetcher", &self.fetcher)
            .finish_non_exhaustive()
    }
}

impl<F: Fetch> CachingProvider<F> {
    /// Wraps a fetcher; nothing is fetched until the first request.
    pub(crate) fn new(fetcher: F) -> Self {
        CachingProvider {
            fetcher,
            state: Mutex::new(None),
            clock: Arc::new(OffsetDateTime::now_utc),
        }
    }

    /// Uses another clock (for tests).
    #[cfg(test)]
    pub(crate) fn with_clock(
        mut self,
        clock: impl Fn() -> OffsetDateTime + Send + Sync + 'static,
    ) -> Self {
        self.clock = Arc::new(clock);
        self
    }
}

/// When credentials fetched at `fetched_at` should be replaced: `min(5 min, half their
/// lifetime)` before they expire. Credentials without an expiry never need refreshing.
pub(crate) fn refresh_at(
    credentials: &Credentials,
    fetched_at: OffsetDateTime,
) -> Option<OffsetDateTime> {
    let expiration = credentials.expiration?;
    let lifetime = (expiration - fetched_at).max(time::Duration::ZERO);
    let cap = time::Duration::seconds(REFRESH_MARGIN.as_secs() as i64);
    let half: time::Duration = lifetime / 2;
    let margin = half.min(cap);
    Some(expiration - margin)
}

fn is_fresh(cached: &Cached, now: OffsetDateTime) -> bool {
    refresh_at(&cached.credentials, cached.fetched_at).is_none_or(|at| now < at)
}

fn is_unexpired(cached: &Cached, now: OffsetDateTime) -> bool {
    cached.credentials.expiration.is_none_or(|exp| now < exp)
}

#[async_trait]
impl<F: Fetch> CredentialProvider for CachingProvider<F> {
    async fn credentials(&self) -> Result<Credentials, Error> {
        // Holding the lock across the fetch makes concurrent callers wait for one fetch.
        let mut state = self.state.lock().await;
        let now = (self.clock)();
        if let Some(cached) = state.as_ref().filter(|c| is_fresh(c, now)) {
            return Ok(cached.credentials.clone());
        }
        match self.fetcher.fetch().await {
            Ok(fresh) => {
                debug!(source = %self.fetcher.describe(), access_key_id = %fresh.access_key_id, "fetched temporary credentials");
                *state = Some(Cached {
                    credentials: fresh.clone(),
                    fetched_at: now,
                });
                Ok(fresh)
            }
            Err(err) => match state.as_ref().filter(|c| is_unexpired(c, now)) {
                Some(cached) => {
                    warn!(source = %self.fetcher.describe(), error = %err, "refreshing credentials failed; using the cached ones until they expire");
                    Ok(cached.credentials.clone())
                }
                None => Err(err),
            },
        }
    }

    fn describe(&self) -> String {
        self.fetcher.describe()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicI64, AtomicU32, Ordering};

    #[derive(Debug)]
    struct Counting {
        calls: Arc<AtomicU32>,
        fail_after: u32,
        base: OffsetDateTime,
        lifetime: time::Duration,
    }

    #[async_trait]
    impl Fetch for Counting {
        async fn fetch(&self) -> Result<Credentials, Error> {
            let n = self.calls.fetch_add(1, Ordering::SeqCst) + 1;
            tokio::time::sleep(Duration::from_millis(20)).await;
            if n > self.fail_after {
                return Err(Error::Credentials("metadata service down".into()));
            }
            Ok(Credentials::new(format!("STS.{n}"), "s")
                .with_security_token(Some("t".into()))
                .with_expiration(Some(self.base + self.lifetime)))
        }

        fn describe(&self) -> String {
            "counting".into()
        }
    }

    fn base() -> OffsetDateTime {
        time::macros::datetime!(2030-01-01 00:00:00 UTC)
    }

    fn provider(
        fail_after: u32,
        lifetime_min: i64,
        now: Arc<AtomicI64>,
    ) -> (CachingProvider<Counting>, Arc<AtomicU32>) {
        let calls = Arc::new(AtomicU32::new(0));
        let p = CachingProvider::new(Counting {
            calls: Arc::clone(&calls),
            fail_after,
            base: base(),
            lifetime: time::Duration::minutes(lifetime_min),
        })
        .with_clock(move || base() + time::Duration::seconds(now.load(Ordering::SeqCst)));
        (p, calls)
    }

    #[tokio::test]
    async fn fetches_lazily_once_and_reuses() {
        let now = Arc::new(AtomicI64::new(0));
        let (p, calls) = provider(10, 60, Arc::clone(&now));
        assert_eq!(calls.load(Ordering::SeqCst), 0);
        let a = p.credentials().await.expect("first");
        let b = p.credentials().await.expect("second");
        assert_eq!(a.access_key_id, b.access_key_id);
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn concurrent_callers_share_one_fetch() {
        let now = Arc::new(AtomicI64::new(0));
        let (p, calls) = provider(10, 60, now);
        let p = Arc::new(p);
        let tasks: Vec<_> = (0..8)
            .map(|_| {
                let p = Arc::clone(&p);
                tokio::spawn(async move { p.credentials().await.map(|c| c.access_key_id) })
            })
            .collect();
        for t in tasks {
            assert_eq!(t.await.ok().and_then(Result::ok).as_deref(), Some("STS.1"));
        }
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn refreshes_five_minutes_before_expiry() {
        let now = Arc::new(AtomicI64::new(0));
        let (p, calls) = provider(10, 60, Arc::clone(&now));
        p.credentials().await.expect("first");
        now.store(54 * 60, Ordering::SeqCst);
        p.credentials().await.expect("still fresh");
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        now.store(55 * 60, Ordering::SeqCst);
        let c = p.credentials().await.expect("refreshed");
        assert_eq!(c.access_key_id, "STS.2");
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn short_lived_credentials_refresh_at_half_life() {
        let now = Arc::new(AtomicI64::new(0));
        let (p, calls) = provider(10, 4, Arc::clone(&now));
        p.credentials().await.expect("first");
        now.store(119, Ordering::SeqCst);
        p.credentials().await.expect("fresh");
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        now.store(120, Ordering::SeqCst);
        p.credentials().await.expect("refresh");
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn failed_refresh_falls_back_to_unexpired_credentials() {
        let now = Arc::new(AtomicI64::new(0));
        let (p, _) = provider(1, 60, Arc::clone(&now));
        p.credentials().await.expect("first");
        now.store(56 * 60, Ordering::SeqCst);
        assert_eq!(
            p.credentials()
                .await
                .map(|c| c.access_key_id)
                .ok()
                .as_deref(),
            Some("STS.1")
        );
        now.store(61 * 60, Ordering::SeqCst);
        assert!(p.credentials().await.is_err());
    }

    #[test]
    fn static_credentials_never_refresh() {
        assert_eq!(refresh_at(&Credentials::new("a", "b"), base()), None);
    }
}
