//! Delete: refuse when destroy would change what Terraform does not manage, else detach
//! everything and delete the policy and the role.

use super::create::ignore_not_found;
use super::snapshot::{is_our_role, policy_type_of, AttachmentSnapshot};
use super::RoleModel;
use crate::alicloud::ram::{PolicyType, Principal};
use crate::alicloud::Client;
use crate::plugin::diagnostics::Diagnostics;
use crate::policy;
use crate::provider::errors::api_error;

/// Delete: refuse (before changing anything) when something Terraform does not manage is
/// involved (other policies attached to our role, our policy attached to other principals) and
/// `force_detach_policies` is false; else detach, then delete the policy and the role
/// concurrently. Anything already gone counts as done. A fresh [`AttachmentSnapshot`] (from the
/// refresh that precedes a destroy, or a recent apply) stands in for `ListPoliciesForRole` and
/// `ListEntitiesForPolicy`, saving a round trip; if someone attached a policy since, RAM's
/// `DeleteRole` refuses with `DeleteConflict.Role.Policy` and the error says so. A refusal is
/// never made on the snapshot alone: RAM is asked again first.
pub(super) async fn delete(
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
    let mut attachments = match Attachments::of(client, &role_name, &policy_name, snapshot).await {
        Ok(attachments) => attachments,
        Err(diags) => return diags,
    };
    if !force {
        let mut refusal = attachments.refusal(&role_name, &policy_name);
        if refusal.is_some() && attachments.recalled {
            // A snapshot can predate the refresh Terraform just made: for a resource removed
            // from the configuration, Terraform hands apply the private state from before that
            // refresh. Refusing is rare, so ask RAM itself before refusing on what it recalls.
            attachments = match Attachments::of(client, &role_name, &policy_name, None).await {
                Ok(attachments) => attachments,
                Err(diags) => return diags,
            };
            refusal = attachments.refusal(&role_name, &policy_name);
        }
        if let Some(refusal) = refusal {
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
    /// Whether any of it came from a snapshot rather than from RAM just now.
    recalled: bool,
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
            recalled: fresh.is_some(),
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
            .filter(|p| !is_our_role(p, role_name))
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
