//! The handlers are generic: a second resource and data source, known only to this test's
//! registry, get every Terraform call meant for them without a line of the handlers changing
//! (requires-replace declared on an attribute included), and a type in no registry gets the
//! one "unknown type" diagnostic.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio_util::sync::CancellationToken;
use tonic::Request;

use super::registry::{self, Model, Operation, Outcome, Refreshed, Registry};
use super::{config, ProviderService};
use crate::alicloud::Client;
use crate::plugin::diagnostics::{AttributePath, Diagnostics};
use crate::plugin::proto::tfplugin6::{self as pb, provider_server::Provider};
use crate::plugin::schema::{Attribute, Block, Presence, Schema};
use crate::plugin::typed::{ObjectBuilder, ObjectReader};
use crate::plugin::value::{self, Tri, Type, Value};

const WIDGET: &str = "alicr_test_widget";
const GADGET: &str = "alicr_test_gadget";
const WIDGET_PRIVATE: &[u8] = b"widget-private";

/// What the fakes were asked to do, in order.
type Calls = Arc<Mutex<Vec<String>>>;

fn record(calls: &Calls, call: impl Into<String>) {
    if let Ok(mut calls) = calls.lock() {
        calls.push(call.into());
    }
}

fn schema_of(attributes: Vec<Attribute>) -> Schema {
    Schema {
        version: 0,
        block: Block {
            description: "A test-only type.",
            attributes,
            blocks: vec![],
        },
    }
}

/// `name` (configured) and `id` (computed): the model of both fakes.
#[derive(Debug, Clone, PartialEq, Default)]
struct Named {
    name: Tri<String>,
    id: Tri<String>,
}

impl Model for Named {
    fn from_value(value: &Value) -> Result<Self, Diagnostics> {
        let mut reader = ObjectReader::new(value, AttributePath::default());
        let model = Named {
            name: reader.get("name"),
            id: reader.get("id"),
        };
        let diags = reader.finish();
        if diags.has_errors() {
            Err(diags)
        } else {
            Ok(model)
        }
    }

    fn to_value(&self) -> Value {
        ObjectBuilder::new()
            .set("name", self.name.clone())
            .set("id", self.id.clone())
            .build()
    }
}

fn named_schema() -> Schema {
    schema_of(vec![
        Attribute::new("name", Type::String, Presence::Required, "Name.").requires_replace(),
        Attribute::new("id", Type::String, Presence::Computed, "ID."),
    ])
}

fn invalid_name(model: &Named) -> Diagnostics {
    let mut diags = Diagnostics::new();
    if model.name.as_known().is_some_and(String::is_empty) {
        diags.error_at(AttributePath::root("name"), "Invalid name", "name is empty");
    }
    diags
}

struct Widget(Calls);

#[async_trait::async_trait]
impl registry::Resource for Widget {
    type Model = Named;

    fn type_name(&self) -> &'static str {
        WIDGET
    }

    fn schema(&self) -> Schema {
        named_schema()
    }

    fn validate(&self, config: &Named, _raw: &Value) -> Diagnostics {
        record(&self.0, "validate");
        invalid_name(config)
    }

    fn plan(&self, _prior: Option<&Named>, proposed: &Named, _config: &Named) -> Named {
        record(&self.0, "plan");
        let mut planned = proposed.clone();
        planned.id = proposed
            .name
            .as_known()
            .map_or(Tri::Unknown, |name| Tri::Known(format!("widget-{name}")));
        planned
    }

    fn time_limit(&self, _state: Option<&Named>, operation: Operation) -> Duration {
        record(&self.0, format!("time_limit {}", operation.name()));
        Duration::from_secs(5)
    }

    fn import_time_limit(&self) -> Duration {
        Duration::from_secs(5)
    }

    async fn create(&self, _: &Client, planned: &Named, _: &CancellationToken) -> Outcome<Named> {
        record(&self.0, "create");
        Outcome {
            state: Some(planned.clone()),
            diagnostics: Diagnostics::new(),
            private: Some(WIDGET_PRIVATE.to_vec()),
        }
    }

    async fn read(&self, _: &Client, prior: &Named) -> Result<Refreshed<Named>, Diagnostics> {
        record(&self.0, "read");
        Ok(Some((prior.clone(), None)))
    }

    async fn update(
        &self,
        _: &Client,
        _prior: &Named,
        planned: &Named,
        private: &[u8],
    ) -> Outcome<Named> {
        record(
            &self.0,
            format!("update {}", String::from_utf8_lossy(private)),
        );
        Outcome::keeping_private(Some(planned.clone()), Diagnostics::new())
    }

    async fn delete(&self, _: &Client, _prior: &Named, private: &[u8]) -> Diagnostics {
        record(
            &self.0,
            format!("delete {}", String::from_utf8_lossy(private)),
        );
        Diagnostics::new()
    }

    async fn import(&self, _: &Client, id: &str) -> Result<Named, Diagnostics> {
        record(&self.0, format!("import {id}"));
        Ok(Named {
            name: Tri::Known(id.to_string()),
            id: Tri::Known(format!("widget-{id}")),
        })
    }
}

struct Gadget(Calls);

#[async_trait::async_trait]
impl registry::DataSource for Gadget {
    type Model = Named;

    fn type_name(&self) -> &'static str {
        GADGET
    }

    fn schema(&self) -> Schema {
        named_schema()
    }

    fn validate(&self, config: &Named) -> Diagnostics {
        record(&self.0, "validate data");
        invalid_name(config)
    }

    fn time_limit(&self) -> Duration {
        Duration::from_secs(5)
    }

    async fn read(&self, _: &Client, config: &Named) -> Result<(Named, Diagnostics), Diagnostics> {
        record(&self.0, "read data");
        let found = Named {
            id: Tri::Known("gadget-1".into()),
            ..config.clone()
        };
        Ok((found, Diagnostics::new()))
    }
}

fn named(name: &str, id: Tri<String>) -> Value {
    Named {
        name: Tri::Known(name.to_string()),
        id,
    }
    .to_value()
}

fn dynamic(value: &Value) -> Option<pb::DynamicValue> {
    let ty = named_schema().value_type();
    let msgpack = value::encode_msgpack(value, &ty).ok()?;
    Some(pb::DynamicValue {
        msgpack,
        json: Vec::new(),
    })
}

fn from_dynamic(dynamic: Option<pb::DynamicValue>) -> Option<Named> {
    let ty = named_schema().value_type();
    let value = value::decode_msgpack(&dynamic?.msgpack, &ty).ok()?;
    Named::from_value(&value).ok()
}

/// A provider block with static keys: the client it builds sends nothing until used, and the
/// fakes never use it.
fn static_key_configuration() -> Option<pb::DynamicValue> {
    let schema = config::schema();
    let mut attributes: std::collections::BTreeMap<String, Value> = schema
        .block
        .attributes
        .iter()
        .map(|a| (a.name.to_string(), Value::Null))
        .collect();
    attributes.extend(
        schema
            .block
            .blocks
            .iter()
            .map(|b| (b.name.to_string(), Value::List(Vec::new()))),
    );
    for (name, setting) in [
        ("access_key", "LTAI-test"),
        ("secret_key", "test-secret"),
        ("region", "cn-hangzhou"),
    ] {
        attributes.insert(name.to_string(), Value::String(setting.into()));
    }
    let configured = Value::Object(attributes);
    let msgpack = value::encode_msgpack(&configured, &schema.value_type()).ok()?;
    Some(pb::DynamicValue {
        msgpack,
        json: Vec::new(),
    })
}

fn summaries(diagnostics: &[pb::Diagnostic]) -> Vec<&str> {
    diagnostics.iter().map(|d| d.summary.as_str()).collect()
}

#[tokio::test]
async fn a_second_resource_and_data_source_get_their_calls_from_the_generic_handlers() {
    let calls = Calls::default();
    let service = ProviderService::with_registry(
        Registry::default()
            .with_resource(Widget(calls.clone()))
            .with_data_source(Gadget(calls.clone())),
    );

    let schema = service
        .get_provider_schema(Request::new(Default::default()))
        .await
        .expect("schema")
        .into_inner();
    assert!(schema.resource_schemas.contains_key(WIDGET));
    assert!(schema.data_source_schemas.contains_key(GADGET));

    let validated = service
        .validate_resource_config(Request::new(pb::validate_resource_config::Request {
            type_name: WIDGET.into(),
            config: dynamic(&named("", Tri::Null)),
        }))
        .await
        .expect("validate")
        .into_inner();
    assert_eq!(summaries(&validated.diagnostics), vec!["Invalid name"]);

    let configured = service
        .configure_provider(Request::new(pb::configure_provider::Request {
            config: static_key_configuration(),
            ..Default::default()
        }))
        .await
        .expect("configure")
        .into_inner();
    assert!(configured.diagnostics.is_empty(), "{configured:?}");

    let planned = service
        .plan_resource_change(Request::new(pb::plan_resource_change::Request {
            type_name: WIDGET.into(),
            prior_state: dynamic(&Value::Null),
            proposed_new_state: dynamic(&named("w", Tri::Unknown)),
            config: dynamic(&named("w", Tri::Null)),
            ..Default::default()
        }))
        .await
        .expect("plan")
        .into_inner();
    assert!(planned.diagnostics.is_empty(), "{planned:?}");
    assert!(
        planned.requires_replace.is_empty(),
        "a create replaces nothing"
    );
    let planned_state = planned.planned_state;
    assert_eq!(
        from_dynamic(planned_state.clone()).map(|m| m.id),
        Some(Tri::Known("widget-w".into()))
    );

    let created = service
        .apply_resource_change(Request::new(pb::apply_resource_change::Request {
            type_name: WIDGET.into(),
            prior_state: dynamic(&Value::Null),
            planned_state: planned_state.clone(),
            ..Default::default()
        }))
        .await
        .expect("create")
        .into_inner();
    assert!(created.diagnostics.is_empty(), "{created:?}");
    assert_eq!(created.private, WIDGET_PRIVATE);

    let read = service
        .read_resource(Request::new(pb::read_resource::Request {
            type_name: WIDGET.into(),
            current_state: created.new_state.clone(),
            private: created.private.clone(),
            ..Default::default()
        }))
        .await
        .expect("read")
        .into_inner();
    assert_eq!(read.new_state, created.new_state);
    assert_eq!(read.private, WIDGET_PRIVATE, "private state is carried");

    let renamed = service
        .plan_resource_change(Request::new(pb::plan_resource_change::Request {
            type_name: WIDGET.into(),
            prior_state: read.new_state.clone(),
            proposed_new_state: dynamic(&named("v", Tri::Known("widget-w".into()))),
            config: dynamic(&named("v", Tri::Null)),
            ..Default::default()
        }))
        .await
        .expect("plan a rename")
        .into_inner();
    assert_eq!(
        renamed.requires_replace,
        vec![AttributePath::root("name").to_proto()],
        "declared on the attribute, found by the handlers"
    );

    for (prior, planned) in [
        (created.new_state.clone(), planned_state),
        (created.new_state, dynamic(&Value::Null)),
    ] {
        let applied = service
            .apply_resource_change(Request::new(pb::apply_resource_change::Request {
                type_name: WIDGET.into(),
                prior_state: prior,
                planned_state: planned,
                planned_private: WIDGET_PRIVATE.to_vec(),
                ..Default::default()
            }))
            .await
            .expect("apply")
            .into_inner();
        assert!(applied.diagnostics.is_empty(), "{applied:?}");
    }

    let data = service
        .read_data_source(Request::new(pb::read_data_source::Request {
            type_name: GADGET.into(),
            config: dynamic(&named("g", Tri::Unknown)),
            ..Default::default()
        }))
        .await
        .expect("data")
        .into_inner();
    assert_eq!(
        from_dynamic(data.state).map(|m| m.id),
        Some(Tri::Known("gadget-1".into()))
    );

    let recorded = calls.lock().map(|c| c.clone()).unwrap_or_default();
    assert_eq!(
        recorded,
        [
            "validate",
            "validate",
            "plan",
            "time_limit create",
            "create",
            "time_limit read",
            "read",
            "validate",
            "plan",
            "time_limit update",
            "update widget-private",
            "time_limit delete",
            "delete widget-private",
            "read data",
        ]
    );
}

#[tokio::test]
async fn a_type_in_no_registry_gets_the_one_unknown_type_diagnostic() {
    let service =
        ProviderService::with_registry(Registry::default().with_resource(Widget(Calls::default())));
    // The provider's own resource is not in this registry: the handlers know no type by name.
    for type_name in ["alicr_custom_oss_role", "alicr_nothing"] {
        let planned = service
            .plan_resource_change(Request::new(pb::plan_resource_change::Request {
                type_name: type_name.into(),
                ..Default::default()
            }))
            .await
            .expect("plan")
            .into_inner();
        assert_eq!(
            summaries(&planned.diagnostics),
            vec!["Unknown resource type"]
        );
        let data = service
            .read_data_source(Request::new(pb::read_data_source::Request {
                type_name: type_name.into(),
                ..Default::default()
            }))
            .await
            .expect("data")
            .into_inner();
        assert_eq!(summaries(&data.diagnostics), vec!["Unknown resource type"]);
    }
}
