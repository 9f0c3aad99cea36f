//! Read (refresh): the role, its policy and attachments (and tags when managed) as RAM holds
//! them, so that drift shows in the plan; one concurrent round of calls.

use std::collections::BTreeMap;

use super::snapshot::{same_role_name, AttachmentSnapshot, PolicyNotAttached};
use super::{RoleModel, DEFAULT_MAX_SESSION_DURATION};
use crate::alicloud::ram::{
    AttachedPolicy, GetPolicyResponse, PolicyType, Principal, Role, TaggedResource,
};
use crate::alicloud::{Client, Error};
use crate::plugin::diagnostics::Diagnostics;
use crate::plugin::value::Tri;
use crate::policy;
use crate::provider::errors::api_error;

/// The policy as found attached to the role.
#[derive(Debug, Clone)]
pub(super) struct AttachedView {
    pub(super) document: String,
    pub(super) version: String,
    pub(super) description: String,
}

/// Builds state from what RAM holds. Documents equivalent to `prior`'s keep `prior`'s bytes so
/// RAM's reformatting never shows as a change; `bucket_names` is parsed back from the policy
/// (kept from `prior` when there is no policy to parse).
pub(super) fn observed_state(
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

/// What one concurrent round of reads found.
pub(super) struct Found {
    /// `None` when the role does not exist.
    pub(super) role: Option<Role>,
    pub(super) policy: Option<GetPolicyResponse>,
    pub(super) attached: Vec<AttachedPolicy>,
    /// The role's and the policy's tags, when they were asked for.
    pub(super) tags: Option<(BTreeMap<String, String>, BTreeMap<String, String>)>,
    /// Everything our policy is attached to, when it was asked for.
    pub(super) principals: Option<Vec<Principal>>,
}

impl Found {
    pub(super) fn is_attached(&self, policy_name: &str) -> bool {
        self.attached
            .iter()
            .any(|p| p.policy_type == PolicyType::Custom.as_str() && p.policy_name == policy_name)
    }

    pub(super) fn attached_view(&self, policy_name: &str) -> Option<AttachedView> {
        let policy = self.policy.as_ref()?;
        self.is_attached(policy_name).then(|| AttachedView {
            document: policy.default_document().to_string(),
            version: policy.policy.default_version.clone(),
            description: policy.policy.description.clone(),
        })
    }

    /// The tags to record: one map stands for both objects, so when they differ the one that
    /// moved away from `prior` is shown, making the drift visible in the plan.
    pub(super) fn observed_tags(
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
pub(super) async fn tags_of(
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
pub(super) struct Extras {
    /// `ListTagResources` for the role and the policy.
    tags: bool,
    /// `ListEntitiesForPolicy`: everything our policy is attached to.
    principals: bool,
}

/// `GetRole`, `GetPolicy` and `ListPoliciesForRole` concurrently, with the `extras` asked for.
pub(super) async fn find(
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
    // `Some(None)`: RAM says the policy does not exist.
    let principals = async {
        if !extras.principals {
            return Ok(None);
        }
        match client
            .list_entities_for_policy(PolicyType::Custom, policy_name)
            .await
        {
            Ok(response) => Ok(Some(Some(response.principals()))),
            Err(error) if error.is_not_found() => Ok(Some(None)),
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
    let principals = match principals {
        None => None,
        Some(Some(found)) => Some(found),
        // A policy that does not exist is attached to nothing. If `GetPolicy` found it all the
        // same, the two answers disagree (it was created or deleted meanwhile), and what it is
        // attached to is not known: destroy must look again rather than trust "nothing".
        Some(None) => policy.is_none().then(Vec::new),
    };
    Ok(Found {
        role,
        policy,
        attached,
        tags,
        principals,
    })
}

/// Read (refresh): the state shows reality, so drift appears in the plan.
pub(super) async fn read(
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
    let mut snapshot = AttachmentSnapshot::observed(
        &found.attached,
        found.principals.as_deref(),
        &role_name,
        &policy_name,
    );
    snapshot.tags = found.tags.clone();
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
pub(super) fn role_is_missing(state: &RoleModel) -> bool {
    state.role_id.is_null() && state.arn.is_null()
}
