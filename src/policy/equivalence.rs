//! Semantic comparison of policy documents: RAM (or a console edit) may reformat or reorder a
//! stored document without changing what it grants, and that must never show up as drift.

use serde_json::{Map, Value as Json};

use super::PolicyError;

/// Whether two policy documents mean the same thing.
///
/// Both are parsed as JSON and brought to a canonical form, in which:
/// - key order and whitespace do not matter (parsed JSON);
/// - `Version` is compared as a string (`1` equals `"1"`);
/// - `Statement` may be a lone object or a list; statement order is ignored, because the
///   effect of a RAM policy does not depend on the order of its statements and RAM (or a
///   console edit) may reorder them without changing what is granted;
/// - `Action`, `NotAction`, `Resource`, `NotResource` and each `Principal` member are compared as
///   sets, a lone string being a one-element set;
/// - `Condition` operator values are sets too, and an empty `Condition` equals an absent one.
///
/// Malformed documents (invalid JSON, or not a JSON object) are never equivalent to anything.
pub fn documents_equivalent(a: &str, b: &str) -> bool {
    match (canonical_document(a), canonical_document(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

/// The canonical form [`documents_equivalent`] compares, as a JSON value.
pub fn canonical_document(document: &str) -> Result<Json, PolicyError> {
    let json: Json = serde_json::from_str(document)?;
    let Json::Object(top) = json else {
        return Err(PolicyError::NotAnObject);
    };
    let mut out = Map::new();
    for (key, value) in top {
        let canonical = match key.as_str() {
            "Version" => Json::String(match value {
                Json::String(s) => s,
                other => other.to_string(),
            }),
            "Statement" => {
                let items = match value {
                    Json::Array(items) => items,
                    other => vec![other],
                };
                let mut statements: Vec<(String, Json)> = items
                    .into_iter()
                    .map(|s| {
                        let c = canonical_statement(s);
                        (c.to_string(), c)
                    })
                    .collect();
                statements.sort_by(|x, y| x.0.cmp(&y.0));
                Json::Array(statements.into_iter().map(|(_, c)| c).collect())
            }
            _ => sorted_json(value),
        };
        out.insert(key, canonical);
    }
    Ok(Json::Object(out))
}

fn canonical_statement(statement: Json) -> Json {
    let Json::Object(members) = statement else {
        return sorted_json(statement);
    };
    let mut out = Map::new();
    for (key, value) in members {
        let canonical = match key.as_str() {
            "Action" | "NotAction" | "Resource" | "NotResource" => string_set(value),
            "Principal" => match value {
                Json::Object(principals) => Json::Object(
                    principals
                        .into_iter()
                        .map(|(k, v)| (k, string_set(v)))
                        .collect(),
                ),
                other => string_set(other),
            },
            "Condition" => match value {
                Json::Object(ops) if ops.is_empty() => continue,
                Json::Object(ops) => Json::Object(
                    ops.into_iter()
                        .map(|(op, keys)| {
                            let keys = match keys {
                                Json::Object(keys) => Json::Object(
                                    keys.into_iter().map(|(k, v)| (k, string_set(v))).collect(),
                                ),
                                other => sorted_json(other),
                            };
                            (op, keys)
                        })
                        .collect(),
                ),
                Json::Null => continue,
                other => sorted_json(other),
            },
            _ => sorted_json(value),
        };
        out.insert(key, canonical);
    }
    Json::Object(out)
}

/// A string or list of scalars as a sorted, de-duplicated list; anything else as it is.
fn string_set(value: Json) -> Json {
    let items = match value {
        Json::Array(items) => items,
        Json::String(_) | Json::Number(_) | Json::Bool(_) => vec![value],
        other => return sorted_json(other),
    };
    let mut keyed: Vec<(String, Json)> = items
        .into_iter()
        .map(|item| {
            let item = sorted_json(item);
            (item.to_string(), item)
        })
        .collect();
    keyed.sort_by(|x, y| x.0.cmp(&y.0));
    keyed.dedup_by(|x, y| x.0 == y.0);
    Json::Array(keyed.into_iter().map(|(_, v)| v).collect())
}

/// Rebuilds objects so their key order is sorted whichever map backs `serde_json::Map`.
fn sorted_json(value: Json) -> Json {
    match value {
        Json::Object(members) => {
            let mut members: Vec<(String, Json)> = members.into_iter().collect();
            members.sort_by(|x, y| x.0.cmp(&y.0));
            Json::Object(
                members
                    .into_iter()
                    .map(|(k, v)| (k, sorted_json(v)))
                    .collect(),
            )
        }
        Json::Array(items) => Json::Array(items.into_iter().map(sorted_json).collect()),
        other => other,
    }
}
