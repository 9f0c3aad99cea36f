//! The one retry policy every call uses: exponential backoff with full jitter, capped. Throttling
//! (`Throttling*`, `ServiceUnavailable`) is retried until the operation's deadline, as the
//! official `alicloud` provider does inside `resource.Retry(timeout)`: a busy account is no
//! reason to fail an apply that still has time. Other transient failures (`InternalError`, HTTP
//! 5xx, connection errors, per-attempt timeouts) are bounded by `max_retries` as well.

use std::time::Duration;

/// Why a failed attempt may be tried again, which decides what bounds the retries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryClass {
    /// `Throttling*` or `ServiceUnavailable`: the service asks us to slow down. Retried until
    /// the deadline, whatever `max_retries` says.
    Throttled,
    /// `InternalError`, HTTP 5xx, connection errors, per-attempt timeouts: retried at most
    /// `max_retries` times (and never past the deadline).
    Transient,
}

/// How often and how patiently to retry retryable failures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries of transient failures after the first attempt. Throttling is retried until the
    /// deadline and does not count against it.
    pub max_retries: u32,
    /// The backoff ceiling of the first retry; doubled for each further one.
    pub base_delay: Duration,
    /// The largest backoff ceiling (one wait is never longer).
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_retries: 5,
            base_delay: Duration::from_millis(100),
            // The official provider's resource.Retry polls at most every 10 s.
            max_delay: Duration::from_secs(10),
        }
    }
}

impl RetryPolicy {
    /// Whether a failed attempt number `attempt` (1-based) may be followed by another.
    pub fn allows_retry_after(&self, attempt: u32) -> bool {
        attempt <= self.max_retries
    }

    /// Whether a failure of `class` may be retried when `transient_retries` retries of
    /// transient failures were made already. The deadline is checked separately.
    pub fn allows(&self, class: RetryClass, transient_retries: u32) -> bool {
        match class {
            RetryClass::Throttled => true,
            RetryClass::Transient => transient_retries < self.max_retries,
        }
    }

    /// The upper bound of the sleep before retry number `retry` (1-based):
    /// `min(max_delay, base_delay * 2^(retry-1))`.
    pub fn ceiling(&self, retry: u32) -> Duration {
        let exponent = retry.saturating_sub(1).min(30);
        let factor = 1u32 << exponent;
        self.base_delay
            .checked_mul(factor)
            .map_or(self.max_delay, |d| d.min(self.max_delay))
    }

    /// The sleep before retry number `retry`, given a uniform `fraction` in `[0, 1)` (full
    /// jitter: anywhere between zero and the ceiling).
    pub fn delay_with(&self, retry: u32, fraction: f64) -> Duration {
        let fraction = if fraction.is_finite() {
            fraction.clamp(0.0, 1.0)
        } else {
            0.0
        };
        self.ceiling(retry).mul_f64(fraction)
    }

    /// The sleep before retry number `retry`, with a random jitter.
    pub fn delay(&self, retry: u32) -> Duration {
        self.delay_with(retry, rand::random::<f64>())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> RetryPolicy {
        RetryPolicy {
            max_retries: 3,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(1000),
        }
    }

    #[test]
    fn ceiling_doubles_up_to_the_cap() {
        let p = policy();
        assert_eq!(p.ceiling(1), Duration::from_millis(100));
        assert_eq!(p.ceiling(2), Duration::from_millis(200));
        assert_eq!(p.ceiling(3), Duration::from_millis(400));
        assert_eq!(p.ceiling(4), Duration::from_millis(800));
        assert_eq!(p.ceiling(5), Duration::from_millis(1000));
        assert_eq!(p.ceiling(500), Duration::from_millis(1000));
    }

    #[test]
    fn default_waits_are_capped_at_ten_seconds() {
        let p = RetryPolicy::default();
        assert_eq!(p.ceiling(1), Duration::from_millis(100));
        assert_eq!(p.ceiling(8), Duration::from_secs(10));
        assert_eq!(p.ceiling(u32::MAX), Duration::from_secs(10));
        for retry in [1, 7, 100, 10_000] {
            assert!(p.delay(retry) <= Duration::from_secs(10));
        }
    }

    #[test]
    fn full_jitter_spans_zero_to_ceiling() {
        let p = policy();
        assert_eq!(p.delay_with(3, 0.0), Duration::ZERO);
        assert_eq!(p.delay_with(3, 0.5), Duration::from_millis(200));
        assert_eq!(p.delay_with(3, 1.0), Duration::from_millis(400));
        assert_eq!(p.delay_with(3, f64::NAN), Duration::ZERO);
        for _ in 0..100 {
            assert!(p.delay(2) <= Duration::from_millis(200));
        }
    }

    #[test]
    fn budget_counts_retries_not_attempts() {
        let p = policy();
        assert!(p.allows_retry_after(1));
        assert!(p.allows_retry_after(3));
        assert!(!p.allows_retry_after(4));
        let none = RetryPolicy {
            max_retries: 0,
            ..policy()
        };
        assert!(!none.allows_retry_after(1));
    }

    #[test]
    fn throttling_is_not_bounded_by_the_budget() {
        let none = RetryPolicy {
            max_retries: 0,
            ..policy()
        };
        assert!(none.allows(RetryClass::Throttled, 0));
        assert!(none.allows(RetryClass::Throttled, 1_000));
        assert!(!none.allows(RetryClass::Transient, 0));
        let p = policy();
        assert!(p.allows(RetryClass::Transient, 2));
        assert!(!p.allows(RetryClass::Transient, 3));
        assert!(p.allows(RetryClass::Throttled, 3));
    }
}
