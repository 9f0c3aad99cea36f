//! Terraform's wire values: the cty type and value model, their msgpack and JSON encodings
//! (`DynamicValue`), and the typed tri-state [`Tri`] handlers work with.
//!
//! Terraform sends every configuration, plan and state as a `DynamicValue`: msgpack bytes (or, for
//! stored state, JSON) whose meaning depends on a type both sides know from the schema. This
//! module decodes such bytes against a [`Type`] into a [`Value`] and encodes values back.
//!
//! Wire facts, as go-cty's `cty/msgpack` and `cty/json` implement them:
//! - an unknown value is any msgpack extension (cty writes `d4 00 00`, or extension type 12 with
//!   refinements); JSON has no unknowns;
//! - null is msgpack nil / JSON `null`;
//! - numbers are msgpack integers when integral and within 64 bits, float64 when a float, and
//!   decimal strings otherwise; all three are accepted when decoding;
//! - lists, sets and tuples are arrays; maps and objects are maps with string keys, object
//!   attributes written in sorted order;
//! - a value of type `dynamic` is written as a two-element array `[type JSON bytes, value]` in
//!   msgpack and as `{"value": …, "type": …}` in JSON.
//!
//! Decoders are meant for untrusted bytes: they return a [`CodecError`] for anything malformed,
//! never allocate by a length prefix the input has not backed with bytes, and bound nesting.
//!
//! # Layout
//! - `number`: [`Number`], an exact number (integer, float or decimal text).
//! - `msgpack`: [`decode_msgpack`], [`encode_msgpack`].
//! - `json`: [`decode_json`], [`encode_json`], and the type syntax ([`Type::to_json`],
//!   [`Type::from_json`]).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

mod json;
mod msgpack;
mod number;

pub use json::{decode_json, encode_json};
pub use msgpack::{decode_msgpack, encode_msgpack};
pub use number::Number;

/// Deepest nesting of values (and of type descriptions) a decoder accepts.
pub const MAX_DEPTH: usize = 200;

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
    /// A fixed-length sequence, each position with its own type.
    Tuple(Vec<Type>),
    /// Any type; the value carries its type on the wire.
    Dynamic,
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

    /// The type in cty's JSON type syntax: `"string"`, `["set","string"]`,
    /// `["object",{"a":"number"}]`, `["tuple",["bool"]]`, `"dynamic"`. Deterministic (object
    /// attributes sorted).
    pub fn to_json(&self) -> Vec<u8> {
        let mut out = Vec::new();
        json::write_type(self, &mut out);
        out
    }

    /// Parses cty's JSON type syntax. An object's optional-attribute list (a third element) is
    /// accepted and ignored.
    pub fn from_json(bytes: &[u8]) -> Result<Type, CodecError> {
        json::parse_type(bytes)
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
            Type::Tuple(_) => "tuple",
            Type::Dynamic => "dynamic",
        }
    }
}

impl fmt::Display for Type {
    /// The type in cty's JSON type syntax.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&String::from_utf8_lossy(&self.to_json()))
    }
}

/// A cty value. The type lives alongside (in the schema); a value decoded under
/// [`Type::Dynamic`] keeps its structure but not its exact type (a list of objects stays a
/// [`Value::List`] of [`Value::Object`]s; re-encoding it under `dynamic` infers the type back with
/// [`Value::implied_type`]).
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
    /// A tuple's elements.
    Tuple(Vec<Value>),
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

    /// Builder step: this value with attribute `name` set (turns a non-object into an empty
    /// object first).
    pub fn with_attr(self, name: impl Into<String>, value: impl Into<Value>) -> Value {
        let mut attrs = match self {
            Value::Object(attrs) => attrs,
            _ => BTreeMap::new(),
        };
        attrs.insert(name.into(), value.into());
        Value::Object(attrs)
    }

    /// A set of strings.
    pub fn string_set<I, S>(items: I) -> Value
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Value::Set(items.into_iter().map(|s| Value::String(s.into())).collect())
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
            Value::List(items) | Value::Set(items) | Value::Tuple(items) => {
                items.iter().all(Value::is_wholly_known)
            }
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

    /// The bool, if this is a known bool.
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }

    /// The number, if this is a known number.
    pub fn as_number(&self) -> Option<&Number> {
        match self {
            Value::Number(n) => Some(n),
            _ => None,
        }
    }

    /// The number as an `i64`, if it is a known whole number that fits.
    pub fn as_i64(&self) -> Option<i64> {
        self.as_number().and_then(Number::as_i64)
    }

    /// The elements of a list, set or tuple.
    pub fn as_elements(&self) -> Option<&[Value]> {
        match self {
            Value::List(items) | Value::Set(items) | Value::Tuple(items) => Some(items),
            _ => None,
        }
    }

    /// A string attribute as a tri-state; a value of another kind is an error.
    pub fn to_tri_string(&self) -> Result<Tri<String>, CodecError> {
        self.to_tri("string", |v| v.as_str().map(str::to_owned))
    }

    /// A bool as a tri-state; a value of another kind is an error.
    pub fn to_tri_bool(&self) -> Result<Tri<bool>, CodecError> {
        self.to_tri("bool", Value::as_bool)
    }

    /// A whole number as a tri-state; another kind, a fraction or a number beyond `i64` is an
    /// error.
    pub fn to_tri_i64(&self) -> Result<Tri<i64>, CodecError> {
        self.to_tri("whole number", Value::as_i64)
    }

    fn to_tri<T>(
        &self,
        expected: &'static str,
        read: impl FnOnce(&Value) -> Option<T>,
    ) -> Result<Tri<T>, CodecError> {
        match self {
            Value::Null => Ok(Tri::Null),
            Value::Unknown => Ok(Tri::Unknown),
            other => read(other).map(Tri::Known).ok_or_else(|| {
                CodecError::new(ErrorKind::Mismatch {
                    expected,
                    found: other.kind_name(),
                })
            }),
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
                    return Err(CodecError::new(ErrorKind::Mismatch {
                        expected: "string",
                        found: other.kind_name(),
                    })
                    .at(&[PathStep::Index(i)]))
                }
            }
        }
        Ok(Tri::Known(set))
    }

    /// The type a value of unknown static type has on the wire when written under
    /// [`Type::Dynamic`]. Nulls and unknowns imply `dynamic`; a collection's element type is
    /// the first element's implied type (`dynamic` when empty).
    pub fn implied_type(&self) -> Type {
        match self {
            Value::Unknown | Value::Null => Type::Dynamic,
            Value::String(_) => Type::String,
            Value::Number(_) => Type::Number,
            Value::Bool(_) => Type::Bool,
            Value::List(items) => Type::list(first_type(items)),
            Value::Set(items) => Type::set(first_type(items)),
            Value::Map(items) => Type::map(first_type(items.values())),
            Value::Object(attrs) => Type::Object(
                attrs
                    .iter()
                    .map(|(k, v)| (k.clone(), v.implied_type()))
                    .collect(),
            ),
            Value::Tuple(items) => Type::Tuple(items.iter().map(Value::implied_type).collect()),
        }
    }

    /// A short name of this value's kind, for messages.
    pub fn kind_name(&self) -> &'static str {
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
            Value::Tuple(_) => "tuple",
        }
    }
}

fn first_type<'a>(items: impl IntoIterator<Item = &'a Value>) -> Type {
    items
        .into_iter()
        .next()
        .map_or(Type::Dynamic, Value::implied_type)
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::String(s.to_owned())
    }
}

impl From<String> for Value {
    fn from(s: String) -> Self {
        Value::String(s)
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Self {
        Value::Bool(b)
    }
}

impl From<i64> for Value {
    fn from(n: i64) -> Self {
        Value::Number(Number::Int(n))
    }
}

impl From<Number> for Value {
    fn from(n: Number) -> Self {
        Value::Number(n)
    }
}

impl From<BTreeSet<String>> for Value {
    fn from(set: BTreeSet<String>) -> Self {
        Value::Set(set.into_iter().map(Value::String).collect())
    }
}

impl<T: Into<Value>> From<Tri<T>> for Value {
    fn from(t: Tri<T>) -> Self {
        match t {
            Tri::Known(v) => v.into(),
            Tri::Null => Value::Null,
            Tri::Unknown => Value::Unknown,
        }
    }
}

impl<T: Into<Value>> From<Option<T>> for Value {
    /// `None` is null.
    fn from(o: Option<T>) -> Self {
        o.map_or(Value::Null, Into::into)
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

    /// The known value.
    pub fn into_known(self) -> Option<T> {
        match self {
            Tri::Known(v) => Some(v),
            _ => None,
        }
    }

    /// A `Tri` of a reference.
    pub fn as_ref(&self) -> Tri<&T> {
        match self {
            Tri::Known(v) => Tri::Known(v),
            Tri::Null => Tri::Null,
            Tri::Unknown => Tri::Unknown,
        }
    }

    /// Maps the known value.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Tri<U> {
        match self {
            Tri::Known(v) => Tri::Known(f(v)),
            Tri::Null => Tri::Null,
            Tri::Unknown => Tri::Unknown,
        }
    }

    /// The known value, or `default` when null or unknown.
    pub fn known_or(self, default: T) -> T {
        self.into_known().unwrap_or(default)
    }

    /// Null becomes `Known(default)`; known and unknown stay.
    pub fn or_default_if_null(self, default: T) -> Tri<T> {
        match self {
            Tri::Null => Tri::Known(default),
            other => other,
        }
    }
}

impl<T: std::ops::Deref> Tri<T> {
    /// A `Tri` of the dereferenced value (`Tri<String>` -> `Tri<&str>`).
    pub fn as_deref(&self) -> Tri<&T::Target> {
        match self {
            Tri::Known(v) => Tri::Known(v.deref()),
            Tri::Null => Tri::Null,
            Tri::Unknown => Tri::Unknown,
        }
    }
}

impl<T> From<T> for Tri<T> {
    fn from(v: T) -> Self {
        Tri::Known(v)
    }
}

impl<T> From<Option<T>> for Tri<T> {
    /// `None` is null.
    fn from(o: Option<T>) -> Self {
        o.map_or(Tri::Null, Tri::Known)
    }
}

/// One step of the path to a value inside another, for error messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathStep {
    /// An object attribute.
    Attr(String),
    /// A list, set or tuple position.
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
    /// A tuple of the wrong length.
    #[error("expected a tuple of {expected} elements, found {found}")]
    TupleLength {
        /// Elements the type has.
        expected: usize,
        /// Elements the input has.
        found: usize,
    },
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
    /// Nesting deeper than [`MAX_DEPTH`].
    #[error("value nested deeper than {MAX_DEPTH} levels")]
    TooDeep,
    /// JSON syntax error at a byte offset.
    #[error("invalid JSON at byte {offset}: {reason}")]
    Json {
        /// Byte offset of the problem.
        offset: usize,
        /// What was wrong there.
        reason: &'static str,
    },
    /// A type description that is not cty's JSON type syntax.
    #[error("invalid type description: {0}")]
    InvalidType(String),
    /// A value that cannot be written in the requested encoding (an unknown in JSON, NaN).
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
    pub fn new(kind: ErrorKind) -> Self {
        CodecError {
            path: Vec::new(),
            kind,
        }
    }

    fn at(mut self, path: &[PathStep]) -> Self {
        if self.path.is_empty() {
            self.path = path.to_vec();
        }
        self
    }

    /// The path in Terraform's style: `.attr[0]["key"]`, or empty.
    pub fn path_string(&self) -> String {
        let mut out = String::new();
        for step in &self.path {
            match step {
                PathStep::Attr(name) => {
                    out.push('.');
                    out.push_str(name);
                }
                PathStep::Index(i) => {
                    out.push('[');
                    out.push_str(&i.to_string());
                    out.push(']');
                }
                PathStep::Key(key) => {
                    out.push_str(&format!("[{key:?}]"));
                }
            }
        }
        out
    }
}

impl fmt::Display for CodecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            write!(f, "{}", self.kind)
        } else {
            write!(f, "at {}: {}", self.path_string(), self.kind)
        }
    }
}

/// A type's kind name, for mismatch messages.
pub(crate) fn expected_name(ty: &Type) -> &'static str {
    ty.kind_name()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tri_helpers() {
        let k: Tri<String> = "x".to_owned().into();
        assert!(k.is_known() && !k.is_null() && !k.is_unknown());
        assert_eq!(k.as_known().map(String::as_str), Some("x"));
        assert_eq!(k.as_deref(), Tri::Known("x"));
        assert_eq!(k.clone().map(|s| s.len()), Tri::Known(1));
        let n: Tri<i64> = None.into();
        assert_eq!(n, Tri::Null);
        assert_eq!(n.clone().known_or(7), 7);
        assert_eq!(n.or_default_if_null(3600), Tri::Known(3600));
        let u: Tri<i64> = Tri::Unknown;
        assert_eq!(u.clone().map(|x| x + 1), Tri::Unknown);
        assert_eq!(u.clone().or_default_if_null(1), Tri::Unknown);
        assert_eq!(u.into_known(), None);
        assert_eq!(Tri::<u8>::default(), Tri::Null);
        assert_eq!(Value::from(Tri::Known(5i64)), Value::Number(Number::Int(5)));
        assert_eq!(Value::from(Tri::<bool>::Unknown), Value::Unknown);
        assert_eq!(Value::from(Tri::<String>::Null), Value::Null);
        assert_eq!(Value::from(None::<&str>), Value::Null);
    }

    #[test]
    fn typed_access() {
        let v = Value::Null
            .with_attr("name", "role")
            .with_attr("count", 3600i64)
            .with_attr("flag", true)
            .with_attr("unknown", Value::Unknown)
            .with_attr("buckets", Value::string_set(["b", "a", "b"]));
        assert_eq!(v.get_attr("name").and_then(Value::as_str), Some("role"));
        assert_eq!(v.get_attr("count").and_then(Value::as_i64), Some(3600));
        assert_eq!(v.get_attr("flag").and_then(Value::as_bool), Some(true));
        assert_eq!(v.get_attr("missing"), None);
        assert_eq!(Value::from("x").get_attr("name"), None);
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
        assert!(Value::from("x").is_wholly_known());
        assert_eq!(
            v.get_attr("unknown").map(Value::to_tri_string),
            Some(Ok(Tri::Unknown))
        );
        assert_eq!(Value::Null.to_tri_i64(), Ok(Tri::Null));
        assert_eq!(
            Value::Number(Number::Float(2.5))
                .to_tri_i64()
                .map_err(|e| e.kind),
            Err(ErrorKind::Mismatch {
                expected: "whole number",
                found: "number"
            })
        );
        assert!(Value::from(true).to_tri_string().is_err());
        assert_eq!(Value::from(false).to_tri_bool(), Ok(Tri::Known(false)));
    }

    #[test]
    fn string_set_tri_states() {
        assert_eq!(Value::Null.as_string_set(), Ok(Tri::Null));
        assert_eq!(Value::Unknown.as_string_set(), Ok(Tri::Unknown));
        assert_eq!(
            Value::Set(vec![Value::from("a"), Value::Unknown]).as_string_set(),
            Ok(Tri::Unknown)
        );
        let err = Value::Set(vec![Value::from("a"), Value::Null])
            .as_string_set()
            .expect_err("null element");
        assert_eq!(err.path, vec![PathStep::Index(1)]);
        assert!(Value::from("a").as_string_set().is_err());
        assert_eq!(
            Value::List(vec![]).as_string_set(),
            Ok(Tri::Known(BTreeSet::new()))
        );
    }

    #[test]
    fn implied_types() {
        let v = Value::object([
            ("a", Value::from("x")),
            ("b", Value::List(vec![Value::from(1i64)])),
            ("c", Value::Set(vec![])),
            ("d", Value::Null),
        ]);
        assert_eq!(
            v.implied_type(),
            Type::object([
                ("a", Type::String),
                ("b", Type::list(Type::Number)),
                ("c", Type::set(Type::Dynamic)),
                ("d", Type::Dynamic),
            ])
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
        assert_eq!(e.path_string(), ".tags[\"k\"][2]");
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
