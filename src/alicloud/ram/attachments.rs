//! Policy attachments: `AttachPolicyToRole`, `DetachPolicyFrom{Role,User,Group}`,
//! `ListPoliciesForRole`, `ListEntitiesForPolicy`.

use serde::Deserialize;

use super::policies::{policy_key, PolicyType};
use super::{Ack, Items};
use crate::alicloud::client::{Client, Params, Service};
use crate::alicloud::error::Error;
use crate::alicloud::lenient;

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
    pub(crate) fn principals(&self) -> Vec<Principal> {
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

/// RAM attachment actions.
impl Client {
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
    pub(crate) async fn detach_policy_from(
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
    use crate::alicloud::ram::test_support::parse;

    #[test]
    fn list_shapes_of_attachments() {
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
        let e: ListEntitiesForPolicyResponse = parse(
            r#"{"Groups":{"Group":[]},"Users":{"User":[{"UserName":"u"}]},
                "Roles":{"Role":[{"RoleName":"r","Arn":"a","AttachDate":"d"}]}}"#,
        );
        assert_eq!(e.roles[0].role_name, "r");
        assert_eq!(e.users[0].user_name, "u");
        assert!(e.groups.is_empty());
    }
}
