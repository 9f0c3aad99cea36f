//! Update: converge the role and the policy (and each one's tags) to the plan, concurrently.

use std::collections::BTreeMap;

use super::create::{create_policy, create_role, role_exists_diagnostic, version_or_v1, Desired};
use super::read::{observed_state, role_is_missing};
use super::snapshot::{AttachmentSnapshot, PolicyNotAttached};
use super::RoleModel;
use crate::alicloud::ram::{
    CreatePolicyVersionRequest, PolicyType, RotateStrategy, TaggedResource, UpdateRoleRequest,
};
use crate::alicloud::{Client, Error};
use crate::plugin::diagnostics::Diagnostics;
use crate::plugin::value::Tri;
use crate::policy;
use crate::provider::errors::api_error;
use crate::provider::registry::Outcome;

/// Update: converge the role (`UpdateRole`) and the policy (`CreatePolicyVersion` with rotation,
/// or `CreatePolicy` if it vanished, then `AttachPolicyToRole` if it was detached) concurrently.
pub(super) async fn update(
    client: &Client,
    prior: &RoleModel,
    planned: &RoleModel,
    snapshot: Option<AttachmentSnapshot>,
) -> Outcome<RoleModel> {
    let desired = match Desired::from_planned(planned) {
        Ok(d) => d,
        Err(diagnostics) => {
            return Outcome {
                state: Some(prior.clone()),
                diagnostics,
                private: None,
            }
        }
    };
    // A role deleted outside Terraform is created again first: the policy is attached to it.
    let recreated_role = if role_is_missing(prior) {
        match create_role(client, &desired).await {
            Ok(role) => Some(role),
            Err(error) => {
                let diagnostics = if error.is_already_exists() {
                    role_exists_diagnostic(&desired, &error)
                } else {
                    api_error(
                        &format!("Creating RAM role {:?} again", desired.role_name),
                        &error,
                    )
                };
                return Outcome {
                    state: Some(prior.clone()),
                    diagnostics,
                    private: snapshot.map(|s| s.encode()),
                };
            }
        }
    } else {
        None
    };
    let role_change = match recreated_role {
        Some(_) => None,
        None => role_update_request(prior, planned, &desired),
    };
    let policy_changes = planned.policy_document != prior.policy_document
        || prior.policy_document.is_null()
        || recreated_role.is_some();
    // Each object's tags are changed from what it really has (seen by the refresh), so drift on
    // the role and on the policy is fixed by one apply.
    let fresh_snapshot = snapshot.as_ref().filter(|s| s.is_fresh());
    let observed_tags = fresh_snapshot.and_then(|s| s.tags.clone());
    let (role_tags, policy_tags) = match &observed_tags {
        Some((role, policy)) => (Tri::Known(role.clone()), Tri::Known(policy.clone())),
        None => (prior.tags.clone(), prior.tags.clone()),
    };
    let role_tag_diff = match recreated_role {
        Some(_) => TagDiff::default(),
        None => TagDiff::between(&role_tags, &planned.tags),
    };
    let policy_tag_diff = TagDiff::between(&policy_tags, &planned.tags);

    let update_role = async {
        match &role_change {
            Some(request) => client.update_role(request).await.map(|r| Some(r.role)),
            None => Ok(None),
        }
    };
    let description_changes = planned.policy_description != prior.policy_description;
    // The policy's steps run in order: a vanished policy must exist again before it is
    // described or tagged.
    let update_policy = async {
        let version = if policy_changes {
            let maybe_detached = prior.policy_document.is_null() || recreated_role.is_some();
            let seen = fresh_snapshot.and_then(|s| s.policy_not_attached.as_ref());
            Some(converge_policy(client, &desired, maybe_detached, seen).await?)
        } else {
            None
        };
        if description_changes {
            let text = desired.policy_description.as_deref().unwrap_or_default();
            client
                .update_policy_description(&desired.policy_name, text)
                .await?;
        }
        policy_tag_diff
            .apply(client, TaggedResource::Policy, &desired.policy_name)
            .await?;
        Ok::<_, Error>(version)
    };
    let tag_role = role_tag_diff.apply(client, TaggedResource::Role, &desired.role_name);
    let (role_result, policy_result, role_tag_result) =
        tokio::join!(update_role, update_policy, tag_role);

    let mut state = prior.clone();
    if let Some(role) = &recreated_role {
        let observed = observed_state(planned, role, &desired.policy_name, None);
        state.arn = observed.arn;
        state.role_id = observed.role_id;
        state.create_date = observed.create_date;
        state.description = observed.description;
        state.max_session_duration = observed.max_session_duration;
        state.assume_role_policy_document = observed.assume_role_policy_document;
    }
    let mut diagnostics = Diagnostics::new();
    match role_result {
        Ok(Some(role)) => {
            let observed = observed_state(planned, &role, &desired.policy_name, None);
            state.description = observed.description;
            state.max_session_duration = observed.max_session_duration;
            state.assume_role_policy_document = observed.assume_role_policy_document;
        }
        Ok(None) => {}
        Err(error) => diagnostics.extend(api_error(
            &format!("Updating RAM role {:?}", desired.role_name),
            &error,
        )),
    }
    let policy_converged = matches!(policy_result, Ok(Some(_)));
    match policy_result {
        Ok(version) => {
            if let Some(version) = version {
                state.policy_document = planned.policy_document.clone();
                state.policy_version = Tri::Known(version);
            }
            state.bucket_names = Tri::Known(desired.buckets.clone());
            state.policy_description = planned.policy_description.clone();
        }
        Err(error) => diagnostics.extend(api_error(
            &format!("Updating RAM policy {:?}", desired.policy_name),
            &error,
        )),
    }
    match role_tag_result {
        Ok(()) if !diagnostics.has_errors() => state.tags = planned.tags.clone(),
        Ok(()) => {}
        Err(error) => diagnostics.extend(api_error(
            &format!("Tagging RAM role {:?}", desired.role_name),
            &error,
        )),
    }
    state.timeouts = planned.timeouts.clone();
    state.force_detach_policies = planned.force_detach_policies.clone();
    // An update never renames (that replaces); only the letter case of the role's name can
    // differ, and RAM does not care about it.
    state.role_name = planned.role_name.clone();
    state.id = planned.id.clone();
    if !diagnostics.has_errors() {
        state.description = planned.description.clone();
    }
    // A converged policy is attached; what else is attached was not looked at. The tags seen
    // before this apply are no longer what the objects have.
    let snapshot = snapshot.map(|mut snapshot| {
        if policy_converged {
            snapshot.ours_attached = true;
        }
        snapshot.tags = None;
        snapshot
    });
    Outcome {
        state: Some(state),
        diagnostics,
        private: snapshot.map(|s| s.encode()),
    }
}

/// The tag changes from one map to another: only what differs is tagged or untagged.
#[derive(Debug, Default, PartialEq, Eq)]
struct TagDiff {
    set: BTreeMap<String, String>,
    remove: Vec<String>,
}

impl TagDiff {
    fn between(
        prior: &Tri<BTreeMap<String, String>>,
        planned: &Tri<BTreeMap<String, String>>,
    ) -> TagDiff {
        let empty = BTreeMap::new();
        let old = prior.as_known().unwrap_or(&empty);
        let new = planned.as_known().unwrap_or(&empty);
        TagDiff {
            set: new
                .iter()
                .filter(|(k, v)| old.get(*k) != Some(*v))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
            remove: old
                .keys()
                .filter(|k| !new.contains_key(*k))
                .cloned()
                .collect(),
        }
    }

    /// `TagResources` and `UntagResources` (concurrently, each only if needed) on one object.
    async fn apply(&self, client: &Client, kind: TaggedResource, name: &str) -> Result<(), Error> {
        let tag = async {
            if self.set.is_empty() {
                return Ok(());
            }
            client
                .tag_resources(kind, &[name], &self.set)
                .await
                .map(|_| ())
        };
        let untag = async {
            if self.remove.is_empty() {
                return Ok(());
            }
            let keys: Vec<&str> = self.remove.iter().map(String::as_str).collect();
            client
                .untag_resources(kind, &[name], &keys)
                .await
                .map(|_| ())
        };
        let (tagged, untagged) = tokio::join!(tag, untag);
        tagged.and(untagged)
    }
}

fn role_update_request(
    prior: &RoleModel,
    planned: &RoleModel,
    desired: &Desired,
) -> Option<UpdateRoleRequest> {
    let trust_changed = planned.assume_role_policy_document != prior.assume_role_policy_document;
    let description_changed = planned.description != prior.description;
    let duration_changed = planned.max_session_duration != prior.max_session_duration;
    if !(trust_changed || description_changed || duration_changed) {
        return None;
    }
    Some(UpdateRoleRequest {
        role_name: desired.role_name.clone(),
        new_assume_role_policy_document: trust_changed.then(|| desired.trust_document.clone()),
        new_description: description_changed
            .then(|| desired.description.clone().unwrap_or_default()),
        new_max_session_duration: if duration_changed {
            u64::try_from(desired.max_session_duration).ok()
        } else {
            None
        },
    })
}

/// Makes the policy's default document the desired one and the policy attached. Returns the
/// new default version id.
async fn converge_policy(
    client: &Client,
    desired: &Desired,
    maybe_detached: bool,
    seen: Option<&PolicyNotAttached>,
) -> Result<String, Error> {
    let request = CreatePolicyVersionRequest {
        policy_name: desired.policy_name.clone(),
        policy_document: desired.policy_document.clone(),
        set_as_default: true,
        rotate_strategy: RotateStrategy::DeleteOldestNonDefaultVersionWhenLimitExceeded,
    };
    let new_version = async {
        match new_policy_version(client, desired, &request).await {
            Ok(version) => Ok((version, false)),
            Err(error) if error.is_not_found() => Ok((create_policy(client, desired).await?, true)),
            Err(error) => Err(error),
        }
    };
    let (version, recreated) = match seen {
        Some(PolicyNotAttached::Missing) => (create_policy(client, desired).await?, true),
        Some(PolicyNotAttached::Detached {
            buckets: Some(buckets),
        }) if *buckets == desired.buckets => match current_version(client, desired).await? {
            Some(version) => (version, false),
            None => new_version.await?,
        },
        _ => new_version.await?,
    };
    if maybe_detached || recreated {
        match client
            .attach_policy_to_role(PolicyType::Custom, &desired.policy_name, &desired.role_name)
            .await
        {
            Ok(_) => {}
            Err(error) if error.is_already_exists() => {}
            Err(error) => return Err(error),
        }
    }
    Ok(version)
}

/// How many times a new policy version whose answer was lost is looked for and tried again.
const LOST_VERSION_ROUNDS: u32 = 3;

/// `CreatePolicyVersion`, never sent blindly twice: a second version of the same document
/// would rotate out an old version for nothing. When an answer is lost, look at the policy
/// first; only a policy that does not have the document yet gets another attempt.
async fn new_policy_version(
    client: &Client,
    desired: &Desired,
    request: &CreatePolicyVersionRequest,
) -> Result<String, Error> {
    let careful = client.without_resending_lost_calls();
    let mut round = 1;
    loop {
        match careful.create_policy_version(request).await {
            Ok(response) => return Ok(response.policy_version.version_id),
            Err(error) if error.is_outcome_unknown() && round < LOST_VERSION_ROUNDS => {
                if let Some(version) = current_version(client, desired).await? {
                    tracing::debug!(policy = %desired.policy_name, %version, "the lost CreatePolicyVersion had taken effect");
                    return Ok(version);
                }
                round += 1;
            }
            Err(error) => return Err(error),
        }
    }
}

/// The default version of our policy when its document is already the desired one (a detached
/// policy that only needs attaching), else `None`.
async fn current_version(client: &Client, desired: &Desired) -> Result<Option<String>, Error> {
    match client
        .get_policy(PolicyType::Custom, &desired.policy_name)
        .await
    {
        Ok(found)
            if policy::documents_equivalent(found.default_document(), &desired.policy_document) =>
        {
            Ok(Some(version_or_v1(found.policy.default_version)))
        }
        Ok(_) => Ok(None),
        Err(error) if error.is_not_found() => Ok(None),
        Err(error) => Err(error),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tag_diffs_touch_only_what_changed() {
        let prior = Tri::Known(BTreeMap::from([
            ("env".to_string(), "prod".to_string()),
            ("team".to_string(), "a".to_string()),
            ("keep".to_string(), "same".to_string()),
        ]));
        let planned = Tri::Known(BTreeMap::from([
            ("env".to_string(), "staging".to_string()),
            ("keep".to_string(), "same".to_string()),
            ("new".to_string(), "x".to_string()),
        ]));
        let diff = TagDiff::between(&prior, &planned);
        assert_eq!(
            diff.set,
            BTreeMap::from([
                ("env".to_string(), "staging".to_string()),
                ("new".to_string(), "x".to_string())
            ])
        );
        assert_eq!(diff.remove, vec!["team".to_string()]);
        assert_eq!(TagDiff::between(&Tri::Null, &Tri::Null), TagDiff::default());
        assert_eq!(TagDiff::between(&planned, &Tri::Null).remove.len(), 3);
    }
}
