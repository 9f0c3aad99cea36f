//! Terraform's wire values: the cty type and value model, their msgpack and JSON encodings
//! (`DynamicValue`), and the typed tri-state [`Tri`] handlers work with.
//!
//! Terraform sends every configuration, plan and state as a `DynamicValue`: msgpack bytes (or, for
//! stored state, JSON) whose meaning depends on a type both sides know from the schema. This
//! module decodes such bytes against a [`Type`] into a [`Value`] and encodes values back, walking
//! the type over a library reader (`rmp` for msgpack, serde_json for JSON), as
//! terraform-plugin-go does.
//!
//! Wire facts, as go-cty's `cty/msgpack` and `cty/json` implement them:
//! - an unknown value is any msgpack extension (cty writes `d4 00 00`, or extension type 12 with
//!   refinements); JSON has no unknowns;
//! - null is msgpack nil / JSON `null`;
//! - numbers are msgpack integers when integral and within 64 bits, float64 when a float, and
//!   decimal strings otherwise; all three are accepted when decoding;
//! - lists and sets are arrays; maps and objects are maps with string keys, object attributes
//!   written in sorted order.
//!
//! Only the types this provider's schemas and function signatures use are modelled: no tuples,
//! and no `dynamic` pseudo-type.
//!
//! Decoders are meant for untrusted bytes: they return a [`CodecError`] for anything malformed,
//! never allocate by a length prefix the input has not backed with bytes, and bound nesting.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

mod json;
mod msgpack;
mod number;

pub use json::decode_json;
pub use msgpack::{decode_msgpack, encode_msgpack};
pub use number::Number;

/// Deepest nesting of values a decoder (or the encoder) accepts.
const MAX_DEPTH: usize = 200;

/// A cty type, as schemas declare it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Type {
    /// A Unicode string.
    String,
    /// An arbitrary-precision number.
    Number,
    /// `true` or `false`.
    Bool,
    /// An ordered sequence of one element type.
    List(Box<Type>),
    /// An unordered collection of distinct values of one element type.
    Set(Box<Type>),
    /// String keys to values of one element type.
    Map(Box<Type>),
    /// Named attributes, each with its own type.
    Object(BTreeMap<String, Type>),
}

impl Type {
    /// A list of `element`.
    pub fn list(element: Type) -> Type {
        Type::List(Box::new(element))
    }

    /// A set of `element`.
    pub fn set(element: Type) -> Type {
        Type::Set(Box::new(element))
    }

    /// A map of `element`.
    pub fn map(element: Type) -> Type {
        Type::Map(Box::new(element))
    }

    /// An object type from `(name, type)` pairs.
    pub fn object<I, S>(attributes: I) -> Type
    where
        I: IntoIterator<Item = (S, Type)>,
        S: Into<String>,
    {
        Type::Object(
            attributes
                .into_iter()
                .map(|(name, ty)| (name.into(), ty))
                .collect(),
        )
    }

    /// The type in cty's JSON type syntax, as the schema messages carry it: `"string"`,
    /// `["set","string"]`, `["object",{"a":"number"}]`. Deterministic (object attributes sorted).
    pub fn to_json(&self) -> Vec<u8> {
        self.json_syntax().to_string().into_bytes()
    }

    fn json_syntax(&self) -> serde_json::Value {
        match self {
            Type::String | Type::Number | Type::Bool => self.kind_name().into(),
            Type::List(element) | Type::Set(element) | Type::Map(element) => {
                serde_json::json!([self.kind_name(), element.json_syntax()])
            }
            Type::Object(attributes) => {
                let attributes: serde_json::Map<String, serde_json::Value> = attributes
                    .iter()
                    .map(|(name, ty)| (name.clone(), ty.json_syntax()))
                    .collect();
                serde_json::json!(["object", attributes])
            }
        }
    }

    fn kind_name(&self) -> &'static str {
        match self {
            Type::String => "string",
            Type::Number => "number",
            Type::Bool => "bool",
            Type::List(_) => "list",
            Type::Set(_) => "set",
            Type::Map(_) => "map",
            Type::Object(_) => "object",
        }
    }
}

impl fmt::Display for Type {
    /// The type in cty's JSON type syntax.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.json_syntax())
    }
}

/// A cty value. Its type lives alongside, in the schema.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Value {
    /// Not known until apply.
    Unknown,
    /// Known to be absent.
    #[default]
    Null,
    /// A string.
    String(String),
    /// A number.
    Number(Number),
    /// A bool.
    Bool(bool),
    /// A list's elements, in order.
    List(Vec<Value>),
    /// A set's elements (order as received; duplicates are not removed).
    Set(Vec<Value>),
    /// A map's entries.
    Map(BTreeMap<String, Value>),
    /// An object's attributes.
    Object(BTreeMap<String, Value>),
}

impl Value {
    /// An object value from `(name, value)` pairs.
    pub fn object<I, S>(attributes: I) -> Value
    where
        I: IntoIterator<Item = (S, Value)>,
        S: Into<String>,
    {
        Value::Object(
            attributes
                .into_iter()
                .map(|(name, value)| (name.into(), value))
                .collect(),
        )
    }

    /// Whether this is [`Value::Null`].
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// Whether this is [`Value::Unknown`] (shallow: a list holding an unknown is not).
    pub fn is_unknown(&self) -> bool {
        matches!(self, Value::Unknown)
    }

    /// Whether neither this value nor anything inside it is unknown.
    pub fn is_wholly_known(&self) -> bool {
        match self {
            Value::Unknown => false,
            Value::List(items) | Value::Set(items) => items.iter().all(Value::is_wholly_known),
            Value::Map(items) | Value::Object(items) => items.values().all(Value::is_wholly_known),
            _ => true,
        }
    }

    /// An object's attribute (`None` for a missing attribute or a non-object).
    pub fn get_attr(&self, name: &str) -> Option<&Value> {
        match self {
            Value::Object(attrs) => attrs.get(name),
            _ => None,
        }
    }

    /// The string, if this is a known string.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// A set (or list) of strings as a tri-state: null is `Null`; unknown, or any unknown
    /// element, is `Unknown`; a null or non-string element is an error.
    pub fn as_string_set(&self) -> Result<Tri<BTreeSet<String>>, CodecError> {
        let items = match self {
            Value::Null => return Ok(Tri::Null),
            Value::Unknown => return Ok(Tri::Unknown),
            Value::Set(items) | Value::List(items) => items,
            other => {
                return Err(CodecError::new(ErrorKind::Mismatch {
                    expected: "set of strings",
                    found: other.kind_name(),
                }))
            }
        };
        if items.iter().any(Value::is_unknown) {
            return Ok(Tri::Unknown);
        }
        let mut set = BTreeSet::new();
        for (i, item) in items.iter().enumerate() {
            match item {
                Value::String(s) => {
                    set.insert(s.clone());
                }
                other => {
                    let kind = ErrorKind::Mismatch {
                        expected: "string",
                        found: other.kind_name(),
                    };
                    return Err(CodecError::at(&[PathStep::Index(i)], kind));
                }
            }
        }
        Ok(Tri::Known(set))
    }

    /// A short name of this value's kind, for messages.
    fn kind_name(&self) -> &'static str {
        match self {
            Value::Unknown => "unknown",
            Value::Null => "null",
            Value::String(_) => "string",
            Value::Number(_) => "number",
            Value::Bool(_) => "bool",
            Value::List(_) => "list",
            Value::Set(_) => "set",
            Value::Map(_) => "map",
            Value::Object(_) => "object",
        }
    }
}

/// A typed attribute value: known, null, or not known until apply.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub enum Tri<T> {
    /// A known, non-null value.
    Known(T),
    /// Explicitly absent.
    #[default]
    Null,
    /// Not known until apply.
    Unknown,
}

impl<T> Tri<T> {
    /// Whether the value is known (and not null).
    pub fn is_known(&self) -> bool {
        matches!(self, Tri::Known(_))
    }

    /// Whether the value is null.
    pub fn is_null(&self) -> bool {
        matches!(self, Tri::Null)
    }

    /// Whether the value is unknown.
    pub fn is_unknown(&self) -> bool {
        matches!(self, Tri::Unknown)
    }

    /// The known value, by reference.
    pub fn as_known(&self) -> Option<&T> {
        match self {
            Tri::Known(v) => Some(v),
            _ => None,
        }
    }
}

/// One step of the path to a value inside another, for error messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathStep {
    /// An object attribute.
    Attr(String),
    /// A list or set position.
    Index(usize),
    /// A map key.
    Key(String),
}

/// What went wrong while decoding or encoding a value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ErrorKind {
    /// The input ended in the middle of a value.
    #[error("unexpected end of input")]
    UnexpectedEnd,
    /// Bytes follow the value.
    #[error("{0} unexpected trailing bytes after the value")]
    TrailingBytes(usize),
    /// The encoded value is not of the expected type.
    #[error("expected {expected}, found {found}")]
    Mismatch {
        /// What the type called for.
        expected: &'static str,
        /// What was there.
        found: &'static str,
    },
    /// A length prefix larger than the rest of the input could hold.
    #[error("length {0} exceeds the remaining input")]
    LengthOverflow(u64),
    /// A string that is not UTF-8.
    #[error("string is not valid UTF-8")]
    InvalidUtf8,
    /// A number that cannot be parsed or represented.
    #[error("invalid number {0:?}")]
    InvalidNumber(String),
    /// An object attribute the type does not have.
    #[error("unsupported attribute {0:?}")]
    UnsupportedAttribute(String),
    /// A map or object key given twice.
    #[error("duplicate key {0:?}")]
    DuplicateKey(String),
    /// Nesting deeper than the decoders accept.
    #[error("value nested deeper than {MAX_DEPTH} levels")]
    TooDeep,
    /// JSON syntax error, as serde_json describes it (with its line and column).
    #[error("invalid JSON: {0}")]
    Json(String),
    /// A value that cannot be written in the requested encoding (NaN).
    #[error("cannot encode {0}")]
    Unencodable(&'static str),
}

/// A decoding or encoding error, with the path to the offending value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct CodecError {
    /// Where in the value (outermost first); empty for the value itself.
    pub path: Vec<PathStep>,
    /// What went wrong.
    pub kind: ErrorKind,
}

impl CodecError {
    /// An error at the top-level value.
    pub(crate) fn new(kind: ErrorKind) -> Self {
        Self::at(&[], kind)
    }

    fn at(path: &[PathStep], kind: ErrorKind) -> Self {
        CodecError {
            path: path.to_vec(),
            kind,
        }
    }
}

impl fmt::Display for CodecError {
    /// The path in Terraform's style (`.attr[0]["key"]`), then what went wrong.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.path.is_empty() {
            f.write_str("at ")?;
            for step in &self.path {
                match step {
                    PathStep::Attr(name) => write!(f, ".{name}")?,
                    PathStep::Index(i) => write!(f, "[{i}]")?,
                    PathStep::Key(key) => write!(f, "[{key:?}]")?,
                }
            }
            f.write_str(": ")?;
        }
        write!(f, "{}", self.kind)
    }
}

/// Shorthands for the unit tests of this module and its files.
#[cfg(test)]
mod shorthand {
    use super::{Number, Value};

    pub(super) fn s(text: &str) -> Value {
        Value::String(text.to_owned())
    }

    pub(super) fn int(i: i64) -> Value {
        Value::Number(Number::Int(i))
    }

    pub(super) fn big(text: &str) -> Value {
        Value::Number(Number::Big(text.to_owned()))
    }

    pub(super) fn strings(items: &[&str]) -> Value {
        Value::Set(items.iter().map(|text| s(text)).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::shorthand::s;
    use super::*;

    #[test]
    fn tri_helpers() {
        let k = Tri::Known("x".to_owned());
        assert!(k.is_known() && !k.is_null() && !k.is_unknown());
        assert_eq!(k.as_known().map(String::as_str), Some("x"));
        let n: Tri<i64> = Tri::Null;
        assert!(n.is_null() && !n.is_known() && n.as_known().is_none());
        let u: Tri<i64> = Tri::Unknown;
        assert!(u.is_unknown() && !u.is_known() && u.as_known().is_none());
        assert_eq!(Tri::<u8>::default(), Tri::Null);
    }

    #[test]
    fn typed_access() {
        let v = Value::object([
            ("name", s("role")),
            ("unknown", Value::Unknown),
            ("buckets", Value::Set(vec![s("b"), s("a"), s("b")])),
        ]);
        assert_eq!(v.get_attr("name").and_then(Value::as_str), Some("role"));
        assert_eq!(v.get_attr("missing"), None);
        assert_eq!(s("x").get_attr("name"), None);
        let buckets = v
            .get_attr("buckets")
            .map(Value::as_string_set)
            .expect("present")
            .expect("a set of strings");
        assert_eq!(
            buckets,
            Tri::Known(["a".to_owned(), "b".to_owned()].into_iter().collect())
        );
        assert!(!v.is_wholly_known());
        assert!(s("x").is_wholly_known());
        assert!(Value::Null.is_null() && !Value::Null.is_unknown());
        assert!(Value::Unknown.is_unknown() && !Value::Unknown.is_null());
    }

    #[test]
    fn string_set_tri_states() {
        assert_eq!(Value::Null.as_string_set(), Ok(Tri::Null));
        assert_eq!(Value::Unknown.as_string_set(), Ok(Tri::Unknown));
        assert_eq!(
            Value::Set(vec![s("a"), Value::Unknown]).as_string_set(),
            Ok(Tri::Unknown)
        );
        let err = Value::Set(vec![s("a"), Value::Null])
            .as_string_set()
            .expect_err("null element");
        assert_eq!(err.path, vec![PathStep::Index(1)]);
        assert!(s("a").as_string_set().is_err());
        assert_eq!(
            Value::List(vec![]).as_string_set(),
            Ok(Tri::Known(BTreeSet::new()))
        );
    }

    #[test]
    fn error_paths_render() {
        let e = CodecError {
            path: vec![
                PathStep::Attr("tags".into()),
                PathStep::Key("k".into()),
                PathStep::Index(2),
            ],
            kind: ErrorKind::InvalidUtf8,
        };
        assert_eq!(
            e.to_string(),
            "at .tags[\"k\"][2]: string is not valid UTF-8"
        );
        assert_eq!(
            CodecError::new(ErrorKind::UnexpectedEnd).to_string(),
            "unexpected end of input"
        );
    }
}
