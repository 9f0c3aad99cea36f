//! STS (`Version=2015-04-01`) actions: `AssumeRole`, which checks the role's trust policy and
//! issues temporary credentials the emulator then accepts, and `GetCallerIdentity`.

use serde_json::{json, Value};

use crate::auth::Caller;
use crate::clock::format_date;
use crate::error::ApiError;
use crate::ids;
use crate::model::{Role, Session};
use crate::ram::{role_key, Ctx};
use crate::validate::{self, DocumentKind};

/// Shortest `DurationSeconds` STS grants.
pub const MIN_DURATION_SECS: i64 = 900;
/// Lifetime of credentials when `DurationSeconds` is absent.
pub const DEFAULT_DURATION_SECS: i64 = 3600;

/// Whether STS implements `action`.
pub fn handles(action: &str) -> bool {
    matches!(action, "AssumeRole" | "GetCallerIdentity")
}

/// Runs an STS action; the result is the response body without `RequestId`.
pub async fn dispatch(action: &str, ctx: &Ctx<'_>, caller: &Caller) -> Result<Value, ApiError> {
    match action {
        "AssumeRole" => assume_role(ctx, caller).await,
        "GetCallerIdentity" => Ok(caller_identity(&ctx.store.settings().account_id, caller)),
        other => Err(ApiError::unknown_action(other)),
    }
}

/// The role name inside `acs:ram::<account>:role/<name>`, when the ARN is of that form.
pub fn parse_role_arn<'a>(arn: &'a str, account_id: &str) -> Result<&'a str, ApiError> {
    let invalid = || {
        ApiError::new(
            "InvalidParameter.RoleArn",
            "The parameter RoleArn is wrongly formed.",
        )
    };
    let rest = arn.strip_prefix("acs:ram::").ok_or_else(invalid)?;
    let (account, resource) = rest.split_once(':').ok_or_else(invalid)?;
    let name = resource.strip_prefix("role/").ok_or_else(invalid)?;
    if name.is_empty() {
        return Err(invalid());
    }
    if account != account_id {
        return Err(ApiError::new(
            "EntityNotExist.Role",
            format!("The role not exists: {arn}."),
        ));
    }
    Ok(name)
}

fn session_name_ok(name: &str) -> bool {
    (2..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'@' | b'_' | b'-'))
}

fn duration_param(ctx: &Ctx<'_>, role: &Role) -> Result<i64, ApiError> {
    let seconds = ctx
        .params
        .integer("DurationSeconds")?
        .unwrap_or(DEFAULT_DURATION_SECS);
    let max = i64::from(role.max_session_duration);
    if seconds < MIN_DURATION_SECS || seconds > max {
        return Err(ApiError::new(
            "InvalidParameter.DurationSeconds",
            format!("The Min/Max value of DurationSeconds is {MIN_DURATION_SECS}/{max} seconds, current value is {seconds}."),
        ));
    }
    Ok(seconds)
}

async fn assume_role(ctx: &Ctx<'_>, caller: &Caller) -> Result<Value, ApiError> {
    let p = ctx.params;
    let account_id = ctx.store.settings().account_id.clone();
    let arn = p.required("RoleArn")?;
    let session_name = p.required("RoleSessionName")?;
    if !session_name_ok(session_name) {
        return Err(ApiError::new(
            "InvalidParameter.RoleSessionName",
            "The parameter RoleSessionName must be 2-64 characters of letters, digits and .@_-",
        ));
    }
    if let Some(policy) = p.non_empty("Policy") {
        validate::policy_document("Policy", policy, DocumentKind::Permission)?;
    }
    let name = parse_role_arn(arn, &account_id)?;
    let role = ctx
        .store
        .read(|a| a.roles.get(&role_key(name)).cloned())
        .ok_or_else(|| {
            ApiError::new(
                "EntityNotExist.Role",
                format!("The role not exists: {arn}."),
            )
        })?;
    let duration = duration_param(ctx, &role)?;
    if !trust_allows(&role, &account_id, p.non_empty("ExternalId")) {
        return Err(ApiError::new(
            "NoPermission",
            format!(
                "You are not authorized to do this action. You should be authorized by RAM. The trust policy of {arn} does not allow {}.",
                caller_arn(&account_id, caller)
            ),
        ));
    }
    let session = new_session(&role, session_name, ctx.now + duration);
    let issued = session.clone();
    ctx.store
        .write(move |account| {
            let now = ctx.now;
            account.sessions.retain(|_, s| s.expires_at > now);
            account
                .sessions
                .insert(session.access_key_id.clone(), session);
            Ok(())
        })
        .await?;
    Ok(json!({
        "AssumedRoleUser": {
            "Arn": format!("{}/{}", role.arn, issued.session_name),
            "AssumedRoleId": format!("{}:{}", role.role_id, issued.session_name),
        },
        "Credentials": credentials_json(&issued),
    }))
}

/// Temporary credentials for `role`, valid until `expires_at`.
pub fn new_session(role: &Role, session_name: &str, expires_at: i64) -> Session {
    Session {
        access_key_id: ids::sts_access_key_id(),
        access_key_secret: ids::access_key_secret(),
        security_token: ids::security_token(),
        expires_at,
        role_name: role.role_name.clone(),
        role_id: role.role_id.clone(),
        role_arn: role.arn.clone(),
        session_name: session_name.to_string(),
    }
}

/// `{AccessKeyId, AccessKeySecret, SecurityToken, Expiration}`.
pub fn credentials_json(session: &Session) -> Value {
    json!({
        "AccessKeyId": session.access_key_id,
        "AccessKeySecret": session.access_key_secret,
        "SecurityToken": session.security_token,
        "Expiration": format_date(session.expires_at),
    })
}

/// Whether the trust policy lets identities of this account assume the role: an `Allow`
/// statement for `sts:AssumeRole` whose `RAM` principal names the account (`acs:ram::<id>:root`
/// or the bare id) or `*`, and whose `sts:ExternalId` condition, if any, matches.
pub fn trust_allows(role: &Role, account_id: &str, external_id: Option<&str>) -> bool {
    let Ok(doc) = serde_json::from_str::<Value>(&role.assume_role_policy_document) else {
        return false;
    };
    let statements = match &doc["Statement"] {
        Value::Array(items) => items.clone(),
        obj @ Value::Object(_) => vec![obj.clone()],
        _ => Vec::new(),
    };
    statements
        .iter()
        .any(|s| statement_allows(s, account_id, external_id))
}

fn strings(value: &Value) -> Vec<&str> {
    match value {
        Value::String(s) => vec![s.as_str()],
        Value::Array(items) => items.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

fn statement_allows(statement: &Value, account_id: &str, external_id: Option<&str>) -> bool {
    let allow = statement["Effect"].as_str() == Some("Allow");
    let action = strings(&statement["Action"])
        .iter()
        .any(|a| matches!(*a, "sts:AssumeRole" | "sts:*" | "*"));
    let root = format!("acs:ram::{account_id}:root");
    let principal = strings(&statement["Principal"]["RAM"])
        .iter()
        .any(|p| *p == root || *p == account_id || *p == "*");
    allow && action && principal && external_id_matches(&statement["Condition"], external_id)
}

fn external_id_matches(condition: &Value, external_id: Option<&str>) -> bool {
    let wanted = strings(&condition["StringEquals"]["sts:ExternalId"]);
    wanted.is_empty() || external_id.is_some_and(|given| wanted.contains(&given))
}

fn caller_arn(account_id: &str, caller: &Caller) -> String {
    match caller {
        Caller::Root { .. } => format!("acs:ram::{account_id}:root"),
        Caller::Session(s) => format!(
            "acs:ram::{account_id}:assumed-role/{}/{}",
            role_key(&s.role_name),
            s.session_name
        ),
    }
}

fn caller_identity(account_id: &str, caller: &Caller) -> Value {
    match caller {
        Caller::Root { .. } => json!({
            "AccountId": account_id,
            "UserId": account_id,
            "PrincipalId": account_id,
            "Arn": caller_arn(account_id, caller),
            "IdentityType": "Account",
        }),
        Caller::Session(s) => {
            let principal = format!("{}:{}", s.role_id, s.session_name);
            json!({
                "AccountId": account_id,
                "UserId": principal,
                "PrincipalId": principal,
                "RoleId": s.role_id,
                "Arn": caller_arn(account_id, caller),
                "IdentityType": "AssumedRoleUser",
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn role(trust: &str) -> Role {
        Role {
            role_id: "300000000000000001".into(),
            role_name: "Deployer".into(),
            arn: "acs:ram::1234567890123456:role/deployer".into(),
            description: String::new(),
            assume_role_policy_document: trust.into(),
            max_session_duration: 3600,
            create_date: String::new(),
            update_date: String::new(),
            tags: Default::default(),
        }
    }

    #[test]
    fn trust_by_account_root() {
        let r = role(
            r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"RAM":["acs:ram::1234567890123456:root"]}}]}"#,
        );
        assert!(trust_allows(&r, "1234567890123456", None));
        assert!(!trust_allows(&r, "9999999999999999", None));
    }

    #[test]
    fn service_only_trust_refuses_accounts() {
        let r = role(
            r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"Service":["cr.aliyuncs.com"]}}]}"#,
        );
        assert!(!trust_allows(&r, "1234567890123456", None));
    }

    #[test]
    fn external_id_condition() {
        let r = role(
            r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"RAM":"1234567890123456"},"Condition":{"StringEquals":{"sts:ExternalId":"abc"}}}]}"#,
        );
        assert!(!trust_allows(&r, "1234567890123456", None));
        assert!(!trust_allows(&r, "1234567890123456", Some("x")));
        assert!(trust_allows(&r, "1234567890123456", Some("abc")));
    }

    #[test]
    fn role_arns() {
        assert_eq!(
            parse_role_arn(
                "acs:ram::1234567890123456:role/deployer",
                "1234567890123456"
            ),
            Ok("deployer")
        );
        assert_eq!(
            parse_role_arn("acs:ram::1:role/x", "1234567890123456").map_err(|e| e.code),
            Err("EntityNotExist.Role".to_string())
        );
        assert_eq!(
            parse_role_arn("arn:aws:iam::1:role/x", "1").map_err(|e| e.code),
            Err("InvalidParameter.RoleArn".to_string())
        );
    }

    #[test]
    fn session_names() {
        assert!(session_name_ok("terraform@ci.run-1"));
        assert!(!session_name_ok("x"));
        assert!(!session_name_ok("has space"));
    }
}
