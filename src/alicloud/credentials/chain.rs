//! Where credentials and the region come from, in the documented order: explicit provider
//! configuration, then the environment, then the aliyun CLI profile file; `assume_role` on top
//! of whichever base was found. Resolution is pure apart from reading the profile file: the
//! environment is passed in, and nothing is fetched until a request needs credentials.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::assume_role::{DEFAULT_SESSION_NAME, DEFAULT_SESSION_SECONDS};
use super::env::{Env, ProcessEnv};
use super::profile::{read_credentials_file, CliConfig, CliProfile, FileError, ProfileMode};
use super::{
    imdsv1_disabled_in, AssumeRoleParams, AssumeRoleProvider, CachingProvider, CredentialProvider,
    Credentials, EcsMetadataOptions, EcsMetadataProvider, Secret, StaticProvider,
    DEFAULT_ECS_METADATA_ENDPOINT,
};
use crate::alicloud::client::{Client, ClientConfig};
use crate::alicloud::endpoint::DEFAULT_REGION;
use crate::alicloud::error::Error;

const ENV_ACCESS_KEY_ID: [&str; 2] = ["ALIBABA_CLOUD_ACCESS_KEY_ID", "ALICLOUD_ACCESS_KEY"];
const ENV_ACCESS_KEY_SECRET: [&str; 2] = ["ALIBABA_CLOUD_ACCESS_KEY_SECRET", "ALICLOUD_SECRET_KEY"];
const ENV_SECURITY_TOKEN: [&str; 2] = ["ALIBABA_CLOUD_SECURITY_TOKEN", "ALICLOUD_SECURITY_TOKEN"];
const ENV_REGION: [&str; 2] = ["ALIBABA_CLOUD_REGION", "ALICLOUD_REGION"];
const ENV_PROFILE: [&str; 2] = ["ALIBABA_CLOUD_PROFILE", "ALICLOUD_PROFILE"];
const ENV_CREDENTIALS_FILE: [&str; 1] = ["ALIBABA_CLOUD_CREDENTIALS_FILE"];
const ENV_ROLE_ARN: [&str; 1] = ["ALIBABA_CLOUD_ROLE_ARN"];
const ENV_ROLE_SESSION_NAME: [&str; 1] = ["ALIBABA_CLOUD_ROLE_SESSION_NAME"];
const ENV_ECS_METADATA: [&str; 1] = ["ALIBABA_CLOUD_ECS_METADATA"];
const MAX_PROFILE_CHAIN: usize = 5;

/// The first of `names` that is set to something other than blanks: (name, trimmed value).
fn first(env: &dyn Env, names: &[&'static str]) -> Option<(&'static str, String)> {
    names.iter().find_map(|name| {
        env.var(name)
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
            .map(|v| (*name, v))
    })
}

fn non_empty(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

/// The `assume_role` block of the provider.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AssumeRoleConfig {
    /// The role's ARN.
    pub role_arn: String,
    /// The session name (default: `ALIBABA_CLOUD_ROLE_SESSION_NAME`, else
    /// `terraform-provider-alicr`).
    pub session_name: Option<String>,
    /// Session lifetime in seconds, 900-43200 (default 3600).
    pub session_expiration: Option<u64>,
    /// The external id.
    pub external_id: Option<String>,
    /// An inline policy narrowing the session.
    pub policy: Option<String>,
}

/// The credential-related provider arguments. `Debug` redacts secrets.
#[derive(Debug, Clone, Default)]
pub struct CredentialConfig {
    /// `access_key`
    pub access_key: Option<String>,
    /// `secret_key`
    pub secret_key: Option<Secret>,
    /// `security_token`
    pub security_token: Option<Secret>,
    /// `region`
    pub region: Option<String>,
    /// `profile`
    pub profile: Option<String>,
    /// `shared_credentials_file`
    pub shared_credentials_file: Option<PathBuf>,
    /// `ecs_role_name`
    pub ecs_role_name: Option<String>,
    /// `assume_role { ... }`
    pub assume_role: Option<AssumeRoleConfig>,
    /// Where the ECS metadata service is (tests point it at the emulator); default
    /// `http://100.100.100.200`.
    pub ecs_metadata_endpoint: Option<String>,
}

/// Where credentials will come from (nothing fetched yet).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CredentialSource {
    /// A fixed key pair (with a token for StsToken profiles or explicit tokens).
    Static {
        /// The credentials.
        credentials: Credentials,
        /// Where they were found.
        origin: String,
    },
    /// An ECS instance RAM role.
    EcsRamRole {
        /// The role's name.
        role_name: String,
        /// Where it was configured.
        origin: String,
    },
    /// A role assumed with the credentials of `base`.
    AssumeRole {
        /// The credentials that call `AssumeRole`.
        base: Box<CredentialSource>,
        /// What to assume.
        params: AssumeRoleParams,
        /// Where it was configured.
        origin: String,
    },
}

impl CredentialSource {
    /// A one-line description for logs (never secret).
    pub fn describe(&self) -> String {
        match self {
            CredentialSource::Static {
                credentials,
                origin,
            } => format!("access key {} from {origin}", credentials.access_key_id),
            CredentialSource::EcsRamRole { role_name, origin } => {
                format!("ECS RAM role {role_name:?} from {origin}")
            }
            CredentialSource::AssumeRole {
                base,
                params,
                origin,
            } => format!(
                "role {} (from {origin}) assumed with {}",
                params.role_arn,
                base.describe()
            ),
        }
    }
}

/// The outcome of resolution.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    /// Where credentials come from.
    pub source: CredentialSource,
    /// The region.
    pub region: String,
}

/// Resolves credentials and region from the provider arguments and the environment. Reads the
/// profile file when the chain gets that far; sends nothing.
pub fn resolve(config: &CredentialConfig, env: &dyn Env) -> Result<Resolved, Error> {
    let mut looked = Vec::new();
    let (base, profile_region) =
        base_source(config, env, &mut looked)?.ok_or_else(|| missing_credentials(&looked))?;
    let source = with_assume_role(base, config, env)?;
    let region = non_empty(&config.region)
        .map(str::to_string)
        .or_else(|| first(env, &ENV_REGION).map(|(_, v)| v))
        .or(profile_region)
        .unwrap_or_else(|| DEFAULT_REGION.to_string());
    Ok(Resolved { source, region })
}

type Found = Option<(CredentialSource, Option<String>)>;

fn base_source(
    config: &CredentialConfig,
    env: &dyn Env,
    looked: &mut Vec<String>,
) -> Result<Found, Error> {
    if let Some(source) = from_config_keys(config)? {
        return Ok(Some((source, None)));
    }
    looked.push("the provider's access_key and secret_key".into());
    if let Some(role) = non_empty(&config.ecs_role_name) {
        let origin = "the provider's ecs_role_name".to_string();
        return Ok(Some((ecs(role, origin), None)));
    }
    looked.push("the provider's ecs_role_name".into());
    if non_empty(&config.profile).is_some() || config.shared_credentials_file.is_some() {
        return from_profile_file(config, env, true, looked);
    }
    looked.push("the provider's profile and shared_credentials_file".into());
    if let Some(source) = from_env_keys(env)? {
        return Ok(Some((source, None)));
    }
    looked.push(
        "the environment variables ALIBABA_CLOUD_ACCESS_KEY_ID / ALIBABA_CLOUD_ACCESS_KEY_SECRET \
         and ALICLOUD_ACCESS_KEY / ALICLOUD_SECRET_KEY"
            .into(),
    );
    if let Some((name, role)) = first(env, &ENV_ECS_METADATA) {
        return Ok(Some((
            ecs(&role, format!("the environment variable {name}")),
            None,
        )));
    }
    looked.push("the environment variable ALIBABA_CLOUD_ECS_METADATA".into());
    let explicit =
        first(env, &ENV_PROFILE).is_some() || first(env, &ENV_CREDENTIALS_FILE).is_some();
    from_profile_file(config, env, explicit, looked)
}

fn ecs(role: &str, origin: String) -> CredentialSource {
    CredentialSource::EcsRamRole {
        role_name: role.to_string(),
        origin,
    }
}

fn from_config_keys(config: &CredentialConfig) -> Result<Option<CredentialSource>, Error> {
    let id = non_empty(&config.access_key);
    let secret = config.secret_key.clone().filter(|s| !s.is_empty());
    let token = config.security_token.clone().filter(|s| !s.is_empty());
    match (id, secret) {
        (Some(id), Some(secret)) => Ok(Some(CredentialSource::Static {
            credentials: Credentials {
                access_key_id: id.to_string(),
                access_key_secret: secret,
                security_token: token,
                expiration: None,
            },
            origin: "the provider configuration".into(),
        })),
        (Some(_), None) => Err(Error::Config(
            "access_key is set but secret_key is not".into(),
        )),
        (None, Some(_)) => Err(Error::Config(
            "secret_key is set but access_key is not".into(),
        )),
        (None, None) if token.is_some() => Err(Error::Config(
            "security_token is set but access_key and secret_key are not".into(),
        )),
        (None, None) => Ok(None),
    }
}

fn from_env_keys(env: &dyn Env) -> Result<Option<CredentialSource>, Error> {
    let id = first(env, &ENV_ACCESS_KEY_ID);
    let secret = first(env, &ENV_ACCESS_KEY_SECRET);
    let token = first(env, &ENV_SECURITY_TOKEN).map(|(_, v)| v);
    match (id, secret) {
        (Some((id_name, id)), Some((secret_name, secret))) => Ok(Some(CredentialSource::Static {
            credentials: Credentials::new(id, secret).with_security_token(token),
            origin: format!("the environment variables {id_name} and {secret_name}"),
        })),
        (Some((name, _)), None) => Err(Error::Config(format!(
            "{name} is set but neither ALIBABA_CLOUD_ACCESS_KEY_SECRET nor ALICLOUD_SECRET_KEY is"
        ))),
        (None, Some((name, _))) => Err(Error::Config(format!(
            "{name} is set but neither ALIBABA_CLOUD_ACCESS_KEY_ID nor ALICLOUD_ACCESS_KEY is"
        ))),
        (None, None) => Ok(None),
    }
}

/// The profile file's path and how it was chosen; `None` when there is no home directory.
fn profile_path(config: &CredentialConfig, env: &dyn Env) -> Option<(PathBuf, String)> {
    if let Some(path) = &config.shared_credentials_file {
        return Some((
            path.clone(),
            "the provider's shared_credentials_file".into(),
        ));
    }
    if let Some((name, path)) = first(env, &ENV_CREDENTIALS_FILE) {
        return Some((
            PathBuf::from(path),
            format!("the environment variable {name}"),
        ));
    }
    let home = first(env, &["HOME", "USERPROFILE"])?.1;
    Some((
        Path::new(&home).join(".aliyun").join("config.json"),
        "the default location".into(),
    ))
}

fn profile_name(config: &CredentialConfig, env: &dyn Env, file: &CliConfig) -> String {
    non_empty(&config.profile)
        .map(str::to_string)
        .or_else(|| first(env, &ENV_PROFILE).map(|(_, v)| v))
        .or_else(|| Some(file.current.trim().to_string()).filter(|c| !c.is_empty()))
        .unwrap_or_else(|| "default".to_string())
}

fn from_profile_file(
    config: &CredentialConfig,
    env: &dyn Env,
    explicit: bool,
    looked: &mut Vec<String>,
) -> Result<Found, Error> {
    let Some((path, how)) = profile_path(config, env) else {
        looked.push("the aliyun CLI configuration (no home directory to find it in)".into());
        return Ok(None);
    };
    let shown = path.display().to_string();
    let text = match read_credentials_file(&path, &shown) {
        Ok(text) => text,
        Err(FileError::NotFound) if !explicit => {
            looked.push(format!("the aliyun CLI configuration {shown} (not found)"));
            return Ok(None);
        }
        Err(e) => {
            return Err(Error::Config(format!(
                "cannot read the aliyun CLI configuration {shown} (chosen by {how}): {e}"
            )))
        }
    };
    let file = CliConfig::parse_any(&text, &shown)?;
    let name = profile_name(config, env, &file);
    let profile = find_profile(&file, &name, &shown)?;
    let source = profile_source(&file, profile, &shown, 0)?;
    Ok(Some((source, profile.region().map(str::to_string))))
}

fn find_profile<'a>(file: &'a CliConfig, name: &str, shown: &str) -> Result<&'a CliProfile, Error> {
    file.profile(name).ok_or_else(|| {
        Error::Config(format!(
            "profile {name:?} is not in the aliyun CLI configuration {shown} (it has: {})",
            file.names().join(", ")
        ))
    })
}

fn profile_source(
    file: &CliConfig,
    profile: &CliProfile,
    shown: &str,
    depth: usize,
) -> Result<CredentialSource, Error> {
    let origin = format!("aliyun CLI profile {:?} in {shown}", profile.name);
    match profile.mode()? {
        ProfileMode::Ak => {
            let (id, secret) = profile.access_key()?;
            Ok(static_source(id, secret, None, origin))
        }
        ProfileMode::StsToken => {
            let (id, secret) = profile.access_key()?;
            Ok(static_source(id, secret, Some(profile.token()?), origin))
        }
        ProfileMode::EcsRamRole => match profile.ram_role_name.trim() {
            "" => Err(profile.invalid("ram_role_name must be set in EcsRamRole mode")),
            role => Ok(ecs(role, origin)),
        },
        ProfileMode::RamRoleArn => {
            let (id, secret) = profile.access_key()?;
            let base = static_source(id, secret, None, origin.clone());
            profile_assume_role(base, profile, origin)
        }
        ProfileMode::ChainableRamRoleArn => {
            if depth >= MAX_PROFILE_CHAIN {
                return Err(profile.invalid("source_profile chain is too long (a loop?)"));
            }
            let source = find_profile(file, profile.source_profile.trim(), shown)?;
            let base = profile_source(file, source, shown, depth + 1)?;
            profile_assume_role(base, profile, origin)
        }
    }
}

fn static_source(
    id: String,
    secret: Secret,
    token: Option<Secret>,
    origin: String,
) -> CredentialSource {
    CredentialSource::Static {
        credentials: Credentials {
            access_key_id: id,
            access_key_secret: secret,
            security_token: token,
            expiration: None,
        },
        origin,
    }
}

fn profile_assume_role(
    base: CredentialSource,
    profile: &CliProfile,
    origin: String,
) -> Result<CredentialSource, Error> {
    if profile.ram_role_arn.trim().is_empty() {
        return Err(profile.invalid("ram_role_arn must be set to assume a role"));
    }
    let session = profile.ram_session_name.trim();
    Ok(CredentialSource::AssumeRole {
        base: Box::new(base),
        params: AssumeRoleParams {
            role_arn: profile.ram_role_arn.trim().to_string(),
            session_name: if session.is_empty() {
                DEFAULT_SESSION_NAME.to_string()
            } else {
                session.to_string()
            },
            duration_seconds: profile
                .expired_seconds
                .filter(|s| *s > 0)
                .unwrap_or(DEFAULT_SESSION_SECONDS),
            external_id: Some(profile.external_id.trim().to_string()).filter(|e| !e.is_empty()),
            policy: Some(profile.policy.trim().to_string()).filter(|p| !p.is_empty()),
        },
        origin,
    })
}

fn with_assume_role(
    base: CredentialSource,
    config: &CredentialConfig,
    env: &dyn Env,
) -> Result<CredentialSource, Error> {
    let env_session = first(env, &ENV_ROLE_SESSION_NAME).map(|(_, v)| v);
    let (params, origin) = match &config.assume_role {
        Some(ar) if !ar.role_arn.trim().is_empty() => {
            let duration = ar.session_expiration.unwrap_or(DEFAULT_SESSION_SECONDS);
            if !(900..=43200).contains(&duration) {
                return Err(Error::Config(format!(
                    "assume_role.session_expiration must be between 900 and 43200 seconds, not {duration}"
                )));
            }
            let params = AssumeRoleParams {
                role_arn: ar.role_arn.trim().to_string(),
                session_name: non_empty(&ar.session_name)
                    .map(str::to_string)
                    .or(env_session)
                    .unwrap_or_else(|| DEFAULT_SESSION_NAME.to_string()),
                duration_seconds: duration,
                external_id: non_empty(&ar.external_id).map(str::to_string),
                policy: non_empty(&ar.policy).map(str::to_string),
            };
            (params, "the provider's assume_role block".to_string())
        }
        Some(_) => {
            return Err(Error::Config(
                "assume_role.role_arn must not be empty".into(),
            ))
        }
        None => match first(env, &ENV_ROLE_ARN) {
            Some((name, arn)) => {
                let params = AssumeRoleParams {
                    role_arn: arn,
                    session_name: env_session.unwrap_or_else(|| DEFAULT_SESSION_NAME.to_string()),
                    duration_seconds: DEFAULT_SESSION_SECONDS,
                    external_id: None,
                    policy: None,
                };
                (params, format!("the environment variable {name}"))
            }
            None => return Ok(base),
        },
    };
    Ok(CredentialSource::AssumeRole {
        base: Box::new(base),
        params,
        origin,
    })
}

fn missing_credentials(looked: &[String]) -> Error {
    Error::Credentials(format!(
        "no Alibaba Cloud credentials were found. Looked at, in order: {}. Set access_key and \
         secret_key (or the environment variables), a profile, or ecs_role_name",
        looked.join("; ")
    ))
}

/// Turns a resolved source into a provider. Temporary credentials go through a cache; nothing
/// is fetched here. `client` supplies the STS endpoint and whether IMDSv1 is disabled
/// ([`ClientConfig::imdsv1_disabled`]; unset, the process environment decides).
pub(crate) fn build_provider(
    source: &CredentialSource,
    client: &Client,
    ecs_endpoint: &str,
) -> Result<Arc<dyn CredentialProvider>, Error> {
    Ok(match source {
        CredentialSource::Static {
            credentials,
            origin,
        } => Arc::new(StaticProvider::new(credentials.clone(), origin.clone())),
        CredentialSource::EcsRamRole { role_name, .. } => {
            let options = EcsMetadataOptions {
                imdsv1_disabled: client
                    .config()
                    .imdsv1_disabled
                    .unwrap_or_else(|| imdsv1_disabled_in(&ProcessEnv)),
                ..EcsMetadataOptions::default()
            };
            Arc::new(CachingProvider::new(EcsMetadataProvider::new(
                ecs_endpoint,
                role_name,
                options,
            )?))
        }
        CredentialSource::AssumeRole { base, params, .. } => {
            let base = build_provider(base, client, ecs_endpoint)?;
            Arc::new(CachingProvider::new(AssumeRoleProvider::new(
                client.with_credentials(base),
                params.clone(),
            )))
        }
    })
}

/// Builds a ready client from the provider's settings: resolves credentials and region (the
/// resolved region replaces `client_config.region`), validates endpoints, sends nothing. `env`
/// also supplies the proxy settings and, unless `client_config` says,
/// `ALIBABA_CLOUD_IMDSV1_DISABLED`.
pub fn connect(
    mut client_config: ClientConfig,
    config: &CredentialConfig,
    env: &dyn Env,
) -> Result<Client, Error> {
    let resolved = resolve(config, env)?;
    client_config.region = resolved.region.clone();
    client_config.imdsv1_disabled = Some(
        client_config
            .imdsv1_disabled
            .unwrap_or_else(|| imdsv1_disabled_in(env)),
    );
    let bare = Client::new_with_env(client_config, env)?;
    let ecs_endpoint =
        non_empty(&config.ecs_metadata_endpoint).unwrap_or(DEFAULT_ECS_METADATA_ENDPOINT);
    let provider = build_provider(&resolved.source, &bare, ecs_endpoint)?;
    tracing::debug!(credentials = %resolved.source.describe(), region = %resolved.region, "alibaba cloud client configured");
    Ok(bare.with_credentials(provider))
}

#[cfg(test)]
mod tests;
