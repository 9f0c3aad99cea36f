//! The `alicr_custom_oss_role` resource, in the order of its lifecycle: this file holds its
//! metadata, schema and typed model, and registers the operations that live beside it
//! ([`plan`], [`create`], [`read`], [`update`], [`delete`], [`import`]). The private state those
//! operations keep is in [`snapshot`]; the lookup of an existing role that import and the data
//! source share is in [`lookup`].

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
use crate::plugin::schema::{Attribute, Block, NestedBlock, Presence, Schema};
use crate::plugin::typed::{ObjectBuilder, ObjectReader};
use crate::plugin::value::{Tri, Type, Value};
use crate::policy;
use crate::provider::registry::{self, Model, Operation, Outcome, Plan, Refreshed};
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
        config: &RoleModel,
    ) -> Plan<RoleModel> {
        plan::plan(prior, proposed, config)
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
fn default_timeout(operation: Operation) -> Duration {
    match operation {
        Operation::Read => DEFAULT_READ_TIMEOUT,
        _ => DEFAULT_TIMEOUT,
    }
}

pub fn schema() -> Schema {
    use Presence::{Computed, Optional, OptionalComputed, Required};
    let s = || Type::String;
    Schema {
        version: 0,
        block: Block {
            description: "The RAM role that Container Registry Enterprise Edition assumes to keep images in your own OSS buckets: the role, its trust policy for `cr.aliyuncs.com`, and the custom policy granting access to the buckets, attached to the role.",
            attributes: vec![
                Attribute::new("bucket_names", Type::Set(Box::new(Type::String)), Required, "OSS buckets the registry may use (at least one). Each must be a valid bucket name: 3-63 characters of lower-case letters, digits and hyphens, starting and ending with a letter or digit. Changing the set updates the policy in place."),
                Attribute::new("role_name", s(), OptionalComputed, "Name of the RAM role (default `AliyunContainerRegistryCustomizedOSSBucketRole`, the name Container Registry looks for); 1-64 of `A-Za-z0-9.-`. Changing it replaces the role."),
                Attribute::new("policy_name", s(), OptionalComputed, "Name of the custom policy (default `AliyunContainerRegistryCustomizedOSSBucketRolePolicy`); 1-128 of `A-Za-z0-9-`. Changing it replaces the role."),
                Attribute::new("description", s(), Optional, "Description of the role, at most 1024 characters. Updated in place."),
                Attribute::new("max_session_duration", Type::Number, OptionalComputed, "Maximum session duration of the role in seconds, 3600-43200 (default 3600). Updated in place."),
                Attribute::new("policy_description", s(), Optional, "Description of the custom policy, at most 1024 characters. Updated in place."),
                Attribute::new("tags", Type::Map(Box::new(Type::String)), Optional, "Tags applied to both the role and the policy: at most 20, keys 1-128 characters and values at most 128, keys must not start with `acs:` or `aliyun`. Changed in place with only the difference tagged or untagged; tags changed outside Terraform show in the plan."),
                Attribute::new("force_detach_policies", Type::Bool, OptionalComputed, "On destroy, also detach what Terraform does not manage: policies that something else attached to the role, and this policy from other roles, users or groups it was attached to (default `false`: destroy refuses, changing nothing, and names them)."),
                Attribute::new("id", s(), Computed, "The role name."),
                Attribute::new("arn", s(), Computed, "ARN of the role, `acs:ram::<account>:role/<name>`."),
                Attribute::new("role_id", s(), Computed, "RAM's ID of the role."),
                Attribute::new("create_date", s(), Computed, "When the role was created (UTC, RFC 3339)."),
                Attribute::new("policy_document", s(), Computed, "The custom policy's document (JSON), rendered from `bucket_names` and shown in the plan."),
                Attribute::new("assume_role_policy_document", s(), Computed, "The role's trust policy (JSON): `cr.aliyuncs.com` may call `sts:AssumeRole`."),
                Attribute::new("policy_version", s(), Computed, "The policy's default version (`v1`, `v2`, ...)."),
            ],
            blocks: vec![NestedBlock {
                name: "timeouts",
                max_items: 1,
                block: Block {
                    description: "How long each operation may take, as Terraform durations such as `\"30s\"` or `\"10m\"` (default 10 minutes for create, update and delete, 2 minutes for read). Retries and waits stop when the time is up; the diagnostic names the timeout and what was pending.",
                    attributes: vec![
                        Attribute::new("create", s(), Optional, "Time limit for creating the role, policy and attachment."),
                        Attribute::new("update", s(), Optional, "Time limit for an in-place update."),
                        Attribute::new("delete", s(), Optional, "Time limit for destroying."),
                        Attribute::new("read", s(), Optional, "Time limit for reading the role and policy back (every refresh); an endpoint that never answers ends the plan with an error naming this timeout."),
                    ],
                    blocks: vec![],
                },
            }],
        },
    }
}

/// `timeouts { ... }` as configured.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Timeouts {
    pub create: Tri<String>,
    pub update: Tri<String>,
    pub delete: Tri<String>,
    pub read: Tri<String>,
}

/// One `alicr_custom_oss_role`, as configured, planned or stored.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RoleModel {
    pub bucket_names: Tri<BTreeSet<String>>,
    pub role_name: Tri<String>,
    pub policy_name: Tri<String>,
    pub description: Tri<String>,
    pub max_session_duration: Tri<i64>,
    pub force_detach_policies: Tri<bool>,
    pub policy_description: Tri<String>,
    pub tags: Tri<BTreeMap<String, String>>,
    pub timeouts: Option<Timeouts>,
    pub id: Tri<String>,
    pub arn: Tri<String>,
    pub role_id: Tri<String>,
    pub create_date: Tri<String>,
    pub policy_document: Tri<String>,
    pub assume_role_policy_document: Tri<String>,
    pub policy_version: Tri<String>,
}

impl RoleModel {
    pub fn from_value(value: &Value) -> Result<Self, Diagnostics> {
        let mut r = ObjectReader::new(value, AttributePath::default());
        let mut nested = Diagnostics::new();
        let timeouts = r
            .blocks("timeouts")
            .into_iter()
            .next()
            .map(|(block, path)| {
                let mut t = ObjectReader::new(block, path);
                let timeouts = Timeouts {
                    create: t.get("create"),
                    update: t.get("update"),
                    delete: t.get("delete"),
                    read: t.get("read"),
                };
                nested.extend(t.finish());
                timeouts
            });
        let model = RoleModel {
            bucket_names: r.get("bucket_names"),
            role_name: r.get("role_name"),
            policy_name: r.get("policy_name"),
            description: r.get("description"),
            max_session_duration: r.get("max_session_duration"),
            force_detach_policies: r.get("force_detach_policies"),
            policy_description: r.get("policy_description"),
            tags: r.get("tags"),
            timeouts,
            id: r.get("id"),
            arn: r.get("arn"),
            role_id: r.get("role_id"),
            create_date: r.get("create_date"),
            policy_document: r.get("policy_document"),
            assume_role_policy_document: r.get("assume_role_policy_document"),
            policy_version: r.get("policy_version"),
        };
        let mut diags = r.finish();
        diags.extend(nested);
        if diags.has_errors() {
            Err(diags)
        } else {
            Ok(model)
        }
    }

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

    fn timeouts_value(&self) -> Value {
        let items = self
            .timeouts
            .iter()
            .map(|t| {
                ObjectBuilder::new()
                    .set("create", t.create.clone())
                    .set("update", t.update.clone())
                    .set("delete", t.delete.clone())
                    .set("read", t.read.clone())
                    .build()
            })
            .collect();
        Value::List(items)
    }

    pub(crate) fn to_value(&self) -> Value {
        ObjectBuilder::new()
            .set("bucket_names", self.bucket_names.clone())
            .set("role_name", self.role_name.clone())
            .set("policy_name", self.policy_name.clone())
            .set("description", self.description.clone())
            .set("max_session_duration", self.max_session_duration.clone())
            .set("force_detach_policies", self.force_detach_policies.clone())
            .set("policy_description", self.policy_description.clone())
            .set("tags", self.tags.clone())
            .set_value("timeouts", self.timeouts_value())
            .set("id", self.id.clone())
            .set("arn", self.arn.clone())
            .set("role_id", self.role_id.clone())
            .set("create_date", self.create_date.clone())
            .set("policy_document", self.policy_document.clone())
            .set(
                "assume_role_policy_document",
                self.assume_role_policy_document.clone(),
            )
            .set("policy_version", self.policy_version.clone())
            .build()
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
        let mut check = |name: &str, result: Result<(), String>| {
            if let Err(rule) = result {
                diags.error_at(
                    root(name),
                    format!("Invalid {name}"),
                    format!("{name}: {rule}"),
                );
            }
        };
        if let Tri::Known(name) = &self.role_name {
            check("role_name", validation::validate_role_name(name));
        }
        if let Tri::Known(name) = &self.policy_name {
            check("policy_name", validation::validate_policy_name(name));
        }
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

impl Model for RoleModel {
    fn from_value(value: &Value) -> Result<Self, Diagnostics> {
        RoleModel::from_value(value)
    }

    fn to_value(&self) -> Value {
        RoleModel::to_value(self)
    }
}
