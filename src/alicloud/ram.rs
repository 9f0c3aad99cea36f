//! Typed RAM (Resource Access Management, API 2015-05-01) operations: roles, policies, policy
//! versions, attachments and tags. One request struct (or plain key arguments) and one response struct
//! per action, with field names as Alibaba's API documents them.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::client::{Client, Params, Service};
use super::error::Error;
use super::lenient;

/// Whether a policy is Alibaba's (`System`) or the account's own (`Custom`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PolicyType {
    /// A policy managed by Alibaba Cloud.
    System,
    /// A policy the account created.
    #[default]
    Custom,
}

impl PolicyType {
    /// The wire spelling.
    pub fn as_str(&self) -> &'static str {
        match self {
            PolicyType::System => "System",
            PolicyType::Custom => "Custom",
        }
    }
}

impl std::fmt::Display for PolicyType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What `CreatePolicyVersion` does when the policy already has five versions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RotateStrategy {
    /// Fail with `LimitExceeded.Policy.Version`.
    #[default]
    None,
    /// Delete the oldest version that is not the default.
    DeleteOldestNonDefaultVersionWhenLimitExceeded,
}

impl RotateStrategy {
    /// The wire spelling.
    pub fn as_str(&self) -> &'static str {
        match self {
            RotateStrategy::None => "None",
            RotateStrategy::DeleteOldestNonDefaultVersionWhenLimitExceeded => {
                "DeleteOldestNonDefaultVersionWhenLimitExceeded"
            }
        }
    }
}

/// A RAM role.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub struct Role {
    /// The role's id.
    #[serde(deserialize_with = "lenient::string")]
    pub role_id: String,
    /// The role's name.
    #[serde(deserialize_with = "lenient::string")]
    pub role_name: String,
    /// `acs:ram::<account>:role/<name>` (lower-cased name).
    #[serde(deserialize_with = "lenient::string")]
    pub arn: String,
    /// The description.
    #[serde(deserialize_with = "lenient::string")]
    pub description: String,
    /// The trust policy JSON (absent from `ListRoles`).
    #[serde(deserialize_with = "lenient::string")]
    pub assume_role_policy_document: String,
    /// Creation time, ISO 8601.
    #[serde(deserialize_with = "lenient::string")]
    pub create_date: String,
    /// Last update time, ISO 8601.
    #[serde(deserialize_with = "lenient::string")]
    pub update_date: String,
    /// Maximum session duration in seconds (3600-43200).
    #[serde(deserialize_with = "lenient::opt_u64")]
    pub max_session_duration: Option<u64>,
}

/// A RAM policy.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub struct Policy {
    /// The policy's name.
    #[serde(deserialize_with = "lenient::string")]
    pub policy_name: String,
    /// `System` or `Custom`.
    #[serde(deserialize_with = "lenient::string")]
    pub policy_type: String,
    /// The description.
    #[serde(deserialize_with = "lenient::string")]
    pub description: String,
    /// The default version id (`v1`, `v2`, ...).
    #[serde(deserialize_with = "lenient::string")]
    pub default_version: String,
    /// Creation time.
    #[serde(deserialize_with = "lenient::string")]
    pub create_date: String,
    /// Last update time.
    #[serde(deserialize_with = "lenient::string")]
    pub update_date: String,
    /// How many identities the policy is attached to.
    #[serde(deserialize_with = "lenient::opt_u64")]
    pub attachment_count: Option<u64>,
    /// The default document, where the action returns it.
    #[serde(deserialize_with = "lenient::string")]
    pub policy_document: String,
}

/// One version of a policy.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub struct PolicyVersion {
    /// `v1`, `v2`, ...
    #[serde(deserialize_with = "lenient::string")]
    pub version_id: String,
    /// The policy JSON of this version.
    #[serde(deserialize_with = "lenient::string")]
    pub policy_document: String,
    /// Whether this is the default (effective) version.
    #[serde(deserialize_with = "lenient::bool")]
    pub is_default_version: bool,
    /// Creation time.
    #[serde(deserialize_with = "lenient::string")]
    pub create_date: String,
}

/// A policy attached to a role (`ListPoliciesForRole`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub struct AttachedPolicy {
    /// The policy's name.
    #[serde(deserialize_with = "lenient::string")]
    pub policy_name: String,
    /// `System` or `Custom`.
    #[serde(deserialize_with = "lenient::string")]
    pub policy_type: String,
    /// The description.
    #[serde(deserialize_with = "lenient::string")]
    pub description: String,
    /// The default version id.
    #[serde(deserialize_with = "lenient::string")]
    pub default_version: String,
    /// When it was attached.
    #[serde(deserialize_with = "lenient::string")]
    pub attach_date: String,
}

/// A role a policy is attached to (`ListEntitiesForPolicy`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub struct AttachedRole {
    /// The role's name.
    #[serde(deserialize_with = "lenient::string")]
    pub role_name: String,
    /// The role's id.
    #[serde(deserialize_with = "lenient::string")]
    pub role_id: String,
    /// The role's ARN.
    #[serde(deserialize_with = "lenient::string")]
    pub arn: String,
    /// The description.
    #[serde(deserialize_with = "lenient::string")]
    pub description: String,
    /// When it was attached.
    #[serde(deserialize_with = "lenient::string")]
    pub attach_date: String,
}

/// A user a policy is attached to.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub struct AttachedUser {
    /// The user's name.
    #[serde(deserialize_with = "lenient::string")]
    pub user_name: String,
    /// The user's id.
    #[serde(deserialize_with = "lenient::string")]
    pub user_id: String,
    /// The display name.
    #[serde(deserialize_with = "lenient::string")]
    pub display_name: String,
    /// When it was attached.
    #[serde(deserialize_with = "lenient::string")]
    pub attach_date: String,
}

/// A group a policy is attached to.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub struct AttachedGroup {
    /// The group's name.
    #[serde(deserialize_with = "lenient::string")]
    pub group_name: String,
    /// The group's comments.
    #[serde(deserialize_with = "lenient::string")]
    pub comments: String,
    /// When it was attached.
    #[serde(deserialize_with = "lenient::string")]
    pub attach_date: String,
}

/// Something a policy can be attached to.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, Deserialize)]
pub enum Principal {
    Role(String),
    User(String),
    Group(String),
}

impl std::fmt::Display for Principal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Principal::Role(name) => write!(f, "role {name:?}"),
            Principal::User(name) => write!(f, "user {name:?}"),
            Principal::Group(name) => write!(f, "group {name:?}"),
        }
    }
}

impl ListEntitiesForPolicyResponse {
    /// Every principal the policy is attached to.
    pub fn principals(&self) -> Vec<Principal> {
        let roles = self
            .roles
            .iter()
            .map(|r| Principal::Role(r.role_name.clone()));
        let users = self
            .users
            .iter()
            .map(|u| Principal::User(u.user_name.clone()));
        let groups = self
            .groups
            .iter()
            .map(|g| Principal::Group(g.group_name.clone()));
        roles.chain(users).chain(groups).collect()
    }
}

/// `CreateRole` input.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CreateRoleRequest {
    /// 1-64 of `A-Za-z0-9.-`.
    pub role_name: String,
    /// The trust policy JSON.
    pub assume_role_policy_document: String,
    /// Optional description (at most 1024 characters).
    pub description: Option<String>,
    /// Optional maximum session duration (3600-43200 s).
    pub max_session_duration: Option<u64>,
    /// Tags to create the role with (sent as the JSON `Tag` parameter when non-empty).
    pub tags: BTreeMap<String, String>,
}

/// `UpdateRole` input: only the fields that are `Some` change.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UpdateRoleRequest {
    /// The role to change.
    pub role_name: String,
    /// A new trust policy.
    pub new_assume_role_policy_document: Option<String>,
    /// A new description.
    pub new_description: Option<String>,
    /// A new maximum session duration.
    pub new_max_session_duration: Option<u64>,
}

/// `CreatePolicy` input (always a custom policy).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CreatePolicyRequest {
    /// 1-128 of `A-Za-z0-9-`.
    pub policy_name: String,
    /// The policy JSON.
    pub policy_document: String,
    /// Optional description.
    pub description: Option<String>,
    /// Tags to create the policy with (sent as the JSON `Tag` parameter when non-empty).
    pub tags: BTreeMap<String, String>,
}

/// `CreatePolicyVersion` input.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CreatePolicyVersionRequest {
    /// The custom policy to add a version to.
    pub policy_name: String,
    /// The new document.
    pub policy_document: String,
    /// Make the new version the default.
    pub set_as_default: bool,
    /// What to do at the five-version limit.
    pub rotate_strategy: RotateStrategy,
}

/// `ListRoles` input (one page).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListRolesRequest {
    /// The marker of the previous page, if any.
    pub marker: Option<String>,
    /// Page size (1-1000).
    pub max_items: Option<u32>,
}

/// An answer that carries only its request id.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub struct Ack {
    /// The request id.
    #[serde(deserialize_with = "lenient::string")]
    pub request_id: String,
}

/// An answer carrying one role (`CreateRole`, `GetRole`, `UpdateRole`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub struct RoleResponse {
    /// The request id.
    #[serde(deserialize_with = "lenient::string")]
    pub request_id: String,
    /// The role.
    pub role: Role,
}

/// One page of `ListRoles`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(from = "RawListRoles")]
pub struct ListRolesResponse {
    /// The request id.
    pub request_id: String,
    /// Whether more pages follow.
    pub is_truncated: bool,
    /// The marker for the next page.
    pub marker: String,
    /// The roles of this page.
    pub roles: Vec<Role>,
}

/// An answer carrying one policy (`CreatePolicy`, `UpdatePolicyDescription`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub struct PolicyResponse {
    /// The request id.
    #[serde(deserialize_with = "lenient::string")]
    pub request_id: String,
    /// The policy.
    pub policy: Policy,
}

/// `GetPolicy`: the policy and its default version.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub struct GetPolicyResponse {
    /// The request id.
    #[serde(deserialize_with = "lenient::string")]
    pub request_id: String,
    /// The policy.
    pub policy: Policy,
    /// The default version, with its document.
    pub default_policy_version: Option<PolicyVersion>,
}

impl GetPolicyResponse {
    /// The default document: from `DefaultPolicyVersion`, else the policy's own field.
    pub fn default_document(&self) -> &str {
        match &self.default_policy_version {
            Some(v) if !v.policy_document.is_empty() => &v.policy_document,
            _ => &self.policy.policy_document,
        }
    }
}

/// An answer carrying one policy version (`CreatePolicyVersion`, `GetPolicyVersion`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub struct PolicyVersionResponse {
    /// The request id.
    #[serde(deserialize_with = "lenient::string")]
    pub request_id: String,
    /// The version.
    pub policy_version: PolicyVersion,
}

/// `ListPolicyVersions`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(from = "RawListPolicyVersions")]
pub struct ListPolicyVersionsResponse {
    /// The request id.
    pub request_id: String,
    /// Every version of the policy.
    pub policy_versions: Vec<PolicyVersion>,
}

/// `ListPoliciesForRole`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(from = "RawListPoliciesForRole")]
pub struct ListPoliciesForRoleResponse {
    /// The request id.
    pub request_id: String,
    /// The policies attached to the role.
    pub policies: Vec<AttachedPolicy>,
}

/// `ListEntitiesForPolicy`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(from = "RawListEntitiesForPolicy")]
pub struct ListEntitiesForPolicyResponse {
    /// The request id.
    pub request_id: String,
    /// Roles the policy is attached to.
    pub roles: Vec<AttachedRole>,
    /// Users the policy is attached to.
    pub users: Vec<AttachedUser>,
    /// Groups the policy is attached to.
    pub groups: Vec<AttachedGroup>,
}

#[derive(Deserialize)]
#[serde(default, bound(deserialize = "T: Deserialize<'de>"))]
struct Items<T> {
    #[serde(
        alias = "Role",
        alias = "Policy",
        alias = "PolicyVersion",
        alias = "User",
        alias = "Group"
    )]
    #[serde(deserialize_with = "lenient::list")]
    items: Vec<T>,
}

impl<T> Default for Items<T> {
    fn default() -> Self {
        Items { items: Vec::new() }
    }
}

#[derive(Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
struct RawListRoles {
    #[serde(deserialize_with = "lenient::string")]
    request_id: String,
    #[serde(deserialize_with = "lenient::bool")]
    is_truncated: bool,
    #[serde(deserialize_with = "lenient::string")]
    marker: String,
    roles: Option<Items<Role>>,
}

impl From<RawListRoles> for ListRolesResponse {
    fn from(raw: RawListRoles) -> Self {
        ListRolesResponse {
            request_id: raw.request_id,
            is_truncated: raw.is_truncated,
            marker: raw.marker,
            roles: raw.roles.map(|r| r.items).unwrap_or_default(),
        }
    }
}

#[derive(Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
struct RawListPolicyVersions {
    #[serde(deserialize_with = "lenient::string")]
    request_id: String,
    policy_versions: Option<Items<PolicyVersion>>,
}

impl From<RawListPolicyVersions> for ListPolicyVersionsResponse {
    fn from(raw: RawListPolicyVersions) -> Self {
        ListPolicyVersionsResponse {
            request_id: raw.request_id,
            policy_versions: raw.policy_versions.map(|r| r.items).unwrap_or_default(),
        }
    }
}

#[derive(Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
struct RawListPoliciesForRole {
    #[serde(deserialize_with = "lenient::string")]
    request_id: String,
    policies: Option<Items<AttachedPolicy>>,
}

impl From<RawListPoliciesForRole> for ListPoliciesForRoleResponse {
    fn from(raw: RawListPoliciesForRole) -> Self {
        ListPoliciesForRoleResponse {
            request_id: raw.request_id,
            policies: raw.policies.map(|r| r.items).unwrap_or_default(),
        }
    }
}

#[derive(Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
struct RawListEntitiesForPolicy {
    #[serde(deserialize_with = "lenient::string")]
    request_id: String,
    roles: Option<Items<AttachedRole>>,
    users: Option<Items<AttachedUser>>,
    groups: Option<Items<AttachedGroup>>,
}

impl From<RawListEntitiesForPolicy> for ListEntitiesForPolicyResponse {
    fn from(raw: RawListEntitiesForPolicy) -> Self {
        ListEntitiesForPolicyResponse {
            request_id: raw.request_id,
            roles: raw.roles.map(|r| r.items).unwrap_or_default(),
            users: raw.users.map(|r| r.items).unwrap_or_default(),
            groups: raw.groups.map(|r| r.items).unwrap_or_default(),
        }
    }
}

/// The kinds of RAM resource that carry tags.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaggedResource {
    /// A RAM role.
    Role,
    /// A custom policy.
    Policy,
}

impl TaggedResource {
    /// The wire spelling of `ResourceType`.
    pub fn as_str(&self) -> &'static str {
        match self {
            TaggedResource::Role => "role",
            TaggedResource::Policy => "policy",
        }
    }
}

/// One tag, as RAM's JSON `Tag` parameter spells it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
struct WireTag<'a> {
    key: &'a str,
    value: &'a str,
}

/// `Tag=[{"Key":..,"Value":..}]`, RAM's JSON form of a tag list.
fn tags_json(tags: &BTreeMap<String, String>) -> String {
    let wire: Vec<WireTag<'_>> = tags
        .iter()
        .map(|(key, value)| WireTag { key, value })
        .collect();
    serde_json::to_string(&wire).unwrap_or_else(|_| "[]".to_string())
}

fn json_list<S: Serialize>(items: &[S]) -> String {
    serde_json::to_string(items).unwrap_or_else(|_| "[]".to_string())
}

/// One tag of one resource, as `ListTagResources` reports it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub struct TagResource {
    /// `role` or `policy`.
    #[serde(deserialize_with = "lenient::string")]
    pub resource_type: String,
    /// The resource's name.
    #[serde(deserialize_with = "lenient::string")]
    pub resource_name: String,
    /// The tag key.
    #[serde(deserialize_with = "lenient::string")]
    pub tag_key: String,
    /// The tag value.
    #[serde(deserialize_with = "lenient::string")]
    pub tag_value: String,
}

/// One page of `ListTagResources`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub struct ListTagResourcesResponse {
    /// The request id.
    #[serde(deserialize_with = "lenient::string")]
    pub request_id: String,
    /// Present when more pages follow.
    #[serde(deserialize_with = "lenient::string")]
    pub next_token: String,
    /// The tags of this page.
    #[serde(deserialize_with = "tag_resource_list")]
    pub tag_resources: Vec<TagResource>,
}

/// RAM answers a bare list; RPC JSON habits would wrap it as `{"TagResource": [...]}`. Accept both.
fn tag_resource_list<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<TagResource>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Shape {
        List(Vec<TagResource>),
        Wrapped {
            #[serde(rename = "TagResource", default)]
            items: Vec<TagResource>,
        },
        Other(serde::de::IgnoredAny),
    }
    Ok(match Shape::deserialize(d)? {
        Shape::List(items) | Shape::Wrapped { items } => items,
        Shape::Other(_) => Vec::new(),
    })
}

fn policy_key(policy_type: PolicyType, policy_name: &str) -> Params {
    Params::new()
        .set("PolicyType", policy_type)
        .set("PolicyName", policy_name)
}

/// RAM actions.
impl Client {
    /// `CreateRole`.
    pub async fn create_role(&self, req: &CreateRoleRequest) -> Result<RoleResponse, Error> {
        let params = Params::new()
            .set("RoleName", &req.role_name)
            .set("AssumeRolePolicyDocument", &req.assume_role_policy_document)
            .set_opt("Description", req.description.as_ref())
            .set_opt("MaxSessionDuration", req.max_session_duration)
            .set_opt("Tag", (!req.tags.is_empty()).then(|| tags_json(&req.tags)));
        self.call(Service::Ram, "CreateRole", params).await
    }

    /// `GetRole`.
    pub async fn get_role(&self, role_name: &str) -> Result<RoleResponse, Error> {
        let params = Params::new().set("RoleName", role_name);
        self.call(Service::Ram, "GetRole", params).await
    }

    /// `UpdateRole`.
    pub async fn update_role(&self, req: &UpdateRoleRequest) -> Result<RoleResponse, Error> {
        let params = Params::new()
            .set("RoleName", &req.role_name)
            .set_opt(
                "NewAssumeRolePolicyDocument",
                req.new_assume_role_policy_document.as_ref(),
            )
            .set_opt("NewDescription", req.new_description.as_ref())
            .set_opt("NewMaxSessionDuration", req.new_max_session_duration);
        self.call(Service::Ram, "UpdateRole", params).await
    }

    /// `DeleteRole` (fails with `DeleteConflict.Role.Policy` while policies are attached).
    pub async fn delete_role(&self, role_name: &str) -> Result<Ack, Error> {
        let params = Params::new().set("RoleName", role_name);
        self.call(Service::Ram, "DeleteRole", params).await
    }

    /// `ListRoles`, one page.
    pub async fn list_roles(&self, req: &ListRolesRequest) -> Result<ListRolesResponse, Error> {
        let params = Params::new()
            .set_opt("Marker", req.marker.as_ref())
            .set_opt("MaxItems", req.max_items);
        self.call(Service::Ram, "ListRoles", params).await
    }

    /// `CreatePolicy` (a custom policy; its first version is `v1`).
    pub async fn create_policy(&self, req: &CreatePolicyRequest) -> Result<PolicyResponse, Error> {
        let params = Params::new()
            .set("PolicyName", &req.policy_name)
            .set("PolicyDocument", &req.policy_document)
            .set_opt("Description", req.description.as_ref())
            .set_opt("Tag", (!req.tags.is_empty()).then(|| tags_json(&req.tags)));
        self.call(Service::Ram, "CreatePolicy", params).await
    }

    /// `GetPolicy`.
    pub async fn get_policy(
        &self,
        policy_type: PolicyType,
        policy_name: &str,
    ) -> Result<GetPolicyResponse, Error> {
        self.call(
            Service::Ram,
            "GetPolicy",
            policy_key(policy_type, policy_name),
        )
        .await
    }

    /// `UpdatePolicyDescription`.
    pub async fn update_policy_description(
        &self,
        policy_name: &str,
        new_description: &str,
    ) -> Result<PolicyResponse, Error> {
        let params = Params::new()
            .set("PolicyName", policy_name)
            .set("NewDescription", new_description);
        self.call(Service::Ram, "UpdatePolicyDescription", params)
            .await
    }

    /// `CreatePolicyVersion`.
    pub async fn create_policy_version(
        &self,
        req: &CreatePolicyVersionRequest,
    ) -> Result<PolicyVersionResponse, Error> {
        let params = Params::new()
            .set("PolicyName", &req.policy_name)
            .set("PolicyDocument", &req.policy_document)
            .set("SetAsDefault", req.set_as_default)
            .set("RotateStrategy", req.rotate_strategy.as_str());
        self.call(Service::Ram, "CreatePolicyVersion", params).await
    }

    /// `GetPolicyVersion`.
    pub async fn get_policy_version(
        &self,
        policy_type: PolicyType,
        policy_name: &str,
        version_id: &str,
    ) -> Result<PolicyVersionResponse, Error> {
        let params = policy_key(policy_type, policy_name).set("VersionId", version_id);
        self.call(Service::Ram, "GetPolicyVersion", params).await
    }

    /// `ListPolicyVersions`.
    pub async fn list_policy_versions(
        &self,
        policy_type: PolicyType,
        policy_name: &str,
    ) -> Result<ListPolicyVersionsResponse, Error> {
        self.call(
            Service::Ram,
            "ListPolicyVersions",
            policy_key(policy_type, policy_name),
        )
        .await
    }

    /// `SetDefaultPolicyVersion`.
    pub async fn set_default_policy_version(
        &self,
        policy_name: &str,
        version_id: &str,
    ) -> Result<Ack, Error> {
        let params = Params::new()
            .set("PolicyName", policy_name)
            .set("VersionId", version_id);
        self.call(Service::Ram, "SetDefaultPolicyVersion", params)
            .await
    }

    /// `DeletePolicyVersion` (not the default version).
    pub async fn delete_policy_version(
        &self,
        policy_name: &str,
        version_id: &str,
    ) -> Result<Ack, Error> {
        let params = Params::new()
            .set("PolicyName", policy_name)
            .set("VersionId", version_id);
        self.call(Service::Ram, "DeletePolicyVersion", params).await
    }

    /// `DeletePolicy`; with `cascading_delete` it also detaches the policy and deletes its
    /// non-default versions.
    pub async fn delete_policy(
        &self,
        policy_name: &str,
        cascading_delete: bool,
    ) -> Result<Ack, Error> {
        let params = Params::new()
            .set("PolicyName", policy_name)
            .set("CascadingDelete", cascading_delete);
        self.call(Service::Ram, "DeletePolicy", params).await
    }

    /// `AttachPolicyToRole`.
    pub async fn attach_policy_to_role(
        &self,
        policy_type: PolicyType,
        policy_name: &str,
        role_name: &str,
    ) -> Result<Ack, Error> {
        let params = policy_key(policy_type, policy_name).set("RoleName", role_name);
        self.call(Service::Ram, "AttachPolicyToRole", params).await
    }

    /// `DetachPolicyFromRole`.
    pub async fn detach_policy_from_role(
        &self,
        policy_type: PolicyType,
        policy_name: &str,
        role_name: &str,
    ) -> Result<Ack, Error> {
        let params = policy_key(policy_type, policy_name).set("RoleName", role_name);
        self.call(Service::Ram, "DetachPolicyFromRole", params)
            .await
    }

    /// `DetachPolicyFromRole`, `DetachPolicyFromUser` or `DetachPolicyFromGroup`.
    pub async fn detach_policy_from(
        &self,
        policy_type: PolicyType,
        policy_name: &str,
        principal: &Principal,
    ) -> Result<Ack, Error> {
        let key = policy_key(policy_type, policy_name);
        let (action, params) = match principal {
            Principal::Role(name) => ("DetachPolicyFromRole", key.set("RoleName", name.as_str())),
            Principal::User(name) => ("DetachPolicyFromUser", key.set("UserName", name.as_str())),
            Principal::Group(name) => {
                ("DetachPolicyFromGroup", key.set("GroupName", name.as_str()))
            }
        };
        self.call(Service::Ram, action, params).await
    }

    /// `ListPoliciesForRole`.
    pub async fn list_policies_for_role(
        &self,
        role_name: &str,
    ) -> Result<ListPoliciesForRoleResponse, Error> {
        let params = Params::new().set("RoleName", role_name);
        self.call(Service::Ram, "ListPoliciesForRole", params).await
    }

    /// `ListEntitiesForPolicy`.
    pub async fn list_entities_for_policy(
        &self,
        policy_type: PolicyType,
        policy_name: &str,
    ) -> Result<ListEntitiesForPolicyResponse, Error> {
        self.call(
            Service::Ram,
            "ListEntitiesForPolicy",
            policy_key(policy_type, policy_name),
        )
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse<T: serde::de::DeserializeOwned>(json: &str) -> T {
        match serde_json::from_str(json) {
            Ok(v) => v,
            Err(e) => panic!("parse failed: {e}"),
        }
    }

    #[test]
    fn role_response_shape() {
        let r: RoleResponse = parse(
            r#"{"RequestId":"04F0F334-1335-436C-A1D7-6C044FE73368","Role":{
                "RoleId":"901234567890****","RoleName":"ECSAdmin",
                "Arn":"acs:ram::123456789012****:role/ECSAdmin","Description":"d",
                "AssumeRolePolicyDocument":"{}","CreateDate":"2015-01-23T12:33:18Z",
                "UpdateDate":"2015-01-23T12:33:18Z","MaxSessionDuration":"3600"}}"#,
        );
        assert_eq!(r.role.role_name, "ECSAdmin");
        assert_eq!(r.role.arn, "acs:ram::123456789012****:role/ECSAdmin");
        assert_eq!(r.role.max_session_duration, Some(3600));
        assert_eq!(r.request_id, "04F0F334-1335-436C-A1D7-6C044FE73368");
    }

    #[test]
    fn get_policy_shape() {
        let r: GetPolicyResponse = parse(
            r#"{"RequestId":"R","Policy":{"PolicyName":"P","PolicyType":"Custom","Description":"",
                "DefaultVersion":"v2","CreateDate":"x","UpdateDate":"y","AttachmentCount":1},
               "DefaultPolicyVersion":{"VersionId":"v2","IsDefaultVersion":true,
                "PolicyDocument":"{\"Version\":\"1\"}","CreateDate":"z"}}"#,
        );
        assert_eq!(r.policy.default_version, "v2");
        assert_eq!(r.policy.attachment_count, Some(1));
        assert_eq!(r.default_document(), r#"{"Version":"1"}"#);
        let v = r
            .default_policy_version
            .as_ref()
            .map(|v| v.is_default_version);
        assert_eq!(v, Some(true));
    }

    #[test]
    fn list_shapes() {
        let p: ListPoliciesForRoleResponse = parse(
            r#"{"RequestId":"R","Policies":{"Policy":[{"PolicyName":"A","PolicyType":"Custom",
                "DefaultVersion":"v1","AttachDate":"d"},{"PolicyName":"B","PolicyType":"System"}]}}"#,
        );
        assert_eq!(p.policies.len(), 2);
        assert_eq!(p.policies[1].policy_type, "System");
        let empty: ListPoliciesForRoleResponse =
            parse(r#"{"RequestId":"R","Policies":{"Policy":[]}}"#);
        assert!(empty.policies.is_empty());
        let bare: ListPoliciesForRoleResponse = parse(r#"{"RequestId":"R","Policies":{}}"#);
        assert!(bare.policies.is_empty());
        let v: ListPolicyVersionsResponse = parse(
            r#"{"PolicyVersions":{"PolicyVersion":[{"VersionId":"v1","IsDefaultVersion":"false"},
                {"VersionId":"v2","IsDefaultVersion":true}]}}"#,
        );
        assert_eq!(v.policy_versions.len(), 2);
        assert!(!v.policy_versions[0].is_default_version);
        let e: ListEntitiesForPolicyResponse = parse(
            r#"{"Groups":{"Group":[]},"Users":{"User":[{"UserName":"u"}]},
                "Roles":{"Role":[{"RoleName":"r","Arn":"a","AttachDate":"d"}]}}"#,
        );
        assert_eq!(e.roles[0].role_name, "r");
        assert_eq!(e.users[0].user_name, "u");
        assert!(e.groups.is_empty());
        let roles: ListRolesResponse = parse(
            r#"{"IsTruncated":true,"Marker":"m","Roles":{"Role":[{"RoleName":"a","MaxSessionDuration":7200}]}}"#,
        );
        assert!(roles.is_truncated);
        assert_eq!(roles.marker, "m");
        assert_eq!(roles.roles[0].max_session_duration, Some(7200));
    }

    #[test]
    fn wire_spellings() {
        assert_eq!(PolicyType::Custom.as_str(), "Custom");
        assert_eq!(PolicyType::System.to_string(), "System");
        assert_eq!(
            RotateStrategy::DeleteOldestNonDefaultVersionWhenLimitExceeded.as_str(),
            "DeleteOldestNonDefaultVersionWhenLimitExceeded"
        );
    }
}

/// RAM tag actions.
impl Client {
    /// `TagResources`: adds or overwrites `tags` on the named resources of one type.
    pub async fn tag_resources(
        &self,
        resource_type: TaggedResource,
        names: &[&str],
        tags: &BTreeMap<String, String>,
    ) -> Result<Ack, Error> {
        let params = Params::new()
            .set("ResourceType", resource_type.as_str())
            .set("ResourceNames", json_list(names))
            .set("Tag", tags_json(tags));
        self.call(Service::Ram, "TagResources", params).await
    }

    /// `UntagResources`: removes the tag keys from the named resources of one type.
    pub async fn untag_resources(
        &self,
        resource_type: TaggedResource,
        names: &[&str],
        keys: &[&str],
    ) -> Result<Ack, Error> {
        let params = Params::new()
            .set("ResourceType", resource_type.as_str())
            .set("ResourceNames", json_list(names))
            .set("TagKeys", json_list(keys));
        self.call(Service::Ram, "UntagResources", params).await
    }

    /// `ListTagResources` for one resource, every page: its tags as a map.
    pub async fn list_tags(
        &self,
        resource_type: TaggedResource,
        name: &str,
    ) -> Result<BTreeMap<String, String>, Error> {
        let mut tags = BTreeMap::new();
        let mut next_token = String::new();
        // RAM allows 20 tags per resource; the page bound only guards against a looping server.
        for _ in 0..100 {
            let params = Params::new()
                .set("ResourceType", resource_type.as_str())
                .set("ResourceNames", json_list(&[name]))
                .set_opt("NextToken", (!next_token.is_empty()).then_some(&next_token));
            let page: ListTagResourcesResponse =
                self.call(Service::Ram, "ListTagResources", params).await?;
            tags.extend(
                page.tag_resources
                    .into_iter()
                    .filter(|t| t.resource_name.eq_ignore_ascii_case(name))
                    .map(|t| (t.tag_key, t.tag_value)),
            );
            if page.next_token.is_empty() || page.next_token == next_token {
                break;
            }
            next_token = page.next_token;
        }
        Ok(tags)
    }
}

#[cfg(test)]
mod tag_tests {
    use super::*;

    #[test]
    fn tags_travel_as_a_json_list() {
        let tags = BTreeMap::from([("env".to_string(), "prod".to_string())]);
        assert_eq!(tags_json(&tags), r#"[{"Key":"env","Value":"prod"}]"#);
        assert_eq!(json_list(&["a", "b"]), r#"["a","b"]"#);
    }

    #[test]
    fn list_tag_resources_accepts_both_shapes() {
        let bare: ListTagResourcesResponse = serde_json::from_str(
            r#"{"RequestId":"r","TagResources":[{"ResourceType":"role","ResourceName":"R","TagKey":"k","TagValue":"v"}]}"#,
        )
        .unwrap();
        assert_eq!(bare.tag_resources.len(), 1);
        let wrapped: ListTagResourcesResponse = serde_json::from_str(
            r#"{"RequestId":"r","NextToken":"n","TagResources":{"TagResource":[{"TagKey":"k","TagValue":"v"}]}}"#,
        )
        .unwrap();
        assert_eq!(wrapped.tag_resources[0].tag_value, "v");
        assert_eq!(wrapped.next_token, "n");
    }
}
