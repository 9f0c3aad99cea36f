//! What an API error code means: [`ErrorKind`], decided by the `Code` string alone.

/// What an API error code means to us. Decided by the `Code` string alone, never by the message
/// text or the HTTP status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// `EntityNotExist.*`
    NotFound,
    /// `EntityAlreadyExists.*`
    AlreadyExists,
    /// `DeleteConflict.*` (e.g. a role that still has policies attached).
    DeleteConflict,
    /// `LimitExceeded.*` (e.g. five policy versions).
    LimitExceeded,
    /// `MalformedPolicyDocument*`
    MalformedPolicy,
    /// `InvalidParameter*`, `MissingParameter*`, `InvalidInput*`
    InvalidParameter,
    /// `Throttling*`
    Throttling,
    /// `ServiceUnavailable*`
    ServiceUnavailable,
    /// `InternalError*`
    InternalError,
    /// `SignatureDoesNotMatch`, `IncompleteSignature`, `SignatureNonceUsed`, ...
    Signature,
    /// `InvalidTimeStamp.*`: the local clock is too far from the server's.
    ClockSkew,
    /// `InvalidAccessKeyId.*`, `InvalidSecurityToken.*`, `Forbidden.AccessKeyDisabled`.
    InvalidCredentials,
    /// `NoPermission*`, `Forbidden*`, `AccessDenied*`
    PermissionDenied,
    /// Any other code.
    Other,
}

impl ErrorKind {
    /// Classifies an API error code.
    pub fn from_code(code: &str) -> ErrorKind {
        const PREFIXES: &[(&str, ErrorKind)] = &[
            ("EntityNotExist", ErrorKind::NotFound),
            ("EntityAlreadyExists", ErrorKind::AlreadyExists),
            ("DeleteConflict", ErrorKind::DeleteConflict),
            ("LimitExceeded", ErrorKind::LimitExceeded),
            ("MalformedPolicyDocument", ErrorKind::MalformedPolicy),
            ("InvalidParameter", ErrorKind::InvalidParameter),
            ("MissingParameter", ErrorKind::InvalidParameter),
            ("InvalidInput", ErrorKind::InvalidParameter),
            ("Throttling", ErrorKind::Throttling),
            ("ServiceUnavailable", ErrorKind::ServiceUnavailable),
            ("InternalError", ErrorKind::InternalError),
            ("SignatureDoesNotMatch", ErrorKind::Signature),
            ("IncompleteSignature", ErrorKind::Signature),
            ("SignatureNonceUsed", ErrorKind::Signature),
            ("InvalidSignatureMethod", ErrorKind::Signature),
            ("UnsupportedSignatureVersion", ErrorKind::Signature),
            ("InvalidTimeStamp", ErrorKind::ClockSkew),
            ("InvalidAccessKeyId", ErrorKind::InvalidCredentials),
            ("InvalidSecurityToken", ErrorKind::InvalidCredentials),
            ("Forbidden.AccessKeyDisabled", ErrorKind::InvalidCredentials),
            ("NoPermission", ErrorKind::PermissionDenied),
            ("Forbidden", ErrorKind::PermissionDenied),
            ("AccessDenied", ErrorKind::PermissionDenied),
        ];
        PREFIXES
            .iter()
            .find(|(prefix, _)| code_has_prefix(code, prefix))
            .map_or(ErrorKind::Other, |(_, kind)| *kind)
    }
}

impl ErrorKind {
    /// Whether this kind of error is about the caller (its signature, clock, key, request rate)
    /// or the service's health rather than about the object a call names, so that it holds for
    /// any call the same caller makes.
    pub(crate) fn is_about_the_caller(self) -> bool {
        matches!(
            self,
            ErrorKind::Signature
                | ErrorKind::ClockSkew
                | ErrorKind::InvalidCredentials
                | ErrorKind::Throttling
                | ErrorKind::ServiceUnavailable
                | ErrorKind::InternalError
        )
    }
}

/// `code` is `prefix` itself or `prefix` followed by `.` and more.
fn code_has_prefix(code: &str, prefix: &str) -> bool {
    match code.strip_prefix(prefix) {
        Some(rest) => rest.is_empty() || rest.starts_with('.'),
        None => false,
    }
}
