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
