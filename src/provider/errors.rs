//! The one place where errors from Alibaba Cloud become Terraform diagnostics.

use std::time::Duration;

use crate::alicloud::Error;
use crate::plugin::diagnostics::{Diagnostics, Severity};
use crate::provider::lifecycle::LookupError;

/// A diagnostic for a failed RAM/STS call: what we were doing, RAM's code, message and
/// RequestId (in the error's display), and a one-line hint for the common failures.
pub fn api_error(doing: &str, error: &Error) -> Diagnostics {
    let mut diags = Diagnostics::new();
    let summary = match error.code() {
        Some(code) => format!("{doing}: {code}"),
        None => format!("{doing} failed"),
    };
    let mut detail = error.to_string();
    if let Some(hint) = error.hint() {
        detail.push_str("\n\nHint: ");
        detail.push_str(hint);
    }
    diags.error(summary, detail);
    diags
}

/// The diagnostic for an operation whose `timeouts` limit ran out, naming the limit and what
/// was still pending (the failed steps already reported).
pub fn timed_out(operation: &str, limit: Duration, reported: &Diagnostics) -> Diagnostics {
    let pending: Vec<&str> = reported
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .map(|d| d.summary.as_str())
        .collect();
    let mut diags = Diagnostics::new();
    diags.error(
        format!("Timed out: timeouts.{operation} ({}) ran out", format_limit(limit)),
        format!(
            "The {operation} of alicr_custom_oss_role did not finish within timeouts.{operation} = \"{}\". Still pending: {}. The state records what exists; run terraform apply again (or raise timeouts.{operation}) to converge.",
            format_limit(limit),
            pending.join("; ")
        ),
    );
    diags
}

fn format_limit(limit: Duration) -> String {
    if limit.subsec_millis() == 0 {
        format!("{}s", limit.as_secs())
    } else {
        format!("{}ms", limit.as_millis())
    }
}

/// Who asked to look up an existing role, so the wording fits the user's command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// `terraform import` or an `import {}` block: the ID is `ROLE_NAME[:POLICY_NAME]`.
    Import,
    /// The `alicr_custom_oss_role` data source: `role_name` and `policy_name` arguments.
    DataSource,
}

/// The diagnostic for a failed lookup of an existing role.
pub fn lookup_failed(error: LookupError, purpose: Purpose) -> Diagnostics {
    let verb = match purpose {
        Purpose::Import => "import",
        Purpose::DataSource => "read",
    };
    let mut diags = Diagnostics::new();
    match error {
        LookupError::Api(api) => return api,
        LookupError::InvalidId(id) => diags.error(
            "Invalid import ID",
            format!("expected ROLE_NAME or ROLE_NAME:POLICY_NAME, got {id:?}"),
        ),
        LookupError::RoleNotFound { role } => diags.error(
            format!("Cannot {verb} a RAM role that does not exist"),
            format!("no RAM role named {role:?} was found in this account"),
        ),
        LookupError::AmbiguousPolicy {
            role,
            default_policy,
            candidates,
        } => {
            let listed = if candidates.is_empty() {
                "none".to_string()
            } else {
                candidates.join(", ")
            };
            let remedy = match purpose {
                Purpose::Import => format!("Import with an ID of the form {role}:POLICY_NAME."),
                Purpose::DataSource => "Set policy_name to choose one.".to_string(),
            };
            diags.error(
                format!("Cannot tell which policy to {verb}"),
                format!(
                    "RAM role {role:?} does not have the policy {default_policy:?} attached, and \
                     not exactly one custom policy (attached custom policies: {listed}). {remedy}"
                ),
            );
        }
        LookupError::PolicyNotAttached { role, policy } => diags.error(
            format!("Cannot {verb}: policy not attached"),
            format!(
                "custom policy {policy:?} is not attached to RAM role {role:?} (or does not exist)"
            ),
        ),
    }
    diags
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
        }));
        let diags = api_error("Creating RAM role X", &error);
        let d = diags.iter().next().unwrap();
        assert_eq!(d.summary, "Creating RAM role X: NoPermission");
        assert!(d.detail.contains("REQ-123"), "{}", d.detail);
        assert!(d.detail.contains("not authorized"), "{}", d.detail);
        assert!(d.detail.contains("Hint:"), "{}", d.detail);
    }

    #[test]
    fn lookup_failures_are_worded_for_the_command() {
        let ambiguous = || LookupError::AmbiguousPolicy {
            role: "R".into(),
            default_policy: "P".into(),
            candidates: vec!["A".into(), "B".into()],
        };
        let import = lookup_failed(ambiguous(), Purpose::Import);
        let d = import.iter().next().unwrap();
        assert_eq!(d.summary, "Cannot tell which policy to import");
        assert!(
            d.detail.contains("A, B") && d.detail.contains("R:POLICY_NAME"),
            "{}",
            d.detail
        );
        let read = lookup_failed(ambiguous(), Purpose::DataSource);
        let d = read.iter().next().unwrap();
        assert_eq!(d.summary, "Cannot tell which policy to read");
        assert!(d.detail.contains("Set policy_name"), "{}", d.detail);
        let missing = lookup_failed(
            LookupError::RoleNotFound { role: "R".into() },
            Purpose::DataSource,
        );
        assert!(missing
            .iter()
            .next()
            .unwrap()
            .summary
            .contains("Cannot read"));
    }
}
