//! The RPC pipeline for RAM and STS calls: count the call, apply injected faults, authenticate,
//! dispatch by `Version` and `Action`, and render the answer (JSON, or XML on request) with a
//! `RequestId`.

use serde_json::{json, Value};

use crate::auth;
use crate::clock;
use crate::error::ApiError;
use crate::faults::{Outcome, CONNECTION_RESET, CONNECTION_RESET_AFTER_COMMIT};
use crate::ids;
use crate::ram::{self, Ctx};
use crate::reply::{HttpReply, Reply, JSON, XML};
use crate::store::Store;
use crate::sts;
use crate::wire::{Format, Product, RpcRequest};
use crate::xml;

/// Name under which calls without an `Action` are counted.
const NO_ACTION: &str = "(none)";

/// Handles one RPC request end to end.
pub async fn handle(req: &RpcRequest, store: &Store) -> Reply {
    let request_id = ids::request_id();
    let product = req.version().as_deref().and_then(Product::from_version);
    let action = req.action();
    let counted = action.as_deref().unwrap_or(NO_ACTION);
    let decision = store.decide(counted);
    if !decision.delay.is_zero() {
        tokio::time::sleep(decision.delay).await;
    }
    let result = match &decision.outcome {
        Outcome::Reset => {
            store.record_error(CONNECTION_RESET);
            tracing::info!(action = counted, "injected connection reset");
            return Reply::Reset;
        }
        Outcome::Fail(code) => Err(ApiError::injected(code)),
        Outcome::Proceed | Outcome::ResetAfterCommit => {
            execute(req, action.as_deref(), product, store).await
        }
    };
    if decision.outcome == Outcome::ResetAfterCommit {
        store.record_error(CONNECTION_RESET_AFTER_COMMIT);
        tracing::info!(action = counted, "injected connection reset after commit");
        return Reply::Reset;
    }
    let target = Target {
        action: counted,
        product: product.unwrap_or(Product::Ram),
        format: req.format(),
        request_id: &request_id,
    };
    Reply::Http(match result {
        Ok(body) => {
            tracing::info!(action = counted, request_id = %request_id, status = 200, "call");
            target.success(body)
        }
        Err(error) => {
            store.record_error(&error.code);
            tracing::info!(action = counted, request_id = %request_id, status = error.status, code = %error.code, "call failed");
            target.failure(&error)
        }
    })
}

async fn execute(
    req: &RpcRequest,
    action: Option<&str>,
    product: Option<Product>,
    store: &Store,
) -> Result<Value, ApiError> {
    let action = action.ok_or_else(|| ApiError::missing_parameter("Action"))?;
    let product = match (req.version(), product) {
        (_, Some(p)) => p,
        (None, None) => return Err(ApiError::missing_parameter("Version")),
        (Some(v), None) => {
            return Err(ApiError::new(
                "InvalidVersion",
                format!("Specified parameter Version is not valid: {v}."),
            ))
        }
    };
    let known = match product {
        Product::Ram => ram::handles(action),
        Product::Sts => sts::handles(action),
    };
    if !known {
        return Err(ApiError::unknown_action(action));
    }
    let now = clock::now_unix();
    let caller = auth::verify(req, store, now)?;
    store.record_signature(auth::scheme_of(req).name());
    tracing::debug!(
        action,
        access_key_id = caller.access_key_id(),
        "authenticated"
    );
    let params = req.params();
    let ctx = Ctx {
        store,
        params: &params,
        now,
    };
    match product {
        Product::Ram => ram::dispatch(action, &ctx).await,
        Product::Sts => sts::dispatch(action, &ctx, &caller).await,
    }
}

/// Where and how an answer is rendered.
struct Target<'a> {
    action: &'a str,
    product: Product,
    format: Format,
    request_id: &'a str,
}

impl Target<'_> {
    fn success(&self, mut body: Value) -> HttpReply {
        if let Some(obj) = body.as_object_mut() {
            obj.insert("RequestId".to_string(), json!(self.request_id));
        }
        let root = format!("{}Response", self.action);
        self.render(200, &root, &body)
    }

    fn failure(&self, error: &ApiError) -> HttpReply {
        let product = match self.product {
            Product::Ram => "Ram",
            Product::Sts => "Sts",
        };
        let body = json!({
            "RequestId": self.request_id,
            "HostId": self.product.host_id(),
            "Code": error.code,
            "Message": error.message,
            "Recommend": format!(
                "https://api.aliyun.com/troubleshoot?q={}&product={product}&requestId={}",
                error.code, self.request_id
            ),
        });
        self.render(error.status, "Error", &body)
    }

    fn render(&self, status: u16, root: &str, body: &Value) -> HttpReply {
        match self.format {
            Format::Json => HttpReply {
                status,
                content_type: JSON,
                body: serde_json::to_vec(body).unwrap_or_default(),
            },
            Format::Xml => HttpReply {
                status,
                content_type: XML,
                body: xml::render(root, body).into_bytes(),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use rand::Rng;

    const ALPHABET: &[u8] = b"AaZz09=&%+._-~*/ \x00\xff\xc3\xa9";
    const NAMES: &[&str] = &[
        "Action",
        "Version",
        "Format",
        "AccessKeyId",
        "Signature",
        "SignatureMethod",
        "SignatureVersion",
        "SignatureNonce",
        "Timestamp",
        "SecurityToken",
        "RoleName",
        "PolicyName",
    ];

    fn noise(rng: &mut impl Rng, max: usize) -> Vec<u8> {
        let len = rng.random_range(0..max);
        (0..len)
            .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())])
            .collect()
    }

    fn random_request(rng: &mut impl Rng) -> RpcRequest {
        let mut query = String::new();
        for _ in 0..rng.random_range(0..12) {
            let name = NAMES[rng.random_range(0..NAMES.len())];
            let value = String::from_utf8_lossy(&noise(rng, 24)).into_owned();
            query.push_str(&format!("{name}={value}&"));
        }
        if rng.random_bool(0.5) {
            query.push_str("Version=2015-05-01&Action=CreateRole&");
        }
        let mut headers = hyper::HeaderMap::new();
        headers.insert(
            hyper::header::CONTENT_TYPE,
            hyper::header::HeaderValue::from_static("application/x-www-form-urlencoded"),
        );
        if rng.random_bool(0.3) {
            let auth = format!(
                "ACS3-HMAC-SHA256 {}",
                String::from_utf8_lossy(&noise(rng, 40)).replace(['\r', '\n', '\0'], "")
            );
            if let Ok(v) = hyper::header::HeaderValue::from_str(&auth) {
                headers.insert(hyper::header::AUTHORIZATION, v);
            }
        }
        RpcRequest::new("POST", "/", Some(&query), headers, noise(rng, 64))
    }

    /// Random garbage never panics and never gets past authentication.
    #[tokio::test]
    async fn random_requests_are_refused_without_panicking() {
        let store = Store::open(&Config::default()).expect("store");
        let mut rng = rand::rng();
        for _ in 0..3000 {
            let req = random_request(&mut rng);
            match handle(&req, &store).await {
                Reply::Http(reply) => {
                    assert!(reply.status >= 400, "garbage accepted: {:?}", req.query);
                    let body: Value = serde_json::from_slice(&reply.body).expect("JSON error");
                    assert!(body["Code"].as_str().is_some_and(|c| !c.is_empty()));
                }
                Reply::Reset => panic!("no faults configured"),
            }
        }
        assert_eq!(store.read(|a| a.roles.len()), 0);
    }
}
