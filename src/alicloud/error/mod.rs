//! The client's error type: RAM/STS API errors classified by their `Code` (the `kind`
//! submodule), plus transport, timeout, configuration, credential and decoding failures, and
//! the one-line hints shown under them (the `hint` submodule). Nothing in here ever carries a
//! secret, a security token or a signature.

mod hint;
mod kind;

use std::fmt;

use super::retry::RetryClass;

pub use kind::ErrorKind;

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
    pub(crate) fn retry_class(&self) -> Option<RetryClass> {
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
    pub(crate) fn follows_a_lost_answer(&self) -> bool {
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
    pub(crate) fn retry_class(&self) -> Option<RetryClass> {
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
}

#[cfg(test)]
mod tests;
