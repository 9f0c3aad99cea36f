//! The one retry mechanism every retrying caller uses (the API client and the ECS metadata
//! client): a [`RetryPolicy`] (exponential backoff with full jitter, capped) and a `Backoff`
//! that steps one call through it. Throttling (`Throttling*`, `ServiceUnavailable`) is retried
//! until the operation's deadline, as the official `alicloud` provider does inside
//! `resource.Retry(timeout)`: a busy account is no reason to fail an apply that still has time.
//! Other transient failures (`InternalError`, HTTP 5xx, connection errors, per-attempt
//! timeouts) are bounded by `max_retries` as well.

use std::time::Duration;

/// Why a failed attempt may be tried again, which decides what bounds the retries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RetryClass {
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
    /// Whether a failure of `class` may be retried when `transient_retries` retries of
    /// transient failures were made already. The deadline is checked separately.
    pub(crate) fn allows(&self, class: RetryClass, transient_retries: u32) -> bool {
        match class {
            RetryClass::Throttled => true,
            RetryClass::Transient => transient_retries < self.max_retries,
        }
    }

    /// The upper bound of the sleep before retry number `retry` (1-based):
    /// `min(max_delay, base_delay * 2^(retry-1))`.
    pub(crate) fn ceiling(&self, retry: u32) -> Duration {
        let exponent = retry.saturating_sub(1).min(30);
        let factor = 1u32 << exponent;
        self.base_delay
            .checked_mul(factor)
            .map_or(self.max_delay, |d| d.min(self.max_delay))
    }

    /// The sleep before retry number `retry`, given a uniform `fraction` in `[0, 1)` (full
    /// jitter: anywhere between zero and the ceiling).
    pub(crate) fn delay_with(&self, retry: u32, fraction: f64) -> Duration {
        let fraction = if fraction.is_finite() {
            fraction.clamp(0.0, 1.0)
        } else {
            0.0
        };
        self.ceiling(retry).mul_f64(fraction)
    }

    /// The sleep before retry number `retry`, with a random jitter.
    pub(crate) fn delay(&self, retry: u32) -> Duration {
        self.delay_with(retry, rand::random::<f64>())
    }
}

/// One call's way through a [`RetryPolicy`]: the attempts started, the transient retries
/// spent, and the wait before the next attempt. Callers decide what a failure is and what a
/// deadline means to them; the budget and the waits are decided here.
#[derive(Debug)]
pub(crate) struct Backoff {
    policy: RetryPolicy,
    attempts: u32,
    transient_retries: u32,
}

impl Backoff {
    pub(crate) fn new(policy: RetryPolicy) -> Backoff {
        Backoff {
            policy,
            attempts: 0,
            transient_retries: 0,
        }
    }

    /// Starts another attempt and returns its number (1-based).
    pub(crate) fn start_attempt(&mut self) -> u32 {
        self.attempts += 1;
        self.attempts
    }

    /// After the current attempt failed in a way of `class`: the wait before the next attempt
    /// (counted against the budget), or `None` when the policy allows no further retry.
    pub(crate) fn retry(&mut self, class: RetryClass) -> Option<Duration> {
        if !self.policy.allows(class, self.transient_retries) {
            return None;
        }
        if class == RetryClass::Transient {
            self.transient_retries += 1;
        }
        Some(self.policy.delay(self.attempts))
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

    /// Whether a transient failure of attempt number `attempt` may be followed by another.
    fn retried_after(policy: RetryPolicy, attempt: u32) -> bool {
        let mut backoff = Backoff::new(policy);
        let mut retried = false;
        for _ in 0..attempt {
            backoff.start_attempt();
            retried = backoff.retry(RetryClass::Transient).is_some();
        }
        retried
    }

    #[test]
    fn budget_counts_retries_not_attempts() {
        let p = policy();
        assert!(retried_after(p, 1));
        assert!(retried_after(p, 3));
        assert!(!retried_after(p, 4));
        let none = RetryPolicy {
            max_retries: 0,
            ..policy()
        };
        assert!(!retried_after(none, 1));
    }

    #[test]
    fn backoff_waits_grow_with_the_attempt_and_throttling_spends_no_budget() {
        let p = RetryPolicy {
            max_retries: 1,
            ..policy()
        };
        let mut backoff = Backoff::new(p);
        for attempt in 1..=6 {
            assert_eq!(backoff.start_attempt(), attempt);
            let wait = backoff
                .retry(RetryClass::Throttled)
                .expect("throttling is retried");
            assert!(wait <= p.ceiling(attempt));
        }
        backoff.start_attempt();
        assert!(backoff.retry(RetryClass::Transient).is_some());
        backoff.start_attempt();
        assert!(backoff.retry(RetryClass::Transient).is_none());
        assert!(backoff.retry(RetryClass::Throttled).is_some());
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
