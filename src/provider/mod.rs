//! The provider: the tfplugin6 service that dispatches Terraform's calls to the typed handlers of
//! the provider block, the resource, the data source and the function.

pub mod config;
pub mod data_source;
pub mod errors;
pub mod function;
pub mod lifecycle;
pub mod resource;
pub mod validation;

use std::sync::{Arc, Mutex, OnceLock};

use tokio::sync::RwLock;
use tokio_util::sync::CancellationToken;
use tonic::{Request, Response, Status};

use crate::alicloud::Client;
use crate::plugin::diagnostics::Diagnostics;
use crate::plugin::proto::tfplugin6::{self as pb, provider_server::Provider};
use crate::plugin::value::{self, Type, Value};
use config::ProviderConfig;
use data_source::DataSourceModel;
use resource::RoleModel;

/// The value types of the schemas, built once: every RPC decodes or encodes with one of them.
fn role_schema() -> &'static crate::plugin::schema::Schema {
    static SCHEMA: OnceLock<crate::plugin::schema::Schema> = OnceLock::new();
    SCHEMA.get_or_init(resource::schema)
}

fn role_type() -> &'static Type {
    static TYPE: OnceLock<Type> = OnceLock::new();
    TYPE.get_or_init(|| role_schema().value_type())
}

fn data_source_type() -> &'static Type {
    static TYPE: OnceLock<Type> = OnceLock::new();
    TYPE.get_or_init(|| data_source::schema().value_type())
}

fn provider_config_type() -> &'static Type {
    static TYPE: OnceLock<Type> = OnceLock::new();
    TYPE.get_or_init(|| config::schema().value_type())
}

/// The provider's source address, as users write it in `required_providers`.
pub const PROVIDER_ADDRESS: &str = "registry.terraform.io/alicr/alicr";

/// The provider service; a cheap clonable handle over its shared state.
#[derive(Clone, Default)]
pub struct ProviderService {
    state: Arc<State>,
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

#[derive(Default)]
struct State {
    configured: RwLock<Option<Configured>>,
    /// Cancelled by `StopProvider`; replaced so the provider keeps serving afterwards.
    stop: Mutex<CancellationToken>,
}

impl ProviderService {
    pub fn new() -> Self {
        Self::default()
    }

    /// The token in-flight operations watch; cancelled by `StopProvider`.
    pub fn stop_token(&self) -> CancellationToken {
        match self.state.stop.lock() {
            Ok(token) => token.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
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

fn unknown_type(type_name: &str) -> Diagnostics {
    let mut diags = Diagnostics::new();
    diags.error(
        "Unknown resource type",
        format!("this provider has no resource or data source named {type_name:?}"),
    );
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

fn decode_role(dynamic: Option<&pb::DynamicValue>) -> Result<Option<RoleModel>, Diagnostics> {
    decode_role_value(dynamic).map(|(_, model)| model)
}

/// The decoded value as Terraform sent it (for what a typed model cannot hold, such as a set
/// with some unknown elements) together with its typed model.
fn decode_role_value(
    dynamic: Option<&pb::DynamicValue>,
) -> Result<(Value, Option<RoleModel>), Diagnostics> {
    let value = decode(dynamic, role_type())?;
    if matches!(value, Value::Null) {
        return Ok((value, None));
    }
    let model = RoleModel::from_value(&value)?;
    Ok((value, Some(model)))
}

/// Every check of a configuration that can be made before apply.
fn validate_role_config(raw: &Value, model: &RoleModel) -> Diagnostics {
    let mut diags = model.validate();
    diags.extend(resource::validate_partial_buckets(raw));
    diags
}

fn encode_role(model: Option<&RoleModel>) -> Result<pb::DynamicValue, Diagnostics> {
    match model {
        Some(model) => encode(&model.to_value(), role_type()),
        None => encode(&Value::Null, role_type()),
    }
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
}

impl ProviderService {
    /// The configured client whose every call (retries and backoff included) ends within
    /// `limit` from now, and that deadline.
    /// The deadline is named after `ran_out`, so a call that runs out says which limit it was.
    async fn client_until(
        &self,
        limit: std::time::Duration,
        ran_out: errors::TimeLimit<'_>,
    ) -> Result<(Client, tokio::time::Instant), Diagnostics> {
        let deadline = tokio::time::Instant::now() + limit;
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
    ran_out: errors::TimeLimit<'_>,
    limit: std::time::Duration,
    deadline: tokio::time::Instant,
) -> Diagnostics {
    if diags.has_errors() && tokio::time::Instant::now() >= deadline {
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
        Ok(Response::new(pb::get_metadata::Response {
            server_capabilities: Some(capabilities()),
            resources: vec![pb::get_metadata::ResourceMetadata {
                type_name: resource::TYPE_NAME.to_string(),
            }],
            data_sources: vec![pb::get_metadata::DataSourceMetadata {
                type_name: data_source::TYPE_NAME.to_string(),
            }],
            functions: vec![pb::get_metadata::FunctionMetadata {
                name: function::NAME.to_string(),
            }],
            ..Default::default()
        }))
    }

    async fn get_provider_schema(
        &self,
        _request: Request<pb::get_provider_schema::Request>,
    ) -> Result<Response<pb::get_provider_schema::Response>, Status> {
        Ok(Response::new(pb::get_provider_schema::Response {
            provider: Some(config::schema().to_proto()),
            resource_schemas: [(
                resource::TYPE_NAME.to_string(),
                resource::schema().to_proto(),
            )]
            .into(),
            data_source_schemas: [(
                data_source::TYPE_NAME.to_string(),
                data_source::schema().to_proto(),
            )]
            .into(),
            functions: functions(),
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
        let diagnostics = if request.type_name == resource::TYPE_NAME {
            match decode_role_value(request.config.as_ref()) {
                Ok((raw, Some(model))) => validate_role_config(&raw, &model),
                Ok((_, None)) => Diagnostics::new(),
                Err(diags) => diags,
            }
        } else {
            unknown_type(&request.type_name)
        };
        Ok(Response::new(pb::validate_resource_config::Response {
            diagnostics: diagnostics.into_proto(),
        }))
    }

    async fn validate_data_resource_config(
        &self,
        request: Request<pb::validate_data_resource_config::Request>,
    ) -> Result<Response<pb::validate_data_resource_config::Response>, Status> {
        let request = request.into_inner();
        let diagnostics = if request.type_name == data_source::TYPE_NAME {
            match decode_data_source(request.config.as_ref()) {
                Ok(Some(model)) => model.validate(),
                Ok(None) => Diagnostics::new(),
                Err(diags) => diags,
            }
        } else {
            unknown_type(&request.type_name)
        };
        Ok(Response::new(pb::validate_data_resource_config::Response {
            diagnostics: diagnostics.into_proto(),
        }))
    }

    async fn upgrade_resource_state(
        &self,
        request: Request<pb::upgrade_resource_state::Request>,
    ) -> Result<Response<pb::upgrade_resource_state::Response>, Status> {
        let request = request.into_inner();
        let result = if request.type_name != resource::TYPE_NAME {
            Err(unknown_type(&request.type_name))
        } else {
            upgrade_state(request.raw_state.as_ref())
        };
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
        let result = self.read_role(&request).await;
        let mut response = pb::read_resource::Response {
            private: request.private,
            ..Default::default()
        };
        match result {
            Ok((state, snapshot)) => {
                response.new_state = Some(state);
                if let Some(snapshot) = snapshot {
                    response.private = snapshot.encode();
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
        let result = plan_role(&request);
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
        let (new_state, diagnostics) = match self.apply_role(&request).await {
            Ok(outcome) => {
                match (&outcome.state, &outcome.snapshot) {
                    (None, _) => private.clear(),
                    (Some(_), Some(snapshot)) => private = snapshot.encode(),
                    (Some(_), None) => {}
                }
                (encode_role(outcome.state.as_ref()), outcome.diagnostics)
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
        match self.import_role(&request).await {
            Ok(state) => {
                response.imported_resources = vec![pb::import_resource_state::ImportedResource {
                    type_name: resource::TYPE_NAME.to_string(),
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
            functions: functions(),
            diagnostics: Vec::new(),
        }))
    }

    async fn call_function(
        &self,
        request: Request<pb::call_function::Request>,
    ) -> Result<Response<pb::call_function::Response>, Status> {
        let request = request.into_inner();
        let outcome = if request.name == function::NAME {
            function::call(&request.arguments).map_err(function::CallError::into_proto)
        } else {
            Err(pb::FunctionError {
                text: format!("this provider has no function named {:?}", request.name),
                function_argument: None,
            })
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
fn functions() -> std::collections::HashMap<String, pb::Function> {
    [(function::NAME.to_string(), function::signature().to_proto())].into()
}

fn decode_data_source(
    dynamic: Option<&pb::DynamicValue>,
) -> Result<Option<DataSourceModel>, Diagnostics> {
    let value = decode(dynamic, data_source_type())?;
    if matches!(value, Value::Null) {
        return Ok(None);
    }
    DataSourceModel::from_value(&value).map(Some)
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
fn upgrade_state(raw: Option<&pb::RawState>) -> Result<pb::DynamicValue, Diagnostics> {
    let ty = role_type();
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
            format!("the state of alicr_custom_oss_role is not valid for this provider: {error}"),
        );
        diags
    })?;
    encode(&value, ty)
}

fn plan_role(
    request: &pb::plan_resource_change::Request,
) -> Result<(pb::DynamicValue, Vec<pb::AttributePath>), Diagnostics> {
    if request.type_name != resource::TYPE_NAME {
        return Err(unknown_type(&request.type_name));
    }
    let prior = decode_role(request.prior_state.as_ref())?;
    let Some(proposed) = decode_role(request.proposed_new_state.as_ref())? else {
        // Destroy: the planned state is null.
        return Ok((encode_role(None)?, Vec::new()));
    };
    let (config_raw, config) = decode_role_value(request.config.as_ref())?;
    let config = config.unwrap_or_else(|| proposed.clone());
    let diags = validate_role_config(&config_raw, &config);
    if diags.has_errors() {
        return Err(diags);
    }
    let plan = resource::plan(prior.as_ref(), &proposed, &config);
    let mut planned = plan.planned.to_value();
    role_schema()
        .block
        .conform_to_config(&mut planned, &config_raw);
    Ok((
        encode(&planned, role_type())?,
        plan.requires_replace.iter().map(|p| p.to_proto()).collect(),
    ))
}

/// The resource handlers that talk to RAM.
impl ProviderService {
    async fn read_role(
        &self,
        request: &pb::read_resource::Request,
    ) -> Result<(pb::DynamicValue, Option<lifecycle::AttachmentSnapshot>), Diagnostics> {
        if request.type_name != resource::TYPE_NAME {
            return Err(unknown_type(&request.type_name));
        }
        let Some(prior) = decode_role(request.current_state.as_ref())? else {
            return Ok((encode_role(None)?, None));
        };
        let limit = prior.timeout(resource::Operation::Read);
        let (client, deadline) = self
            .client_until(limit, errors::TimeLimit::Resource("read"))
            .await?;
        let found = lifecycle::read(&client, &prior).await.map_err(|diags| {
            with_timeout_note(diags, errors::TimeLimit::Resource("read"), limit, deadline)
        })?;
        match found {
            Some((current, snapshot)) => Ok((encode_role(Some(&current))?, Some(snapshot))),
            None => Ok((encode_role(None)?, None)),
        }
    }

    async fn apply_role(
        &self,
        request: &pb::apply_resource_change::Request,
    ) -> Result<lifecycle::Outcome, Diagnostics> {
        if request.type_name != resource::TYPE_NAME {
            return Err(unknown_type(&request.type_name));
        }
        let prior = decode_role(request.prior_state.as_ref())?;
        let planned = decode_role(request.planned_state.as_ref())?;
        let stop = self.stop_token();
        let operation = match (&prior, &planned) {
            (None, _) => resource::Operation::Create,
            (Some(_), Some(_)) => resource::Operation::Update,
            (Some(_), None) => resource::Operation::Delete,
        };
        let limit = planned
            .as_ref()
            .or(prior.as_ref())
            .map(|model| model.timeout(operation))
            .unwrap_or(operation.default_timeout());
        // Every retry and backoff of every call stops at the operation's deadline.
        let (client, deadline) = self
            .client_until(limit, errors::TimeLimit::Resource(operation.name()))
            .await?;
        let snapshot = lifecycle::AttachmentSnapshot::decode(&request.planned_private);
        let mut outcome = match (prior, planned) {
            (None, Some(planned)) => lifecycle::create(&client, &planned, &stop).await,
            (Some(prior), Some(planned)) => {
                lifecycle::update(&client, &prior, &planned, snapshot).await
            }
            (Some(prior), None) => {
                let diagnostics = lifecycle::delete(&client, &prior, snapshot.as_ref()).await;
                let state = diagnostics.has_errors().then_some(prior);
                lifecycle::Outcome {
                    state,
                    diagnostics,
                    snapshot: None,
                }
            }
            (None, None) => lifecycle::Outcome::default(),
        };
        outcome.diagnostics = with_timeout_note(
            outcome.diagnostics,
            errors::TimeLimit::Resource(operation.name()),
            limit,
            deadline,
        );
        Ok(outcome)
    }

    async fn read_data(
        &self,
        request: &pb::read_data_source::Request,
    ) -> Result<(pb::DynamicValue, Diagnostics), Diagnostics> {
        if request.type_name != data_source::TYPE_NAME {
            return Err(unknown_type(&request.type_name));
        }
        let Some(config) = decode_data_source(request.config.as_ref())? else {
            let mut diags = Diagnostics::new();
            diags.error(
                "Missing data source configuration",
                "Terraform sent no configuration for data.alicr_custom_oss_role",
            );
            return Err(diags);
        };
        let limit = resource::DEFAULT_READ_TIMEOUT;
        let (client, deadline) = self
            .client_until(
                limit,
                errors::TimeLimit::Fixed("read of data.alicr_custom_oss_role"),
            )
            .await?;
        let (found, warnings) = data_source::read(&client, &config).await.map_err(|diags| {
            with_timeout_note(
                diags,
                errors::TimeLimit::Fixed("read of data.alicr_custom_oss_role"),
                limit,
                deadline,
            )
        })?;
        Ok((encode(&found.to_value(), data_source_type())?, warnings))
    }

    async fn import_role(
        &self,
        request: &pb::import_resource_state::Request,
    ) -> Result<pb::DynamicValue, Diagnostics> {
        if request.type_name != resource::TYPE_NAME {
            return Err(unknown_type(&request.type_name));
        }
        let limit = resource::DEFAULT_READ_TIMEOUT;
        let (client, deadline) = self
            .client_until(limit, errors::TimeLimit::Fixed("import"))
            .await?;
        let model = lifecycle::import(&client, &request.id)
            .await
            .map_err(|diags| {
                with_timeout_note(diags, errors::TimeLimit::Fixed("import"), limit, deadline)
            })?;
        encode_role(Some(&model))
    }
}
