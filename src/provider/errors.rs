//! The one place where errors from Alibaba Cloud become Terraform diagnostics.

use std::time::Duration;

use crate::alicloud::Error;
use crate::plugin::diagnostics::{Diagnostics, Severity};

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
}
