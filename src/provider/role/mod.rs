//! The `alicr_custom_oss_role` resource, in the order of its lifecycle: this file holds its
//! metadata, schema and typed model, and registers the operations that live beside it
//! (`plan`, `create`, `read`, `update`, `delete`, `import`). The private state those
//! operations keep is in `snapshot`; the lookup of an existing role that import and the data
//! source share is in `lookup`.

mod create;
mod delete;
mod import;
pub(crate) mod lookup;
mod plan;
mod read;
mod snapshot;
mod update;

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::alicloud::Client;
use crate::plugin::diagnostics::{AttributePath, Diagnostics};
use crate::plugin::schema::Schema;
use crate::plugin::typed::object_model;
use crate::plugin::value::{Tri, Value};
use crate::policy;
use crate::provider::registry::{self, Operation, Outcome, Refreshed};
use crate::provider::validation;
use snapshot::AttachmentSnapshot;

pub const TYPE_NAME: &str = "alicr_custom_oss_role";
pub(crate) const DEFAULT_MAX_SESSION_DURATION: i64 = 3600;
/// How long create, update and delete may take when `timeouts` doesn't say.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10 * 60);
/// How long a read (refresh, import, the data source) may take when `timeouts` doesn't say:
/// short enough that a silent endpoint does not hold `terraform plan` for long.
pub(crate) const DEFAULT_READ_TIMEOUT: Duration = Duration::from_secs(2 * 60);

/// The resource as the registry knows it.
pub(crate) struct CustomOssRole;

#[async_trait::async_trait]
impl registry::Resource for CustomOssRole {
    type Model = RoleModel;

    fn type_name(&self) -> &'static str {
        TYPE_NAME
    }

    fn schema(&self) -> Schema {
        schema()
    }

    fn validate(&self, config: &RoleModel, raw: &Value) -> Diagnostics {
        let mut diags = config.validate();
        diags.extend(plan::validate_partial_buckets(raw));
        diags
    }

    fn plan(
        &self,
        prior: Option<&RoleModel>,
        proposed: &RoleModel,
        _config: &RoleModel,
    ) -> RoleModel {
        plan::plan(prior, proposed)
    }

    fn time_limit(&self, state: Option<&RoleModel>, operation: Operation) -> Duration {
        state.map_or(default_timeout(operation), |model| model.timeout(operation))
    }

    fn import_time_limit(&self) -> Duration {
        DEFAULT_READ_TIMEOUT
    }

    async fn create(
        &self,
        client: &Client,
        planned: &RoleModel,
        stop: &CancellationToken,
    ) -> Outcome<RoleModel> {
        create::create(client, planned, stop).await
    }

    async fn read(
        &self,
        client: &Client,
        prior: &RoleModel,
    ) -> Result<Refreshed<RoleModel>, Diagnostics> {
        let found = read::read(client, prior).await?;
        Ok(found.map(|(state, snapshot)| (state, Some(snapshot.encode()))))
    }

    async fn update(
        &self,
        client: &Client,
        prior: &RoleModel,
        planned: &RoleModel,
        private: &[u8],
    ) -> Outcome<RoleModel> {
        let snapshot = AttachmentSnapshot::decode(private);
        update::update(client, prior, planned, snapshot).await
    }

    async fn delete(&self, client: &Client, prior: &RoleModel, private: &[u8]) -> Diagnostics {
        let snapshot = AttachmentSnapshot::decode(private);
        delete::delete(client, prior, snapshot.as_ref()).await
    }

    async fn import(&self, client: &Client, id: &str) -> Result<RoleModel, Diagnostics> {
        import::import(client, id).await
    }
}

/// The time limit when `timeouts` does not set one.
/// Checks the known role and policy names, as the resource and the data source both take them.
pub(crate) fn check_names(
    diags: &mut Diagnostics,
    role_name: &Tri<String>,
    policy_name: &Tri<String>,
) {
    if let Tri::Known(name) = role_name {
        report_broken_rule(diags, "role_name", validation::validate_role_name(name));
    }
    if let Tri::Known(name) = policy_name {
        report_broken_rule(diags, "policy_name", validation::validate_policy_name(name));
    }
}

/// A broken input rule as the error on its top-level attribute.
fn report_broken_rule(diags: &mut Diagnostics, name: &str, result: Result<(), String>) {
    if let Err(rule) = result {
        diags.error_at(
            AttributePath::root(name),
            format!("Invalid {name}"),
            format!("{name}: {rule}"),
        );
    }
}

fn default_timeout(operation: Operation) -> Duration {
    match operation {
        Operation::Read => DEFAULT_READ_TIMEOUT,
        _ => DEFAULT_TIMEOUT,
    }
}

pub fn schema() -> Schema {
    Schema {
        version: 0,
        block: RoleModel::block("The RAM role that Container Registry Enterprise Edition assumes to keep images in your own OSS buckets: the role, its trust policy for `cr.aliyuncs.com`, and the custom policy granting access to the buckets, attached to the role."),
    }
}

object_model! {
    /// `timeouts { ... }` as configured.
    pub struct Timeouts {
        attributes {
            create: String = Optional("Time limit for creating the role, policy and attachment.");
            update: String = Optional("Time limit for an in-place update.");
            delete: String = Optional("Time limit for destroying.");
            read: String = Optional("Time limit for reading the role and policy back (every refresh); an endpoint that never answers ends the plan with an error naming this timeout.");
        }
    }
}

object_model! {
    /// One `alicr_custom_oss_role`, as configured, planned or stored.
    pub struct RoleModel {
        attributes {
            bucket_names: BTreeSet<String> = Required("OSS buckets the registry may use (at least one). Each must be a valid bucket name: 3-63 characters of lower-case letters, digits and hyphens, starting and ending with a letter or digit. Changing the set updates the policy in place.");
            role_name: String = OptionalComputed("Name of the RAM role (default `AliyunContainerRegistryCustomizedOSSBucketRole`, the name Container Registry looks for); 1-64 of `A-Za-z0-9.-`. Changing it replaces the role.")
                .default(policy::DEFAULT_ROLE_NAME)
                .requires_replace_unless(plan::same_role_name);
            policy_name: String = OptionalComputed("Name of the custom policy (default `AliyunContainerRegistryCustomizedOSSBucketRolePolicy`); 1-128 of `A-Za-z0-9-`. Changing it replaces the role.")
                .default(policy::DEFAULT_POLICY_NAME)
                .requires_replace();
            description: String = Optional("Description of the role, at most 1024 characters. Updated in place.");
            max_session_duration: i64 = OptionalComputed("Maximum session duration of the role in seconds, 3600-43200 (default 3600). Updated in place.")
                .default(DEFAULT_MAX_SESSION_DURATION);
            policy_description: String = Optional("Description of the custom policy, at most 1024 characters. Updated in place.");
            tags: BTreeMap<String, String> = Optional("Tags applied to both the role and the policy: at most 20, keys 1-128 characters and values at most 128, keys must not start with `acs:` or `aliyun`. Changed in place with only the difference tagged or untagged; tags changed outside Terraform show in the plan.");
            force_detach_policies: bool = OptionalComputed("On destroy, also detach what Terraform does not manage: policies that something else attached to the role, and this policy from other roles, users or groups it was attached to (default `false`: destroy refuses, changing nothing, and names them).")
                .default(false);
            id: String = Computed("The role name.");
            arn: String = Computed("ARN of the role, `acs:ram::<account>:role/<name>`.")
                .use_state_for_unknown();
            role_id: String = Computed("RAM's ID of the role.")
                .use_state_for_unknown();
            create_date: String = Computed("When the role was created (UTC, RFC 3339).")
                .use_state_for_unknown();
            policy_document: String = Computed("The custom policy's document (JSON), rendered from `bucket_names` and shown in the plan.");
            assume_role_policy_document: String = Computed("The role's trust policy (JSON): `cr.aliyuncs.com` may call `sts:AssumeRole`.");
            policy_version: String = Computed("The policy's default version (`v1`, `v2`, ...).")
                .use_state_for_unknown();
        }
        blocks {
            timeouts: Timeouts = ("How long each operation may take, as Terraform durations such as `\"30s\"` or `\"10m\"` (default 10 minutes for create, update and delete, 2 minutes for read). Retries and waits stop when the time is up; the diagnostic names the timeout and what was pending.");
        }
    }
}

impl RoleModel {
    /// The time limit for `operation`: configured, else its default.
    pub(crate) fn timeout(&self, operation: Operation) -> Duration {
        let configured = self.timeouts.as_ref().and_then(|t| match operation {
            Operation::Create => t.create.as_known(),
            Operation::Update => t.update.as_known(),
            Operation::Delete => t.delete.as_known(),
            Operation::Read => t.read.as_known(),
        });
        configured
            .and_then(|text| validation::parse_duration(text).ok())
            .unwrap_or(default_timeout(operation))
    }

    /// Checks every known configured value; unknown values are checked once they are known.
    pub(crate) fn validate(&self) -> Diagnostics {
        let mut diags = Diagnostics::new();
        let root = AttributePath::root;
        if let Tri::Known(buckets) = &self.bucket_names {
            if let Err(too_long) = policy::check_policy_length(buckets) {
                diags.error_at(
                    root("bucket_names"),
                    "Policy document too long",
                    format!("bucket_names: {too_long}"),
                );
            }
            if buckets.is_empty() {
                diags.error_at(
                    root("bucket_names"),
                    "Invalid bucket_names",
                    "bucket_names must name at least one OSS bucket",
                );
            }
            for bucket in buckets {
                if let Err(rule) = validation::validate_bucket_name(bucket) {
                    // Set elements have no addressable path; point at the attribute.
                    diags.error_at(
                        root("bucket_names"),
                        "Invalid bucket_names",
                        format!("bucket_names: {rule}"),
                    );
                }
            }
        }
        check_names(&mut diags, &self.role_name, &self.policy_name);
        let mut check = |name: &str, result: Result<(), String>| {
            report_broken_rule(&mut diags, name, result);
        };
        if let Tri::Known(text) = &self.description {
            check("description", validation::validate_description(text));
        }
        if let Tri::Known(secs) = self.max_session_duration {
            check(
                "max_session_duration",
                validation::validate_max_session_duration(secs),
            );
        }
        if let Tri::Known(text) = &self.policy_description {
            check("policy_description", validation::validate_description(text));
        }
        if let Tri::Known(tags) = &self.tags {
            check("tags", validation::validate_tags(tags));
        }
        if let Some(timeouts) = &self.timeouts {
            for (name, value) in [
                ("create", &timeouts.create),
                ("update", &timeouts.update),
                ("delete", &timeouts.delete),
                ("read", &timeouts.read),
            ] {
                if let Tri::Known(text) = value {
                    if let Err(rule) = validation::parse_duration(text) {
                        diags.error_at(
                            root("timeouts").index(0).attribute(name),
                            "Invalid timeout",
                            format!("timeouts.{name}: {rule}"),
                        );
                    }
                }
            }
        }
        diags
    }
}
