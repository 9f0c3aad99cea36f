//! RAM roles: `CreateRole`, `GetRole`, `UpdateRole`, `DeleteRole`, `ListRoles`.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::tags::tags_json;
use super::{Ack, Items};
use crate::alicloud::client::{Client, Params, Service};
use crate::alicloud::error::Error;
use crate::alicloud::lenient;

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

/// `ListRoles` input (one page).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListRolesRequest {
    /// The marker of the previous page, if any.
    pub marker: Option<String>,
    /// Page size (1-1000).
    pub max_items: Option<u32>,
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

/// RAM role actions.
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
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alicloud::ram::test_support::parse;

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
    fn list_shapes_of_roles() {
        let roles: ListRolesResponse = parse(
            r#"{"IsTruncated":true,"Marker":"m","Roles":{"Role":[{"RoleName":"a","MaxSessionDuration":7200}]}}"#,
        );
        assert!(roles.is_truncated);
        assert_eq!(roles.marker, "m");
        assert_eq!(roles.roles[0].max_session_duration, Some(7200));
    }
}
