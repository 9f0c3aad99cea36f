//! Finding an existing role and its policy by name, for import and for the data source, and
//! the wording of a failed lookup for each.

use super::read::{find, observed_state, tags_of, Extras};
use super::RoleModel;
use crate::alicloud::ram::{PolicyType, TaggedResource};
use crate::alicloud::Client;
use crate::plugin::diagnostics::Diagnostics;
use crate::plugin::value::Tri;
use crate::policy;
use crate::provider::errors::api_error;

/// Why an existing role could not be looked up (for import or the data source).
#[derive(Debug)]
pub(crate) enum LookupError {
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

/// Whether a looked-up policy must already be attached to the role.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Attachment {
    Required,
    /// Only for a policy named explicitly: its absence from the role is recorded, not refused.
    MayBeDetached,
}

/// Finds an existing role and its policy. Without a policy name: the default name if attached,
/// else the only custom policy attached, else [`LookupError::AmbiguousPolicy`]. One concurrent
/// round (`GetRole`, `GetPolicy`, `ListPoliciesForRole`), one more `GetPolicy` when the policy had
/// to be discovered, then both objects' tags.
pub(crate) async fn lookup(
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

/// Who asked to look up an existing role, so the wording fits the user's command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Purpose {
    /// `terraform import` or an `import {}` block: the ID is `ROLE_NAME[:POLICY_NAME]`.
    Import,
    /// The `alicr_custom_oss_role` data source: `role_name` and `policy_name` arguments.
    DataSource,
}

/// The diagnostic for a failed lookup of an existing role.
pub(crate) fn lookup_failed(error: LookupError, purpose: Purpose) -> Diagnostics {
    let verb = match purpose {
        Purpose::Import => "import",
        Purpose::DataSource => "read",
    };
    let mut diags = Diagnostics::new();
    match error {
        LookupError::Api(api) => return api,
        LookupError::InvalidId(id) => diags.error(
            "Invalid import ID",
            format!("expected ROLE_NAME or ROLE_NAME:POLICY_NAME, got {id:?}"),
        ),
        LookupError::RoleNotFound { role } => diags.error(
            format!("Cannot {verb} a RAM role that does not exist"),
            format!("no RAM role named {role:?} was found in this account"),
        ),
        LookupError::AmbiguousPolicy {
            role,
            default_policy,
            candidates,
        } => {
            let listed = if candidates.is_empty() {
                "none".to_string()
            } else {
                candidates.join(", ")
            };
            let remedy = match purpose {
                Purpose::Import => format!("Import with an ID of the form {role}:POLICY_NAME."),
                Purpose::DataSource => "Set policy_name to choose one.".to_string(),
            };
            diags.error(
                format!("Cannot tell which policy to {verb}"),
                format!(
                    "RAM role {role:?} does not have the policy {default_policy:?} attached, and \
                     not exactly one custom policy (attached custom policies: {listed}). {remedy}"
                ),
            );
        }
        LookupError::PolicyNotAttached { role, policy } => diags.error(
            format!("Cannot {verb}: policy not attached"),
            format!(
                "custom policy {policy:?} is not attached to RAM role {role:?} (or does not exist)"
            ),
        ),
    }
    diags
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookup_failures_are_worded_for_the_command() {
        let ambiguous = || LookupError::AmbiguousPolicy {
            role: "R".into(),
            default_policy: "P".into(),
            candidates: vec!["A".into(), "B".into()],
        };
        let import = lookup_failed(ambiguous(), Purpose::Import);
        let d = import.iter().next().unwrap();
        assert_eq!(d.summary, "Cannot tell which policy to import");
        assert!(
            d.detail.contains("A, B") && d.detail.contains("R:POLICY_NAME"),
            "{}",
            d.detail
        );
        let read = lookup_failed(ambiguous(), Purpose::DataSource);
        let d = read.iter().next().unwrap();
        assert_eq!(d.summary, "Cannot tell which policy to read");
        assert!(d.detail.contains("Set policy_name"), "{}", d.detail);
        let missing = lookup_failed(
            LookupError::RoleNotFound { role: "R".into() },
            Purpose::DataSource,
        );
        assert!(missing
            .iter()
            .next()
            .unwrap()
            .summary
            .contains("Cannot read"));
    }
}
