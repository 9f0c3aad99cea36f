//! What a handler answers: an HTTP status, a content type and a body, or an instruction to drop
//! the connection without answering (fault injection).

use serde_json::Value;

/// JSON content type of API and admin answers.
pub const JSON: &str = "application/json;charset=utf-8";
/// XML content type, spelled as the SDKs compare it.
pub const XML: &str = "text/xml;charset=utf-8";
/// Plain text (ECS metadata).
pub const TEXT: &str = "text/plain;charset=utf-8";

/// A complete HTTP answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpReply {
    pub status: u16,
    pub content_type: &'static str,
    pub body: Vec<u8>,
}

impl HttpReply {
    /// A JSON answer.
    pub fn json(status: u16, body: &Value) -> Self {
        HttpReply {
            status,
            content_type: JSON,
            body: serde_json::to_vec(body).unwrap_or_default(),
        }
    }

    /// A plain-text answer.
    pub fn text(status: u16, body: impl Into<String>) -> Self {
        HttpReply {
            status,
            content_type: TEXT,
            body: body.into().into_bytes(),
        }
    }
}

/// A handler's decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    Http(HttpReply),
    /// Drop the connection abruptly (TCP reset), sending nothing.
    Reset,
}
