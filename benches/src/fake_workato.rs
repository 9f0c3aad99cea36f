//! A small fake of Workato's folder API, enough for the Workato provider's `workato_folder`
//! (terraform-plugin-framework), served over HTTPS on 127.0.0.1 with a certificate from a
//! throwaway CA, so the framework provider does real TLS as it would against Workato.
//!
//! It answers what the provider 0.16.0 was seen to send (recorded while building this harness):
//! - `GET /api/folders?page=P&per_page=K[&parent_id=ID]&with_nested_folders=BOOL`: a JSON
//!   array, one page, sorted by id (`parent_id` given: its children, or all its descendants
//!   when nested; absent: the home folder's children, or every folder when nested);
//! - `POST /api/folders` with `{"name": …, "parent_id": "ID"}` (the id as a string or number):
//!   the new folder;
//! - `DELETE /api/folders/ID[?force=true]`: `{"success": true}`, 404 if there is no such folder.
//!
//! Every request must carry `Authorization: Bearer TOKEN`; anything else is answered 400, 401 or
//! 404 and counted as rejected. `/_fake/…` (no token) is the harness's admin API: the folders
//! held, the calls by route, and a reset.
//!
//! The harness runs it as a child process (`alicr-bench --serve-workato-fake DIR`), so its CPU
//! time can be read from `/proc` beside the RAM emulator's.

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::io::{BufRead as _, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::{Arc, Mutex};

use anyhow::{anyhow, bail, Context as _};
use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use hyper::body::Incoming;
use hyper::{Method, Request, Response, StatusCode};
use serde_json::{json, Value};

/// The API token the fake accepts and the benchmark's configurations use (loopback only).
pub const API_TOKEN: &str = "bench-workato-token";

/// The home folder every benchmark folder is created in (Workato's root of a workspace).
pub const HOME_FOLDER_ID: i64 = 1;

/// Ids of created folders start here, well apart from the home folder's.
const FIRST_ID: i64 = 1001;

/// The largest page the fake serves (Workato's limit).
const MAX_PER_PAGE: usize = 100;

/// What the fake prints first: `workato-fake listening on https://127.0.0.1:PORT`.
const LISTENING_PREFIX: &str = "workato-fake listening on ";

/// The CA certificate's file in the fake's directory (for `SSL_CERT_FILE`).
pub const CA_FILE: &str = "workato-fake-ca.pem";

/// One folder as the API shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Folder {
    pub id: i64,
    pub name: String,
    pub parent_id: i64,
}

impl Folder {
    fn to_json(&self, timestamp: &str) -> Value {
        json!({
            "id": self.id,
            "name": self.name,
            "parent_id": self.parent_id,
            "is_project": false,
            "project_id": null,
            "created_at": timestamp,
            "updated_at": timestamp,
        })
    }
}

/// The account's folders and the calls made, behind the server.
#[derive(Debug)]
pub struct State {
    folders: BTreeMap<i64, Folder>,
    next_id: i64,
    /// Calls by route (`GET /api/folders`, `POST /api/folders`, `DELETE /api/folders/ID`,
    /// `rejected`).
    calls: BTreeMap<String, u64>,
    /// One fixed timestamp for every folder, so answers cost the same every time.
    timestamp: String,
}

impl Default for State {
    fn default() -> Self {
        State {
            folders: BTreeMap::new(),
            next_id: FIRST_ID,
            calls: BTreeMap::new(),
            timestamp: "2026-01-01T00:00:00Z".to_string(),
        }
    }
}

/// An answer: status and JSON body.
#[derive(Debug, PartialEq)]
pub struct Answer {
    pub status: u16,
    pub body: Value,
}

fn answer(status: u16, body: Value) -> Answer {
    Answer { status, body }
}

fn error(status: u16, message: &str) -> Answer {
    answer(status, json!({ "message": message }))
}

/// `a=1&b=two` → pairs (percent-decoding is not needed for what the provider sends: numbers
/// and booleans).
fn query_pairs(query: &str) -> BTreeMap<&str, &str> {
    query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| pair.split_once('=').unwrap_or((pair, "")))
        .collect()
}

/// An id given as a JSON number or a string of digits (the provider sends `"1"`).
fn id_value(value: &Value) -> Option<i64> {
    match value {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

impl State {
    /// Handles one request to the folder API (not the admin API) and counts it.
    pub fn handle(
        &mut self,
        method: &Method,
        path: &str,
        query: &str,
        authorization: Option<&str>,
        body: &[u8],
    ) -> Answer {
        let route = self.route(method, path, query, authorization, body);
        let name = match (&route, method, path) {
            (Ok(_), &Method::GET, _) => "GET /api/folders",
            (Ok(_), &Method::POST, _) => "POST /api/folders",
            (Ok(_), &Method::DELETE, _) => "DELETE /api/folders/ID",
            _ => "rejected",
        };
        *self.calls.entry(name.to_string()).or_default() += 1;
        route.unwrap_or_else(|rejected| rejected)
    }

    fn route(
        &mut self,
        method: &Method,
        path: &str,
        query: &str,
        authorization: Option<&str>,
        body: &[u8],
    ) -> Result<Answer, Answer> {
        if authorization != Some(&format!("Bearer {API_TOKEN}")) {
            return Err(error(401, "Unauthorized"));
        }
        let params = query_pairs(query);
        match (method, path) {
            (&Method::GET, "/api/folders") => self.list(&params),
            (&Method::POST, "/api/folders") => self.create(body),
            (&Method::DELETE, _) => {
                let id = path
                    .strip_prefix("/api/folders/")
                    .and_then(|id| id.parse::<i64>().ok())
                    .ok_or_else(|| error(404, "Not found"))?;
                match self.folders.remove(&id) {
                    Some(_) => Ok(answer(200, json!({ "success": true }))),
                    None => Err(error(404, "Folder not found")),
                }
            }
            _ => Err(error(404, "Not found")),
        }
    }

    fn list(&self, params: &BTreeMap<&str, &str>) -> Result<Answer, Answer> {
        let number = |name: &str, default: usize| -> Result<usize, Answer> {
            match params.get(name) {
                None => Ok(default),
                Some(text) => text
                    .parse::<usize>()
                    .ok()
                    .filter(|n| *n >= 1)
                    .ok_or_else(|| error(400, &format!("invalid {name}"))),
            }
        };
        let page = number("page", 1)?;
        let per_page = number("per_page", MAX_PER_PAGE)?.min(MAX_PER_PAGE);
        let nested = match params.get("with_nested_folders").copied() {
            None | Some("false") => false,
            Some("true") => true,
            Some(_) => return Err(error(400, "invalid with_nested_folders")),
        };
        let parent = match params.get("parent_id") {
            None => None,
            Some(text) => Some(
                text.parse::<i64>()
                    .map_err(|_| error(400, "invalid parent_id"))?,
            ),
        };
        let selected: Vec<&Folder> = self
            .folders
            .values()
            .filter(|folder| match (parent, nested) {
                (None, true) => true,
                (None, false) => folder.parent_id == HOME_FOLDER_ID,
                (Some(parent), false) => folder.parent_id == parent,
                (Some(parent), true) => self.descends_from(folder, parent),
            })
            .collect();
        let items: Vec<Value> = selected
            .into_iter()
            .skip((page - 1).saturating_mul(per_page))
            .take(per_page)
            .map(|folder| folder.to_json(&self.timestamp))
            .collect();
        Ok(answer(200, Value::Array(items)))
    }

    fn descends_from(&self, folder: &Folder, ancestor: i64) -> bool {
        let mut parent = folder.parent_id;
        // Bounded by the number of folders, so a cycle (impossible here) cannot hang it.
        for _ in 0..=self.folders.len() {
            if parent == ancestor {
                return true;
            }
            match self.folders.get(&parent) {
                Some(next) => parent = next.parent_id,
                None => return false,
            }
        }
        false
    }

    fn create(&mut self, body: &[u8]) -> Result<Answer, Answer> {
        let request: Value =
            serde_json::from_slice(body).map_err(|_| error(400, "body is not JSON"))?;
        let name = request["name"]
            .as_str()
            .filter(|name| !name.trim().is_empty())
            .ok_or_else(|| error(400, "name is required"))?;
        let parent_id =
            id_value(&request["parent_id"]).ok_or_else(|| error(400, "parent_id is required"))?;
        if parent_id != HOME_FOLDER_ID && !self.folders.contains_key(&parent_id) {
            return Err(error(404, "Parent folder not found"));
        }
        let folder = Folder {
            id: self.next_id,
            name: name.to_string(),
            parent_id,
        };
        self.next_id += 1;
        let shown = folder.to_json(&self.timestamp);
        self.folders.insert(folder.id, folder);
        Ok(answer(200, shown))
    }

    /// The admin API: `GET /_fake/folders`, `GET /_fake/calls`, `POST /_fake/reset`.
    fn admin(&mut self, method: &Method, path: &str) -> Answer {
        match (method, path) {
            (&Method::GET, "/_fake/folders") => {
                let folders: Vec<Value> = self
                    .folders
                    .values()
                    .map(|f| json!({ "id": f.id, "name": f.name, "parent_id": f.parent_id }))
                    .collect();
                answer(200, json!({ "folders": folders }))
            }
            (&Method::GET, "/_fake/calls") => answer(200, json!({ "by_call": self.calls })),
            (&Method::POST, "/_fake/reset") => {
                *self = State::default();
                answer(200, json!({ "reset": true }))
            }
            _ => error(404, "Not found"),
        }
    }
}

/// A self-signed CA and a server certificate it issued for 127.0.0.1 and `localhost`:
/// (CA certificate PEM, server certificate DER, server key DER).
fn certificates() -> anyhow::Result<(String, Vec<u8>, Vec<u8>)> {
    use rcgen::{
        BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose,
        IsCa, KeyPair, KeyUsagePurpose,
    };
    let ca_key = KeyPair::generate().context("generating the CA key")?;
    let mut ca_params = CertificateParams::new(Vec::new()).context("CA parameters")?;
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "alicr-bench workato fake CA");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let ca = CertifiedIssuer::self_signed(ca_params, ca_key).context("self-signing the CA")?;
    let key = KeyPair::generate().context("generating the server key")?;
    let mut params = CertificateParams::new(vec!["127.0.0.1".to_string(), "localhost".into()])
        .context("server certificate parameters")?;
    params
        .distinguished_name
        .push(DnType::CommonName, "127.0.0.1");
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    let cert = params
        .signed_by(&key, &ca)
        .context("issuing the server certificate")?;
    Ok((ca.pem(), cert.der().to_vec(), key.serialize_der()))
}

/// A bound, configured server, not yet serving.
pub struct Server {
    listener: std::net::TcpListener,
    acceptor: tokio_rustls::TlsAcceptor,
    state: Arc<Mutex<State>>,
    /// The CA certificate, PEM.
    pub ca_pem: String,
}

impl Server {
    /// Binds 127.0.0.1 on an OS-chosen port and makes the certificates.
    pub fn bind() -> anyhow::Result<Server> {
        let (ca_pem, cert_der, key_der) = certificates()?;
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .context("TLS versions")?
            .with_no_client_auth()
            .with_single_cert(
                vec![rustls_pki_types::CertificateDer::from(cert_der)],
                rustls_pki_types::PrivateKeyDer::Pkcs8(key_der.into()),
            )
            .context("the server certificate")?;
        let listener = std::net::TcpListener::bind("127.0.0.1:0").context("binding 127.0.0.1:0")?;
        listener
            .set_nonblocking(true)
            .context("making the listener non-blocking")?;
        Ok(Server {
            listener,
            acceptor: tokio_rustls::TlsAcceptor::from(Arc::new(config)),
            state: Arc::new(Mutex::new(State::default())),
            ca_pem,
        })
    }

    pub fn addr(&self) -> anyhow::Result<SocketAddr> {
        self.listener.local_addr().context("the listener's address")
    }

    /// Serves until the process ends, on one thread.
    pub fn serve(self) -> anyhow::Result<()> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .context("building the fake's runtime")?;
        runtime.block_on(self.serve_async())
    }

    async fn serve_async(self) -> anyhow::Result<()> {
        let listener = tokio::net::TcpListener::from_std(self.listener)
            .context("handing the listener to tokio")?;
        loop {
            let (stream, _) = match listener.accept().await {
                Ok(accepted) => accepted,
                Err(_) => {
                    // Out of descriptors or a reset before accept: try again shortly.
                    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
                    continue;
                }
            };
            let _ = stream.set_nodelay(true);
            let acceptor = self.acceptor.clone();
            let state = Arc::clone(&self.state);
            tokio::spawn(async move {
                let Ok(tls) = acceptor.accept(stream).await else {
                    return;
                };
                let service = hyper::service::service_fn(move |request| {
                    let state = Arc::clone(&state);
                    async move { Ok::<_, Infallible>(respond(&state, request).await) }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(hyper_util::rt::TokioIo::new(tls), service)
                    .await;
            });
        }
    }
}

async fn respond(state: &Mutex<State>, request: Request<Incoming>) -> Response<Full<Bytes>> {
    let (parts, body) = request.into_parts();
    let body = match body.collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(_) => Bytes::new(),
    };
    let path = parts.uri.path();
    let query = parts.uri.query().unwrap_or("");
    let authorization = parts
        .headers
        .get(hyper::header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok());
    let answer = {
        let mut state = state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if path.starts_with("/_fake/") {
            state.admin(&parts.method, path)
        } else {
            state.handle(&parts.method, path, query, authorization, &body)
        }
    };
    let bytes = serde_json::to_vec(&answer.body).unwrap_or_default();
    let mut response = Response::new(Full::new(Bytes::from(bytes)));
    *response.status_mut() =
        StatusCode::from_u16(answer.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    response.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("application/json"),
    );
    response
}

/// The child process's side: bind, write the CA to `dir`, announce the address, serve until
/// stdin closes (the harness holds it open, so the fake never outlives it, even if it dies).
pub fn serve_in(dir: &Path) -> anyhow::Result<()> {
    std::thread::spawn(|| {
        use std::io::Read as _;
        let _ = std::io::stdin().read_to_end(&mut Vec::new());
        std::process::exit(0);
    });
    let server = Server::bind()?;
    let ca = dir.join(CA_FILE);
    std::fs::write(&ca, &server.ca_pem).with_context(|| format!("writing {}", ca.display()))?;
    println!("{LISTENING_PREFIX}https://{}", server.addr()?);
    use std::io::Write as _;
    std::io::stdout().flush().context("flushing stdout")?;
    server.serve()
}

/// The fake as a child process of the harness; killed and reaped when dropped.
pub struct FakeWorkato {
    child: Child,
    // Held open: the fake exits when it closes.
    _stdin: ChildStdin,
    _stdout: BufReader<ChildStdout>,
    base_url: String,
    /// The CA certificate file, for `SSL_CERT_FILE`.
    pub ca_file: PathBuf,
    admin: Admin,
}

impl FakeWorkato {
    /// Starts `harness --serve-workato-fake DIR` (this very program) and waits for its address.
    pub fn start(harness: &Path, dir: &Path, log_file: &Path) -> anyhow::Result<FakeWorkato> {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        let log = std::fs::File::create(log_file)
            .with_context(|| format!("creating {}", log_file.display()))?;
        let mut child = Command::new(harness)
            .arg("--serve-workato-fake")
            .arg(dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .with_context(|| format!("starting {} --serve-workato-fake", harness.display()))?;
        let stdin = child
            .stdin
            .take()
            .ok_or_else(|| anyhow!("the fake's stdin was not captured"))?;
        let stdout = child
            .stdout
            .take()
            .ok_or_else(|| anyhow!("the fake's stdout was not captured"))?;
        let mut stdout = BufReader::new(stdout);
        let mut first_line = String::new();
        let read = stdout.read_line(&mut first_line);
        let base_url = match (read, first_line.trim().strip_prefix(LISTENING_PREFIX)) {
            (Ok(_), Some(url)) => url.to_string(),
            _ => {
                // Only this child, which we started, by its handle.
                let _ = child.kill();
                let _ = child.wait();
                bail!(
                    "the Workato fake did not announce its address (first line {first_line:?}); \
                     see {}",
                    log_file.display()
                );
            }
        };
        let ca_file = dir.join(CA_FILE);
        let ca_pem =
            std::fs::read(&ca_file).with_context(|| format!("reading {}", ca_file.display()))?;
        let admin = Admin::new(&base_url, &ca_pem)?;
        Ok(FakeWorkato {
            child,
            _stdin: stdin,
            _stdout: stdout,
            base_url,
            ca_file,
            admin,
        })
    }

    /// `https://127.0.0.1:PORT`, the provider's `base_url`.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    pub fn admin(&self) -> &Admin {
        &self.admin
    }

    /// Its CPU time so far (user + system), in clock ticks.
    pub fn cpu_ticks(&self) -> u64 {
        crate::procstat::cpu_ticks(self.child.id()).unwrap_or(0)
    }
}

impl Drop for FakeWorkato {
    fn drop(&mut self) {
        // Only this child, which we started, by its handle.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The fake's admin API over HTTPS, trusting only the fake's CA.
pub struct Admin {
    runtime: tokio::runtime::Runtime,
    http: reqwest::Client,
    base: String,
}

impl Admin {
    pub fn new(base_url: &str, ca_pem: &[u8]) -> anyhow::Result<Admin> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .context("building the fake admin client's runtime")?;
        let ca = reqwest::Certificate::from_pem(ca_pem).context("the fake's CA certificate")?;
        let http = reqwest::Client::builder()
            .no_proxy()
            .tls_certs_only([ca])
            .build()
            .context("building the fake admin HTTP client")?;
        Ok(Admin {
            runtime,
            http,
            base: base_url.trim_end_matches('/').to_string(),
        })
    }

    /// Sends one request and returns status and JSON body (used by the tests for the API too).
    pub fn request(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> anyhow::Result<(u16, Value)> {
        let url = format!("{}{path}", self.base);
        self.runtime.block_on(async {
            let mut request = self.http.request(method, &url);
            if let Some(token) = token {
                request = request.bearer_auth(token);
            }
            if let Some(body) = body {
                request = request.json(&body);
            }
            let response = request
                .send()
                .await
                .with_context(|| format!("calling {url}"))?;
            let status = response.status().as_u16();
            let text = response
                .text()
                .await
                .with_context(|| format!("reading {url}"))?;
            let json = serde_json::from_str(&text)
                .with_context(|| format!("{url} answered non-JSON: {text}"))?;
            Ok((status, json))
        })
    }

    fn admin_call(&self, method: reqwest::Method, path: &str) -> anyhow::Result<Value> {
        let (status, body) = self.request(method, path, None, None)?;
        if status != 200 {
            bail!("{path} answered {status}: {body}");
        }
        Ok(body)
    }

    /// The folders the fake holds, by id.
    pub fn folders(&self) -> anyhow::Result<Vec<Folder>> {
        let answer = self.admin_call(reqwest::Method::GET, "/_fake/folders")?;
        answer["folders"]
            .as_array()
            .ok_or_else(|| anyhow!("/_fake/folders has no folders: {answer}"))?
            .iter()
            .map(|f| {
                Ok(Folder {
                    id: f["id"].as_i64().ok_or_else(|| anyhow!("folder id: {f}"))?,
                    name: f["name"]
                        .as_str()
                        .ok_or_else(|| anyhow!("folder name: {f}"))?
                        .to_string(),
                    parent_id: f["parent_id"]
                        .as_i64()
                        .ok_or_else(|| anyhow!("folder parent_id: {f}"))?,
                })
            })
            .collect()
    }

    /// Calls by route since the last reset.
    pub fn calls(&self) -> anyhow::Result<crate::emulator::CallCounts> {
        let answer = self.admin_call(reqwest::Method::GET, "/_fake/calls")?;
        let by_call = answer["by_call"]
            .as_object()
            .ok_or_else(|| anyhow!("/_fake/calls has no by_call: {answer}"))?;
        Ok(crate::emulator::CallCounts(
            by_call
                .iter()
                .map(|(call, count)| (call.clone(), count.as_u64().unwrap_or(0)))
                .collect(),
        ))
    }

    pub fn reset(&self) -> anyhow::Result<()> {
        self.admin_call(reqwest::Method::POST, "/_fake/reset")
            .map(drop)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const AUTH: Option<&str> = Some("Bearer bench-workato-token");

    fn post(state: &mut State, name: &str, parent: Value) -> Answer {
        let body = serde_json::to_vec(&json!({ "name": name, "parent_id": parent })).unwrap();
        state.handle(&Method::POST, "/api/folders", "", AUTH, &body)
    }

    fn list(state: &mut State, query: &str) -> Vec<String> {
        let answer = state.handle(&Method::GET, "/api/folders", query, AUTH, b"");
        assert_eq!(answer.status, 200, "{:?}", answer.body);
        answer
            .body
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["name"].as_str().unwrap().to_string())
            .collect()
    }

    #[test]
    fn creates_lists_pages_and_deletes_folders_as_the_provider_calls_them() {
        let mut state = State::default();
        // The provider sends the parent id as a string.
        let created = post(&mut state, "a", json!("1"));
        assert_eq!(created.status, 200);
        assert_eq!(created.body["id"], json!(FIRST_ID));
        assert_eq!(created.body["parent_id"], json!(1));
        assert_eq!(created.body["is_project"], json!(false));
        assert!(created.body["created_at"].as_str().unwrap().ends_with('Z'));
        post(&mut state, "b", json!(1));
        let child = post(&mut state, "c", json!(FIRST_ID));
        assert_eq!(child.status, 200);

        let q = "page=1&parent_id=1&per_page=100&with_nested_folders=false";
        assert_eq!(list(&mut state, q), ["a", "b"]);
        let nested = "page=1&per_page=100&with_nested_folders=true";
        assert_eq!(list(&mut state, nested), ["a", "b", "c"]);
        let under = "page=1&parent_id=1&per_page=100&with_nested_folders=true";
        assert_eq!(list(&mut state, under), ["a", "b", "c"]);
        assert_eq!(
            list(&mut state, "page=2&per_page=2&with_nested_folders=true"),
            ["c"]
        );
        assert!(list(&mut state, "page=3&per_page=2&with_nested_folders=true").is_empty());

        let path = format!("/api/folders/{FIRST_ID}");
        let deleted = state.handle(&Method::DELETE, &path, "", AUTH, b"");
        assert_eq!(deleted, answer(200, json!({ "success": true })));
        let again = state.handle(&Method::DELETE, &path, "", AUTH, b"");
        assert_eq!(again.status, 404);

        let calls = &state.calls;
        assert_eq!(calls["POST /api/folders"], 3);
        assert_eq!(calls["GET /api/folders"], 5);
        assert_eq!(calls["DELETE /api/folders/ID"], 1);
        assert_eq!(calls["rejected"], 1);
    }

    #[test]
    fn rejects_what_the_provider_must_not_send() {
        let mut state = State::default();
        let get = |state: &mut State, query: &str, auth: Option<&str>| {
            state
                .handle(&Method::GET, "/api/folders", query, auth, b"")
                .status
        };
        assert_eq!(get(&mut state, "page=1", None), 401);
        assert_eq!(get(&mut state, "page=1", Some("Bearer wrong")), 401);
        assert_eq!(get(&mut state, "page=0", AUTH), 400);
        assert_eq!(get(&mut state, "parent_id=x", AUTH), 400);
        assert_eq!(get(&mut state, "with_nested_folders=yes", AUTH), 400);
        assert_eq!(post(&mut state, "", json!("1")).status, 400);
        assert_eq!(post(&mut state, "a", Value::Null).status, 400);
        assert_eq!(post(&mut state, "a", json!(99)).status, 404);
        let bad_json = state.handle(&Method::POST, "/api/folders", "", AUTH, b"{");
        assert_eq!(bad_json.status, 400);
        let other = state.handle(&Method::GET, "/api/recipes", "", AUTH, b"");
        assert_eq!(other.status, 404);
        assert_eq!(state.calls["rejected"], 10);
        assert!(state.folders.is_empty());
    }

    #[test]
    fn serves_over_https_with_its_own_ca() {
        let server = Server::bind().unwrap();
        let base = format!("https://{}", server.addr().unwrap());
        let ca = server.ca_pem.clone();
        std::thread::spawn(move || server.serve());
        let client = Admin::new(&base, ca.as_bytes()).unwrap();
        let (status, body) = client
            .request(
                reqwest::Method::POST,
                "/api/folders",
                Some(API_TOKEN),
                Some(json!({ "name": "over-tls", "parent_id": "1" })),
            )
            .unwrap();
        assert_eq!(status, 200, "{body}");
        let (status, _) = client
            .request(reqwest::Method::GET, "/api/folders", Some("nope"), None)
            .unwrap();
        assert_eq!(status, 401);
        let folders = client.folders().unwrap();
        assert_eq!(
            folders,
            [Folder {
                id: FIRST_ID,
                name: "over-tls".into(),
                parent_id: HOME_FOLDER_ID
            }]
        );
        let calls = client.calls().unwrap();
        assert_eq!(calls.0["POST /api/folders"], 1);
        assert_eq!(calls.0["rejected"], 1);
        client.reset().unwrap();
        assert!(client.folders().unwrap().is_empty());
        assert_eq!(client.calls().unwrap().total(), 0);
    }
}
