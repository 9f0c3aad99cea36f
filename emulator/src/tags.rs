//! RAM tags on roles and custom policies: the `Tag` parameter of the create calls and the
//! `TagResources`, `UntagResources` and `ListTagResources` actions, with RAM's limits.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::{json, Value};

use crate::error::ApiError;
use crate::model::Account;
use crate::ram::{role_key, Ctx};
use crate::wire::Params;

/// Most tags one resource may carry.
pub const MAX_TAGS: usize = 20;
/// Longest tag key and value, in characters.
pub const MAX_KEY_CHARS: usize = 128;
pub const MAX_VALUE_CHARS: usize = 128;
/// Most resources one tag call may name.
pub const MAX_RESOURCES_PER_CALL: usize = 50;
const RESERVED_PREFIXES: &[&str] = &["acs:", "aliyun"];

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct WireTag {
    key: String,
    #[serde(default)]
    value: String,
}

/// Which kind of resource a tag call is about.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Role,
    Policy,
}

impl Kind {
    fn parse(p: &Params) -> Result<Kind, ApiError> {
        match p.required("ResourceType")? {
            "role" => Ok(Kind::Role),
            "policy" => Ok(Kind::Policy),
            _ => Err(ApiError::invalid_parameter(
                "ResourceType",
                "valid values are role and policy",
            )),
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            Kind::Role => "role",
            Kind::Policy => "policy",
        }
    }
}

fn invalid_tag(reason: &str) -> ApiError {
    ApiError::new(
        "InvalidParameter.Tag",
        format!("The parameter - Tag is invalid: {reason}."),
    )
}

fn check_key(key: &str) -> Result<(), ApiError> {
    let chars = key.chars().count();
    if chars == 0 || chars > MAX_KEY_CHARS {
        return Err(invalid_tag("a tag key must be 1-128 characters"));
    }
    let lower = key.to_ascii_lowercase();
    if RESERVED_PREFIXES.iter().any(|p| lower.starts_with(p)) {
        return Err(invalid_tag("tag keys must not start with acs: or aliyun"));
    }
    Ok(())
}

/// The JSON `Tag` parameter (`[{"Key":..,"Value":..}]`), validated; absent means none.
pub fn tag_param(p: &Params) -> Result<BTreeMap<String, String>, ApiError> {
    let Some(text) = p.get("Tag") else {
        return Ok(BTreeMap::new());
    };
    let wire: Vec<WireTag> = serde_json::from_str(text)
        .map_err(|_| invalid_tag("it must be a JSON list of {Key, Value}"))?;
    let mut tags = BTreeMap::new();
    for tag in wire {
        check_key(&tag.key)?;
        if tag.value.chars().count() > MAX_VALUE_CHARS {
            return Err(invalid_tag("a tag value must be at most 128 characters"));
        }
        tags.insert(tag.key, tag.value);
    }
    if tags.len() > MAX_TAGS {
        return Err(too_many_tags());
    }
    Ok(tags)
}

fn too_many_tags() -> ApiError {
    ApiError::new(
        "LimitExceeded.Tag",
        format!("A resource can have at most {MAX_TAGS} tags."),
    )
}

fn json_string_list(p: &Params, name: &str) -> Result<Vec<String>, ApiError> {
    let text = p.required(name)?;
    serde_json::from_str(text)
        .map_err(|_| ApiError::invalid_parameter(name, "it must be a JSON list of strings"))
}

fn resource_names(p: &Params) -> Result<Vec<String>, ApiError> {
    let names = json_string_list(p, "ResourceNames")?;
    if names.is_empty() || names.len() > MAX_RESOURCES_PER_CALL {
        return Err(ApiError::invalid_parameter(
            "ResourceNames",
            "name 1 to 50 resources",
        ));
    }
    Ok(names)
}

/// The tags of one named resource, or `EntityNotExist.*`.
fn tags_mut<'a>(
    account: &'a mut Account,
    kind: Kind,
    name: &str,
) -> Result<&'a mut BTreeMap<String, String>, ApiError> {
    match kind {
        Kind::Role => account
            .roles
            .get_mut(&role_key(name))
            .map(|r| &mut r.tags)
            .ok_or_else(|| {
                ApiError::new(
                    "EntityNotExist.Role",
                    format!("The role does not exist: {name}."),
                )
            }),
        Kind::Policy => account
            .policies
            .get_mut(name)
            .map(|p| &mut p.tags)
            .ok_or_else(|| {
                ApiError::new(
                    "EntityNotExist.Policy",
                    format!("The policy does not exist: {name}."),
                )
            }),
    }
}

/// `TagResources`: all named resources get the tags, or none does.
pub async fn tag_resources(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let p = ctx.params;
    let kind = Kind::parse(p)?;
    let names = resource_names(p)?;
    let tags = tag_param(p)?;
    if tags.is_empty() {
        return Err(ApiError::missing_parameter("Tag"));
    }
    ctx.store
        .write(|account| {
            for name in &names {
                let current = tags_mut(account, kind, name)?;
                let mut merged = current.clone();
                merged.extend(tags.clone());
                if merged.len() > MAX_TAGS {
                    return Err(too_many_tags());
                }
            }
            for name in &names {
                tags_mut(account, kind, name)?.extend(tags.clone());
            }
            Ok(())
        })
        .await?;
    Ok(json!({}))
}

/// `UntagResources`: removes `TagKeys` (or every tag with `All=true`).
pub async fn untag_resources(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let p = ctx.params;
    let kind = Kind::parse(p)?;
    let names = resource_names(p)?;
    let all = p.bool_or("All", false)?;
    let keys = if all {
        Vec::new()
    } else {
        json_string_list(p, "TagKeys")?
    };
    ctx.store
        .write(|account| {
            for name in &names {
                tags_mut(account, kind, name)?;
            }
            for name in &names {
                let tags = tags_mut(account, kind, name)?;
                if all {
                    tags.clear();
                } else {
                    for key in &keys {
                        tags.remove(key);
                    }
                }
            }
            Ok(())
        })
        .await?;
    Ok(json!({}))
}

/// `ListTagResources`: one entry per (resource, tag), for the named resources.
pub fn list_tag_resources(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let p = ctx.params;
    let kind = Kind::parse(p)?;
    let names = resource_names(p)?;
    let entries = ctx.store.read(|account| {
        let mut entries = Vec::new();
        for name in &names {
            let found = match kind {
                Kind::Role => account
                    .roles
                    .get(&role_key(name))
                    .map(|r| (r.role_name.clone(), r.tags.clone())),
                Kind::Policy => account
                    .policies
                    .get(name.as_str())
                    .map(|p| (p.policy_name.clone(), p.tags.clone())),
            };
            let Some((resource_name, tags)) = found else {
                continue;
            };
            for (key, value) in tags {
                entries.push(json!({
                    "ResourceType": kind.as_str(),
                    "ResourceName": resource_name,
                    "TagKey": key,
                    "TagValue": value,
                }));
            }
        }
        entries
    });
    Ok(json!({ "NextToken": "", "TagResources": entries }))
}
