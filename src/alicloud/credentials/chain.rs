//! Where credentials and the region come from, in DESIGN.md's order: explicit provider
//! configuration, then the environment, then the aliyun CLI profile file; `assume_role` on top
//! of whichever base was found. Resolution is pure apart from reading the profile file: the
//! environment is passed in, and nothing is fetched until a request needs credentials.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::assume_role::{DEFAULT_SESSION_NAME, DEFAULT_SESSION_SECONDS};
use super::profile::{read_credentials_file, CliConfig, CliProfile, FileError, ProfileMode};
use super::{
    imdsv1_disabled_in, AssumeRoleParams, AssumeRoleProvider, CachingProvider, CredentialProvider,
    Credentials, EcsMetadataOptions, EcsMetadataProvider, Secret, StaticProvider,
    DEFAULT_ECS_METADATA_ENDPOINT,
};
use crate::alicloud::client::{Client, ClientConfig};
use crate::alicloud::error::Error;

/// The region when none is configured anywhere.
pub const DEFAULT_REGION: &str = "cn-hangzhou";

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

/// Read access to environment variables, so the chain can be tested with a map.
pub trait Env: Send + Sync {
    /// The variable's value, if set.
    fn var(&self, name: &str) -> Option<String>;
}

/// The process environment.
#[derive(Debug, Clone, Copy, Default)]
pub struct ProcessEnv;

impl Env for ProcessEnv {
    fn var(&self, name: &str) -> Option<String> {
        std::env::var(name).ok()
    }
}

/// An environment held in a map (for tests and embedding).
#[derive(Debug, Clone, Default)]
pub struct MapEnv(HashMap<String, String>);

impl MapEnv {
    /// An empty environment.
    pub fn new() -> MapEnv {
        MapEnv::default()
    }

    /// Sets a variable.
    pub fn with(mut self, name: &str, value: &str) -> MapEnv {
        self.0.insert(name.to_string(), value.to_string());
        self
    }
}

impl Env for MapEnv {
    fn var(&self, name: &str) -> Option<String> {
        self.0.get(name).cloned()
    }
}

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
pub fn build_provider(
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
mod tests {
    use super::*;

    fn env() -> MapEnv {
        MapEnv::new().with("HOME", "/nonexistent-home-for-tests")
    }

    fn static_id(r: &Resolved) -> Option<&str> {
        match &r.source {
            CredentialSource::Static { credentials, .. } => {
                Some(credentials.access_key_id.as_str())
            }
            _ => None,
        }
    }

    fn explicit() -> CredentialConfig {
        CredentialConfig {
            access_key: Some("CFGID".into()),
            secret_key: Some(Secret::new("cfgsecret")),
            ..CredentialConfig::default()
        }
    }

    fn env_keys() -> MapEnv {
        env()
            .with("ALIBABA_CLOUD_ACCESS_KEY_ID", "ENVID")
            .with("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "envsecret")
    }

    #[test]
    fn explicit_beats_environment() {
        let r = resolve(&explicit(), &env_keys()).expect("resolve");
        assert_eq!(static_id(&r), Some("CFGID"));
    }

    #[test]
    fn environment_when_nothing_explicit() {
        let r = resolve(
            &CredentialConfig::default(),
            &env_keys().with("ALIBABA_CLOUD_SECURITY_TOKEN", "tok"),
        )
        .expect("resolve");
        assert_eq!(static_id(&r), Some("ENVID"));
        match &r.source {
            CredentialSource::Static {
                credentials,
                origin,
            } => {
                assert_eq!(
                    credentials.security_token.as_ref().map(Secret::expose),
                    Some("tok")
                );
                assert!(origin.contains("ALIBABA_CLOUD_ACCESS_KEY_ID"));
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn older_names_are_fallbacks() {
        let e = env()
            .with("ALICLOUD_ACCESS_KEY", "OLDID")
            .with("ALICLOUD_SECRET_KEY", "old")
            .with("ALICLOUD_SECURITY_TOKEN", "oldtok")
            .with("ALICLOUD_REGION", "cn-shanghai");
        let r = resolve(&CredentialConfig::default(), &e).expect("resolve");
        assert_eq!(static_id(&r), Some("OLDID"));
        assert_eq!(r.region, "cn-shanghai");
        let newer = e
            .clone()
            .with("ALIBABA_CLOUD_ACCESS_KEY_ID", "NEWID")
            .with("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "new")
            .with("ALIBABA_CLOUD_REGION", "eu-central-1");
        let r = resolve(&CredentialConfig::default(), &newer).expect("resolve");
        assert_eq!(static_id(&r), Some("NEWID"));
        assert_eq!(r.region, "eu-central-1");
    }

    #[test]
    fn half_configured_keys_are_errors() {
        let mut c = CredentialConfig {
            access_key: Some("x".into()),
            ..CredentialConfig::default()
        };
        assert!(matches!(resolve(&c, &env()), Err(Error::Config(_))));
        c.access_key = None;
        c.security_token = Some(Secret::new("t"));
        assert!(matches!(resolve(&c, &env()), Err(Error::Config(_))));
        let e = env().with("ALIBABA_CLOUD_ACCESS_KEY_ID", "x");
        let err = resolve(&CredentialConfig::default(), &e).expect_err("half env");
        assert!(err.to_string().contains("ALIBABA_CLOUD_ACCESS_KEY_SECRET"));
    }

    #[test]
    fn blank_values_count_as_unset() {
        let e = env_keys().with("ALIBABA_CLOUD_REGION", "  ");
        let c = CredentialConfig {
            access_key: Some(" ".into()),
            region: Some(String::new()),
            ..CredentialConfig::default()
        };
        let r = resolve(&c, &e).expect("resolve");
        assert_eq!(static_id(&r), Some("ENVID"));
        assert_eq!(r.region, DEFAULT_REGION);
    }

    #[test]
    fn region_precedence() {
        let c = CredentialConfig {
            region: Some("ap-southeast-1".into()),
            ..explicit()
        };
        let r = resolve(&c, &env().with("ALIBABA_CLOUD_REGION", "eu-central-1")).expect("resolve");
        assert_eq!(r.region, "ap-southeast-1");
        assert_eq!(
            resolve(&explicit(), &env()).expect("resolve").region,
            "cn-hangzhou"
        );
    }

    #[test]
    fn ecs_role_from_config_and_env() {
        let c = CredentialConfig {
            ecs_role_name: Some("CfgRole".into()),
            ..CredentialConfig::default()
        };
        let r = resolve(&c, &env_keys()).expect("resolve");
        assert!(
            matches!(r.source, CredentialSource::EcsRamRole { ref role_name, .. } if role_name == "CfgRole")
        );
        let r = resolve(
            &CredentialConfig::default(),
            &env().with("ALIBABA_CLOUD_ECS_METADATA", "EnvRole"),
        )
        .expect("resolve");
        assert!(
            matches!(r.source, CredentialSource::EcsRamRole { ref role_name, .. } if role_name == "EnvRole")
        );
        // Environment keys beat the environment's ECS role.
        let r = resolve(
            &CredentialConfig::default(),
            &env_keys().with("ALIBABA_CLOUD_ECS_METADATA", "EnvRole"),
        )
        .expect("resolve");
        assert_eq!(static_id(&r), Some("ENVID"));
    }

    #[test]
    fn missing_credentials_name_every_place() {
        let err = resolve(&CredentialConfig::default(), &env()).expect_err("nothing");
        let text = err.to_string();
        for place in [
            "access_key and secret_key",
            "ecs_role_name",
            "profile and shared_credentials_file",
            "ALIBABA_CLOUD_ACCESS_KEY_ID",
            "ALICLOUD_ACCESS_KEY",
            "ALIBABA_CLOUD_ECS_METADATA",
            "/nonexistent-home-for-tests/.aliyun/config.json (not found)",
        ] {
            assert!(text.contains(place), "{place} missing from: {text}");
        }
    }

    const FILE: &str = r#"{"current":"main","profiles":[
        {"name":"main","mode":"AK","access_key_id":"FILEID","access_key_secret":"filesecret","region_id":"cn-beijing"},
        {"name":"other","mode":"StsToken","access_key_id":"STSID","access_key_secret":"s","sts_token":"t"},
        {"name":"arn","mode":"RamRoleArn","access_key_id":"ARNBASE","access_key_secret":"s",
         "ram_role_arn":"acs:ram::1:role/x","ram_session_name":"sess","expired_seconds":1800},
        {"name":"ecs","mode":"EcsRamRole","ram_role_name":"FileEcsRole"},
        {"name":"chain","mode":"ChainableRamRoleArn","source_profile":"arn","ram_role_arn":"acs:ram::1:role/y"},
        {"name":"loop","mode":"ChainableRamRoleArn","source_profile":"loop","ram_role_arn":"acs:ram::1:role/z"}
    ]}"#;

    fn file_env() -> (tempfile::TempDir, MapEnv) {
        let dir = tempfile::tempdir().expect("tempdir");
        let aliyun = dir.path().join(".aliyun");
        std::fs::create_dir_all(&aliyun).expect("mkdir");
        std::fs::write(aliyun.join("config.json"), FILE).expect("write");
        let home = dir.path().to_string_lossy().into_owned();
        (dir, MapEnv::new().with("HOME", &home))
    }

    #[test]
    fn profile_file_is_last_and_uses_current() {
        let (_dir, e) = file_env();
        let r = resolve(&CredentialConfig::default(), &e).expect("resolve");
        assert_eq!(static_id(&r), Some("FILEID"));
        assert_eq!(r.region, "cn-beijing");
        let r = resolve(
            &CredentialConfig::default(),
            &e.clone()
                .with("ALIBABA_CLOUD_ACCESS_KEY_ID", "ENVID")
                .with("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "x"),
        )
        .expect("resolve");
        assert_eq!(static_id(&r), Some("ENVID"));
        assert_eq!(
            r.region, DEFAULT_REGION,
            "profile region only applies when the profile is used"
        );
    }

    #[test]
    fn explicit_profile_beats_environment_keys() {
        let (_dir, e) = file_env();
        let e = e
            .with("ALIBABA_CLOUD_ACCESS_KEY_ID", "ENVID")
            .with("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "x");
        let c = CredentialConfig {
            profile: Some("other".into()),
            ..CredentialConfig::default()
        };
        let r = resolve(&c, &e).expect("resolve");
        assert_eq!(static_id(&r), Some("STSID"));
    }

    #[test]
    fn profile_name_precedence() {
        let (_dir, e) = file_env();
        let r = resolve(
            &CredentialConfig::default(),
            &e.clone().with("ALICLOUD_PROFILE", "other"),
        )
        .expect("old env");
        assert_eq!(static_id(&r), Some("STSID"));
        let both = e
            .clone()
            .with("ALICLOUD_PROFILE", "main")
            .with("ALIBABA_CLOUD_PROFILE", "other");
        assert_eq!(
            static_id(&resolve(&CredentialConfig::default(), &both).expect("env")),
            Some("STSID")
        );
        let c = CredentialConfig {
            profile: Some("main".into()),
            ..CredentialConfig::default()
        };
        assert_eq!(
            static_id(&resolve(&c, &both).expect("config")),
            Some("FILEID")
        );
    }

    #[test]
    fn profile_modes_become_sources() {
        let (_dir, e) = file_env();
        let named = |name: &str| {
            resolve(
                &CredentialConfig {
                    profile: Some(name.into()),
                    ..CredentialConfig::default()
                },
                &e,
            )
        };
        match named("arn").expect("arn").source {
            CredentialSource::AssumeRole { base, params, .. } => {
                assert_eq!(params.role_arn, "acs:ram::1:role/x");
                assert_eq!(params.session_name, "sess");
                assert_eq!(params.duration_seconds, 1800);
                assert!(
                    matches!(*base, CredentialSource::Static { ref credentials, .. } if credentials.access_key_id == "ARNBASE")
                );
            }
            other => panic!("unexpected {other:?}"),
        }
        assert!(
            matches!(named("ecs").expect("ecs").source, CredentialSource::EcsRamRole { ref role_name, .. } if role_name == "FileEcsRole")
        );
        match named("chain").expect("chain").source {
            CredentialSource::AssumeRole { base, params, .. } => {
                assert_eq!(params.role_arn, "acs:ram::1:role/y");
                assert!(matches!(*base, CredentialSource::AssumeRole { .. }));
            }
            other => panic!("unexpected {other:?}"),
        }
        assert!(named("loop").is_err());
        let err = named("nope").expect_err("missing profile");
        assert!(err.to_string().contains("main, other, arn"), "{err}");
    }

    #[test]
    fn explicit_file_must_exist() {
        let c = CredentialConfig {
            shared_credentials_file: Some(PathBuf::from("/nonexistent/config.json")),
            ..CredentialConfig::default()
        };
        let err = resolve(&c, &env()).expect_err("missing file");
        assert!(err.to_string().contains("/nonexistent/config.json"));
        let e = env().with("ALIBABA_CLOUD_CREDENTIALS_FILE", "/nonexistent/other.json");
        assert!(resolve(&CredentialConfig::default(), &e).is_err());
    }

    #[test]
    fn an_oversized_credentials_file_is_refused_by_name() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("config.json");
        let huge = format!(
            "{{\"profiles\":[{{\"name\":\"default\",\"access_key_id\":\"X\",\"access_key_secret\":\"hidden-secret\"}}]}}{}",
            " ".repeat(1024 * 1024)
        );
        std::fs::write(&path, huge).expect("write");
        let shown = path.to_string_lossy().into_owned();
        let e = env().with("ALIBABA_CLOUD_CREDENTIALS_FILE", &shown);
        let err = resolve(&CredentialConfig::default(), &e).expect_err("over 1 MiB");
        let text = err.to_string();
        assert!(text.contains(&shown), "{text}");
        assert!(text.contains("larger than 1 MiB"), "{text}");
        assert!(!text.contains("hidden-secret"), "{text}");
    }

    /// Log lines of one closure, at every level.
    fn logged(run: impl FnOnce()) -> String {
        #[derive(Clone, Default)]
        struct Lines(Arc<std::sync::Mutex<Vec<u8>>>);
        impl std::io::Write for Lines {
            fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
                if let Ok(mut lines) = self.0.lock() {
                    lines.extend_from_slice(buf);
                }
                Ok(buf.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let lines = Lines::default();
        let writer = lines.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_writer(move || writer.clone())
            .finish();
        tracing::subscriber::with_default(subscriber, run);
        let bytes = lines.0.lock().map(|l| l.clone()).unwrap_or_default();
        String::from_utf8_lossy(&bytes).into_owned()
    }

    #[cfg(unix)]
    #[test]
    fn a_credentials_file_readable_by_others_is_warned_about() {
        use std::os::unix::fs::PermissionsExt;
        let (dir, e) = file_env();
        let path = dir.path().join(".aliyun").join("config.json");
        let chmod = |mode| {
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).expect("chmod")
        };
        chmod(0o644);
        let logs = logged(|| {
            resolve(&CredentialConfig::default(), &e).expect("still used");
        });
        assert!(logs.contains("WARN"), "{logs}");
        assert!(
            logs.contains("can be read or written by other users (mode 644)"),
            "{logs}"
        );
        assert!(logs.contains("chmod 600"), "{logs}");
        assert!(!logs.contains("filesecret"), "{logs}");
        chmod(0o600);
        let logs = logged(|| {
            resolve(&CredentialConfig::default(), &e).expect("resolve");
        });
        assert!(!logs.contains("other users"), "{logs}");
    }

    #[test]
    fn credentials_file_env_points_at_the_file() {
        let (dir, _) = file_env();
        let path = dir.path().join(".aliyun").join("config.json");
        let e = env().with("ALIBABA_CLOUD_CREDENTIALS_FILE", &path.to_string_lossy());
        assert_eq!(
            static_id(&resolve(&CredentialConfig::default(), &e).expect("resolve")),
            Some("FILEID")
        );
    }

    #[test]
    fn ini_credentials_file_via_environment() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("credentials.ini");
        std::fs::write(
            &path,
            "[default]\ntype = access_key\naccess_key_id = INIID\naccess_key_secret = s\n\
             [work]\ntype = ram_role_arn\naccess_key_id = W\naccess_key_secret = s\nrole_arn = acs:ram::1:role/w\n",
        )
        .expect("write");
        let e = env().with("ALIBABA_CLOUD_CREDENTIALS_FILE", &path.to_string_lossy());
        assert_eq!(
            static_id(&resolve(&CredentialConfig::default(), &e).expect("default section")),
            Some("INIID")
        );
        let work = resolve(
            &CredentialConfig::default(),
            &e.clone().with("ALIBABA_CLOUD_PROFILE", "work"),
        )
        .expect("work");
        assert!(
            matches!(work.source, CredentialSource::AssumeRole { ref params, .. } if params.role_arn == "acs:ram::1:role/w")
        );
    }

    #[test]
    fn assume_role_on_top_of_any_base() {
        let c = CredentialConfig {
            assume_role: Some(AssumeRoleConfig {
                role_arn: "acs:ram::1:role/target".into(),
                session_expiration: Some(900),
                external_id: Some("ext".into()),
                ..AssumeRoleConfig::default()
            }),
            ..explicit()
        };
        let e = env().with("ALIBABA_CLOUD_ROLE_SESSION_NAME", "env-session");
        match resolve(&c, &e).expect("resolve").source {
            CredentialSource::AssumeRole { base, params, .. } => {
                assert_eq!(params.session_name, "env-session");
                assert_eq!(params.duration_seconds, 900);
                assert_eq!(params.external_id.as_deref(), Some("ext"));
                assert!(matches!(*base, CredentialSource::Static { .. }));
            }
            other => panic!("unexpected {other:?}"),
        }
        let bad = CredentialConfig {
            assume_role: Some(AssumeRoleConfig {
                role_arn: "acs:ram::1:role/target".into(),
                session_expiration: Some(100),
                ..AssumeRoleConfig::default()
            }),
            ..explicit()
        };
        assert!(resolve(&bad, &env()).is_err());
        let from_env = resolve(
            &explicit(),
            &env().with("ALIBABA_CLOUD_ROLE_ARN", "acs:ram::1:role/e"),
        )
        .expect("env arn");
        match from_env.source {
            CredentialSource::AssumeRole { params, .. } => {
                assert_eq!(params.role_arn, "acs:ram::1:role/e");
                assert_eq!(params.session_name, DEFAULT_SESSION_NAME);
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn config_and_sources_debug_redact_secrets() {
        let c = CredentialConfig {
            security_token: Some(Secret::new("cfgtoken")),
            ..explicit()
        };
        let text = format!("{c:?} {:?}", resolve(&c, &env()).expect("resolve"));
        assert!(!text.contains("cfgsecret"));
        assert!(!text.contains("cfgtoken"));
        assert!(!resolve(&c, &env())
            .expect("resolve")
            .source
            .describe()
            .contains("cfgsecret"));
    }

    #[tokio::test]
    async fn connect_sends_nothing_and_sets_region() {
        let c = CredentialConfig {
            region: Some("eu-west-1".into()),
            ecs_role_name: Some("R".into()),
            ecs_metadata_endpoint: Some("http://127.0.0.1:1".into()),
            ..CredentialConfig::default()
        };
        let client = connect(ClientConfig::default(), &c, &env()).expect("connect");
        assert_eq!(client.region(), "eu-west-1");
        assert!(client.credential_provider().describe().contains("\"R\""));
    }
}
