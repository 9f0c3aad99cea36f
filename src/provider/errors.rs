//! The one place where errors from Alibaba Cloud become Terraform diagnostics.

use std::time::Duration;

use crate::alicloud::{Error, ErrorKind};
use crate::plugin::diagnostics::{Cause, Diagnostics, Severity};

/// A diagnostic for a failed RAM/STS call: what we were doing, RAM's code, message and
/// RequestId (in the error's display), and a one-line hint for the common failures. A failure
/// that is the caller's rather than the call's (see [`shared_cause`]) carries a [`Cause`], so
/// that concurrent steps failing the same way are reported once.
pub(crate) fn api_error(doing: &str, error: &Error) -> Diagnostics {
    let (summary, mut detail) = match error {
        Error::AssumeRole {
            role_arn,
            base,
            error: sts,
        } => (
            match sts.code() {
                Some(code) => {
                    format!("Cannot assume the provider's role {role_arn}: STS AssumeRole answered {code}")
                }
                None => {
                    format!("Cannot assume the provider's role {role_arn} through STS AssumeRole")
                }
            },
            format!(
                "The provider signs its calls as the role {role_arn}, which it assumes through STS \
                 AssumeRole with {base}. That failed, so nothing was sent for: {doing}.\n\n{sts}"
            ),
        ),
        Error::Credentials(message) => (
            "Cannot obtain the provider's credentials".to_string(),
            format!("{message}\n\nNothing was sent for: {doing}."),
        ),
        _ => (
            match error.code() {
                Some(code) => format!("{doing}: {code}"),
                None => format!("{doing} failed"),
            },
            error.to_string(),
        ),
    };
    if let Some(hint) = error.hint() {
        detail.push_str("\n\nHint: ");
        detail.push_str(hint);
    }
    let mut diags = Diagnostics::new();
    match shared_cause(error) {
        Some(cause) => diags.error_with_cause(cause, doing, summary, detail),
        None => diags.error(summary, detail),
    }
    diags
}

/// The cause of `error` when every call made with the same credentials fails the same way (a
/// rejected signature, a skewed clock, an unknown key, throttling that outlasted the retries,
/// credentials that cannot be obtained), so it is one problem however many steps hit it.
/// Per-object failures (`EntityAlreadyExists`, `NoPermission` for one action, ...) have none:
/// each is its own problem.
fn shared_cause(error: &Error) -> Option<Cause> {
    match error {
        Error::AssumeRole {
            role_arn, error, ..
        } => Some(Cause::new(format!(
            "assume-role {role_arn} {}",
            error.code().unwrap_or("(no code)")
        ))),
        Error::Credentials(message) => Some(Cause::new(format!("credentials {message}"))),
        // By kind and code, not by variant: throttling that outlasted the deadline arrives
        // wrapped in the deadline's error, still carrying RAM's code.
        _ => match (error.kind(), error.code()) {
            (
                Some(
                    ErrorKind::Signature
                    | ErrorKind::ClockSkew
                    | ErrorKind::InvalidCredentials
                    | ErrorKind::Throttling,
                ),
                Some(code),
            ) => Some(Cause::new(format!("api-code {code}"))),
            _ => None,
        },
    }
}

/// The diagnostic for an operation whose time limit ran out, naming the limit and what was
/// still pending (the failed steps already reported).
pub(crate) fn timed_out(
    ran_out: TimeLimit<'_>,
    limit: Duration,
    reported: &Diagnostics,
) -> Diagnostics {
    let pending: Vec<&str> = reported
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .map(|d| d.summary.as_str())
        .collect();
    let shown = format_limit(limit);
    let pending = pending.join("; ");
    let (summary, detail) = match ran_out {
        TimeLimit::Resource {
            type_name,
            operation: "read",
        } => (
            format!("Timed out: timeouts.read ({shown}) ran out"),
            format!(
                "Reading {type_name} from RAM did not finish within timeouts.read = \
                 \"{shown}\". Steps that failed or did not finish: {pending}. Nothing was changed. Check that the \
                 endpoint answers, or raise timeouts.read."
            ),
        ),
        TimeLimit::Resource {
            type_name,
            operation,
        } => (
            format!("Timed out: timeouts.{operation} ({shown}) ran out"),
            format!(
                "The {operation} of {type_name} did not finish within \
                 timeouts.{operation} = \"{shown}\". Steps that failed or did not finish: {pending}. The state records \
                 what exists; run terraform apply again (or raise timeouts.{operation}) to \
                 converge."
            ),
        ),
        TimeLimit::Fixed(what) => (
            format!("Timed out: {what} did not finish within {shown}"),
            format!(
                "The {what} did not finish within its time limit of {shown}. Steps that failed \
                 or did not finish: {pending}. Nothing was changed. Check that the endpoint answers, then try again."
            ),
        ),
    };
    let mut diags = Diagnostics::new();
    diags.error(summary, detail);
    diags
}

/// Which time limit ran out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TimeLimit<'a> {
    /// `timeouts.<operation>` of a resource, configured or at its default.
    Resource {
        type_name: &'a str,
        operation: &'a str,
    },
    /// A limit no `timeouts` block sets (import, the data source), named by what it bounds.
    Fixed(&'a str),
}

impl TimeLimit<'_> {
    /// How the limit is named in errors: `timeouts.read (120s)`, `the import's 120s limit`.
    pub(crate) fn describe(self, limit: Duration) -> String {
        match self {
            TimeLimit::Resource { operation, .. } => {
                format!("timeouts.{operation} ({})", format_limit(limit))
            }
            TimeLimit::Fixed(what) => format!("the {what}'s {} limit", format_limit(limit)),
        }
    }
}

fn format_limit(limit: Duration) -> String {
    if limit.subsec_millis() == 0 {
        format!("{}s", limit.as_secs())
    } else {
        format!("{}ms", limit.as_millis())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alicloud::{ApiError, ErrorKind};

    #[test]
    fn carries_code_message_request_id_and_hint() {
        let error = Error::Api(Box::new(ApiError {
            action: "CreateRole".into(),
            code: "NoPermission".into(),
            message: "You are not authorized to do this action.".into(),
            request_id: "REQ-123".into(),
            host_id: "ram.aliyuncs.com".into(),
            recommend: String::new(),
            http_status: 403,
            attempts: 1,
            kind: ErrorKind::from_code("NoPermission"),
            after_lost_answer: false,
        }));
        let diags = api_error("Creating RAM role X", &error);
        let d = diags.iter().next().unwrap();
        assert_eq!(d.summary, "Creating RAM role X: NoPermission");
        assert!(d.detail.contains("REQ-123"), "{}", d.detail);
        assert!(d.detail.contains("not authorized"), "{}", d.detail);
        assert!(d.detail.contains("Hint:"), "{}", d.detail);
    }

    fn api(action: &str, code: &str, request_id: &str) -> Error {
        Error::Api(Box::new(ApiError {
            action: action.into(),
            code: code.into(),
            message: "Specified signature is not matched with our calculation.".into(),
            request_id: request_id.into(),
            host_id: "ram.aliyuncs.com".into(),
            recommend: String::new(),
            http_status: 400,
            attempts: 1,
            kind: ErrorKind::from_code(code),
            after_lost_answer: false,
        }))
    }

    /// What the create does: both steps' diagnostics gathered with `extend`.
    fn both_creates(role: &Error, policy: &Error) -> Diagnostics {
        let mut diags = Diagnostics::new();
        diags.extend(api_error("Creating RAM role \"r\"", role));
        diags.extend(api_error("Creating RAM policy \"p\"", policy));
        diags
    }

    #[test]
    fn callers_problems_are_reported_once() {
        for code in [
            "SignatureDoesNotMatch",
            "InvalidAccessKeyId.NotFound",
            "InvalidTimeStamp.Expired",
            "Throttling.User",
        ] {
            let diags = both_creates(
                &api("CreateRole", code, "REQ-ROLE"),
                &api("CreatePolicy", code, "REQ-POLICY"),
            );
            let all: Vec<_> = diags.iter().collect();
            assert_eq!(all.len(), 1, "{code}: {all:?}");
            let d = all[0];
            assert_eq!(d.summary, format!("Creating RAM role \"r\": {code}"));
            assert!(d.detail.contains("RequestId: REQ-ROLE"), "{}", d.detail);
            assert!(d.detail.contains("\n\nHint: "), "{}", d.detail);
            assert!(
                d.detail
                    .ends_with("Also failed for the same reason: Creating RAM policy \"p\"."),
                "{}",
                d.detail
            );
        }
        let credentials = Error::Credentials("the ECS metadata service did not answer".into());
        let diags = both_creates(&credentials, &credentials);
        let all: Vec<_> = diags.iter().collect();
        assert_eq!(all.len(), 1, "{all:?}");
        assert_eq!(all[0].summary, "Cannot obtain the provider's credentials");
        assert!(all[0].detail.contains("ECS metadata"), "{}", all[0].detail);
    }

    #[test]
    fn per_object_problems_and_different_causes_stay_apart() {
        let exists = both_creates(
            &api("CreateRole", "EntityAlreadyExists.Role", "R1"),
            &api("CreatePolicy", "EntityAlreadyExists.Policy", "R2"),
        );
        assert_eq!(exists.iter().count(), 2);
        // NoPermission is about one action: each step may lack a different permission.
        let denied = both_creates(
            &api("CreateRole", "NoPermission", "R1"),
            &api("CreatePolicy", "NoPermission", "R2"),
        );
        assert_eq!(denied.iter().count(), 2);
        let mixed = both_creates(
            &api("CreateRole", "SignatureDoesNotMatch", "R1"),
            &api("CreatePolicy", "InvalidTimeStamp.Expired", "R2"),
        );
        assert_eq!(mixed.iter().count(), 2);
    }

    fn assume_role_failure(code: &str, request_id: &str) -> Error {
        Error::AssumeRole {
            role_arn: "acs:ram::123:role/deployer".into(),
            base: "static access key AKID from the provider configuration".into(),
            error: Box::new(Error::Api(Box::new(ApiError {
                action: "AssumeRole".into(),
                code: code.into(),
                message: "You are not authorized to do this action.".into(),
                request_id: request_id.into(),
                host_id: "sts.aliyuncs.com".into(),
                recommend: String::new(),
                http_status: 403,
                attempts: 1,
                kind: ErrorKind::from_code(code),
                after_lost_answer: false,
            }))),
        }
    }

    #[test]
    fn a_refused_assume_role_names_the_providers_role_not_the_step() {
        let diags = both_creates(
            &assume_role_failure("NoPermission", "STS-1"),
            &assume_role_failure("NoPermission", "STS-2"),
        );
        let all: Vec<_> = diags.iter().collect();
        assert_eq!(all.len(), 1, "{all:?}");
        let d = all[0];
        assert_eq!(
            d.summary,
            "Cannot assume the provider's role acs:ram::123:role/deployer: STS AssumeRole answered NoPermission"
        );
        for part in [
            "AssumeRole failed: NoPermission: You are not authorized",
            "RequestId: STS-1",
            "static access key AKID",
            "nothing was sent for: Creating RAM role \"r\"",
            "trust policy",
            "sts:AssumeRole",
            "Also failed for the same reason: Creating RAM policy \"p\".",
        ] {
            assert!(
                d.detail.contains(part),
                "{part:?} missing from {}",
                d.detail
            );
        }
        assert!(!d.detail.contains("AliyunRAMFullAccess"), "{}", d.detail);
        // A different answer for the same role is a different cause.
        let two = both_creates(
            &assume_role_failure("NoPermission", "STS-1"),
            &assume_role_failure("EntityNotExist.Role", "STS-2"),
        );
        assert_eq!(two.iter().count(), 2);
    }
}
