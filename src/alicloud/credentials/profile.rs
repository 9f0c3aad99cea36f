//! Profile files: the aliyun CLI configuration (`~/.aliyun/config.json`: `{"current": name,
//! "profiles": [...]}`) and, read into the same shape, the INI credentials file of Alibaba's
//! SDKs (`[name]` sections with `type = access_key | ecs_ram_role | ram_role_arn`); and what each
//! profile mode (AK, StsToken, RamRoleArn, EcsRamRole, ChainableRamRoleArn) means.

use std::io::Read;
use std::path::Path;

use serde::Deserialize;

use super::Secret;
use crate::alicloud::error::Error;
use crate::alicloud::lenient;

/// The largest credentials file we read. A real one is a few kilobytes; anything bigger is the
/// wrong file (or `/dev/zero`), and reading it whole would only cost memory.
pub(crate) const MAX_CREDENTIALS_FILE_BYTES: u64 = 1024 * 1024;

/// Why a credentials file could not be read.
#[derive(Debug)]
pub(crate) enum FileError {
    /// It does not exist.
    NotFound,
    /// It is larger than [`MAX_CREDENTIALS_FILE_BYTES`].
    TooLarge,
    /// It is not UTF-8 text.
    NotText,
    /// Any other I/O error.
    Io(std::io::Error),
}

impl std::fmt::Display for FileError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FileError::NotFound => f.write_str("it does not exist"),
            FileError::TooLarge => write!(
                f,
                "it is larger than {} MiB, far more than any credentials file",
                MAX_CREDENTIALS_FILE_BYTES / (1024 * 1024)
            ),
            FileError::NotText => f.write_str("it is not UTF-8 text"),
            FileError::Io(e) => write!(f, "{e}"),
        }
    }
}

/// Reads a credentials file (the aliyun CLI's `config.json` or the SDKs' INI file) of at most
/// [`MAX_CREDENTIALS_FILE_BYTES`], without reading more than that of a bigger one, and warns
/// (in Terraform's log) when group or others may read it. Never quotes its content.
pub(crate) fn read_credentials_file(path: &Path, shown: &str) -> Result<String, FileError> {
    let file = std::fs::File::open(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => FileError::NotFound,
        _ => FileError::Io(e),
    })?;
    if let Ok(metadata) = file.metadata() {
        if let Some(mode) = exposed_mode(&metadata) {
            tracing::warn!(
                file = shown,
                mode = format!("{mode:o}"),
                "the credentials file {shown} can be read or written by other users (mode {mode:o}); \
                 restrict it with: chmod 600 {shown}"
            );
        }
        if metadata.is_file() && metadata.len() > MAX_CREDENTIALS_FILE_BYTES {
            return Err(FileError::TooLarge);
        }
    }
    // The size may lie (a device, a file still growing): never read past the cap.
    let mut bytes = Vec::new();
    file.take(MAX_CREDENTIALS_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(FileError::Io)?;
    if bytes.len() as u64 > MAX_CREDENTIALS_FILE_BYTES {
        return Err(FileError::TooLarge);
    }
    String::from_utf8(bytes).map_err(|_| FileError::NotText)
}

/// The permission bits of a regular file that let group or others read or write it, if any.
#[cfg(unix)]
pub(crate) fn exposed_mode(metadata: &std::fs::Metadata) -> Option<u32> {
    use std::os::unix::fs::PermissionsExt;
    let mode = metadata.permissions().mode() & 0o777;
    (metadata.is_file() && mode & 0o077 != 0).then_some(mode)
}

/// Windows has no such bits; its ACLs are out of reach here.
#[cfg(not(unix))]
pub(crate) fn exposed_mode(_metadata: &std::fs::Metadata) -> Option<u32> {
    None
}

/// The parsed configuration file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub(crate) struct CliConfig {
    /// The profile the CLI uses when none is named.
    #[serde(deserialize_with = "lenient::string")]
    pub current: String,
    /// Every profile.
    #[serde(deserialize_with = "lenient::list")]
    pub profiles: Vec<CliProfile>,
}

/// One profile. `Debug` redacts the secret and the token.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub(crate) struct CliProfile {
    /// The profile's name.
    #[serde(deserialize_with = "lenient::string")]
    pub name: String,
    /// `AK`, `StsToken`, `RamRoleArn`, `EcsRamRole`, ...
    #[serde(deserialize_with = "lenient::string")]
    pub mode: String,
    /// AccessKey ID.
    #[serde(deserialize_with = "lenient::string")]
    pub access_key_id: String,
    /// AccessKey secret.
    pub access_key_secret: Option<Secret>,
    /// STS token (mode StsToken).
    pub sts_token: Option<Secret>,
    /// ECS RAM role name (mode EcsRamRole).
    #[serde(deserialize_with = "lenient::string")]
    pub ram_role_name: String,
    /// Role to assume (mode RamRoleArn, ChainableRamRoleArn).
    #[serde(deserialize_with = "lenient::string")]
    pub ram_role_arn: String,
    /// Session name for the assumed role.
    #[serde(deserialize_with = "lenient::string")]
    pub ram_session_name: String,
    /// External id for the assumed role.
    #[serde(deserialize_with = "lenient::string")]
    pub external_id: String,
    /// The profile whose credentials assume the role (mode ChainableRamRoleArn).
    #[serde(deserialize_with = "lenient::string")]
    pub source_profile: String,
    /// Session lifetime in seconds (0 = default).
    #[serde(deserialize_with = "lenient::opt_u64")]
    pub expired_seconds: Option<u64>,
    /// The profile's region.
    #[serde(deserialize_with = "lenient::string")]
    pub region_id: String,
    /// An inline policy for the assumed role (INI `ram_role_arn` sections only).
    #[serde(skip)]
    pub policy: String,
}

/// What a profile asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ProfileMode {
    /// Long-lived access key.
    Ak,
    /// Access key with an STS token.
    StsToken,
    /// Access key that assumes a role.
    RamRoleArn,
    /// ECS instance role.
    EcsRamRole,
    /// Another profile's credentials that assume a role.
    ChainableRamRoleArn,
}

impl ProfileMode {
    /// Parses a mode, ignoring case as the CLI does; an empty mode is `AK`.
    pub(crate) fn parse(mode: &str) -> Result<ProfileMode, String> {
        let known = [
            ("AK", ProfileMode::Ak),
            ("", ProfileMode::Ak),
            ("StsToken", ProfileMode::StsToken),
            ("RamRoleArn", ProfileMode::RamRoleArn),
            ("EcsRamRole", ProfileMode::EcsRamRole),
            ("ChainableRamRoleArn", ProfileMode::ChainableRamRoleArn),
        ];
        known
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(mode.trim()))
            .map(|(_, m)| *m)
            .ok_or_else(|| {
                format!(
                    "mode {mode:?} is not supported (supported: AK, StsToken, RamRoleArn, EcsRamRole, ChainableRamRoleArn)"
                )
            })
    }
}

impl CliConfig {
    /// Parses the file's text. Errors name the file but never quote its content.
    pub(crate) fn parse(text: &str, path: &str) -> Result<CliConfig, Error> {
        serde_json::from_str(text).map_err(|e| {
            Error::Config(format!(
                "cannot parse the aliyun CLI configuration {path} (line {}, column {}): it must be JSON like \
                 {{\"current\": \"default\", \"profiles\": [{{\"name\": \"default\", \"mode\": \"AK\", ...}}]}}",
                e.line(),
                e.column()
            ))
        })
    }

    /// Parses either format: JSON (the aliyun CLI's) when the text starts with `{`, otherwise
    /// the SDKs' INI credentials file.
    pub(crate) fn parse_any(text: &str, path: &str) -> Result<CliConfig, Error> {
        if text.trim_start().starts_with('{') {
            CliConfig::parse(text, path)
        } else {
            CliConfig::parse_ini(text, path)
        }
    }

    /// Parses the INI credentials file (`[name]` sections of `key = value` lines; sections
    /// with `enable = false` are left out).
    pub(crate) fn parse_ini(text: &str, path: &str) -> Result<CliConfig, Error> {
        let mut sections: Vec<(String, Vec<(String, String)>)> = Vec::new();
        for (index, raw) in text.lines().enumerate() {
            let line = strip_ini_comment(raw).trim();
            if line.is_empty() {
                continue;
            }
            if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
                sections.push((name.trim().to_string(), Vec::new()));
                continue;
            }
            let bad_line = || {
                Error::Config(format!(
                    "cannot parse the credentials file {path}: line {} is neither [section] nor key = value",
                    index + 1
                ))
            };
            let (key, value) = line.split_once('=').ok_or_else(bad_line)?;
            let section = sections.last_mut().ok_or_else(bad_line)?;
            section
                .1
                .push((key.trim().to_ascii_lowercase(), value.trim().to_string()));
        }
        let profiles = sections
            .into_iter()
            .filter(|(_, kv)| {
                ini_get(kv, "enable").is_none_or(|v| !v.eq_ignore_ascii_case("false"))
            })
            .map(|(name, kv)| ini_profile(name, &kv))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(CliConfig {
            current: String::new(),
            profiles,
        })
    }

    /// The profile called `name`.
    pub(crate) fn profile(&self, name: &str) -> Option<&CliProfile> {
        self.profiles.iter().find(|p| p.name == name)
    }

    /// The names of every profile, for error messages.
    pub(crate) fn names(&self) -> Vec<&str> {
        self.profiles.iter().map(|p| p.name.as_str()).collect()
    }
}

/// Drops a `#` or `;` comment: a whole-line one, or one after whitespace.
fn strip_ini_comment(line: &str) -> &str {
    let trimmed = line.trim_start();
    if trimmed.starts_with('#') || trimmed.starts_with(';') {
        return "";
    }
    let bytes = line.as_bytes();
    for i in 1..bytes.len() {
        if matches!(bytes[i], b'#' | b';') && bytes[i - 1].is_ascii_whitespace() {
            return &line[..i];
        }
    }
    line
}

fn ini_get<'a>(kv: &'a [(String, String)], key: &str) -> Option<&'a str> {
    kv.iter()
        .rev()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

fn ini_profile(name: String, kv: &[(String, String)]) -> Result<CliProfile, Error> {
    let get = |key: &str| ini_get(kv, key).unwrap_or_default().to_string();
    let secret = |key: &str| ini_get(kv, key).map(Secret::new);
    let kind = get("type");
    let mode = match kind.as_str() {
        "access_key" => "AK",
        "ecs_ram_role" => "EcsRamRole",
        "ram_role_arn" => "RamRoleArn",
        other => {
            return Err(Error::Config(format!(
                "credentials file section [{name}]: type {other:?} is not supported \
                 (supported: access_key, ecs_ram_role, ram_role_arn)"
            )))
        }
    };
    Ok(CliProfile {
        mode: mode.to_string(),
        access_key_id: get("access_key_id"),
        access_key_secret: secret("access_key_secret"),
        ram_role_name: get("role_name"),
        ram_role_arn: get("role_arn"),
        ram_session_name: get("role_session_name"),
        region_id: get("region_id"),
        policy: get("policy"),
        name,
        ..CliProfile::default()
    })
}

impl CliProfile {
    /// The profile's mode.
    pub(crate) fn mode(&self) -> Result<ProfileMode, Error> {
        ProfileMode::parse(&self.mode).map_err(|why| self.invalid(&why))
    }

    /// The access key pair, required by AK, StsToken and RamRoleArn modes.
    pub(crate) fn access_key(&self) -> Result<(String, Secret), Error> {
        let secret = self.access_key_secret.clone().filter(|s| !s.is_empty());
        match (self.access_key_id.trim(), secret) {
            (id, Some(secret)) if !id.is_empty() => Ok((id.to_string(), secret)),
            _ => Err(self.invalid("access_key_id and access_key_secret must both be set")),
        }
    }

    /// The STS token, required by StsToken mode.
    pub(crate) fn token(&self) -> Result<Secret, Error> {
        self.sts_token
            .clone()
            .filter(|t| !t.is_empty())
            .ok_or_else(|| self.invalid("sts_token must be set in StsToken mode"))
    }

    /// The profile's region, if set.
    pub(crate) fn region(&self) -> Option<&str> {
        Some(self.region_id.trim()).filter(|r| !r.is_empty())
    }

    /// A configuration error about this profile.
    pub(crate) fn invalid(&self, why: &str) -> Error {
        Error::Config(format!("aliyun CLI profile {:?}: {why}", self.name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_files_are_capped_at_1_mib() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("config.json");
        let exact = format!("{{\"profiles\":[]}}{}", " ".repeat(1024 * 1024 - 15));
        assert_eq!(exact.len() as u64, MAX_CREDENTIALS_FILE_BYTES);
        std::fs::write(&path, &exact).expect("write");
        assert!(read_credentials_file(&path, "f").is_ok());
        std::fs::write(&path, format!("{exact} ")).expect("write");
        let err = read_credentials_file(&path, "f").expect_err("over the cap");
        assert!(matches!(err, FileError::TooLarge), "{err:?}");
        assert!(err.to_string().contains("larger than 1 MiB"), "{err}");
        std::fs::write(&path, [0xff, 0xfe, b'{']).expect("write");
        assert!(matches!(
            read_credentials_file(&path, "f"),
            Err(FileError::NotText)
        ));
        assert!(matches!(
            read_credentials_file(&dir.path().join("missing"), "f"),
            Err(FileError::NotFound)
        ));
    }

    /// A file whose size says nothing (a device) is still read no further than the cap.
    #[cfg(unix)]
    #[test]
    fn an_endless_file_is_not_read_to_its_end() {
        let err = read_credentials_file(Path::new("/dev/zero"), "/dev/zero").expect_err("endless");
        assert!(matches!(err, FileError::TooLarge), "{err:?}");
    }

    #[cfg(unix)]
    #[test]
    fn files_readable_by_group_or_others_are_flagged() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("config.json");
        std::fs::write(&path, "{}").expect("write");
        let exposed = |mode: u32| {
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).expect("chmod");
            exposed_mode(&std::fs::metadata(&path).expect("metadata"))
        };
        assert_eq!(exposed(0o600), None);
        assert_eq!(exposed(0o400), None);
        assert_eq!(exposed(0o644), Some(0o644));
        assert_eq!(exposed(0o640), Some(0o640));
        assert_eq!(exposed(0o604), Some(0o604));
        assert_eq!(exposed(0o620), Some(0o620));
        // Directories and devices are not credentials files.
        assert_eq!(
            exposed_mode(&std::fs::metadata(dir.path()).expect("metadata")),
            None
        );
    }

    const FILE: &str = r#"{
      "current": "ak",
      "profiles": [
        {"name": "ak", "mode": "AK", "access_key_id": "LTAIak", "access_key_secret": "akSecret",
         "sts_token": "", "ram_role_name": "", "ram_role_arn": "", "ram_session_name": "",
         "private_key": "", "key_pair_name": "", "expired_seconds": 0, "verified": "",
         "region_id": "eu-central-1", "output_format": "json", "language": "en", "site": "",
         "retry_timeout": 0, "retry_count": 0},
        {"name": "sts", "mode": "StsToken", "access_key_id": "STS.x", "access_key_secret": "stsSecret",
         "sts_token": "stsToken", "region_id": "cn-beijing"},
        {"name": "arn", "mode": "RamRoleArn", "access_key_id": "LTAIarn", "access_key_secret": "arnSecret",
         "ram_role_arn": "acs:ram::123:role/r", "ram_session_name": "s", "expired_seconds": "1800"},
        {"name": "ecs", "mode": "ecsramrole", "ram_role_name": "EcsRole"},
        {"name": "odd", "mode": "CloudSSO"}
      ]
    }"#;

    fn config() -> CliConfig {
        CliConfig::parse(FILE, "config.json").expect("parse")
    }

    #[test]
    fn parses_the_cli_format() {
        let c = config();
        assert_eq!(c.current, "ak");
        assert_eq!(c.names(), vec!["ak", "sts", "arn", "ecs", "odd"]);
        let ak = c.profile("ak").expect("ak");
        assert_eq!(ak.mode().ok(), Some(ProfileMode::Ak));
        assert_eq!(
            ak.access_key().map(|(id, _)| id).ok().as_deref(),
            Some("LTAIak")
        );
        assert_eq!(ak.region(), Some("eu-central-1"));
        assert_eq!(ak.expired_seconds, Some(0));
        let sts = c.profile("sts").expect("sts");
        assert_eq!(sts.mode().ok(), Some(ProfileMode::StsToken));
        assert_eq!(
            sts.token().ok().map(|t| t.expose().to_string()).as_deref(),
            Some("stsToken")
        );
        let arn = c.profile("arn").expect("arn");
        assert_eq!(arn.mode().ok(), Some(ProfileMode::RamRoleArn));
        assert_eq!(arn.expired_seconds, Some(1800));
        assert_eq!(
            c.profile("ecs").map(|p| p.mode().ok()),
            Some(Some(ProfileMode::EcsRamRole))
        );
        assert!(c.profile("odd").is_some_and(|p| p.mode().is_err()));
        assert!(c.profile("missing").is_none());
    }

    #[test]
    fn debug_redacts_profile_secrets() {
        let text = format!("{:?}", config());
        for secret in ["akSecret", "stsSecret", "stsToken", "arnSecret"] {
            assert!(!text.contains(secret), "{secret} leaked");
        }
    }

    #[test]
    fn missing_pieces_are_errors() {
        let c = CliConfig::parse(
            r#"{"profiles":[{"name":"a","mode":"AK","access_key_id":"x"},{"name":"t","mode":"StsToken","access_key_id":"x","access_key_secret":"y"}]}"#,
            "f",
        )
        .expect("parse");
        assert!(c.profile("a").is_some_and(|p| p.access_key().is_err()));
        assert!(c.profile("t").is_some_and(|p| p.token().is_err()));
    }

    const INI: &str = "# shared credentials\n\
        [default]\n\
        enable = true\n\
        type = access_key            # the kind\n\
        access_key_id = INIID\n\
        access_key_secret = ini#secret\n\
        \n\
        [ecs]\n\
        type = ecs_ram_role\n\
        role_name = EcsRamRoleTest\n\
        \n\
        [arn]\n\
        type = ram_role_arn\n\
        region_id = cn-test\n\
        policy = {\"Version\":\"1\"}\n\
        access_key_id = foo\n\
        access_key_secret = bar\n\
        role_arn = acs:ram::1:role/r\n\
        role_session_name = sess\n\
        \n\
        [off]\n\
        enable = false\n\
        type = access_key\n";

    #[test]
    fn parses_the_ini_credentials_file() {
        let c = CliConfig::parse_any(INI, "credentials.ini").expect("ini");
        assert_eq!(c.names(), vec!["default", "ecs", "arn"]);
        let d = c.profile("default").expect("default");
        assert_eq!(d.mode().ok(), Some(ProfileMode::Ak));
        let (id, secret) = d.access_key().expect("keys");
        assert_eq!(id, "INIID");
        assert_eq!(secret.expose(), "ini#secret");
        assert_eq!(
            c.profile("ecs").map(|p| p.ram_role_name.as_str()),
            Some("EcsRamRoleTest")
        );
        let arn = c.profile("arn").expect("arn");
        assert_eq!(arn.mode().ok(), Some(ProfileMode::RamRoleArn));
        assert_eq!(arn.ram_role_arn, "acs:ram::1:role/r");
        assert_eq!(arn.ram_session_name, "sess");
        assert_eq!(arn.policy, r#"{"Version":"1"}"#);
        assert_eq!(arn.region(), Some("cn-test"));
        assert!(CliConfig::parse_any("[x]\ntype = bearer\n", "f").is_err());
        assert!(CliConfig::parse_any("key = outside\n", "f").is_err());
        assert!(!format!("{c:?}").contains("ini#secret"));
    }

    #[test]
    fn bad_json_names_the_file_without_quoting_it() {
        let err = CliConfig::parse(
            r#"{"profiles": [{"access_key_secret": "leak"#,
            "/home/u/.aliyun/config.json",
        )
        .expect_err("bad");
        let text = err.to_string();
        assert!(text.contains("/home/u/.aliyun/config.json"));
        assert!(!text.contains("leak"));
    }
}
