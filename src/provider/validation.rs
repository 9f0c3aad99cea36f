//! Input rules for provider and resource attributes, as pure functions.
//!
//! Each check returns `Err(message)` with a sentence that names the offending value and states
//! the rule, ready to become a diagnostic on the attribute's path. Nothing here performs I/O.

use std::collections::BTreeSet;

/// Shortest and longest OSS bucket name.
pub(crate) const BUCKET_NAME_LEN: (usize, usize) = (3, 63);
/// Shortest and longest RAM role name.
pub(crate) const ROLE_NAME_LEN: (usize, usize) = (1, 64);
/// Shortest and longest RAM policy name.
pub(crate) const POLICY_NAME_LEN: (usize, usize) = (1, 128);
/// Longest role description, in characters.
pub(crate) const DESCRIPTION_MAX_CHARS: usize = 1024;
/// Allowed `max_session_duration` range in seconds (inclusive).
pub(crate) const MAX_SESSION_DURATION_RANGE: (i64, i64) = (3600, 43200);
/// Shortest and longest STS role session name.
pub(crate) const SESSION_NAME_LEN: (usize, usize) = (2, 64);
/// Allowed STS `session_expiration` range in seconds (inclusive).
pub(crate) const SESSION_EXPIRATION_RANGE: (i64, i64) = (900, 3600);
/// Accepted values of `signature_algorithm`.
pub(crate) const SIGNATURE_ALGORITHMS: &[&str] = &["HMAC-SHA1", "ACS3-HMAC-SHA256"];

fn is_lower_alnum(b: u8) -> bool {
    b.is_ascii_lowercase() || b.is_ascii_digit()
}

/// An OSS bucket name: 3-63 characters of lower-case letters, digits and hyphens, starting and
/// ending with a letter or digit.
pub(crate) fn validate_bucket_name(name: &str) -> Result<(), String> {
    let bytes = name.as_bytes();
    let (min, max) = BUCKET_NAME_LEN;
    let ok = (min..=max).contains(&bytes.len())
        && bytes.iter().all(|&b| is_lower_alnum(b) || b == b'-')
        && bytes.first().copied().is_some_and(is_lower_alnum)
        && bytes.last().copied().is_some_and(is_lower_alnum);
    if ok {
        Ok(())
    } else {
        Err(format!(
            "bucket name {name:?} must be {min}-{max} characters of lower-case letters, digits \
             and hyphens, starting and ending with a letter or digit"
        ))
    }
}

/// The set of bucket names must not be empty (each name is checked by
/// [`validate_bucket_name`]).
pub(crate) fn validate_bucket_set_non_empty<T>(names: &BTreeSet<T>) -> Result<(), String> {
    if names.is_empty() {
        Err("bucket_names must contain at least one bucket name".to_owned())
    } else {
        Ok(())
    }
}

fn chars_in(name: &str, extra: &[u8]) -> bool {
    name.bytes()
        .all(|b| b.is_ascii_alphanumeric() || extra.contains(&b))
}

/// A RAM role name: 1-64 characters of letters, digits, `.` and `-`.
pub(crate) fn validate_role_name(name: &str) -> Result<(), String> {
    let (min, max) = ROLE_NAME_LEN;
    if (min..=max).contains(&name.len()) && chars_in(name, b".-") {
        Ok(())
    } else {
        Err(format!(
            "role name {name:?} must be {min}-{max} characters of letters, digits, \".\" and \"-\""
        ))
    }
}

/// A RAM policy name: 1-128 characters of letters, digits and `-`.
pub(crate) fn validate_policy_name(name: &str) -> Result<(), String> {
    let (min, max) = POLICY_NAME_LEN;
    if (min..=max).contains(&name.len()) && chars_in(name, b"-") {
        Ok(())
    } else {
        Err(format!(
            "policy name {name:?} must be {min}-{max} characters of letters, digits and \"-\""
        ))
    }
}

/// A role description: at most 1024 characters (Unicode scalar values, not bytes).
pub(crate) fn validate_description(description: &str) -> Result<(), String> {
    let count = description.chars().count();
    if count <= DESCRIPTION_MAX_CHARS {
        Ok(())
    } else {
        Err(format!(
            "description must be at most {DESCRIPTION_MAX_CHARS} characters (got {count})"
        ))
    }
}

/// `max_session_duration`: 3600-43200 seconds.
pub(crate) fn validate_max_session_duration(seconds: i64) -> Result<(), String> {
    let (min, max) = MAX_SESSION_DURATION_RANGE;
    if (min..=max).contains(&seconds) {
        Ok(())
    } else {
        Err(format!(
            "max_session_duration {seconds} must be between {min} and {max} seconds"
        ))
    }
}

/// An STS role session name: 2-64 characters of letters, digits, `.`, `@`, `_` and `-`.
pub(crate) fn validate_session_name(name: &str) -> Result<(), String> {
    let (min, max) = SESSION_NAME_LEN;
    if (min..=max).contains(&name.len()) && chars_in(name, b".@_-") {
        Ok(())
    } else {
        Err(format!(
            "session name {name:?} must be {min}-{max} characters of letters, digits, \".\", \
             \"@\", \"_\" and \"-\""
        ))
    }
}

/// STS `session_expiration`: 900-3600 seconds.
pub(crate) fn validate_session_expiration(seconds: i64) -> Result<(), String> {
    let (min, max) = SESSION_EXPIRATION_RANGE;
    if (min..=max).contains(&seconds) {
        Ok(())
    } else {
        Err(format!(
            "session_expiration {seconds} must be between {min} and {max} seconds"
        ))
    }
}

/// A RAM role ARN: `acs:ram::<account id digits>:role/<role name>`.
pub(crate) fn validate_role_arn(arn: &str) -> Result<(), String> {
    let ok = arn
        .strip_prefix("acs:ram::")
        .and_then(|rest| rest.split_once(":role/"))
        .is_some_and(|(account, role)| {
            !account.is_empty()
                && account.bytes().all(|b| b.is_ascii_digit())
                && validate_role_name(role).is_ok()
        });
    if ok {
        Ok(())
    } else {
        Err(format!(
            "role ARN {arn:?} must have the form acs:ram::<account id>:role/<role name>, the \
             account id being digits and the role name 1-64 characters of letters, digits, \".\" \
             and \"-\""
        ))
    }
}

/// Alibaba Cloud's public regions when this was written; a region id not listed is only warned
/// about, since new regions open.
pub(crate) const KNOWN_REGIONS: &[&str] = &[
    "cn-hangzhou",
    "cn-shanghai",
    "cn-qingdao",
    "cn-beijing",
    "cn-zhangjiakou",
    "cn-huhehaote",
    "cn-wulanchabu",
    "cn-shenzhen",
    "cn-heyuan",
    "cn-guangzhou",
    "cn-chengdu",
    "cn-nanjing",
    "cn-fuzhou",
    "cn-wuhan-lr",
    "cn-hongkong",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-southeast-3",
    "ap-southeast-5",
    "ap-southeast-6",
    "ap-southeast-7",
    "ap-south-1",
    "us-east-1",
    "us-west-1",
    "na-south-1",
    "eu-west-1",
    "eu-central-1",
    "me-east-1",
    "me-central-1",
    "cn-shanghai-finance-1",
    "cn-shenzhen-finance-1",
    "cn-beijing-finance-1",
    "cn-north-2-gov-1",
];

/// A region id: lower-case letters, digits and hyphens in parts, such as `cn-hangzhou` or
/// `ap-southeast-1`.
pub(crate) fn validate_region(region: &str) -> Result<(), String> {
    let parts: Vec<&str> = region.split('-').collect();
    let well_formed = parts.len() >= 2
        && parts[0].len() == 2
        && parts[0].bytes().all(|b| b.is_ascii_lowercase())
        && parts.iter().all(|p| {
            !p.is_empty()
                && p.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        });
    if well_formed {
        Ok(())
    } else {
        Err(format!(
            "region {region:?} must be an Alibaba Cloud region id such as \"cn-hangzhou\" or \
             \"ap-southeast-1\": lower-case letters and digits in parts joined by \"-\""
        ))
    }
}

/// The address of Alibaba Cloud's instance metadata service.
pub(crate) const ECS_METADATA_HOST: &str = "100.100.100.200";

/// The metadata service endpoint: plain `http://` (as the service speaks) to its own address or
/// to a loopback host (the emulator), and nothing else, since it hands out credentials.
pub(crate) fn validate_metadata_endpoint(url: &str) -> Result<(), String> {
    let rule = || {
        format!(
            "ecs_metadata endpoint {url:?} must be http://{ECS_METADATA_HOST} or http:// on a \
             loopback host (127.0.0.0/8, ::1, localhost), with no path"
        )
    };
    let parsed = reqwest::Url::parse(url).map_err(|_| rule())?;
    let allowed_host = parsed.host_str() == Some(ECS_METADATA_HOST)
        || crate::alicloud::endpoint::is_loopback(&parsed);
    let bare = parsed.username().is_empty()
        && parsed.password().is_none()
        && parsed.query().is_none()
        && parsed.fragment().is_none()
        && matches!(parsed.path(), "" | "/");
    if parsed.scheme() == "http" && allowed_host && bare {
        Ok(())
    } else {
        Err(rule())
    }
}

/// `signature_algorithm`: `HMAC-SHA1` or `ACS3-HMAC-SHA256` (exact spelling).
pub(crate) fn validate_signature_algorithm(algorithm: &str) -> Result<(), String> {
    if SIGNATURE_ALGORITHMS.contains(&algorithm) {
        Ok(())
    } else {
        Err(format!(
            "signature_algorithm {algorithm:?} must be one of \"HMAC-SHA1\" or \"ACS3-HMAC-SHA256\""
        ))
    }
}

/// An endpoint: the same rule the client applies when it is configured
/// ([`crate::alicloud::endpoint::Endpoint::parse`]), so that `terraform validate` and the
/// provider never disagree.
pub(crate) fn validate_endpoint_url(url: &str) -> Result<(), String> {
    crate::alicloud::endpoint::Endpoint::parse(url)
        .map(|_| ())
        .map_err(|error| match error {
            crate::alicloud::Error::Config(message) => message,
            other => other.to_string(),
        })
}

/// RAM's limits on tags: how many per resource and how long keys and values may be.
pub(crate) const MAX_TAGS: usize = 20;
pub(crate) const TAG_KEY_LEN: (usize, usize) = (1, 128);
pub(crate) const TAG_VALUE_MAX_CHARS: usize = 128;
/// Key prefixes RAM reserves for Alibaba Cloud's own tags.
pub(crate) const RESERVED_TAG_PREFIXES: &[&str] = &["acs:", "aliyun"];

/// RAM's tag rules: at most 20, keys 1-128 characters not starting with a reserved prefix,
/// values at most 128 characters.
pub(crate) fn validate_tags(
    tags: &std::collections::BTreeMap<String, String>,
) -> Result<(), String> {
    // Every problem at once: one `terraform validate` shows all that needs fixing.
    let mut problems = Vec::new();
    if tags.len() > MAX_TAGS {
        problems.push(format!(
            "at most {MAX_TAGS} tags are allowed per resource, got {}",
            tags.len()
        ));
    }
    for (key, value) in tags {
        let key_chars = key.chars().count();
        if key_chars < TAG_KEY_LEN.0 || key_chars > TAG_KEY_LEN.1 {
            problems.push(format!(
                "tag key {key:?} must be {}-{} characters",
                TAG_KEY_LEN.0, TAG_KEY_LEN.1
            ));
        }
        let lower = key.to_ascii_lowercase();
        if let Some(prefix) = RESERVED_TAG_PREFIXES.iter().find(|p| lower.starts_with(*p)) {
            problems.push(format!(
                "tag key {key:?} must not start with {prefix:?}, which Alibaba Cloud reserves"
            ));
        }
        if value.chars().count() > TAG_VALUE_MAX_CHARS {
            problems.push(format!(
                "the value of tag {key:?} must be at most {TAG_VALUE_MAX_CHARS} characters"
            ));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("; "))
    }
}

/// Parses a Terraform (Go) duration such as `"30s"`, `"1h30m"` or `"1.5m"` into a positive
/// duration.
pub(crate) fn parse_duration(text: &str) -> Result<std::time::Duration, String> {
    let rule = || {
        format!("{text:?} is not a duration: use a number and a unit (ms, s, m or h), e.g. \"90s\" or \"1h30m\"")
    };
    let mut rest = text.trim();
    if rest.is_empty() {
        return Err(rule());
    }
    let mut total = 0f64;
    while !rest.is_empty() {
        let number_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .ok_or_else(rule)?;
        let number: f64 = rest[..number_len].parse().map_err(|_| rule())?;
        rest = &rest[number_len..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let seconds_per_unit = match &rest[..unit_len] {
            "ns" => 1e-9,
            "us" | "µs" => 1e-6,
            "ms" => 1e-3,
            "s" => 1.0,
            "m" => 60.0,
            "h" => 3600.0,
            _ => return Err(rule()),
        };
        rest = &rest[unit_len..];
        total += number * seconds_per_unit;
    }
    if !(total > 0.0 && total.is_finite() && total < 1e9) {
        return Err(format!("{text:?} must be a positive duration"));
    }
    Ok(std::time::Duration::from_secs_f64(total))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(r: Result<(), String>) -> bool {
        r.is_ok()
    }

    #[test]
    fn bucket_names() {
        for good in [
            "abc",
            "a-b",
            "0ab",
            "my-bucket-123",
            &"a".repeat(63),
            "a1-9",
        ] {
            assert!(ok(validate_bucket_name(good)), "{good:?}");
        }
        for bad in [
            "",
            "ab",
            &"a".repeat(64),
            "Foo",
            "-ab",
            "ab-",
            "a_b",
            "a.b",
            "a b",
            "ab\u{e9}",
            "abc\n",
        ] {
            assert!(!ok(validate_bucket_name(bad)), "{bad:?}");
        }
        let msg = validate_bucket_name("Foo").expect_err("invalid");
        assert_eq!(
            msg,
            "bucket name \"Foo\" must be 3-63 characters of lower-case letters, digits and \
             hyphens, starting and ending with a letter or digit"
        );
    }

    #[test]
    fn bucket_sets() {
        let empty: BTreeSet<String> = BTreeSet::new();
        assert!(validate_bucket_set_non_empty(&empty)
            .expect_err("empty")
            .contains("at least one"));
        let one: BTreeSet<String> = ["abc".to_owned()].into();
        assert!(ok(validate_bucket_set_non_empty(&one)));
        assert!(validate_bucket_name("B-ad")
            .expect_err("bad member")
            .contains("\"B-ad\""));
    }

    #[test]
    fn role_names() {
        for good in [
            "a",
            "Role.name-1",
            &"R".repeat(64),
            "AliyunContainerRegistryCustomizedOSSBucketRole",
        ] {
            assert!(ok(validate_role_name(good)), "{good:?}");
        }
        for bad in ["", &"R".repeat(65), "a_b", "a b", "a/b", "r\u{f6}le"] {
            assert!(!ok(validate_role_name(bad)), "{bad:?}");
        }
        assert!(validate_role_name("a_b").expect_err("bad").contains("1-64"));
    }

    #[test]
    fn policy_names() {
        for good in [
            "p",
            "AliyunContainerRegistryCustomizedOSSBucketRolePolicy",
            &"p".repeat(128),
            "a-B-9",
        ] {
            assert!(ok(validate_policy_name(good)), "{good:?}");
        }
        for bad in ["", &"p".repeat(129), "a.b", "a_b", "a b"] {
            assert!(!ok(validate_policy_name(bad)), "{bad:?}");
        }
        assert!(validate_policy_name("").expect_err("bad").contains("1-128"));
    }

    #[test]
    fn descriptions() {
        assert!(ok(validate_description("")));
        assert!(ok(validate_description(&"x".repeat(1024))));
        // Counted in characters, not bytes.
        assert!(ok(validate_description(&"\u{4e2d}".repeat(1024))));
        assert!(!ok(validate_description(&"x".repeat(1025))));
        assert!(validate_description(&"\u{4e2d}".repeat(1025))
            .expect_err("too long")
            .contains("1024"));
    }

    #[test]
    fn max_session_durations() {
        for good in [3600, 3601, 43199, 43200] {
            assert!(ok(validate_max_session_duration(good)), "{good}");
        }
        for bad in [i64::MIN, -1, 0, 3599, 43201, i64::MAX] {
            assert!(!ok(validate_max_session_duration(bad)), "{bad}");
        }
        assert_eq!(
            validate_max_session_duration(100).expect_err("bad"),
            "max_session_duration 100 must be between 3600 and 43200 seconds"
        );
    }

    #[test]
    fn session_names() {
        for good in ["ab", "terraform@alicr_1.x-y", &"s".repeat(64)] {
            assert!(ok(validate_session_name(good)), "{good:?}");
        }
        for bad in ["", "a", &"s".repeat(65), "a b", "a/b", "a:b"] {
            assert!(!ok(validate_session_name(bad)), "{bad:?}");
        }
    }

    #[test]
    fn session_expirations() {
        for good in [900, 901, 3599, 3600] {
            assert!(ok(validate_session_expiration(good)), "{good}");
        }
        for bad in [0, 899, 3601, -900] {
            assert!(!ok(validate_session_expiration(bad)), "{bad}");
        }
    }

    #[test]
    fn role_arns() {
        for good in [
            "acs:ram::1234567890123456:role/terraform",
            "acs:ram::1:role/a.b-C",
        ] {
            assert!(ok(validate_role_arn(good)), "{good:?}");
        }
        for bad in [
            "",
            "acs:ram::role/x",
            "acs:ram:::role/x",
            "acs:ram::12a:role/x",
            "acs:ram::123:role/",
            "acs:ram::123:user/x",
            "acs:ram:cn-hangzhou:123:role/x",
            "acs:ram::123:role/a_b",
            &format!("acs:ram::1:role/{}", "r".repeat(65)),
        ] {
            assert!(!ok(validate_role_arn(bad)), "{bad:?}");
        }
    }

    #[test]
    fn signature_algorithms() {
        assert!(ok(validate_signature_algorithm("HMAC-SHA1")));
        assert!(ok(validate_signature_algorithm("ACS3-HMAC-SHA256")));
        for bad in ["", "hmac-sha1", "HMAC-SHA256", "v2"] {
            assert!(!ok(validate_signature_algorithm(bad)), "{bad:?}");
        }
    }

    #[test]
    fn endpoint_urls() {
        for good in [
            "https://ram.aliyuncs.com",
            "https://ram.aliyuncs.com/",
            "ram.aliyuncs.com",
            "HTTPS://sts.cn-hangzhou.aliyuncs.com:443",
            "https://10.0.0.1:8443",
            "https://[2001:db8::1]/",
            "http://127.0.0.1:8080",
            "http://127.1.2.3",
            "http://localhost:1",
            "http://[::1]:9000",
        ] {
            assert!(ok(validate_endpoint_url(good)), "{good:?}");
        }
        for bad in [
            "",
            "ftp://ram.aliyuncs.com",
            "http://ram.aliyuncs.com",
            "http://10.0.0.1:8080",
            "http://128.0.0.1",
            "http://[::2]",
            "http://[::ffff:127.0.0.1]:9000",
            "http://localhost.evil.com",
            "http://user@localhost",
            "https://ram.aliyuncs.com/path",
            "https://ram.aliyuncs.com/?q=1",
            "https://",
            "https://:443",
            "https://host:0",
            "https://host:65536",
            "https://host:12a",
            "https://[::1",
            "https://[::1]x",
        ] {
            assert!(!ok(validate_endpoint_url(bad)), "{bad:?}");
        }
        assert!(validate_endpoint_url("http://example.com")
            .expect_err("plain http")
            .contains("loopback"));
        let leaked = validate_endpoint_url("https://AKID:TopSecret@ram.aliyuncs.com")
            .expect_err("user information");
        assert!(!leaked.contains("TopSecret"), "{leaked}");
        assert!(!leaked.contains("AKID"), "{leaked}");
    }

    #[test]
    fn metadata_endpoints() {
        for good in [
            "http://100.100.100.200",
            "http://127.0.0.1:8080",
            "http://localhost:1/",
            "http://[::1]:9",
        ] {
            assert!(ok(validate_metadata_endpoint(good)), "{good:?}");
        }
        for bad in [
            "https://100.100.100.200",
            "http://100.100.100.201",
            "http://169.254.169.254",
            "http://metadata.example.com",
            "http://127.0.0.1:1/latest",
            "http://user@127.0.0.1:1",
            "",
        ] {
            assert!(!ok(validate_metadata_endpoint(bad)), "{bad:?}");
        }
    }

    #[test]
    fn tags_follow_rams_limits() {
        use std::collections::BTreeMap;
        let ok = BTreeMap::from([("env".to_string(), "prod".to_string())]);
        assert!(validate_tags(&ok).is_ok());
        let many: BTreeMap<String, String> =
            (0..21).map(|i| (format!("k{i}"), String::new())).collect();
        assert!(validate_tags(&many).unwrap_err().contains("at most 20"));
        let reserved = BTreeMap::from([("acs:owner".to_string(), "x".to_string())]);
        assert!(validate_tags(&reserved).unwrap_err().contains("acs:"));
        let reserved = BTreeMap::from([("AliyunThing".to_string(), "x".to_string())]);
        assert!(validate_tags(&reserved).unwrap_err().contains("aliyun"));
        let several = BTreeMap::from([
            (String::new(), "x".to_string()),
            ("acs:x".to_string(), "x".to_string()),
            ("k".to_string(), "v".repeat(129)),
        ]);
        let all = validate_tags(&several).unwrap_err();
        assert!(all.contains("1-128 characters"), "{all}");
        assert!(all.contains("acs:"), "{all}");
        assert!(all.contains("at most 128"), "{all}");
        let long_key = BTreeMap::from([("k".repeat(129), "x".to_string())]);
        assert!(validate_tags(&long_key).is_err());
        let long_value = BTreeMap::from([("k".to_string(), "v".repeat(129))]);
        assert!(validate_tags(&long_value).is_err());
        let empty_key = BTreeMap::from([(String::new(), "v".to_string())]);
        assert!(validate_tags(&empty_key).is_err());
    }

    #[test]
    fn durations_parse_like_terraform() {
        use std::time::Duration;
        assert_eq!(parse_duration("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_duration("1h30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_duration("1.5m"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        for bad in ["", "10", "s", "10 minutes", "-5s", "0s", "1x"] {
            assert!(parse_duration(bad).is_err(), "{bad:?} accepted");
        }
    }
}
