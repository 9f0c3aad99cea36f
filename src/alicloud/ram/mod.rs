//! Typed RAM (Resource Access Management, API 2015-05-01) operations, one submodule per kind of
//! object: roles, policies (with their versions), attachments and tags. One request struct (or
//! plain key arguments) and one response struct per action, with field names as Alibaba's API
//! documents them; each action is an async method of [`Client`](crate::alicloud::Client).

mod attachments;
mod policies;
mod roles;
mod tags;

/// What the unit tests of every RAM part share.
#[cfg(test)]
mod test_support {
    /// An answer RAM might send, decoded; a test that feeds a malformed one fails here.
    pub(super) fn parse<T: serde::de::DeserializeOwned>(json: &str) -> T {
        match serde_json::from_str(json) {
            Ok(v) => v,
            Err(e) => panic!("parse failed: {e}"),
        }
    }
}

use serde::Deserialize;

use super::lenient;

pub use attachments::{
    AttachedGroup, AttachedPolicy, AttachedRole, AttachedUser, ListEntitiesForPolicyResponse,
    ListPoliciesForRoleResponse, Principal,
};
pub use policies::{
    CreatePolicyRequest, CreatePolicyVersionRequest, GetPolicyResponse, ListPolicyVersionsResponse,
    Policy, PolicyResponse, PolicyType, PolicyVersion, PolicyVersionResponse, RotateStrategy,
};
pub use roles::{
    CreateRoleRequest, ListRolesRequest, ListRolesResponse, Role, RoleResponse, UpdateRoleRequest,
};
pub use tags::{ListTagResourcesResponse, TagResource, TaggedResource};

/// An answer that carries only its request id.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub struct Ack {
    /// The request id.
    #[serde(deserialize_with = "lenient::string")]
    pub request_id: String,
}

/// The list wrapper of RPC JSON answers (`{"Roles": {"Role": [...]}}`): the inner list, whatever
/// its item name.
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
