//! Lenient serde helpers for Alibaba Cloud JSON: numbers and booleans that may arrive as
//! strings, and nulls where a default will do.

use serde::{Deserialize, Deserializer};

#[derive(Deserialize)]
#[serde(untagged)]
enum NumOrText {
    Num(u64),
    Float(f64),
    Text(String),
}

fn to_u64<E: serde::de::Error>(v: NumOrText) -> Result<Option<u64>, E> {
    match v {
        NumOrText::Num(n) => Ok(Some(n)),
        NumOrText::Float(f) if f >= 0.0 && f.fract() == 0.0 && f < u64::MAX as f64 => {
            Ok(Some(f as u64))
        }
        NumOrText::Float(_) => Err(E::custom("expected a non-negative whole number")),
        NumOrText::Text(s) if s.trim().is_empty() => Ok(None),
        NumOrText::Text(s) => s
            .trim()
            .parse::<u64>()
            .map(Some)
            .map_err(|_| E::custom("expected a whole number or a string holding one")),
    }
}

/// A `u64` given as a number or a string; absent, null or empty gives `None`.
pub(crate) fn opt_u64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    match Option::<NumOrText>::deserialize(d)? {
        Some(v) => to_u64(v),
        None => Ok(None),
    }
}

#[derive(Deserialize)]
#[serde(untagged)]
enum BoolOrText {
    Bool(bool),
    Text(String),
}

/// A `bool` given as a boolean or as `"true"` / `"false"`; absent or null gives `false`.
pub(crate) fn bool<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    match Option::<BoolOrText>::deserialize(d)? {
        Some(BoolOrText::Bool(b)) => Ok(b),
        Some(BoolOrText::Text(s)) => match s.trim().to_ascii_lowercase().as_str() {
            "true" => Ok(true),
            "false" | "" => Ok(false),
            _ => Err(serde::de::Error::custom("expected a boolean")),
        },
        None => Ok(false),
    }
}

/// A string where null is accepted as empty.
pub(crate) fn string<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(Option::<String>::deserialize(d)?.unwrap_or_default())
}

#[derive(Deserialize)]
#[serde(untagged)]
enum OneOrMany<T> {
    Many(Vec<T>),
    One(T),
}

/// A list that may arrive as an array, a lone object, or null.
pub(crate) fn list<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Ok(match Option::<OneOrMany<T>>::deserialize(d)? {
        Some(OneOrMany::Many(v)) => v,
        Some(OneOrMany::One(t)) => vec![t],
        None => Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize)]
    struct T {
        #[serde(default, deserialize_with = "opt_u64")]
        n: Option<u64>,
        #[serde(default, deserialize_with = "bool")]
        b: bool,
        #[serde(default, deserialize_with = "string")]
        s: String,
    }

    fn parse(json: &str) -> Option<(Option<u64>, bool, String)> {
        serde_json::from_str::<T>(json)
            .ok()
            .map(|t| (t.n, t.b, t.s))
    }

    #[test]
    fn numbers_as_numbers_or_strings() {
        assert_eq!(parse(r#"{"n":3600}"#).map(|t| t.0), Some(Some(3600)));
        assert_eq!(parse(r#"{"n":"3600"}"#).map(|t| t.0), Some(Some(3600)));
        assert_eq!(parse(r#"{"n":3600.0}"#).map(|t| t.0), Some(Some(3600)));
        assert_eq!(parse(r#"{"n":null}"#).map(|t| t.0), Some(None));
        assert_eq!(parse(r#"{"n":""}"#).map(|t| t.0), Some(None));
        assert_eq!(parse(r#"{}"#).map(|t| t.0), Some(None));
        assert!(parse(r#"{"n":"abc"}"#).is_none());
        assert!(parse(r#"{"n":-1}"#).is_none());
    }

    #[test]
    fn booleans_as_booleans_or_strings() {
        assert_eq!(parse(r#"{"b":true}"#).map(|t| t.1), Some(true));
        assert_eq!(parse(r#"{"b":"true"}"#).map(|t| t.1), Some(true));
        assert_eq!(parse(r#"{"b":"False"}"#).map(|t| t.1), Some(false));
        assert_eq!(parse(r#"{"b":null}"#).map(|t| t.1), Some(false));
        assert!(parse(r#"{"b":"maybe"}"#).is_none());
    }

    #[derive(Deserialize)]
    struct L {
        #[serde(default, deserialize_with = "list")]
        items: Vec<u32>,
    }

    #[test]
    fn lists_as_arrays_objects_or_null() {
        let items = |json: &str| serde_json::from_str::<L>(json).ok().map(|l| l.items);
        assert_eq!(items(r#"{"items":[1,2]}"#), Some(vec![1, 2]));
        assert_eq!(items(r#"{"items":7}"#), Some(vec![7]));
        assert_eq!(items(r#"{"items":null}"#), Some(vec![]));
        assert_eq!(items(r#"{}"#), Some(vec![]));
    }

    #[test]
    fn null_strings_are_empty() {
        assert_eq!(parse(r#"{"s":null}"#).map(|t| t.2), Some(String::new()));
        assert_eq!(parse(r#"{"s":"x"}"#).map(|t| t.2), Some("x".to_string()));
    }
}
