//! Tags of roles and policies: `TagResources`, `UntagResources`, `ListTagResources`, and the
//! JSON forms RAM takes tag lists in.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::Ack;
use crate::alicloud::client::{Client, Params, Service};
use crate::alicloud::error::Error;
use crate::alicloud::lenient;

/// The kinds of RAM resource that carry tags.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaggedResource {
    /// A RAM role.
    Role,
    /// A custom policy.
    Policy,
}

impl TaggedResource {
    /// The wire spelling of `ResourceType`.
    pub fn as_str(&self) -> &'static str {
        match self {
            TaggedResource::Role => "role",
            TaggedResource::Policy => "policy",
        }
    }
}

/// One tag, as RAM's JSON `Tag` parameter spells it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
struct WireTag<'a> {
    key: &'a str,
    value: &'a str,
}

/// `Tag=[{"Key":..,"Value":..}]`, RAM's JSON form of a tag list.
pub(super) fn tags_json(tags: &BTreeMap<String, String>) -> String {
    let wire: Vec<WireTag<'_>> = tags
        .iter()
        .map(|(key, value)| WireTag { key, value })
        .collect();
    serde_json::to_string(&wire).unwrap_or_else(|_| "[]".to_string())
}

fn json_list<S: Serialize>(items: &[S]) -> String {
    serde_json::to_string(items).unwrap_or_else(|_| "[]".to_string())
}

/// One tag of one resource, as `ListTagResources` reports it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub struct TagResource {
    /// `role` or `policy`.
    #[serde(deserialize_with = "lenient::string")]
    pub resource_type: String,
    /// The resource's name.
    #[serde(deserialize_with = "lenient::string")]
    pub resource_name: String,
    /// The tag key.
    #[serde(deserialize_with = "lenient::string")]
    pub tag_key: String,
    /// The tag value.
    #[serde(deserialize_with = "lenient::string")]
    pub tag_value: String,
}

/// One page of `ListTagResources`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub struct ListTagResourcesResponse {
    /// The request id.
    #[serde(deserialize_with = "lenient::string")]
    pub request_id: String,
    /// Present when more pages follow.
    #[serde(deserialize_with = "lenient::string")]
    pub next_token: String,
    /// The tags of this page.
    #[serde(deserialize_with = "tag_resource_list")]
    pub tag_resources: Vec<TagResource>,
}

/// RAM answers a bare list; RPC JSON habits would wrap it as `{"TagResource": [...]}`. Accept both.
fn tag_resource_list<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<TagResource>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Shape {
        List(Vec<TagResource>),
        Wrapped {
            #[serde(rename = "TagResource", default)]
            items: Vec<TagResource>,
        },
        Other(serde::de::IgnoredAny),
    }
    Ok(match Shape::deserialize(d)? {
        Shape::List(items) | Shape::Wrapped { items } => items,
        Shape::Other(_) => Vec::new(),
    })
}

/// RAM tag actions.
impl Client {
    /// `TagResources`: adds or overwrites `tags` on the named resources of one type.
    pub async fn tag_resources(
        &self,
        resource_type: TaggedResource,
        names: &[&str],
        tags: &BTreeMap<String, String>,
    ) -> Result<Ack, Error> {
        let params = Params::new()
            .set("ResourceType", resource_type.as_str())
            .set("ResourceNames", json_list(names))
            .set("Tag", tags_json(tags));
        self.call(Service::Ram, "TagResources", params).await
    }

    /// `UntagResources`: removes the tag keys from the named resources of one type.
    pub async fn untag_resources(
        &self,
        resource_type: TaggedResource,
        names: &[&str],
        keys: &[&str],
    ) -> Result<Ack, Error> {
        let params = Params::new()
            .set("ResourceType", resource_type.as_str())
            .set("ResourceNames", json_list(names))
            .set("TagKeys", json_list(keys));
        self.call(Service::Ram, "UntagResources", params).await
    }

    /// `ListTagResources` for one resource, every page: its tags as a map.
    pub async fn list_tags(
        &self,
        resource_type: TaggedResource,
        name: &str,
    ) -> Result<BTreeMap<String, String>, Error> {
        let mut tags = BTreeMap::new();
        let mut next_token = String::new();
        // RAM allows 20 tags per resource; the page bound only guards against a looping server.
        for _ in 0..100 {
            let params = Params::new()
                .set("ResourceType", resource_type.as_str())
                .set("ResourceNames", json_list(&[name]))
                .set_opt("NextToken", (!next_token.is_empty()).then_some(&next_token));
            let page: ListTagResourcesResponse =
                self.call(Service::Ram, "ListTagResources", params).await?;
            tags.extend(
                page.tag_resources
                    .into_iter()
                    .filter(|t| t.resource_name.eq_ignore_ascii_case(name))
                    .map(|t| (t.tag_key, t.tag_value)),
            );
            if page.next_token.is_empty() || page.next_token == next_token {
                break;
            }
            next_token = page.next_token;
        }
        Ok(tags)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_travel_as_a_json_list() {
        let tags = BTreeMap::from([("env".to_string(), "prod".to_string())]);
        assert_eq!(tags_json(&tags), r#"[{"Key":"env","Value":"prod"}]"#);
        assert_eq!(json_list(&["a", "b"]), r#"["a","b"]"#);
    }

    #[test]
    fn list_tag_resources_accepts_both_shapes() {
        let bare: ListTagResourcesResponse = serde_json::from_str(
            r#"{"RequestId":"r","TagResources":[{"ResourceType":"role","ResourceName":"R","TagKey":"k","TagValue":"v"}]}"#,
        )
        .unwrap();
        assert_eq!(bare.tag_resources.len(), 1);
        let wrapped: ListTagResourcesResponse = serde_json::from_str(
            r#"{"RequestId":"r","NextToken":"n","TagResources":{"TagResource":[{"TagKey":"k","TagValue":"v"}]}}"#,
        )
        .unwrap();
        assert_eq!(wrapped.tag_resources[0].tag_value, "v");
        assert_eq!(wrapped.next_token, "n");
    }
}
