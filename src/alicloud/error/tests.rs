//! Unit tests of error classification, retry classes, lost answers, display and hints.

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
    assert_eq!(
        api("InvalidTimeStamp.Expired", 400).kind(),
        Some(ErrorKind::ClockSkew)
    );
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
    let exists = api("EntityAlreadyExists.Role", 409).after_unknown_attempt(true, "CreateRole", 2);
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
