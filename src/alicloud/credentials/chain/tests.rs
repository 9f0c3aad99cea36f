//! Unit tests of the credential chain: precedence, the profile file, `assume_role` on top.

use super::*;
use crate::alicloud::credentials::MapEnv;

fn env() -> MapEnv {
    MapEnv::new().with("HOME", "/nonexistent-home-for-tests")
}

fn static_id(r: &Resolved) -> Option<&str> {
    match &r.source {
        CredentialSource::Static { credentials, .. } => Some(credentials.access_key_id.as_str()),
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
        DEFAULT_REGION
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
