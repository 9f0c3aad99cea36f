//! The API error type every RAM/STS handler returns: an Alibaba error code, its message and the
//! HTTP status the real services answer it with.

use std::fmt;

/// An error answered to an API caller as `{RequestId, HostId, Code, Message, Recommend}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub status: u16,
    pub code: String,
    pub message: String,
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({}): {}", self.code, self.status, self.message)
    }
}

impl std::error::Error for ApiError {}

/// The HTTP status Alibaba Cloud answers a code with: 404 for missing entities, 409 for
/// conflicts and limits, 403 for permission problems, 5xx for server faults, else 400.
pub fn status_for_code(code: &str) -> u16 {
    let family = code.split('.').next().unwrap_or(code);
    match family {
        "EntityNotExist" | "InvalidAction" => 404,
        "InvalidAccessKeyId" if code == "InvalidAccessKeyId.NotFound" => 404,
        "EntityAlreadyExists" | "DeleteConflict" | "LimitExceeded" => 409,
        "NoPermission" | "Forbidden" | "Inactive" => 403,
        "InternalError" | "UnknownError" => 500,
        "ServiceUnavailable" => 503,
        _ => 400,
    }
}

impl ApiError {
    /// An error whose status follows from its code.
    pub fn new(code: impl Into<String>, message: impl Into<String>) -> Self {
        let code = code.into();
        ApiError {
            status: status_for_code(&code),
            code,
            message: message.into(),
        }
    }

    /// A required request parameter is absent or empty.
    pub fn missing_parameter(name: &str) -> Self {
        Self::new(
            "MissingParameter",
            format!(
                "The input parameter \"{name}\" that is mandatory for processing this request is not supplied."
            ),
        )
    }

    /// `InvalidParameter.<name>.InvalidChars`.
    pub fn invalid_chars(name: &str) -> Self {
        Self::new(
            format!("InvalidParameter.{name}.InvalidChars"),
            format!("The parameter - \"{name}\" contains invalid chars."),
        )
    }

    /// `InvalidParameter.<name>.Length`.
    pub fn invalid_length(name: &str) -> Self {
        Self::new(
            format!("InvalidParameter.{name}.Length"),
            format!("The parameter - \"{name}\" beyond the length limit."),
        )
    }

    /// `InvalidParameter.<name>` with a free-form reason.
    pub fn invalid_parameter(name: &str, reason: &str) -> Self {
        Self::new(
            format!("InvalidParameter.{name}"),
            format!("The parameter - \"{name}\" is invalid: {reason}"),
        )
    }

    /// The policy document is not a valid RAM policy.
    pub fn malformed_policy(detail: &str) -> Self {
        Self::new("MalformedPolicyDocument", detail.to_string())
    }

    /// A code injected by a fault rule, with a plausible message.
    pub fn injected(code: &str) -> Self {
        let message = match code {
            "ServiceUnavailable" => {
                "The request has failed due to a temporary failure of the server."
            }
            "InternalError" => {
                "The request processing has failed due to some unknown error, exception or failure."
            }
            c if c.starts_with("Throttling") => "Request was denied due to user flow control.",
            _ => "Injected by the emulator's fault rules.",
        };
        Self::new(code, message)
    }

    /// Unknown `Action` for the requested product version.
    pub fn unknown_action(action: &str) -> Self {
        Self::new(
            "InvalidAction.NotFound",
            format!(
                "Specified api is not found, please check your url and method. Action: {action}"
            ),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_follow_alibaba_conventions() {
        assert_eq!(status_for_code("EntityNotExist.Role"), 404);
        assert_eq!(status_for_code("EntityAlreadyExists.Role.Policy"), 409);
        assert_eq!(status_for_code("DeleteConflict.Role.Policy"), 409);
        assert_eq!(status_for_code("LimitExceeded.Policy.Version"), 409);
        assert_eq!(status_for_code("InvalidAccessKeyId.NotFound"), 404);
        assert_eq!(status_for_code("InvalidAccessKeyId.Inactive"), 400);
        assert_eq!(status_for_code("SignatureDoesNotMatch"), 400);
        assert_eq!(status_for_code("Throttling.User"), 400);
        assert_eq!(status_for_code("ServiceUnavailable"), 503);
        assert_eq!(status_for_code("InternalError"), 500);
        assert_eq!(status_for_code("NoPermission"), 403);
    }

    #[test]
    fn missing_parameter_names_it() {
        let e = ApiError::missing_parameter("RoleName");
        assert_eq!(e.code, "MissingParameter");
        assert!(e.message.contains("\"RoleName\""));
        assert_eq!(e.status, 400);
    }
}
