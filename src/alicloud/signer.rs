//! Request signing for Alibaba Cloud OpenAPI: RPC signature 1.0 (HMAC-SHA1) and the V3
//! `ACS3-HMAC-SHA256` `Authorization` header. Pure functions: the caller supplies the timestamp
//! and nonce, so every result here is reproducible and covered by known-answer tests.

use base64::Engine as _;
use hmac::{Hmac, Mac};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC};
use sha1::Sha1;
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

/// Every byte except the RFC 3986 unreserved set `A-Z a-z 0-9 - _ . ~` is escaped.
const RPC_ESCAPE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// The value of the `SignatureMethod` parameter for RPC signature 1.0.
pub(crate) const HMAC_SHA1: &str = "HMAC-SHA1";
/// The value of the `SignatureVersion` parameter for RPC signature 1.0.
pub(crate) const SIGNATURE_VERSION_1_0: &str = "1.0";
/// The algorithm name of Alibaba's V3 signature.
pub(crate) const ACS3_HMAC_SHA256: &str = "ACS3-HMAC-SHA256";

/// Percent-encodes `input` the way Alibaba's signatures require: UTF-8 bytes, uppercase hex,
/// only `A-Z a-z 0-9 - _ . ~` left as they are (so a space is `%20`, never `+`).
pub fn percent_encode(input: &str) -> String {
    percent_encoding::utf8_percent_encode(input, RPC_ESCAPE).to_string()
}

/// Formats a timestamp as the ISO 8601 UTC second-precision form both signatures use
/// (`2016-02-23T12:46:24Z`).
pub fn format_timestamp(at: OffsetDateTime) -> String {
    let utc = at.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        utc.year(),
        u8::from(utc.month()),
        utc.day(),
        utc.hour(),
        utc.minute(),
        utc.second()
    )
}

/// The canonicalized query string: parameters sorted by name (byte order), names and values
/// percent-encoded, joined as `k=v` with `&`.
pub fn canonical_query<K, V>(params: &[(K, V)]) -> String
where
    K: AsRef<str>,
    V: AsRef<str>,
{
    let mut sorted: Vec<(&str, &str)> = params
        .iter()
        .map(|(k, v)| (k.as_ref(), v.as_ref()))
        .collect();
    sorted.sort_unstable();
    let pairs: Vec<String> = sorted
        .into_iter()
        .map(|(k, v)| format!("{}={}", percent_encode(k), percent_encode(v)))
        .collect();
    pairs.join("&")
}

/// The RPC 1.0 string to sign: `METHOD&%2F&` followed by the percent-encoded canonical query.
pub fn rpc_string_to_sign<K, V>(method: &str, params: &[(K, V)]) -> String
where
    K: AsRef<str>,
    V: AsRef<str>,
{
    format!(
        "{}&{}&{}",
        method.to_ascii_uppercase(),
        percent_encode("/"),
        percent_encode(&canonical_query(params))
    )
}

/// The RPC 1.0 `Signature`: Base64(HMAC-SHA1(secret + "&", string to sign)). `params` are every
/// parameter of the request (query and form body together), without `Signature` itself.
pub fn rpc_signature<K, V>(method: &str, params: &[(K, V)], secret: &str) -> String
where
    K: AsRef<str>,
    V: AsRef<str>,
{
    let string_to_sign = rpc_string_to_sign(method, params);
    let key = format!("{secret}&");
    base64::engine::general_purpose::STANDARD
        .encode(hmac_sha1(key.as_bytes(), string_to_sign.as_bytes()))
}

fn hmac_sha1(key: &[u8], data: &[u8]) -> Vec<u8> {
    // HMAC accepts keys of any length, so `new_from_slice` cannot fail here.
    match Hmac::<Sha1>::new_from_slice(key) {
        Ok(mut mac) => {
            mac.update(data);
            mac.finalize().into_bytes().to_vec()
        }
        Err(_) => Vec::new(),
    }
}

fn hmac_sha256(key: &[u8], data: &[u8]) -> Vec<u8> {
    match Hmac::<Sha256>::new_from_slice(key) {
        Ok(mut mac) => {
            mac.update(data);
            mac.finalize().into_bytes().to_vec()
        }
        Err(_) => Vec::new(),
    }
}

/// Lower-case hex SHA-256 of `data` (the `x-acs-content-sha256` value of a V3 request).
pub fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

/// What a V3 (`ACS3-HMAC-SHA256`) signature covers.
pub struct V3Request<'a> {
    /// HTTP method, e.g. `POST`.
    pub method: &'a str,
    /// The canonical URI (`/` for RPC-style APIs).
    pub path: &'a str,
    /// Query parameters (before encoding).
    pub query: &'a [(String, String)],
    /// Headers to sign: `host`, `content-type` and every `x-acs-*` header, including
    /// `x-acs-content-sha256`. Names are lower-cased and values trimmed here.
    pub headers: &'a [(String, String)],
    /// The exact body bytes that will be sent.
    pub body: &'a [u8],
}

/// The result of signing a V3 request.
pub struct V3Signature {
    /// `;`-joined sorted lower-case header names.
    pub signed_headers: String,
    /// Lower-case hex HMAC-SHA256.
    pub signature: String,
}

impl std::fmt::Debug for V3Signature {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("V3Signature")
            .field("signed_headers", &self.signed_headers)
            .field("signature", &"<redacted>")
            .finish()
    }
}

fn canonical_headers(headers: &[(String, String)]) -> (String, String) {
    let mut sorted: Vec<(String, String)> = headers
        .iter()
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    sorted.sort();
    let canonical: String = sorted.iter().map(|(k, v)| format!("{k}:{v}\n")).collect();
    let names: Vec<&str> = sorted.iter().map(|(k, _)| k.as_str()).collect();
    (canonical, names.join(";"))
}

/// The V3 canonical request: method, URI, canonical query, canonical headers, signed header
/// names and the hex SHA-256 of the body, one per line.
pub(crate) fn v3_canonical_request(req: &V3Request<'_>) -> String {
    let (headers, signed) = canonical_headers(req.headers);
    format!(
        "{}\n{}\n{}\n{}\n{}\n{}",
        req.method.to_ascii_uppercase(),
        req.path,
        canonical_query(req.query),
        headers,
        signed,
        sha256_hex(req.body)
    )
}

/// The V3 string to sign: the algorithm name and the hex SHA-256 of the canonical request.
pub(crate) fn v3_string_to_sign(canonical_request: &str) -> String {
    format!(
        "{ACS3_HMAC_SHA256}\n{}",
        sha256_hex(canonical_request.as_bytes())
    )
}

/// Signs a V3 request with the access key secret.
pub fn v3_sign(req: &V3Request<'_>, secret: &str) -> V3Signature {
    let (_, signed_headers) = canonical_headers(req.headers);
    let string_to_sign = v3_string_to_sign(&v3_canonical_request(req));
    let signature = hex::encode(hmac_sha256(secret.as_bytes(), string_to_sign.as_bytes()));
    V3Signature {
        signed_headers,
        signature,
    }
}

/// The `Authorization` header value of a V3 request.
pub fn v3_authorization(access_key_id: &str, sig: &V3Signature) -> String {
    format!(
        "{ACS3_HMAC_SHA256} Credential={access_key_id},SignedHeaders={},Signature={}",
        sig.signed_headers, sig.signature
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    /// Known answers computed by Alibaba's own SDK: see `testdata/signing/README.md`.
    mod sdk_vectors {
        use super::super::*;
        use serde::Deserialize;

        #[derive(Deserialize)]
        struct File<V> {
            vectors: Vec<V>,
        }

        #[derive(Deserialize)]
        struct RpcVector {
            name: String,
            method: String,
            access_key_secret: String,
            params: Vec<(String, String)>,
            string_to_sign: String,
            signature: String,
        }

        #[derive(Deserialize)]
        struct Acs3Vector {
            name: String,
            access_key_id: String,
            access_key_secret: String,
            method: String,
            path: String,
            query: Vec<(String, String)>,
            headers: Vec<(String, String)>,
            body: String,
            canonical_request: String,
            string_to_sign: String,
            signature: String,
            authorization: String,
        }

        fn load<V: serde::de::DeserializeOwned>(text: &str) -> Vec<V> {
            let file: File<V> = serde_json::from_str(text).expect("vector file");
            assert!(!file.vectors.is_empty());
            file.vectors
        }

        fn rpc_vectors() -> Vec<RpcVector> {
            load(include_str!("../../testdata/signing/rpc-hmac-sha1.json"))
        }

        #[test]
        fn rpc_signatures_match_the_sdks() {
            for v in rpc_vectors() {
                assert_eq!(
                    rpc_string_to_sign(&v.method, &v.params),
                    v.string_to_sign,
                    "{}",
                    v.name
                );
                assert_eq!(
                    rpc_signature(&v.method, &v.params, &v.access_key_secret),
                    v.signature,
                    "{}",
                    v.name
                );
            }
        }

        #[test]
        fn parameter_order_does_not_matter() {
            for v in rpc_vectors() {
                let mut reversed = v.params.clone();
                reversed.reverse();
                assert_eq!(
                    rpc_signature(&v.method, &reversed, &v.access_key_secret),
                    v.signature,
                    "{}",
                    v.name
                );
            }
        }

        #[test]
        fn acs3_signatures_match_the_sdks() {
            let vectors: Vec<Acs3Vector> =
                load(include_str!("../../testdata/signing/acs3-hmac-sha256.json"));
            for v in vectors {
                let request = V3Request {
                    method: &v.method,
                    path: &v.path,
                    query: &v.query,
                    headers: &v.headers,
                    body: v.body.as_bytes(),
                };
                let canonical = v3_canonical_request(&request);
                assert_eq!(canonical, v.canonical_request, "{}", v.name);
                assert_eq!(
                    v3_string_to_sign(&canonical),
                    v.string_to_sign,
                    "{}",
                    v.name
                );
                let signed = v3_sign(&request, &v.access_key_secret);
                assert_eq!(signed.signature, v.signature, "{}", v.name);
                assert_eq!(
                    v3_authorization(&v.access_key_id, &signed),
                    v.authorization,
                    "{}",
                    v.name
                );
            }
        }
    }

    #[test]
    fn string_to_sign_shape() {
        let s = rpc_string_to_sign("post", &params(&[("B", "x y"), ("A", "1")]));
        assert_eq!(s, "POST&%2F&A%3D1%26B%3Dx%2520y");
    }

    #[test]
    fn percent_encoding_edge_cases() {
        assert_eq!(percent_encode("a b"), "a%20b");
        assert_eq!(percent_encode("*"), "%2A");
        assert_eq!(percent_encode("~"), "~");
        assert_eq!(percent_encode("/"), "%2F");
        assert_eq!(percent_encode("+"), "%2B");
        assert_eq!(percent_encode("-_."), "-_.");
        assert_eq!(percent_encode("AZaz09"), "AZaz09");
        assert_eq!(percent_encode("="), "%3D");
        assert_eq!(percent_encode("&"), "%26");
        assert_eq!(percent_encode("é"), "%C3%A9");
        assert_eq!(percent_encode("中"), "%E4%B8%AD");
        assert_eq!(percent_encode("😀"), "%F0%9F%98%80");
        assert_eq!(percent_encode(""), "");
    }

    #[test]
    fn sort_is_byte_order_on_names() {
        // Upper case sorts before lower case in byte order.
        let q = canonical_query(&params(&[("b", "1"), ("B", "2"), ("a", "3")]));
        assert_eq!(q, "B=2&a=3&b=1");
    }

    #[test]
    fn timestamp_format() {
        let t = time::macros::datetime!(2016-02-23 12:46:24 UTC);
        assert_eq!(format_timestamp(t), "2016-02-23T12:46:24Z");
        let shifted = time::macros::datetime!(2016-02-23 20:46:24 +08:00);
        assert_eq!(format_timestamp(shifted), "2016-02-23T12:46:24Z");
    }

    fn v3_headers(body: &[u8]) -> Vec<(String, String)> {
        params(&[
            ("Host", "ram.aliyuncs.com"),
            ("x-acs-action", "GetRole"),
            ("x-acs-version", "2015-05-01"),
            ("x-acs-date", "2024-01-02T03:04:05Z"),
            ("x-acs-signature-nonce", "nonce-1"),
            ("content-type", "application/x-www-form-urlencoded"),
        ])
        .into_iter()
        .chain(std::iter::once((
            "x-acs-content-sha256".to_string(),
            sha256_hex(body),
        )))
        .collect()
    }

    #[test]
    fn v3_canonical_request_layout() {
        let body = b"RoleName=r1";
        let headers = v3_headers(body);
        let query = params(&[("b", "2 3"), ("a", "1")]);
        let req = V3Request {
            method: "post",
            path: "/",
            query: &query,
            headers: &headers,
            body,
        };
        let canonical = v3_canonical_request(&req);
        let expected = format!(
            "POST\n/\na=1&b=2%203\ncontent-type:application/x-www-form-urlencoded\nhost:ram.aliyuncs.com\n\
             x-acs-action:GetRole\nx-acs-content-sha256:{h}\nx-acs-date:2024-01-02T03:04:05Z\n\
             x-acs-signature-nonce:nonce-1\nx-acs-version:2015-05-01\n\n\
             content-type;host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version\n{h}",
            h = sha256_hex(body)
        );
        assert_eq!(canonical, expected);
    }

    #[test]
    fn v3_signature_is_hmac_sha256_of_string_to_sign() {
        let body = b"RoleName=r1";
        let headers = v3_headers(body);
        let req = V3Request {
            method: "POST",
            path: "/",
            query: &[],
            headers: &headers,
            body,
        };
        let sig = v3_sign(&req, "secret");
        let sts = v3_string_to_sign(&v3_canonical_request(&req));
        assert!(sts.starts_with("ACS3-HMAC-SHA256\n"));
        assert_eq!(
            sig.signature,
            hex::encode(hmac_sha256(b"secret", sts.as_bytes()))
        );
        assert_eq!(sig.signature.len(), 64);
        let auth = v3_authorization("AKID", &sig);
        assert!(
            auth.starts_with("ACS3-HMAC-SHA256 Credential=AKID,SignedHeaders=content-type;host;")
        );
        assert!(auth.ends_with(&format!(",Signature={}", sig.signature)));
        assert!(!format!("{sig:?}").contains(&sig.signature));
    }

    #[test]
    fn empty_body_hash() {
        assert_eq!(
            sha256_hex(b""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn hmac_sha256_known_answer() {
        // RFC 4231 test case 2.
        assert_eq!(
            hex::encode(hmac_sha256(b"Jefe", b"what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
