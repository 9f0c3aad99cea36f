//! The fair anchor of ARCHITECTURE.md's budgets: the Workato provider, built on HashiCorp's
//! terraform-plugin-framework (v1.19, terraform-plugin-go v0.31), as shipped for linux_amd64 in
//! the PyPI wheel `workato-terraform-provider` 0.16.0. `make bench` fetches the wheel once with
//! pip into a cache under `target/`, takes the binary out and checks its SHA-256; a smoke run
//! never fetches, and uses the binary only if an earlier `make bench` left it in the cache.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context as _};
use sha2::{Digest as _, Sha256};

/// The wheel and the version pinned.
pub const WHEEL_PACKAGE: &str = "workato-terraform-provider";
pub const VERSION: &str = "0.16.0";
/// The wheel's file name on PyPI (observed: SHA-256
/// `c3c972be81b9e8e51bf96ceeac09ab4e0a09c98ea45352e53ffb6ff8b2457949`, 42,323,078 bytes).
pub const WHEEL_FILE: &str = "workato_terraform_provider-0.16.0-py3-none-any.whl";
/// The linux_amd64 binary inside the wheel.
pub const WHEEL_MEMBER: &str = "workato_terraform_provider/payload/registry.terraform.io/local/workato/0.16.0/linux_amd64/terraform-provider-workato_v0.16.0";
/// Its SHA-256 as observed when this harness was written (25,432,226 bytes); the wheel's own
/// RECORD lists the same digest (`QnPIENYErtJgxP_qdzcfz5z3F8DVVsJFgsU2PYQc9Fo`).
pub const BINARY_SHA256: &str = "4273c810d604aed260c4ffea77371fcf9cf717c0d556c24582c5363d841cf45a";
/// The executable's name, as Terraform installs it from a mirror.
pub const EXE_NAME: &str = "terraform-provider-workato_v0.16.0";
/// The provider's address in the benchmark's mirror (as the wheel lays it out).
pub const SOURCE: &str = "local/workato";
pub const MIRROR_HOST_PATH: &str = "registry.terraform.io/local/workato";

/// The binary, checked, ready to copy into a mirror.
#[derive(Debug, Clone)]
pub struct Binary {
    pub path: PathBuf,
    pub bytes: u64,
}

/// Why the comparison did not run, for the report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotRun(pub String);

/// The checked binary from `cache`: taken from there if an earlier run left it, else (when
/// `fetch` is allowed) from the wheel, downloaded with pip if it is not in `cache` either.
pub fn obtain(cache: &Path, fetch: bool) -> Result<Binary, NotRun> {
    let binary = cache.join(EXE_NAME);
    if binary.is_file() {
        return check(&binary).map_err(|e| NotRun(format!("{e:#}")));
    }
    if !fetch {
        return Err(NotRun(format!(
            "the smoke run never fetches, and no earlier `make bench` left {} in {}",
            EXE_NAME,
            cache.display()
        )));
    }
    fetch_into(cache, &binary)
        .and_then(|()| check(&binary))
        .map_err(|e| NotRun(format!("{e:#}")))
}

fn fetch_into(cache: &Path, binary: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(cache).with_context(|| format!("creating {}", cache.display()))?;
    let wheel = cache.join(WHEEL_FILE);
    if !wheel.is_file() {
        let output = Command::new(python())
            .args([
                "-m",
                "pip",
                "download",
                "--no-deps",
                "--disable-pip-version-check",
                "--only-binary=:all:",
                "-d",
            ])
            .arg(cache)
            .arg(format!("{WHEEL_PACKAGE}=={VERSION}"))
            .output()
            .context("running `python3 -m pip download` (is python3 with pip installed?)")?;
        if !output.status.success() || !wheel.is_file() {
            let stderr = String::from_utf8_lossy(&output.stderr);
            let last = stderr.lines().rev().find(|l| !l.trim().is_empty());
            bail!(
                "`pip download {WHEEL_PACKAGE}=={VERSION}` failed ({}): {}",
                output.status,
                last.unwrap_or("no message")
            );
        }
    }
    // Python's zipfile (pip needs Python anyway) extracts the one member, to a temporary name
    // first so an interrupted run never leaves a partial binary under the final name.
    let partial = binary.with_extension("partial");
    let script = "import shutil, sys, zipfile\n\
                  with zipfile.ZipFile(sys.argv[1]) as z, z.open(sys.argv[2]) as src, \
                  open(sys.argv[3], 'wb') as dst:\n    shutil.copyfileobj(src, dst)\n";
    let status = Command::new(python())
        .args(["-c", script])
        .arg(&wheel)
        .arg(WHEEL_MEMBER)
        .arg(&partial)
        .status()
        .context("running python3 to unpack the wheel")?;
    if !status.success() {
        bail!("unpacking {WHEEL_MEMBER} from {} failed", wheel.display());
    }
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(&partial, std::fs::Permissions::from_mode(0o755))
        .with_context(|| format!("making {} executable", partial.display()))?;
    std::fs::rename(&partial, binary)
        .with_context(|| format!("renaming {} into place", partial.display()))?;
    Ok(())
}

fn python() -> String {
    std::env::var("PYTHON").unwrap_or_else(|_| "python3".to_string())
}

/// The binary at `path` if its SHA-256 is the pinned one.
fn check(path: &Path) -> anyhow::Result<Binary> {
    let data = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    let digest = sha256_hex(&data);
    if digest != BINARY_SHA256 {
        bail!(
            "{} has SHA-256 {digest}, not the pinned {BINARY_SHA256}: not the binary of \
             {WHEEL_PACKAGE} {VERSION} for linux_amd64",
            path.display()
        );
    }
    Ok(Binary {
        path: path.to_path_buf(),
        bytes: data.len() as u64,
    })
}

pub fn sha256_hex(data: &[u8]) -> String {
    Sha256::digest(data)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_binary_with_another_digest_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(EXE_NAME), b"not the provider").unwrap();
        let NotRun(reason) = obtain(dir.path(), false).unwrap_err();
        assert!(reason.contains("not the pinned"), "{reason}");
    }

    #[test]
    fn a_smoke_run_does_not_fetch() {
        let dir = tempfile::tempdir().unwrap();
        let NotRun(reason) = obtain(dir.path(), false).unwrap_err();
        assert!(reason.contains("never fetches"), "{reason}");
        assert!(std::fs::read_dir(dir.path()).unwrap().next().is_none());
    }

    #[test]
    fn digests_are_lowercase_hex() {
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
