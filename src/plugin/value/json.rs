//! The JSON encoding of cty values: stored state (`RawState.json`) and `DynamicValue.json`.
//!
//! serde_json reads the syntax. Each value is first taken as a [`RawValue`], its exact text, so
//! that a number keeps every digit ([`Number::parse`] reads it, where a `serde_json::Value` would
//! round it to `f64`); the walk then interprets that text against the expected type.

use std::collections::BTreeMap;
use std::fmt;

use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;

use super::{CodecError, ErrorKind, Number, PathStep, Type, Value, MAX_DEPTH};

/// Decodes JSON `bytes` as a value of type `ty`.
///
/// Follows cty's JSON rules, with one deliberate difference for state upgrades: object
/// attributes the type does not have are dropped (an attribute removed from the schema), and
/// attributes the input lacks are null. Like cty, a string may stand for a number or a bool
/// (`"42"`, `"true"`) and a number or bool for a string. JSON has no unknowns.
pub fn decode_json(bytes: &[u8], ty: &Type) -> Result<Value, CodecError> {
    let mut path = Vec::new();
    let raw: &RawValue = parse(bytes, &path)?;
    value(raw, ty, &mut path)
}

fn parse<'a, T: Deserialize<'a>>(text: &'a [u8], path: &[PathStep]) -> Result<T, CodecError> {
    serde_json::from_slice(text).map_err(|error| {
        let kind = match error.classify() {
            serde_json::error::Category::Eof => ErrorKind::UnexpectedEnd,
            _ => ErrorKind::Json(error.to_string()),
        };
        CodecError::at(path, kind)
    })
}

/// The kind of JSON value a raw text holds, told by its first byte (serde_json has already
/// checked the syntax, and a raw value never starts with whitespace).
#[derive(Clone, Copy)]
enum Kind {
    Null,
    Bool,
    Number,
    String,
    Array,
    Object,
}

impl Kind {
    fn of(raw: &RawValue) -> Kind {
        match raw.get().as_bytes().first() {
            Some(b't' | b'f') => Kind::Bool,
            Some(b'"') => Kind::String,
            Some(b'[') => Kind::Array,
            Some(b'{') => Kind::Object,
            Some(b'-' | b'0'..=b'9') => Kind::Number,
            _ => Kind::Null,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Kind::Null => "null",
            Kind::Bool => "JSON bool",
            Kind::Number => "JSON number",
            Kind::String => "JSON string",
            Kind::Array => "JSON array",
            Kind::Object => "JSON object",
        }
    }
}

fn value(raw: &RawValue, ty: &Type, path: &mut Vec<PathStep>) -> Result<Value, CodecError> {
    if path.len() >= MAX_DEPTH {
        return Err(CodecError::at(path, ErrorKind::TooDeep));
    }
    let text = raw.get();
    let string = |path: &[PathStep]| parse::<String>(text.as_bytes(), path);
    let number = |text: &str, path: &[PathStep]| {
        Number::parse(text)
            .map(Value::Number)
            .map_err(|e| CodecError::at(path, e.kind))
    };
    let kind = Kind::of(raw);
    match (ty, kind) {
        (_, Kind::Null) => Ok(Value::Null),
        (Type::String, Kind::String) => string(path).map(Value::String),
        (Type::String, Kind::Number | Kind::Bool) => Ok(Value::String(text.to_owned())),
        (Type::Number, Kind::Number) => number(text, path),
        (Type::Number, Kind::String) => number(&string(path)?, path),
        (Type::Bool, Kind::Bool) => Ok(Value::Bool(text == "true")),
        (Type::Bool, Kind::String) => match string(path)?.as_str() {
            "true" => Ok(Value::Bool(true)),
            "false" => Ok(Value::Bool(false)),
            _ => Err(mismatch(path, ty, kind)),
        },
        (Type::List(element), Kind::Array) => elements(text, element, path).map(Value::List),
        (Type::Set(element), Kind::Array) => elements(text, element, path).map(Value::Set),
        (Type::Map(element), Kind::Object) => {
            members(text, path, |_| Some((&**element, PathStep::Key))).map(Value::Map)
        }
        (Type::Object(attributes), Kind::Object) => {
            // Attributes no longer in the schema are dropped.
            let lookup = |name: &str| attributes.get(name).map(|ty| (ty, PathStep::Attr as _));
            let mut attrs = members(text, path, lookup)?;
            for name in attributes.keys() {
                attrs.entry(name.clone()).or_insert(Value::Null);
            }
            Ok(Value::Object(attrs))
        }
        _ => Err(mismatch(path, ty, kind)),
    }
}

fn mismatch(path: &[PathStep], ty: &Type, kind: Kind) -> CodecError {
    CodecError::at(
        path,
        ErrorKind::Mismatch {
            expected: ty.kind_name(),
            found: kind.name(),
        },
    )
}

fn elements(
    text: &str,
    element: &Type,
    path: &mut Vec<PathStep>,
) -> Result<Vec<Value>, CodecError> {
    let items: Vec<&RawValue> = parse(text.as_bytes(), path)?;
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.into_iter().enumerate() {
        path.push(PathStep::Index(i));
        out.push(value(item, element, path)?);
        path.pop();
    }
    Ok(out)
}

/// An object's members; `lookup` gives each name's type and path step, or `None` to drop it.
fn members<'t>(
    text: &str,
    path: &mut Vec<PathStep>,
    lookup: impl Fn(&str) -> Option<(&'t Type, fn(String) -> PathStep)>,
) -> Result<BTreeMap<String, Value>, CodecError> {
    let Members(members) = parse(text.as_bytes(), path)?;
    let mut out = BTreeMap::new();
    for (name, member) in members {
        let Some((ty, step)) = lookup(&name) else {
            continue;
        };
        path.push(step(name.clone()));
        let item = value(member, ty, path)?;
        path.pop();
        if out.insert(name.clone(), item).is_some() {
            return Err(CodecError::at(path, ErrorKind::DuplicateKey(name)));
        }
    }
    Ok(out)
}

/// A JSON object's members in input order, duplicates kept so that they can be refused.
struct Members<'a>(Vec<(String, &'a RawValue)>);

impl<'de> Deserialize<'de> for Members<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct MembersVisitor;

        impl<'de> Visitor<'de> for MembersVisitor {
            type Value = Members<'de>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut members = Vec::new();
                while let Some(member) = map.next_entry()? {
                    members.push(member);
                }
                Ok(Members(members))
            }
        }

        deserializer.deserialize_map(MembersVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::super::shorthand::{big, int, s, strings};
    use super::*;

    fn role_type() -> Type {
        Type::object([
            ("bucket_names", Type::set(Type::String)),
            ("role_name", Type::String),
            ("max_session_duration", Type::Number),
            ("force_detach_policies", Type::Bool),
            ("tags", Type::map(Type::String)),
        ])
    }

    #[test]
    fn type_syntax() {
        let cases: &[(Type, &str)] = &[
            (Type::String, "\"string\""),
            (Type::Bool, "\"bool\""),
            (Type::set(Type::String), "[\"set\",\"string\"]"),
            (Type::list(Type::Number), "[\"list\",\"number\"]"),
            (
                Type::object([("b", Type::Bool), ("a", Type::Number)]),
                "[\"object\",{\"a\":\"number\",\"b\":\"bool\"}]",
            ),
            (
                Type::map(Type::map(Type::Number)),
                "[\"map\",[\"map\",\"number\"]]",
            ),
            (Type::Object(BTreeMap::new()), "[\"object\",{}]"),
            (
                Type::object([("a\"\\\n", Type::String)]),
                "[\"object\",{\"a\\\"\\\\\\n\":\"string\"}]",
            ),
        ];
        for (ty, text) in cases {
            assert_eq!(String::from_utf8_lossy(&ty.to_json()), *text);
            assert_eq!(ty.to_string(), *text);
        }
    }

    #[test]
    fn values_decode() {
        let ty = role_type();
        let state = br#"{"bucket_names":["a","b\"q\\\n\u0001\u00e9"],"role_name":"r",
            "max_session_duration":3600,"force_detach_policies":true,
            "tags":{"k":"v","n":null}}"#;
        let value = Value::object([
            ("bucket_names", strings(&["a", "b\"q\\\n\u{1}\u{e9}"])),
            ("role_name", s("r")),
            ("max_session_duration", int(3600)),
            ("force_detach_policies", Value::Bool(true)),
            (
                "tags",
                Value::Map([("k".to_owned(), s("v")), ("n".into(), Value::Null)].into()),
            ),
        ]);
        assert_eq!(decode_json(state, &ty), Ok(value));
        assert_eq!(
            decode_json(br#" { "bucket_names" : [ ] } "#, &ty),
            Ok(Value::object([
                ("bucket_names", Value::Set(vec![])),
                ("force_detach_policies", Value::Null),
                ("max_session_duration", Value::Null),
                ("role_name", Value::Null),
                ("tags", Value::Null),
            ]))
        );
        assert_eq!(decode_json(b"null", &ty), Ok(Value::Null), "a null object");
    }

    #[test]
    fn numbers_keep_precision() {
        let decode = |text: &str| decode_json(text.as_bytes(), &Type::Number).expect(text);
        assert_eq!(decode("3600"), int(3600));
        assert_eq!(decode("3.6e3"), int(3600));
        assert_eq!(decode("\"42\""), int(42));
        assert_eq!(
            decode("123456789012345678901234567890"),
            big("123456789012345678901234567890")
        );
        assert_eq!(decode("0.1"), big("0.1"));
        assert_eq!(
            decode("123456789012345678901234567890.125"),
            big("123456789012345678901234567890.125")
        );
        assert_eq!(decode("1e400"), big("1e400"));
        assert_eq!(decode("-0.5"), big("-0.5"));
        for bad in ["01", "1.", ".5", "-", "+1", "1e", "0x1", "\"abc\"", "NaN"] {
            assert!(decode_json(bad.as_bytes(), &Type::Number).is_err(), "{bad}");
        }
    }

    #[test]
    fn conversions_like_cty() {
        assert_eq!(decode_json(b"12", &Type::String), Ok(s("12")));
        assert_eq!(decode_json(b"1.50", &Type::String), Ok(s("1.50")));
        assert_eq!(decode_json(b"true", &Type::String), Ok(s("true")));
        assert_eq!(decode_json(b"\"true\"", &Type::Bool), Ok(Value::Bool(true)));
        assert_eq!(
            decode_json(b"\"false\"", &Type::Bool),
            Ok(Value::Bool(false))
        );
        assert!(decode_json(b"\"yes\"", &Type::Bool).is_err());
        assert!(decode_json(b"1", &Type::Bool).is_err());
        assert!(decode_json(b"[]", &Type::String).is_err());
    }

    #[test]
    fn unknown_attributes_are_dropped_and_missing_ones_null() {
        let ty = Type::object([("role_name", Type::String), ("arn", Type::String)]);
        let state = br#"{"role_name":"r","removed_in_v2":{"deep":[1,2,{"x":null}]},"old":7}"#;
        assert_eq!(
            decode_json(state, &ty),
            Ok(Value::object([("arn", Value::Null), ("role_name", s("r"))]))
        );
        // Nested objects too.
        let ty = Type::list(Type::object([("a", Type::Number)]));
        assert_eq!(
            decode_json(br#"[{"a":1,"b":2},{}]"#, &ty),
            Ok(Value::List(vec![
                Value::object([("a", int(1))]),
                Value::object([("a", Value::Null)]),
            ]))
        );
    }

    #[test]
    fn strings_and_escapes() {
        assert_eq!(
            decode_json(br#""a\"\\\/\b\f\n\r\t\u00e9\ud83d\ude00""#, &Type::String),
            Ok(s("a\"\\/\u{8}\u{c}\n\r\t\u{e9}\u{1f600}"))
        );
        for bad in [
            &br#""\ud83d""#[..],
            br#""\ude00""#,
            br#""\ud83d\u0041""#,
            br#""\x""#,
            br#""\u12""#,
            b"\"a\nb\"",
            b"\"\xff\"",
            b"\"abc",
        ] {
            assert!(
                decode_json(bad, &Type::String).is_err(),
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
    }

    #[test]
    fn malformed_json_is_an_error() {
        let ty = Type::object([("a", Type::list(Type::String))]);
        for bad in [
            &b""[..],
            b"   ",
            b"{",
            b"{\"a\"",
            b"{\"a\":",
            b"{\"a\":[",
            b"{\"a\":[\"x\",]}",
            b"{\"a\":[\"x\"]",
            b"{\"a\":[\"x\"]} x",
            b"{a:1}",
            b"{\"a\":[\"x\"],}",
            b"nul",
            b"[1]",
            b"{\"a\":[\"x\"],\"a\":[]}",
            b"{\"a\":[null, 1, {}]}",
        ] {
            assert!(
                decode_json(bad, &ty).is_err(),
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
        assert_eq!(
            decode_json(b"{\"a\":[\"x\"]", &ty).map_err(|e| e.kind),
            Err(ErrorKind::UnexpectedEnd)
        );
        assert_eq!(
            decode_json(b"{\"a\":[],\"a\":[]}", &ty).map_err(|e| e.kind),
            Err(ErrorKind::DuplicateKey("a".into()))
        );
        // Deep nesting is an error, not a stack overflow.
        let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        assert!(decode_json(deep.as_bytes(), &Type::list(Type::String)).is_err());
        let err = decode_json(br#"{"a":["x",3,true,{}]}"#, &ty).expect_err("mismatch");
        assert_eq!(
            err.to_string(),
            "at .a[3]: expected string, found JSON object"
        );
    }

    #[test]
    fn nesting_is_bounded() {
        let mut ty = Type::String;
        for _ in 0..MAX_DEPTH {
            ty = Type::list(ty);
        }
        let deep = format!("{}{}", "[".repeat(MAX_DEPTH + 1), "]".repeat(MAX_DEPTH + 1));
        assert_eq!(
            decode_json(deep.as_bytes(), &Type::list(ty)).map_err(|e| e.kind),
            Err(ErrorKind::TooDeep)
        );
    }

    #[test]
    fn garbage_never_panics() {
        let ty = role_type();
        let good = br#"{"bucket_names":["a","b"],"role_name":"r","max_session_duration":3600,
            "tags":{"k":"v"},"force_detach_policies":false,"gone":[1.5,true]}"#;
        assert!(decode_json(good, &ty).is_ok());
        let mut state: u32 = 0x9e37_79b9;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            state
        };
        for _ in 0..20_000 {
            let mut bytes = good.to_vec();
            for _ in 0..(next() % 3 + 1) {
                let i = next() as usize % bytes.len();
                bytes[i] = next() as u8;
            }
            let _ = decode_json(&bytes, &ty);
        }
    }
}
