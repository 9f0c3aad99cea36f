//! Fault injection and call accounting: latency, a throttling probability and scripted failure
//! rules decide each RAM/STS call's fate; counters record calls by action and errors by code.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::config::FailRule;

/// The code of a rule that drops the connection without executing the call.
pub const CONNECTION_RESET: &str = "ConnectionReset";
/// The code of a rule that executes the call, then drops the connection without answering.
pub const CONNECTION_RESET_AFTER_COMMIT: &str = "ConnectionResetAfterCommit";

/// The live fault configuration, as `POST /_emulator/faults` sets it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Faults {
    pub latency_ms: u64,
    pub throttle_rate: f64,
    pub fail: Vec<FailRule>,
}

impl Faults {
    /// Clamps the throttle rate into 0..=1 (NaN counts as 0).
    pub fn sanitized(mut self) -> Self {
        self.throttle_rate = if self.throttle_rate.is_nan() {
            0.0
        } else {
            self.throttle_rate.clamp(0.0, 1.0)
        };
        self
    }

    /// Decides one call's fate; consumes one use of the first matching rule. `roll` is a uniform
    /// sample in 0..1 used for throttling.
    pub fn decide(&mut self, action: &str, roll: f64) -> Decision {
        let delay = Duration::from_millis(self.latency_ms);
        let outcome = match self.take_rule(action) {
            Some(code) => Outcome::from_code(code),
            None if roll < self.throttle_rate => Outcome::Fail("Throttling.User".to_string()),
            None => Outcome::Proceed,
        };
        Decision { delay, outcome }
    }

    fn take_rule(&mut self, action: &str) -> Option<String> {
        let rule = self
            .fail
            .iter_mut()
            .find(|r| r.count > 0 && (r.action == action || r.action == "*"))?;
        rule.count -= 1;
        let code = rule.code.clone();
        self.fail.retain(|r| r.count > 0);
        Some(code)
    }
}

/// What happens to one call.
#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    pub delay: Duration,
    pub outcome: Outcome,
}

/// The injected outcome of a call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Handle normally.
    Proceed,
    /// Answer this error code without executing.
    Fail(String),
    /// Drop the connection without executing.
    Reset,
    /// Execute, then drop the connection.
    ResetAfterCommit,
}

impl Outcome {
    fn from_code(code: String) -> Self {
        match code.as_str() {
            CONNECTION_RESET => Outcome::Reset,
            CONNECTION_RESET_AFTER_COMMIT => Outcome::ResetAfterCommit,
            _ => Outcome::Fail(code),
        }
    }
}

/// Call counters, as `GET /_emulator/calls` reports them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Calls {
    pub total: u64,
    pub by_action: BTreeMap<String, u64>,
    pub errors_by_code: BTreeMap<String, u64>,
    /// Authenticated calls by signature scheme (`HMAC-SHA1`, `ACS3-HMAC-SHA256`).
    pub by_signature: BTreeMap<String, u64>,
    /// ECS metadata requests (not RAM/STS calls, so not in `total`).
    pub metadata_requests: u64,
}

impl Calls {
    /// Counts one RAM/STS call.
    pub fn record_call(&mut self, action: &str) {
        self.total += 1;
        *self.by_action.entry(action.to_string()).or_default() += 1;
    }

    /// Counts one authenticated call by its signature scheme.
    pub fn record_signature(&mut self, scheme: &str) {
        *self.by_signature.entry(scheme.to_string()).or_default() += 1;
    }

    /// Counts one error answer (including injected ones and dropped connections).
    pub fn record_error(&mut self, code: &str) {
        *self.errors_by_code.entry(code.to_string()).or_default() += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(action: &str, code: &str, count: u32) -> FailRule {
        FailRule {
            action: action.into(),
            code: code.into(),
            count,
        }
    }

    #[test]
    fn rules_are_consumed_in_order() {
        let mut f = Faults {
            fail: vec![
                rule("CreateRole", "ServiceUnavailable", 2),
                rule("*", "ConnectionReset", 1),
            ],
            ..Faults::default()
        };
        assert_eq!(f.decide("GetRole", 0.5).outcome, Outcome::Reset);
        assert_eq!(f.decide("GetRole", 0.5).outcome, Outcome::Proceed);
        assert_eq!(
            f.decide("CreateRole", 0.5).outcome,
            Outcome::Fail("ServiceUnavailable".into())
        );
        assert_eq!(
            f.decide("CreateRole", 0.5).outcome,
            Outcome::Fail("ServiceUnavailable".into())
        );
        assert_eq!(f.decide("CreateRole", 0.5).outcome, Outcome::Proceed);
        assert!(f.fail.is_empty());
    }

    #[test]
    fn throttling_by_roll() {
        let mut f = Faults {
            throttle_rate: 0.3,
            latency_ms: 7,
            ..Faults::default()
        };
        let d = f.decide("GetRole", 0.1);
        assert_eq!(d.outcome, Outcome::Fail("Throttling.User".into()));
        assert_eq!(d.delay, Duration::from_millis(7));
        assert_eq!(f.decide("GetRole", 0.3).outcome, Outcome::Proceed);
    }

    #[test]
    fn after_commit_reset() {
        let mut f = Faults {
            fail: vec![rule("AttachPolicyToRole", "ConnectionResetAfterCommit", 1)],
            ..Faults::default()
        };
        assert_eq!(
            f.decide("AttachPolicyToRole", 0.9).outcome,
            Outcome::ResetAfterCommit
        );
    }

    #[test]
    fn sanitizes_rate() {
        let f = Faults {
            throttle_rate: 7.0,
            ..Faults::default()
        };
        assert_eq!(f.sanitized().throttle_rate, 1.0);
        let f = Faults {
            throttle_rate: f64::NAN,
            ..Faults::default()
        };
        assert_eq!(f.sanitized().throttle_rate, 0.0);
    }

    #[test]
    fn counts() {
        let mut c = Calls::default();
        c.record_call("GetRole");
        c.record_call("GetRole");
        c.record_error("EntityNotExist.Role");
        assert_eq!(c.total, 2);
        assert_eq!(c.by_action["GetRole"], 2);
        assert_eq!(c.errors_by_code["EntityNotExist.Role"], 1);
    }
}
