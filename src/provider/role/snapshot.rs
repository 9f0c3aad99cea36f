//! The private state of `alicr_custom_oss_role`: the role's attachments (and tags) as last
//! observed, so that destroy and update need not list them again.
//!
//! Terraform keeps it in the state file beside every instance and rewrites the whole file after
//! each instance it changes, so every byte of it is paid about N times over in an apply or a
//! destroy of N instances (the findings of BENCHMARKS.md). The usual observation, only our
//! policy on our role and on nothing else, is therefore written as
//! `{"seen":UNIX_SECONDS,"by":"PID-TICKS"}` (the observing Terraform command); anything else in
//! the JSON encoding earlier versions wrote, whose fields are only ever added, with defaults.

use std::collections::{BTreeMap, BTreeSet};

use crate::alicloud::ram::{AttachedPolicy, GetPolicyResponse, PolicyType, Principal};
use crate::plugin::terraform_command;
use crate::policy;

/// The Terraform command making an observation now.
fn this_command() -> Option<String> {
    terraform_command::id().map(str::to_owned)
}

/// RAM's role names are case-insensitive (policy names are not).
pub(super) fn same_role_name(a: &str, b: &str) -> bool {
    a.eq_ignore_ascii_case(b)
}

/// Whether a principal our policy is attached to is our own role.
pub(super) fn is_our_role(principal: &Principal, role_name: &str) -> bool {
    matches!(principal, Principal::Role(name) if same_role_name(name, role_name))
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
    /// What else our policy was attached to, when the observation read it. Our own role is left
    /// out (earlier versions kept it in the list; destroy skips it either way).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) policy_principals: Option<Vec<Principal>>,
    /// What became of our policy when it was not found attached, so that apply does only what
    /// is needed to bring it back.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) policy_not_attached: Option<PolicyNotAttached>,
    /// The Terraform command that made the observation (`terraform_command::id`); earlier
    /// versions did not record it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    seen_by: Option<String>,
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

/// The short form of the usual observation: only our policy is attached to our role, and our
/// policy to nothing else.
#[derive(serde::Serialize, serde::Deserialize)]
struct OnlyOursSeen {
    seen: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    by: Option<String>,
}

fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

impl AttachmentSnapshot {
    /// What a refresh found: the policies on the role and, when it was read, everything our
    /// policy is attached to (`principals`, our own role among them).
    pub(super) fn observed(
        attached: &[AttachedPolicy],
        principals: Option<&[Principal]>,
        role_name: &str,
        policy_name: &str,
    ) -> AttachmentSnapshot {
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
            policy_principals: principals.map(|principals| {
                principals
                    .iter()
                    .filter(|p| !is_our_role(p, role_name))
                    .cloned()
                    .collect()
            }),
            policy_not_attached: None,
            seen_by: this_command(),
        }
    }

    /// Right after a create: only our policy is attached, and only to our role.
    pub(super) fn only_ours() -> AttachmentSnapshot {
        AttachmentSnapshot {
            observed_at: unix_now(),
            ours_attached: true,
            others: Vec::new(),
            tags: None,
            policy_principals: Some(Vec::new()),
            policy_not_attached: None,
            seen_by: this_command(),
        }
    }

    /// Whether this is the usual observation, which has a short form.
    fn is_only_ours(&self) -> bool {
        self.ours_attached
            && self.others.is_empty()
            && self.tags.is_none()
            && self.policy_principals.as_ref().is_some_and(Vec::is_empty)
            && self.policy_not_attached.is_none()
    }

    /// Whether the observation may stand in for listing the attachments again: only what this
    /// Terraform command observed (its own refresh), and only if recent. What an earlier command
    /// left in the state may be out of date, and Terraform 1.11 hands exactly that to the delete
    /// of a resource removed from the configuration. Where the command cannot be identified
    /// (other systems than Linux), nothing is trusted and destroy lists again.
    pub(super) fn is_fresh(&self) -> bool {
        self.is_fresh_in(unix_now(), terraform_command::id())
    }

    fn is_fresh_in(&self, now: i64, command: Option<&str>) -> bool {
        let age = now - self.observed_at;
        (-60..=SNAPSHOT_TRUSTED_FOR_SECS).contains(&age)
            && command.is_some()
            && self.seen_by.as_deref() == command
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
        let encoded = if self.is_only_ours() {
            serde_json::to_vec(&OnlyOursSeen {
                seen: self.observed_at,
                by: self.seen_by.clone(),
            })
        } else {
            serde_json::to_vec(&PrivateState {
                attachments: self.clone(),
            })
        };
        encoded.unwrap_or_default()
    }

    /// Reads private state written by [`AttachmentSnapshot::encode`] of this or an earlier
    /// version; anything else is ignored.
    pub(super) fn decode(bytes: &[u8]) -> Option<AttachmentSnapshot> {
        if let Ok(full) = serde_json::from_slice::<PrivateState>(bytes) {
            return Some(full.attachments);
        }
        let short = serde_json::from_slice::<OnlyOursSeen>(bytes).ok()?;
        Some(AttachmentSnapshot {
            observed_at: short.seen,
            seen_by: short.by,
            ..AttachmentSnapshot::only_ours()
        })
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
        let snapshot = AttachmentSnapshot::observed(&seen, None, "Role", "Ours");
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
            seen_by: None,
        };
        assert_eq!(AttachmentSnapshot::decode(written), Some(snapshot.clone()));
        assert_eq!(snapshot.encode(), written.to_vec());
    }

    /// The usual observation has a short form, because Terraform rewrites every instance's
    /// private state after each instance it changes.
    #[test]
    fn only_our_policy_on_only_our_role_is_written_short() {
        let after_create = AttachmentSnapshot {
            observed_at: 1_700_000_000,
            seen_by: Some("4242-123456".to_string()),
            ..AttachmentSnapshot::only_ours()
        };
        let short = br#"{"seen":1700000000,"by":"4242-123456"}"#;
        assert_eq!(after_create.encode(), short.to_vec());
        assert_eq!(
            AttachmentSnapshot::decode(short),
            Some(after_create.clone())
        );
        let unattributed = br#"{"seen":1700000000}"#;
        assert_eq!(
            AttachmentSnapshot::decode(unattributed),
            Some(AttachmentSnapshot {
                seen_by: None,
                ..after_create.clone()
            })
        );

        // A refresh that finds the same writes the same, whatever the letter case RAM used.
        let principals = [Principal::Role("ROLE".to_string())];
        let refreshed = AttachmentSnapshot {
            observed_at: 1_700_000_000,
            seen_by: Some("4242-123456".to_string()),
            ..AttachmentSnapshot::observed(
                &[attached("Custom", "Ours")],
                Some(&principals),
                "role",
                "Ours",
            )
        };
        assert_eq!(refreshed, after_create);
        assert_eq!(refreshed.encode(), short.to_vec());
    }

    /// Anything beyond the usual keeps the full form: another policy on the role, our policy
    /// elsewhere, tags, our policy detached, or principals not read.
    #[test]
    fn every_other_observation_keeps_the_full_form() {
        let principals = [
            Principal::Role("Role".to_string()),
            Principal::User("alice".to_string()),
        ];
        let elsewhere = AttachmentSnapshot::observed(
            &[attached("Custom", "Ours")],
            Some(&principals),
            "Role",
            "Ours",
        );
        assert_eq!(
            elsewhere.policy_principals,
            Some(vec![Principal::User("alice".to_string())]),
            "our own role is left out of the principals"
        );
        let other_policy = AttachmentSnapshot::observed(
            &[
                attached("Custom", "Ours"),
                attached("System", "ReadOnlyAccess"),
            ],
            Some(&[]),
            "Role",
            "Ours",
        );
        let unread =
            AttachmentSnapshot::observed(&[attached("Custom", "Ours")], None, "Role", "Ours");
        let detached = AttachmentSnapshot::observed(&[], Some(&[]), "Role", "Ours");
        let mut tagged = AttachmentSnapshot::only_ours();
        tagged.tags = Some((BTreeMap::new(), BTreeMap::new()));
        for snapshot in [elsewhere, other_policy, unread, detached, tagged] {
            let bytes = snapshot.encode();
            assert!(
                bytes.starts_with(br#"{"attachments":"#),
                "{}",
                String::from_utf8_lossy(&bytes)
            );
            assert_eq!(AttachmentSnapshot::decode(&bytes), Some(snapshot));
        }
    }

    /// What versions before the short form wrote after a create keeps decoding; its list of
    /// principals names our own role, which destroy skips.
    #[test]
    fn the_long_form_of_only_ours_from_earlier_versions_still_decodes() {
        let written = br#"{"attachments":{"observed_at":1700000000,"ours_attached":true,"others":[],"policy_principals":[{"Role":"bench-role"}]}}"#;
        let decoded = AttachmentSnapshot::decode(written).expect("decodes");
        assert!(decoded.ours_attached);
        assert_eq!(
            decoded.attached("Ours"),
            vec![(PolicyType::Custom, "Ours".to_string())]
        );
        assert_eq!(
            decoded.policy_principals,
            Some(vec![Principal::Role("bench-role".to_string())])
        );
    }

    /// An observation left in the state by an earlier Terraform command is not trusted, however
    /// recent: the next command must look again.
    #[test]
    fn only_what_this_terraform_command_observed_is_trusted() {
        let now = 1_700_000_000;
        let seen_by = |command: Option<&str>| AttachmentSnapshot {
            observed_at: now - 5,
            seen_by: command.map(str::to_string),
            ..AttachmentSnapshot::only_ours()
        };
        let this = Some("4242-123456");
        assert!(seen_by(this).is_fresh_in(now, this));
        assert!(
            !seen_by(Some("4242-123400")).is_fresh_in(now, this),
            "another command, even one a moment earlier with the same process id"
        );
        assert!(
            !seen_by(None).is_fresh_in(now, this),
            "an observation that does not say who made it"
        );
        assert!(
            !seen_by(None).is_fresh_in(now, None),
            "nothing is trusted where the command cannot be identified"
        );
    }

    #[test]
    fn old_snapshots_are_not_trusted() {
        let mut snapshot = AttachmentSnapshot::only_ours();
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
