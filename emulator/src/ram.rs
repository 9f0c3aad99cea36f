//! RAM (`Version=2015-05-01`) actions on roles, custom policies, policy versions and role
//! attachments, with RAM's response shapes, limits and error codes.

use serde_json::{json, Value};

use crate::clock::format_date;
use crate::error::ApiError;
use crate::ids;
use crate::model::{
    system_policy, Account, Attachment, Policy, PolicyType, PolicyVersion, Role,
    MAX_POLICY_VERSIONS, SYSTEM_POLICY_DATE,
};
use crate::store::Store;
use crate::tags;
use crate::validate::{self, DocumentKind};
use crate::wire::Params;

/// Most roles an account may hold.
pub const MAX_ROLES: usize = 1000;
/// Most custom policies an account may hold.
pub const MAX_POLICIES: usize = 1500;
/// Most custom / system policies attached to one role.
pub const MAX_ROLE_CUSTOM_POLICIES: usize = 5;
pub const MAX_ROLE_SYSTEM_POLICIES: usize = 20;

/// What every action handler receives.
pub struct Ctx<'a> {
    pub store: &'a Store,
    pub params: &'a Params,
    /// Unix seconds.
    pub now: i64,
}

impl Ctx<'_> {
    fn date(&self) -> String {
        format_date(self.now)
    }

    fn account_id(&self) -> &str {
        &self.store.settings().account_id
    }
}

/// Whether RAM implements `action`.
pub fn handles(action: &str) -> bool {
    ACTIONS.contains(&action)
}

const ACTIONS: &[&str] = &[
    "CreateRole",
    "GetRole",
    "UpdateRole",
    "DeleteRole",
    "ListRoles",
    "CreatePolicy",
    "GetPolicy",
    "UpdatePolicyDescription",
    "CreatePolicyVersion",
    "GetPolicyVersion",
    "ListPolicyVersions",
    "SetDefaultPolicyVersion",
    "DeletePolicyVersion",
    "DeletePolicy",
    "ListPolicies",
    "AttachPolicyToRole",
    "DetachPolicyFromRole",
    "ListPoliciesForRole",
    "ListEntitiesForPolicy",
    "TagResources",
    "UntagResources",
    "ListTagResources",
];

/// Runs a RAM action; the result is the response body without `RequestId`.
pub async fn dispatch(action: &str, ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    match action {
        "CreateRole" => create_role(ctx).await,
        "GetRole" => get_role(ctx),
        "UpdateRole" => update_role(ctx).await,
        "DeleteRole" => delete_role(ctx).await,
        "ListRoles" => list_roles(ctx),
        "CreatePolicy" => create_policy(ctx).await,
        "GetPolicy" => get_policy(ctx),
        "UpdatePolicyDescription" => update_policy_description(ctx).await,
        "CreatePolicyVersion" => create_policy_version(ctx).await,
        "GetPolicyVersion" => get_policy_version(ctx),
        "ListPolicyVersions" => list_policy_versions(ctx),
        "SetDefaultPolicyVersion" => set_default_policy_version(ctx).await,
        "DeletePolicyVersion" => delete_policy_version(ctx).await,
        "DeletePolicy" => delete_policy(ctx).await,
        "ListPolicies" => list_policies(ctx),
        "AttachPolicyToRole" => attach_policy_to_role(ctx).await,
        "DetachPolicyFromRole" => detach_policy_from_role(ctx).await,
        "ListPoliciesForRole" => list_policies_for_role(ctx),
        "ListEntitiesForPolicy" => list_entities_for_policy(ctx),
        "TagResources" => tags::tag_resources(ctx).await,
        "UntagResources" => tags::untag_resources(ctx).await,
        "ListTagResources" => tags::list_tag_resources(ctx),
        other => Err(ApiError::unknown_action(other)),
    }
}

// ---------------------------------------------------------------------------------------------
// Parameters and lookups

/// Roles are keyed case-insensitively.
pub fn role_key(name: &str) -> String {
    name.to_ascii_lowercase()
}

/// `acs:ram::<account>:role/<lower-cased name>`, as RAM spells role ARNs.
pub fn role_arn(account_id: &str, role_name: &str) -> String {
    format!("acs:ram::{account_id}:role/{}", role_key(role_name))
}

fn role_name_param<'a>(p: &'a Params, name: &str) -> Result<&'a str, ApiError> {
    let value = p.required(name)?;
    validate::role_name(name, value)?;
    Ok(value)
}

fn policy_name_param<'a>(p: &'a Params, name: &str) -> Result<&'a str, ApiError> {
    let value = p.required(name)?;
    validate::policy_name(name, value)?;
    Ok(value)
}

fn policy_type_param(p: &Params) -> Result<PolicyType, ApiError> {
    p.required("PolicyType")?.parse()
}

fn description_param<'a>(p: &'a Params, name: &str) -> Result<Option<&'a str>, ApiError> {
    let value = p.get(name);
    if let Some(text) = value {
        validate::description(name, text)?;
    }
    Ok(value)
}

fn duration_param(p: &Params, name: &str) -> Result<Option<u32>, ApiError> {
    p.integer(name)?
        .map(|v| validate::max_session_duration(name, v))
        .transpose()
}

fn version_id_param(p: &Params) -> Result<&str, ApiError> {
    let id = p.required("VersionId")?;
    let well_formed = id
        .strip_prefix('v')
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
    if !well_formed {
        return Err(ApiError::new(
            "InvalidParameter.VersionId.Format",
            "The format of the parameter - \"VersionId\" is incorrect.",
        ));
    }
    Ok(id)
}

fn role_not_found(name: &str) -> ApiError {
    ApiError::new(
        "EntityNotExist.Role",
        format!("The role does not exist: {name}."),
    )
}

fn policy_not_found(name: &str) -> ApiError {
    ApiError::new(
        "EntityNotExist.Policy",
        format!("The policy does not exist: {name}."),
    )
}

fn find_role<'a>(account: &'a Account, name: &str) -> Result<&'a Role, ApiError> {
    account
        .roles
        .get(&role_key(name))
        .ok_or_else(|| role_not_found(name))
}

fn find_custom<'a>(account: &'a Account, name: &str) -> Result<&'a Policy, ApiError> {
    account
        .policies
        .get(name)
        .ok_or_else(|| policy_not_found(name))
}

fn find_custom_mut<'a>(account: &'a mut Account, name: &str) -> Result<&'a mut Policy, ApiError> {
    account
        .policies
        .get_mut(name)
        .ok_or_else(|| policy_not_found(name))
}

fn attachment_count(account: &Account, policy_name: &str, policy_type: PolicyType) -> usize {
    account
        .attachments
        .iter()
        .filter(|a| a.policy_name == policy_name && a.policy_type == policy_type)
        .count()
}

fn is_attached(a: &Attachment, role: &str, policy: &str, policy_type: PolicyType) -> bool {
    role_key(&a.role_name) == role_key(role)
        && a.policy_name == policy
        && a.policy_type == policy_type
}

// ---------------------------------------------------------------------------------------------
// Response shapes

fn role_summary(role: &Role) -> Value {
    json!({
        "RoleId": role.role_id,
        "RoleName": role.role_name,
        "Arn": role.arn,
        "Description": role.description,
        "CreateDate": role.create_date,
        "UpdateDate": role.update_date,
        "MaxSessionDuration": role.max_session_duration,
    })
}

fn role_full(role: &Role) -> Value {
    let mut v = role_summary(role);
    v["AssumeRolePolicyDocument"] = json!(role.assume_role_policy_document);
    v
}

fn version_json(version: &PolicyVersion, default_version: &str) -> Value {
    json!({
        "VersionId": version.version_id,
        "IsDefaultVersion": version.version_id == default_version,
        "PolicyDocument": version.policy_document,
        "CreateDate": version.create_date,
    })
}

/// The policy fields shared by every policy-returning action (custom or system).
struct PolicyView {
    name: String,
    policy_type: PolicyType,
    description: String,
    default_version: PolicyVersion,
    create_date: String,
    update_date: String,
    attachment_count: usize,
}

impl PolicyView {
    fn custom(policy: &Policy, account: &Account) -> Result<Self, ApiError> {
        let default_version = policy
            .default_policy_version()
            .cloned()
            .ok_or_else(|| ApiError::new("InternalError", "The policy has no default version."))?;
        Ok(PolicyView {
            name: policy.policy_name.clone(),
            policy_type: PolicyType::Custom,
            description: policy.description.clone(),
            default_version,
            create_date: policy.create_date.clone(),
            update_date: policy.update_date.clone(),
            attachment_count: attachment_count(account, &policy.policy_name, PolicyType::Custom),
        })
    }

    fn lookup(account: &Account, name: &str, policy_type: PolicyType) -> Result<Self, ApiError> {
        match policy_type {
            PolicyType::Custom => Self::custom(find_custom(account, name)?, account),
            PolicyType::System => {
                let sys = system_policy(name).ok_or_else(|| policy_not_found(name))?;
                Ok(PolicyView {
                    name: sys.name.to_string(),
                    policy_type: PolicyType::System,
                    description: sys.description.to_string(),
                    default_version: PolicyVersion {
                        version_id: "v1".to_string(),
                        policy_document: sys.document.to_string(),
                        create_date: SYSTEM_POLICY_DATE.to_string(),
                    },
                    create_date: SYSTEM_POLICY_DATE.to_string(),
                    update_date: SYSTEM_POLICY_DATE.to_string(),
                    attachment_count: attachment_count(account, name, PolicyType::System),
                })
            }
        }
    }

    fn summary(&self) -> Value {
        json!({
            "PolicyName": self.name,
            "PolicyType": self.policy_type.as_str(),
            "Description": self.description,
            "DefaultVersion": self.default_version.version_id,
            "CreateDate": self.create_date,
            "UpdateDate": self.update_date,
            "AttachmentCount": self.attachment_count,
        })
    }

    fn versions(&self, account: &Account) -> Vec<PolicyVersion> {
        match self.policy_type {
            PolicyType::Custom => account
                .policies
                .get(&self.name)
                .map(|p| p.versions.clone())
                .unwrap_or_default(),
            PolicyType::System => vec![self.default_version.clone()],
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Roles

async fn create_role(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let p = ctx.params;
    let name = role_name_param(p, "RoleName")?;
    let trust = p.required("AssumeRolePolicyDocument")?;
    validate::policy_document("AssumeRolePolicyDocument", trust, DocumentKind::Trust)?;
    let description = description_param(p, "Description")?.unwrap_or_default();
    let duration = duration_param(p, "MaxSessionDuration")?.unwrap_or(3600);
    let tags = tags::tag_param(p)?;
    let date = ctx.date();
    let role = Role {
        role_id: ids::numeric_id(),
        role_name: name.to_string(),
        arn: role_arn(ctx.account_id(), name),
        description: description.to_string(),
        assume_role_policy_document: trust.to_string(),
        max_session_duration: duration,
        create_date: date.clone(),
        update_date: date,
        tags,
    };
    let created = ctx
        .store
        .write(|account| {
            if account.roles.contains_key(&role_key(name)) {
                return Err(ApiError::new(
                    "EntityAlreadyExists.Role",
                    format!("The role does already EXIST: {name}."),
                ));
            }
            if account.roles.len() >= MAX_ROLES {
                return Err(ApiError::new(
                    "LimitExceeded.Role",
                    "The count of roles beyond the current limits.",
                ));
            }
            account.roles.insert(role_key(name), role.clone());
            Ok(role)
        })
        .await?;
    let mut body = role_full(&created);
    if let Some(obj) = body.as_object_mut() {
        obj.remove("UpdateDate");
    }
    Ok(json!({ "Role": body }))
}

fn get_role(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let name = role_name_param(ctx.params, "RoleName")?;
    ctx.store
        .read(|account| find_role(account, name).map(|r| json!({ "Role": role_full(r) })))
}

async fn update_role(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let p = ctx.params;
    let name = role_name_param(p, "RoleName")?;
    let trust = p.non_empty("NewAssumeRolePolicyDocument");
    if let Some(doc) = trust {
        validate::policy_document("NewAssumeRolePolicyDocument", doc, DocumentKind::Trust)?;
    }
    let description = description_param(p, "NewDescription")?;
    let duration = duration_param(p, "NewMaxSessionDuration")?;
    let date = ctx.date();
    let updated = ctx
        .store
        .write(|account| {
            let role = account
                .roles
                .get_mut(&role_key(name))
                .ok_or_else(|| role_not_found(name))?;
            if let Some(doc) = trust {
                role.assume_role_policy_document = doc.to_string();
            }
            if let Some(text) = description {
                role.description = text.to_string();
            }
            if let Some(seconds) = duration {
                role.max_session_duration = seconds;
            }
            role.update_date = date;
            Ok(role.clone())
        })
        .await?;
    Ok(json!({ "Role": role_full(&updated) }))
}

async fn delete_role(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let name = role_name_param(ctx.params, "RoleName")?;
    ctx.store
        .write(|account| {
            find_role(account, name)?;
            let key = role_key(name);
            if account
                .attachments
                .iter()
                .any(|a| role_key(&a.role_name) == key)
            {
                return Err(ApiError::new(
                    "DeleteConflict.Role.Policy",
                    "The role CAN NOT has any attached policy while deleting the role.",
                ));
            }
            account.roles.remove(&key);
            Ok(json!({}))
        })
        .await
}

/// `Marker`/`MaxItems` paging over an ordered key space; the marker is the next key.
struct Page {
    marker: Option<String>,
    max_items: usize,
}

impl Page {
    fn from_params(p: &Params) -> Result<Self, ApiError> {
        let max_items = match p.integer("MaxItems")? {
            None => 100,
            Some(n) if (1..=1000).contains(&n) => usize::try_from(n).unwrap_or(100),
            Some(_) => {
                return Err(ApiError::new(
                    "InvalidParameter.MaxItems",
                    "The parameter - \"MaxItems\" must be in the range of 1 and 1000.",
                ))
            }
        };
        Ok(Page {
            marker: p.non_empty("Marker").map(str::to_string),
            max_items,
        })
    }

    /// Selects one page of `(key, item)` pairs; returns the items and the next marker.
    fn apply<T>(&self, items: impl Iterator<Item = (String, T)>) -> (Vec<T>, Option<String>) {
        let mut selected: Vec<(String, T)> = items
            .filter(|(k, _)| self.marker.as_ref().is_none_or(|m| k >= m))
            .take(self.max_items + 1)
            .collect();
        let next = if selected.len() > self.max_items {
            selected.pop().map(|(k, _)| k)
        } else {
            None
        };
        (selected.into_iter().map(|(_, v)| v).collect(), next)
    }
}

fn paged(list_key: &str, item_key: &str, items: Vec<Value>, next: Option<String>) -> Value {
    let mut body = json!({
        "IsTruncated": next.is_some(),
        list_key: { item_key: items },
    });
    if let Some(marker) = next {
        body["Marker"] = json!(marker);
    }
    body
}

fn list_roles(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let page = Page::from_params(ctx.params)?;
    let (items, next) = ctx.store.read(|account| {
        page.apply(
            account
                .roles
                .iter()
                .map(|(k, r)| (k.clone(), role_summary(r))),
        )
    });
    Ok(paged("Roles", "Role", items, next))
}

// ---------------------------------------------------------------------------------------------
// Policies and versions

async fn create_policy(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let p = ctx.params;
    let name = policy_name_param(p, "PolicyName")?;
    let document = p.required("PolicyDocument")?;
    validate::policy_document("PolicyDocument", document, DocumentKind::Permission)?;
    let description = description_param(p, "Description")?.unwrap_or_default();
    let tags = tags::tag_param(p)?;
    let date = ctx.date();
    let policy = Policy {
        policy_name: name.to_string(),
        description: description.to_string(),
        default_version: "v1".to_string(),
        create_date: date.clone(),
        update_date: date.clone(),
        versions: vec![PolicyVersion {
            version_id: "v1".to_string(),
            policy_document: document.to_string(),
            create_date: date,
        }],
        next_version: 2,
        tags,
    };
    let created = ctx
        .store
        .write(|account| {
            if account.policies.contains_key(name) {
                return Err(ApiError::new(
                    "EntityAlreadyExists.Policy",
                    format!("The policy does already EXIST: {name}."),
                ));
            }
            if account.policies.len() >= MAX_POLICIES {
                return Err(ApiError::new(
                    "LimitExceeded.Policy",
                    "The count of policy beyond the current limits.",
                ));
            }
            account.policies.insert(name.to_string(), policy.clone());
            Ok(policy)
        })
        .await?;
    Ok(json!({
        "Policy": {
            "PolicyName": created.policy_name,
            "PolicyType": "Custom",
            "Description": created.description,
            "DefaultVersion": created.default_version,
            "CreateDate": created.create_date,
        }
    }))
}

fn get_policy(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let policy_type = policy_type_param(ctx.params)?;
    let name = policy_name_param(ctx.params, "PolicyName")?;
    ctx.store.read(|account| {
        let view = PolicyView::lookup(account, name, policy_type)?;
        let mut policy = view.summary();
        policy["PolicyDocument"] = json!(view.default_version.policy_document);
        Ok(json!({
            "Policy": policy,
            "DefaultPolicyVersion": version_json(&view.default_version, &view.default_version.version_id),
        }))
    })
}

async fn update_policy_description(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let name = policy_name_param(ctx.params, "PolicyName")?;
    let description = description_param(ctx.params, "NewDescription")?.unwrap_or_default();
    let date = ctx.date();
    ctx.store
        .write(|account| {
            let policy = find_custom_mut(account, name)?;
            policy.description = description.to_string();
            policy.update_date = date;
            let policy = policy.clone();
            let mut summary = PolicyView::custom(&policy, account)?.summary();
            if let Some(obj) = summary.as_object_mut() {
                obj.remove("AttachmentCount");
            }
            Ok(json!({ "Policy": summary }))
        })
        .await
}

/// `RotateStrategy` of `CreatePolicyVersion`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RotateStrategy {
    None,
    DeleteOldestNonDefault,
}

fn rotate_param(p: &Params) -> Result<RotateStrategy, ApiError> {
    match p.non_empty("RotateStrategy") {
        None | Some("None") => Ok(RotateStrategy::None),
        Some("DeleteOldestNonDefaultVersionWhenLimitExceeded") => {
            Ok(RotateStrategy::DeleteOldestNonDefault)
        }
        Some(_) => Err(ApiError::new(
            "InvalidParameter.RotateStrategy",
            "The parameter - \"RotateStrategy\" must be None or DeleteOldestNonDefaultVersionWhenLimitExceeded.",
        )),
    }
}

/// Makes room for one more version, or fails with `LimitExceeded.Policy.Version`.
fn make_room(policy: &mut Policy, strategy: RotateStrategy) -> Result<(), ApiError> {
    if policy.versions.len() < MAX_POLICY_VERSIONS {
        return Ok(());
    }
    let oldest = policy
        .versions
        .iter()
        .position(|v| v.version_id != policy.default_version);
    match (strategy, oldest) {
        (RotateStrategy::DeleteOldestNonDefault, Some(index)) => {
            policy.versions.remove(index);
            Ok(())
        }
        _ => Err(ApiError::new(
            "LimitExceeded.Policy.Version",
            "The count of policy version beyond the current limits.",
        )),
    }
}

async fn create_policy_version(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let p = ctx.params;
    let name = policy_name_param(p, "PolicyName")?;
    let document = p.required("PolicyDocument")?;
    validate::policy_document("PolicyDocument", document, DocumentKind::Permission)?;
    let set_default = p.bool_or("SetAsDefault", false)?;
    let strategy = rotate_param(p)?;
    let date = ctx.date();
    ctx.store
        .write(|account| {
            let policy = find_custom_mut(account, name)?;
            make_room(policy, strategy)?;
            let version = PolicyVersion {
                version_id: format!("v{}", policy.next_version),
                policy_document: document.to_string(),
                create_date: date.clone(),
            };
            policy.next_version += 1;
            policy.versions.push(version.clone());
            if set_default {
                policy.default_version = version.version_id.clone();
            }
            policy.update_date = date;
            Ok(json!({ "PolicyVersion": version_json(&version, &policy.default_version) }))
        })
        .await
}

fn get_policy_version(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let policy_type = policy_type_param(ctx.params)?;
    let name = policy_name_param(ctx.params, "PolicyName")?;
    let version_id = version_id_param(ctx.params)?;
    ctx.store.read(|account| {
        let view = PolicyView::lookup(account, name, policy_type)?;
        let versions = view.versions(account);
        let version = versions
            .iter()
            .find(|v| v.version_id == version_id)
            .ok_or_else(version_not_found)?;
        Ok(json!({
            "PolicyVersion": version_json(version, &view.default_version.version_id)
        }))
    })
}

fn version_not_found() -> ApiError {
    ApiError::new(
        "EntityNotExist.Policy.Version",
        "The policy version does not exist.",
    )
}

fn list_policy_versions(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let policy_type = policy_type_param(ctx.params)?;
    let name = policy_name_param(ctx.params, "PolicyName")?;
    ctx.store.read(|account| {
        let view = PolicyView::lookup(account, name, policy_type)?;
        let versions: Vec<Value> = view
            .versions(account)
            .iter()
            .map(|v| version_json(v, &view.default_version.version_id))
            .collect();
        Ok(json!({ "PolicyVersions": { "PolicyVersion": versions } }))
    })
}

async fn set_default_policy_version(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let name = policy_name_param(ctx.params, "PolicyName")?;
    let version_id = version_id_param(ctx.params)?;
    let date = ctx.date();
    ctx.store
        .write(|account| {
            let policy = find_custom_mut(account, name)?;
            policy.version(version_id).ok_or_else(version_not_found)?;
            policy.default_version = version_id.to_string();
            policy.update_date = date;
            Ok(json!({}))
        })
        .await
}

async fn delete_policy_version(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let name = policy_name_param(ctx.params, "PolicyName")?;
    let version_id = version_id_param(ctx.params)?;
    ctx.store
        .write(|account| {
            let policy = find_custom_mut(account, name)?;
            policy.version(version_id).ok_or_else(version_not_found)?;
            if policy.default_version == version_id {
                return Err(ApiError::new(
                    "DeleteConflict.Policy.Version.Default",
                    "The default policy version CAN NOT been deleted directly.",
                ));
            }
            policy.versions.retain(|v| v.version_id != version_id);
            Ok(json!({}))
        })
        .await
}

async fn delete_policy(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let name = policy_name_param(ctx.params, "PolicyName")?;
    let cascade = ctx.params.bool_or("CascadingDelete", false)?;
    ctx.store
        .write(|account| {
            let policy = find_custom(account, name)?;
            let versions = policy.versions.len();
            let attached = attachment_count(account, name, PolicyType::Custom);
            if !cascade && attached > 0 {
                return Err(ApiError::new(
                    "DeleteConflict.Policy.Role",
                    "The policy CAN NOT been attached to any role while deleting the policy.",
                ));
            }
            if !cascade && versions > 1 {
                return Err(ApiError::new(
                    "DeleteConflict.Policy.Version",
                    "The policy CAN NOT has any version except the default version.",
                ));
            }
            account
                .attachments
                .retain(|a| !(a.policy_name == name && a.policy_type == PolicyType::Custom));
            account.policies.remove(name);
            Ok(json!({}))
        })
        .await
}

fn list_policies(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let page = Page::from_params(ctx.params)?;
    let filter = ctx
        .params
        .non_empty("PolicyType")
        .map(str::parse::<PolicyType>)
        .transpose()?;
    let (items, next) = ctx.store.read(|account| {
        let mut all: Vec<(String, Value)> = Vec::new();
        if filter != Some(PolicyType::Custom) {
            for sys in crate::model::SYSTEM_POLICIES {
                if let Ok(view) = PolicyView::lookup(account, sys.name, PolicyType::System) {
                    all.push((format!("System/{}", sys.name), view.summary()));
                }
            }
        }
        if filter != Some(PolicyType::System) {
            for policy in account.policies.values() {
                if let Ok(view) = PolicyView::custom(policy, account) {
                    all.push((format!("Custom/{}", policy.policy_name), view.summary()));
                }
            }
        }
        all.sort_by(|a, b| a.0.cmp(&b.0));
        page.apply(all.into_iter())
    });
    Ok(paged("Policies", "Policy", items, next))
}

// ---------------------------------------------------------------------------------------------
// Attachments

async fn attach_policy_to_role(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let policy_type = policy_type_param(ctx.params)?;
    let policy_name = policy_name_param(ctx.params, "PolicyName")?;
    let role_name = role_name_param(ctx.params, "RoleName")?;
    let date = ctx.date();
    ctx.store
        .write(|account| {
            let canonical_role = find_role(account, role_name)?.role_name.clone();
            PolicyView::lookup(account, policy_name, policy_type)?;
            if account
                .attachments
                .iter()
                .any(|a| is_attached(a, role_name, policy_name, policy_type))
            {
                return Err(ApiError::new(
                    "EntityAlreadyExists.Role.Policy",
                    "The role has already been attached this policy.",
                ));
            }
            let limit = match policy_type {
                PolicyType::Custom => MAX_ROLE_CUSTOM_POLICIES,
                PolicyType::System => MAX_ROLE_SYSTEM_POLICIES,
            };
            let key = role_key(role_name);
            let attached = account
                .attachments
                .iter()
                .filter(|a| role_key(&a.role_name) == key && a.policy_type == policy_type)
                .count();
            if attached >= limit {
                return Err(ApiError::new(
                    "LimitExceeded.Role.Policy",
                    "The count of policies attached to the role beyond the current limits.",
                ));
            }
            account.attachments.push(Attachment {
                role_name: canonical_role,
                policy_name: policy_name.to_string(),
                policy_type,
                attach_date: date,
            });
            Ok(json!({}))
        })
        .await
}

async fn detach_policy_from_role(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let policy_type = policy_type_param(ctx.params)?;
    let policy_name = policy_name_param(ctx.params, "PolicyName")?;
    let role_name = role_name_param(ctx.params, "RoleName")?;
    ctx.store
        .write(|account| {
            find_role(account, role_name)?;
            PolicyView::lookup(account, policy_name, policy_type)?;
            let before = account.attachments.len();
            account
                .attachments
                .retain(|a| !is_attached(a, role_name, policy_name, policy_type));
            if account.attachments.len() == before {
                return Err(ApiError::new(
                    "EntityNotExist.Role.Policy",
                    "The policy is not attached to the role.",
                ));
            }
            Ok(json!({}))
        })
        .await
}

fn list_policies_for_role(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let role_name = role_name_param(ctx.params, "RoleName")?;
    ctx.store.read(|account| {
        find_role(account, role_name)?;
        let key = role_key(role_name);
        let policies: Vec<Value> = account
            .attachments
            .iter()
            .filter(|a| role_key(&a.role_name) == key)
            .filter_map(|a| {
                let view = PolicyView::lookup(account, &a.policy_name, a.policy_type).ok()?;
                Some(json!({
                    "PolicyName": view.name,
                    "PolicyType": view.policy_type.as_str(),
                    "Description": view.description,
                    "DefaultVersion": view.default_version.version_id,
                    "AttachDate": a.attach_date,
                }))
            })
            .collect();
        Ok(json!({ "Policies": { "Policy": policies } }))
    })
}

fn list_entities_for_policy(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let policy_type = policy_type_param(ctx.params)?;
    let name = policy_name_param(ctx.params, "PolicyName")?;
    ctx.store.read(|account| {
        PolicyView::lookup(account, name, policy_type)?;
        let roles: Vec<Value> = account
            .attachments
            .iter()
            .filter(|a| a.policy_name == name && a.policy_type == policy_type)
            .filter_map(|a| {
                let role = account.roles.get(&role_key(&a.role_name))?;
                Some(json!({
                    "RoleId": role.role_id,
                    "RoleName": role.role_name,
                    "Arn": role.arn,
                    "Description": role.description,
                    "AttachDate": a.attach_date,
                }))
            })
            .collect();
        Ok(json!({
            "Groups": { "Group": [] },
            "Users": { "User": [] },
            "Roles": { "Role": roles },
        }))
    })
}
