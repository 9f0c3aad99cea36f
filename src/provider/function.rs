//! The provider function `provider::alicr::custom_oss_role_policy(bucket_names)`: its signature
//! (for `GetFunctions` and the docs) and its evaluation, which renders the same policy document
//! the resource would attach, for people who manage the role with other tools.

use std::collections::BTreeSet;

use crate::plugin::proto::tfplugin6 as pb;
use crate::plugin::value::{self, Tri, Type, Value};
use crate::policy;
use crate::provider::{registry, validation};

/// The function's name; Terraform users call it as `provider::alicr::<NAME>`.
pub(crate) const NAME: &str = "custom_oss_role_policy";

/// The function as the registry knows it.
pub(crate) struct CustomOssRolePolicy;

impl registry::Function for CustomOssRolePolicy {
    fn signature(&self) -> Signature {
        signature()
    }

    fn call(&self, arguments: &[pb::DynamicValue]) -> Result<pb::DynamicValue, CallError> {
        call(arguments)
    }
}

/// One positional parameter of a provider function.
#[derive(Debug, Clone)]
pub struct Parameter {
    pub name: &'static str,
    pub ty: Type,
    pub description: &'static str,
}

/// What a provider function takes and returns, with the texts Terraform and the docs show.
#[derive(Debug, Clone)]
pub struct Signature {
    pub name: &'static str,
    pub summary: &'static str,
    pub description: &'static str,
    pub parameters: Vec<Parameter>,
    pub return_type: Type,
    /// What the returned value is, for the docs.
    pub returns: &'static str,
}

/// The signature of `custom_oss_role_policy`.
pub(crate) fn signature() -> Signature {
    Signature {
        name: NAME,
        summary: "Render the ACR custom OSS bucket policy document",
        description: "Returns the RAM policy document (JSON) that lets Container Registry Enterprise Edition use the given OSS buckets: the same document `alicr_custom_oss_role` attaches to its role, byte for byte. Buckets are sorted and de-duplicated, so the result depends only on the set of names.",
        parameters: vec![Parameter {
            name: "bucket_names",
            // A set: Terraform converts a list or tuple argument to it, and order cannot matter.
            ty: Type::set(Type::String),
            description: "OSS buckets the registry may use: at least one, each 3-63 characters of lower-case letters, digits and hyphens, starting and ending with a letter or digit.",
        }],
        return_type: Type::String,
        returns: "The policy document as compact JSON, ready for `alicloud_ram_policy` or any other tool that takes a RAM policy.",
    }
}

impl Signature {
    /// The protocol's description of the function. Nulls and unknowns are refused by Terraform
    /// itself: a null bucket list is a configuration error, and an unknown one makes the result
    /// unknown without calling the provider.
    pub fn to_proto(&self) -> pb::Function {
        let parameter = |p: &Parameter| pb::function::Parameter {
            name: p.name.to_string(),
            r#type: p.ty.to_json(),
            allow_null_value: false,
            allow_unknown_values: false,
            description: p.description.to_string(),
            description_kind: pb::StringKind::Markdown as i32,
        };
        pb::Function {
            parameters: self.parameters.iter().map(parameter).collect(),
            variadic_parameter: None,
            r#return: Some(pb::function::Return {
                r#type: self.return_type.to_json(),
            }),
            summary: self.summary.to_string(),
            description: self.description.to_string(),
            description_kind: pb::StringKind::Markdown as i32,
            deprecation_message: String::new(),
        }
    }
}

/// Why a call failed: the message and, when one argument is at fault, its zero-based position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CallError {
    pub(crate) text: String,
    pub(crate) argument: Option<i64>,
}

impl CallError {
    fn argument(index: i64, text: impl Into<String>) -> Self {
        CallError {
            text: text.into(),
            argument: Some(index),
        }
    }

    fn call(text: impl Into<String>) -> Self {
        CallError {
            text: text.into(),
            argument: None,
        }
    }

    pub(crate) fn into_proto(self) -> pb::FunctionError {
        pb::FunctionError {
            text: self.text,
            function_argument: self.argument,
        }
    }
}

/// Evaluates `custom_oss_role_policy` on the arguments exactly as Terraform sent them.
pub(crate) fn call(arguments: &[pb::DynamicValue]) -> Result<pb::DynamicValue, CallError> {
    let [argument] = arguments else {
        return Err(CallError::call(format!(
            "{NAME} takes exactly one argument (bucket_names), got {}",
            arguments.len()
        )));
    };
    let buckets = decode_buckets(argument)?;
    let result = match buckets {
        Tri::Known(buckets) => Value::String(render(&buckets)?),
        // Terraform does not send unknowns (allow_unknown_values is false); if it ever did, the
        // honest answer is an unknown result.
        Tri::Unknown => Value::Unknown,
        Tri::Null => return Err(CallError::argument(0, "bucket_names must not be null")),
    };
    let msgpack = value::encode_msgpack(&result, &Type::String)
        .map_err(|error| CallError::call(format!("internal error encoding the result: {error}")))?;
    Ok(pb::DynamicValue {
        msgpack,
        json: Vec::new(),
    })
}

/// The bucket set from the first argument (msgpack, or JSON if that is all that came).
fn decode_buckets(argument: &pb::DynamicValue) -> Result<Tri<BTreeSet<String>>, CallError> {
    let ty = Type::set(Type::String);
    let decoded = if !argument.msgpack.is_empty() {
        value::decode_msgpack(&argument.msgpack, &ty)
    } else if !argument.json.is_empty() {
        value::decode_json(&argument.json, &ty)
    } else {
        Ok(Value::Null)
    };
    decoded.and_then(|v| v.as_string_set()).map_err(|error| {
        CallError::argument(0, format!("bucket_names must be a set of strings: {error}"))
    })
}

/// The policy document for a known bucket set, or an error naming every bad bucket name.
pub(crate) fn render(buckets: &BTreeSet<String>) -> Result<String, CallError> {
    if let Err(rule) = validation::validate_bucket_set_non_empty(buckets) {
        return Err(CallError::argument(0, rule));
    }
    let problems: Vec<String> = buckets
        .iter()
        .filter_map(|bucket| validation::validate_bucket_name(bucket).err())
        .collect();
    if !problems.is_empty() {
        return Err(CallError::argument(
            0,
            format!("bucket_names: {}", problems.join("; ")),
        ));
    }
    policy::check_policy_length(buckets)
        .map_err(|too_long| CallError::argument(0, format!("bucket_names: {too_long}")))?;
    Ok(policy::render_policy(buckets))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msgpack_set(names: &[&str]) -> pb::DynamicValue {
        let set = Value::Set(names.iter().map(|n| Value::String(n.to_string())).collect());
        pb::DynamicValue {
            msgpack: value::encode_msgpack(&set, &Type::set(Type::String)).expect("encode"),
            json: Vec::new(),
        }
    }

    fn result_string(result: pb::DynamicValue) -> String {
        match value::decode_msgpack(&result.msgpack, &Type::String).expect("decode") {
            Value::String(s) => s,
            other => panic!("expected a string, got {other:?}"),
        }
    }

    #[test]
    fn renders_the_resource_policy_for_the_bucket_set() {
        let out = call(&[msgpack_set(&["bucket-b", "bucket-a", "bucket-b"])]).expect("call");
        let expected = policy::render_policy(&["bucket-a".into(), "bucket-b".into()].into());
        assert_eq!(result_string(out), expected);
    }

    #[test]
    fn bad_names_and_empty_sets_blame_the_first_argument() {
        let error = call(&[msgpack_set(&["good-bucket", "Bad_Bucket", "x"])]).unwrap_err();
        assert_eq!(error.argument, Some(0));
        assert!(error.text.contains("Bad_Bucket"), "{}", error.text);
        assert!(error.text.contains("\"x\""), "{}", error.text);
        assert!(!error.text.contains("good-bucket"), "{}", error.text);

        let empty = call(&[msgpack_set(&[])]).unwrap_err();
        assert_eq!(empty.argument, Some(0));
        assert!(empty.text.contains("at least one"), "{}", empty.text);
    }

    #[test]
    fn bucket_sets_over_rams_policy_limit_are_refused() {
        let names: Vec<String> = (0..17)
            .map(|i| format!("{i:02}{}", "b".repeat(61)))
            .collect();
        let refs: Vec<&str> = names.iter().map(String::as_str).collect();
        let error = call(&[msgpack_set(&refs)]).unwrap_err();
        assert_eq!(error.argument, Some(0));
        assert!(error.text.contains("6,144"), "{}", error.text);
        assert!(error.text.contains("at most"), "{}", error.text);
    }

    #[test]
    fn wrong_arity_null_and_garbage_are_errors_not_panics() {
        assert_eq!(call(&[]).unwrap_err().argument, None);
        let two = [msgpack_set(&["abc"]), msgpack_set(&["abc"])];
        assert_eq!(call(&two).unwrap_err().argument, None);
        let null = pb::DynamicValue::default();
        assert_eq!(call(&[null]).unwrap_err().argument, Some(0));
        let garbage = pb::DynamicValue {
            msgpack: vec![0xc1, 0xff, 0x00],
            json: Vec::new(),
        };
        assert_eq!(call(&[garbage]).unwrap_err().argument, Some(0));
    }

    #[test]
    fn unknown_input_gives_an_unknown_result() {
        let unknown = pb::DynamicValue {
            msgpack: value::encode_msgpack(&Value::Unknown, &Type::set(Type::String))
                .expect("encode"),
            json: Vec::new(),
        };
        let out = call(&[unknown]).expect("call");
        let decoded = value::decode_msgpack(&out.msgpack, &Type::String).expect("decode");
        assert!(decoded.is_unknown());
    }

    #[test]
    fn the_protocol_signature_declares_types_in_cty_json() {
        let f = signature().to_proto();
        assert_eq!(f.parameters.len(), 1);
        assert_eq!(f.parameters[0].name, "bucket_names");
        assert_eq!(f.parameters[0].r#type, br#"["set","string"]"#.to_vec());
        assert!(!f.parameters[0].allow_null_value);
        assert_eq!(f.r#return.map(|r| r.r#type), Some(br#""string""#.to_vec()));
        assert!(!f.summary.is_empty());
    }
}
