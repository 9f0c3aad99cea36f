//! Reading an answer: the envelope every answer carries, the typed result, or the error the
//! answer describes (scrubbed of our secrets, the server's bulky echoes left to the debug log).

use serde::de::DeserializeOwned;
use serde::Deserialize;
use tracing::debug;

use crate::alicloud::credentials::{scrub, Credentials};
use crate::alicloud::error::{ApiError, Error, ErrorKind};

/// The fields every answer may carry: the request id, and on errors the error document.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct Envelope {
    #[serde(rename = "RequestId")]
    pub(super) request_id: String,
    #[serde(rename = "HostId")]
    host_id: String,
    #[serde(rename = "Code")]
    pub(super) code: String,
    #[serde(rename = "Message")]
    message: String,
    #[serde(rename = "Recommend")]
    recommend: String,
}

impl Envelope {
    pub(super) fn parse(body: &[u8]) -> Envelope {
        serde_json::from_slice(body).unwrap_or_default()
    }
}

/// Turns a response into the typed result or the right error.
pub(super) fn decode<T: DeserializeOwned>(
    action: &str,
    status: u16,
    body: &[u8],
    envelope: Envelope,
    creds: &Credentials,
) -> Result<T, Error> {
    if !envelope.code.is_empty() && !(200..300).contains(&status) {
        return Err(api_error(action, status, envelope, creds));
    }
    if !(200..300).contains(&status) {
        return Err(Error::UnexpectedResponse {
            action: action.to_string(),
            http_status: status,
            message: "the answer is not an Alibaba Cloud error document".into(),
            attempts: 1,
        });
    }
    serde_json::from_slice(body).map_err(|e| Error::UnexpectedResponse {
        action: action.to_string(),
        http_status: status,
        // serde's message can quote the input (which may hold secrets): keep only its position.
        message: format!(
            "the answer does not have the expected shape ({:?} error at line {}, column {})",
            e.classify(),
            e.line(),
            e.column()
        ),
        attempts: 1,
    })
}

fn api_error(action: &str, status: u16, envelope: Envelope, creds: &Credentials) -> Error {
    let (message, bulk) = split_bulky(&scrub(&envelope.message, creds));
    if let Some(bulk) = bulk {
        // Whoever debugs a signature needs the server's string to sign; the user's terminal
        // does not (kilobytes of doubly encoded policy). It is scrubbed like the message.
        debug!(
            action,
            request_id = envelope.request_id.as_str(),
            code = envelope.code.as_str(),
            server_detail = bulk.as_str(),
            "server error detail left out of the error message"
        );
    }
    Error::Api(Box::new(ApiError {
        action: action.to_string(),
        kind: ErrorKind::from_code(&envelope.code),
        code: envelope.code,
        message,
        request_id: envelope.request_id,
        host_id: envelope.host_id,
        recommend: envelope.recommend,
        http_status: status,
        attempts: 1,
        after_lost_answer: false,
    }))
}

/// The longest server message an error keeps; longer ones are cut, whole in the debug log.
const MAX_MESSAGE_CHARS: usize = 500;

/// Where RAM's `SignatureDoesNotMatch` message starts echoing its string to sign (the whole
/// signed request, so kilobytes with a policy document in it).
const STRING_TO_SIGN: &str = "server string to sign is:";

/// What the error message shows, and the bulky rest of a server message for the debug log:
/// everything from an echoed string to sign on, and anything past [`MAX_MESSAGE_CHARS`].
/// Presentation only: what an error *means* is decided by its code, never by this text.
fn split_bulky(message: &str) -> (String, Option<String>) {
    // ASCII lower-casing keeps byte offsets, so the index is valid in `message`.
    if let Some(at) = message.to_ascii_lowercase().find(STRING_TO_SIGN) {
        let note = "the server's echo of the signed request is in the provider's debug log: \
                    TF_LOG_PROVIDER=debug";
        let shown = match message[..at].trim_end() {
            "" => note.to_string(),
            kept => format!("{kept} ({note})"),
        };
        return (shown, Some(message[at..].to_string()));
    }
    match message.char_indices().nth(MAX_MESSAGE_CHARS) {
        Some((at, _)) => (
            format!(
                "{}... (cut; the whole message is in the provider's debug log: TF_LOG_PROVIDER=debug)",
                &message[..at]
            ),
            Some(message.to_string()),
        ),
        None => (message.to_string(), None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn creds() -> Credentials {
        Credentials::new("AKID", "s3cr3t").with_security_token(Some("tok/+=en".into()))
    }

    #[derive(Debug, Deserialize)]
    struct Answer {
        #[serde(rename = "Value")]
        value: u32,
    }

    fn decode_answer(status: u16, body: &str) -> Result<Answer, Error> {
        decode(
            "GetRole",
            status,
            body.as_bytes(),
            Envelope::parse(body.as_bytes()),
            &creds(),
        )
    }

    #[test]
    fn decode_success_and_errors() {
        assert_eq!(
            decode_answer(200, r#"{"RequestId":"r","Value":3}"#)
                .map(|a| a.value)
                .ok(),
            Some(3)
        );
        let err = decode_answer(
            404,
            r#"{"RequestId":"R1","HostId":"ram.aliyuncs.com","Code":"EntityNotExist.Role","Message":"The role not exists: x.","Recommend":"https://example"}"#,
        )
        .expect_err("error");
        assert!(err.is_not_found());
        let api = err.api().expect("api");
        assert_eq!(api.request_id, "R1");
        assert_eq!(api.host_id, "ram.aliyuncs.com");
        assert_eq!(api.recommend, "https://example");
        assert_eq!(api.http_status, 404);
        let gateway = decode_answer(502, "<html>bad gateway</html>").expect_err("502");
        assert!(gateway.is_retryable());
        assert!(matches!(
            gateway,
            Error::UnexpectedResponse {
                http_status: 502,
                ..
            }
        ));
        let shape = decode_answer(200, r#"{"Value":"very-secret"}"#).expect_err("shape");
        assert!(!shape.to_string().contains("very-secret"));
    }

    #[test]
    fn error_messages_are_scrubbed_of_our_secrets() {
        let err = decode_answer(
            400,
            r#"{"RequestId":"R","Code":"SignatureDoesNotMatch","Message":"server string to sign is:POST&%2F&SecurityToken%3Dtok%252F%252B%253Den"}"#,
        )
        .expect_err("sig");
        assert!(err.is_signature_error());
        assert!(!err.to_string().contains("tok"), "{err}");
    }

    #[test]
    fn the_servers_string_to_sign_is_left_out_of_the_error() {
        let policy = "%257B%2522Statement%2522".repeat(200);
        let body = format!(
            r#"{{"RequestId":"R9","Code":"SignatureDoesNotMatch","Message":"Specified signature is not matched with our calculation. server string to sign is:POST&%2F&AccessKeyId%3DAKID%26PolicyDocument%3D{policy}"}}"#
        );
        let err = decode_answer(400, &body).expect_err("signature");
        assert!(err.is_signature_error());
        let text = err.to_string();
        assert!(!text.contains("string to sign"), "{text}");
        assert!(!text.contains("PolicyDocument"), "{text}");
        assert!(text.starts_with(
            "GetRole failed: SignatureDoesNotMatch: Specified signature is not matched with our calculation. ("
        ));
        assert!(text.contains("debug log"), "{text}");
        assert!(text.contains("RequestId: R9"), "{text}");
        assert!(text.len() < 300, "{} characters: {text}", text.len());
    }

    #[test]
    fn bulky_messages_are_split_for_the_debug_log() {
        let (shown, bulk) = split_bulky("short and to the point");
        assert_eq!(shown, "short and to the point");
        assert_eq!(bulk, None);
        let (shown, bulk) = split_bulky("Mismatch. Server String To Sign Is:GET&%2F&x");
        assert!(shown.starts_with("Mismatch. ("), "{shown}");
        assert_eq!(bulk.as_deref(), Some("Server String To Sign Is:GET&%2F&x"));
        let (shown, bulk) = split_bulky("server string to sign is:GET&%2F&x");
        assert!(shown.starts_with("the server's echo"), "{shown}");
        assert!(bulk.is_some());
        // Cut on a character boundary, whatever the characters.
        let long = "é".repeat(MAX_MESSAGE_CHARS + 1);
        let (shown, bulk) = split_bulky(&long);
        assert!(shown.starts_with(&"é".repeat(MAX_MESSAGE_CHARS)));
        assert!(shown.contains("cut;"), "{shown}");
        assert_eq!(bulk.as_deref(), Some(long.as_str()));
        let exact = "x".repeat(MAX_MESSAGE_CHARS);
        assert_eq!(split_bulky(&exact), (exact.clone(), None));
    }
}
