//! Create: the role and the policy concurrently, then the attachment; anything a failed create
//! made is rolled back, or recorded when that is not possible.

use std::collections::{BTreeMap, BTreeSet};

use tokio_util::sync::CancellationToken;

use super::read::{find, observed_state, AttachedView, Extras};
use super::snapshot::AttachmentSnapshot;
use super::{RoleModel, DEFAULT_MAX_SESSION_DURATION, TYPE_NAME};
use crate::alicloud::ram::{CreatePolicyRequest, CreateRoleRequest, PolicyType, Role};
use crate::alicloud::{Client, Error};
use crate::plugin::diagnostics::Diagnostics;
use crate::plugin::value::Tri;
use crate::policy;
use crate::provider::errors::api_error;
use crate::provider::registry::Outcome;

/// The values an apply works with, all known.
#[derive(Debug, Clone)]
pub(super) struct Desired {
    pub(super) role_name: String,
    pub(super) policy_name: String,
    pub(super) buckets: BTreeSet<String>,
    pub(super) description: Option<String>,
    pub(super) max_session_duration: i64,
    pub(super) trust_document: String,
    pub(super) policy_document: String,
    pub(super) policy_description: Option<String>,
    pub(super) tags: BTreeMap<String, String>,
}

impl Desired {
    pub(super) fn from_planned(planned: &RoleModel) -> Result<Desired, Diagnostics> {
        let mut diags = Diagnostics::new();
        let mut known = |name: &str, value: Option<String>| {
            value.unwrap_or_else(|| {
                diags.error(
                    "Value not known at apply time",
                    format!("{name} must be known when alicr_custom_oss_role is applied"),
                );
                String::new()
            })
        };
        let role_name = known("role_name", planned.role_name.as_known().cloned());
        let policy_name = known("policy_name", planned.policy_name.as_known().cloned());
        let buckets = planned.bucket_names.as_known().cloned().unwrap_or_default();
        if buckets.is_empty() {
            diags.error(
                "Value not known at apply time",
                "bucket_names must be known and non-empty when alicr_custom_oss_role is applied",
            );
        }
        if diags.has_errors() {
            return Err(diags);
        }
        Ok(Desired {
            policy_document: policy::render_policy(&buckets),
            trust_document: policy::render_trust_policy(),
            role_name,
            policy_name,
            buckets,
            description: planned.description.as_known().cloned(),
            max_session_duration: planned
                .max_session_duration
                .as_known()
                .copied()
                .unwrap_or(DEFAULT_MAX_SESSION_DURATION),
            policy_description: planned.policy_description.as_known().cloned(),
            tags: planned.tags.as_known().cloned().unwrap_or_default(),
        })
    }
}

/// A state for what may exist after a failed create: names known, everything else null, so
/// Terraform records it (tainted) and the next apply cleans it up.
fn partial_state(planned: &RoleModel, desired: &Desired, role: Option<&Role>) -> RoleModel {
    let mut state = match role {
        Some(role) => observed_state(planned, role, &desired.policy_name, None),
        None => RoleModel {
            bucket_names: Tri::Known(desired.buckets.clone()),
            role_name: Tri::Known(desired.role_name.clone()),
            policy_name: Tri::Known(desired.policy_name.clone()),
            description: planned.description.clone(),
            max_session_duration: Tri::Known(desired.max_session_duration),
            force_detach_policies: planned.force_detach_policies.clone(),
            policy_description: planned.policy_description.clone(),
            tags: planned.tags.clone(),
            timeouts: planned.timeouts.clone(),
            id: Tri::Known(desired.role_name.clone()),
            ..Default::default()
        },
    };
    state.bucket_names = Tri::Known(desired.buckets.clone());
    if state.force_detach_policies.is_unknown() {
        state.force_detach_policies = Tri::Known(false);
    }
    state
}

pub(super) fn import_id(role_name: &str, policy_name: Option<&str>) -> String {
    match policy_name {
        Some(policy) => format!("{role_name}:{policy}"),
        None => role_name.to_string(),
    }
}

/// The diagnostic for a role that exists but is in no state file.
pub(super) fn role_exists_diagnostic(desired: &Desired, error: &Error) -> Diagnostics {
    let id = import_id(&desired.role_name, Some(&desired.policy_name));
    let mut diags = Diagnostics::new();
    diags.error(
        format!("RAM role {:?} already exists", desired.role_name),
        format!(
            "A RAM role named {role:?} already exists in this account, so it was not created \
             (and nothing else was left behind). To manage it with Terraform, import it, \
             replacing NAME with this resource's name in your configuration:\n\n  \
             terraform import {TYPE_NAME}.NAME {id}\n\nor, with Terraform 1.5 or later, add this \
             block and run terraform plan:\n\n  import {{\n    to = {TYPE_NAME}.NAME\n    id = \
             \"{id}\"\n  }}\n\nImport it only if no other Terraform state manages it: \
             another workspace, another configuration, or another instance of a `count` or \
             `for_each` resource using the same names may own it, and two states must never \
             manage one role (give each its own role_name and policy_name instead). If this is a \
             replacement with create_before_destroy, the object being replaced still holds the \
             name: RAM names are unique in an account, so change both role_name and policy_name \
             (or drop create_before_destroy).\n\n({error})",
            role = desired.role_name,
        ),
    );
    diags
}

fn policy_exists_diagnostic(desired: &Desired, error: &Error) -> Diagnostics {
    let mut diags = Diagnostics::new();
    diags.error(
        format!("RAM policy {:?} already exists", desired.policy_name),
        format!(
            "A custom policy named {policy:?} already exists in this account, so it was not \
             created (and nothing else was left behind). If its role exists (attached or not, \
             as an interrupted apply leaves them), import that role together with it:\n\n  \
             terraform import {TYPE_NAME}.NAME ROLE_NAME:{policy}\n\nIf its role no longer \
             exists, there is nothing to import: delete the policy or choose another \
             policy_name. Another \
             Terraform state (another workspace or configuration, or another instance of a \
             `count` or `for_each` resource) may own it; and under create_before_destroy the \
             object being replaced still holds the name, so change both role_name and \
             policy_name. ({error})",
            policy = desired.policy_name,
        ),
    );
    diags
}

/// `CreateRole`; an "already exists" answer to a retried attempt is our own earlier attempt,
/// confirmed by reading the role back.
pub(super) async fn create_role(client: &Client, desired: &Desired) -> Result<Role, Error> {
    let request = CreateRoleRequest {
        role_name: desired.role_name.clone(),
        assume_role_policy_document: desired.trust_document.clone(),
        description: desired.description.clone(),
        max_session_duration: u64::try_from(desired.max_session_duration).ok(),
        tags: desired.tags.clone(),
    };
    match client.create_role(&request).await {
        Ok(response) => Ok(response.role),
        Err(error) if error.is_already_exists() && error.follows_a_lost_answer() => {
            let found = client.get_role(&desired.role_name).await?.role;
            if policy::documents_equivalent(
                &found.assume_role_policy_document,
                &desired.trust_document,
            ) {
                tracing::debug!(role = %desired.role_name, "CreateRole retry found our own earlier attempt");
                Ok(found)
            } else {
                Err(error)
            }
        }
        Err(error) => Err(error),
    }
}

/// `CreatePolicy`, with the same treatment of our own retried attempt. Returns the version id.
pub(super) async fn create_policy(client: &Client, desired: &Desired) -> Result<String, Error> {
    let request = CreatePolicyRequest {
        policy_name: desired.policy_name.clone(),
        policy_document: desired.policy_document.clone(),
        description: desired.policy_description.clone(),
        tags: desired.tags.clone(),
    };
    match client.create_policy(&request).await {
        Ok(response) => Ok(version_or_v1(response.policy.default_version)),
        Err(error) if error.is_already_exists() && error.follows_a_lost_answer() => {
            let found = client
                .get_policy(PolicyType::Custom, &desired.policy_name)
                .await?;
            if policy::documents_equivalent(found.default_document(), &desired.policy_document) {
                tracing::debug!(policy = %desired.policy_name, "CreatePolicy retry found our own earlier attempt");
                Ok(version_or_v1(found.policy.default_version))
            } else {
                Err(error)
            }
        }
        Err(error) => Err(error),
    }
}

pub(super) fn version_or_v1(version: String) -> String {
    if version.is_empty() {
        "v1".to_string()
    } else {
        version
    }
}

/// Deletes what a failed create made; "not found" counts as done.
async fn roll_back(client: &Client, role: Option<&str>, policy_name: Option<&str>) -> Diagnostics {
    let delete_role = async {
        match role {
            Some(name) => ignore_not_found(client.delete_role(name).await),
            None => Ok(()),
        }
    };
    let delete_policy = async {
        match policy_name {
            Some(name) => ignore_not_found(client.delete_policy(name, true).await),
            None => Ok(()),
        }
    };
    let (role_result, policy_result) = tokio::join!(delete_role, delete_policy);
    let mut diags = Diagnostics::new();
    if let Err(error) = role_result {
        diags.extend(api_error("Rolling back the new RAM role", &error));
    }
    if let Err(error) = policy_result {
        diags.extend(api_error("Rolling back the new RAM policy", &error));
    }
    diags
}

pub(super) fn ignore_not_found<T>(result: Result<T, Error>) -> Result<(), Error> {
    match result {
        Ok(_) => Ok(()),
        Err(error) if error.is_not_found() => Ok(()),
        Err(error) => Err(error),
    }
}

/// Create: `CreateRole` and `CreatePolicy` concurrently, then `AttachPolicyToRole`. State comes
/// from the answers, with no read. Any failure rolls back what this call created; when the
/// rollback fails or an outcome is unknown, the partial state is returned with the error.
pub(super) async fn create(
    client: &Client,
    planned: &RoleModel,
    stop: &CancellationToken,
) -> Outcome<RoleModel> {
    let desired = match Desired::from_planned(planned) {
        Ok(d) => d,
        Err(diagnostics) => {
            return Outcome {
                state: None,
                diagnostics,
                private: None,
            }
        }
    };
    let (role, policy) = tokio::join!(
        create_role(client, &desired),
        create_policy(client, &desired)
    );

    let mut diagnostics = Diagnostics::new();
    let mut maybe_left = false;
    let role = match role {
        Ok(role) => Some(role),
        Err(error) => {
            maybe_left |= error.is_outcome_unknown();
            diagnostics.extend(if error.is_already_exists() {
                role_exists_diagnostic(&desired, &error)
            } else {
                api_error(
                    &format!("Creating RAM role {:?}", desired.role_name),
                    &error,
                )
            });
            None
        }
    };
    let policy_version = match policy {
        Ok(version) => Some(version),
        Err(error) => {
            maybe_left |= error.is_outcome_unknown();
            if error.is_already_exists() {
                // A role that exists already explains the situation; don't repeat it.
                if role.is_some() || !diagnostics.has_errors() {
                    diagnostics.extend(policy_exists_diagnostic(&desired, &error));
                }
            } else {
                diagnostics.extend(api_error(
                    &format!("Creating RAM policy {:?}", desired.policy_name),
                    &error,
                ));
            }
            None
        }
    };

    if let (Some(role), Some(version)) = (&role, &policy_version) {
        if stop.is_cancelled() {
            diagnostics.error(
                "Interrupted",
                "Terraform was interrupted after the role and policy were created and before the policy was attached; the resource is recorded as tainted and the next apply replaces it.",
            );
            return Outcome {
                state: Some(partial_state(planned, &desired, Some(role))),
                diagnostics,
                private: None,
            };
        }
        let attached = client
            .attach_policy_to_role(PolicyType::Custom, &desired.policy_name, &desired.role_name)
            .await;
        let attached = match attached {
            Err(error) if error.is_outcome_unknown() => {
                // The answer was lost (the deadline passed or the connection dropped after the
                // request went out): RAM may well have attached it. Look before tainting, or the
                // next apply would replace a role that is in fact complete.
                match confirm_attached(client, &desired).await {
                    true => Ok(()),
                    false => Err(error),
                }
            }
            other => other.map(|_| ()),
        };
        match attached {
            Ok(()) => {}
            Err(error) if error.is_already_exists() => {}
            Err(error) => {
                diagnostics.extend(api_error(
                    &format!(
                        "Attaching policy {:?} to role {:?}",
                        desired.policy_name, desired.role_name
                    ),
                    &error,
                ));
                if error.is_outcome_unknown() {
                    return Outcome {
                        state: Some(partial_state(planned, &desired, Some(role))),
                        diagnostics,
                        private: None,
                    };
                }
                return finish_failed_create(
                    client,
                    planned,
                    &desired,
                    Some(role),
                    true,
                    diagnostics,
                )
                .await;
            }
        }
        let view = AttachedView {
            document: desired.policy_document.clone(),
            version: version.clone(),
            description: desired.policy_description.clone().unwrap_or_default(),
        };
        let mut state = observed_state(planned, role, &desired.policy_name, Some(&view));
        state.bucket_names = Tri::Known(desired.buckets.clone());
        return Outcome {
            state: Some(state),
            diagnostics,
            private: Some(AttachmentSnapshot::only_ours().encode()),
        };
    }

    if maybe_left {
        // A create whose outcome is unknown may have made something: record it so the next
        // apply reconciles it instead of leaving it in no state file.
        return Outcome {
            state: Some(partial_state(planned, &desired, role.as_ref())),
            diagnostics,
            private: None,
        };
    }
    let created_policy = policy_version.is_some();
    finish_failed_create(
        client,
        planned,
        &desired,
        role.as_ref(),
        created_policy,
        diagnostics,
    )
    .await
}

/// How long the look after a lost answer may take, past the operation's own deadline.
const LOOK_GRACE: std::time::Duration = std::time::Duration::from_secs(10);

/// Whether the role exists with the desired policy attached (after an attach whose answer was
/// lost). Any failure to look counts as "not known to be attached".
async fn confirm_attached(client: &Client, desired: &Desired) -> bool {
    let client = client.with_deadline(tokio::time::Instant::now() + LOOK_GRACE);
    let found = find(
        &client,
        &desired.role_name,
        &desired.policy_name,
        Extras::default(),
    )
    .await;
    let attached = match found {
        Ok(found) => found.role.is_some() && found.is_attached(&desired.policy_name),
        Err(_) => false,
    };
    tracing::debug!(
        role = %desired.role_name,
        policy = %desired.policy_name,
        attached,
        "looked at the attachment after its answer was lost"
    );
    attached
}

/// Rolls back after a definite failure; returns no state if that worked, partial state if not.
async fn finish_failed_create(
    client: &Client,
    planned: &RoleModel,
    desired: &Desired,
    role: Option<&Role>,
    created_policy: bool,
    mut diagnostics: Diagnostics,
) -> Outcome<RoleModel> {
    let rollback = roll_back(
        client,
        role.map(|r| r.role_name.as_str()),
        created_policy.then_some(desired.policy_name.as_str()),
    )
    .await;
    if rollback.is_empty() {
        return Outcome {
            state: None,
            diagnostics,
            private: None,
        };
    }
    diagnostics.extend(rollback);
    Outcome {
        state: Some(partial_state(planned, desired, role)),
        diagnostics,
        private: None,
    }
}
