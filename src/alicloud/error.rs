//! The client's error type: RAM/STS API errors classified by their `Code`, plus transport,
//! timeout, configuration, credential and decoding failures. Nothing in here ever carries a
//! secret, a security token or a signature.

use std::fmt;

use super::retry::RetryClass;

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
    pub fn is_about_the_caller(self) -> bool {
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

/// An error answer from RAM or STS: `{RequestId, HostId, Code, Message, Recommend}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// The action that failed, e.g. `CreateRole`.
    pub action: String,
    /// The error code, e.g. `EntityNotExist.Role`.
    pub code: String,
    /// The server's message (with any secret of ours removed).
    pub message: String,
    /// The request id, for Alibaba support.
    pub request_id: String,
    /// The host that answered.
    pub host_id: String,
    /// The diagnosis URL Alibaba recommends, if any.
    pub recommend: String,
    /// The HTTP status of the answer.
    pub http_status: u16,
    /// How many attempts were made before giving up.
    pub attempts: u32,
    /// The classification of `code`.
    pub kind: ErrorKind,
    /// Whether an earlier attempt of the same call had its answer lost, so that this answer
    /// may describe what that attempt did (`EntityAlreadyExists` after a lost `CreateRole`).
    pub after_lost_answer: bool,
}

/// What went wrong at the transport level.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransportKind {
    /// Could not connect (refused, DNS, TLS handshake).
    Connect,
    /// A connect or read timeout of a single attempt.
    Timeout,
    /// The connection broke while sending or receiving.
    Other,
}

/// Every error the Alibaba Cloud client returns.
#[derive(Debug, Clone, thiserror::Error)]
pub enum Error {
    /// RAM or STS answered with an error code.
    #[error("{0}")]
    Api(Box<ApiError>),
    /// The request could not be completed at the transport level.
    #[error("{action}: {kind_text} error talking to {endpoint}: {message} (after {attempts} attempt(s))", kind_text = transport_text(*.kind))]
    Transport {
        /// The action being called.
        action: String,
        /// The endpoint (scheme, host, port) being called.
        endpoint: String,
        /// What kind of transport failure.
        kind: TransportKind,
        /// The underlying error text (never contains request parameters).
        message: String,
        /// How many attempts were made.
        attempts: u32,
    },
    /// The call's deadline ran out before a successful answer: mid-attempt, or when the next
    /// backoff would have passed it (throttling is retried until this happens).
    #[error("{action}: {deadline} ran out after {attempts} attempt(s){}", last_error_suffix(.last_error))]
    DeadlineExceeded {
        /// The action being called.
        action: String,
        /// How many attempts were made.
        attempts: u32,
        /// Which deadline ran out, as the caller named it ([`crate::alicloud::Client::with_named_deadline`]),
        /// e.g. `timeouts.read (2m)`; or the client's own operation timeout.
        deadline: String,
        /// Whether an attempt may have taken effect without its answer arriving: one cut short
        /// by the deadline, or an earlier one whose answer was lost.
        outcome_unknown: bool,
        /// The error of the last attempt that ended, if there was one.
        last_error: Option<Box<Error>>,
    },
    /// An earlier attempt's answer was lost after its request was sent (so it may have taken
    /// effect), and the retries ended with an error that says nothing about that attempt (e.g.
    /// throttling, or a refused connection): the outcome of the call is unknown.
    #[error("{action}: outcome unknown: an earlier attempt may have taken effect (its answer was lost); the last of {attempts} attempt(s) failed: {last_error}")]
    OutcomeUnknown {
        /// The action being called.
        action: String,
        /// How many attempts were made.
        attempts: u32,
        /// The error of the last attempt.
        last_error: Box<Error>,
    },
    /// The server answered something that is neither a result nor an error document.
    #[error("{action}: unexpected answer (HTTP {http_status}): {message}")]
    UnexpectedResponse {
        /// The action being called.
        action: String,
        /// The HTTP status.
        http_status: u16,
        /// What was wrong (never includes the raw body, which could echo parameters).
        message: String,
        /// How many attempts were made.
        attempts: u32,
    },
    /// Invalid client configuration (bad endpoint, bad option).
    #[error("invalid configuration: {0}")]
    Config(String),
    /// No credentials could be found, or fetching temporary credentials failed.
    #[error("{0}")]
    Credentials(String),
    /// The provider's own credentials are a role it assumes through STS `AssumeRole` (the
    /// `assume_role` block, `ALIBABA_CLOUD_ROLE_ARN` or a RamRoleArn profile), and that failed;
    /// the call that needed them was not sent. The STS error stays inside, out of reach of
    /// [`Error::api`]: STS's `EntityNotExist.Role` about *this* role must never read as the
    /// managed role being gone.
    #[error("assuming the role {role_arn} (with {base}) failed: {error}")]
    AssumeRole {
        /// The ARN of the role the provider assumes.
        role_arn: String,
        /// The base identity that called `AssumeRole` (a description, never secret).
        base: String,
        /// What STS (or the way to it) answered.
        error: Box<Error>,
    },
}

fn transport_text(kind: TransportKind) -> &'static str {
    match kind {
        TransportKind::Connect => "connection",
        TransportKind::Timeout => "timeout",
        TransportKind::Other => "transport",
    }
}

fn last_error_suffix(last: &Option<Box<Error>>) -> String {
    match last {
        Some(e) => format!("; last error: {e}"),
        None => String::new(),
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} failed: {}: {} (RequestId: {}",
            self.action, self.code, self.message, self.request_id
        )?;
        if self.attempts > 1 {
            write!(f, ", after {} attempts", self.attempts)?;
        }
        write!(f, ")")
    }
}

impl ApiError {
    /// Whether another attempt may succeed: throttling, service unavailable, internal error, or
    /// any HTTP 5xx answer.
    pub fn is_retryable(&self) -> bool {
        self.retry_class().is_some()
    }

    /// How another attempt is bounded: throttling until the deadline, other transient failures
    /// by `max_retries` too.
    pub fn retry_class(&self) -> Option<RetryClass> {
        match self.kind {
            ErrorKind::Throttling | ErrorKind::ServiceUnavailable => Some(RetryClass::Throttled),
            ErrorKind::InternalError => Some(RetryClass::Transient),
            _ if (500..600).contains(&self.http_status) => Some(RetryClass::Transient),
            _ => None,
        }
    }
}

impl Error {
    /// The API error, if this is one (for an unknown outcome or a deadline that ran out, the
    /// last attempt's, so that throttling until the deadline still reads as throttling).
    pub fn api(&self) -> Option<&ApiError> {
        match self {
            Error::Api(e) => Some(e),
            Error::OutcomeUnknown { last_error, .. } => last_error.api(),
            Error::DeadlineExceeded {
                last_error: Some(last),
                ..
            } => last.api(),
            // STS's answer, for its code and RequestId; `kind` decides what it means here.
            Error::AssumeRole { error, .. } => error.api(),
            _ => None,
        }
    }

    /// `self`, or, when an earlier attempt's outcome was unknown and `self` (the last attempt's
    /// error) is a transient failure that tells nothing about it, [`Error::OutcomeUnknown`].
    /// Definite answers (`EntityAlreadyExists`, `EntityNotExist`, …) stay as they are: they
    /// describe the state the earlier attempt left, and callers act on them.
    pub(crate) fn after_unknown_attempt(
        self,
        earlier_unknown: bool,
        action: &str,
        attempts: u32,
    ) -> Error {
        if let Error::DeadlineExceeded {
            action,
            attempts,
            deadline,
            outcome_unknown,
            last_error,
        } = self
        {
            return Error::DeadlineExceeded {
                action,
                attempts,
                deadline,
                outcome_unknown: outcome_unknown || earlier_unknown,
                last_error,
            };
        }
        let says_nothing = self.is_retryable() || self.is_credential_failure();
        if !earlier_unknown || self.is_outcome_unknown() || !says_nothing {
            return match self {
                Error::Api(mut api) => {
                    api.after_lost_answer = earlier_unknown;
                    Error::Api(api)
                }
                other => other,
            };
        }
        Error::OutcomeUnknown {
            action: action.to_string(),
            attempts,
            last_error: Box::new(self),
        }
    }

    /// Whether this definite answer came after an earlier attempt of the same call whose answer
    /// was lost: then "already exists" may be that attempt's own work, and only then.
    pub fn follows_a_lost_answer(&self) -> bool {
        matches!(self, Error::Api(api) if api.after_lost_answer)
    }

    /// Whether the call failed before it was sent because the provider's own credentials could
    /// not be obtained (none found, metadata service, STS `AssumeRole`).
    pub fn is_credential_failure(&self) -> bool {
        matches!(self, Error::Credentials(_) | Error::AssumeRole { .. })
    }

    /// The classification of the API error code; `None` for non-API errors.
    pub fn kind(&self) -> Option<ErrorKind> {
        let kind = self.api()?.kind;
        match self {
            // What STS said about the provider's own role (`EntityNotExist.Role`, ...) says
            // nothing about the object of the call it blocked; only what is about the caller
            // (throttling, signature, key) holds for that call too.
            Error::AssumeRole { .. } if !kind.is_about_the_caller() => None,
            _ => Some(kind),
        }
    }

    /// The API error code, if any.
    pub fn code(&self) -> Option<&str> {
        self.api().map(|e| e.code.as_str())
    }

    /// The request id of the API error, if any.
    pub fn request_id(&self) -> Option<&str> {
        self.api().map(|e| e.request_id.as_str())
    }

    fn kind_is(&self, kind: ErrorKind) -> bool {
        self.kind() == Some(kind)
    }

    /// `EntityNotExist.*`
    pub fn is_not_found(&self) -> bool {
        self.kind_is(ErrorKind::NotFound)
    }

    /// `EntityAlreadyExists.*`
    pub fn is_already_exists(&self) -> bool {
        self.kind_is(ErrorKind::AlreadyExists)
    }

    /// `DeleteConflict.*`
    pub fn is_delete_conflict(&self) -> bool {
        self.kind_is(ErrorKind::DeleteConflict)
    }

    /// `LimitExceeded.*`
    pub fn is_limit_exceeded(&self) -> bool {
        self.kind_is(ErrorKind::LimitExceeded)
    }

    /// `MalformedPolicyDocument*`
    pub fn is_malformed_policy(&self) -> bool {
        self.kind_is(ErrorKind::MalformedPolicy)
    }

    /// `InvalidParameter*` / `MissingParameter*` / `InvalidInput*`
    pub fn is_invalid_parameter(&self) -> bool {
        self.kind_is(ErrorKind::InvalidParameter)
    }

    /// `Throttling*`
    pub fn is_throttling(&self) -> bool {
        self.kind_is(ErrorKind::Throttling)
    }

    /// A signature problem (`SignatureDoesNotMatch`, `IncompleteSignature`, ...) or clock skew.
    pub fn is_signature_error(&self) -> bool {
        self.kind_is(ErrorKind::Signature) || self.kind_is(ErrorKind::ClockSkew)
    }

    /// `InvalidTimeStamp.*`
    pub fn is_clock_skew(&self) -> bool {
        self.kind_is(ErrorKind::ClockSkew)
    }

    /// Unknown or disabled access key, or an invalid or expired security token.
    pub fn is_invalid_credentials(&self) -> bool {
        self.kind_is(ErrorKind::InvalidCredentials)
    }

    /// `NoPermission*` / `Forbidden*` / `AccessDenied*`
    pub fn is_permission_denied(&self) -> bool {
        self.kind_is(ErrorKind::PermissionDenied)
    }

    /// A timeout: of one attempt at the transport level, or of the whole operation.
    pub fn is_timeout(&self) -> bool {
        matches!(
            self,
            Error::Transport {
                kind: TransportKind::Timeout,
                ..
            } | Error::DeadlineExceeded { .. }
        )
    }

    /// Whether the outcome of a mutating call is unknown: the request may have reached the
    /// server (timeouts, broken connections, deadline passed mid-call).
    pub fn is_outcome_unknown(&self) -> bool {
        match self {
            Error::Transport { kind, .. } => *kind != TransportKind::Connect,
            Error::DeadlineExceeded {
                outcome_unknown, ..
            } => *outcome_unknown,
            Error::OutcomeUnknown { .. } => true,
            Error::UnexpectedResponse { http_status, .. } => *http_status >= 500,
            Error::Api(e) => e.http_status >= 500,
            Error::Config(_) | Error::Credentials(_) | Error::AssumeRole { .. } => false,
        }
    }

    /// Whether another attempt may succeed.
    pub fn is_retryable(&self) -> bool {
        self.retry_class().is_some()
    }

    /// How another attempt is bounded, if one may succeed: throttling (`Throttling*`,
    /// `ServiceUnavailable`) until the deadline; other transient failures (`InternalError`,
    /// HTTP 5xx, connection errors, per-attempt timeouts) by `max_retries` too.
    pub fn retry_class(&self) -> Option<RetryClass> {
        match self {
            Error::Api(e) => e.retry_class(),
            Error::Transport { .. } => Some(RetryClass::Transient),
            Error::UnexpectedResponse { http_status, .. } if (500..600).contains(http_status) => {
                Some(RetryClass::Transient)
            }
            Error::UnexpectedResponse { .. }
            | Error::DeadlineExceeded { .. }
            | Error::OutcomeUnknown { .. }
            | Error::Config(_)
            | Error::Credentials(_)
            | Error::AssumeRole { .. } => None,
        }
    }

    /// Which deadline ran out, as the caller named it, when that is what ended the call (also
    /// when it ended the `AssumeRole` of the provider's own role).
    pub fn deadline(&self) -> Option<&str> {
        match self {
            Error::DeadlineExceeded { deadline, .. } => Some(deadline),
            Error::AssumeRole { error, .. } => error.deadline(),
            _ => None,
        }
    }

    /// How many attempts were made, where known.
    pub fn attempts(&self) -> Option<u32> {
        match self {
            Error::Api(e) => Some(e.attempts),
            Error::Transport { attempts, .. }
            | Error::DeadlineExceeded { attempts, .. }
            | Error::OutcomeUnknown { attempts, .. }
            | Error::UnexpectedResponse { attempts, .. } => Some(*attempts),
            Error::Config(_) | Error::Credentials(_) | Error::AssumeRole { .. } => None,
        }
    }

    pub(crate) fn set_attempts(&mut self, n: u32) {
        match self {
            Error::Api(e) => e.attempts = n,
            Error::Transport { attempts, .. }
            | Error::DeadlineExceeded { attempts, .. }
            | Error::OutcomeUnknown { attempts, .. }
            | Error::UnexpectedResponse { attempts, .. } => *attempts = n,
            Error::Config(_) | Error::Credentials(_) | Error::AssumeRole { .. } => {}
        }
    }

    /// A one-line hint for the common errors, to show under the diagnostic.
    pub fn hint(&self) -> Option<&'static str> {
        if let Error::AssumeRole { error, .. } = self {
            return assume_role_hint(error);
        }
        if let Error::DeadlineExceeded {
            last_error: Some(last),
            ..
        }
        | Error::OutcomeUnknown {
            last_error: last, ..
        } = self
        {
            if let Some(hint) = last.hint() {
                return Some(hint);
            }
        }
        if self.is_timeout() {
            return Some("Alibaba Cloud did not answer in time; check the network path to the endpoint, or retry");
        }
        match self.kind()? {
            ErrorKind::PermissionDenied => Some(
                "the credentials in use lack a RAM permission for this action; grant it (for example the \
                 AliyunRAMFullAccess system policy) or configure other credentials",
            ),
            ErrorKind::Signature => Some(
                "the request signature was rejected; check that the AccessKey secret belongs to the AccessKey ID",
            ),
            ErrorKind::ClockSkew => Some(
                "the local clock differs from Alibaba Cloud's by more than 15 minutes; synchronise it (NTP)",
            ),
            ErrorKind::InvalidCredentials => Some(
                "the AccessKey ID is unknown or disabled, or the security token expired; check the configured credentials",
            ),
            ErrorKind::Throttling => Some(
                "Alibaba Cloud kept throttling the calls until the time allowed ran out (throttling is retried \
                 until then, whatever max_retries says); lower terraform's -parallelism, or allow more time",
            ),
            ErrorKind::ServiceUnavailable | ErrorKind::InternalError => {
                Some("Alibaba Cloud reported a transient failure that outlasted the retries; try again later")
            }
            _ => None,
        }
    }
}

/// The hint for a failed `AssumeRole` of the provider's own role: the base credentials' own
/// problem when STS says so (signature, clock, key, throttling, timeouts), the STS endpoint
/// when it could not be reached, else the two things that decide whether a role may be
/// assumed: its trust policy and the base identity's `sts:AssumeRole` permission.
fn assume_role_hint(error: &Error) -> Option<&'static str> {
    match error.kind() {
        Some(kind) if kind.is_about_the_caller() => error.hint(),
        Some(ErrorKind::InvalidParameter) => Some(
            "check the provider's assume_role settings: session_name (2-64 of A-Z a-z 0-9 . @ - _), \
             session_expiration (900 up to the role's MaxSessionDuration) and policy",
        ),
        Some(_) => Some(
            "check that role_arn names an existing role, that the trust policy of that role allows \
             the base identity to assume it (with the external_id its condition asks for), and \
             that the base identity is granted sts:AssumeRole on that role",
        ),
        None => error.hint().or(match error {
            Error::Transport { .. } => Some(
                "STS could not be reached; check the provider's region and endpoints.sts, and the \
                 network path to it",
            ),
            _ => None,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api(code: &str, status: u16) -> Error {
        Error::Api(Box::new(ApiError {
            action: "CreateRole".into(),
            code: code.into(),
            message: "msg".into(),
            request_id: "REQ-1".into(),
            host_id: "ram.aliyuncs.com".into(),
            recommend: String::new(),
            http_status: status,
            attempts: 1,
            kind: ErrorKind::from_code(code),
            after_lost_answer: false,
        }))
    }

    #[test]
    fn only_an_answer_after_a_lost_one_may_describe_the_lost_attempt() {
        let exists = || api("EntityAlreadyExists.Role", 409);
        assert!(!exists().follows_a_lost_answer());
        assert!(!exists()
            .after_unknown_attempt(false, "CreateRole", 2)
            .follows_a_lost_answer());
        assert!(exists()
            .after_unknown_attempt(true, "CreateRole", 2)
            .follows_a_lost_answer());
    }

    #[test]
    fn classification_by_code() {
        assert!(api("EntityNotExist.Role", 404).is_not_found());
        assert!(api("EntityNotExist.Role.Policy", 404).is_not_found());
        assert!(api("EntityAlreadyExists.Role", 409).is_already_exists());
        assert!(api("EntityAlreadyExists.Policy", 409).is_already_exists());
        assert!(api("DeleteConflict.Role.Policy", 409).is_delete_conflict());
        assert!(api("LimitExceeded.Policy.Version", 409).is_limit_exceeded());
        assert!(api("MalformedPolicyDocument", 400).is_malformed_policy());
        assert!(api("Throttling.User", 400).is_throttling());
        assert!(api("Throttling", 400).is_throttling());
        assert!(api("SignatureDoesNotMatch", 400).is_signature_error());
        assert!(api("InvalidTimeStamp.Expired", 400).is_clock_skew());
        assert!(api("InvalidTimeStamp.Expired", 400).is_signature_error());
        assert!(api("NoPermission", 403).is_permission_denied());
        assert!(api("InvalidAccessKeyId.NotFound", 404).is_invalid_credentials());
        assert!(api("InvalidSecurityToken.Expired", 400).is_invalid_credentials());
        assert!(api("MissingParameter", 400).is_invalid_parameter());
    }

    #[test]
    fn status_does_not_decide_the_kind() {
        // A not-found code with an odd status is still not-found; a 404 with another code is not.
        assert!(api("EntityNotExist.Role", 400).is_not_found());
        assert!(!api("InvalidParameter", 404).is_not_found());
    }

    #[test]
    fn prefix_must_end_at_a_dot() {
        assert_eq!(ErrorKind::from_code("EntityNotExistish"), ErrorKind::Other);
        assert_eq!(ErrorKind::from_code("ThrottlingX"), ErrorKind::Other);
        assert_eq!(ErrorKind::from_code(""), ErrorKind::Other);
    }

    #[test]
    fn retry_classification() {
        assert!(api("Throttling.User", 400).is_retryable());
        assert!(api("Throttling.Api", 400).is_retryable());
        assert!(api("ServiceUnavailable", 503).is_retryable());
        assert!(api("InternalError", 500).is_retryable());
        assert!(api("SomethingOdd", 502).is_retryable());
        assert_eq!(
            api("Throttling.User", 400).retry_class(),
            Some(RetryClass::Throttled)
        );
        assert_eq!(
            api("ServiceUnavailable", 503).retry_class(),
            Some(RetryClass::Throttled)
        );
        assert_eq!(
            api("InternalError", 500).retry_class(),
            Some(RetryClass::Transient)
        );
        assert_eq!(
            api("SomethingOdd", 502).retry_class(),
            Some(RetryClass::Transient)
        );
        assert_eq!(api("NoPermission", 403).retry_class(), None);
        assert!(!api("EntityNotExist.Role", 404).is_retryable());
        assert!(!api("SignatureDoesNotMatch", 400).is_retryable());
        assert!(!api("NoPermission", 403).is_retryable());
        assert!(!api("InvalidParameter", 400).is_retryable());
        let transport = |kind| Error::Transport {
            action: "GetRole".into(),
            endpoint: "https://ram.aliyuncs.com".into(),
            kind,
            message: "reset".into(),
            attempts: 1,
        };
        assert!(transport(TransportKind::Connect).is_retryable());
        assert!(transport(TransportKind::Timeout).is_retryable());
        assert!(transport(TransportKind::Other).is_retryable());
        assert!(!transport(TransportKind::Connect).is_outcome_unknown());
        assert!(transport(TransportKind::Timeout).is_outcome_unknown());
        assert!(!Error::Config("x".into()).is_retryable());
        assert!(!Error::Credentials("x".into()).is_retryable());
        let deadline = Error::DeadlineExceeded {
            action: "GetRole".into(),
            attempts: 3,
            deadline: "timeouts.read (2m)".into(),
            outcome_unknown: true,
            last_error: None,
        };
        assert!(!deadline.is_retryable());
        assert!(deadline.is_timeout());
        assert!(deadline.is_outcome_unknown());
        assert_eq!(deadline.deadline(), Some("timeouts.read (2m)"));
        assert_eq!(
            deadline.to_string(),
            "GetRole: timeouts.read (2m) ran out after 3 attempt(s)"
        );
        assert!(deadline.hint().is_some_and(|h| h.contains("in time")));
        let throttled_then_deadline = Error::DeadlineExceeded {
            action: "GetRole".into(),
            attempts: 3,
            deadline: "the operation's deadline".into(),
            outcome_unknown: false,
            last_error: Some(Box::new(api("Throttling.User", 400))),
        };
        // Throttled throughout: nothing took effect, and it still reads as throttling.
        assert!(!throttled_then_deadline.is_outcome_unknown());
        assert!(throttled_then_deadline.is_throttling());
        assert_eq!(throttled_then_deadline.code(), Some("Throttling.User"));
        assert!(throttled_then_deadline
            .hint()
            .is_some_and(|h| h.contains("-parallelism") && h.contains("until")));
        assert!(throttled_then_deadline
            .to_string()
            .contains("Throttling.User"));
        // A lost answer before the throttling makes the outcome unknown.
        assert!(throttled_then_deadline
            .clone()
            .after_unknown_attempt(true, "GetRole", 3)
            .is_outcome_unknown());
        let unexpected = |status| Error::UnexpectedResponse {
            action: "GetRole".into(),
            http_status: status,
            message: "not JSON".into(),
            attempts: 1,
        };
        assert!(unexpected(502).is_retryable());
        assert!(!unexpected(404).is_retryable());
    }

    #[test]
    fn a_lost_answer_is_not_forgotten_by_later_attempts() {
        let refused = Error::Transport {
            action: "CreateRole".into(),
            endpoint: "https://ram.aliyuncs.com".into(),
            kind: TransportKind::Connect,
            message: "refused".into(),
            attempts: 3,
        };
        // Transient last errors after a lost answer: the outcome is unknown.
        for last in [api("Throttling.User", 400), refused.clone()] {
            let code = last.code().map(str::to_string);
            let wrapped = last.after_unknown_attempt(true, "CreateRole", 3);
            assert!(wrapped.is_outcome_unknown(), "{wrapped}");
            assert!(!wrapped.is_retryable());
            assert_eq!(wrapped.attempts(), Some(3));
            assert_eq!(wrapped.code().map(str::to_string), code);
            assert!(wrapped.to_string().contains("may have taken effect"));
        }
        assert!(api("Throttling.User", 400)
            .after_unknown_attempt(true, "CreateRole", 3)
            .hint()
            .is_some_and(|h| h.contains("-parallelism")));
        // Definite answers stay as they are; so does everything when no answer was lost.
        let exists =
            api("EntityAlreadyExists.Role", 409).after_unknown_attempt(true, "CreateRole", 2);
        assert!(exists.is_already_exists() && !exists.is_outcome_unknown());
        assert!(!refused
            .after_unknown_attempt(false, "CreateRole", 3)
            .is_outcome_unknown());
        assert!(Error::Credentials("expired".into())
            .after_unknown_attempt(true, "CreateRole", 2)
            .is_outcome_unknown());
    }

    #[test]
    fn display_has_code_message_and_request_id() {
        let text = api("EntityNotExist.Role", 404).to_string();
        assert!(text.contains("CreateRole"));
        assert!(text.contains("EntityNotExist.Role"));
        assert!(text.contains("msg"));
        assert!(text.contains("RequestId: REQ-1"));
        let mut e = api("Throttling.User", 400);
        e.set_attempts(4);
        assert!(e.to_string().contains("after 4 attempts"));
    }

    #[test]
    fn hints_for_common_errors() {
        assert!(api("NoPermission", 403)
            .hint()
            .is_some_and(|h| h.contains("permission")));
        assert!(api("SignatureDoesNotMatch", 400)
            .hint()
            .is_some_and(|h| h.contains("secret")));
        assert!(api("InvalidTimeStamp.Expired", 400)
            .hint()
            .is_some_and(|h| h.contains("clock")));
        assert!(api("Throttling.User", 400)
            .hint()
            .is_some_and(|h| h.contains("-parallelism")));
        assert!(api("EntityNotExist.Role", 404).hint().is_none());
    }

    fn assume_role_failed(inner: Error) -> Error {
        Error::AssumeRole {
            role_arn: "acs:ram::1:role/deployer".into(),
            base: "static access key AKID from the provider configuration".into(),
            error: Box::new(inner),
        }
    }

    #[test]
    fn a_failed_assume_role_is_no_answer_about_the_call_it_blocked() {
        let gone = assume_role_failed(api("EntityNotExist.Role", 404));
        // STS saying the provider's role does not exist says nothing about the managed role.
        assert!(!gone.is_not_found());
        assert_eq!(gone.kind(), None);
        // What STS answered stays readable, for the diagnostic.
        assert_eq!(gone.code(), Some("EntityNotExist.Role"));
        assert_eq!(gone.request_id(), Some("REQ-1"));
        // Throttling (or a bad signature) of the base identity holds for the blocked call too.
        let throttled = assume_role_failed(api("Throttling.User", 400));
        assert!(throttled.is_throttling());
        assert!(!throttled.is_retryable(), "STS calls were retried already");
        assert!(assume_role_failed(api("SignatureDoesNotMatch", 400)).is_signature_error());
        assert!(!assume_role_failed(api("NoPermission", 403)).is_permission_denied());
        assert!(gone.is_credential_failure());
        assert!(!gone.is_retryable());
        assert!(!gone.is_outcome_unknown());
        assert!(!gone.is_timeout());
        assert_eq!(gone.attempts(), None);
        let text = gone.to_string();
        assert!(text.contains("acs:ram::1:role/deployer"), "{text}");
        assert!(text.contains("static access key AKID"), "{text}");
        assert!(
            text.contains("CreateRole failed: EntityNotExist.Role"),
            "{text}"
        );
        // After a lost answer it says nothing about that attempt, like any credential failure.
        assert!(assume_role_failed(api("NoPermission", 403))
            .after_unknown_attempt(true, "CreateRole", 2)
            .is_outcome_unknown());
        assert!(Error::Credentials("x".into()).is_credential_failure());
        assert!(!api("NoPermission", 403).is_credential_failure());
    }

    #[test]
    fn a_failed_assume_role_hints_at_the_trust_policy_or_the_base_credentials() {
        for code in ["NoPermission", "EntityNotExist.Role", "SomethingNew"] {
            let hint = assume_role_failed(api(code, 403))
                .hint()
                .unwrap_or_default();
            assert!(hint.contains("trust policy"), "{code}: {hint}");
            assert!(hint.contains("sts:AssumeRole"), "{code}: {hint}");
            assert!(!hint.contains("AliyunRAMFullAccess"), "{code}: {hint}");
        }
        let signature = assume_role_failed(api("SignatureDoesNotMatch", 400));
        assert!(signature
            .hint()
            .is_some_and(|h| h.contains("AccessKey secret")));
        let session = assume_role_failed(api("InvalidParameter.DurationSeconds", 400));
        assert!(session
            .hint()
            .is_some_and(|h| h.contains("session_expiration")));
        let slow = assume_role_failed(Error::DeadlineExceeded {
            action: "AssumeRole".into(),
            attempts: 2,
            deadline: "timeouts.create (20m)".into(),
            outcome_unknown: false,
            last_error: None,
        });
        assert!(slow.hint().is_some_and(|h| h.contains("in time")));
        assert_eq!(slow.deadline(), Some("timeouts.create (20m)"));
        let unreachable = assume_role_failed(Error::Transport {
            action: "AssumeRole".into(),
            endpoint: "https://sts.cn-hangzhou.aliyuncs.com".into(),
            kind: TransportKind::Connect,
            message: "refused".into(),
            attempts: 1,
        });
        assert!(unreachable
            .hint()
            .is_some_and(|h| h.contains("endpoints.sts")));
        let incomplete = assume_role_failed(Error::Credentials(
            "STS returned incomplete temporary credentials".into(),
        ));
        assert_eq!(incomplete.hint(), None);
    }
}
