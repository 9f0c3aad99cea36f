//! Emulator configuration: static credentials, account, fault injection and persistence settings,
//! plus the parsers for their command-line spellings (`AK:SECRET`, `ACTION:CODE:COUNT`).

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Access key id of the default credential.
pub const DEFAULT_ACCESS_KEY_ID: &str = "EMULATORACCESSKEYID";
/// Access key secret of the default credential.
pub const DEFAULT_ACCESS_KEY_SECRET: &str = "emulator-secret";
/// Account id used in ARNs when none is configured.
pub const DEFAULT_ACCOUNT_ID: &str = "1234567890123456";
/// Role name the ECS metadata service exposes when none is configured.
pub const DEFAULT_ECS_ROLE_NAME: &str = "EcsRamRoleTest";

/// A long-lived access key pair of the emulated account's root identity.
#[derive(Clone, PartialEq, Eq)]
pub struct Credential {
    pub access_key_id: String,
    pub access_key_secret: String,
}

impl fmt::Debug for Credential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credential")
            .field("access_key_id", &self.access_key_id)
            .field("access_key_secret", &"<redacted>")
            .finish()
    }
}

/// Why a command-line value could not be parsed.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ParseError {
    #[error("credential must be ACCESS_KEY_ID:SECRET with both parts non-empty")]
    Credential,
    #[error(
        "fail rule must be ACTION:CODE:COUNT (e.g. CreateRole:ServiceUnavailable:2), got {0:?}"
    )]
    FailRule(String),
    #[error("fail rule count must be a non-negative integer, got {0:?}")]
    FailCount(String),
}

impl FromStr for Credential {
    type Err = ParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (id, secret) = s.split_once(':').ok_or(ParseError::Credential)?;
        if id.is_empty() || secret.is_empty() {
            return Err(ParseError::Credential);
        }
        Ok(Credential {
            access_key_id: id.to_string(),
            access_key_secret: secret.to_string(),
        })
    }
}

/// "The next `count` calls to `action` answer `code`". `action` may be `*` for any action.
///
/// Besides ordinary error codes, two special codes exist: `ConnectionReset` drops the connection
/// without executing the call or answering, and `ConnectionResetAfterCommit` executes the call
/// (and persists its effect) and then drops the connection, so the caller cannot know the outcome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FailRule {
    pub action: String,
    pub code: String,
    pub count: u32,
}

impl FromStr for FailRule {
    type Err = ParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut parts = s.splitn(3, ':');
        let (Some(action), Some(code), Some(count)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(ParseError::FailRule(s.to_string()));
        };
        if action.is_empty() || code.is_empty() {
            return Err(ParseError::FailRule(s.to_string()));
        }
        let count = count
            .parse::<u32>()
            .map_err(|_| ParseError::FailCount(count.to_string()))?;
        Ok(FailRule {
            action: action.to_string(),
            code: code.to_string(),
            count,
        })
    }
}

/// Everything the emulator needs to start.
#[derive(Debug, Clone)]
pub struct Config {
    /// Long-lived keys of the account's root identity.
    pub credentials: Vec<Credential>,
    /// The 16-digit account id used in ARNs.
    pub account_id: String,
    /// Delay added before answering each RAM/STS call.
    pub latency_ms: u64,
    /// Probability (0.0..=1.0) that a RAM/STS call answers `Throttling.User`.
    pub throttle_rate: f64,
    /// Scripted failures, consumed in order of declaration.
    pub fail: Vec<FailRule>,
    /// Where state is loaded from at start and written after every change.
    pub state_file: Option<PathBuf>,
    /// The RAM role whose credentials the ECS metadata service hands out.
    pub ecs_role_name: String,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            credentials: vec![Credential {
                access_key_id: DEFAULT_ACCESS_KEY_ID.to_string(),
                access_key_secret: DEFAULT_ACCESS_KEY_SECRET.to_string(),
            }],
            account_id: DEFAULT_ACCOUNT_ID.to_string(),
            latency_ms: 0,
            throttle_rate: 0.0,
            fail: Vec::new(),
            state_file: None,
            ecs_role_name: DEFAULT_ECS_ROLE_NAME.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_credential() {
        let c: Credential = "AK:se:cret".parse().expect("valid");
        assert_eq!(c.access_key_id, "AK");
        assert_eq!(c.access_key_secret, "se:cret");
        assert_eq!("AK:".parse::<Credential>(), Err(ParseError::Credential));
        assert_eq!("AK".parse::<Credential>(), Err(ParseError::Credential));
    }

    #[test]
    fn credential_debug_hides_secret() {
        let c: Credential = "AK:topsecret".parse().expect("valid");
        assert!(!format!("{c:?}").contains("topsecret"));
    }

    #[test]
    fn parses_fail_rule() {
        let r: FailRule = "CreateRole:ServiceUnavailable:2".parse().expect("valid");
        assert_eq!(r.action, "CreateRole");
        assert_eq!(r.code, "ServiceUnavailable");
        assert_eq!(r.count, 2);
        assert!("CreateRole:X".parse::<FailRule>().is_err());
        assert!(matches!(
            "CreateRole:X:many".parse::<FailRule>(),
            Err(ParseError::FailCount(_))
        ));
    }

    #[test]
    fn default_config_has_one_credential() {
        let c = Config::default();
        assert_eq!(c.credentials.len(), 1);
        assert_eq!(c.credentials[0].access_key_id, "EMULATORACCESSKEYID");
        assert_eq!(c.account_id, "1234567890123456");
        assert_eq!(c.ecs_role_name, "EcsRamRoleTest");
    }
}
