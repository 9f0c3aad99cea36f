//! Validation of what is known early, and planning: defaults, the documents rendered from
//! `bucket_names`, computed values kept or left unknown, and what forces replacement.

use std::collections::BTreeSet;

use super::RoleModel;
use crate::plugin::diagnostics::{AttributePath, Diagnostics};
use crate::plugin::typed::ToValue;
use crate::plugin::value::{Tri, Value};
use crate::policy;
use crate::provider::validation;

/// Checks what is known of a set of bucket names that still has unknown elements: each known
/// name, and the policy length (unknown names can only add to it, so the known ones already too
/// long are an error now rather than at apply).
pub(super) fn validate_partial_buckets(config: &Value) -> Diagnostics {
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

/// Plans what the schema's declarations cannot: the documents rendered from `bucket_names`,
/// and the identifiers of a role that will be created again. `proposed` already holds the
/// declared defaults and the prior identifiers and policy version (unknown on create).
pub(super) fn plan(prior: Option<&RoleModel>, proposed: &RoleModel) -> RoleModel {
    let mut planned = proposed.clone();
    planned.id = planned.role_name.clone();
    planned.policy_document = match &planned.bucket_names {
        Tri::Known(buckets) => Tri::Known(policy::render_policy(buckets)),
        _ => Tri::Unknown,
    };
    planned.assume_role_policy_document = Tri::Known(policy::render_trust_policy());
    let Some(prior) = prior else {
        return planned;
    };

    // Documents that mean the same as what RAM holds keep RAM's bytes, so reformatting on
    // RAM's side never shows as a change.
    keep_if_equivalent(&mut planned.policy_document, &prior.policy_document);
    keep_if_equivalent(
        &mut planned.assume_role_policy_document,
        &prior.assume_role_policy_document,
    );
    let replaces_role = !same_role_name(&planned.role_name.to_value(), &prior.role_name.to_value());
    // A role deleted outside Terraform (its policy kept) comes back with new identifiers.
    if replaces_role || (prior.role_id.is_null() && prior.arn.is_null()) {
        for computed in [
            &mut planned.arn,
            &mut planned.role_id,
            &mut planned.create_date,
        ] {
            *computed = Tri::Unknown;
        }
    }
    if planned.policy_document != prior.policy_document || planned.policy_name != prior.policy_name
    {
        planned.policy_version = Tri::Unknown;
    }
    planned
}

/// RAM's role names are case-insensitive: `Role` and `role` are one role, so a change of case
/// is an in-place update of the recorded spelling, not a replacement. (Policy names are not.)
pub(super) fn same_role_name(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::String(a), Value::String(b)) => a.eq_ignore_ascii_case(b),
        (a, b) => a == b,
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

    use crate::provider::registry;
    use crate::provider::role::{schema, CustomOssRole};

    struct Planned {
        planned: RoleModel,
        requires_replace: Vec<AttributePath>,
    }

    /// The whole plan, as the handlers make it: the schema's declarations, then this file's.
    fn plan(prior: Option<&RoleModel>, proposed: &RoleModel, config: &RoleModel) -> Planned {
        let prior = prior.map_or(Value::Null, RoleModel::to_value);
        let plan = registry::plan_values(
            &CustomOssRole,
            &schema(),
            &prior,
            &proposed.to_value(),
            &config.to_value(),
        )
        .expect("plans");
        Planned {
            planned: RoleModel::from_value(&plan.planned).expect("a model"),
            requires_replace: plan.requires_replace,
        }
    }

    /// Plans with the proposed state standing in for the configuration.
    fn plan_from(prior: Option<&RoleModel>, proposed: &RoleModel) -> Planned {
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
