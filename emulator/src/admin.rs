//! The unsigned admin API under `/_emulator/`: a view of the account (`state`), call counters
//! (`calls`), `reset`, and the live fault configuration (`faults`).

use serde_json::{json, Value};

use crate::faults::Faults;
use crate::model::Account;
use crate::reply::HttpReply;
use crate::store::Store;

/// Handles a request under `/_emulator/`.
pub async fn handle(method: &str, path: &str, body: &[u8], store: &Store) -> HttpReply {
    match (method, path.trim_end_matches('/')) {
        ("GET", "/_emulator/state") => HttpReply::json(200, &store.read(state_json)),
        ("GET", "/_emulator/calls") => HttpReply::json(200, &json!(store.calls())),
        ("POST", "/_emulator/reset") => match store.reset().await {
            Ok(()) => HttpReply::json(200, &json!({ "reset": true })),
            Err(e) => HttpReply::json(500, &json!({ "error": e.message })),
        },
        ("GET", "/_emulator/faults") => HttpReply::json(200, &json!(store.faults())),
        ("POST", "/_emulator/faults") => set_faults(body, store),
        (_, "/_emulator/state" | "/_emulator/calls" | "/_emulator/reset" | "/_emulator/faults") => {
            HttpReply::json(405, &json!({ "error": "method not allowed" }))
        }
        _ => HttpReply::json(404, &json!({ "error": "unknown admin endpoint" })),
    }
}

fn set_faults(body: &[u8], store: &Store) -> HttpReply {
    match serde_json::from_slice::<Faults>(body) {
        Ok(faults) => {
            store.set_faults(faults);
            HttpReply::json(200, &json!(store.faults()))
        }
        Err(e) => HttpReply::json(400, &json!({ "error": format!("invalid faults: {e}") })),
    }
}

/// The account as `{"roles":[…], "policies":[…], "attachments":[…]}`, sorted by name.
pub fn state_json(account: &Account) -> Value {
    let roles: Vec<Value> = account
        .roles
        .values()
        .map(|r| {
            json!({
                "RoleName": r.role_name,
                "RoleId": r.role_id,
                "Arn": r.arn,
                "AssumeRolePolicyDocument": r.assume_role_policy_document,
                "Description": r.description,
                "MaxSessionDuration": r.max_session_duration,
                "CreateDate": r.create_date,
                "UpdateDate": r.update_date,
                "Tags": r.tags,
            })
        })
        .collect();
    let policies: Vec<Value> = account
        .policies
        .values()
        .map(|p| {
            let versions: Vec<Value> = p
                .versions
                .iter()
                .map(|v| {
                    json!({
                        "VersionId": v.version_id,
                        "PolicyDocument": v.policy_document,
                        "IsDefaultVersion": v.version_id == p.default_version,
                        "CreateDate": v.create_date,
                    })
                })
                .collect();
            json!({
                "PolicyName": p.policy_name,
                "Description": p.description,
                "DefaultVersion": p.default_version,
                "Versions": versions,
                "Tags": p.tags,
            })
        })
        .collect();
    let mut attachments: Vec<Value> = account
        .attachments
        .iter()
        .map(|a| {
            json!({
                "RoleName": a.role_name,
                "PolicyName": a.policy_name,
                "PolicyType": a.policy_type.as_str(),
            })
        })
        .collect();
    attachments.sort_by_key(|a| a.to_string());
    json!({ "roles": roles, "policies": policies, "attachments": attachments })
}
