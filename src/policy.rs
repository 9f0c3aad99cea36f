//! The ACR custom-OSS-bucket policy and trust documents: rendering them from bucket names,
//! parsing bucket names back out of a policy, and comparing two documents semantically.
//!
//! Rendering is deterministic: the same bucket set always yields the same bytes (compact JSON,
//! keys in the order the ACR documentation lists them, buckets in byte order). Comparison is
//! semantic so that RAM's reformatting of a stored document never shows up as drift.

use serde_json::{Map, Value as Json};
use std::collections::BTreeSet;

use crate::json_text::push_json_string;

mod equivalence;

pub use equivalence::{canonical_document, documents_equivalent};

/// The role name ACR looks for when it uses a customer-owned OSS bucket.
pub const DEFAULT_ROLE_NAME: &str = "AliyunContainerRegistryCustomizedOSSBucketRole";

/// The name of the custom policy attached to [`DEFAULT_ROLE_NAME`].
pub const DEFAULT_POLICY_NAME: &str = "AliyunContainerRegistryCustomizedOSSBucketRolePolicy";

/// The service principal that must be allowed to assume the role.
const TRUSTED_SERVICE: &str = "cr.aliyuncs.com";

/// RAM's limit on a policy document, in characters (`InvalidParameter.PolicyDocument.Length`).
const POLICY_DOCUMENT_MAX_CHARS: usize = 6144;

/// A bucket set whose rendered policy is longer than RAM accepts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PolicyTooLong {
    /// Characters in the rendered document.
    length: usize,
    /// How many buckets were given.
    buckets: usize,
    /// How many of them (the first, in sorted order) would fit.
    fitting: usize,
}

/// Checks the rendered policy of `bucket_names` against [`POLICY_DOCUMENT_MAX_CHARS`].
pub(crate) fn check_policy_length(bucket_names: &BTreeSet<String>) -> Result<(), PolicyTooLong> {
    let length_of = |count: usize| {
        render_policy_sorted(bucket_names.iter().take(count).map(String::as_str))
            .chars()
            .count()
    };
    let length = length_of(bucket_names.len());
    if length <= POLICY_DOCUMENT_MAX_CHARS {
        return Ok(());
    }
    // The length grows with every bucket, so the largest prefix that fits is a binary search.
    let (mut fits, mut too_long) = (0, bucket_names.len());
    while too_long - fits > 1 {
        let middle = fits + (too_long - fits) / 2;
        if length_of(middle) <= POLICY_DOCUMENT_MAX_CHARS {
            fits = middle;
        } else {
            too_long = middle;
        }
    }
    Err(PolicyTooLong {
        length,
        buckets: bucket_names.len(),
        fitting: fits,
    })
}

impl std::fmt::Display for PolicyTooLong {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "the policy document rendered from these {} bucket names would be {} characters \
             long, over RAM's limit of {} characters for a policy document \
             (InvalidParameter.PolicyDocument.Length); at most {} of these bucket names fit \
             (the first {} in sorted order). Use fewer buckets or shorter bucket names",
            self.buckets,
            self.length,
            thousands(POLICY_DOCUMENT_MAX_CHARS),
            self.fitting,
            self.fitting,
        )
    }
}

fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Resource prefix of OSS resources as the policy writes them (any region, any account).
const OSS_RESOURCE_PREFIX: &str = "acs:oss:*:*:";

/// Object-level actions of the first statement, in the documented order.
const OBJECT_ACTIONS: &[&str] = &[
    "oss:GetObject",
    "oss:PutObject",
    "oss:DeleteObject",
    "oss:ListParts",
    "oss:AbortMultipartUpload",
    "oss:InitiateMultipartUpload",
    "oss:CompleteMultipartUpload",
    "oss:DeleteMultipleObjects",
    "oss:ListMultipartUploads",
    "oss:ListObjects",
];

/// Bucket-level actions of the second statement, in the documented order.
const BUCKET_ACTIONS: &[&str] = &[
    "oss:PutBucket",
    "oss:GetBucket",
    "oss:DeleteBucket",
    "oss:GetBucketLocation",
    "oss:PutBucketAcl",
    "oss:GetBucketAcl",
    "oss:PutBucketLogging",
    "oss:GetBucketReferer",
    "oss:PutBucketReferer",
    "oss:GetBucketLogging",
    "oss:DeleteBucketLogging",
];

/// Cloud Monitor actions of the fourth statement.
const CMS_ACTIONS: &[&str] = &["cms:QueryMetricLast", "cms:QueryMetricList"];

/// Errors from reading a policy document.
#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    /// The text is not JSON at all.
    #[error("policy document is not valid JSON: {0}")]
    Json(#[from] serde_json::Error),
    /// The JSON is valid but its top level is not an object.
    #[error("policy document must be a JSON object")]
    NotAnObject,
    /// The document has no `Statement` member.
    #[error("policy document has no \"Statement\"")]
    MissingStatement,
    /// A member has a shape policies never use.
    #[error("policy document field \"{field}\" is invalid: {reason}")]
    InvalidField {
        /// The offending member's name.
        field: &'static str,
        /// What is wrong with it.
        reason: &'static str,
    },
}

/// Renders the ACR policy for the given buckets.
///
/// Each bucket contributes `acs:oss:*:*:<bucket>` and `acs:oss:*:*:<bucket>/*` to the `Resource`
/// lists of the object and bucket statements. A `BTreeSet` is already sorted and free of
/// duplicates, so the output depends only on the set's contents.
pub fn render_policy(bucket_names: &BTreeSet<String>) -> String {
    render_policy_sorted(bucket_names.iter().map(String::as_str))
}

fn render_policy_sorted<'a>(buckets: impl Iterator<Item = &'a str>) -> String {
    let mut resources = Vec::new();
    for bucket in buckets {
        resources.push(format!("{OSS_RESOURCE_PREFIX}{bucket}"));
        resources.push(format!("{OSS_RESOURCE_PREFIX}{bucket}/*"));
    }
    let list_bucket_resources = [
        format!("{OSS_RESOURCE_PREFIX}*"),
        format!("{OSS_RESOURCE_PREFIX}*/*"),
    ];

    let mut out = String::with_capacity(1400 + resources.len() * 40);
    out.push_str("{\"Version\":\"1\",\"Statement\":[");
    // Statement 1: object actions on the buckets.
    out.push_str("{\"Effect\":\"Allow\",\"Action\":");
    write_string_list(&mut out, OBJECT_ACTIONS.iter().copied());
    out.push_str(",\"Resource\":");
    write_string_list(&mut out, resources.iter().map(String::as_str));
    out.push_str(",\"Condition\":{}},");
    // Statement 2: bucket actions on the buckets.
    out.push_str("{\"Effect\":\"Allow\",\"Action\":");
    write_string_list(&mut out, BUCKET_ACTIONS.iter().copied());
    out.push_str(",\"Resource\":");
    write_string_list(&mut out, resources.iter().map(String::as_str));
    out.push_str(",\"Condition\":{}},");
    // Statement 3: listing all buckets; the documented shape has a lone action string.
    out.push_str("{\"Effect\":\"Allow\",\"Action\":\"oss:ListBuckets\",\"Resource\":");
    write_string_list(&mut out, list_bucket_resources.iter().map(String::as_str));
    out.push_str(",\"Condition\":{}},");
    // Statement 4: Cloud Monitor metrics on everything.
    out.push_str("{\"Action\":");
    write_string_list(&mut out, CMS_ACTIONS.iter().copied());
    out.push_str(",\"Resource\":\"*\",\"Effect\":\"Allow\"}");
    out.push_str("]}");
    out
}

/// Renders the trust policy that lets Container Registry assume the role.
pub fn render_trust_policy() -> String {
    let mut out = String::with_capacity(160);
    out.push_str(
        "{\"Statement\":[{\"Action\":\"sts:AssumeRole\",\"Effect\":\"Allow\",\"Principal\":{\"Service\":",
    );
    write_string_list(&mut out, std::iter::once(TRUSTED_SERVICE));
    out.push_str("}}],\"Version\":\"1\"}");
    out
}

fn write_string_list<'a>(out: &mut String, items: impl Iterator<Item = &'a str>) {
    out.push('[');
    for (i, item) in items.enumerate() {
        if i > 0 {
            out.push(',');
        }
        push_json_string(out, item);
    }
    out.push(']');
}

/// Extracts the bucket names a policy document grants access to.
///
/// Every `Resource` of every statement is inspected; OSS resources of the form
/// `acs:oss:<region>:<account>:<bucket>` or `…:<bucket>/<anything>` contribute `<bucket>`.
/// Wildcard buckets (`*`, or any name containing `*`) and non-OSS resources are ignored, so the
/// `oss:ListBuckets` and Cloud Monitor statements contribute nothing.
pub fn parse_bucket_names(document: &str) -> Result<BTreeSet<String>, PolicyError> {
    let json: Json = serde_json::from_str(document)?;
    let top = json.as_object().ok_or(PolicyError::NotAnObject)?;
    let statements = statements_of(top)?;
    let mut buckets = BTreeSet::new();
    for statement in statements {
        let statement = statement.as_object().ok_or(PolicyError::InvalidField {
            field: "Statement",
            reason: "each statement must be an object",
        })?;
        let Some(resource) = statement.get("Resource") else {
            continue;
        };
        for item in string_or_list(resource, "Resource")? {
            if let Some(bucket) = bucket_of_resource(item) {
                buckets.insert(bucket.to_owned());
            }
        }
    }
    Ok(buckets)
}

fn statements_of(top: &Map<String, Json>) -> Result<Vec<&Json>, PolicyError> {
    match top.get("Statement") {
        None => Err(PolicyError::MissingStatement),
        Some(Json::Array(items)) => Ok(items.iter().collect()),
        Some(single @ Json::Object(_)) => Ok(vec![single]),
        Some(_) => Err(PolicyError::InvalidField {
            field: "Statement",
            reason: "must be an object or a list of objects",
        }),
    }
}

fn string_or_list<'a>(value: &'a Json, field: &'static str) -> Result<Vec<&'a str>, PolicyError> {
    match value {
        Json::String(s) => Ok(vec![s.as_str()]),
        Json::Array(items) => items
            .iter()
            .map(|item| {
                item.as_str().ok_or(PolicyError::InvalidField {
                    field,
                    reason: "list items must be strings",
                })
            })
            .collect(),
        _ => Err(PolicyError::InvalidField {
            field,
            reason: "must be a string or a list of strings",
        }),
    }
}

/// `acs:oss:<region>:<account>:<bucket>[/<path>]` -> `<bucket>`, unless a wildcard.
fn bucket_of_resource(resource: &str) -> Option<&str> {
    let mut parts = resource.splitn(5, ':');
    let (acs, service, _region, _account, rest) = (
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
    );
    if acs != "acs" || service != "oss" {
        return None;
    }
    let bucket = rest.split('/').next().unwrap_or(rest);
    if bucket.is_empty() || bucket.contains('*') {
        return None;
    }
    Some(bucket)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn long_names(count: usize) -> BTreeSet<String> {
        (0..count)
            .map(|i| format!("{i:02}{}", "b".repeat(61)))
            .collect()
    }

    #[test]
    fn the_policy_length_limit_says_how_many_buckets_fit() {
        assert_eq!(check_policy_length(&long_names(1)), Ok(()));
        let too_many = long_names(17);
        let error = check_policy_length(&too_many).expect_err("17 long names are too long");
        assert_eq!(error.length, render_policy(&too_many).len());
        assert!(error.length > POLICY_DOCUMENT_MAX_CHARS);
        assert_eq!(error.buckets, 17);
        let fitting = long_names(error.fitting);
        assert!(render_policy(&fitting).len() <= POLICY_DOCUMENT_MAX_CHARS);
        assert!(render_policy(&long_names(error.fitting + 1)).len() > POLICY_DOCUMENT_MAX_CHARS);
        let text = error.to_string();
        assert!(text.contains("6,144"), "{text}");
        assert!(
            text.contains(&format!("at most {}", error.fitting)),
            "{text}"
        );
        assert_eq!(thousands(6144), "6,144");
        assert_eq!(thousands(144), "144");
        assert_eq!(thousands(1234567), "1,234,567");
    }

    /// The policy as the ACR documentation prints it, with one bucket placeholder.
    const SEED_POLICY: &str = r#"{
"Version": "1",
"Statement": [
{
"Effect": "Allow",
"Action": [
"oss:GetObject",
"oss:PutObject",
"oss:DeleteObject",
"oss:ListParts",
"oss:AbortMultipartUpload",
"oss:InitiateMultipartUpload",
"oss:CompleteMultipartUpload",
"oss:DeleteMultipleObjects",
"oss:ListMultipartUploads",
"oss:ListObjects"
],
"Resource": [
"acs:oss:*:*:<your_bucket_name>",
"acs:oss:*:*:<your_bucket_name>/*"
],
"Condition": {}
},
{
"Effect": "Allow",
"Action": [
"oss:PutBucket",
"oss:GetBucket",
"oss:DeleteBucket",
"oss:GetBucketLocation",
"oss:PutBucketAcl",
"oss:GetBucketAcl",
"oss:PutBucketLogging",
"oss:GetBucketReferer",
"oss:PutBucketReferer",
"oss:GetBucketLogging",
"oss:DeleteBucketLogging"
],
"Resource": [
"acs:oss:*:*:<your_bucket_name>",
"acs:oss:*:*:<your_bucket_name>/*"
],
"Condition": {}
},
{
"Effect": "Allow",
"Action": "oss:ListBuckets",
"Resource": [
"acs:oss:*:*:*",
"acs:oss:*:*:*/*"
],
"Condition": {}
},
{
"Action": [
"cms:QueryMetricLast",
"cms:QueryMetricList"
],
"Resource": "*",
"Effect": "Allow"
}
]
}"#;

    const SEED_TRUST: &str = r#"{
"Statement": [
{
"Action": "sts:AssumeRole",
"Effect": "Allow",
"Principal": {
"Service": [
"cr.aliyuncs.com"
]
}
}
],
"Version": "1"
}"#;

    fn set(names: &[&str]) -> BTreeSet<String> {
        names.iter().map(|s| s.to_string()).collect()
    }

    /// The seed policy with the placeholder resources replaced by those of `buckets`.
    fn seed_for(buckets: &[&str]) -> String {
        let resources: Vec<String> = buckets
            .iter()
            .flat_map(|b| {
                [
                    format!("\"acs:oss:*:*:{b}\""),
                    format!("\"acs:oss:*:*:{b}/*\""),
                ]
            })
            .collect();
        SEED_POLICY.replace(
            "\"acs:oss:*:*:<your_bucket_name>\",\n\"acs:oss:*:*:<your_bucket_name>/*\"",
            &resources.join(",\n"),
        )
    }

    #[test]
    fn seed_substitution_helper_replaces_both_statements() {
        let doc = seed_for(&["a-bucket"]);
        assert!(!doc.contains("<your_bucket_name>"));
        assert_eq!(doc.matches("acs:oss:*:*:a-bucket/*").count(), 2);
    }

    #[test]
    fn render_one_bucket_matches_seed() {
        let rendered = render_policy(&set(&["my-registry"]));
        assert!(documents_equivalent(&rendered, &seed_for(&["my-registry"])));
    }

    #[test]
    fn render_several_buckets_matches_seed() {
        let rendered = render_policy(&set(&["zeta-1", "alpha", "mid"]));
        assert!(documents_equivalent(
            &rendered,
            &seed_for(&["alpha", "mid", "zeta-1"])
        ));
        // The first two statements list the buckets in sorted order.
        let json: Json = serde_json::from_str(&rendered).expect("rendered policy is JSON");
        let resources = &json["Statement"][0]["Resource"];
        let expected = serde_json::json!([
            "acs:oss:*:*:alpha",
            "acs:oss:*:*:alpha/*",
            "acs:oss:*:*:mid",
            "acs:oss:*:*:mid/*",
            "acs:oss:*:*:zeta-1",
            "acs:oss:*:*:zeta-1/*"
        ]);
        assert_eq!(resources, &expected);
        assert_eq!(&json["Statement"][1]["Resource"], &expected);
    }

    #[test]
    fn render_keeps_seed_shapes() {
        let rendered = render_policy(&set(&["b1"]));
        let json: Json = serde_json::from_str(&rendered).expect("rendered policy is JSON");
        let statements = json["Statement"].as_array().expect("statement list");
        assert_eq!(statements.len(), 4);
        assert_eq!(json["Version"], Json::String("1".into()));
        assert_eq!(
            statements[2]["Action"],
            Json::String("oss:ListBuckets".into())
        );
        assert_eq!(statements[3]["Resource"], Json::String("*".into()));
        for s in &statements[..3] {
            assert_eq!(s["Condition"], serde_json::json!({}));
        }
        assert!(statements[3].get("Condition").is_none());
        // Byte-exact prefix of the chosen compact form.
        assert!(rendered.starts_with(
            "{\"Version\":\"1\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":[\"oss:GetObject\","
        ));
        assert!(rendered.ends_with(
            "{\"Action\":[\"cms:QueryMetricLast\",\"cms:QueryMetricList\"],\"Resource\":\"*\",\"Effect\":\"Allow\"}]}"
        ));
    }

    #[test]
    fn render_is_byte_stable_and_order_independent() {
        let a = render_policy(&set(&["b", "a", "c"]));
        let b = render_policy(&set(&["c", "b", "a"]));
        assert_eq!(a, b);
        assert_eq!(a, render_policy(&set(&["a", "b", "c"])));
        assert_eq!(a, render_policy(&set(&["c", "a", "b", "a"])), "duplicates");
    }

    #[test]
    fn render_escapes_odd_names() {
        // Validation rejects such names, but rendering must still produce valid JSON.
        let rendered = render_policy(&set(&["we\"ird\\\n"]));
        let parsed = parse_bucket_names(&rendered).expect("valid JSON");
        assert_eq!(parsed, set(&["we\"ird\\\n"]));
    }

    #[test]
    fn trust_policy_matches_seed() {
        let trust = render_trust_policy();
        assert!(documents_equivalent(&trust, SEED_TRUST));
        assert_eq!(trust, render_trust_policy());
        assert_eq!(
            trust,
            "{\"Statement\":[{\"Action\":\"sts:AssumeRole\",\"Effect\":\"Allow\",\"Principal\":{\"Service\":[\"cr.aliyuncs.com\"]}}],\"Version\":\"1\"}"
        );
        assert!(!documents_equivalent(&trust, &render_policy(&set(&["x"]))));
    }

    #[test]
    fn parse_round_trip() {
        for buckets in [
            set(&["one"]),
            set(&["a1", "b-2", "c3c"]),
            set(&["registry-images", "backup"]),
        ] {
            assert_eq!(
                parse_bucket_names(&render_policy(&buckets)).expect("parse"),
                buckets
            );
        }
    }

    #[test]
    fn parse_seed_document_and_variants() {
        assert_eq!(
            parse_bucket_names(&seed_for(&["x-1", "y-2"])).expect("parse"),
            set(&["x-1", "y-2"])
        );
        // A lone resource string, an account id, a path inside the bucket, non-OSS resources.
        let doc = r#"{"Version":"1","Statement":{"Effect":"Allow","Action":"oss:*",
            "Resource":"acs:oss:*:1234567:solo/prefix/*"}}"#;
        assert_eq!(parse_bucket_names(doc).expect("parse"), set(&["solo"]));
        let doc = r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"ecs:*",
            "Resource":["acs:ecs:*:*:instance/i-1","*","acs:oss:*:*:buck*"]}]}"#;
        assert!(parse_bucket_names(doc).expect("parse").is_empty());
    }

    #[test]
    fn parse_rejects_malformed() {
        for bad in [
            "",
            "{",
            "[]",
            "\"Version\"",
            "{\"Version\":\"1\"}",
            "{\"Statement\":3}",
            "{\"Statement\":[3]}",
            "{\"Statement\":[{\"Resource\":7}]}",
            "{\"Statement\":[{\"Resource\":[\"acs:oss:*:*:a\",null]}]}",
        ] {
            assert!(parse_bucket_names(bad).is_err(), "{bad:?} should fail");
        }
        assert!(matches!(
            parse_bucket_names("[]"),
            Err(PolicyError::NotAnObject)
        ));
        assert!(matches!(
            parse_bucket_names("{}"),
            Err(PolicyError::MissingStatement)
        ));
    }

    #[test]
    fn equivalence_ignores_formatting() {
        let compact = render_policy(&set(&["a", "b"]));
        let value: Json = serde_json::from_str(&compact).expect("JSON");
        let pretty = serde_json::to_string_pretty(&value).expect("pretty");
        assert!(documents_equivalent(&compact, &pretty));

        // Key order, Version as a number, lone string vs list, Condition {} vs absent,
        // resources and actions reordered, duplicate entries, statements reordered.
        let reformatted = r#"{"Statement":[
          {"Resource":"*","Effect":"Allow","Action":["cms:QueryMetricList","cms:QueryMetricLast"]},
          {"Resource":["acs:oss:*:*:*/*","acs:oss:*:*:*"],"Action":["oss:ListBuckets"],"Effect":"Allow"},
          {"Condition":{},"Effect":"Allow","Resource":["acs:oss:*:*:b/*","acs:oss:*:*:a","acs:oss:*:*:a/*","acs:oss:*:*:b"],
           "Action":["oss:ListObjects","oss:GetObject","oss:PutObject","oss:DeleteObject","oss:ListParts",
             "oss:AbortMultipartUpload","oss:InitiateMultipartUpload","oss:CompleteMultipartUpload",
             "oss:DeleteMultipleObjects","oss:ListMultipartUploads","oss:GetObject"]},
          {"Effect":"Allow","Action":["oss:PutBucket","oss:GetBucket","oss:DeleteBucket","oss:GetBucketLocation",
             "oss:PutBucketAcl","oss:GetBucketAcl","oss:PutBucketLogging","oss:GetBucketReferer",
             "oss:PutBucketReferer","oss:GetBucketLogging","oss:DeleteBucketLogging"],
           "Resource":["acs:oss:*:*:a","acs:oss:*:*:a/*","acs:oss:*:*:b","acs:oss:*:*:b/*"]}
        ],"Version":1}"#;
        assert!(documents_equivalent(&compact, reformatted));
        assert!(documents_equivalent(reformatted, &compact));

        let trust_variant = r#"{"Version":"1","Statement":{"Effect":"Allow",
            "Principal":{"Service":"cr.aliyuncs.com"},"Action":["sts:AssumeRole"],"Condition":{}}}"#;
        assert!(documents_equivalent(&render_trust_policy(), trust_variant));
    }

    #[test]
    fn equivalence_detects_real_differences() {
        let base = render_policy(&set(&["a", "b"]));
        assert!(!documents_equivalent(&base, &render_policy(&set(&["a"]))));
        assert!(!documents_equivalent(
            &base,
            &render_policy(&set(&["a", "c"]))
        ));
        let fewer_actions = base.replace("\"oss:ListParts\",", "");
        assert!(!documents_equivalent(&base, &fewer_actions));
        let other_action = base.replace("oss:ListBuckets", "oss:ListBucket");
        assert!(!documents_equivalent(&base, &other_action));
        let denied = base.replacen("\"Allow\"", "\"Deny\"", 1);
        assert!(!documents_equivalent(&base, &denied));
        let versioned = base.replace("\"Version\":\"1\"", "\"Version\":\"2\"");
        assert!(!documents_equivalent(&base, &versioned));
        let with_condition = base.replacen(
            "\"Condition\":{}",
            "\"Condition\":{\"IpAddress\":{\"acs:SourceIp\":\"10.0.0.0/8\"}}",
            1,
        );
        assert!(!documents_equivalent(&base, &with_condition));
        let other_service = render_trust_policy().replace("cr.aliyuncs.com", "ecs.aliyuncs.com");
        assert!(!documents_equivalent(
            &render_trust_policy(),
            &other_service
        ));
    }

    #[test]
    fn condition_values_compare_as_sets() {
        let a = r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"x:y","Resource":"*",
            "Condition":{"IpAddress":{"acs:SourceIp":["10.0.0.0/8","192.168.0.0/16"]}}}]}"#;
        let b = r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"x:y","Resource":"*",
            "Condition":{"IpAddress":{"acs:SourceIp":["192.168.0.0/16","10.0.0.0/8"]}}}]}"#;
        assert!(documents_equivalent(a, b));
    }

    #[test]
    fn malformed_documents_are_never_equivalent() {
        let good = render_trust_policy();
        for bad in ["", "{", "null", "[1]", "{\"Statement\":[}", "\u{0}"] {
            assert!(!documents_equivalent(bad, bad), "{bad:?}");
            assert!(!documents_equivalent(bad, &good));
            assert!(!documents_equivalent(&good, bad));
        }
        // Deep nesting is rejected by the JSON parser's recursion limit, not a stack overflow.
        let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        assert!(!documents_equivalent(&deep, &deep));
        assert!(parse_bucket_names(&deep).is_err());
    }
}
