//! The signing math the emulator verifies against, as pure functions: Alibaba's RPC signature 1.0
//! (HMAC-SHA1 over a canonical query string) and the V3 `ACS3-HMAC-SHA256` scheme.
//!
//! Nothing here reads a clock or the network; the verifier in `auth` feeds it request parts.

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha1::Sha1;
use sha2::{Digest, Sha256};

/// The V3 algorithm name, as it appears in `Authorization` and the string to sign.
pub(crate) const ACS3_ALGORITHM: &str = "ACS3-HMAC-SHA256";

/// Percent-encodes `s` the Alibaba way: everything except `A-Z a-z 0-9 - _ . ~` becomes `%XX`
/// (upper-case hex, per UTF-8 byte), so a space is `%20`, `*` is `%2A` and `~` stays.
pub fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3);
    for byte in s.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push('%');
            out.push_str(&format!("{byte:02X}"));
        }
    }
    out
}

/// Sorts `pairs` by their raw name (byte order, then value) and joins them as `enc(k)=enc(v)`
/// with `&`. The sort comes before the encoding, as in Alibaba's SDKs: encoding first would put
/// `%XX` escapes (e.g. of `/` or of any non-ASCII byte) before `-`, `.`, digits and letters and
/// so reject their signatures for such names.
pub(crate) fn canonical_query<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    let mut raw: Vec<(&str, &str)> = pairs.into_iter().collect();
    raw.sort_unstable();
    raw.iter()
        .map(|(k, v)| format!("{}={}", percent_encode(k), percent_encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// The RPC 1.0 string to sign: `METHOD&%2F&` + enc(canonical query of every parameter except
/// `Signature`).
pub fn rpc_string_to_sign<'a>(
    method: &str,
    params: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> String {
    let canonical = canonical_query(params.into_iter().filter(|(k, _)| *k != "Signature"));
    format!("{method}&%2F&{}", percent_encode(&canonical))
}

/// Base64(HMAC-SHA1(secret + "&", string_to_sign)).
pub fn rpc_signature(secret: &str, string_to_sign: &str) -> String {
    BASE64.encode(rpc_mac(secret, string_to_sign).finalize().into_bytes())
}

fn rpc_mac(secret: &str, string_to_sign: &str) -> Hmac<Sha1> {
    let key = format!("{secret}&");
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = <Hmac<Sha1> as Mac>::new_from_slice(key.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
    mac.update(string_to_sign.as_bytes());
    mac
}

/// Checks a presented RPC 1.0 signature in constant time.
pub fn rpc_signature_matches(secret: &str, string_to_sign: &str, presented: &str) -> bool {
    match BASE64.decode(presented.as_bytes()) {
        Ok(bytes) => rpc_mac(secret, string_to_sign).verify_slice(&bytes).is_ok(),
        Err(_) => false,
    }
}

/// Lower-case hex SHA-256 of `data`, as used for `x-acs-content-sha256` and the V3 string to sign.
pub fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

/// The parts of a V3 canonical request.
#[derive(Debug, Clone)]
pub struct CanonicalRequest<'a> {
    pub method: &'a str,
    pub path: &'a str,
    /// Decoded query parameters.
    pub query: Vec<(&'a str, &'a str)>,
    /// `(lower-case name, values)` for each signed header, in signed-header order.
    pub headers: Vec<(String, Vec<String>)>,
    /// Hex SHA-256 of the body.
    pub payload_hash: &'a str,
}

impl CanonicalRequest<'_> {
    /// `METHOD\nURI\nQUERY\nHEADERS\nSIGNED_HEADERS\nPAYLOAD_HASH`, headers sorted by name, each
    /// `name:trimmed,values\n`.
    pub fn render(&self) -> String {
        let mut headers: Vec<(String, String)> = self
            .headers
            .iter()
            .map(|(name, values)| {
                let mut trimmed: Vec<&str> = values.iter().map(|v| v.trim()).collect();
                trimmed.sort_unstable();
                (name.to_ascii_lowercase(), trimmed.join(","))
            })
            .collect();
        headers.sort();
        let canonical_headers: String = headers
            .iter()
            .map(|(name, value)| format!("{name}:{value}\n"))
            .collect();
        let signed_headers = headers
            .iter()
            .map(|(name, _)| name.as_str())
            .collect::<Vec<_>>()
            .join(";");
        format!(
            "{}\n{}\n{}\n{}\n{}\n{}",
            self.method,
            self.path,
            canonical_query(self.query.iter().copied()),
            canonical_headers,
            signed_headers,
            self.payload_hash
        )
    }
}

/// `ACS3-HMAC-SHA256\n` + hex(SHA-256(canonical request)).
pub fn acs3_string_to_sign(canonical_request: &str) -> String {
    format!(
        "{ACS3_ALGORITHM}\n{}",
        sha256_hex(canonical_request.as_bytes())
    )
}

fn acs3_mac(secret: &str, string_to_sign: &str) -> Hmac<Sha256> {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
    mac.update(string_to_sign.as_bytes());
    mac
}

/// Hex(HMAC-SHA256(secret, string_to_sign)).
pub fn acs3_signature(secret: &str, string_to_sign: &str) -> String {
    hex::encode(acs3_mac(secret, string_to_sign).finalize().into_bytes())
}

/// Checks a presented V3 signature (hex) in constant time.
pub fn acs3_signature_matches(secret: &str, string_to_sign: &str, presented: &str) -> bool {
    match hex::decode(presented.trim()) {
        Ok(bytes) => acs3_mac(secret, string_to_sign)
            .verify_slice(&bytes)
            .is_ok(),
        Err(_) => false,
    }
}

/// A parsed `Authorization: ACS3-HMAC-SHA256 Credential=..,SignedHeaders=..,Signature=..` value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Acs3Authorization {
    pub access_key_id: String,
    pub signed_headers: Vec<String>,
    pub signature: String,
}

/// Why an `Authorization` header could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthorizationError {
    #[error("the Authorization header does not use {ACS3_ALGORITHM}")]
    Algorithm,
    #[error("the Authorization header lacks {0}")]
    MissingPart(&'static str),
}

/// Parses a V3 `Authorization` header value.
pub fn parse_acs3_authorization(value: &str) -> Result<Acs3Authorization, AuthorizationError> {
    let rest = value
        .trim()
        .strip_prefix(ACS3_ALGORITHM)
        .ok_or(AuthorizationError::Algorithm)?;
    let (mut credential, mut signed, mut signature) = (None, None, None);
    for part in rest.split(',') {
        let Some((key, val)) = part.trim().split_once('=') else {
            continue;
        };
        match key.trim() {
            "Credential" => credential = Some(val.trim().to_string()),
            "SignedHeaders" => signed = Some(val.trim().to_string()),
            "Signature" => signature = Some(val.trim().to_string()),
            _ => {}
        }
    }
    let access_key_id = credential
        .filter(|c| !c.is_empty())
        .ok_or(AuthorizationError::MissingPart("Credential"))?;
    let signed_headers = signed
        .filter(|s| !s.is_empty())
        .ok_or(AuthorizationError::MissingPart("SignedHeaders"))?
        .split(';')
        .map(|h| h.trim().to_ascii_lowercase())
        .collect();
    let signature = signature
        .filter(|s| !s.is_empty())
        .ok_or(AuthorizationError::MissingPart("Signature"))?;
    Ok(Acs3Authorization {
        access_key_id,
        signed_headers,
        signature,
    })
}

/// Known answers computed by Alibaba's own SDK (`testdata/signing/README.md` says how), for the
/// tests here and the verifier's in `auth`.
#[cfg(test)]
pub(crate) mod sdk_vectors {
    use serde::Deserialize;

    #[derive(Deserialize)]
    struct File<V> {
        vectors: Vec<V>,
    }

    /// An RPC 1.0 (HMAC-SHA1) vector.
    #[derive(Deserialize)]
    pub(crate) struct RpcVector {
        pub(crate) name: String,
        pub(crate) method: String,
        pub(crate) access_key_secret: String,
        /// Every parameter but `Signature`.
        pub(crate) params: Vec<(String, String)>,
        pub(crate) string_to_sign: String,
        pub(crate) signature: String,
    }

    /// An `ACS3-HMAC-SHA256` vector.
    #[derive(Deserialize)]
    pub(crate) struct Acs3Vector {
        pub(crate) name: String,
        pub(crate) access_key_id: String,
        pub(crate) access_key_secret: String,
        pub(crate) method: String,
        pub(crate) path: String,
        pub(crate) query: Vec<(String, String)>,
        /// Every signed header, `x-acs-content-sha256` included; not `Authorization`.
        pub(crate) headers: Vec<(String, String)>,
        pub(crate) body: String,
        pub(crate) canonical_request: String,
        pub(crate) string_to_sign: String,
        pub(crate) signature: String,
        pub(crate) authorization: String,
    }

    fn load<V: serde::de::DeserializeOwned>(text: &str) -> Vec<V> {
        let file: File<V> = serde_json::from_str(text).expect("vector file");
        assert!(!file.vectors.is_empty());
        file.vectors
    }

    pub(crate) fn rpc_vectors() -> Vec<RpcVector> {
        load(include_str!("../../testdata/signing/rpc-hmac-sha1.json"))
    }

    pub(crate) fn acs3_vectors() -> Vec<Acs3Vector> {
        load(include_str!("../../testdata/signing/acs3-hmac-sha256.json"))
    }

    pub(crate) fn pairs(list: &[(String, String)]) -> Vec<(&str, &str)> {
        list.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    mod sdk_vectors {
        use super::super::sdk_vectors::{acs3_vectors, pairs, rpc_vectors};
        use super::super::*;

        #[test]
        fn rpc_signatures_verify_as_the_sdk_signs() {
            for v in rpc_vectors() {
                let mut params = pairs(&v.params);
                let string_to_sign = rpc_string_to_sign(&v.method, params.iter().copied());
                assert_eq!(string_to_sign, v.string_to_sign, "{}", v.name);
                // The presented signature itself is left out of what is signed.
                params.push(("Signature", v.signature.as_str()));
                assert_eq!(
                    rpc_string_to_sign(&v.method, params.iter().copied()),
                    v.string_to_sign,
                    "{}",
                    v.name
                );
                let secret = &v.access_key_secret;
                assert_eq!(
                    rpc_signature(secret, &string_to_sign),
                    v.signature,
                    "{}",
                    v.name
                );
                assert!(
                    rpc_signature_matches(secret, &string_to_sign, &v.signature),
                    "{}",
                    v.name
                );
                assert!(
                    !rpc_signature_matches("wrongsecret", &string_to_sign, &v.signature),
                    "{}",
                    v.name
                );
            }
        }

        #[test]
        fn acs3_signatures_verify_as_the_sdk_signs() {
            for v in acs3_vectors() {
                let auth = parse_acs3_authorization(&v.authorization).expect("authorization");
                assert_eq!(auth.access_key_id, v.access_key_id, "{}", v.name);
                assert_eq!(auth.signature, v.signature, "{}", v.name);
                let payload_hash = sha256_hex(v.body.as_bytes());
                let canonical = CanonicalRequest {
                    method: &v.method,
                    path: &v.path,
                    query: pairs(&v.query),
                    headers: v
                        .headers
                        .iter()
                        .map(|(name, value)| (name.clone(), vec![value.clone()]))
                        .collect(),
                    payload_hash: &payload_hash,
                }
                .render();
                assert_eq!(canonical, v.canonical_request, "{}", v.name);
                let string_to_sign = acs3_string_to_sign(&canonical);
                assert_eq!(string_to_sign, v.string_to_sign, "{}", v.name);
                let secret = &v.access_key_secret;
                assert_eq!(
                    acs3_signature(secret, &string_to_sign),
                    v.signature,
                    "{}",
                    v.name
                );
                assert!(acs3_signature_matches(
                    secret,
                    &string_to_sign,
                    &auth.signature
                ));
                assert!(!acs3_signature_matches(
                    "wrong",
                    &string_to_sign,
                    &auth.signature
                ));
            }
        }
    }

    #[test]
    fn percent_encoding_edge_cases() {
        assert_eq!(percent_encode("a b"), "a%20b");
        assert_eq!(percent_encode("*"), "%2A");
        assert_eq!(percent_encode("~-_."), "~-_.");
        assert_eq!(percent_encode("/+="), "%2F%2B%3D");
        assert_eq!(percent_encode("é"), "%C3%A9");
    }

    #[test]
    fn canonical_query_sorts_by_raw_name() {
        assert_eq!(
            canonical_query([("b", "2"), ("a", "x y"), ("B", "1")]),
            "B=1&a=x%20y&b=2"
        );
        // Found by the property tests: the order is the raw names' ("a" < "¡", "a-" < "a/"),
        // not the encoded ones' ("%C2%A1" < "a", "a%2F" < "a-"), as the SDKs sign.
        assert_eq!(canonical_query([("¡", ""), ("a", "")]), "a=&%C2%A1=");
        assert_eq!(canonical_query([("a/", "1"), ("a-", "2")]), "a-=2&a%2F=1");
    }

    #[test]
    fn acs3_canonical_request_layout() {
        let req = CanonicalRequest {
            method: "POST",
            path: "/",
            query: vec![("RoleName", "a b"), ("Action", "x")],
            headers: vec![
                ("x-acs-action".into(), vec!["CreateRole".into()]),
                ("host".into(), vec![" ram.aliyuncs.com ".into()]),
            ],
            payload_hash: "abc",
        };
        assert_eq!(
            req.render(),
            "POST\n/\nAction=x&RoleName=a%20b\nhost:ram.aliyuncs.com\nx-acs-action:CreateRole\n\nhost;x-acs-action\nabc"
        );
    }

    #[test]
    fn acs3_sign_and_verify_round_trip() {
        let sts = acs3_string_to_sign("canonical");
        assert!(sts.starts_with("ACS3-HMAC-SHA256\n"));
        let sig = acs3_signature("secret", &sts);
        assert_eq!(sig.len(), 64);
        assert!(acs3_signature_matches("secret", &sts, &sig));
        assert!(!acs3_signature_matches("other", &sts, &sig));
        assert!(!acs3_signature_matches("secret", &sts, "zz"));
    }

    #[test]
    fn empty_payload_hash() {
        assert_eq!(
            sha256_hex(b""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn parses_authorization() {
        let a = parse_acs3_authorization(
            "ACS3-HMAC-SHA256 Credential=AK,SignedHeaders=host;x-acs-date,Signature=ab12",
        )
        .expect("valid");
        assert_eq!(a.access_key_id, "AK");
        assert_eq!(a.signed_headers, vec!["host", "x-acs-date"]);
        assert_eq!(a.signature, "ab12");
        assert_eq!(
            parse_acs3_authorization("HMAC-SHA1 x"),
            Err(AuthorizationError::Algorithm)
        );
        assert_eq!(
            parse_acs3_authorization("ACS3-HMAC-SHA256 Credential=AK,Signature=ab"),
            Err(AuthorizationError::MissingPart("SignedHeaders"))
        );
    }
}
