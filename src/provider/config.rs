//! The provider block: its schema, the typed configuration, and the rules checked at validate time.

use crate::alicloud::credentials::{self, Secret};
use crate::alicloud::{Client, ClientConfig};
use crate::plugin::diagnostics::{AttributePath, Diagnostics};
use crate::plugin::schema::{Attribute, Block, NestedBlock, Presence, Schema};
use crate::plugin::typed::ObjectReader;
use crate::plugin::value::{Tri, Type, Value};
use crate::provider::validation;

pub fn schema() -> Schema {
    use Presence::Optional;
    let s = || Type::String;
    let assume_role = Block {
        description: "Assume a RAM role with STS `AssumeRole` on top of the base credentials.",
        attributes: vec![
            Attribute::new("role_arn", s(), Optional, "ARN of the role to assume, `acs:ram::<account>:role/<name>`. Environment: `ALIBABA_CLOUD_ROLE_ARN`."),
            Attribute::new("session_name", s(), Optional, "Session name recorded in ActionTrail (2-64 of `A-Za-z0-9.@_-`). Environment: `ALIBABA_CLOUD_ROLE_SESSION_NAME`; default `terraform-provider-alicr`."),
            Attribute::new("session_expiration", Type::Number, Optional, "Lifetime of the temporary credentials in seconds, 900-3600 (default 3600)."),
            Attribute::new("external_id", s(), Optional, "External ID the role's trust policy may require."),
            Attribute::new("policy", s(), Optional, "A policy document (JSON) that further restricts the assumed role's permissions."),
        ],
        blocks: vec![],
    };
    let endpoints = Block {
        description: "Override service endpoints, for private endpoints or the emulator.",
        attributes: vec![
            Attribute::new("ram", s(), Optional, "RAM endpoint URL (default `https://ram.aliyuncs.com`). `http://` is accepted only for loopback hosts."),
            Attribute::new("sts", s(), Optional, "STS endpoint URL (default `https://sts.<region>.aliyuncs.com`). `http://` is accepted only for loopback hosts."),
            Attribute::new("ecs_metadata", s(), Optional, "ECS instance metadata service URL, for `ecs_role_name` (default `http://100.100.100.200`). Only that address or a loopback host (the emulator) is accepted; it is never reached through a proxy."),
        ],
        blocks: vec![],
    };
    Schema {
        version: 0,
        block: Block {
            description: "The `alicr` provider manages the RAM role that Alibaba Cloud Container Registry Enterprise Edition needs to keep images in your own OSS buckets.",
            attributes: vec![
                Attribute::new("access_key", s(), Optional, "Access key ID. Environment: `ALIBABA_CLOUD_ACCESS_KEY_ID` or `ALICLOUD_ACCESS_KEY`."),
                Attribute::new("secret_key", s(), Optional, "Access key secret. Environment: `ALIBABA_CLOUD_ACCESS_KEY_SECRET` or `ALICLOUD_SECRET_KEY`.").sensitive(),
                Attribute::new("security_token", s(), Optional, "STS security token for temporary credentials. Environment: `ALIBABA_CLOUD_SECURITY_TOKEN` or `ALICLOUD_SECURITY_TOKEN`.").sensitive(),
                Attribute::new("region", s(), Optional, "Region id (default `cn-hangzhou`), such as `cn-shanghai` or `ap-southeast-1`; a malformed id is an error and one this provider does not know is warned about. RAM is global; STS uses the region. Environment: `ALIBABA_CLOUD_REGION` or `ALICLOUD_REGION`."),
                Attribute::new("profile", s(), Optional, "Profile in the aliyun CLI configuration file. Environment: `ALIBABA_CLOUD_PROFILE` or `ALICLOUD_PROFILE`."),
                Attribute::new("shared_credentials_file", s(), Optional, "Path of the aliyun CLI configuration file (default `~/.aliyun/config.json`). Environment: `ALIBABA_CLOUD_CREDENTIALS_FILE`."),
                Attribute::new("ecs_role_name", s(), Optional, "RAM role of the ECS instance to take credentials from, through the instance metadata service. Environment: `ALIBABA_CLOUD_ECS_METADATA`."),
                Attribute::new("ecs_imdsv1_disabled", Type::Bool, Optional, "Forbid the metadata service's older, token-less mode (IMDSv1): credentials are fetched only with a session token. Environment: `ALIBABA_CLOUD_IMDSV1_DISABLED=true`. Without it, the token-less mode is used only when the service refuses tokens (403, 404 or 405)."),
                Attribute::new("max_retries", Type::Number, Optional, "How many times a call that failed transiently (a server error, a dropped connection, an attempt that timed out) is retried (default 5, at most 50). Throttling is retried, with backoff, until the operation's time limit whatever this says."),
                Attribute::new("signature_algorithm", s(), Optional, "`HMAC-SHA1` (RPC signature 1.0, the default) or `ACS3-HMAC-SHA256` (signature V3)."),
            ],
            blocks: vec![
                NestedBlock { name: "assume_role", block: assume_role, max_items: 1 },
                NestedBlock { name: "endpoints", block: endpoints, max_items: 1 },
            ],
        },
    }
}

/// `assume_role { ... }` as configured.
#[derive(Clone, PartialEq, Default)]
pub(crate) struct AssumeRoleConfig {
    pub(crate) role_arn: Tri<String>,
    pub(crate) session_name: Tri<String>,
    pub(crate) session_expiration: Tri<i64>,
    pub(crate) external_id: Tri<String>,
    pub(crate) policy: Tri<String>,
}

/// The provider block as configured; secrets are redacted from `Debug`.
#[derive(Clone, PartialEq, Default)]
pub(crate) struct ProviderConfig {
    pub(crate) access_key: Tri<String>,
    pub(crate) secret_key: Tri<String>,
    pub(crate) security_token: Tri<String>,
    pub(crate) region: Tri<String>,
    pub(crate) profile: Tri<String>,
    pub(crate) shared_credentials_file: Tri<String>,
    pub(crate) ecs_role_name: Tri<String>,
    pub(crate) ecs_imdsv1_disabled: Tri<bool>,
    pub(crate) max_retries: Tri<i64>,
    pub(crate) signature_algorithm: Tri<String>,
    pub(crate) assume_role: Option<AssumeRoleConfig>,
    pub(crate) endpoint_ram: Tri<String>,
    pub(crate) endpoint_sts: Tri<String>,
    pub(crate) endpoint_ecs_metadata: Tri<String>,
}

impl std::fmt::Debug for ProviderConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let redacted = |t: &Tri<String>| match t {
            Tri::Known(_) => "<redacted>",
            Tri::Null => "null",
            Tri::Unknown => "unknown",
        };
        f.debug_struct("ProviderConfig")
            .field("access_key", &self.access_key)
            .field("secret_key", &redacted(&self.secret_key))
            .field("security_token", &redacted(&self.security_token))
            .field("region", &self.region)
            .field("profile", &self.profile)
            .field("ecs_role_name", &self.ecs_role_name)
            .field("endpoint_ram", &self.endpoint_ram)
            .field("endpoint_sts", &self.endpoint_sts)
            .field(
                "assume_role",
                &self.assume_role.as_ref().map(|a| &a.role_arn),
            )
            .finish_non_exhaustive()
    }
}

impl ProviderConfig {
    /// Reads the typed configuration; type errors come back as diagnostics.
    pub(crate) fn from_value(value: &Value) -> Result<Self, Diagnostics> {
        let mut reader = ObjectReader::new(value, AttributePath::default());
        let mut config = ProviderConfig {
            access_key: reader.get("access_key"),
            secret_key: reader.get("secret_key"),
            security_token: reader.get("security_token"),
            region: reader.get("region"),
            profile: reader.get("profile"),
            shared_credentials_file: reader.get("shared_credentials_file"),
            ecs_role_name: reader.get("ecs_role_name"),
            ecs_imdsv1_disabled: reader.get("ecs_imdsv1_disabled"),
            max_retries: reader.get("max_retries"),
            signature_algorithm: reader.get("signature_algorithm"),
            ..Default::default()
        };
        let mut diagnostics = Diagnostics::new();
        if let Some((block, path)) = reader.blocks("assume_role").into_iter().next() {
            let mut inner = ObjectReader::new(block, path);
            config.assume_role = Some(AssumeRoleConfig {
                role_arn: inner.get("role_arn"),
                session_name: inner.get("session_name"),
                session_expiration: inner.get("session_expiration"),
                external_id: inner.get("external_id"),
                policy: inner.get("policy"),
            });
            diagnostics.extend(inner.finish());
        }
        if let Some((block, path)) = reader.blocks("endpoints").into_iter().next() {
            let mut inner = ObjectReader::new(block, path);
            config.endpoint_ram = inner.get("ram");
            config.endpoint_sts = inner.get("sts");
            config.endpoint_ecs_metadata = inner.get("ecs_metadata");
            diagnostics.extend(inner.finish());
        }
        diagnostics.extend(reader.finish());
        if diagnostics.has_errors() {
            Err(diagnostics)
        } else {
            Ok(config)
        }
    }

    /// Checks every known value against its rule; unknown values are checked at apply time.
    pub(crate) fn validate(&self) -> Diagnostics {
        let mut diags = Diagnostics::new();
        let mut check = |path: AttributePath, result: Result<(), String>, summary: &str| {
            if let Err(rule) = result {
                diags.error_at(path, summary, rule);
            }
        };
        let root = AttributePath::root;
        if let Tri::Known(n) = self.max_retries {
            let rule = if (0..=50).contains(&n) {
                Ok(())
            } else {
                Err(format!("max_retries must be between 0 and 50, got {n}"))
            };
            check(root("max_retries"), rule, "Invalid max_retries");
        }
        if let Tri::Known(alg) = &self.signature_algorithm {
            check(
                root("signature_algorithm"),
                validation::validate_signature_algorithm(alg),
                "Invalid signature_algorithm",
            );
        }
        if let Tri::Known(url) = &self.endpoint_ecs_metadata {
            check(
                root("endpoints").index(0).attribute("ecs_metadata"),
                validation::validate_metadata_endpoint(url),
                "Invalid endpoint",
            );
        }
        for (name, endpoint) in [("ram", &self.endpoint_ram), ("sts", &self.endpoint_sts)] {
            if let Tri::Known(url) = endpoint {
                check(
                    root("endpoints").index(0).attribute(name),
                    validation::validate_endpoint_url(url),
                    "Invalid endpoint",
                );
            }
        }
        if let Some(assume) = &self.assume_role {
            let at = |name: &str| root("assume_role").index(0).attribute(name);
            if let Tri::Known(arn) = &assume.role_arn {
                check(
                    at("role_arn"),
                    validation::validate_role_arn(arn),
                    "Invalid role_arn",
                );
            }
            if let Tri::Known(name) = &assume.session_name {
                check(
                    at("session_name"),
                    validation::validate_session_name(name),
                    "Invalid session_name",
                );
            }
            if let Tri::Known(secs) = assume.session_expiration {
                check(
                    at("session_expiration"),
                    validation::validate_session_expiration(secs),
                    "Invalid session_expiration",
                );
            }
        }
        if let Tri::Known(region) = &self.region {
            match validation::validate_region(region) {
                Err(rule) => diags.error_at(root("region"), "Invalid region", rule),
                Ok(()) if !validation::KNOWN_REGIONS.contains(&region.as_str()) => diags
                    .warning_at(
                        root("region"),
                        "Unknown region",
                        format!(
                            "region {region:?} is not a region this provider knows; STS would be \
                             called at https://sts.{region}.aliyuncs.com unless endpoints.sts is \
                             set. Check the spelling (for example \"cn-hangzhou\")."
                        ),
                    ),
                Ok(()) => {}
            }
        }
        if self.access_key.is_known() != self.secret_key.is_known()
            && !self.access_key.is_unknown()
            && !self.secret_key.is_unknown()
        {
            let missing = if self.access_key.is_known() {
                "secret_key"
            } else {
                "access_key"
            };
            diags.error_at(
                root(missing),
                "Incomplete static credentials",
                "access_key and secret_key must be set together",
            );
        }
        diags
    }
}

/// The arguments of a provider block value that are not known yet (`access_key`,
/// `endpoints.ram`, `assume_role` for a whole dynamic block...), in schema order.
pub(crate) fn unknown_arguments(config: &Value) -> Vec<String> {
    fn walk(value: &Value, path: &str, found: &mut Vec<String>) {
        match value {
            Value::Unknown => found.push(path.to_string()),
            Value::Object(attrs) => {
                for (name, inner) in attrs {
                    let inner_path = if path.is_empty() {
                        name.clone()
                    } else {
                        format!("{path}.{name}")
                    };
                    walk(inner, &inner_path, found);
                }
            }
            // A nested block (at most one of each here): its attributes are named through it.
            Value::List(items) | Value::Set(items) => {
                for item in items {
                    walk(item, path, found);
                }
            }
            _ => {}
        }
    }
    let mut found = Vec::new();
    walk(config, "", &mut found);
    found
}

impl ProviderConfig {
    /// Builds the Alibaba Cloud client: resolves the credential chain (configuration, then
    /// environment, then the aliyun CLI profile) and validates endpoints. Sends nothing.
    pub(crate) fn connect(&self) -> Result<Client, crate::alicloud::Error> {
        self.connect_with_env(&credentials::ProcessEnv)
    }

    pub(crate) fn connect_with_env(
        &self,
        env: &dyn credentials::Env,
    ) -> Result<Client, crate::alicloud::Error> {
        let known = |t: &Tri<String>| t.as_known().filter(|s| !s.is_empty()).cloned();
        let mut client_config = ClientConfig {
            ram_endpoint: known(&self.endpoint_ram),
            sts_endpoint: known(&self.endpoint_sts),
            ..Default::default()
        };
        if let Some(disabled) = self.ecs_imdsv1_disabled.as_known() {
            client_config.imdsv1_disabled = Some(*disabled);
        }
        if let Some(retries) = self.max_retries.as_known() {
            client_config.retry.max_retries = u32::try_from(*retries).unwrap_or(0);
        }
        if let Some(algorithm) = known(&self.signature_algorithm) {
            client_config.signature_algorithm = algorithm.parse()?;
        }
        let credential_config = credentials::CredentialConfig {
            access_key: known(&self.access_key),
            secret_key: known(&self.secret_key).map(Secret::new),
            security_token: known(&self.security_token).map(Secret::new),
            region: known(&self.region),
            profile: known(&self.profile),
            shared_credentials_file: known(&self.shared_credentials_file).map(Into::into),
            ecs_role_name: known(&self.ecs_role_name),
            assume_role: self.assume_role.as_ref().and_then(|a| {
                Some(credentials::AssumeRoleConfig {
                    role_arn: known(&a.role_arn)?,
                    session_name: known(&a.session_name),
                    session_expiration: a
                        .session_expiration
                        .as_known()
                        .and_then(|s| u64::try_from(*s).ok()),
                    external_id: known(&a.external_id),
                    policy: known(&a.policy),
                })
            }),
            ecs_metadata_endpoint: known(&self.endpoint_ecs_metadata),
        };
        credentials::connect(client_config, &credential_config, env)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plugin::typed::ObjectBuilder;

    fn config_value(endpoint: &str, retries: i64) -> Value {
        let endpoints = ObjectBuilder::new()
            .set("ram", endpoint)
            .set_value("sts", Value::Null)
            .build();
        ObjectBuilder::new()
            .set("access_key", "AK")
            .set("secret_key", "very-secret")
            .set("max_retries", retries)
            .set_value("endpoints", Value::List(vec![endpoints]))
            .build()
    }

    #[test]
    fn reads_and_validates_the_provider_block() {
        let config = ProviderConfig::from_value(&config_value("http://127.0.0.1:8080", 3)).unwrap();
        assert_eq!(
            config.endpoint_ram,
            Tri::Known("http://127.0.0.1:8080".into())
        );
        assert!(config.validate().is_empty());
    }

    #[test]
    fn rejects_remote_plain_http_and_silly_retries_on_their_paths() {
        let config =
            ProviderConfig::from_value(&config_value("http://ram.example.com", 99)).unwrap();
        let diags = config.validate();
        let paths: Vec<_> = diags.iter().filter_map(|d| d.path.clone()).collect();
        assert!(paths.contains(&AttributePath::root("max_retries")));
        assert!(paths.contains(&AttributePath::root("endpoints").index(0).attribute("ram")));
    }

    #[test]
    fn unknown_arguments_are_named_by_their_path() {
        let endpoints = ObjectBuilder::new()
            .set_value("ram", Value::Unknown)
            .set_value("sts", Value::Null)
            .build();
        let value = ObjectBuilder::new()
            .set_value("access_key", Value::Unknown)
            .set("secret_key", "known")
            .set_value("endpoints", Value::List(vec![endpoints]))
            .set_value("assume_role", Value::Unknown)
            .build();
        assert_eq!(
            unknown_arguments(&value),
            vec!["access_key", "assume_role", "endpoints.ram"]
        );
        assert!(unknown_arguments(&config_value("http://127.0.0.1:1", 1)).is_empty());
    }

    #[test]
    fn the_imdsv1_switch_reaches_the_client() {
        use crate::alicloud::credentials::MapEnv;
        let mut config =
            ProviderConfig::from_value(&config_value("http://127.0.0.1:1", 1)).unwrap();
        let disabled_env = MapEnv::new().with("ALIBABA_CLOUD_IMDSV1_DISABLED", "true");
        let client = config.connect_with_env(&MapEnv::new()).expect("client");
        assert_eq!(client.config().imdsv1_disabled, Some(false));
        let client = config.connect_with_env(&disabled_env).expect("client");
        assert_eq!(
            client.config().imdsv1_disabled,
            Some(true),
            "unset: the environment decides"
        );
        config.ecs_imdsv1_disabled = Tri::Known(true);
        let client = config.connect_with_env(&MapEnv::new()).expect("client");
        assert_eq!(client.config().imdsv1_disabled, Some(true));
        config.ecs_imdsv1_disabled = Tri::Known(false);
        let client = config.connect_with_env(&disabled_env).expect("client");
        assert_eq!(
            client.config().imdsv1_disabled,
            Some(false),
            "the argument wins"
        );
    }

    #[test]
    fn regions_are_checked_as_region_ids() {
        let with_region = |region: &str| ProviderConfig {
            region: Tri::Known(region.into()),
            ..Default::default()
        };
        for bad in [
            "",
            "CN-HANGZHOU",
            "hangzhou",
            "cn_hangzhou",
            "cn-",
            "x-nowhere",
        ] {
            let diags = with_region(bad).validate();
            assert!(diags.has_errors(), "{bad:?} accepted");
            assert_eq!(
                diags.iter().next().and_then(|d| d.path.clone()),
                Some(AttributePath::root("region"))
            );
        }
        let unknown = with_region("xx-nowhere-1").validate();
        assert!(!unknown.has_errors());
        assert!(unknown.iter().any(|d| d.summary == "Unknown region"));
        assert!(with_region("cn-hangzhou").validate().is_empty());
        assert!(with_region("ap-southeast-1").validate().is_empty());
    }

    #[test]
    fn debug_output_hides_secrets() {
        let config = ProviderConfig::from_value(&config_value("http://127.0.0.1:1", 1)).unwrap();
        let shown = format!("{config:?}");
        assert!(!shown.contains("very-secret"), "{shown}");
        assert!(shown.contains("<redacted>"));
    }
}
