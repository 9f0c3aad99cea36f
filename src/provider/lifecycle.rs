//! The RAM calls behind `alicr_custom_oss_role`: create (with rollback), read (refresh and
//! drift), update (converge), delete and import. Independent calls run concurrently.

use std::collections::{BTreeMap, BTreeSet};

use tokio_util::sync::CancellationToken;

use crate::alicloud::ram::{
    AttachedPolicy, CreatePolicyRequest, CreatePolicyVersionRequest, CreateRoleRequest,
    GetPolicyResponse, PolicyType, Principal, Role, RotateStrategy, TaggedResource,
    UpdateRoleRequest,
};
use crate::alicloud::{Client, Error};
use crate::plugin::diagnostics::Diagnostics;
use crate::plugin::value::Tri;
use crate::policy;
use crate::provider::errors::{self, api_error};
use crate::provider::resource::{RoleModel, DEFAULT_MAX_SESSION_DURATION, TYPE_NAME};
use crate::provider::validation;

/// What an apply produced: the state to record (None = nothing exists) and any problems.
/// A state returned together with errors from a create is recorded by Terraform as tainted.
#[derive(Debug, Default)]
pub struct Outcome {
    pub state: Option<RoleModel>,
    pub diagnostics: Diagnostics,
    /// The role's attachments as this apply left them, when known.
    pub snapshot: Option<AttachmentSnapshot>,
}

/// The values an apply works with, all known.
#[derive(Debug, Clone)]
struct Desired {
    role_name: String,
    policy_name: String,
    buckets: BTreeSet<String>,
    description: Option<String>,
    max_session_duration: i64,
    trust_document: String,
    policy_document: String,
    policy_description: Option<String>,
    tags: BTreeMap<String, String>,
}

impl Desired {
    fn from_planned(planned: &RoleModel) -> Result<Desired, Diagnostics> {
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

/// The policy as found attached to the role.
#[derive(Debug, Clone)]
struct AttachedView {
    document: String,
    version: String,
    description: String,
}

/// Builds state from what RAM holds. Documents equivalent to `prior`'s keep `prior`'s bytes so
/// RAM's reformatting never shows as a change; `bucket_names` is parsed back from the policy
/// (kept from `prior` when there is no policy to parse).
fn observed_state(
    prior: &RoleModel,
    role: &Role,
    policy_name: &str,
    policy: Option<&AttachedView>,
) -> RoleModel {
    let keep_equivalent = |prior_doc: &Tri<String>, found: &str| match prior_doc {
        Tri::Known(old) if policy::documents_equivalent(old, found) => Tri::Known(old.clone()),
        _ => Tri::Known(found.to_string()),
    };
    let bucket_names = policy
        .and_then(|p| policy::parse_bucket_names(&p.document).ok())
        .filter(|buckets| !buckets.is_empty())
        .map(Tri::Known)
        .unwrap_or_else(|| prior.bucket_names.clone());
    let description = if role.description.is_empty() && !prior.description.is_known() {
        Tri::Null
    } else {
        Tri::Known(role.description.clone())
    };
    let policy_description = match policy {
        Some(p) if p.description.is_empty() && !prior.policy_description.is_known() => Tri::Null,
        Some(p) => Tri::Known(p.description.clone()),
        None => prior.policy_description.clone(),
    };
    let max_session_duration = role
        .max_session_duration
        .and_then(|secs| i64::try_from(secs).ok())
        .map(Tri::Known)
        .unwrap_or_else(|| match &prior.max_session_duration {
            Tri::Known(secs) => Tri::Known(*secs),
            _ => Tri::Known(DEFAULT_MAX_SESSION_DURATION),
        });
    // RAM's role names are case-insensitive: the spelling the configuration uses is kept when
    // RAM reports the same name in other letters, or the plan would replace the role over case.
    let role_name = match &prior.role_name {
        Tri::Known(name) if same_role_name(name, &role.role_name) => Tri::Known(name.clone()),
        _ => Tri::Known(role.role_name.clone()),
    };
    RoleModel {
        bucket_names,
        id: role_name.clone(),
        role_name,
        policy_name: Tri::Known(policy_name.to_string()),
        description,
        max_session_duration,
        force_detach_policies: match &prior.force_detach_policies {
            Tri::Known(b) => Tri::Known(*b),
            _ => Tri::Known(false),
        },
        policy_description,
        tags: prior.tags.clone(),
        timeouts: prior.timeouts.clone(),
        arn: Tri::Known(role.arn.clone()),
        role_id: Tri::Known(role.role_id.clone()),
        create_date: Tri::Known(role.create_date.clone()),
        policy_document: match policy {
            Some(p) => keep_equivalent(&prior.policy_document, &p.document),
            None => Tri::Null,
        },
        assume_role_policy_document: keep_equivalent(
            &prior.assume_role_policy_document,
            &role.assume_role_policy_document,
        ),
        policy_version: match policy {
            Some(p) => Tri::Known(p.version.clone()),
            None => Tri::Null,
        },
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

fn import_id(role_name: &str, policy_name: Option<&str>) -> String {
    match policy_name {
        Some(policy) => format!("{role_name}:{policy}"),
        None => role_name.to_string(),
    }
}

/// The diagnostic for a role that exists but is in no state file.
fn role_exists_diagnostic(desired: &Desired, error: &Error) -> Diagnostics {
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
async fn create_role(client: &Client, desired: &Desired) -> Result<Role, Error> {
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
async fn create_policy(client: &Client, desired: &Desired) -> Result<String, Error> {
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

fn version_or_v1(version: String) -> String {
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

fn ignore_not_found<T>(result: Result<T, Error>) -> Result<(), Error> {
    match result {
        Ok(_) => Ok(()),
        Err(error) if error.is_not_found() => Ok(()),
        Err(error) => Err(error),
    }
}

/// Create: `CreateRole` and `CreatePolicy` concurrently, then `AttachPolicyToRole`. State comes
/// from the answers, with no read. Any failure rolls back what this call created; when the
/// rollback fails or an outcome is unknown, the partial state is returned with the error.
pub async fn create(client: &Client, planned: &RoleModel, stop: &CancellationToken) -> Outcome {
    let desired = match Desired::from_planned(planned) {
        Ok(d) => d,
        Err(diagnostics) => {
            return Outcome {
                state: None,
                diagnostics,
                snapshot: None,
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
                snapshot: None,
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
                        snapshot: None,
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
            snapshot: Some(AttachmentSnapshot::only_ours(&desired.role_name)),
        };
    }

    if maybe_left {
        // A create whose outcome is unknown may have made something: record it so the next
        // apply reconciles it instead of leaving it in no state file.
        return Outcome {
            state: Some(partial_state(planned, &desired, role.as_ref())),
            diagnostics,
            snapshot: None,
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
) -> Outcome {
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
            snapshot: None,
        };
    }
    diagnostics.extend(rollback);
    Outcome {
        state: Some(partial_state(planned, desired, role)),
        diagnostics,
        snapshot: None,
    }
}

/// What one concurrent round of reads found.
struct Found {
    /// `None` when the role does not exist.
    role: Option<Role>,
    policy: Option<GetPolicyResponse>,
    attached: Vec<AttachedPolicy>,
    /// The role's and the policy's tags, when they were asked for.
    tags: Option<(BTreeMap<String, String>, BTreeMap<String, String>)>,
    /// Everything our policy is attached to, when it was asked for.
    principals: Option<Vec<Principal>>,
}

impl Found {
    fn is_attached(&self, policy_name: &str) -> bool {
        self.attached
            .iter()
            .any(|p| p.policy_type == PolicyType::Custom.as_str() && p.policy_name == policy_name)
    }

    fn attached_view(&self, policy_name: &str) -> Option<AttachedView> {
        let policy = self.policy.as_ref()?;
        self.is_attached(policy_name).then(|| AttachedView {
            document: policy.default_document().to_string(),
            version: policy.policy.default_version.clone(),
            description: policy.policy.description.clone(),
        })
    }

    /// The tags to record: one map stands for both objects, so when they differ the one that
    /// moved away from `prior` is shown, making the drift visible in the plan.
    fn observed_tags(
        &self,
        prior: &Tri<BTreeMap<String, String>>,
    ) -> Tri<BTreeMap<String, String>> {
        let Some((role_tags, policy_tags)) = &self.tags else {
            return prior.clone();
        };
        let found = if role_tags != policy_tags && prior.as_known() == Some(role_tags) {
            policy_tags
        } else {
            role_tags
        };
        if found.is_empty() && !prior.is_known() {
            Tri::Null
        } else {
            Tri::Known(found.clone())
        }
    }
}

/// Tags of one object; a vanished object has none.
async fn tags_of(
    client: &Client,
    kind: TaggedResource,
    name: &str,
) -> Result<BTreeMap<String, String>, Error> {
    match client.list_tags(kind, name).await {
        Err(error) if error.is_not_found() => Ok(BTreeMap::new()),
        other => other,
    }
}

/// What a round of reads asks for beyond the role, the policy and the role's attachments.
#[derive(Debug, Clone, Copy, Default)]
struct Extras {
    /// `ListTagResources` for the role and the policy.
    tags: bool,
    /// `ListEntitiesForPolicy`: everything our policy is attached to.
    principals: bool,
}

/// `GetRole`, `GetPolicy` and `ListPoliciesForRole` concurrently, with the `extras` asked for.
async fn find(
    client: &Client,
    role_name: &str,
    policy_name: &str,
    extras: Extras,
) -> Result<Found, Diagnostics> {
    let with_tags = extras.tags;
    let tags = async {
        if !with_tags {
            return Ok(None);
        }
        let (role_tags, policy_tags) = tokio::join!(
            tags_of(client, TaggedResource::Role, role_name),
            tags_of(client, TaggedResource::Policy, policy_name),
        );
        Ok::<_, Error>(Some((role_tags?, policy_tags?)))
    };
    let principals = async {
        if !extras.principals {
            return Ok(None);
        }
        match client
            .list_entities_for_policy(PolicyType::Custom, policy_name)
            .await
        {
            Ok(response) => Ok(Some(response.principals())),
            Err(error) if error.is_not_found() => Ok(Some(Vec::new())),
            Err(error) => Err(error),
        }
    };
    let (role, policy, attached, tags, principals) = tokio::join!(
        client.get_role(role_name),
        client.get_policy(PolicyType::Custom, policy_name),
        client.list_policies_for_role(role_name),
        tags,
        principals,
    );
    let role = match role {
        Ok(response) => Some(response.role),
        Err(error) if error.is_not_found() => None,
        Err(error) => {
            return Err(api_error(
                &format!("Reading RAM role {role_name:?}"),
                &error,
            ))
        }
    };
    let policy = match policy {
        Ok(response) => Some(response),
        Err(error) if error.is_not_found() => None,
        Err(error) => {
            return Err(api_error(
                &format!("Reading RAM policy {policy_name:?}"),
                &error,
            ))
        }
    };
    let attached = match attached {
        Ok(response) => response.policies,
        Err(error) if error.is_not_found() => Vec::new(),
        Err(error) => {
            return Err(api_error(
                &format!("Listing the policies of RAM role {role_name:?}"),
                &error,
            ))
        }
    };
    let tags = tags.map_err(|error| {
        api_error(
            &format!("Reading the tags of RAM role {role_name:?}"),
            &error,
        )
    })?;
    let principals = principals.map_err(|error| {
        api_error(
            &format!("Listing what RAM policy {policy_name:?} is attached to"),
            &error,
        )
    })?;
    Ok(Found {
        role,
        policy,
        attached,
        tags,
        principals,
    })
}

/// Read (refresh): the state shows reality, so drift appears in the plan.
pub async fn read(
    client: &Client,
    prior: &RoleModel,
) -> Result<Option<(RoleModel, AttachmentSnapshot)>, Diagnostics> {
    let Some(role_name) = prior.role_name.as_known().or(prior.id.as_known()).cloned() else {
        return Ok(None);
    };
    let policy_name = prior
        .policy_name
        .as_known()
        .cloned()
        .unwrap_or_else(|| policy::DEFAULT_POLICY_NAME.to_string());
    // Tags cost a call per object, so they are read only when the configuration manages them.
    let with_tags = prior.tags.is_known();
    let extras = Extras {
        tags: with_tags,
        principals: true,
    };
    let found = find(client, &role_name, &policy_name, extras).await?;
    let mut snapshot = AttachmentSnapshot::observed(&found.attached, &policy_name);
    snapshot.tags = found.tags.clone();
    snapshot.policy_principals = found.principals.clone();
    if !found.is_attached(&policy_name) {
        snapshot.policy_not_attached = Some(PolicyNotAttached::observe(found.policy.as_ref()));
    }
    let Some(role) = &found.role else {
        // The role is gone. If our own policy stayed (the one the prior state describes), the
        // resource stays in state without its role, and the next apply recreates the role and
        // adopts the policy; anything else is gone or not ours, and the plan shows a create.
        return Ok(found
            .policy
            .as_ref()
            .filter(|policy| describes_policy(prior, policy.default_document()))
            .map(|_| (role_missing_state(prior), snapshot)));
    };
    let view = found.attached_view(&policy_name);
    let mut state = observed_state(prior, role, &policy_name, view.as_ref());
    state.tags = found.observed_tags(&prior.tags);
    if let (None, Some(detached)) = (&view, &found.policy) {
        // A detached policy still has a description of its own; drift in it shows in the same
        // plan as the detachment, so one apply fixes both.
        let description = &detached.policy.description;
        state.policy_description = if description.is_empty() && !prior.policy_description.is_known()
        {
            Tri::Null
        } else {
            Tri::Known(description.clone())
        };
    }
    Ok(Some((state, snapshot)))
}

/// Whether `document` is the policy `prior` describes: its recorded document, or the one its
/// bucket names render to (a refresh that saw the policy detached records no document).
fn describes_policy(prior: &RoleModel, document: &str) -> bool {
    let recorded = prior
        .policy_document
        .as_known()
        .is_some_and(|recorded| policy::documents_equivalent(recorded, document));
    let rendered = prior.bucket_names.as_known().is_some_and(|buckets| {
        policy::documents_equivalent(&policy::render_policy(buckets), document)
    });
    recorded || rendered
}

/// The state of a resource whose role was deleted outside Terraform while its policy stayed:
/// everything that belonged to the role is null (so the plan shows it coming back), the
/// policy is recorded as not attached.
fn role_missing_state(prior: &RoleModel) -> RoleModel {
    RoleModel {
        arn: Tri::Null,
        role_id: Tri::Null,
        create_date: Tri::Null,
        assume_role_policy_document: Tri::Null,
        policy_document: Tri::Null,
        policy_version: Tri::Null,
        ..prior.clone()
    }
}

/// Whether a state describes a resource whose role has to be created again.
pub fn role_is_missing(state: &RoleModel) -> bool {
    state.role_id.is_null() && state.arn.is_null()
}

/// Update: converge the role (`UpdateRole`) and the policy (`CreatePolicyVersion` with rotation,
/// or `CreatePolicy` if it vanished, then `AttachPolicyToRole` if it was detached) concurrently.
pub async fn update(
    client: &Client,
    prior: &RoleModel,
    planned: &RoleModel,
    snapshot: Option<AttachmentSnapshot>,
) -> Outcome {
    let desired = match Desired::from_planned(planned) {
        Ok(d) => d,
        Err(diagnostics) => {
            return Outcome {
                state: Some(prior.clone()),
                diagnostics,
                snapshot: None,
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
                    snapshot,
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
        snapshot,
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

/// Delete: refuse (before changing anything) when something Terraform does not manage is
/// involved (other policies attached to our role, our policy attached to other principals) and
/// `force_detach_policies` is false; else detach, then delete the policy and the role
/// concurrently. Anything already gone counts as done. A fresh [`AttachmentSnapshot`] (from the
/// refresh that precedes a destroy, or a recent apply) stands in for `ListPoliciesForRole` and
/// `ListEntitiesForPolicy`, saving a round trip; if someone attached a policy since, RAM's
/// `DeleteRole` refuses with `DeleteConflict.Role.Policy` and the error says so.
pub async fn delete(
    client: &Client,
    prior: &RoleModel,
    snapshot: Option<&AttachmentSnapshot>,
) -> Diagnostics {
    let Some(role_name) = prior.role_name.as_known().or(prior.id.as_known()).cloned() else {
        return Diagnostics::new();
    };
    let policy_name = prior
        .policy_name
        .as_known()
        .cloned()
        .unwrap_or_else(|| policy::DEFAULT_POLICY_NAME.to_string());
    let force = prior
        .force_detach_policies
        .as_known()
        .copied()
        .unwrap_or(false);
    let attachments = match Attachments::of(client, &role_name, &policy_name, snapshot).await {
        Ok(attachments) => attachments,
        Err(diags) => return diags,
    };
    if !force {
        if let Some(refusal) = attachments.refusal(&role_name, &policy_name) {
            return refusal;
        }
    }
    let mut diags = attachments
        .detach_all(client, &role_name, &policy_name)
        .await;
    if diags.has_errors() {
        return diags;
    }
    let delete_role = async {
        match attachments.on_role {
            Some(_) => ignore_not_found(client.delete_role(&role_name).await),
            None => Ok(()),
        }
    };
    let (policy_result, role_result) =
        tokio::join!(client.delete_policy(&policy_name, true), delete_role);
    if let Err(error) = ignore_not_found(policy_result) {
        diags.extend(api_error(
            &format!("Deleting RAM policy {policy_name:?}"),
            &error,
        ));
    }
    if let Err(error) = role_result {
        diags.extend(api_error(
            &format!("Deleting RAM role {role_name:?}"),
            &error,
        ));
    }
    diags
}

/// What destroy has to undo: the policies attached to our role, and the principals our policy
/// is attached to.
struct Attachments {
    /// `None` when the role does not exist any more.
    on_role: Option<Vec<(PolicyType, String)>>,
    /// Everything our policy is attached to, our role included.
    of_policy: Vec<Principal>,
}

impl Attachments {
    /// From a fresh snapshot where it has the answer, else from RAM (both lists concurrently).
    async fn of(
        client: &Client,
        role_name: &str,
        policy_name: &str,
        snapshot: Option<&AttachmentSnapshot>,
    ) -> Result<Attachments, Diagnostics> {
        let fresh = snapshot.filter(|s| s.is_fresh());
        let on_role = async {
            if let Some(snapshot) = fresh {
                return Ok(Some(snapshot.attached(policy_name)));
            }
            match client.list_policies_for_role(role_name).await {
                Ok(response) => Ok(Some(
                    response
                        .policies
                        .iter()
                        .map(|p| (policy_type_of(&p.policy_type), p.policy_name.clone()))
                        .collect(),
                )),
                Err(error) if error.is_not_found() => Ok(None),
                Err(error) => Err(api_error(
                    &format!("Listing the policies of RAM role {role_name:?}"),
                    &error,
                )),
            }
        };
        let of_policy = async {
            if let Some(principals) = fresh.and_then(|s| s.policy_principals.clone()) {
                return Ok(principals);
            }
            match client
                .list_entities_for_policy(PolicyType::Custom, policy_name)
                .await
            {
                Ok(response) => Ok(response.principals()),
                Err(error) if error.is_not_found() => Ok(Vec::new()),
                Err(error) => Err(api_error(
                    &format!("Listing what RAM policy {policy_name:?} is attached to"),
                    &error,
                )),
            }
        };
        let (on_role, of_policy) = tokio::join!(on_role, of_policy);
        Ok(Attachments {
            on_role: on_role?,
            of_policy: of_policy?,
        })
    }

    /// Policies on our role that are not ours.
    fn foreign_policies<'a>(&'a self, policy_name: &str) -> Vec<&'a (PolicyType, String)> {
        self.on_role
            .iter()
            .flatten()
            .filter(|(kind, name)| !(*kind == PolicyType::Custom && name == policy_name))
            .collect()
    }

    /// Principals other than our role that our policy is attached to.
    fn other_principals(&self, role_name: &str) -> Vec<&Principal> {
        self.of_policy
            .iter()
            .filter(|p| !matches!(p, Principal::Role(name) if same_role_name(name, role_name)))
            .collect()
    }

    /// The refusal to destroy when Terraform would change what it does not manage.
    fn refusal(&self, role_name: &str, policy_name: &str) -> Option<Diagnostics> {
        let foreign = self.foreign_policies(policy_name);
        let others = self.other_principals(role_name);
        if foreign.is_empty() && others.is_empty() {
            return None;
        }
        let mut findings = Vec::new();
        if !foreign.is_empty() {
            let names: Vec<String> = foreign
                .iter()
                .map(|(kind, name)| format!("{name} ({})", kind.as_str()))
                .collect();
            findings.push(format!(
                "role {role_name:?} also has these policies attached, which this resource did \
                 not attach: {}",
                names.join(", ")
            ));
        }
        if !others.is_empty() {
            let names: Vec<String> = others.iter().map(ToString::to_string).collect();
            findings.push(format!(
                "policy {policy_name:?} is also attached to {}, which this resource does not \
                 manage (deleting the policy would silently take it away from them)",
                names.join(", ")
            ));
        }
        let summary = if foreign.is_empty() {
            format!("RAM policy {policy_name:?} is attached elsewhere")
        } else {
            format!("RAM role {role_name:?} has other policies attached")
        };
        let mut diags = Diagnostics::new();
        diags.error(
            summary,
            format!(
                "Nothing was changed: {}. Detach them first, or set force_detach_policies = true \
                 (and apply) to have destroy detach them, leaving those principals and policies \
                 otherwise untouched.",
                findings.join("; and ")
            ),
        );
        Some(diags)
    }

    /// Detaches every policy from our role and our policy from every other principal,
    /// concurrently; anything already detached counts as done.
    async fn detach_all(&self, client: &Client, role_name: &str, policy_name: &str) -> Diagnostics {
        let from_role = self
            .on_role
            .iter()
            .flatten()
            .map(|(kind, name)| async move {
                ignore_not_found(client.detach_policy_from_role(*kind, name, role_name).await)
                    .map_err(|e| {
                        (
                            format!("Detaching policy {name:?} from role {role_name:?}"),
                            e,
                        )
                    })
            });
        let others = self.other_principals(role_name);
        let from_others = others.into_iter().map(|principal| async move {
            ignore_not_found(
                client
                    .detach_policy_from(PolicyType::Custom, policy_name, principal)
                    .await,
            )
            .map_err(|e| {
                (
                    format!("Detaching policy {policy_name:?} from {principal}"),
                    e,
                )
            })
        });
        let (from_role, from_others) = tokio::join!(
            futures::future::join_all(from_role),
            futures::future::join_all(from_others),
        );
        let mut diags = Diagnostics::new();
        for (doing, error) in from_role
            .into_iter()
            .chain(from_others)
            .filter_map(Result::err)
        {
            diags.extend(api_error(&doing, &error));
        }
        diags
    }
}

/// RAM's role names are case-insensitive (policy names are not).
fn same_role_name(a: &str, b: &str) -> bool {
    a.eq_ignore_ascii_case(b)
}

fn policy_type_of(wire: &str) -> PolicyType {
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
pub struct AttachmentSnapshot {
    /// Unix seconds when the attachments were observed.
    observed_at: i64,
    /// Whether our policy was attached.
    ours_attached: bool,
    /// Every other attached policy, as (type, name).
    others: Vec<(String, String)>,
    /// The role's and the policy's tags, when the observation read them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    tags: Option<(BTreeMap<String, String>, BTreeMap<String, String>)>,
    /// Everything our policy was attached to (our role included), when the observation read it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    policy_principals: Option<Vec<Principal>>,
    /// What became of our policy when it was not found attached, so that apply does only what
    /// is needed to bring it back.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    policy_not_attached: Option<PolicyNotAttached>,
}

/// Our policy, seen not attached to the role.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
enum PolicyNotAttached {
    /// It does not exist: apply creates it (no `CreatePolicyVersion` to fail first).
    Missing,
    /// It exists, detached; its document is the template for these buckets (apply only
    /// attaches it when they are the ones wanted).
    Detached { buckets: Option<BTreeSet<String>> },
}

impl PolicyNotAttached {
    fn observe(policy: Option<&GetPolicyResponse>) -> PolicyNotAttached {
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
    fn observed(attached: &[AttachedPolicy], policy_name: &str) -> AttachmentSnapshot {
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
    fn only_ours(role_name: &str) -> AttachmentSnapshot {
        AttachmentSnapshot {
            observed_at: unix_now(),
            ours_attached: true,
            others: Vec::new(),
            tags: None,
            policy_principals: Some(vec![Principal::Role(role_name.to_string())]),
            policy_not_attached: None,
        }
    }

    fn is_fresh(&self) -> bool {
        let age = unix_now() - self.observed_at;
        (-60..=SNAPSHOT_TRUSTED_FOR_SECS).contains(&age)
    }

    fn attached(&self, policy_name: &str) -> Vec<(PolicyType, String)> {
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
    pub fn encode(&self) -> Vec<u8> {
        serde_json::to_vec(&PrivateState {
            attachments: self.clone(),
        })
        .unwrap_or_default()
    }

    /// Reads private state written by [`AttachmentSnapshot::encode`]; anything else is ignored.
    pub fn decode(bytes: &[u8]) -> Option<AttachmentSnapshot> {
        serde_json::from_slice::<PrivateState>(bytes)
            .ok()
            .map(|p| p.attachments)
    }
}

/// Why an existing role could not be looked up (for import or the data source).
#[derive(Debug)]
pub enum LookupError {
    /// The ID is not `ROLE_NAME` or `ROLE_NAME:POLICY_NAME`.
    InvalidId(String),
    /// No such role.
    RoleNotFound { role: String },
    /// No policy was named, the default one is not attached, and not exactly one custom
    /// policy is.
    AmbiguousPolicy {
        role: String,
        default_policy: String,
        candidates: Vec<String>,
    },
    /// The named policy is missing or not attached to the role.
    PolicyNotAttached { role: String, policy: String },
    /// Diagnostics from a failed RAM call.
    Api(Diagnostics),
}

impl From<Diagnostics> for LookupError {
    fn from(diags: Diagnostics) -> Self {
        LookupError::Api(diags)
    }
}

/// The role and optional policy name of an import ID, `ROLE_NAME` or `ROLE_NAME:POLICY_NAME`,
/// each a valid RAM name; anything else is refused before any call.
fn parse_import_id(id: &str) -> Result<(&str, Option<&str>), LookupError> {
    let mut parts = id.split(':').map(str::trim);
    let role_name = parts.next().unwrap_or_default();
    let policy_name = parts.next();
    let well_formed = parts.next().is_none()
        && validation::validate_role_name(role_name).is_ok()
        && policy_name.is_none_or(|name| validation::validate_policy_name(name).is_ok());
    if well_formed {
        Ok((role_name, policy_name))
    } else {
        Err(LookupError::InvalidId(id.to_string()))
    }
}

/// Import by `ROLE_NAME` or `ROLE_NAME:POLICY_NAME`. A named policy need not be attached (an
/// interrupted apply leaves them so); the next apply attaches it.
pub async fn import(client: &Client, id: &str) -> Result<RoleModel, Diagnostics> {
    let failed = |error| errors::lookup_failed(error, errors::Purpose::Import);
    let (role_name, explicit_policy) = parse_import_id(id).map_err(failed)?;
    lookup(
        client,
        role_name,
        explicit_policy,
        Attachment::MayBeDetached,
    )
    .await
    .map_err(failed)
}

/// Whether a looked-up policy must already be attached to the role.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attachment {
    Required,
    /// Only for a policy named explicitly: its absence from the role is recorded, not refused.
    MayBeDetached,
}

/// Finds an existing role and its policy. Without a policy name: the default name if attached,
/// else the only custom policy attached, else [`LookupError::AmbiguousPolicy`]. One concurrent
/// round (`GetRole`, `GetPolicy`, `ListPoliciesForRole`), one more `GetPolicy` when the policy had
/// to be discovered, then both objects' tags.
pub async fn lookup(
    client: &Client,
    role_name: &str,
    explicit_policy: Option<&str>,
    attachment: Attachment,
) -> Result<RoleModel, LookupError> {
    let guess = explicit_policy.unwrap_or(policy::DEFAULT_POLICY_NAME);
    let mut found = find(client, role_name, guess, Extras::default()).await?;
    let Some(role) = found.role.clone() else {
        return Err(LookupError::RoleNotFound {
            role: role_name.to_string(),
        });
    };
    let policy_name = match explicit_policy {
        Some(name) => name.to_string(),
        None if found.is_attached(guess) => guess.to_string(),
        None => {
            let custom: Vec<String> = found
                .attached
                .iter()
                .filter(|p| p.policy_type == PolicyType::Custom.as_str())
                .map(|p| p.policy_name.clone())
                .collect();
            let [only] = custom.as_slice() else {
                return Err(LookupError::AmbiguousPolicy {
                    role: role_name.to_string(),
                    default_policy: guess.to_string(),
                    candidates: custom,
                });
            };
            found.policy = match client.get_policy(PolicyType::Custom, only).await {
                Ok(response) => Some(response),
                Err(error) => {
                    return Err(api_error(&format!("Reading RAM policy {only:?}"), &error).into())
                }
            };
            only.clone()
        }
    };
    let view = found.attached_view(&policy_name);
    let detached_policy = match (&view, &found.policy) {
        (Some(_), _) => None,
        (None, Some(policy))
            if attachment == Attachment::MayBeDetached && explicit_policy.is_some() =>
        {
            Some(policy.clone())
        }
        (None, _) => {
            return Err(LookupError::PolicyNotAttached {
                role: role_name.to_string(),
                policy: policy_name,
            })
        }
    };
    let (role_tags, policy_tags) = tokio::join!(
        tags_of(client, TaggedResource::Role, role_name),
        tags_of(client, TaggedResource::Policy, &policy_name),
    );
    found.tags = match (role_tags, policy_tags) {
        (Ok(role_tags), Ok(policy_tags)) => Some((role_tags, policy_tags)),
        (Err(error), _) | (_, Err(error)) => {
            return Err(api_error(
                &format!("Reading the tags of RAM role {role_name:?}"),
                &error,
            )
            .into())
        }
    };
    let mut state = observed_state(&RoleModel::default(), &role, &policy_name, view.as_ref());
    if let Some(policy) = detached_policy {
        // Not attached, so no document is recorded (the next plan attaches it); the buckets and
        // description still come from the policy so that a matching configuration plans only
        // the attachment.
        if let Ok(buckets) = policy::parse_bucket_names(policy.default_document()) {
            state.bucket_names = Tri::Known(buckets);
        }
        if !policy.policy.description.is_empty() {
            state.policy_description = Tri::Known(policy.policy.description.clone());
        }
    }
    state.tags = found.observed_tags(&Tri::Null);
    Ok(state)
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
