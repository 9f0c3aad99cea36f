//! RAM's input rules: name alphabets and lengths, description and document limits, session
//! durations, and the structural checks a policy document must pass.

use serde_json::Value;

use crate::error::ApiError;

/// Longest role name.
pub const ROLE_NAME_MAX: usize = 64;
/// Longest policy name.
pub const POLICY_NAME_MAX: usize = 128;
/// Longest role or policy description.
pub const DESCRIPTION_MAX: usize = 1024;
/// Longest policy document (characters).
pub const POLICY_DOCUMENT_MAX: usize = 6144;
/// Longest trust policy document (characters).
pub const TRUST_DOCUMENT_MAX: usize = 2048;
/// Shortest and longest `MaxSessionDuration` of a role, in seconds.
pub const SESSION_DURATION_RANGE: std::ops::RangeInclusive<i64> = 3600..=43200;

/// Role names: 1-64 of `A-Za-z0-9.-`.
pub fn role_name(param: &str, name: &str) -> Result<(), ApiError> {
    name_rule(param, name, ROLE_NAME_MAX, |c| {
        c.is_ascii_alphanumeric() || c == '.' || c == '-'
    })
}

/// Policy names: 1-128 of `A-Za-z0-9-`.
pub fn policy_name(param: &str, name: &str) -> Result<(), ApiError> {
    name_rule(param, name, POLICY_NAME_MAX, |c| {
        c.is_ascii_alphanumeric() || c == '-'
    })
}

fn name_rule(
    param: &str,
    name: &str,
    max: usize,
    allowed: impl Fn(char) -> bool,
) -> Result<(), ApiError> {
    if name.chars().count() > max {
        return Err(ApiError::invalid_length(param));
    }
    if !name.chars().all(allowed) {
        return Err(ApiError::invalid_chars(param));
    }
    Ok(())
}

/// Descriptions: at most 1024 characters.
pub fn description(param: &str, text: &str) -> Result<(), ApiError> {
    if text.chars().count() > DESCRIPTION_MAX {
        return Err(ApiError::invalid_length(param));
    }
    Ok(())
}

/// `MaxSessionDuration`: 3600-43200 seconds.
pub fn max_session_duration(param: &str, value: i64) -> Result<u32, ApiError> {
    if !SESSION_DURATION_RANGE.contains(&value) {
        return Err(ApiError::new(
            format!("InvalidParameter.{param}"),
            format!("The parameter - \"{param}\" must be in the range of 3600 and 43200."),
        ));
    }
    u32::try_from(value).map_err(|_| ApiError::invalid_parameter(param, "out of range"))
}

/// Which kind of document is being checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocumentKind {
    /// A permission policy: statements need `Effect`, `Action` and `Resource`.
    Permission,
    /// A role trust policy: statements need `Effect`, `Action` and `Principal`.
    Trust,
}

/// Checks a policy document's length and structure.
pub fn policy_document(param: &str, doc: &str, kind: DocumentKind) -> Result<(), ApiError> {
    let max = match kind {
        DocumentKind::Permission => POLICY_DOCUMENT_MAX,
        DocumentKind::Trust => TRUST_DOCUMENT_MAX,
    };
    if doc.chars().count() > max {
        return Err(ApiError::invalid_length(param));
    }
    let value: Value = serde_json::from_str(doc)
        .map_err(|e| ApiError::malformed_policy(&format!("The policy is not valid JSON: {e}")))?;
    let root = value
        .as_object()
        .ok_or_else(|| ApiError::malformed_policy("The policy must be a JSON object."))?;
    match root.get("Version").and_then(Value::as_str) {
        Some("1") => {}
        _ => {
            return Err(ApiError::malformed_policy(
                "The policy Version is missing or unsupported; it must be \"1\".",
            ))
        }
    }
    let statements = match root.get("Statement") {
        Some(Value::Array(items)) if !items.is_empty() => items.clone(),
        Some(Value::Object(_)) => vec![root["Statement"].clone()],
        _ => {
            return Err(ApiError::malformed_policy(
                "The policy Statement is missing or empty.",
            ))
        }
    };
    statements
        .iter()
        .try_for_each(|statement| check_statement(statement, kind))
}

fn check_statement(statement: &Value, kind: DocumentKind) -> Result<(), ApiError> {
    let obj = statement
        .as_object()
        .ok_or_else(|| ApiError::malformed_policy("Each Statement must be a JSON object."))?;
    match obj.get("Effect").and_then(Value::as_str) {
        Some("Allow") | Some("Deny") => {}
        _ => {
            return Err(ApiError::malformed_policy(
                "The Statement Effect must be Allow or Deny.",
            ))
        }
    }
    string_or_list(obj.get("Action"), "Action")?;
    match kind {
        DocumentKind::Permission => string_or_list(obj.get("Resource"), "Resource"),
        DocumentKind::Trust => match obj.get("Principal") {
            Some(Value::Object(p)) if !p.is_empty() => Ok(()),
            _ => Err(ApiError::malformed_policy(
                "The trust policy Statement needs a Principal object.",
            )),
        },
    }
}

fn string_or_list(value: Option<&Value>, field: &str) -> Result<(), ApiError> {
    let ok = match value {
        Some(Value::String(s)) => !s.is_empty(),
        Some(Value::Array(items)) => {
            !items.is_empty()
                && items
                    .iter()
                    .all(|i| i.as_str().is_some_and(|s| !s.is_empty()))
        }
        _ => false,
    };
    if ok {
        Ok(())
    } else {
        Err(ApiError::malformed_policy(&format!(
            "The Statement {field} must be a non-empty string or list of strings."
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TRUST: &str = r#"{"Statement":[{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"Service":["cr.aliyuncs.com"]}}],"Version":"1"}"#;
    const PERMISSION: &str = r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":["oss:GetObject"],"Resource":"acs:oss:*:*:b","Condition":{}}]}"#;

    #[test]
    fn role_names() {
        assert!(role_name("RoleName", "AliyunContainerRegistryCustomizedOSSBucketRole").is_ok());
        assert!(role_name("RoleName", "a.b-c").is_ok());
        assert_eq!(
            role_name("RoleName", "a_b").map_err(|e| e.code),
            Err("InvalidParameter.RoleName.InvalidChars".to_string())
        );
        assert_eq!(
            role_name("RoleName", &"a".repeat(65)).map_err(|e| e.code),
            Err("InvalidParameter.RoleName.Length".to_string())
        );
        assert!(role_name("RoleName", &"a".repeat(64)).is_ok());
    }

    #[test]
    fn policy_names() {
        assert!(policy_name("PolicyName", "Abc-123").is_ok());
        assert!(policy_name("PolicyName", "a.b").is_err());
        assert!(policy_name("PolicyName", &"a".repeat(128)).is_ok());
        assert!(policy_name("PolicyName", &"a".repeat(129)).is_err());
    }

    #[test]
    fn durations() {
        assert_eq!(max_session_duration("MaxSessionDuration", 3600), Ok(3600));
        assert_eq!(max_session_duration("MaxSessionDuration", 43200), Ok(43200));
        assert_eq!(
            max_session_duration("MaxSessionDuration", 3599).map_err(|e| e.code),
            Err("InvalidParameter.MaxSessionDuration".to_string())
        );
        assert!(max_session_duration("MaxSessionDuration", 43201).is_err());
    }

    #[test]
    fn descriptions() {
        assert!(description("Description", &"x".repeat(1024)).is_ok());
        assert!(description("Description", &"x".repeat(1025)).is_err());
    }

    #[test]
    fn documents() {
        assert!(policy_document("AssumeRolePolicyDocument", TRUST, DocumentKind::Trust).is_ok());
        assert!(policy_document("PolicyDocument", PERMISSION, DocumentKind::Permission).is_ok());
        let code =
            |doc: &str, kind| policy_document("PolicyDocument", doc, kind).map_err(|e| e.code);
        assert_eq!(
            code("not json", DocumentKind::Permission),
            Err("MalformedPolicyDocument".to_string())
        );
        assert!(code(
            r#"{"Version":"2","Statement":[]}"#,
            DocumentKind::Permission
        )
        .is_err());
        assert!(code(
            r#"{"Version":"1","Statement":[]}"#,
            DocumentKind::Permission
        )
        .is_err());
        assert!(
            code(TRUST, DocumentKind::Permission).is_err(),
            "trust lacks Resource"
        );
        assert!(
            code(PERMISSION, DocumentKind::Trust).is_err(),
            "permission lacks Principal"
        );
        let long = format!(
            r#"{{"Version":"1","Statement":[{{"Effect":"Allow","Action":"a:b","Resource":"{}"}}]}}"#,
            "r".repeat(POLICY_DOCUMENT_MAX)
        );
        assert_eq!(
            code(&long, DocumentKind::Permission),
            Err("InvalidParameter.PolicyDocument.Length".to_string())
        );
    }
}
