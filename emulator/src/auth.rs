//! Request authentication: checks an RPC request's HMAC-SHA1 signature (parameters) or V3
//! `ACS3-HMAC-SHA256` signature (`Authorization` header), its timestamp skew, nonce replay and
//! STS security token, and names the caller.

use crate::clock;
use crate::error::ApiError;
use crate::model::Session;
use crate::signature::{self, CanonicalRequest};
use crate::store::Store;
use crate::wire::RpcRequest;

/// Largest accepted difference between a request's timestamp and the emulator's clock.
pub const MAX_SKEW_SECS: i64 = 15 * 60;

/// Who signed a request.
#[derive(Debug, Clone)]
pub enum Caller {
    /// The account's root identity, with one of its long-lived keys.
    Root { access_key_id: String },
    /// Temporary credentials from STS or the ECS metadata service.
    Session(Session),
}

impl Caller {
    /// The access key the request was signed with (an identifier, not a secret).
    pub fn access_key_id(&self) -> &str {
        match self {
            Caller::Root { access_key_id } => access_key_id,
            Caller::Session(s) => &s.access_key_id,
        }
    }
}

/// The signature scheme a request uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    /// RPC signature 1.0 (HMAC-SHA1 over parameters).
    RpcV1,
    /// `ACS3-HMAC-SHA256` in the `Authorization` header.
    Acs3,
}

impl Scheme {
    /// The algorithm's name as the wire spells it.
    pub fn name(self) -> &'static str {
        match self {
            Scheme::RpcV1 => "HMAC-SHA1",
            Scheme::Acs3 => signature::ACS3_ALGORITHM,
        }
    }
}

/// The scheme a request claims.
pub fn scheme_of(req: &RpcRequest) -> Scheme {
    match req.header("authorization") {
        Some(v) if v.trim_start().starts_with("ACS3-") => Scheme::Acs3,
        _ => Scheme::RpcV1,
    }
}

/// Authenticates `req` at time `now` (Unix seconds).
pub fn verify(req: &RpcRequest, store: &Store, now: i64) -> Result<Caller, ApiError> {
    match scheme_of(req) {
        Scheme::RpcV1 => verify_rpc(req, store, now),
        Scheme::Acs3 => verify_acs3(req, store, now),
    }
}

fn incomplete(detail: &str) -> ApiError {
    ApiError::new(
        "IncompleteSignature",
        format!("The request signature does not conform to Aliyun standards. {detail}"),
    )
}

fn signature_mismatch(string_to_sign: &str) -> ApiError {
    ApiError::new(
        "SignatureDoesNotMatch",
        format!(
            "Specified signature is not matched with our calculation. server string to sign is:{string_to_sign}"
        ),
    )
}

fn verify_rpc(req: &RpcRequest, store: &Store, now: i64) -> Result<Caller, ApiError> {
    let params = req.params();
    let presented = params
        .non_empty("Signature")
        .ok_or_else(|| incomplete("The Signature parameter is missing."))?;
    let access_key_id = params.required("AccessKeyId")?;
    match params.non_empty("SignatureMethod") {
        Some("HMAC-SHA1") => {}
        None => return Err(ApiError::missing_parameter("SignatureMethod")),
        Some(_) => return Err(incomplete("SignatureMethod must be HMAC-SHA1.")),
    }
    match params.non_empty("SignatureVersion") {
        Some("1.0") => {}
        None => return Err(ApiError::missing_parameter("SignatureVersion")),
        Some(_) => return Err(incomplete("SignatureVersion must be 1.0.")),
    }
    let nonce = params.required("SignatureNonce")?;
    check_timestamp(params.required("Timestamp")?, now)?;
    let credential = lookup(store, access_key_id, params.non_empty("SecurityToken"), now)?;
    let string_to_sign = signature::rpc_string_to_sign(&req.method, req.all_params());
    if !signature::rpc_signature_matches(&credential.secret, &string_to_sign, presented) {
        return Err(signature_mismatch(&string_to_sign));
    }
    check_nonce(store, access_key_id, nonce, now)?;
    Ok(credential.caller)
}

fn verify_acs3(req: &RpcRequest, store: &Store, now: i64) -> Result<Caller, ApiError> {
    let header = req.header("authorization").unwrap_or_default();
    let auth =
        signature::parse_acs3_authorization(header).map_err(|e| incomplete(&e.to_string()))?;
    let required = |name: &str| {
        req.header(name)
            .filter(|v| !v.is_empty())
            .ok_or_else(|| ApiError::missing_parameter(name))
    };
    let nonce = required("x-acs-signature-nonce")?;
    let date = required("x-acs-date")?;
    required("x-acs-action")?;
    required("x-acs-version")?;
    check_signed_headers(req, &auth.signed_headers)?;
    check_timestamp(date, now)?;
    let credential = lookup(
        store,
        &auth.access_key_id,
        req.header("x-acs-security-token").filter(|t| !t.is_empty()),
        now,
    )?;
    let payload_hash = signature::sha256_hex(&req.body);
    let canonical = CanonicalRequest {
        method: &req.method,
        path: &req.path,
        query: req
            .query
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect(),
        headers: auth
            .signed_headers
            .iter()
            .map(|name| (name.clone(), header_values(req, name)))
            .collect(),
        payload_hash: &payload_hash,
    }
    .render();
    let string_to_sign = signature::acs3_string_to_sign(&canonical);
    if !signature::acs3_signature_matches(&credential.secret, &string_to_sign, &auth.signature) {
        return Err(signature_mismatch(&string_to_sign));
    }
    check_nonce(store, &auth.access_key_id, nonce, now)?;
    Ok(credential.caller)
}

/// `host` and every `x-acs-*` header sent must be signed.
fn check_signed_headers(req: &RpcRequest, signed: &[String]) -> Result<(), ApiError> {
    if !signed.iter().any(|h| h == "host") {
        return Err(incomplete("SignedHeaders must include host."));
    }
    let unsigned = req
        .headers
        .keys()
        .map(|k| k.as_str())
        .find(|k| k.starts_with("x-acs-") && !signed.iter().any(|s| s == k));
    match unsigned {
        Some(name) => Err(incomplete(&format!("Header {name} is not signed."))),
        None => Ok(()),
    }
}

fn header_values(req: &RpcRequest, name: &str) -> Vec<String> {
    req.headers
        .get_all(name)
        .iter()
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
        .collect()
}

fn check_timestamp(text: &str, now: i64) -> Result<(), ApiError> {
    let at = clock::parse_date(text).ok_or_else(|| {
        ApiError::new(
            "InvalidTimeStamp.Format",
            "Specified time stamp or date value is not well formatted.",
        )
    })?;
    if (now - at).abs() > MAX_SKEW_SECS {
        return Err(ApiError::new(
            "InvalidTimeStamp.Expired",
            format!(
                "Specified time stamp or date value is expired. Request time {text}, server time {}.",
                clock::format_date(now)
            ),
        ));
    }
    Ok(())
}

fn check_nonce(store: &Store, access_key_id: &str, nonce: &str, now: i64) -> Result<(), ApiError> {
    if store.remember_nonce(access_key_id, nonce, now) {
        Ok(())
    } else {
        Err(ApiError::new(
            "SignatureNonceUsed",
            "Specified signature nonce was used already.",
        ))
    }
}

struct Resolved {
    secret: String,
    caller: Caller,
}

/// Finds the secret for a key, checking the security token rules: temporary keys need their own
/// unexpired token; long-lived keys take none.
fn lookup(
    store: &Store,
    access_key_id: &str,
    token: Option<&str>,
    now: i64,
) -> Result<Resolved, ApiError> {
    if let Some(secret) = store.settings().secret_of(access_key_id) {
        if token.is_some() {
            return Err(token_mismatch());
        }
        return Ok(Resolved {
            secret: secret.to_string(),
            caller: Caller::Root {
                access_key_id: access_key_id.to_string(),
            },
        });
    }
    let session = store.session(access_key_id).ok_or_else(|| {
        ApiError::new(
            "InvalidAccessKeyId.NotFound",
            "Specified access key is not found.",
        )
    })?;
    if token != Some(session.security_token.as_str()) {
        return Err(token_mismatch());
    }
    if session.expires_at <= now {
        return Err(ApiError::new(
            "InvalidSecurityToken.Expired",
            "Specified SecurityToken is expired.",
        ));
    }
    Ok(Resolved {
        secret: session.access_key_secret.clone(),
        caller: Caller::Session(session),
    })
}

fn token_mismatch() -> ApiError {
    ApiError::new(
        "InvalidSecurityToken.MismatchWithAccessKey",
        "Specified SecurityToken mismatch with the AccessKey.",
    )
}

#[cfg(test)]
mod tests {
    use hyper::header::{HeaderMap, HeaderName, HeaderValue};

    use super::*;
    use crate::config::{Config, Credential};
    use crate::signature::sdk_vectors::{acs3_vectors, rpc_vectors};

    fn store_with_key(access_key_id: &str, access_key_secret: &str) -> Store {
        let config = Config {
            credentials: vec![Credential {
                access_key_id: access_key_id.to_string(),
                access_key_secret: access_key_secret.to_string(),
            }],
            ..Config::default()
        };
        Store::open(&config).expect("store")
    }

    fn find<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
        pairs
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn form<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
        form_urlencoded::Serializer::new(String::new())
            .extend_pairs(pairs)
            .finish()
    }

    /// Accepted with the vector's key; refused with another secret, echoing the same string to
    /// sign as the SDK signed.
    fn assert_only_its_secret_verifies(
        request: &RpcRequest,
        access_key_id: &str,
        secret: &str,
        string_to_sign: &str,
        now: i64,
    ) {
        let caller = verify(request, &store_with_key(access_key_id, secret), now)
            .unwrap_or_else(|e| panic!("{access_key_id}: {e}"));
        assert_eq!(caller.access_key_id(), access_key_id);
        let err = verify(request, &store_with_key(access_key_id, "another"), now)
            .expect_err("a wrong secret");
        assert_eq!(err.code, "SignatureDoesNotMatch");
        assert!(
            err.message
                .ends_with(&format!("server string to sign is:{string_to_sign}")),
            "{}",
            err.message
        );
    }

    #[test]
    fn accepts_rpc_requests_signed_as_the_sdk_signs() {
        let mut verified = 0;
        for v in rpc_vectors() {
            // Vectors with a security token or a made-up timestamp only test the signing math.
            let key = find(&v.params, "AccessKeyId");
            let now = find(&v.params, "Timestamp").and_then(clock::parse_date);
            let (Some(key), Some(now)) = (key, now) else {
                continue;
            };
            if find(&v.params, "SecurityToken").is_some() {
                continue;
            }
            let signed = v.params.iter().map(|(k, val)| (k.as_str(), val.as_str()));
            let query = form(signed.chain([("Signature", v.signature.as_str())]));
            let request = RpcRequest::new(&v.method, "/", Some(&query), HeaderMap::new(), vec![]);
            assert_only_its_secret_verifies(
                &request,
                key,
                &v.access_key_secret,
                &v.string_to_sign,
                now,
            );
            verified += 1;
        }
        assert!(verified > 0);
    }

    #[test]
    fn accepts_acs3_requests_signed_as_the_sdk_signs() {
        let mut verified = 0;
        for v in acs3_vectors() {
            if find(&v.headers, "x-acs-security-token").is_some() {
                continue;
            }
            let now = find(&v.headers, "x-acs-date")
                .and_then(clock::parse_date)
                .expect("x-acs-date");
            let mut headers = HeaderMap::new();
            let authorization = ("authorization".to_string(), v.authorization.clone());
            for (name, value) in v.headers.iter().chain([&authorization]) {
                headers.append(
                    HeaderName::from_bytes(name.as_bytes()).expect("header name"),
                    HeaderValue::from_str(value).expect("header value"),
                );
            }
            let query = (!v.query.is_empty())
                .then(|| form(v.query.iter().map(|(k, val)| (k.as_str(), val.as_str()))));
            let body = v.body.clone().into_bytes();
            let request = RpcRequest::new(&v.method, &v.path, query.as_deref(), headers, body);
            assert_only_its_secret_verifies(
                &request,
                &v.access_key_id,
                &v.access_key_secret,
                &v.string_to_sign,
                now,
            );
            verified += 1;
        }
        assert!(verified > 0);
    }
}
