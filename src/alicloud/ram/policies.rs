//! RAM policies and their versions: `CreatePolicy`, `GetPolicy`, `UpdatePolicyDescription`,
//! `DeletePolicy`, `CreatePolicyVersion`, `GetPolicyVersion`, `ListPolicyVersions`,
//! `SetDefaultPolicyVersion`, `DeletePolicyVersion`.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::tags::tags_json;
use super::{Ack, Items};
use crate::alicloud::client::{Client, Params, Service};
use crate::alicloud::error::Error;
use crate::alicloud::lenient;

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

pub(super) fn policy_key(policy_type: PolicyType, policy_name: &str) -> Params {
    Params::new()
        .set("PolicyType", policy_type)
        .set("PolicyName", policy_name)
}

/// RAM policy actions.
impl Client {
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
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alicloud::ram::test_support::parse;

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
    fn list_shapes_of_policy_versions() {
        let v: ListPolicyVersionsResponse = parse(
            r#"{"PolicyVersions":{"PolicyVersion":[{"VersionId":"v1","IsDefaultVersion":"false"},
                {"VersionId":"v2","IsDefaultVersion":true}]}}"#,
        );
        assert_eq!(v.policy_versions.len(), 2);
        assert!(!v.policy_versions[0].is_default_version);
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
