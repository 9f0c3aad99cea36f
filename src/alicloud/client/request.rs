//! Building one signed attempt: the action's parameters, the common parameters or headers of
//! the chosen signature, and the signature itself. Pure: the timestamp and nonce are inputs.

use time::OffsetDateTime;

use super::{Service, SignatureAlgorithm};
use crate::alicloud::credentials::Credentials;
use crate::alicloud::endpoint::Endpoint;
use crate::alicloud::signer;

/// Request parameters of one action (business parameters only; common ones are added when
/// signing).
#[derive(Debug, Clone, Default)]
pub(crate) struct Params(Vec<(String, String)>);

impl Params {
    pub(crate) fn new() -> Params {
        Params(Vec::new())
    }

    /// Adds a parameter.
    pub(crate) fn set(mut self, name: &str, value: impl ToString) -> Params {
        self.0.push((name.to_string(), value.to_string()));
        self
    }

    /// Adds a parameter when it has a value.
    pub(crate) fn set_opt<V: ToString>(self, name: &str, value: Option<V>) -> Params {
        match value {
            Some(v) => self.set(name, v),
            None => self,
        }
    }

    pub(crate) fn pairs(&self) -> &[(String, String)] {
        &self.0
    }

    /// The objects a call is about (`RoleName=... PolicyName=...`), so that log lines of calls
    /// made for several resources at once (`for_each`, aliases) can be told apart.
    pub(crate) fn subject(&self) -> String {
        const NAMES: &[&str] = &["RoleName", "PolicyName", "UserName", "GroupName"];
        self.0
            .iter()
            .filter(|(name, _)| {
                NAMES.contains(&name.as_str()) || name.starts_with("ResourceNames.")
            })
            .map(|(name, value)| format!("{name}={value}"))
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// What one call is about, for signing.
pub(super) struct Call<'a> {
    pub(super) endpoint: &'a Endpoint,
    pub(super) service: Service,
    pub(super) action: &'a str,
    pub(super) params: &'a Params,
}

/// A signed request ready to send: headers and the form body.
pub(super) struct Prepared {
    pub(super) headers: Vec<(String, String)>,
    pub(super) body: String,
}

impl std::fmt::Debug for Prepared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<&str> = self.headers.iter().map(|(k, _)| k.as_str()).collect();
        f.debug_struct("Prepared")
            .field("headers", &names)
            .field("body", &"<redacted>")
            .finish()
    }
}

const FORM: &str = "application/x-www-form-urlencoded";

/// Signs one attempt. Pure: the timestamp and nonce are inputs.
pub(super) fn prepare(
    algorithm: SignatureAlgorithm,
    call: &Call<'_>,
    creds: &Credentials,
    now: OffsetDateTime,
    nonce: &str,
) -> Prepared {
    match algorithm {
        SignatureAlgorithm::HmacSha1 => prepare_rpc(call, creds, now, nonce),
        SignatureAlgorithm::Acs3HmacSha256 => prepare_v3(call, creds, now, nonce),
    }
}

fn prepare_rpc(call: &Call<'_>, creds: &Credentials, now: OffsetDateTime, nonce: &str) -> Prepared {
    let mut params: Vec<(String, String)> = vec![
        ("Action".into(), call.action.into()),
        ("Version".into(), call.service.version().into()),
        ("Format".into(), "JSON".into()),
        ("AccessKeyId".into(), creds.access_key_id.clone()),
        ("SignatureMethod".into(), signer::HMAC_SHA1.into()),
        (
            "SignatureVersion".into(),
            signer::SIGNATURE_VERSION_1_0.into(),
        ),
        ("SignatureNonce".into(), nonce.into()),
        ("Timestamp".into(), signer::format_timestamp(now)),
    ];
    if let Some(token) = &creds.security_token {
        params.push(("SecurityToken".into(), token.expose().into()));
    }
    params.extend(call.params.pairs().iter().cloned());
    let signature = signer::rpc_signature("POST", &params, creds.access_key_secret.expose());
    params.push(("Signature".into(), signature));
    Prepared {
        headers: vec![
            ("content-type".into(), FORM.into()),
            ("accept".into(), "application/json".into()),
        ],
        body: signer::canonical_query(&params),
    }
}

fn prepare_v3(call: &Call<'_>, creds: &Credentials, now: OffsetDateTime, nonce: &str) -> Prepared {
    let body = signer::canonical_query(call.params.pairs());
    let mut headers: Vec<(String, String)> = vec![
        ("host".into(), call.endpoint.host().into()),
        ("content-type".into(), FORM.into()),
        ("x-acs-action".into(), call.action.into()),
        ("x-acs-version".into(), call.service.version().into()),
        ("x-acs-date".into(), signer::format_timestamp(now)),
        ("x-acs-signature-nonce".into(), nonce.into()),
        (
            "x-acs-content-sha256".into(),
            signer::sha256_hex(body.as_bytes()),
        ),
    ];
    if let Some(token) = &creds.security_token {
        headers.push(("x-acs-security-token".into(), token.expose().into()));
    }
    let signature = signer::v3_sign(
        &signer::V3Request {
            method: "POST",
            path: "/",
            query: &[],
            headers: &headers,
            body: body.as_bytes(),
        },
        creds.access_key_secret.expose(),
    );
    let authorization = signer::v3_authorization(&creds.access_key_id, &signature);
    // reqwest derives Host from the URL; sending it twice would be wrong.
    headers.retain(|(k, _)| k != "host");
    headers.push(("accept".into(), "application/json".into()));
    headers.push(("authorization".into(), authorization));
    Prepared { headers, body }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_lines_name_the_objects_a_call_is_about() {
        let params = Params::new()
            .set("PolicyType", "Custom")
            .set("PolicyName", "ThePolicy")
            .set("RoleName", "TheRole")
            .set("PolicyDocument", "{}");
        assert_eq!(params.subject(), "PolicyName=ThePolicy RoleName=TheRole");
        let tags = Params::new()
            .set("ResourceType", "role")
            .set("ResourceNames.1", "TheRole")
            .set("Tag.1.Key", "env");
        assert_eq!(tags.subject(), "ResourceNames.1=TheRole");
        assert_eq!(Params::new().subject(), "");
    }

    fn creds() -> Credentials {
        Credentials::new("AKID", "s3cr3t").with_security_token(Some("tok/+=en".into()))
    }

    fn call_prepared(alg: SignatureAlgorithm) -> Prepared {
        let endpoint = Endpoint::parse("http://127.0.0.1:9999").expect("endpoint");
        let params = Params::new()
            .set("RoleName", "my role")
            .set_opt("Description", None::<String>);
        prepare(
            alg,
            &Call {
                endpoint: &endpoint,
                service: Service::Ram,
                action: "GetRole",
                params: &params,
            },
            &creds(),
            time::macros::datetime!(2024-05-06 07:08:09 UTC),
            "nonce-42",
        )
    }

    fn form(body: &str) -> Vec<(String, String)> {
        body.split('&')
            .filter_map(|kv| kv.split_once('='))
            .map(|(k, v)| {
                let dec = |s: &str| {
                    percent_encoding::percent_decode_str(s)
                        .decode_utf8_lossy()
                        .into_owned()
                };
                (dec(k), dec(v))
            })
            .collect()
    }

    #[test]
    fn rpc_request_carries_common_params_and_a_valid_signature() {
        let p = call_prepared(SignatureAlgorithm::HmacSha1);
        let mut fields = form(&p.body);
        let get = |name: &str| {
            fields
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
        };
        assert_eq!(get("Action").as_deref(), Some("GetRole"));
        assert_eq!(get("Version").as_deref(), Some("2015-05-01"));
        assert_eq!(get("Format").as_deref(), Some("JSON"));
        assert_eq!(get("SignatureNonce").as_deref(), Some("nonce-42"));
        assert_eq!(get("Timestamp").as_deref(), Some("2024-05-06T07:08:09Z"));
        assert_eq!(get("SecurityToken").as_deref(), Some("tok/+=en"));
        assert_eq!(get("RoleName").as_deref(), Some("my role"));
        assert!(get("Description").is_none());
        let signature = get("Signature").expect("signature");
        fields.retain(|(k, _)| k != "Signature");
        assert_eq!(signer::rpc_signature("POST", &fields, "s3cr3t"), signature);
        assert!(p.body.contains("RoleName=my%20role"));
    }

    #[test]
    fn v3_request_has_authorization_over_headers_and_body() {
        let p = call_prepared(SignatureAlgorithm::Acs3HmacSha256);
        assert_eq!(p.body, "RoleName=my%20role");
        let header = |name: &str| {
            p.headers
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
        };
        assert_eq!(header("x-acs-action").as_deref(), Some("GetRole"));
        assert_eq!(header("x-acs-version").as_deref(), Some("2015-05-01"));
        assert_eq!(
            header("x-acs-date").as_deref(),
            Some("2024-05-06T07:08:09Z")
        );
        assert_eq!(header("x-acs-signature-nonce").as_deref(), Some("nonce-42"));
        assert_eq!(header("x-acs-security-token").as_deref(), Some("tok/+=en"));
        assert_eq!(
            header("x-acs-content-sha256"),
            Some(signer::sha256_hex(p.body.as_bytes()))
        );
        let auth = header("authorization").expect("authorization");
        assert!(auth.starts_with(
            "ACS3-HMAC-SHA256 Credential=AKID,SignedHeaders=content-type;host;x-acs-action;\
             x-acs-content-sha256;x-acs-date;x-acs-security-token;x-acs-signature-nonce;x-acs-version,Signature="
        ));
        // Recompute with the host header put back.
        let mut signed: Vec<(String, String)> = p
            .headers
            .iter()
            .filter(|(k, _)| k.starts_with("x-acs-") || k == "content-type")
            .cloned()
            .collect();
        signed.push(("host".into(), "127.0.0.1:9999".into()));
        let sig = signer::v3_sign(
            &signer::V3Request {
                method: "POST",
                path: "/",
                query: &[],
                headers: &signed,
                body: p.body.as_bytes(),
            },
            "s3cr3t",
        );
        assert!(auth.ends_with(&sig.signature));
        assert!(header("host").is_none());
    }

    #[test]
    fn prepared_debug_hides_body_and_values() {
        let p = call_prepared(SignatureAlgorithm::Acs3HmacSha256);
        let text = format!("{p:?}");
        assert!(!text.contains("tok/+=en"));
        assert!(!text.contains("Signature="));
    }
}
