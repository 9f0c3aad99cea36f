//! The ECS instance metadata service subset that hands out RAM role credentials: session tokens
//! (`PUT /latest/api/token`), the role listing and the role's temporary credentials.
//!
//! Hardened mode is always on: credential and listing requests must carry a valid
//! `X-aliyun-ecs-metadata-token`, otherwise they are answered 403.

use serde_json::json;

use crate::clock::{format_date, now_unix};
use crate::ids;
use crate::model::{Role, Session};
use crate::ram::{role_arn, role_key};
use crate::reply::HttpReply;
use crate::store::Store;
use crate::sts::new_session;

/// Header carrying the requested token lifetime.
pub const TTL_HEADER: &str = "x-aliyun-ecs-metadata-token-ttl-seconds";
/// Header carrying the token.
pub const TOKEN_HEADER: &str = "x-aliyun-ecs-metadata-token";
/// Longest token lifetime, in seconds.
pub const MAX_TOKEN_TTL: i64 = 21600;
/// Lifetime of the role credentials handed out.
pub const CREDENTIAL_LIFETIME: i64 = 6 * 3600;
/// Credentials with less than this left are replaced by fresh ones.
pub const REFRESH_MARGIN: i64 = 30 * 60;

const CREDENTIALS_PREFIX: &str = "/latest/meta-data/ram/security-credentials";

/// Session name the credentials carry (the emulated instance id).
const INSTANCE_ID: &str = "i-emulator0000000000";

/// Handles a request under `/latest/`.
pub async fn handle(
    method: &str,
    path: &str,
    headers: &hyper::HeaderMap,
    store: &Store,
) -> HttpReply {
    store.record_metadata_request();
    let now = now_unix();
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    if path == "/latest/api/token" {
        return match method {
            "PUT" => issue_token(header(TTL_HEADER), store, now),
            _ => HttpReply::text(405, "Method Not Allowed"),
        };
    }
    let Some(rest) = path.strip_prefix(CREDENTIALS_PREFIX) else {
        return HttpReply::text(404, "Not Found");
    };
    if method != "GET" {
        return HttpReply::text(405, "Method Not Allowed");
    }
    if !header(TOKEN_HEADER).is_some_and(|t| store.check_metadata_token(t, now)) {
        return HttpReply::text(403, "Forbidden");
    }
    let role_name = store.settings().ecs_role_name.clone();
    match rest.trim_start_matches('/') {
        "" => HttpReply::text(200, role_name),
        asked if asked == role_name => credentials(store, &role_name, now).await,
        _ => HttpReply::text(404, "Not Found"),
    }
}

fn issue_token(ttl: Option<&str>, store: &Store, now: i64) -> HttpReply {
    let ttl = match ttl.map(|t| t.trim().parse::<i64>()) {
        Some(Ok(seconds)) if (1..=MAX_TOKEN_TTL).contains(&seconds) => seconds,
        _ => {
            return HttpReply::text(
                400,
                format!("{TTL_HEADER} must be an integer between 1 and {MAX_TOKEN_TTL}"),
            )
        }
    };
    let token = ids::metadata_token();
    store.issue_metadata_token(token.clone(), now + ttl);
    HttpReply::text(200, token)
}

async fn credentials(store: &Store, role_name: &str, now: i64) -> HttpReply {
    match current_session(store, role_name, now).await {
        Ok(session) => HttpReply::json(
            200,
            &json!({
                "AccessKeyId": session.access_key_id,
                "AccessKeySecret": session.access_key_secret,
                "SecurityToken": session.security_token,
                "Expiration": format_date(session.expires_at),
                "LastUpdated": format_date(session.expires_at - CREDENTIAL_LIFETIME),
                "Code": "Success",
            }),
        ),
        Err(e) => HttpReply::text(500, format!("cannot issue credentials: {}", e.code)),
    }
}

/// The role's live metadata session, replaced when close to expiry.
async fn current_session(
    store: &Store,
    role_name: &str,
    now: i64,
) -> Result<Session, crate::error::ApiError> {
    let account_id = store.settings().account_id.clone();
    store
        .write(|account| {
            let live = account.sessions.values().find(|s| {
                s.session_name == INSTANCE_ID
                    && role_key(&s.role_name) == role_key(role_name)
                    && s.expires_at - now > REFRESH_MARGIN
            });
            if let Some(session) = live {
                return Ok(session.clone());
            }
            let role = account
                .roles
                .get(&role_key(role_name))
                .cloned()
                .unwrap_or_else(|| external_role(&account_id, role_name));
            account.sessions.retain(|_, s| s.expires_at > now);
            let session = new_session(&role, INSTANCE_ID, now + CREDENTIAL_LIFETIME);
            account
                .sessions
                .insert(session.access_key_id.clone(), session.clone());
            Ok(session)
        })
        .await
}

/// The instance role as seen from outside RAM state (it need not be managed by the emulator).
fn external_role(account_id: &str, role_name: &str) -> Role {
    Role {
        role_id: format!("3{:017}", role_name.len()),
        role_name: role_name.to_string(),
        arn: role_arn(account_id, role_name),
        description: String::new(),
        assume_role_policy_document: String::new(),
        max_session_duration: 3600,
        create_date: String::new(),
        update_date: String::new(),
        tags: Default::default(),
    }
}
