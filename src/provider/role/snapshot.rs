//! The private state of `alicr_custom_oss_role`: the role's attachments (and tags) as last
//! observed, so that destroy and update need not list them again. Its JSON encoding is what
//! earlier versions wrote; fields are only ever added, with defaults.

use std::collections::{BTreeMap, BTreeSet};

use crate::alicloud::ram::{AttachedPolicy, GetPolicyResponse, PolicyType, Principal};
use crate::policy;

/// RAM's role names are case-insensitive (policy names are not).
pub(super) fn same_role_name(a: &str, b: &str) -> bool {
    a.eq_ignore_ascii_case(b)
}

pub(super) fn policy_type_of(wire: &str) -> PolicyType {
    if wire == PolicyType::System.as_str() {
        PolicyType::System
    } else {
        PolicyType::Custom
    }
}

/// How long an observation of the role's attachments is trusted in place of listing them again.
const SNAPSHOT_TRUSTED_FOR_SECS: i64 = 600;

/// The role's attachments as last observed, kept in Terraform's private state for this resource
/// so that destroy need not list them again.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(super) struct AttachmentSnapshot {
    /// Unix seconds when the attachments were observed.
    observed_at: i64,
    /// Whether our policy was attached.
    pub(super) ours_attached: bool,
    /// Every other attached policy, as (type, name).
    others: Vec<(String, String)>,
    /// The role's and the policy's tags, when the observation read them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) tags: Option<(BTreeMap<String, String>, BTreeMap<String, String>)>,
    /// Everything our policy was attached to (our role included), when the observation read it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) policy_principals: Option<Vec<Principal>>,
    /// What became of our policy when it was not found attached, so that apply does only what
    /// is needed to bring it back.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) policy_not_attached: Option<PolicyNotAttached>,
}

/// Our policy, seen not attached to the role.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(super) enum PolicyNotAttached {
    /// It does not exist: apply creates it (no `CreatePolicyVersion` to fail first).
    Missing,
    /// It exists, detached; its document is the template for these buckets (apply only
    /// attaches it when they are the ones wanted).
    Detached { buckets: Option<BTreeSet<String>> },
}

impl PolicyNotAttached {
    pub(super) fn observe(policy: Option<&GetPolicyResponse>) -> PolicyNotAttached {
        match policy {
            None => PolicyNotAttached::Missing,
            Some(policy) => {
                let document = policy.default_document();
                let buckets = policy::parse_bucket_names(document).ok().filter(|buckets| {
                    policy::documents_equivalent(&policy::render_policy(buckets), document)
                });
                PolicyNotAttached::Detached { buckets }
            }
        }
    }
}

#[derive(serde::Serialize, serde::Deserialize)]
struct PrivateState {
    attachments: AttachmentSnapshot,
}

fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

impl AttachmentSnapshot {
    pub(super) fn observed(attached: &[AttachedPolicy], policy_name: &str) -> AttachmentSnapshot {
        let is_ours = |p: &AttachedPolicy| {
            p.policy_type == PolicyType::Custom.as_str() && p.policy_name == policy_name
        };
        AttachmentSnapshot {
            observed_at: unix_now(),
            ours_attached: attached.iter().any(is_ours),
            others: attached
                .iter()
                .filter(|p| !is_ours(p))
                .map(|p| (p.policy_type.clone(), p.policy_name.clone()))
                .collect(),
            tags: None,
            policy_principals: None,
            policy_not_attached: None,
        }
    }

    /// Right after a create: only our policy is attached, and only to our role.
    pub(super) fn only_ours(role_name: &str) -> AttachmentSnapshot {
        AttachmentSnapshot {
            observed_at: unix_now(),
            ours_attached: true,
            others: Vec::new(),
            tags: None,
            policy_principals: Some(vec![Principal::Role(role_name.to_string())]),
            policy_not_attached: None,
        }
    }

    pub(super) fn is_fresh(&self) -> bool {
        let age = unix_now() - self.observed_at;
        (-60..=SNAPSHOT_TRUSTED_FOR_SECS).contains(&age)
    }

    pub(super) fn attached(&self, policy_name: &str) -> Vec<(PolicyType, String)> {
        let ours = self
            .ours_attached
            .then(|| (PolicyType::Custom, policy_name.to_string()));
        ours.into_iter()
            .chain(
                self.others
                    .iter()
                    .map(|(kind, name)| (policy_type_of(kind), name.clone())),
            )
            .collect()
    }

    /// The bytes Terraform keeps as the resource's private state.
    pub(super) fn encode(&self) -> Vec<u8> {
        serde_json::to_vec(&PrivateState {
            attachments: self.clone(),
        })
        .unwrap_or_default()
    }

    /// Reads private state written by [`AttachmentSnapshot::encode`]; anything else is ignored.
    pub(super) fn decode(bytes: &[u8]) -> Option<AttachmentSnapshot> {
        serde_json::from_slice::<PrivateState>(bytes)
            .ok()
            .map(|p| p.attachments)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attached(kind: &str, name: &str) -> AttachedPolicy {
        AttachedPolicy {
            policy_type: kind.to_string(),
            policy_name: name.to_string(),
            ..Default::default()
        }
    }

    #[test]
    fn snapshots_round_trip_through_private_state() {
        let seen = [
            attached("Custom", "Ours"),
            attached("System", "AliyunOSSReadOnlyAccess"),
        ];
        let snapshot = AttachmentSnapshot::observed(&seen, "Ours");
        assert!(snapshot.ours_attached);
        assert_eq!(
            snapshot.attached("Ours"),
            vec![
                (PolicyType::Custom, "Ours".to_string()),
                (PolicyType::System, "AliyunOSSReadOnlyAccess".to_string())
            ]
        );
        let decoded = AttachmentSnapshot::decode(&snapshot.encode()).expect("decodes");
        assert_eq!(decoded, snapshot);
        assert!(decoded.is_fresh());
        assert_eq!(AttachmentSnapshot::decode(b""), None);
        assert_eq!(
            AttachmentSnapshot::decode(b"{\"something\":\"else\"}"),
            None
        );
    }

    /// Private state outlives the provider version that wrote it: these bytes are what
    /// earlier versions wrote, and must keep decoding to the same snapshot.
    #[test]
    fn the_private_state_encoding_is_stable() {
        let written = br#"{"attachments":{"observed_at":1700000000,"ours_attached":true,"others":[["System","AliyunOSSReadOnlyAccess"]],"tags":[{"env":"prod"},{}],"policy_not_attached":{"Detached":{"buckets":["bucket-a"]}}}}"#;
        let snapshot = AttachmentSnapshot {
            observed_at: 1_700_000_000,
            ours_attached: true,
            others: vec![("System".into(), "AliyunOSSReadOnlyAccess".into())],
            tags: Some((
                BTreeMap::from([("env".to_string(), "prod".to_string())]),
                BTreeMap::new(),
            )),
            policy_principals: None,
            policy_not_attached: Some(PolicyNotAttached::Detached {
                buckets: Some(BTreeSet::from(["bucket-a".to_string()])),
            }),
        };
        assert_eq!(AttachmentSnapshot::decode(written), Some(snapshot.clone()));
        assert_eq!(snapshot.encode(), written.to_vec());
    }

    #[test]
    fn old_snapshots_are_not_trusted() {
        let mut snapshot = AttachmentSnapshot::only_ours("Role");
        assert!(snapshot.is_fresh());
        snapshot.observed_at -= SNAPSHOT_TRUSTED_FOR_SECS + 1;
        assert!(!snapshot.is_fresh());
        snapshot.observed_at = unix_now() + 3600;
        assert!(
            !snapshot.is_fresh(),
            "a snapshot from the future is not trusted either"
        );
    }
}
