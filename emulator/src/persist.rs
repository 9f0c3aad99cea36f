//! The state file: loading it at start and replacing it atomically (temporary file in the same
//! directory, then rename) after every change.

use std::io;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::model::Account;

/// Format version written into the file.
const FORMAT: u32 = 1;

#[derive(Deserialize)]
struct StateFile {
    format: u32,
    account: Account,
}

#[derive(Serialize)]
struct StateFileRef<'a> {
    format: u32,
    account: &'a Account,
}

/// Why the state file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum PersistError {
    #[error("cannot read state file {path}: {source}")]
    Read { path: PathBuf, source: io::Error },
    #[error("state file {path} is not valid emulator state: {source}")]
    Decode {
        path: PathBuf,
        source: serde_json::Error,
    },
    #[error("state file {path} has format {found}, this emulator reads format {FORMAT}")]
    Format { path: PathBuf, found: u32 },
    #[error("cannot write state file {path}: {source}")]
    Write { path: PathBuf, source: io::Error },
    #[error("cannot encode state: {0}")]
    Encode(#[from] serde_json::Error),
}

impl From<PersistError> for io::Error {
    fn from(e: PersistError) -> Self {
        io::Error::other(e)
    }
}

/// Loads the account from `path`; `None` when the file does not exist yet.
pub fn load(path: &Path) -> Result<Option<Account>, PersistError> {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(source) => {
            return Err(PersistError::Read {
                path: path.to_path_buf(),
                source,
            })
        }
    };
    let file: StateFile =
        serde_json::from_slice(&bytes).map_err(|source| PersistError::Decode {
            path: path.to_path_buf(),
            source,
        })?;
    if file.format != FORMAT {
        return Err(PersistError::Format {
            path: path.to_path_buf(),
            found: file.format,
        });
    }
    Ok(Some(file.account))
}

/// Serialises the account for [`write_atomic`].
pub fn encode(account: &Account) -> Result<Vec<u8>, PersistError> {
    let file = StateFileRef {
        format: FORMAT,
        account,
    };
    Ok(serde_json::to_vec_pretty(&file)?)
}

/// Writes `bytes` to a temporary sibling of `path`, then renames it over `path`, so readers and
/// a restarted emulator see either the old or the new state, never a torn file.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), PersistError> {
    let tmp = temp_path(path);
    let wrap = |source| PersistError::Write {
        path: path.to_path_buf(),
        source,
    };
    write_private(&tmp, bytes).map_err(wrap)?;
    std::fs::rename(&tmp, path).map_err(|source| {
        let _ = std::fs::remove_file(&tmp);
        PersistError::Write {
            path: path.to_path_buf(),
            source,
        }
    })
}

/// Writes `bytes` to `path`, readable and writable by the owner only (0600 on Unix), from the
/// first byte on: the state holds the issued STS sessions' secrets and tokens, and a file that
/// is opened with the default mode and narrowed afterwards can be read in between.
fn write_private(path: &Path, bytes: &[u8]) -> io::Result<()> {
    use std::io::Write as _;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt as _, PermissionsExt as _};
        options.mode(0o600);
        let mut file = options.open(path)?;
        // The mode above applies only when the file is created; a temporary file left over by
        // an earlier run with this pid keeps its own, so set it on the open file as well.
        file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
        file.write_all(bytes)
    }
    #[cfg(not(unix))]
    {
        options.open(path)?.write_all(bytes)
    }
}

fn temp_path(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "state".to_string());
    path.with_file_name(format!(".{name}.{}.tmp", std::process::id()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Role;

    #[test]
    fn missing_file_is_empty_state() {
        let dir = tempfile::tempdir().expect("tempdir");
        assert!(load(&dir.path().join("nope.json")).expect("ok").is_none());
    }

    #[test]
    fn round_trip() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("state.json");
        let mut account = Account::default();
        account.roles.insert(
            "r".into(),
            Role {
                role_id: "1".into(),
                role_name: "R".into(),
                arn: "acs:ram::1:role/r".into(),
                description: String::new(),
                assume_role_policy_document: "{}".into(),
                max_session_duration: 3600,
                create_date: "2020-01-01T00:00:00Z".into(),
                update_date: "2020-01-01T00:00:00Z".into(),
                tags: Default::default(),
            },
        );
        write_atomic(&path, &encode(&account).expect("encode")).expect("write");
        assert_eq!(load(&path).expect("load"), Some(account));
        let leftovers: Vec<_> = std::fs::read_dir(dir.path())
            .expect("list")
            .filter_map(Result::ok)
            .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
            .collect();
        assert!(leftovers.is_empty());
    }

    #[cfg(unix)]
    #[test]
    fn the_state_file_is_private_to_its_owner() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("state.json");
        let mode = |p: &Path| std::fs::metadata(p).expect("metadata").permissions().mode() & 0o777;
        write_atomic(&path, b"{}").expect("write");
        assert_eq!(mode(&path), 0o600, "a new state file");

        // An existing world-readable file, and a stale temporary file of the same pid, are both
        // replaced by a private file.
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        let tmp = temp_path(&path);
        std::fs::write(&tmp, b"stale").expect("stale temporary file");
        std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o666)).expect("chmod");
        write_atomic(&path, b"{\"format\":1}").expect("write");
        assert_eq!(mode(&path), 0o600, "a replaced state file");
        assert_eq!(std::fs::read(&path).expect("read"), b"{\"format\":1}");
        assert!(!tmp.exists());
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("state.json");
        std::fs::write(&path, b"{not json").expect("write");
        assert!(matches!(load(&path), Err(PersistError::Decode { .. })));
        std::fs::write(
            &path,
            br#"{"format":99,"account":{"Roles":{},"Policies":{},"Attachments":[],"Sessions":{}}}"#,
        )
        .expect("write");
        assert!(matches!(
            load(&path),
            Err(PersistError::Format { found: 99, .. })
        ));
    }
}
