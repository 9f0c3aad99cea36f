//! The `alicr_custom_oss_role` resource: schema, typed model, validation and planning.
//! (Apply, read and import talk to RAM; they live in `resource_ops`.)

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use crate::plugin::diagnostics::{AttributePath, Diagnostics};
use crate::plugin::schema::{Attribute, Block, NestedBlock, Presence, Schema};
use crate::plugin::typed::{ObjectBuilder, ObjectReader};
use crate::plugin::value::{Tri, Type, Value};
use crate::policy;
use crate::provider::validation;

pub const TYPE_NAME: &str = "alicr_custom_oss_role";
pub const DEFAULT_MAX_SESSION_DURATION: i64 = 3600;
/// How long create, update and delete may take when `timeouts` doesn't say.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10 * 60);
/// How long a read (refresh, import, the data source) may take when `timeouts` doesn't say:
/// short enough that a silent endpoint does not hold `terraform plan` for long.
pub const DEFAULT_READ_TIMEOUT: Duration = Duration::from_secs(2 * 60);

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

/// Which operation a time limit is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    Create,
    Update,
    Delete,
    Read,
}

impl Operation {
    pub fn name(self) -> &'static str {
        match self {
            Operation::Create => "create",
            Operation::Update => "update",
            Operation::Delete => "delete",
            Operation::Read => "read",
        }
    }

    /// The time limit when `timeouts` does not set one.
    pub fn default_timeout(self) -> Duration {
        match self {
            Operation::Read => DEFAULT_READ_TIMEOUT,
            _ => DEFAULT_TIMEOUT,
        }
    }
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
    pub fn timeout(&self, operation: Operation) -> Duration {
        let configured = self.timeouts.as_ref().and_then(|t| match operation {
            Operation::Create => t.create.as_known(),
            Operation::Update => t.update.as_known(),
            Operation::Delete => t.delete.as_known(),
            Operation::Read => t.read.as_known(),
        });
        configured
            .and_then(|text| validation::parse_duration(text).ok())
            .unwrap_or(operation.default_timeout())
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

    pub fn to_value(&self) -> Value {
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

    /// The role name, after defaults.
    pub fn role_name_or_default(&self) -> Option<String> {
        match &self.role_name {
            Tri::Known(name) => Some(name.clone()),
            Tri::Null => Some(policy::DEFAULT_ROLE_NAME.to_string()),
            Tri::Unknown => None,
        }
    }

    /// Checks every known configured value; unknown values are checked once they are known.
    pub fn validate(&self) -> Diagnostics {
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

/// Checks what is known of a set of bucket names that still has unknown elements: each known
/// name, and the policy length (unknown names can only add to it, so the known ones already too
/// long are an error now rather than at apply).
pub fn validate_partial_buckets(config: &Value) -> Diagnostics {
    let mut diags = Diagnostics::new();
    let Some(Value::Set(items) | Value::List(items)) = config.get_attr("bucket_names") else {
        return diags;
    };
    let known: BTreeSet<String> = items
        .iter()
        .filter_map(|item| item.as_str().map(str::to_string))
        .collect();
    if known.len() == items.len() {
        // Wholly known: `RoleModel::validate` checks it.
        return diags;
    }
    let root = AttributePath::root;
    for bucket in &known {
        if let Err(rule) = validation::validate_bucket_name(bucket) {
            diags.error_at(
                root("bucket_names"),
                "Invalid bucket_names",
                format!("bucket_names: {rule}"),
            );
        }
    }
    if let Err(too_long) = policy::check_policy_length(&known) {
        diags.error_at(
            root("bucket_names"),
            "Policy document too long",
            format!("bucket_names (the names known so far): {too_long}"),
        );
    }
    diags
}

/// The outcome of planning: the planned state and the attributes whose change forces replacement.
pub struct Plan {
    pub planned: RoleModel,
    pub requires_replace: Vec<AttributePath>,
}

/// Plans a create (no prior state) or an update (prior state), filling defaults and every
/// computed value that can be known before apply, so the plan shows both documents.
///
/// A default applies whenever the configuration leaves the argument out, not only when the
/// prior state has no value: an argument with a documented default is managed at that default,
/// so a change made outside Terraform shows in the plan.
pub fn plan(prior: Option<&RoleModel>, proposed: &RoleModel, config: &RoleModel) -> Plan {
    let mut planned = proposed.clone();
    default_unless_configured(&mut planned.role_name, &config.role_name, || {
        policy::DEFAULT_ROLE_NAME.to_string()
    });
    default_unless_configured(&mut planned.policy_name, &config.policy_name, || {
        policy::DEFAULT_POLICY_NAME.to_string()
    });
    default_unless_configured(
        &mut planned.max_session_duration,
        &config.max_session_duration,
        || DEFAULT_MAX_SESSION_DURATION,
    );
    default_unless_configured(
        &mut planned.force_detach_policies,
        &config.force_detach_policies,
        || false,
    );
    planned.id = planned.role_name.clone();

    planned.policy_document = match &planned.bucket_names {
        Tri::Known(buckets) => Tri::Known(policy::render_policy(buckets)),
        _ => Tri::Unknown,
    };
    planned.assume_role_policy_document = Tri::Known(policy::render_trust_policy());

    let Some(prior) = prior else {
        for computed in [
            &mut planned.arn,
            &mut planned.role_id,
            &mut planned.create_date,
        ] {
            *computed = Tri::Unknown;
        }
        planned.policy_version = Tri::Unknown;
        return Plan {
            planned,
            requires_replace: Vec::new(),
        };
    };

    // Documents that mean the same as what RAM holds keep RAM's bytes, so reformatting on
    // RAM's side never shows as a change.
    keep_if_equivalent(&mut planned.policy_document, &prior.policy_document);
    keep_if_equivalent(
        &mut planned.assume_role_policy_document,
        &prior.assume_role_policy_document,
    );
    let replaces_role = !same_role_name(&planned.role_name, &prior.role_name);
    // A role deleted outside Terraform (its policy kept) comes back with new identifiers.
    let recreates_role = replaces_role || (prior.role_id.is_null() && prior.arn.is_null());
    for (computed, prior_value) in [
        (&mut planned.arn, &prior.arn),
        (&mut planned.role_id, &prior.role_id),
        (&mut planned.create_date, &prior.create_date),
    ] {
        *computed = if recreates_role {
            Tri::Unknown
        } else {
            prior_value.clone()
        };
    }
    planned.policy_version = if planned.policy_document == prior.policy_document
        && planned.policy_name == prior.policy_name
    {
        prior.policy_version.clone()
    } else {
        Tri::Unknown
    };
    let requires_replace = ["role_name", "policy_name"]
        .into_iter()
        .filter(|name| match *name {
            "role_name" => replaces_role,
            _ => planned.policy_name != prior.policy_name,
        })
        .map(AttributePath::root)
        .collect();
    Plan {
        planned,
        requires_replace,
    }
}

/// RAM's role names are case-insensitive: `Role` and `role` are one role, so a change of case
/// is an in-place update of the recorded spelling, not a replacement. (Policy names are not.)
fn same_role_name(a: &Tri<String>, b: &Tri<String>) -> bool {
    match (a, b) {
        (Tri::Known(a), Tri::Known(b)) => a.eq_ignore_ascii_case(b),
        (a, b) => a == b,
    }
}

fn default_unless_configured<T, C>(
    value: &mut Tri<T>,
    configured: &Tri<C>,
    default: impl FnOnce() -> T,
) {
    if configured.is_null() {
        *value = Tri::Known(default());
    }
}

fn keep_if_equivalent(planned: &mut Tri<String>, prior: &Tri<String>) {
    if let (Tri::Known(new), Tri::Known(old)) = (&*planned, prior) {
        if policy::documents_equivalent(new, old) {
            *planned = prior.clone();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Plans with the proposed state standing in for the configuration.
    fn plan_from(prior: Option<&RoleModel>, proposed: &RoleModel) -> Plan {
        plan(prior, proposed, proposed)
    }

    #[test]
    fn defaults_apply_whenever_the_configuration_leaves_them_out() {
        let mut prior = plan_from(None, &configured(&["bucket-a"])).planned;
        prior.max_session_duration = Tri::Known(43200);
        // Terraform proposes the prior value for an optional+computed argument left out.
        let planned = plan(Some(&prior), &prior, &configured(&["bucket-a"])).planned;
        assert_eq!(planned.max_session_duration, Tri::Known(3600));
        let mut set = configured(&["bucket-a"]);
        set.max_session_duration = Tri::Known(43200);
        let planned = plan(Some(&prior), &prior, &set).planned;
        assert_eq!(planned.max_session_duration, Tri::Known(43200));
    }

    #[test]
    fn partially_known_bucket_sets_are_checked_as_far_as_known() {
        let config = |items: Vec<Value>| Value::object([("bucket_names", Value::Set(items))]);
        let good = config(vec![Value::Unknown, Value::String("known-bucket".into())]);
        assert!(validate_partial_buckets(&good).is_empty());
        let bad = config(vec![Value::Unknown, Value::String("Bad_Name".into())]);
        assert!(validate_partial_buckets(&bad).has_errors());
        let mut long: Vec<Value> = (0..17)
            .map(|i| Value::String(format!("{i:02}{}", "b".repeat(61))))
            .collect();
        long.push(Value::Unknown);
        let diags = validate_partial_buckets(&config(long));
        assert!(diags.iter().any(|d| d.detail.contains("6,144")));
    }

    #[test]
    fn long_bucket_sets_fail_validation_on_bucket_names() {
        let names: Vec<String> = (0..17)
            .map(|i| format!("{i:02}{}", "b".repeat(61)))
            .collect();
        let refs: Vec<&str> = names.iter().map(String::as_str).collect();
        let diags = configured(&refs).validate();
        let too_long: Vec<_> = diags
            .iter()
            .filter(|d| d.summary == "Policy document too long")
            .collect();
        assert_eq!(too_long.len(), 1);
        assert_eq!(too_long[0].path, Some(AttributePath::root("bucket_names")));
    }

    fn configured(buckets: &[&str]) -> RoleModel {
        RoleModel {
            bucket_names: Tri::Known(buckets.iter().map(|b| b.to_string()).collect()),
            ..Default::default()
        }
    }

    #[test]
    fn create_plan_fills_defaults_and_both_documents() {
        let plan = plan_from(None, &configured(&["bucket-b", "bucket-a"]));
        let p = &plan.planned;
        assert_eq!(p.role_name, Tri::Known(policy::DEFAULT_ROLE_NAME.into()));
        assert_eq!(p.id, p.role_name);
        assert_eq!(
            p.policy_name,
            Tri::Known(policy::DEFAULT_POLICY_NAME.into())
        );
        assert_eq!(p.max_session_duration, Tri::Known(3600));
        assert_eq!(p.force_detach_policies, Tri::Known(false));
        let Tri::Known(doc) = &p.policy_document else {
            panic!("policy not rendered")
        };
        assert!(doc.contains("acs:oss:*:*:bucket-a/*"));
        assert!(p.assume_role_policy_document.is_known());
        assert_eq!(p.arn, Tri::Unknown);
        assert!(plan.requires_replace.is_empty());
    }

    #[test]
    fn unknown_buckets_leave_the_policy_unknown() {
        let model = RoleModel {
            bucket_names: Tri::Unknown,
            ..Default::default()
        };
        assert_eq!(
            plan_from(None, &model).planned.policy_document,
            Tri::Unknown
        );
    }

    #[test]
    fn update_keeps_ids_and_replaces_on_rename() {
        let created = {
            let mut p = plan_from(None, &configured(&["bucket-a"])).planned;
            p.arn = Tri::Known("acs:ram::1:role/x".into());
            p.role_id = Tri::Known("1".into());
            p.create_date = Tri::Known("2026-01-01T00:00:00Z".into());
            p.policy_version = Tri::Known("v1".into());
            p
        };
        let mut proposed = created.clone();
        proposed.bucket_names = Tri::Known(["bucket-a".into(), "bucket-c".into()].into());
        let update = plan_from(Some(&created), &proposed);
        assert_eq!(update.planned.arn, created.arn);
        assert_eq!(update.planned.policy_version, Tri::Unknown);
        assert!(update.requires_replace.is_empty());

        let same = plan_from(Some(&created), &created.clone());
        assert_eq!(same.planned, created);

        let mut renamed = created.clone();
        renamed.role_name = Tri::Known("Other".into());
        let replace = plan_from(Some(&created), &renamed);
        assert_eq!(
            replace.requires_replace,
            vec![AttributePath::root("role_name")]
        );
        assert_eq!(replace.planned.arn, Tri::Unknown);
    }

    #[test]
    fn validation_names_the_attribute() {
        let mut model = configured(&["Bad_Bucket"]);
        model.max_session_duration = Tri::Known(60);
        model.role_name = Tri::Known("no spaces allowed".into());
        let diags = model.validate();
        let paths: Vec<_> = diags.iter().filter_map(|d| d.path.clone()).collect();
        assert!(paths.contains(&AttributePath::root("bucket_names")));
        assert!(diags.iter().any(|d| d.detail.contains("Bad_Bucket")));
        assert!(paths.contains(&AttributePath::root("max_session_duration")));
        assert!(paths.contains(&AttributePath::root("role_name")));
        assert!(configured(&[]).validate().has_errors());
        assert!(configured(&["good-bucket"]).validate().is_empty());
    }
}
