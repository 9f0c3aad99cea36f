//! The shared emulator state: a cheap `Clone` handle over `Arc<Mutex<State>>` holding the
//! account, the fault configuration, call counters, remembered nonces and metadata tokens, with
//! write-through persistence to the state file.

use std::collections::{HashMap, HashSet, VecDeque};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};

use crate::config::{Config, Credential};
use crate::error::ApiError;
use crate::faults::{Calls, Decision, Faults};
use crate::model::{Account, Session};
use crate::persist::{self, PersistError};

/// How long a nonce is remembered; timestamps older than the allowed skew are refused anyway.
const NONCE_TTL_SECS: i64 = 30 * 60;
/// Most nonces remembered at once (oldest are forgotten first).
const NONCE_CAPACITY: usize = 200_000;

/// Settings fixed at start.
#[derive(Debug, Clone)]
pub struct Settings {
    pub credentials: Vec<Credential>,
    pub account_id: String,
    pub ecs_role_name: String,
    pub state_file: Option<PathBuf>,
}

impl Settings {
    /// The secret of a long-lived access key.
    pub fn secret_of(&self, access_key_id: &str) -> Option<&str> {
        self.credentials
            .iter()
            .find(|c| c.access_key_id == access_key_id)
            .map(|c| c.access_key_secret.as_str())
    }
}

/// Handle to the shared state; clones share everything.
#[derive(Clone)]
pub struct Store {
    shared: Arc<Shared>,
}

struct Shared {
    settings: Settings,
    state: Mutex<State>,
    /// Serialises state-file writes; holds the generation last written.
    written: tokio::sync::Mutex<u64>,
}

#[derive(Default)]
struct State {
    account: Account,
    generation: u64,
    faults: Faults,
    calls: Calls,
    nonces: NonceCache,
    metadata_tokens: HashMap<String, i64>,
}

impl Store {
    /// Builds the store from `config`, loading the state file when one exists.
    pub fn open(config: &Config) -> Result<Self, PersistError> {
        let account = match &config.state_file {
            Some(path) => persist::load(path)?.unwrap_or_default(),
            None => Account::default(),
        };
        let faults = Faults {
            latency_ms: config.latency_ms,
            throttle_rate: config.throttle_rate,
            fail: config.fail.clone(),
        }
        .sanitized();
        let state = State {
            account,
            faults,
            ..State::default()
        };
        Ok(Store {
            shared: Arc::new(Shared {
                settings: Settings {
                    credentials: config.credentials.clone(),
                    account_id: config.account_id.clone(),
                    ecs_role_name: config.ecs_role_name.clone(),
                    state_file: config.state_file.clone(),
                },
                state: Mutex::new(state),
                written: tokio::sync::Mutex::new(0),
            }),
        })
    }

    /// The fixed settings.
    pub fn settings(&self) -> &Settings {
        &self.shared.settings
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock cannot leave the plain-data state half-updated in a way
        // later requests could not cope with, so keep serving.
        self.shared
            .state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Runs a read-only query against the account.
    pub fn read<T>(&self, f: impl FnOnce(&Account) -> T) -> T {
        f(&self.lock().account)
    }

    /// Runs a change against the account. On success the change is written to the state file
    /// (when configured) before this returns. `f` must leave the account untouched when it fails.
    pub async fn write<T>(
        &self,
        f: impl FnOnce(&mut Account) -> Result<T, ApiError>,
    ) -> Result<T, ApiError> {
        let (value, snapshot) = {
            let mut state = self.lock();
            let value = f(&mut state.account)?;
            state.generation += 1;
            (value, self.snapshot(&state)?)
        };
        self.persist(snapshot).await?;
        Ok(value)
    }

    fn snapshot(&self, state: &State) -> Result<Option<(u64, Vec<u8>)>, ApiError> {
        if self.shared.settings.state_file.is_none() {
            return Ok(None);
        }
        persist::encode(&state.account)
            .map(|bytes| Some((state.generation, bytes)))
            .map_err(|e| persist_failure(&e))
    }

    async fn persist(&self, snapshot: Option<(u64, Vec<u8>)>) -> Result<(), ApiError> {
        let (Some((generation, bytes)), Some(path)) =
            (snapshot, self.shared.settings.state_file.clone())
        else {
            return Ok(());
        };
        let mut written = self.shared.written.lock().await;
        if *written >= generation {
            return Ok(()); // a newer snapshot, which includes this change, is already on disk
        }
        let result = tokio::task::spawn_blocking(move || persist::write_atomic(&path, &bytes))
            .await
            .map_err(|e| ApiError::new("InternalError", format!("state writer failed: {e}")))?;
        result.map_err(|e| persist_failure(&e))?;
        *written = generation;
        Ok(())
    }

    /// Decides the fate of one RAM/STS call and counts it.
    pub fn decide(&self, action: &str) -> Decision {
        let roll: f64 = rand::random();
        let mut state = self.lock();
        state.calls.record_call(action);
        state.faults.decide(action, roll)
    }

    /// Counts an error answer.
    pub fn record_error(&self, code: &str) {
        self.lock().calls.record_error(code);
    }

    /// Counts an authenticated call by signature scheme.
    pub fn record_signature(&self, scheme: &str) {
        self.lock().calls.record_signature(scheme);
    }

    /// Counts an ECS metadata request.
    pub fn record_metadata_request(&self) {
        self.lock().calls.metadata_requests += 1;
    }

    /// A copy of the counters.
    pub fn calls(&self) -> Calls {
        self.lock().calls.clone()
    }

    /// Replaces the fault configuration.
    pub fn set_faults(&self, faults: Faults) {
        self.lock().faults = faults.sanitized();
    }

    /// The current fault configuration.
    pub fn faults(&self) -> Faults {
        self.lock().faults.clone()
    }

    /// Clears the account, counters, faults, nonces and metadata tokens (and the state file).
    pub async fn reset(&self) -> Result<(), ApiError> {
        let snapshot = {
            let mut state = self.lock();
            let generation = state.generation + 1;
            *state = State {
                generation,
                ..State::default()
            };
            self.snapshot(&state)?
        };
        self.persist(snapshot).await
    }

    /// Remembers a nonce; `false` when it was already used.
    pub fn remember_nonce(&self, access_key_id: &str, nonce: &str, now: i64) -> bool {
        self.lock()
            .nonces
            .insert(format!("{access_key_id}\n{nonce}"), now)
    }

    /// The STS session of a temporary access key.
    pub fn session(&self, access_key_id: &str) -> Option<Session> {
        self.lock().account.sessions.get(access_key_id).cloned()
    }

    /// Issues an ECS metadata token valid until `expires_at`.
    pub fn issue_metadata_token(&self, token: String, expires_at: i64) {
        let mut state = self.lock();
        state.metadata_tokens.insert(token, expires_at);
    }

    /// Whether a metadata token is known and unexpired (expired ones are forgotten).
    pub fn check_metadata_token(&self, token: &str, now: i64) -> bool {
        let mut state = self.lock();
        state.metadata_tokens.retain(|_, exp| *exp > now);
        state.metadata_tokens.contains_key(token)
    }
}

fn persist_failure(e: &PersistError) -> ApiError {
    tracing::error!(error = %e, "state file write failed");
    ApiError::new("InternalError", "The emulator could not persist its state.")
}

/// Nonces seen recently, bounded in age and count.
#[derive(Default)]
struct NonceCache {
    order: VecDeque<(i64, String)>,
    seen: HashSet<String>,
}

impl NonceCache {
    fn insert(&mut self, key: String, now: i64) -> bool {
        self.prune(now);
        if self.seen.contains(&key) {
            return false;
        }
        self.seen.insert(key.clone());
        self.order.push_back((now, key));
        true
    }

    fn prune(&mut self, now: i64) {
        while let Some((at, _)) = self.order.front() {
            let too_old = now - *at > NONCE_TTL_SECS;
            if !too_old && self.order.len() < NONCE_CAPACITY {
                break;
            }
            if let Some((_, key)) = self.order.pop_front() {
                self.seen.remove(&key);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Role;

    fn role(name: &str) -> Role {
        Role {
            role_id: "1".into(),
            role_name: name.into(),
            arn: format!("acs:ram::1:role/{name}"),
            description: String::new(),
            assume_role_policy_document: "{}".into(),
            max_session_duration: 3600,
            create_date: "2020-01-01T00:00:00Z".into(),
            update_date: "2020-01-01T00:00:00Z".into(),
            tags: Default::default(),
        }
    }

    #[test]
    fn nonce_replay_and_expiry() {
        let mut cache = NonceCache::default();
        assert!(cache.insert("a".into(), 100));
        assert!(!cache.insert("a".into(), 101));
        assert!(cache.insert("b".into(), 101));
        // After the TTL the nonce is forgotten (its timestamp would be refused as expired).
        assert!(cache.insert("a".into(), 100 + NONCE_TTL_SECS + 1));
    }

    #[tokio::test]
    async fn write_persists_and_reopen_loads() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("state.json");
        let config = Config {
            state_file: Some(path.clone()),
            ..Config::default()
        };
        let store = Store::open(&config).expect("open");
        store
            .write(|a| {
                a.roles.insert("r".into(), role("R"));
                Ok(())
            })
            .await
            .expect("write");
        assert!(path.exists());
        let reopened = Store::open(&config).expect("reopen");
        assert_eq!(reopened.read(|a| a.roles.len()), 1);
        reopened.reset().await.expect("reset");
        assert_eq!(
            Store::open(&config).expect("again").read(|a| a.roles.len()),
            0
        );
    }

    #[tokio::test]
    async fn failed_write_changes_nothing() {
        let store = Store::open(&Config::default()).expect("open");
        let r: Result<(), ApiError> = store
            .write(|_| Err(ApiError::new("EntityNotExist.Role", "x")))
            .await;
        assert!(r.is_err());
        assert_eq!(store.read(|a| a.roles.len()), 0);
    }

    #[test]
    fn counts_decisions() {
        let store = Store::open(&Config::default()).expect("open");
        store.decide("GetRole");
        store.record_error("EntityNotExist.Role");
        let calls = store.calls();
        assert_eq!(calls.total, 1);
        assert_eq!(calls.errors_by_code["EntityNotExist.Role"], 1);
    }

    #[test]
    fn metadata_tokens_expire() {
        let store = Store::open(&Config::default()).expect("open");
        store.issue_metadata_token("t".into(), 200);
        assert!(store.check_metadata_token("t", 199));
        assert!(!store.check_metadata_token("t", 200));
        assert!(!store.check_metadata_token("other", 0));
    }
}
