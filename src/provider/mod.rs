//! The provider: the tfplugin6 service. Every call about a resource, a data source or a function
//! is looked up by type name in the [`registry`](mod@registry) and handled here the same way
//! for each: decode the values, set the deadline of the client, split apply into create, update
//! and delete, carry private state, encode the answer.
//!
//! # Layout
//! - [`registry`](mod@registry): the traits a resource, data source or function implements,
//!   and the registry.
//! - [`config`]: the provider block, and building the client from it.
//! - [`role`]: the `alicr_custom_oss_role` resource, one file per operation.
//! - [`data_source`]: the `alicr_custom_oss_role` data source.
//! - [`function`]: the `custom_oss_role_policy` provider function.
//! - [`errors`]: the one place Alibaba Cloud errors become diagnostics.
//! - [`validation`]: the input rules (names, ranges, URLs, durations).

pub mod config;
pub mod data_source;
pub mod errors;
pub mod function;
pub mod registry;
pub mod role;
pub mod validation;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use tokio::sync::RwLock;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tonic::{Request, Response, Status};

use crate::alicloud::Client;
use crate::plugin::diagnostics::Diagnostics;
use crate::plugin::proto::tfplugin6::{self as pb, provider_server::Provider};
use crate::plugin::value::{self, Type, Value};
use config::ProviderConfig;
use errors::TimeLimit;
use registry::{AnyResource, Operation, Outcome, Registry};

/// Every resource, data source and function this provider serves: adding one is one line here.
pub fn registry() -> Registry {
    Registry::default()
        .with_resource(role::CustomOssRole)
        .with_data_source(data_source::CustomOssRoleData)
        .with_function(function::CustomOssRolePolicy)
}

fn provider_config_type() -> &'static Type {
    static TYPE: OnceLock<Type> = OnceLock::new();
    TYPE.get_or_init(|| config::schema().value_type())
}

/// The provider's source address, as users write it in `required_providers`.
pub const PROVIDER_ADDRESS: &str = "registry.terraform.io/alicr/alicr";

/// The provider service; a cheap clonable handle over its shared state.
#[derive(Clone)]
pub struct ProviderService {
    state: Arc<State>,
}

impl Default for ProviderService {
    fn default() -> Self {
        Self::with_registry(registry())
    }
}

/// What `ConfigureProvider` left for the handlers.
enum Configured {
    /// The Alibaba Cloud client (it sends nothing until used).
    Ready(Client),
    /// Arguments that select the identity or the endpoint are not known yet (they come from
    /// other resources). No client is built: falling back to other credentials could act as
    /// another identity, so anything that needs RAM fails naming these arguments.
    Deferred { unknown: Vec<String> },
}

struct State {
    registry: Registry,
    configured: RwLock<Option<Configured>>,
    /// Cancelled by `StopProvider`; replaced so the provider keeps serving afterwards.
    stop: Mutex<CancellationToken>,
}

impl ProviderService {
    pub fn new() -> Self {
        Self::default()
    }

    /// A service for the types in `registry` (the provider's own: [`registry()`]).
    pub(crate) fn with_registry(registry: Registry) -> Self {
        ProviderService {
            state: Arc::new(State {
                registry,
                configured: RwLock::new(None),
                stop: Mutex::new(CancellationToken::new()),
            }),
        }
    }

    /// The token in-flight operations watch; cancelled by `StopProvider`.
    pub fn stop_token(&self) -> CancellationToken {
        match self.state.stop.lock() {
            Ok(token) => token.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    fn registry(&self) -> &Registry {
        &self.state.registry
    }
}

/// Why a call to RAM cannot be made while provider arguments are unknown, and how to proceed.
fn configuration_not_known(unknown: &[String]) -> Diagnostics {
    let names: Vec<String> = unknown.iter().map(|name| format!("`{name}`")).collect();
    let mut diags = Diagnostics::new();
    let detail = format!(
        "The alicr provider block's {} {} not known yet: {} from a resource that has not been \
         applied. This step has to call RAM, and the provider will not use any other \
         credentials or endpoint in the meantime. Apply the resource that produces {} first \
         (for example `terraform apply -target=RESOURCE_ADDRESS`), then run this command again.",
        names.join(", "),
        if names.len() == 1 { "is" } else { "are" },
        if names.len() == 1 {
            "it comes"
        } else {
            "they come"
        },
        if names.len() == 1 { "it" } else { "them" },
    );
    diags.error("Provider configuration not known yet", detail);
    diags
}

/// Decodes a `DynamicValue` (msgpack, or JSON when that is all Terraform sent).
fn decode(dynamic: Option<&pb::DynamicValue>, ty: &Type) -> Result<Value, Diagnostics> {
    let result = match dynamic {
        None => return Ok(Value::Null),
        Some(dv) if !dv.msgpack.is_empty() => value::decode_msgpack(&dv.msgpack, ty),
        Some(dv) if !dv.json.is_empty() => value::decode_json(&dv.json, ty),
        Some(_) => return Ok(Value::Null),
    };
    result.map_err(|error| {
        let mut diags = Diagnostics::new();
        diags.error(
            "Could not decode a value from Terraform",
            format!("the provider could not read a value Terraform sent: {error}"),
        );
        diags
    })
}

fn encode(value: &Value, ty: &Type) -> Result<pb::DynamicValue, Diagnostics> {
    value::encode_msgpack(value, ty)
        .map(|msgpack| pb::DynamicValue {
            msgpack,
            json: Vec::new(),
        })
        .map_err(|error| {
            let mut diags = Diagnostics::new();
            diags.error(
                "Could not encode a value for Terraform",
                format!("internal error in the provider: {error}"),
            );
            diags
        })
}

/// A resource's state, or null when there is none.
fn encode_state(
    resource: &dyn AnyResource,
    state: Option<&Value>,
) -> Result<pb::DynamicValue, Diagnostics> {
    encode(state.unwrap_or(&Value::Null), resource.value_type())
}

impl ProviderService {
    /// The configured client, or a diagnostic if Terraform has not configured the provider.
    async fn client(&self) -> Result<Client, Diagnostics> {
        match &*self.state.configured.read().await {
            Some(Configured::Ready(client)) => Ok(client.clone()),
            Some(Configured::Deferred { unknown }) => Err(configuration_not_known(unknown)),
            None => {
                let mut diags = Diagnostics::new();
                diags.error(
                    "Provider not configured",
                    "the alicr provider was used before Terraform configured it (its configuration may depend on values not known yet)",
                );
                Err(diags)
            }
        }
    }

    /// The configured client whose every call (retries and backoff included) ends within
    /// `limit` from now, and that deadline.
    /// The deadline is named after `ran_out`, so a call that runs out says which limit it was.
    async fn client_until(
        &self,
        limit: Duration,
        ran_out: TimeLimit<'_>,
    ) -> Result<(Client, Instant), Diagnostics> {
        let deadline = Instant::now() + limit;
        let client = self
            .client()
            .await?
            .with_named_deadline(deadline, ran_out.describe(limit));
        Ok((client, deadline))
    }
}

/// Adds the diagnostic that names the timeout when failures came with the deadline passed.
fn with_timeout_note(
    mut diags: Diagnostics,
    ran_out: TimeLimit<'_>,
    limit: Duration,
    deadline: Instant,
) -> Diagnostics {
    if diags.has_errors() && Instant::now() >= deadline {
        let timed_out = errors::timed_out(ran_out, limit, &diags);
        diags.extend(timed_out);
    }
    diags
}

#[tonic::async_trait]
impl Provider for ProviderService {
    async fn get_metadata(
        &self,
        _request: Request<pb::get_metadata::Request>,
    ) -> Result<Response<pb::get_metadata::Response>, Status> {
        let registry = self.registry();
        Ok(Response::new(pb::get_metadata::Response {
            server_capabilities: Some(capabilities()),
            resources: registry
                .resource_schemas()
                .map(|(type_name, _)| pb::get_metadata::ResourceMetadata {
                    type_name: type_name.to_string(),
                })
                .collect(),
            data_sources: registry
                .data_source_schemas()
                .map(|(type_name, _)| pb::get_metadata::DataSourceMetadata {
                    type_name: type_name.to_string(),
                })
                .collect(),
            functions: registry
                .function_signatures()
                .map(|signature| pb::get_metadata::FunctionMetadata {
                    name: signature.name.to_string(),
                })
                .collect(),
            ..Default::default()
        }))
    }

    async fn get_provider_schema(
        &self,
        _request: Request<pb::get_provider_schema::Request>,
    ) -> Result<Response<pb::get_provider_schema::Response>, Status> {
        let registry = self.registry();
        Ok(Response::new(pb::get_provider_schema::Response {
            provider: Some(config::schema().to_proto()),
            resource_schemas: registry
                .resource_schemas()
                .map(|(type_name, schema)| (type_name.to_string(), schema.to_proto()))
                .collect(),
            data_source_schemas: registry
                .data_source_schemas()
                .map(|(type_name, schema)| (type_name.to_string(), schema.to_proto()))
                .collect(),
            functions: functions(registry),
            server_capabilities: Some(capabilities()),
            ..Default::default()
        }))
    }

    async fn validate_provider_config(
        &self,
        request: Request<pb::validate_provider_config::Request>,
    ) -> Result<Response<pb::validate_provider_config::Response>, Status> {
        let request = request.into_inner();
        let diagnostics = decode(request.config.as_ref(), provider_config_type())
            .and_then(|value| ProviderConfig::from_value(&value))
            .map(|config| config.validate())
            .unwrap_or_else(|diags| diags);
        Ok(Response::new(pb::validate_provider_config::Response {
            diagnostics: diagnostics.into_proto(),
        }))
    }

    async fn validate_resource_config(
        &self,
        request: Request<pb::validate_resource_config::Request>,
    ) -> Result<Response<pb::validate_resource_config::Response>, Status> {
        let request = request.into_inner();
        let diagnostics = self
            .registry()
            .resource(&request.type_name)
            .and_then(|resource| {
                let config = decode(request.config.as_ref(), resource.value_type())?;
                Ok(match config {
                    Value::Null => Diagnostics::new(),
                    config => resource.validate(&config),
                })
            })
            .unwrap_or_else(|diags| diags);
        Ok(Response::new(pb::validate_resource_config::Response {
            diagnostics: diagnostics.into_proto(),
        }))
    }

    async fn validate_data_resource_config(
        &self,
        request: Request<pb::validate_data_resource_config::Request>,
    ) -> Result<Response<pb::validate_data_resource_config::Response>, Status> {
        let request = request.into_inner();
        let diagnostics = self
            .registry()
            .data_source(&request.type_name)
            .and_then(|data_source| {
                let config = decode(request.config.as_ref(), data_source.value_type())?;
                Ok(match config {
                    Value::Null => Diagnostics::new(),
                    config => data_source.validate(&config),
                })
            })
            .unwrap_or_else(|diags| diags);
        Ok(Response::new(pb::validate_data_resource_config::Response {
            diagnostics: diagnostics.into_proto(),
        }))
    }

    async fn upgrade_resource_state(
        &self,
        request: Request<pb::upgrade_resource_state::Request>,
    ) -> Result<Response<pb::upgrade_resource_state::Response>, Status> {
        let request = request.into_inner();
        let result = self
            .registry()
            .resource(&request.type_name)
            .and_then(|resource| upgrade_state(resource, request.raw_state.as_ref()));
        let (upgraded_state, diagnostics) = match result {
            Ok(state) => (Some(state), Diagnostics::new()),
            Err(diags) => (None, diags),
        };
        Ok(Response::new(pb::upgrade_resource_state::Response {
            upgraded_state,
            diagnostics: diagnostics.into_proto(),
        }))
    }

    async fn configure_provider(
        &self,
        request: Request<pb::configure_provider::Request>,
    ) -> Result<Response<pb::configure_provider::Response>, Status> {
        let request = request.into_inner();
        let parsed = decode(request.config.as_ref(), provider_config_type()).and_then(|value| {
            ProviderConfig::from_value(&value)
                .map(|config| (config::unknown_arguments(&value), config))
        });
        let diagnostics = match parsed {
            Ok((unknown, config)) => {
                let mut diags = config.validate();
                if !diags.has_errors() && !unknown.is_empty() {
                    tracing::debug!(unknown = ?unknown, "provider configuration not known yet; no client until it is");
                    *self.state.configured.write().await = Some(Configured::Deferred { unknown });
                } else if !diags.has_errors() {
                    match config.connect() {
                        Ok(client) => {
                            tracing::debug!(terraform_version = %request.terraform_version, "provider configured");
                            *self.state.configured.write().await = Some(Configured::Ready(client));
                        }
                        Err(error) => {
                            diags.error("Invalid provider configuration", error.to_string())
                        }
                    }
                }
                diags
            }
            Err(diags) => diags,
        };
        Ok(Response::new(pb::configure_provider::Response {
            diagnostics: diagnostics.into_proto(),
        }))
    }

    async fn read_resource(
        &self,
        request: Request<pb::read_resource::Request>,
    ) -> Result<Response<pb::read_resource::Response>, Status> {
        let request = request.into_inner();
        let result = self.read(&request).await;
        let mut response = pb::read_resource::Response {
            private: request.private,
            ..Default::default()
        };
        match result {
            Ok((state, private)) => {
                response.new_state = Some(state);
                if let Some(private) = private {
                    response.private = private;
                }
            }
            Err(diags) => {
                response.new_state = request.current_state;
                response.diagnostics = diags.into_proto();
            }
        }
        Ok(Response::new(response))
    }

    async fn plan_resource_change(
        &self,
        request: Request<pb::plan_resource_change::Request>,
    ) -> Result<Response<pb::plan_resource_change::Response>, Status> {
        let request = request.into_inner();
        let result = self.plan(&request);
        let mut response = pb::plan_resource_change::Response {
            planned_private: request.prior_private,
            ..Default::default()
        };
        match result {
            Ok((planned_state, requires_replace)) => {
                response.planned_state = Some(planned_state);
                response.requires_replace = requires_replace;
            }
            Err(diags) => response.diagnostics = diags.into_proto(),
        }
        Ok(Response::new(response))
    }

    async fn apply_resource_change(
        &self,
        request: Request<pb::apply_resource_change::Request>,
    ) -> Result<Response<pb::apply_resource_change::Response>, Status> {
        let request = request.into_inner();
        let mut private = request.planned_private.clone();
        let (new_state, diagnostics) = match self.apply(&request).await {
            Ok((resource, outcome)) => {
                match (&outcome.state, outcome.private) {
                    (None, _) => private.clear(),
                    (Some(_), Some(kept)) => private = kept,
                    (Some(_), None) => {}
                }
                (
                    encode_state(resource, outcome.state.as_ref()),
                    outcome.diagnostics,
                )
            }
            Err(diags) => (Ok(request.prior_state.clone().unwrap_or_default()), diags),
        };
        let (new_state, diagnostics) = match new_state {
            Ok(state) => (Some(state), diagnostics),
            Err(mut encode_diags) => {
                encode_diags.extend(diagnostics);
                (request.prior_state, encode_diags)
            }
        };
        Ok(Response::new(pb::apply_resource_change::Response {
            new_state,
            private,
            diagnostics: diagnostics.into_proto(),
            legacy_type_system: false,
        }))
    }

    async fn import_resource_state(
        &self,
        request: Request<pb::import_resource_state::Request>,
    ) -> Result<Response<pb::import_resource_state::Response>, Status> {
        let request = request.into_inner();
        let mut response = pb::import_resource_state::Response::default();
        match self.import(&request).await {
            Ok(state) => {
                response.imported_resources = vec![pb::import_resource_state::ImportedResource {
                    type_name: request.type_name,
                    state: Some(state),
                    private: Vec::new(),
                }]
            }
            Err(diags) => response.diagnostics = diags.into_proto(),
        }
        Ok(Response::new(response))
    }

    async fn read_data_source(
        &self,
        request: Request<pb::read_data_source::Request>,
    ) -> Result<Response<pb::read_data_source::Response>, Status> {
        let request = request.into_inner();
        let mut response = pb::read_data_source::Response::default();
        match self.read_data(&request).await {
            Ok((state, warnings)) => {
                response.state = Some(state);
                response.diagnostics = warnings.into_proto();
            }
            Err(diags) => response.diagnostics = diags.into_proto(),
        }
        Ok(Response::new(response))
    }

    async fn get_functions(
        &self,
        _request: Request<pb::get_functions::Request>,
    ) -> Result<Response<pb::get_functions::Response>, Status> {
        Ok(Response::new(pb::get_functions::Response {
            functions: functions(self.registry()),
            diagnostics: Vec::new(),
        }))
    }

    async fn call_function(
        &self,
        request: Request<pb::call_function::Request>,
    ) -> Result<Response<pb::call_function::Response>, Status> {
        let request = request.into_inner();
        let outcome = match self.registry().function(&request.name) {
            Some(function) => function
                .call(&request.arguments)
                .map_err(function::CallError::into_proto),
            None => Err(pb::FunctionError {
                text: format!("this provider has no function named {:?}", request.name),
                function_argument: None,
            }),
        };
        let response = match outcome {
            Ok(result) => pb::call_function::Response {
                result: Some(result),
                error: None,
            },
            Err(error) => pb::call_function::Response {
                result: None,
                error: Some(error),
            },
        };
        Ok(Response::new(response))
    }

    async fn stop_provider(
        &self,
        _request: Request<pb::stop_provider::Request>,
    ) -> Result<Response<pb::stop_provider::Response>, Status> {
        tracing::info!("Terraform asked the provider to stop; cancelling in-flight operations");
        let mut token = match self.state.stop.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        token.cancel();
        *token = CancellationToken::new();
        Ok(Response::new(pb::stop_provider::Response::default()))
    }
}

/// The provider functions, by name, as `GetProviderSchema` and `GetFunctions` announce them.
fn functions(registry: &Registry) -> HashMap<String, pb::Function> {
    registry
        .function_signatures()
        .map(|signature| (signature.name.to_string(), signature.to_proto()))
        .collect()
}

fn capabilities() -> pb::ServerCapabilities {
    pb::ServerCapabilities {
        plan_destroy: false,
        get_provider_schema_optional: true,
        move_resource_state: false,
    }
}

/// Reads stored JSON state against the current schema (attributes that no longer exist are
/// dropped) and hands it back as msgpack.
fn upgrade_state(
    resource: &dyn AnyResource,
    raw: Option<&pb::RawState>,
) -> Result<pb::DynamicValue, Diagnostics> {
    let ty = resource.value_type();
    let Some(raw) = raw.filter(|r| !r.json.is_empty()) else {
        let mut diags = Diagnostics::new();
        diags.error(
            "Unsupported state format",
            "the stored state has no JSON form (legacy flatmap state is not supported)",
        );
        return Err(diags);
    };
    let value = value::decode_json(&raw.json, ty).map_err(|error| {
        let mut diags = Diagnostics::new();
        diags.error(
            "Could not read the stored state",
            format!(
                "the state of {} is not valid for this provider: {error}",
                resource.type_name()
            ),
        );
        diags
    })?;
    encode(&value, ty)
}

/// The resource handlers, the same for every resource type.
impl ProviderService {
    fn plan(
        &self,
        request: &pb::plan_resource_change::Request,
    ) -> Result<(pb::DynamicValue, Vec<pb::AttributePath>), Diagnostics> {
        let resource = self.registry().resource(&request.type_name)?;
        let ty = resource.value_type();
        let prior = decode(request.prior_state.as_ref(), ty)?;
        let proposed = decode(request.proposed_new_state.as_ref(), ty)?;
        if matches!(proposed, Value::Null) {
            // Destroy: the planned state is null.
            return Ok((encode_state(resource, None)?, Vec::new()));
        }
        let config = decode(request.config.as_ref(), ty)?;
        let plan = resource.plan(&prior, &proposed, &config)?;
        Ok((
            encode(&plan.planned, ty)?,
            plan.requires_replace.iter().map(|p| p.to_proto()).collect(),
        ))
    }

    async fn read(
        &self,
        request: &pb::read_resource::Request,
    ) -> Result<(pb::DynamicValue, Option<Vec<u8>>), Diagnostics> {
        let resource = self.registry().resource(&request.type_name)?;
        let prior = decode(request.current_state.as_ref(), resource.value_type())?;
        if matches!(prior, Value::Null) {
            return Ok((encode_state(resource, None)?, None));
        }
        let limit = resource.time_limit(&prior, Operation::Read)?;
        let ran_out = TimeLimit::Resource {
            type_name: resource.type_name(),
            operation: Operation::Read.name(),
        };
        let (client, deadline) = self.client_until(limit, ran_out).await?;
        let found = resource
            .read(&client, &prior)
            .await
            .map_err(|diags| with_timeout_note(diags, ran_out, limit, deadline))?;
        match found {
            Some((current, private)) => Ok((encode_state(resource, Some(&current))?, private)),
            None => Ok((encode_state(resource, None)?, None)),
        }
    }

    /// Apply, split into create (no prior state), update, and delete (no planned state).
    async fn apply(
        &self,
        request: &pb::apply_resource_change::Request,
    ) -> Result<(&dyn AnyResource, Outcome<Value>), Diagnostics> {
        let resource = self.registry().resource(&request.type_name)?;
        let ty = resource.value_type();
        let prior = decode(request.prior_state.as_ref(), ty)?;
        let planned = decode(request.planned_state.as_ref(), ty)?;
        let stop = self.stop_token();
        let operation = match (&prior, &planned) {
            (Value::Null, _) => Operation::Create,
            (_, Value::Null) => Operation::Delete,
            _ => Operation::Update,
        };
        let limit = match &planned {
            Value::Null => resource.time_limit(&prior, operation)?,
            planned => resource.time_limit(planned, operation)?,
        };
        let ran_out = TimeLimit::Resource {
            type_name: resource.type_name(),
            operation: operation.name(),
        };
        // Every retry and backoff of every call stops at the operation's deadline.
        let (client, deadline) = self.client_until(limit, ran_out).await?;
        let private = &request.planned_private;
        let mut outcome = match (&prior, &planned) {
            (Value::Null, Value::Null) => Outcome::keeping_private(None, Diagnostics::new()),
            (Value::Null, planned) => resource.create(&client, planned, &stop).await,
            (prior, Value::Null) => {
                let diagnostics = resource.delete(&client, prior, private).await;
                let state = diagnostics.has_errors().then(|| prior.clone());
                Outcome::keeping_private(state, diagnostics)
            }
            (prior, planned) => resource.update(&client, prior, planned, private).await,
        };
        outcome.diagnostics = with_timeout_note(outcome.diagnostics, ran_out, limit, deadline);
        Ok((resource, outcome))
    }

    async fn import(
        &self,
        request: &pb::import_resource_state::Request,
    ) -> Result<pb::DynamicValue, Diagnostics> {
        let resource = self.registry().resource(&request.type_name)?;
        let limit = resource.import_time_limit();
        let (client, deadline) = self.client_until(limit, TimeLimit::Fixed("import")).await?;
        let state = resource
            .import(&client, &request.id)
            .await
            .map_err(|diags| {
                with_timeout_note(diags, TimeLimit::Fixed("import"), limit, deadline)
            })?;
        encode_state(resource, Some(&state))
    }

    async fn read_data(
        &self,
        request: &pb::read_data_source::Request,
    ) -> Result<(pb::DynamicValue, Diagnostics), Diagnostics> {
        let data_source = self.registry().data_source(&request.type_name)?;
        let ty = data_source.value_type();
        let config = decode(request.config.as_ref(), ty)?;
        if matches!(config, Value::Null) {
            let mut diags = Diagnostics::new();
            diags.error(
                "Missing data source configuration",
                format!(
                    "Terraform sent no configuration for data.{}",
                    data_source.type_name()
                ),
            );
            return Err(diags);
        }
        let limit = data_source.time_limit();
        let what = format!("read of data.{}", data_source.type_name());
        let ran_out = TimeLimit::Fixed(&what);
        let (client, deadline) = self.client_until(limit, ran_out).await?;
        let (found, warnings) = data_source
            .read(&client, &config)
            .await
            .map_err(|diags| with_timeout_note(diags, ran_out, limit, deadline))?;
        Ok((encode(&found, ty)?, warnings))
    }
}

#[cfg(test)]
mod tests;
