//! Typed access to decoded values: turn a schema object into Rust fields (`Tri<T>`) and back,
//! recording a diagnostic on the attribute's path for any value of the wrong shape; and
//! `object_model!`, which declares each attribute of a block once.

use std::collections::{BTreeMap, BTreeSet};

use super::diagnostics::{AttributePath, Diagnostics};
use super::value::{Number, Tri, Type, Value};

/// A Rust type that a known, non-null value can be read as.
pub trait FromValue: Sized {
    /// What the value should have been, for the error message.
    const EXPECTED: &'static str;
    fn from_value(value: &Value) -> Option<Self>;
}

/// A Rust type that can be written back as a value.
pub trait ToValue {
    fn to_value(&self) -> Value;
}

impl FromValue for String {
    const EXPECTED: &'static str = "a string";
    fn from_value(value: &Value) -> Option<Self> {
        match value {
            Value::String(s) => Some(s.clone()),
            _ => None,
        }
    }
}

impl FromValue for bool {
    const EXPECTED: &'static str = "a bool";
    fn from_value(value: &Value) -> Option<Self> {
        match value {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }
}

impl FromValue for i64 {
    const EXPECTED: &'static str = "a whole number";
    fn from_value(value: &Value) -> Option<Self> {
        match value {
            Value::Number(n) => n.as_i64(),
            _ => None,
        }
    }
}

/// A set or list of strings, all known and non-null (anything else is reported by the caller).
impl FromValue for BTreeSet<String> {
    const EXPECTED: &'static str = "a set of known strings";
    fn from_value(value: &Value) -> Option<Self> {
        match value {
            Value::Set(items) | Value::List(items) => {
                items.iter().map(String::from_value).collect()
            }
            _ => None,
        }
    }
}

impl FromValue for BTreeMap<String, String> {
    const EXPECTED: &'static str = "a map of known strings";
    fn from_value(value: &Value) -> Option<Self> {
        match value {
            Value::Map(items) | Value::Object(items) => items
                .iter()
                .map(|(k, v)| String::from_value(v).map(|v| (k.clone(), v)))
                .collect(),
            _ => None,
        }
    }
}

impl ToValue for String {
    fn to_value(&self) -> Value {
        Value::String(self.clone())
    }
}

impl ToValue for &str {
    fn to_value(&self) -> Value {
        Value::String((*self).to_string())
    }
}

impl ToValue for bool {
    fn to_value(&self) -> Value {
        Value::Bool(*self)
    }
}

impl ToValue for i64 {
    fn to_value(&self) -> Value {
        Value::Number(Number::Int(*self))
    }
}

impl ToValue for BTreeSet<String> {
    fn to_value(&self) -> Value {
        Value::Set(self.iter().map(|s| Value::String(s.clone())).collect())
    }
}

impl ToValue for BTreeMap<String, String> {
    fn to_value(&self) -> Value {
        Value::Map(
            self.iter()
                .map(|(k, v)| (k.clone(), Value::String(v.clone())))
                .collect(),
        )
    }
}

impl<T: ToValue> ToValue for Tri<T> {
    fn to_value(&self) -> Value {
        match self {
            Tri::Known(v) => v.to_value(),
            Tri::Null => Value::Null,
            Tri::Unknown => Value::Unknown,
        }
    }
}

/// A typed view of one object value (a resource's or a data source's state or configuration);
/// `object_model!` implements it.
pub trait ObjectModel: Clone + Send + Sync + Sized {
    fn from_value(value: &Value) -> Result<Self, Diagnostics>;
    fn to_value(&self) -> Value;
}

/// The schema type of values a Rust type reads and writes.
pub trait SchemaType {
    fn schema_type() -> Type;
}

impl SchemaType for String {
    fn schema_type() -> Type {
        Type::String
    }
}

impl SchemaType for bool {
    fn schema_type() -> Type {
        Type::Bool
    }
}

impl SchemaType for i64 {
    fn schema_type() -> Type {
        Type::Number
    }
}

impl SchemaType for BTreeSet<String> {
    fn schema_type() -> Type {
        Type::set(Type::String)
    }
}

impl SchemaType for BTreeMap<String, String> {
    fn schema_type() -> Type {
        Type::map(Type::String)
    }
}

/// Declares the typed model of a block once, attribute by attribute (Rust type, presence,
/// description and any [`Attribute`](super::schema::Attribute) modifiers), and at most once
/// nested blocks (each another `object_model!` type with its description). It yields:
/// - the struct, one `Tri<T>` field per attribute and one `Option<Nested>` per nested block
///   (fields take the struct's visibility);
/// - `block(description)`: the schema block, in declaration order;
/// - `from_value` / `to_value`: the conversions, with a diagnostic per ill-typed attribute
///   (inherent, and as [`ObjectModel`]).
///
/// ```ignore
/// object_model! {
///     pub struct Timeouts {
///         attributes {
///             create: String = Optional("Time limit for creating.");
///         }
///     }
/// }
/// ```
macro_rules! object_model {
    (
        $(#[$meta:meta])*
        $vis:vis struct $name:ident {
            attributes {
                $(
                    $field:ident : $ty:ty = $presence:ident ( $description:expr )
                        $( . $modifier:ident ( $( $argument:expr ),* ) )* ;
                )*
            }
            $( blocks {
                $( $block:ident : $nested:ident = ( $block_description:expr ) ; )*
            } )?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Default)]
        $vis struct $name {
            $( $vis $field: $crate::plugin::value::Tri<$ty>, )*
            $( $( $vis $block: Option<$nested>, )* )?
        }

        impl $name {
            /// The schema block of this model, attributes and nested blocks in declaration order.
            $vis fn block(description: &'static str) -> $crate::plugin::schema::Block {
                $crate::plugin::schema::Block {
                    description,
                    attributes: vec![$(
                        $crate::plugin::schema::Attribute::new(
                            stringify!($field),
                            <$ty as $crate::plugin::typed::SchemaType>::schema_type(),
                            $crate::plugin::schema::Presence::$presence,
                            $description,
                        ) $( . $modifier ( $( $argument ),* ) )*,
                    )*],
                    blocks: vec![$( $(
                        $crate::plugin::schema::NestedBlock {
                            name: stringify!($block),
                            max_items: 1,
                            block: $nested::block($block_description),
                        },
                    )* )?],
                }
            }

            /// Reads the model from an object value of its block's type.
            $vis fn from_value(
                value: &$crate::plugin::value::Value,
            ) -> Result<Self, $crate::plugin::diagnostics::Diagnostics> {
                let (model, diags) =
                    Self::read(value, $crate::plugin::diagnostics::AttributePath::default());
                if diags.has_errors() {
                    Err(diags)
                } else {
                    Ok(model)
                }
            }

            /// The model at `path` and the problems found reading it (nested blocks' last).
            fn read(
                value: &$crate::plugin::value::Value,
                path: $crate::plugin::diagnostics::AttributePath,
            ) -> (Self, $crate::plugin::diagnostics::Diagnostics) {
                #[allow(unused_mut)]
                let mut nested_diags = $crate::plugin::diagnostics::Diagnostics::new();
                let mut reader = $crate::plugin::typed::ObjectReader::new(value, path);
                $( $(
                    let $block = reader.blocks(stringify!($block)).into_iter().next().map(
                        |(value, path)| {
                            let (nested, diags) = $nested::read(value, path);
                            nested_diags.extend(diags);
                            nested
                        },
                    );
                )* )?
                let model = $name {
                    $( $field: reader.get(stringify!($field)), )*
                    $( $( $block, )* )?
                };
                let mut diags = reader.finish();
                diags.extend(nested_diags);
                (model, diags)
            }

            /// The model as an object value of its block's type.
            $vis fn to_value(&self) -> $crate::plugin::value::Value {
                $crate::plugin::typed::ObjectBuilder::new()
                    $( .set(stringify!($field), self.$field.clone()) )*
                    $( $(
                        .set_value(
                            stringify!($block),
                            $crate::plugin::value::Value::List(
                                self.$block.iter().map($nested::to_value).collect(),
                            ),
                        )
                    )* )?
                    .build()
            }
        }

        impl $crate::plugin::typed::ObjectModel for $name {
            fn from_value(
                value: &$crate::plugin::value::Value,
            ) -> Result<Self, $crate::plugin::diagnostics::Diagnostics> {
                $name::from_value(value)
            }

            fn to_value(&self) -> $crate::plugin::value::Value {
                $name::to_value(self)
            }
        }
    };
}
pub(crate) use object_model;

/// Reads attributes of one object value, collecting every type error before giving up.
pub struct ObjectReader<'a> {
    attrs: Option<&'a BTreeMap<String, Value>>,
    path: AttributePath,
    diagnostics: Diagnostics,
}

impl<'a> ObjectReader<'a> {
    /// A reader over `value`; a null or unknown object reads as all-null / all-unknown.
    pub fn new(value: &'a Value, path: AttributePath) -> Self {
        let attrs = match value {
            Value::Object(attrs) => Some(attrs),
            _ => None,
        };
        ObjectReader {
            attrs,
            path,
            diagnostics: Diagnostics::new(),
        }
    }

    /// The raw value of an attribute (`Null` when absent).
    pub fn raw(&self, name: &str) -> &'a Value {
        const NULL: &Value = &Value::Null;
        self.attrs.and_then(|a| a.get(name)).unwrap_or(NULL)
    }

    /// Reads one attribute as `Tri<T>`. Values with unknown parts read as `Unknown`.
    pub fn get<T: FromValue>(&mut self, name: &str) -> Tri<T> {
        let value = self.raw(name);
        match value {
            Value::Null => Tri::Null,
            Value::Unknown => Tri::Unknown,
            v if contains_unknown(v) => Tri::Unknown,
            v => match T::from_value(v) {
                Some(t) => Tri::Known(t),
                None => {
                    self.diagnostics.error_at(
                        self.path.clone().attribute(name),
                        "Invalid attribute value",
                        format!("{name} must be {}", T::EXPECTED),
                    );
                    Tri::Null
                }
            },
        }
    }

    /// The objects of a nested block (a list of objects), for reading them in turn.
    pub fn blocks(&self, name: &str) -> Vec<(&'a Value, AttributePath)> {
        match self.raw(name) {
            Value::List(items) | Value::Set(items) => items
                .iter()
                .enumerate()
                .map(|(i, v)| (v, self.path.clone().attribute(name).index(i as i64)))
                .collect(),
            _ => Vec::new(),
        }
    }

    pub fn finish(self) -> Diagnostics {
        self.diagnostics
    }
}

/// True when the value or anything inside it is unknown.
pub fn contains_unknown(value: &Value) -> bool {
    match value {
        Value::Unknown => true,
        Value::List(items) | Value::Set(items) => items.iter().any(contains_unknown),
        Value::Map(items) | Value::Object(items) => items.values().any(contains_unknown),
        _ => false,
    }
}

/// Builds an object value attribute by attribute.
#[derive(Default)]
pub struct ObjectBuilder(BTreeMap<String, Value>);

impl ObjectBuilder {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn set(mut self, name: &str, value: impl ToValue) -> Self {
        self.0.insert(name.to_string(), value.to_value());
        self
    }

    pub fn set_value(mut self, name: &str, value: Value) -> Self {
        self.0.insert(name.to_string(), value);
        self
    }

    pub fn build(self) -> Value {
        Value::Object(self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_tri_states_and_reports_wrong_types() {
        let value = ObjectBuilder::new()
            .set("name", "role")
            .set_value("unknown", Value::Unknown)
            .set_value("null", Value::Null)
            .set("count", 3600i64)
            .set_value("partly", Value::Set(vec![Value::Unknown]))
            .build();
        let mut reader = ObjectReader::new(&value, AttributePath::default());
        assert_eq!(reader.get::<String>("name"), Tri::Known("role".to_string()));
        assert_eq!(reader.get::<String>("unknown"), Tri::Unknown);
        assert_eq!(reader.get::<String>("null"), Tri::Null);
        assert_eq!(reader.get::<String>("absent"), Tri::Null);
        assert_eq!(reader.get::<i64>("count"), Tri::Known(3600));
        assert_eq!(reader.get::<BTreeSet<String>>("partly"), Tri::Unknown);
        assert!(reader.finish().is_empty());

        let mut reader = ObjectReader::new(&value, AttributePath::default());
        assert_eq!(reader.get::<bool>("name"), Tri::Null);
        let diags = reader.finish();
        assert!(diags.has_errors());
        assert!(diags
            .iter()
            .next()
            .unwrap()
            .detail
            .contains("name must be a bool"));
    }

    #[test]
    fn whole_floats_read_as_integers() {
        assert_eq!(
            i64::from_value(&Value::Number(Number::Float(3600.0))),
            Some(3600)
        );
        assert_eq!(i64::from_value(&Value::Number(Number::Float(1.5))), None);
        assert_eq!(
            i64::from_value(&Value::Number(Number::Big("42".into()))),
            Some(42)
        );
    }
}
