//! The ecosystem around the provider, through real `terraform`: every example is `fmt`-clean
//! and valid, the import examples and the data source work against the RAM emulator, the
//! provider function renders the resource's policy, `make install` gives an offline
//! `terraform init`, and `make release` produces a zip, manifest and SHA256SUMS that agree.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;
use sha2::{Digest, Sha256};
use terraform_provider_alicr::policy;

use crate::support::{provider_block, Emulator, TfDir};

/// An endpoint nothing listens on, for configurations that must not reach RAM.
const UNUSED_ENDPOINT: &str = "http://127.0.0.1:9";
const VERSION: &str = env!("CARGO_PKG_VERSION");

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn read(relative: &str) -> String {
    std::fs::read_to_string(repo().join(relative))
        .unwrap_or_else(|e| panic!("read {relative}: {e}"))
}

fn buckets(names: &[&str]) -> BTreeSet<String> {
    names.iter().map(|n| n.to_string()).collect()
}

/// Every directory under `examples/` that holds `.tf` files, relative to the repository.
fn example_dirs() -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut pending = vec![PathBuf::from("examples")];
    while let Some(dir) = pending.pop() {
        let mut has_tf = false;
        for entry in std::fs::read_dir(repo().join(&dir))
            .expect("read examples")
            .flatten()
        {
            let relative = dir.join(entry.file_name());
            if entry.file_type().expect("file type").is_dir() {
                pending.push(relative);
            } else if relative.extension().is_some_and(|e| e == "tf") {
                has_tf = true;
            }
        }
        if has_tf {
            found.push(dir);
        }
    }
    found.sort();
    found
}

/// A working directory holding the example's `.tf` files. Examples that have no `terraform`
/// block of their own get the provider example next to them, as a user would have.
fn example_dir(dir: &Path) -> TfDir {
    let files: Vec<(String, String)> = std::fs::read_dir(repo().join(dir))
        .expect("read example")
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|x| x == "tf"))
        .map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            let text = std::fs::read_to_string(e.path()).expect("read example file");
            (name, text)
        })
        .collect();
    let standalone = files
        .iter()
        .any(|(_, text)| text.contains("required_providers"));
    let provider = if standalone {
        String::new()
    } else {
        read("examples/provider/provider.tf")
    };
    let tf = TfDir::new(&provider);
    for (name, text) in &files {
        tf.write(name, text);
    }
    tf
}

fn outputs(tf: &TfDir) -> Value {
    let out = tf.run(&["output", "-json", "-no-color"]);
    out.assert_success();
    serde_json::from_str(&out.stdout).expect("terraform output -json")
}

/// Terraform wraps long messages; compare text with every run of whitespace as one space.
fn squash(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn string_set(value: &Value) -> BTreeSet<String> {
    value
        .as_array()
        .map(|items| {
            items
                .iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn examples_are_terraform_fmt_clean() {
    let tf = TfDir::new("");
    let examples = repo().join("examples");
    let out = tf.run(&[
        "fmt",
        "-check",
        "-recursive",
        "-diff",
        "-no-color",
        &examples.to_string_lossy(),
    ]);
    assert!(
        out.success,
        "examples/ is not `terraform fmt`-clean:\n{}",
        out.all()
    );
}

#[test]
fn every_example_configuration_is_valid() {
    let dirs = example_dirs();
    for expected in [
        "examples/provider",
        "examples/resources/alicr_custom_oss_role",
        "examples/data-sources/alicr_custom_oss_role",
        "examples/functions/custom_oss_role_policy",
        "examples/demo",
    ] {
        assert!(
            dirs.contains(&PathBuf::from(expected)),
            "{expected} is missing: {dirs:?}"
        );
    }
    for dir in dirs {
        let out = example_dir(&dir).run(&["validate", "-no-color"]);
        assert!(
            out.success && out.stdout.contains("The configuration is valid"),
            "{} does not validate:\n{}",
            dir.display(),
            out.all()
        );
    }
}

#[test]
fn the_import_script_is_valid_shell_naming_the_example_resource() {
    let script = repo().join("examples/resources/alicr_custom_oss_role/import.sh");
    let syntax = Command::new("bash")
        .arg("-n")
        .arg(&script)
        .output()
        .expect("run bash -n");
    assert!(syntax.status.success(), "import.sh is not valid shell");
    let commands = import_commands();
    assert_eq!(commands.len(), 2, "{commands:?}");
    let resource = read("examples/resources/alicr_custom_oss_role/resource.tf");
    for args in &commands {
        let address = args.get(1).expect("import address");
        let name = address
            .strip_prefix("alicr_custom_oss_role.")
            .expect("imports an alicr_custom_oss_role");
        assert!(
            resource.contains(&format!("resource \"alicr_custom_oss_role\" \"{name}\"")),
            "{address} is not declared in resource.tf"
        );
    }
}

/// The arguments after `terraform` of each command in `import.sh`.
fn import_commands() -> Vec<Vec<String>> {
    read("examples/resources/alicr_custom_oss_role/import.sh")
        .lines()
        .filter_map(|line| line.trim().strip_prefix("terraform "))
        .map(|rest| rest.split_whitespace().map(str::to_string).collect())
        .collect()
}

/// The resource example wired to the emulator.
fn resource_example(emulator: &Emulator) -> TfDir {
    let tf = TfDir::new(&provider_block(&emulator.endpoint()));
    tf.write(
        "resource.tf",
        &read("examples/resources/alicr_custom_oss_role/resource.tf"),
    );
    tf
}

#[test]
fn the_import_examples_adopt_an_existing_role() {
    let emulator = Emulator::start();
    resource_example(&emulator).apply();

    for args in import_commands() {
        let tf = resource_example(&emulator);
        let mut full: Vec<&str> = vec!["import", "-input=false", "-no-color"];
        full.extend(args.iter().skip(1).map(String::as_str));
        tf.run(&full).assert_success();
        tf.assert_no_changes();
    }

    let tf = resource_example(&emulator);
    tf.write(
        "import.tf",
        &read("examples/resources/alicr_custom_oss_role/import-by-string-id.tf"),
    );
    let plan = tf.run(&["plan", "-input=false", "-no-color"]);
    plan.assert_success();
    assert!(
        plan.stdout
            .contains("Plan: 1 to import, 0 to add, 0 to change, 0 to destroy"),
        "{}",
        plan.all()
    );
    tf.apply();
    tf.assert_no_changes();
}

#[test]
fn the_data_source_reads_what_the_resource_created() {
    let emulator = Emulator::start();
    let tf = TfDir::new(&format!(
        r#"{}
resource "alicr_custom_oss_role" "this" {{
  bucket_names       = ["images-b", "images-a"]
  description        = "read back by the data source"
  policy_description = "the policy, read back"
  tags = {{
    team = "registry"
  }}
}}

# Refers to the resource, so Terraform reads it after the role exists.
data "alicr_custom_oss_role" "read" {{
  role_name = alicr_custom_oss_role.this.role_name
}}

output "read" {{
  value = data.alicr_custom_oss_role.read
}}
"#,
        provider_block(&emulator.endpoint())
    ));
    tf.apply();
    let read = &outputs(&tf)["read"]["value"];
    let ram = emulator.state();
    let role = &ram["roles"][0];
    assert_eq!(read["arn"], role["Arn"], "{read}");
    assert_eq!(read["role_id"], role["RoleId"]);
    assert_eq!(read["create_date"], role["CreateDate"]);
    assert_eq!(read["id"], policy::DEFAULT_ROLE_NAME);
    assert_eq!(read["policy_name"], policy::DEFAULT_POLICY_NAME);
    assert_eq!(read["policy_version"], "v1");
    assert_eq!(read["description"], "read back by the data source");
    assert_eq!(read["max_session_duration"], 3600);
    assert_eq!(read["policy_description"], "the policy, read back");
    assert_eq!(read["tags"], serde_json::json!({"team": "registry"}));
    assert_eq!(
        string_set(&read["bucket_names"]),
        buckets(&["images-a", "images-b"])
    );
    let document = read["policy_document"].as_str().expect("policy_document");
    assert!(policy::documents_equivalent(
        document,
        &policy::render_policy(&buckets(&["images-a", "images-b"]))
    ));
    let trust = read["assume_role_policy_document"]
        .as_str()
        .expect("trust policy");
    assert!(policy::documents_equivalent(
        trust,
        &policy::render_trust_policy()
    ));
    tf.assert_no_changes();
}

#[test]
fn the_data_source_example_reads_a_role_made_elsewhere_and_says_what_is_wrong() {
    let emulator = Emulator::start();
    resource_example(&emulator).apply();

    let tf = TfDir::new(&provider_block(&emulator.endpoint()));
    tf.write(
        "data-source.tf",
        &read("examples/data-sources/alicr_custom_oss_role/data-source.tf"),
    );
    tf.apply();
    let out = outputs(&tf);
    assert_eq!(
        string_set(&out["registry_buckets"]["value"]),
        buckets(&["acr-images-prod", "acr-images-staging"])
    );
    assert_eq!(
        out["registry_role_arn"]["value"],
        emulator.state()["roles"][0]["Arn"]
    );

    let lookup = |body: &str| {
        let tf = TfDir::new(&format!(
            "{}\ndata \"alicr_custom_oss_role\" \"x\" {{\n{body}\n}}\n",
            provider_block(&emulator.endpoint())
        ));
        let out = tf.run(&["plan", "-input=false", "-no-color"]);
        out.assert_failure();
        squash(&out.all())
    };
    let missing = lookup("  role_name = \"NoSuchRole\"");
    assert!(missing.contains("does not exist"), "{missing}");
    assert!(missing.contains("NoSuchRole"), "{missing}");
    assert!(!missing.contains("import"), "{missing}");

    let detached = lookup(&format!(
        "  role_name   = \"{}\"\n  policy_name = \"SomeOtherPolicy\"",
        policy::DEFAULT_ROLE_NAME
    ));
    assert!(detached.contains("SomeOtherPolicy"), "{detached}");
    assert!(detached.contains("not attached"), "{detached}");

    let invalid = lookup("  role_name = \"not a role name\"");
    assert!(invalid.contains("role_name"), "{invalid}");
    assert!(invalid.contains("not a role name"), "{invalid}");
}

#[test]
fn the_provider_function_renders_the_resource_policy() {
    let tf = TfDir::new(&provider_block(UNUSED_ENDPOINT));
    tf.write(
        "function.tf",
        &read("examples/functions/custom_oss_role_policy/function.tf"),
    );
    tf.apply();
    let out = tf.run(&["output", "-raw", "-no-color", "registry_policy_document"]);
    out.assert_success();
    assert_eq!(
        out.stdout,
        policy::render_policy(&buckets(&["acr-images-prod", "acr-images-staging"]))
    );
}

#[test]
fn the_provider_function_waits_for_unknown_buckets() {
    let tf = TfDir::new(&format!(
        r#"{}
resource "terraform_data" "buckets" {{
  input = ["images-b", "images-a", "images-b"]
}}

output "policy" {{
  value = provider::alicr::custom_oss_role_policy(terraform_data.buckets.output)
}}
"#,
        provider_block(UNUSED_ENDPOINT)
    ));
    let plan = tf.run(&["plan", "-input=false", "-no-color"]);
    plan.assert_success();
    assert!(
        plan.stdout.contains("policy = (known after apply)"),
        "{}",
        plan.all()
    );
    tf.apply();
    let out = tf.run(&["output", "-raw", "-no-color", "policy"]);
    assert_eq!(
        out.stdout,
        policy::render_policy(&buckets(&["images-a", "images-b"]))
    );
}

#[test]
fn the_provider_function_blames_its_argument_for_bad_buckets() {
    let call = |argument: &str| {
        let tf = TfDir::new(&format!(
            "{}\noutput \"p\" {{\n  value = provider::alicr::custom_oss_role_policy({argument})\n}}\n",
            provider_block(UNUSED_ENDPOINT)
        ));
        let out = tf.run(&["plan", "-input=false", "-no-color"]);
        out.assert_failure();
        squash(&out.all())
    };
    let bad = call(r#"["good-bucket", "Bad_Bucket"]"#);
    assert!(bad.contains("bucket_names"), "{bad}");
    assert!(bad.contains("Bad_Bucket"), "{bad}");
    assert!(bad.contains("3-63"), "{bad}");
    let empty = call("[]");
    assert!(empty.contains("bucket_names"), "{empty}");
    assert!(empty.contains("at least one"), "{empty}");
}

/// Runs `make <target>` in the repository with extra environment.
fn make(target: &str, env: &[(&str, &Path)]) {
    let mut command = Command::new("make");
    command.arg("-C").arg(repo()).arg(target);
    for (key, value) in env {
        command.env(key, value);
    }
    let out = command.output().expect("run make");
    assert!(
        out.status.success(),
        "make {target} failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Terraform's OS_ARCH for this machine, as `terraform version -json` reports it.
fn terraform_platform() -> String {
    let tf = TfDir::new("");
    let out = tf.run(&["version", "-json"]);
    out.assert_success();
    let version: Value = serde_json::from_str(&out.stdout).expect("terraform version -json");
    version["platform"].as_str().expect("platform").to_string()
}

#[test]
fn make_install_gives_an_offline_terraform_init_without_dev_overrides() {
    let home = tempfile::tempdir().expect("temporary HOME");
    make("install", &[("HOME", home.path())]);
    let installed = home
        .path()
        .join(".terraform.d/plugins/registry.terraform.io/alicr/alicr")
        .join(VERSION)
        .join(terraform_platform())
        .join(format!("terraform-provider-alicr_v{VERSION}"));
    assert!(installed.is_file(), "{} not installed", installed.display());

    let emulator = Emulator::start();
    let tf = TfDir::new(&format!(
        "{}\nresource \"alicr_custom_oss_role\" \"this\" {{\n  bucket_names = [\"images\"]\n}}\n",
        provider_block(&emulator.endpoint())
    ))
    .without_dev_overrides();
    let home_env = [("HOME", home.path().to_str().expect("utf-8 HOME"))];
    let init = tf.run_with_env(&["init", "-input=false", "-no-color"], &home_env);
    init.assert_success();
    assert!(
        init.all().contains(&format!(
            "Installed alicr/alicr v{VERSION} (unauthenticated)"
        )),
        "{}",
        init.all()
    );
    let lock = std::fs::read_to_string(tf.path().join(".terraform.lock.hcl")).expect("lock file");
    assert!(
        lock.contains("registry.terraform.io/alicr/alicr") && lock.contains(VERSION),
        "{lock}"
    );
    let plan = tf.run_with_env(&["plan", "-input=false", "-no-color"], &home_env);
    plan.assert_success();
    assert!(
        plan.stdout
            .contains("Plan: 1 to add, 0 to change, 0 to destroy"),
        "{}",
        plan.all()
    );
    assert!(
        !plan.all().contains("Provider development overrides"),
        "{}",
        plan.all()
    );
}

/// Names and unix modes of a zip's entries; extracts it into `into`.
fn unzip(zip: &Path, into: &Path) -> Vec<(String, u32)> {
    let out = Command::new("python3")
        .arg("-c")
        .arg(
            "import sys, zipfile\n\
             z = zipfile.ZipFile(sys.argv[1])\n\
             for i in z.infolist(): print(i.filename, i.external_attr >> 16)\n\
             z.extractall(sys.argv[2])\n",
        )
        .arg(zip)
        .arg(into)
        .output()
        .expect("run python3");
    assert!(
        out.status.success(),
        "cannot read {}: {}",
        zip.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|line| {
            let (name, mode) = line.rsplit_once(' ')?;
            Some((name.to_string(), mode.parse().ok()?))
        })
        .collect()
}

fn sha256_hex(path: &Path) -> String {
    hex::encode(Sha256::digest(std::fs::read(path).expect("read file")))
}

#[test]
fn make_release_zip_manifest_and_sums_agree() {
    let dist = tempfile::tempdir().expect("temporary dist");
    // The host's platform only: the cross builds are `make dist-check`'s, which CI runs too.
    make(
        "release",
        &[
            ("DIST_DIR", dist.path()),
            ("RELEASE_PLATFORMS", Path::new("host")),
        ],
    );
    let prefix = format!("terraform-provider-alicr_{VERSION}");
    let mut names: Vec<String> = std::fs::read_dir(dist.path())
        .expect("read dist")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let zips: Vec<&String> = names.iter().filter(|n| n.ends_with(".zip")).collect();
    let host_zip = format!("{prefix}_{}.zip", terraform_platform());
    assert!(zips.contains(&&host_zip), "{names:?}");
    let manifest = format!("{prefix}_manifest.json");
    let sums = format!("{prefix}_SHA256SUMS");
    assert_eq!(names.len(), zips.len() + 2, "{names:?}");
    assert!(
        names.contains(&manifest) && names.contains(&sums),
        "{names:?}"
    );

    // The manifest is the repository's registry manifest: protocol 6.
    let manifest_text = std::fs::read_to_string(dist.path().join(&manifest)).expect("manifest");
    assert_eq!(manifest_text, read("terraform-registry-manifest.json"));
    let parsed: Value = serde_json::from_str(&manifest_text).expect("manifest JSON");
    assert_eq!(
        parsed,
        serde_json::json!({"version": 1, "metadata": {"protocol_versions": ["6.0"]}})
    );

    // SHA256SUMS lists every zip and the manifest, with their real digests.
    let sums_text = std::fs::read_to_string(dist.path().join(&sums)).expect("sums");
    let mut listed = Vec::new();
    for line in sums_text.lines() {
        let (digest, name) = line.split_once("  ").expect("`digest  name` lines");
        assert_eq!(digest, sha256_hex(&dist.path().join(name)), "{name}");
        listed.push(name.to_string());
    }
    listed.sort();
    let mut expected: Vec<String> = zips.iter().map(|z| z.to_string()).collect();
    expected.push(manifest.clone());
    expected.sort();
    assert_eq!(listed, expected);

    // Each zip holds exactly the executable, named as Terraform expects.
    let unpacked = tempfile::tempdir().expect("temporary directory");
    let entries = unzip(&dist.path().join(&host_zip), unpacked.path());
    let binary = format!("terraform-provider-alicr_v{VERSION}");
    assert_eq!(entries.len(), 1, "{entries:?}");
    assert_eq!(entries[0].0, binary);
    assert_eq!(entries[0].1 & 0o777, 0o755, "{entries:?}");
    let version = Command::new("sh")
        .arg("-c")
        .arg("chmod +x \"$1\" && \"$1\" --version")
        .arg("sh")
        .arg(unpacked.path().join(&binary))
        .output()
        .expect("run the released binary");
    assert!(
        String::from_utf8_lossy(&version.stdout).contains(VERSION),
        "{}",
        String::from_utf8_lossy(&version.stderr)
    );

    // Terraform installs the zip as it is, from a filesystem mirror in the packed layout.
    let mirror = tempfile::tempdir().expect("temporary mirror");
    let packed = mirror.path().join("registry.terraform.io/alicr/alicr");
    std::fs::create_dir_all(&packed).expect("mirror directory");
    std::fs::copy(dist.path().join(&host_zip), packed.join(&host_zip)).expect("copy zip");
    let cli_config = mirror.path().join("terraformrc");
    std::fs::write(
        &cli_config,
        format!(
            "provider_installation {{\n  filesystem_mirror {{\n    path = \"{}\"\n  }}\n}}\n",
            mirror.path().display()
        ),
    )
    .expect("CLI config");
    let tf = TfDir::new(&provider_block(UNUSED_ENDPOINT)).without_dev_overrides();
    let config_path = cli_config.to_str().expect("utf-8 path");
    let init = tf.run_with_env(
        &["init", "-input=false", "-no-color"],
        &[("TF_CLI_CONFIG_FILE", config_path)],
    );
    init.assert_success();
    assert!(
        init.all()
            .contains(&format!("Installed alicr/alicr v{VERSION}")),
        "{}",
        init.all()
    );
    let providers = tf.run_with_env(
        &["providers", "schema", "-json"],
        &[("TF_CLI_CONFIG_FILE", config_path)],
    );
    providers.assert_success();
    assert!(
        providers.stdout.contains("custom_oss_role_policy"),
        "{}",
        providers.all()
    );
}
