//! Property tests of planning: for random configurations with nulls and unknowns at every
//! position (whole attributes, set elements, map values, the `timeouts` block and its
//! attributes), the planned value is one Terraform accepts (it keeps every configured value
//! exactly, unknown parts included), and once every input is known the plan is wholly known
//! but for what only RAM can tell (identifiers, dates, the policy's version).

use std::collections::BTreeMap;

use proptest::collection::{btree_map, vec};
use proptest::prelude::*;
use terraform_provider_alicr::plugin::proto::tfplugin6::{self as pb, provider_server::Provider};
use terraform_provider_alicr::plugin::schema::{Block, Presence};
use terraform_provider_alicr::plugin::value::{self, Number, Type, Value};
use terraform_provider_alicr::provider::{role as resource, ProviderService};

/// One configured argument: absent, unknown, or a valid value (possibly with unknown parts).
fn scalar(known: BoxedStrategy<Value>) -> BoxedStrategy<Value> {
    prop_oneof![
        2 => Just(Value::Null),
        1 => Just(Value::Unknown),
        3 => known,
    ]
    .boxed()
}

fn string_matching(pattern: &'static str) -> BoxedStrategy<Value> {
    pattern.prop_map(Value::String).boxed()
}

/// A bucket set: wholly unknown, or 1-4 elements each a valid name or an unknown.
fn bucket_names() -> BoxedStrategy<Value> {
    let element = prop_oneof![
        3 => string_matching("[a-z0-9][a-z0-9-]{1,12}[a-z0-9]"),
        1 => Just(Value::Unknown),
    ];
    prop_oneof![
        1 => Just(Value::Unknown),
        5 => vec(element, 1..5).prop_map(Value::Set),
    ]
    .boxed()
}

/// Tags: null, unknown, or a map whose values may be unknown.
fn tags() -> BoxedStrategy<Value> {
    let tag_value = prop_oneof![
        3 => string_matching("[a-z0-9]{0,8}"),
        1 => Just(Value::Unknown),
    ];
    scalar(
        btree_map("[b-z]{1,8}", tag_value, 0..4)
            .prop_map(Value::Map)
            .boxed(),
    )
}

/// The `timeouts` block: absent, unknown as a whole (a `dynamic` block over an unknown
/// collection), or one block whose attributes may each be null, unknown or a duration.
fn timeouts() -> BoxedStrategy<Value> {
    let duration = || scalar(string_matching("[1-9][0-9]?[smh]"));
    let block = (duration(), duration(), duration()).prop_map(|(create, update, delete)| {
        Value::object([("create", create), ("update", update), ("delete", delete)])
    });
    prop_oneof![
        2 => Just(Value::List(Vec::new())),
        1 => Just(Value::Unknown),
        3 => block.prop_map(|b| Value::List(vec![b])),
    ]
    .boxed()
}

/// A whole resource configuration: every computed-only attribute null, as Terraform sends it.
fn configuration() -> impl Strategy<Value = Value> {
    (
        (
            bucket_names(),
            scalar(string_matching("[A-Za-z0-9.-]{1,20}")),
            scalar(string_matching("[A-Za-z0-9-]{1,20}")),
            scalar(string_matching("[ -~]{0,30}")),
        ),
        (
            scalar(
                (3600i64..=43200)
                    .prop_map(|n| Value::Number(Number::Int(n)))
                    .boxed(),
            ),
            scalar(any::<bool>().prop_map(Value::Bool).boxed()),
            scalar(string_matching("[ -~]{0,30}")),
            tags(),
            timeouts(),
        ),
    )
        .prop_map(
            |(
                (buckets, role, policy, description),
                (duration, force, policy_description, tags, timeouts),
            )| {
                let mut attrs: BTreeMap<String, Value> = resource::schema()
                    .block
                    .attributes
                    .iter()
                    .map(|a| (a.name.to_string(), Value::Null))
                    .collect();
                for (name, value) in [
                    ("bucket_names", buckets),
                    ("role_name", role),
                    ("policy_name", policy),
                    ("description", description),
                    ("max_session_duration", duration),
                    ("force_detach_policies", force),
                    ("policy_description", policy_description),
                    ("tags", tags),
                    ("timeouts", timeouts),
                ] {
                    attrs.insert(name.to_string(), value);
                }
                Value::Object(attrs)
            },
        )
}

/// The same value with every unknown replaced by a valid known value (what the configuration
/// becomes once the resources it depends on are applied).
fn made_known(config: &Value) -> Value {
    fn fill(name: &str, value: &Value) -> Value {
        match (name, value) {
            ("bucket_names", Value::Unknown) => {
                Value::Set(vec![Value::String("late-bucket".into())])
            }
            ("bucket_names", Value::Set(items)) => Value::Set(
                items
                    .iter()
                    .enumerate()
                    .map(|(i, item)| match item {
                        Value::Unknown => Value::String(format!("late-bucket-{i}")),
                        known => known.clone(),
                    })
                    .collect(),
            ),
            ("tags", Value::Unknown) => Value::Map(BTreeMap::new()),
            ("tags", Value::Map(items)) => Value::Map(
                items
                    .iter()
                    .map(|(k, v)| {
                        let v = match v {
                            Value::Unknown => Value::String("late".into()),
                            known => known.clone(),
                        };
                        (k.clone(), v)
                    })
                    .collect(),
            ),
            ("timeouts", Value::Unknown) => Value::List(Vec::new()),
            ("timeouts", Value::List(blocks)) => Value::List(
                blocks
                    .iter()
                    .map(|block| match block {
                        Value::Object(attrs) => Value::Object(
                            attrs
                                .iter()
                                .map(|(k, v)| {
                                    let v = match v {
                                        Value::Unknown => Value::String("7m".into()),
                                        known => known.clone(),
                                    };
                                    (k.clone(), v)
                                })
                                .collect(),
                        ),
                        other => other.clone(),
                    })
                    .collect(),
            ),
            ("max_session_duration", Value::Unknown) => Value::Number(Number::Int(7200)),
            ("force_detach_policies", Value::Unknown) => Value::Bool(true),
            (_, Value::Unknown) => Value::String("Late-name".into()),
            (_, known) => known.clone(),
        }
    }
    match config {
        Value::Object(attrs) => {
            Value::Object(attrs.iter().map(|(k, v)| (k.clone(), fill(k, v))).collect())
        }
        other => other.clone(),
    }
}

/// What Terraform's `AssertPlanValid` demands of one block: every attribute the user supplies
/// (not computed-only) and set in the configuration is planned exactly as configured, unknown
/// parts included; a non-computed attribute left out is planned null; nested blocks likewise.
fn assert_conforms(block: &Block, planned: &Value, config: &Value, path: &str) {
    let attrs = |v: &Value| match v {
        Value::Object(a) => a.clone(),
        other => panic!("{path}: expected an object, got {other:?}"),
    };
    let (planned_attrs, config_attrs) = (attrs(planned), attrs(config));
    for attribute in &block.attributes {
        let name = attribute.name;
        let configured = config_attrs.get(name).cloned().unwrap_or(Value::Null);
        let plan = planned_attrs.get(name).cloned().unwrap_or(Value::Null);
        match attribute.presence {
            Presence::Computed => {}
            Presence::OptionalComputed if configured.is_null() => {}
            _ => assert_eq!(
                plan, configured,
                "{path}{name}: planned value differs from the configuration"
            ),
        }
    }
    for nested in &block.blocks {
        let configured = config_attrs
            .get(nested.name)
            .cloned()
            .unwrap_or(Value::Null);
        let plan = planned_attrs
            .get(nested.name)
            .cloned()
            .unwrap_or(Value::Null);
        match (&plan, &configured) {
            (Value::List(p), Value::List(c)) => {
                assert_eq!(p.len(), c.len(), "{path}{}: block count", nested.name);
                for (i, (p, c)) in p.iter().zip(c).enumerate() {
                    assert_conforms(&nested.block, p, c, &format!("{path}{}[{i}].", nested.name));
                }
            }
            _ => assert_eq!(plan, configured, "{path}{}", nested.name),
        }
    }
}

fn dynamic(value: &Value, ty: &Type) -> pb::DynamicValue {
    pb::DynamicValue {
        msgpack: value::encode_msgpack(value, ty).expect("encode"),
        json: Vec::new(),
    }
}

/// `PlanResourceChange` as Terraform calls it; the proposed state is the configuration over
/// the prior state's computed values (what Terraform proposes for optional+computed ones too).
fn plan(prior: &Value, config: &Value) -> Value {
    let ty = resource::schema().value_type();
    let mut proposed = config.clone();
    if let (Value::Object(proposed_attrs), Value::Object(prior_attrs)) = (&mut proposed, prior) {
        for attribute in &resource::schema().block.attributes {
            let computed = matches!(
                attribute.presence,
                Presence::Computed | Presence::OptionalComputed
            );
            if computed
                && proposed_attrs
                    .get(attribute.name)
                    .is_none_or(Value::is_null)
            {
                if let Some(prior_value) = prior_attrs.get(attribute.name) {
                    proposed_attrs.insert(attribute.name.to_string(), prior_value.clone());
                }
            }
        }
    }
    let request = pb::plan_resource_change::Request {
        type_name: resource::TYPE_NAME.into(),
        prior_state: Some(dynamic(prior, &ty)),
        proposed_new_state: Some(dynamic(&proposed, &ty)),
        config: Some(dynamic(config, &ty)),
        ..Default::default()
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let response = runtime
        .block_on(ProviderService::new().plan_resource_change(tonic::Request::new(request)))
        .expect("plan answers")
        .into_inner();
    assert!(
        response.diagnostics.is_empty(),
        "planning a valid configuration failed: {:?}",
        response.diagnostics
    );
    let planned = response.planned_state.expect("a planned state");
    value::decode_msgpack(&planned.msgpack, &ty).expect("planned state decodes")
}

/// A state as an apply of `config` would leave it: the plan with RAM's values filled in.
fn applied(config: &Value) -> Value {
    let planned = plan(&Value::Null, config);
    let Value::Object(mut attrs) = planned else {
        panic!("planned state is not an object");
    };
    for (name, filled) in [
        ("arn", "acs:ram::1:role/x"),
        ("role_id", "300000000000000001"),
        ("create_date", "2026-11-29T00:00:00Z"),
        ("policy_version", "v1"),
    ] {
        attrs.insert(name.into(), Value::String(filled.into()));
    }
    Value::Object(attrs)
}

/// Attributes that only RAM can fill in on a create.
const KNOWN_ONLY_AFTER_CREATE: &[&str] = &["arn", "role_id", "create_date", "policy_version"];

proptest! {
    #[test]
    fn planned_values_conform_to_the_configuration(config in configuration(), update in any::<bool>()) {
        let prior = if update { applied(&made_known(&config)) } else { Value::Null };
        let planned = plan(&prior, &config);
        assert_conforms(&resource::schema().block, &planned, &config, "");
        let rendered = planned.get_attr("policy_document").cloned().unwrap_or(Value::Null);
        let buckets_known = config.get_attr("bucket_names").is_some_and(Value::is_wholly_known);
        prop_assert_eq!(
            rendered.is_unknown(),
            !buckets_known,
            "policy_document must be unknown exactly when bucket_names is not wholly known"
        );
    }

    #[test]
    fn plans_are_known_once_the_inputs_are(config in configuration(), update in any::<bool>()) {
        let known = made_known(&config);
        let prior = if update { applied(&known) } else { Value::Null };
        let planned = plan(&prior, &known);
        let Value::Object(attrs) = &planned else {
            panic!("planned state is not an object");
        };
        for (name, value) in attrs {
            if !update && KNOWN_ONLY_AFTER_CREATE.contains(&name.as_str()) {
                prop_assert!(value.is_unknown(), "{} should wait for RAM", name);
                continue;
            }
            prop_assert!(value.is_wholly_known(), "{} is not known: {:?}", name, value);
        }
        if update {
            // An unchanged configuration plans no change at all.
            prop_assert_eq!(&planned, &prior);
        }
    }
}
