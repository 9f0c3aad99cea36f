//! The one-line hints shown under an error's diagnostic: what to check or change.

use super::{Error, ErrorKind};

impl Error {
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
