//! The registry: every resource, data source and function the provider serves, found by type
//! name, so the gRPC handlers in the parent module are the same for each of them.
//!
//! A resource or data source implements `Resource` or `DataSource` on its own typed model;
//! the registry wraps it (schema and value type built once) behind the value-level
//! `AnyResource` / `AnyDataSource` the handlers call. Decoding a `Value` into the model
//! and back happens here, once for every type.

use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::alicloud::Client;
use crate::plugin::diagnostics::{AttributePath, Diagnostics};
use crate::plugin::proto::tfplugin6 as pb;
use crate::plugin::schema::Schema;
use crate::plugin::value::{Type, Value};
use crate::provider::function::{CallError, Signature};

pub(crate) use crate::plugin::typed::ObjectModel as Model;

/// Which operation a time limit is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Operation {
    Create,
    Update,
    Delete,
    Read,
}

impl Operation {
    /// The operation's name, as in a `timeouts` block.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Operation::Create => "create",
            Operation::Update => "update",
            Operation::Delete => "delete",
            Operation::Read => "read",
        }
    }
}

/// The outcome of planning: the planned state and the attributes whose change forces replacement.
pub(crate) struct Plan {
    pub(crate) planned: Value,
    pub(crate) requires_replace: Vec<AttributePath>,
}

/// What a create or an update produced: the state to record (None = nothing exists) and any
/// problems. A state returned together with errors from a create is recorded by Terraform as
/// tainted.
#[derive(Debug)]
pub(crate) struct Outcome<M> {
    pub(crate) state: Option<M>,
    pub(crate) diagnostics: Diagnostics,
    /// New private state for the resource; `None` keeps what Terraform sent.
    pub(crate) private: Option<Vec<u8>>,
}

impl<M> Outcome<M> {
    /// An outcome that records `state` with `diagnostics` and leaves private state as it was.
    pub(crate) fn keeping_private(state: Option<M>, diagnostics: Diagnostics) -> Self {
        Outcome {
            state,
            diagnostics,
            private: None,
        }
    }
}

/// What a refresh found: the current state and the private state to keep with it.
pub(crate) type Refreshed<M> = Option<(M, Option<Vec<u8>>)>;

/// A managed resource type, in the order of its lifecycle. Every method works on the typed
/// model; the handlers decode and encode, look the type up, and set the deadline of the client.
#[async_trait::async_trait]
pub(crate) trait Resource: Send + Sync + 'static {
    type Model: Model;

    fn type_name(&self) -> &'static str;
    fn schema(&self) -> Schema;
    /// Every check of a configuration that can be made before apply; `raw` is the configuration
    /// as sent (it can hold what the model cannot, such as a set with some unknown elements).
    fn validate(&self, config: &Self::Model, raw: &Value) -> Diagnostics;
    /// Plans a create (no prior state) or an update of a configuration that validated.
    /// `proposed` already holds what the schema declares (defaults, prior values kept for
    /// unknown); what requires replacement is found from the declarations afterwards.
    fn plan(
        &self,
        prior: Option<&Self::Model>,
        proposed: &Self::Model,
        config: &Self::Model,
    ) -> Self::Model;
    /// How long `operation` may take for this state (or for no state at all).
    fn time_limit(&self, state: Option<&Self::Model>, operation: Operation) -> Duration;
    /// How long an import may take.
    fn import_time_limit(&self) -> Duration;

    async fn create(
        &self,
        client: &Client,
        planned: &Self::Model,
        stop: &CancellationToken,
    ) -> Outcome<Self::Model>;
    /// Refresh: `None` when the object is gone.
    async fn read(
        &self,
        client: &Client,
        prior: &Self::Model,
    ) -> Result<Refreshed<Self::Model>, Diagnostics>;
    async fn update(
        &self,
        client: &Client,
        prior: &Self::Model,
        planned: &Self::Model,
        private: &[u8],
    ) -> Outcome<Self::Model>;
    async fn delete(&self, client: &Client, prior: &Self::Model, private: &[u8]) -> Diagnostics;
    async fn import(&self, client: &Client, id: &str) -> Result<Self::Model, Diagnostics>;
}

/// A data source type.
#[async_trait::async_trait]
pub(crate) trait DataSource: Send + Sync + 'static {
    type Model: Model;

    fn type_name(&self) -> &'static str;
    fn schema(&self) -> Schema;
    fn validate(&self, config: &Self::Model) -> Diagnostics;
    /// How long a read may take.
    fn time_limit(&self) -> Duration;
    /// Reads the object; the diagnostics that come with a result are warnings.
    async fn read(
        &self,
        client: &Client,
        config: &Self::Model,
    ) -> Result<(Self::Model, Diagnostics), Diagnostics>;
}

/// A provider function, called as `provider::alicr::<name>(...)`.
pub(crate) trait Function: Send + Sync + 'static {
    fn signature(&self) -> Signature;
    /// Evaluates the function on the arguments exactly as Terraform sent them.
    fn call(&self, arguments: &[pb::DynamicValue]) -> Result<pb::DynamicValue, CallError>;
}

/// A resource behind values: what the handlers call, whatever the resource's model.
#[async_trait::async_trait]
pub(crate) trait AnyResource: Send + Sync {
    fn type_name(&self) -> &'static str;
    fn schema(&self) -> &Schema;
    fn value_type(&self) -> &Type;
    /// Checks a non-null configuration.
    fn validate(&self, config: &Value) -> Diagnostics;
    /// Plans a non-null proposed state; `config` may be null (then `proposed` stands for it).
    fn plan(&self, prior: &Value, proposed: &Value, config: &Value) -> Result<Plan, Diagnostics>;
    fn time_limit(&self, state: &Value, operation: Operation) -> Result<Duration, Diagnostics>;
    fn import_time_limit(&self) -> Duration;
    async fn create(
        &self,
        client: &Client,
        planned: &Value,
        stop: &CancellationToken,
    ) -> Outcome<Value>;
    async fn read(&self, client: &Client, prior: &Value) -> Result<Refreshed<Value>, Diagnostics>;
    async fn update(
        &self,
        client: &Client,
        prior: &Value,
        planned: &Value,
        private: &[u8],
    ) -> Outcome<Value>;
    async fn delete(&self, client: &Client, prior: &Value, private: &[u8]) -> Diagnostics;
    async fn import(&self, client: &Client, id: &str) -> Result<Value, Diagnostics>;
}

/// A data source behind values.
#[async_trait::async_trait]
pub(crate) trait AnyDataSource: Send + Sync {
    fn type_name(&self) -> &'static str;
    fn schema(&self) -> &Schema;
    fn value_type(&self) -> &Type;
    fn validate(&self, config: &Value) -> Diagnostics;
    fn time_limit(&self) -> Duration;
    async fn read(
        &self,
        client: &Client,
        config: &Value,
    ) -> Result<(Value, Diagnostics), Diagnostics>;
}

/// A resource or data source with its schema and value type, built once.
struct Registered<T> {
    inner: T,
    schema: Schema,
    value_type: Type,
}

impl<T> Registered<T> {
    fn new(inner: T, schema: Schema) -> Self {
        let value_type = schema.value_type();
        Registered {
            inner,
            schema,
            value_type,
        }
    }
}

/// A null value stands for "no object" (a create's prior state, a destroy's planned state).
fn model_of<M: Model>(value: &Value) -> Result<Option<M>, Diagnostics> {
    match value {
        Value::Null => Ok(None),
        value => M::from_value(value).map(Some),
    }
}

fn value_of<M: Model>(model: Option<M>) -> Option<Value> {
    model.map(|model| model.to_value())
}

fn outcome_value<M: Model>(outcome: Outcome<M>) -> Outcome<Value> {
    Outcome {
        state: value_of(outcome.state),
        diagnostics: outcome.diagnostics,
        private: outcome.private,
    }
}

/// Plans a non-null proposed state, the same way for every resource: validate the
/// configuration, apply what the schema declares, let the resource plan the rest, find what
/// requires replacement, and keep configured values exactly as configured.
pub(crate) fn plan_values<R: Resource>(
    resource: &R,
    schema: &Schema,
    prior: &Value,
    proposed: &Value,
    config: &Value,
) -> Result<Plan, Diagnostics> {
    let prior_model = model_of::<R::Model>(prior)?;
    let proposed_model = R::Model::from_value(proposed)?;
    let config_model = model_of::<R::Model>(config)?.unwrap_or_else(|| proposed_model.clone());
    let diags = resource.validate(&config_model, config);
    if diags.has_errors() {
        return Err(diags);
    }
    let configured = if config.is_null() { proposed } else { config };
    let mut declared = proposed.clone();
    schema.block.plan_declared(&mut declared, prior, configured);
    let declared = R::Model::from_value(&declared)?;
    let mut planned = resource
        .plan(prior_model.as_ref(), &declared, &config_model)
        .to_value();
    let requires_replace = schema.block.replaced_attributes(&planned, prior);
    // The configured values themselves, where the user supplies them (see the method).
    schema.block.conform_to_config(&mut planned, config);
    Ok(Plan {
        planned,
        requires_replace,
    })
}

#[async_trait::async_trait]
impl<R: Resource> AnyResource for Registered<R> {
    fn type_name(&self) -> &'static str {
        self.inner.type_name()
    }

    fn schema(&self) -> &Schema {
        &self.schema
    }

    fn value_type(&self) -> &Type {
        &self.value_type
    }

    fn validate(&self, config: &Value) -> Diagnostics {
        match R::Model::from_value(config) {
            Ok(model) => self.inner.validate(&model, config),
            Err(diags) => diags,
        }
    }

    fn plan(&self, prior: &Value, proposed: &Value, config: &Value) -> Result<Plan, Diagnostics> {
        plan_values(&self.inner, &self.schema, prior, proposed, config)
    }

    fn time_limit(&self, state: &Value, operation: Operation) -> Result<Duration, Diagnostics> {
        let state = model_of::<R::Model>(state)?;
        Ok(self.inner.time_limit(state.as_ref(), operation))
    }

    fn import_time_limit(&self) -> Duration {
        self.inner.import_time_limit()
    }

    async fn create(
        &self,
        client: &Client,
        planned: &Value,
        stop: &CancellationToken,
    ) -> Outcome<Value> {
        match R::Model::from_value(planned) {
            Ok(planned) => outcome_value(self.inner.create(client, &planned, stop).await),
            Err(diags) => Outcome::keeping_private(None, diags),
        }
    }

    async fn read(&self, client: &Client, prior: &Value) -> Result<Refreshed<Value>, Diagnostics> {
        let prior = R::Model::from_value(prior)?;
        let found = self.inner.read(client, &prior).await?;
        Ok(found.map(|(state, private)| (state.to_value(), private)))
    }

    async fn update(
        &self,
        client: &Client,
        prior: &Value,
        planned: &Value,
        private: &[u8],
    ) -> Outcome<Value> {
        let models = R::Model::from_value(prior)
            .and_then(|prior| R::Model::from_value(planned).map(|planned| (prior, planned)));
        match models {
            Ok((prior, planned)) => {
                outcome_value(self.inner.update(client, &prior, &planned, private).await)
            }
            Err(diags) => Outcome::keeping_private(Some(prior.clone()), diags),
        }
    }

    async fn delete(&self, client: &Client, prior: &Value, private: &[u8]) -> Diagnostics {
        match R::Model::from_value(prior) {
            Ok(prior) => self.inner.delete(client, &prior, private).await,
            Err(diags) => diags,
        }
    }

    async fn import(&self, client: &Client, id: &str) -> Result<Value, Diagnostics> {
        self.inner
            .import(client, id)
            .await
            .map(|model| model.to_value())
    }
}

#[async_trait::async_trait]
impl<D: DataSource> AnyDataSource for Registered<D> {
    fn type_name(&self) -> &'static str {
        self.inner.type_name()
    }

    fn schema(&self) -> &Schema {
        &self.schema
    }

    fn value_type(&self) -> &Type {
        &self.value_type
    }

    fn validate(&self, config: &Value) -> Diagnostics {
        match D::Model::from_value(config) {
            Ok(model) => self.inner.validate(&model),
            Err(diags) => diags,
        }
    }

    fn time_limit(&self) -> Duration {
        self.inner.time_limit()
    }

    async fn read(
        &self,
        client: &Client,
        config: &Value,
    ) -> Result<(Value, Diagnostics), Diagnostics> {
        let config = D::Model::from_value(config)?;
        let (found, warnings) = self.inner.read(client, &config).await?;
        Ok((found.to_value(), warnings))
    }
}

/// Every type the provider serves, by name.
#[derive(Default)]
pub struct Registry {
    resources: Vec<Box<dyn AnyResource>>,
    data_sources: Vec<Box<dyn AnyDataSource>>,
    functions: Vec<Box<dyn Function>>,
}

impl Registry {
    pub(crate) fn with_resource<R: Resource>(mut self, resource: R) -> Self {
        let schema = resource.schema();
        self.resources
            .push(Box::new(Registered::new(resource, schema)));
        self
    }

    pub(crate) fn with_data_source<D: DataSource>(mut self, data_source: D) -> Self {
        let schema = data_source.schema();
        self.data_sources
            .push(Box::new(Registered::new(data_source, schema)));
        self
    }

    pub(crate) fn with_function<F: Function>(mut self, function: F) -> Self {
        self.functions.push(Box::new(function));
        self
    }

    /// The resource named `type_name`, or the one diagnostic for a type this provider lacks.
    pub(crate) fn resource(&self, type_name: &str) -> Result<&dyn AnyResource, Diagnostics> {
        self.resources
            .iter()
            .find(|r| r.type_name() == type_name)
            .map(|r| r.as_ref())
            .ok_or_else(|| unknown_type(type_name))
    }

    pub(crate) fn data_source(&self, type_name: &str) -> Result<&dyn AnyDataSource, Diagnostics> {
        self.data_sources
            .iter()
            .find(|d| d.type_name() == type_name)
            .map(|d| d.as_ref())
            .ok_or_else(|| unknown_type(type_name))
    }

    pub(crate) fn function(&self, name: &str) -> Option<&dyn Function> {
        self.functions
            .iter()
            .find(|f| f.signature().name == name)
            .map(|f| f.as_ref())
    }

    /// Every resource's type name and schema, in registration order.
    pub fn resource_schemas(&self) -> impl Iterator<Item = (&'static str, &Schema)> {
        self.resources.iter().map(|r| (r.type_name(), r.schema()))
    }

    /// Every data source's type name and schema, in registration order.
    pub fn data_source_schemas(&self) -> impl Iterator<Item = (&'static str, &Schema)> {
        self.data_sources
            .iter()
            .map(|d| (d.type_name(), d.schema()))
    }

    /// Every function's signature, in registration order.
    pub fn function_signatures(&self) -> impl Iterator<Item = Signature> + '_ {
        self.functions.iter().map(|f| f.signature())
    }
}

fn unknown_type(type_name: &str) -> Diagnostics {
    let mut diags = Diagnostics::new();
    diags.error(
        "Unknown resource type",
        format!("this provider has no resource or data source named {type_name:?}"),
    );
    diags
}
