//! The emulated account's entities (roles, custom policies and their versions, attachments, STS
//! sessions) and the built-in system policy catalogue. Plain data, serialisable to the state file.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::ApiError;

/// Most versions a custom policy may keep.
pub const MAX_POLICY_VERSIONS: usize = 5;

/// A RAM role.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Role {
    pub role_id: String,
    pub role_name: String,
    pub arn: String,
    pub description: String,
    pub assume_role_policy_document: String,
    pub max_session_duration: u32,
    pub create_date: String,
    pub update_date: String,
    /// Tag key -> value (state files from before tags load with none).
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
}

/// One version of a policy document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PolicyVersion {
    pub version_id: String,
    pub policy_document: String,
    pub create_date: String,
}

/// A custom policy with its versions (oldest first).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Policy {
    pub policy_name: String,
    pub description: String,
    pub default_version: String,
    pub create_date: String,
    pub update_date: String,
    pub versions: Vec<PolicyVersion>,
    /// Number of the next version id (`v<n>`); ids are never reused.
    pub next_version: u32,
    /// Tag key -> value.
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
}

impl Policy {
    /// The version marked default.
    pub fn default_policy_version(&self) -> Option<&PolicyVersion> {
        self.versions
            .iter()
            .find(|v| v.version_id == self.default_version)
    }

    /// A version by id.
    pub fn version(&self, id: &str) -> Option<&PolicyVersion> {
        self.versions.iter().find(|v| v.version_id == id)
    }
}

/// `Custom` (account-owned) or `System` (built-in) policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum PolicyType {
    Custom,
    System,
}

impl PolicyType {
    /// The wire spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            PolicyType::Custom => "Custom",
            PolicyType::System => "System",
        }
    }
}

impl fmt::Display for PolicyType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for PolicyType {
    type Err = ApiError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "Custom" => Ok(PolicyType::Custom),
            "System" => Ok(PolicyType::System),
            _ => Err(ApiError::new(
                "InvalidParameter.PolicyType",
                "The parameter - \"PolicyType\" is incorrect. Valid values: System, Custom.",
            )),
        }
    }
}

/// A policy attached to a role.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Attachment {
    pub role_name: String,
    pub policy_name: String,
    pub policy_type: PolicyType,
    pub attach_date: String,
}

/// Temporary credentials issued by STS `AssumeRole` or the ECS metadata service.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Session {
    pub access_key_id: String,
    pub access_key_secret: String,
    pub security_token: String,
    /// Unix seconds after which the credentials are refused.
    pub expires_at: i64,
    pub role_name: String,
    pub role_id: String,
    pub role_arn: String,
    pub session_name: String,
}

impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Session")
            .field("access_key_id", &self.access_key_id)
            .field("expires_at", &self.expires_at)
            .field("role_arn", &self.role_arn)
            .field("session_name", &self.session_name)
            .finish_non_exhaustive()
    }
}

/// Everything the account holds; the persistent part of the emulator.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Account {
    /// Roles keyed by lower-cased name (RAM role names are case-insensitive).
    pub roles: BTreeMap<String, Role>,
    /// Custom policies keyed by name.
    pub policies: BTreeMap<String, Policy>,
    pub attachments: Vec<Attachment>,
    /// STS sessions keyed by temporary access key id.
    pub sessions: BTreeMap<String, Session>,
}

/// A built-in system policy.
#[derive(Debug, Clone, Copy)]
pub struct SystemPolicy {
    pub name: &'static str,
    pub description: &'static str,
    pub document: &'static str,
}

/// The built-in system policies the emulator knows (a small, representative subset).
pub const SYSTEM_POLICIES: &[SystemPolicy] = &[
    SystemPolicy {
        name: "AdministratorAccess",
        description: "Full access to all Alibaba Cloud services.",
        document: r#"{"Version":"1","Statement":[{"Action":"*","Effect":"Allow","Resource":"*"}]}"#,
    },
    SystemPolicy {
        name: "ReadOnlyAccess",
        description: "Read-only access to all Alibaba Cloud services.",
        document: r#"{"Version":"1","Statement":[{"Action":["*:Describe*","*:List*","*:Get*","*:Query*"],"Effect":"Allow","Resource":"*"}]}"#,
    },
    SystemPolicy {
        name: "AliyunOSSFullAccess",
        description: "Full access to Object Storage Service (OSS).",
        document: r#"{"Version":"1","Statement":[{"Action":"oss:*","Effect":"Allow","Resource":"*"}]}"#,
    },
    SystemPolicy {
        name: "AliyunOSSReadOnlyAccess",
        description: "Read-only access to Object Storage Service (OSS).",
        document: r#"{"Version":"1","Statement":[{"Action":["oss:Get*","oss:List*"],"Effect":"Allow","Resource":"*"}]}"#,
    },
    SystemPolicy {
        name: "AliyunContainerRegistryFullAccess",
        description: "Full access to Container Registry.",
        document: r#"{"Version":"1","Statement":[{"Action":"cr:*","Effect":"Allow","Resource":"*"}]}"#,
    },
    SystemPolicy {
        name: "AliyunSTSAssumeRoleAccess",
        description: "Permission to call STS AssumeRole.",
        document: r#"{"Version":"1","Statement":[{"Action":"sts:AssumeRole","Effect":"Allow","Resource":"*"}]}"#,
    },
];

/// Looks up a system policy by exact name.
pub fn system_policy(name: &str) -> Option<&'static SystemPolicy> {
    SYSTEM_POLICIES.iter().find(|p| p.name == name)
}

/// Creation date reported for every system policy.
pub const SYSTEM_POLICY_DATE: &str = "2015-01-01T00:00:00Z";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn system_policies_are_valid_json() {
        for p in SYSTEM_POLICIES {
            let v: serde_json::Value = serde_json::from_str(p.document).expect("valid JSON");
            assert_eq!(v["Version"], "1", "{}", p.name);
        }
        assert!(system_policy("AliyunOSSFullAccess").is_some());
        assert!(system_policy("aliyunossfullaccess").is_none());
    }

    #[test]
    fn policy_type_parses_exactly() {
        assert_eq!("Custom".parse::<PolicyType>(), Ok(PolicyType::Custom));
        assert_eq!("System".parse::<PolicyType>(), Ok(PolicyType::System));
        assert_eq!(
            "custom".parse::<PolicyType>().map_err(|e| e.code),
            Err("InvalidParameter.PolicyType".to_string())
        );
    }

    #[test]
    fn session_debug_hides_secrets() {
        let s = Session {
            access_key_id: "STS.x".into(),
            access_key_secret: "sekret".into(),
            security_token: "tok3n".into(),
            expires_at: 0,
            role_name: "r".into(),
            role_id: "1".into(),
            role_arn: "acs:ram::1:role/r".into(),
            session_name: "s".into(),
        };
        let shown = format!("{s:?}");
        assert!(!shown.contains("sekret") && !shown.contains("tok3n"));
    }
}
