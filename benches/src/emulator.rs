//! The RAM emulator as the benchmark runs it: the built `alicr-emulator` binary as a child process
//! on a loopback port, and a client for its unsigned admin API (call counters, reset, latency).

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead as _, BufReader};
use std::path::Path;
use std::process::{Child, ChildStdout, Command, Stdio};

use anyhow::{anyhow, bail, Context as _};
use serde_json::{json, Value};

/// The access key the benchmark's emulator accepts and its Terraform configurations use. A fake,
/// loopback-only credential: it exists nowhere but in this emulator.
pub const ACCESS_KEY_ID: &str = "BENCHACCESSKEYID";
pub const ACCESS_KEY_SECRET: &str = "bench-emulator-secret";

/// What the emulator prints first: `alicr-emulator listening on http://HOST:PORT`.
const LISTENING_PREFIX: &str = "alicr-emulator listening on ";

/// A running emulator process; killed and reaped when dropped.
pub struct Emulator {
    child: Child,
    // Kept open so the emulator never writes to a closed pipe.
    _stdout: BufReader<ChildStdout>,
    endpoint: String,
    admin: Admin,
}

impl Emulator {
    /// Starts `binary` on 127.0.0.1 with an OS-chosen port; its log goes to `log_file`.
    pub fn start(binary: &Path, log_file: &Path) -> anyhow::Result<Emulator> {
        let log = std::fs::File::create(log_file)
            .with_context(|| format!("creating {}", log_file.display()))?;
        let mut child = Command::new(binary)
            .args(["--listen", "127.0.0.1:0", "--credential"])
            .arg(format!("{ACCESS_KEY_ID}:{ACCESS_KEY_SECRET}"))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .with_context(|| format!("starting {}", binary.display()))?;
        let stdout = child
            .stdout
            .take()
            .ok_or_else(|| anyhow!("the emulator's stdout was not captured"))?;
        let mut stdout = BufReader::new(stdout);
        let mut first_line = String::new();
        let read = stdout.read_line(&mut first_line);
        let endpoint = match (read, first_line.trim().strip_prefix(LISTENING_PREFIX)) {
            (Ok(_), Some(endpoint)) => endpoint.to_string(),
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                bail!(
                    "the emulator did not announce its address (first line {first_line:?}); see {}",
                    log_file.display()
                );
            }
        };
        let admin = Admin::new(&endpoint)?;
        Ok(Emulator {
            child,
            _stdout: stdout,
            endpoint,
            admin,
        })
    }

    /// `http://127.0.0.1:PORT`, for the provider's `endpoints { ram, sts }`.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    pub fn admin(&self) -> &Admin {
        &self.admin
    }

    /// Its CPU time so far (user + system), in clock ticks.
    pub fn cpu_ticks(&self) -> u64 {
        crate::procstat::cpu_ticks(self.child.id()).unwrap_or(0)
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        // Only this child, which we started, by its handle.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// RAM calls by action, as counted by the emulator.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CallCounts(pub BTreeMap<String, u64>);

impl CallCounts {
    /// The calls made between `before` and `self`.
    pub fn since(&self, before: &CallCounts) -> CallCounts {
        CallCounts(
            self.0
                .iter()
                .filter_map(|(action, now)| {
                    let was = before.0.get(action).copied().unwrap_or(0);
                    (*now > was).then(|| (action.clone(), now - was))
                })
                .collect(),
        )
    }

    pub fn total(&self) -> u64 {
        self.0.values().sum()
    }

    /// `3 (AttachPolicyToRole 1, CreatePolicy 1, CreateRole 1)`, or `0`.
    pub fn describe(&self) -> String {
        if self.0.is_empty() {
            return "0".to_string();
        }
        let parts: Vec<String> = self
            .0
            .iter()
            .map(|(action, count)| format!("{action} {count}"))
            .collect();
        format!("{} ({})", self.total(), parts.join(", "))
    }
}

/// The emulator's admin API (`/_emulator/…`), called on a small private runtime so the rest of
/// the harness stays synchronous.
pub struct Admin {
    runtime: tokio::runtime::Runtime,
    http: reqwest::Client,
    base: String,
}

impl Admin {
    fn new(endpoint: &str) -> anyhow::Result<Admin> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .context("building the admin client's runtime")?;
        let http = reqwest::Client::builder()
            .no_proxy()
            .build()
            .context("building the admin HTTP client")?;
        Ok(Admin {
            runtime,
            http,
            base: endpoint.trim_end_matches('/').to_string(),
        })
    }

    fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> anyhow::Result<Value> {
        let url = format!("{}{path}", self.base);
        self.runtime.block_on(async {
            let mut request = self.http.request(method, &url);
            if let Some(body) = body {
                request = request.json(&body);
            }
            let response = request
                .send()
                .await
                .with_context(|| format!("calling {url}"))?;
            let status = response.status();
            let text = response
                .text()
                .await
                .with_context(|| format!("reading {url}"))?;
            if !status.is_success() {
                bail!("{url} answered {status}: {text}");
            }
            serde_json::from_str(&text).with_context(|| format!("{url} answered non-JSON: {text}"))
        })
    }

    /// `GET /_emulator/calls` → counts by action.
    pub fn calls(&self) -> anyhow::Result<CallCounts> {
        let answer = self.call(reqwest::Method::GET, "/_emulator/calls", None)?;
        let by_action = answer["by_action"]
            .as_object()
            .ok_or_else(|| anyhow!("/_emulator/calls has no by_action: {answer}"))?;
        Ok(CallCounts(
            by_action
                .iter()
                .map(|(action, count)| (action.clone(), count.as_u64().unwrap_or(0)))
                .collect(),
        ))
    }

    /// `POST /_emulator/reset`: empty account, zeroed counters.
    pub fn reset(&self) -> anyhow::Result<()> {
        self.call(reqwest::Method::POST, "/_emulator/reset", None)
            .map(drop)
    }

    /// `POST /_emulator/faults` with only a latency (no throttling, no scripted failures).
    pub fn set_latency(&self, latency_ms: u64) -> anyhow::Result<()> {
        self.call(
            reqwest::Method::POST,
            "/_emulator/faults",
            Some(json!({ "latency_ms": latency_ms, "throttle_rate": 0.0, "fail": [] })),
        )
        .map(drop)
    }

    /// How many roles, policies and attachments the account holds (all zero after a destroy).
    pub fn entity_count(&self) -> anyhow::Result<usize> {
        let state = self.call(reqwest::Method::GET, "/_emulator/state", None)?;
        Ok(["roles", "policies", "attachments"]
            .iter()
            .map(|key| state[key].as_array().map_or(0, Vec::len))
            .sum())
    }
}

/// What the emulated account holds, by name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AccountView {
    pub roles: BTreeSet<String>,
    pub policies: BTreeSet<String>,
    /// (role, policy) pairs.
    pub attachments: BTreeSet<(String, String)>,
}

impl AccountView {
    /// Reads `GET /_emulator/state`'s answer.
    pub fn parse(state: &Value) -> AccountView {
        let names = |key: &str, field: &str| -> BTreeSet<String> {
            state[key]
                .as_array()
                .map(|items| {
                    items
                        .iter()
                        .filter_map(|item| item[field].as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default()
        };
        AccountView {
            roles: names("roles", "RoleName"),
            policies: names("policies", "PolicyName"),
            attachments: state["attachments"]
                .as_array()
                .map(|items| {
                    items
                        .iter()
                        .filter_map(|a| {
                            Some((
                                a["RoleName"].as_str()?.to_string(),
                                a["PolicyName"].as_str()?.to_string(),
                            ))
                        })
                        .collect()
                })
                .unwrap_or_default(),
        }
    }
}

impl Admin {
    /// The account's roles, policies and attachments by name.
    pub fn account(&self) -> anyhow::Result<AccountView> {
        let state = self.call(reqwest::Method::GET, "/_emulator/state", None)?;
        Ok(AccountView::parse(&state))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_account_by_name() {
        let state = json!({
            "roles": [{ "RoleName": "r1", "RoleId": "1" }],
            "policies": [{ "PolicyName": "p1", "Versions": [] }],
            "attachments": [{ "RoleName": "r1", "PolicyName": "p1", "PolicyType": "Custom" }],
        });
        let view = AccountView::parse(&state);
        assert_eq!(view.roles, BTreeSet::from(["r1".to_string()]));
        assert_eq!(view.policies, BTreeSet::from(["p1".to_string()]));
        assert_eq!(
            view.attachments,
            BTreeSet::from([("r1".to_string(), "p1".to_string())])
        );
        assert_eq!(AccountView::parse(&json!({})), AccountView::default());
    }

    fn counts(pairs: &[(&str, u64)]) -> CallCounts {
        CallCounts(pairs.iter().map(|(a, n)| (a.to_string(), *n)).collect())
    }

    #[test]
    fn call_deltas_keep_only_what_changed() {
        let before = counts(&[("GetRole", 2), ("CreateRole", 1)]);
        let after = counts(&[("GetRole", 5), ("CreateRole", 1), ("DeleteRole", 1)]);
        let delta = after.since(&before);
        assert_eq!(delta, counts(&[("DeleteRole", 1), ("GetRole", 3)]));
        assert_eq!(delta.total(), 4);
        assert_eq!(delta.describe(), "4 (DeleteRole 1, GetRole 3)");
        assert_eq!(CallCounts::default().describe(), "0");
    }
}
