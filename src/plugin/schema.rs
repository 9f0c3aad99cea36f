//! Schema declarations: one description of each block that yields both the protocol's schema
//! message (with descriptions for docs) and the value type used to decode its values, and
//! carries each attribute's plan modifiers (default, use-state-for-unknown, requires-replace),
//! which [`Block::plan_declared`] and [`Block::replaced_attributes`] apply to any resource.

use std::collections::BTreeMap;

use super::diagnostics::AttributePath;
use super::proto::tfplugin6 as pb;
use super::typed::ToValue;
use super::value::{Type, Value};

/// Whether Terraform or the user supplies an attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Presence {
    Required,
    Optional,
    Computed,
    OptionalComputed,
}

/// Whether two values of an attribute are the same object as far as replacement goes.
pub type SameValue = fn(&Value, &Value) -> bool;

#[derive(Debug, Clone)]
pub struct Attribute {
    pub name: &'static str,
    pub ty: Type,
    pub description: &'static str,
    pub presence: Presence,
    pub sensitive: bool,
    /// Planned whenever the configuration leaves the attribute out (so a change made outside
    /// Terraform shows in the plan), not only on create.
    pub default: Option<Value>,
    /// The prior state's value is planned (unknown on create) before the resource's own plan.
    pub use_state_for_unknown: bool,
    /// A change of the attribute replaces the object; the function says which values are
    /// the same.
    pub requires_replace: Option<SameValue>,
}

impl Attribute {
    pub fn new(
        name: &'static str,
        ty: Type,
        presence: Presence,
        description: &'static str,
    ) -> Self {
        Attribute {
            name,
            ty,
            description,
            presence,
            sensitive: false,
            default: None,
            use_state_for_unknown: false,
            requires_replace: None,
        }
    }

    pub fn sensitive(mut self) -> Self {
        self.sensitive = true;
        self
    }

    /// Plans `value` when the configuration leaves the attribute out.
    pub fn default(mut self, value: impl ToValue) -> Self {
        self.default = Some(value.to_value());
        self
    }

    /// Plans the prior state's value (unknown on create).
    pub fn use_state_for_unknown(mut self) -> Self {
        self.use_state_for_unknown = true;
        self
    }

    /// Any change of the value replaces the object.
    pub fn requires_replace(self) -> Self {
        self.requires_replace_unless(|a, b| a == b)
    }

    /// A change replaces the object unless `same` says the values are the same.
    pub fn requires_replace_unless(mut self, same: SameValue) -> Self {
        self.requires_replace = Some(same);
        self
    }

    fn to_proto(&self) -> pb::schema::Attribute {
        pb::schema::Attribute {
            name: self.name.to_string(),
            r#type: self.ty.to_json(),
            description: self.description.to_string(),
            description_kind: pb::StringKind::Markdown as i32,
            required: self.presence == Presence::Required,
            optional: matches!(
                self.presence,
                Presence::Optional | Presence::OptionalComputed
            ),
            computed: matches!(
                self.presence,
                Presence::Computed | Presence::OptionalComputed
            ),
            sensitive: self.sensitive,
            ..Default::default()
        }
    }
}

/// A nested block written `name { ... }`, at most `max_items` times (0 = unbounded).
#[derive(Debug, Clone)]
pub struct NestedBlock {
    pub name: &'static str,
    pub block: Block,
    pub max_items: i64,
}

#[derive(Debug, Clone, Default)]
pub struct Block {
    pub description: &'static str,
    pub attributes: Vec<Attribute>,
    pub blocks: Vec<NestedBlock>,
}

impl Block {
    /// The object type of this block's values; nested blocks are lists of objects.
    pub fn value_type(&self) -> Type {
        let mut attrs: BTreeMap<String, Type> = self
            .attributes
            .iter()
            .map(|a| (a.name.to_string(), a.ty.clone()))
            .collect();
        for nested in &self.blocks {
            attrs.insert(
                nested.name.to_string(),
                Type::List(Box::new(nested.block.value_type())),
            );
        }
        Type::Object(attrs)
    }

    /// Makes `planned` keep the configuration's shape wherever the user supplies the value:
    /// every attribute that is not computed-only and is set in `config`, and every nested block,
    /// is taken from `config` exactly. Terraform rejects a plan whose planned value differs from a
    /// configured one, and a typed model cannot carry a set with some unknown elements or a map
    /// with an unknown value, so the configured value itself is what the plan must hold.
    /// (Nested blocks are copied whole: none of ours has computed attributes.)
    pub fn conform_to_config(
        &self,
        planned: &mut super::value::Value,
        config: &super::value::Value,
    ) {
        use super::value::Value;
        let (Value::Object(planned_attrs), Value::Object(config_attrs)) = (planned, config) else {
            return;
        };
        for attribute in &self.attributes {
            if attribute.presence == Presence::Computed {
                continue;
            }
            match config_attrs.get(attribute.name) {
                Some(configured) if !configured.is_null() => {
                    planned_attrs.insert(attribute.name.to_string(), configured.clone());
                }
                _ => {}
            }
        }
        for nested in &self.blocks {
            let configured = config_attrs
                .get(nested.name)
                .cloned()
                .unwrap_or(Value::List(Vec::new()));
            planned_attrs.insert(nested.name.to_string(), configured);
        }
    }

    /// Applies the attributes' declared defaults and use-state-for-unknown to `planned`.
    /// `config` is the configuration, or the proposed state when Terraform sent none; `prior`
    /// is null on create.
    pub fn plan_declared(&self, planned: &mut Value, prior: &Value, config: &Value) {
        let Value::Object(planned_attrs) = planned else {
            return;
        };
        for attribute in &self.attributes {
            let configured = config.get_attr(attribute.name).unwrap_or(&Value::Null);
            if let (Some(default), Value::Null) = (&attribute.default, configured) {
                planned_attrs.insert(attribute.name.to_string(), default.clone());
            }
            if attribute.use_state_for_unknown {
                let kept = match prior {
                    Value::Null => Value::Unknown,
                    prior => prior
                        .get_attr(attribute.name)
                        .cloned()
                        .unwrap_or(Value::Null),
                };
                planned_attrs.insert(attribute.name.to_string(), kept);
            }
        }
    }

    /// The attributes whose planned change from `prior` replaces the object (none on create).
    pub fn replaced_attributes(&self, planned: &Value, prior: &Value) -> Vec<AttributePath> {
        if prior.is_null() {
            return Vec::new();
        }
        let value =
            |object: &Value, name: &str| object.get_attr(name).cloned().unwrap_or(Value::Null);
        self.attributes
            .iter()
            .filter(|attribute| {
                attribute.requires_replace.is_some_and(|same| {
                    !same(
                        &value(planned, attribute.name),
                        &value(prior, attribute.name),
                    )
                })
            })
            .map(|attribute| AttributePath::root(attribute.name))
            .collect()
    }

    pub fn attribute(&self, name: &str) -> Option<&Attribute> {
        self.attributes.iter().find(|a| a.name == name)
    }

    fn to_proto(&self) -> pb::schema::Block {
        pb::schema::Block {
            version: 0,
            attributes: self.attributes.iter().map(Attribute::to_proto).collect(),
            block_types: self
                .blocks
                .iter()
                .map(|nested| pb::schema::NestedBlock {
                    type_name: nested.name.to_string(),
                    block: Some(nested.block.to_proto()),
                    nesting: pb::schema::nested_block::NestingMode::List as i32,
                    min_items: 0,
                    max_items: nested.max_items,
                })
                .collect(),
            description: self.description.to_string(),
            description_kind: pb::StringKind::Markdown as i32,
            deprecated: false,
        }
    }
}

/// A versioned schema for a provider, resource or data source.
#[derive(Debug, Clone)]
pub struct Schema {
    pub version: i64,
    pub block: Block,
}

impl Schema {
    pub fn to_proto(&self) -> pb::Schema {
        pb::Schema {
            version: self.version,
            block: Some(self.block.to_proto()),
        }
    }

    pub fn value_type(&self) -> Type {
        self.block.value_type()
    }
}
