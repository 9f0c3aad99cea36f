//! Markdown for the generated parts of the docs: a block's attribute reference (grouped the way
//! the Terraform Registry shows them: required, optional, read-only, then nested blocks), a
//! provider function's signature and arguments, and an example file as a code block.

use std::fmt::Write as _;

use terraform_provider_alicr::plugin::schema::{Attribute, Block, NestedBlock, Presence};
use terraform_provider_alicr::plugin::value::Type;
use terraform_provider_alicr::provider::function::Signature;

/// How a type reads in the docs: `String`, `Set of String`, `Map of Number`, ...
pub fn type_name(ty: &Type) -> String {
    match ty {
        Type::String => "String".into(),
        Type::Number => "Number".into(),
        Type::Bool => "Boolean".into(),
        Type::List(element) => format!("List of {}", type_name(element)),
        Type::Set(element) => format!("Set of {}", type_name(element)),
        Type::Map(element) => format!("Map of {}", type_name(element)),
        Type::Object(_) => "Object".into(),
    }
}

/// The type as Terraform's type constraint syntax writes it, for function signatures.
pub fn type_constraint(ty: &Type) -> String {
    match ty {
        Type::String => "string".into(),
        Type::Number => "number".into(),
        Type::Bool => "bool".into(),
        Type::List(element) => format!("list({})", type_constraint(element)),
        Type::Set(element) => format!("set({})", type_constraint(element)),
        Type::Map(element) => format!("map({})", type_constraint(element)),
        Type::Object(_) => "object".into(),
    }
}

/// The `## Schema` section of a resource, data source or provider block.
pub fn schema_section(block: &Block) -> String {
    let mut out = String::from("## Schema\n");
    write_groups(&mut out, block, "###");
    for nested in &block.blocks {
        write_nested(&mut out, nested, "");
    }
    out
}

/// Writes the required / optional / read-only lists of one block under headings of `level`.
fn write_groups(out: &mut String, block: &Block, level: &str) {
    let required: Vec<&Attribute> = in_group(block, &[Presence::Required]);
    let optional: Vec<&Attribute> =
        in_group(block, &[Presence::Optional, Presence::OptionalComputed]);
    let read_only: Vec<&Attribute> = in_group(block, &[Presence::Computed]);
    // Nested blocks are written in configuration, so they belong with the optional arguments.
    let has_optional = !optional.is_empty() || !block.blocks.is_empty();
    if !required.is_empty() {
        let _ = write!(out, "\n{level} Required\n\n");
        required.iter().for_each(|a| write_attribute(out, a));
    }
    if has_optional {
        let _ = write!(out, "\n{level} Optional\n\n");
        optional.iter().for_each(|a| write_attribute(out, a));
        block.blocks.iter().for_each(|b| write_block_item(out, b));
    }
    if !read_only.is_empty() {
        let _ = write!(out, "\n{level} Read-Only\n\n");
        read_only.iter().for_each(|a| write_attribute(out, a));
    }
}

fn in_group<'a>(block: &'a Block, presences: &[Presence]) -> Vec<&'a Attribute> {
    block
        .attributes
        .iter()
        .filter(|a| presences.contains(&a.presence))
        .collect()
}

fn write_attribute(out: &mut String, attribute: &Attribute) {
    let sensitive = if attribute.sensitive {
        ", Sensitive"
    } else {
        ""
    };
    let _ = writeln!(
        out,
        "- `{}` ({}{sensitive}) {}",
        attribute.name,
        type_name(&attribute.ty),
        attribute.description
    );
}

fn write_block_item(out: &mut String, nested: &NestedBlock) {
    let limit = match nested.max_items {
        0 => String::new(),
        n => format!(", at most {n}"),
    };
    let _ = writeln!(
        out,
        "- `{name}` (Block{limit}) {} See [`{name}`](#nested-{name}) below.",
        nested.block.description,
        name = nested.name
    );
}

/// A nested block's own section, with an explicit anchor so links survive any renderer.
fn write_nested(out: &mut String, nested: &NestedBlock, parent: &str) {
    let path = format!("{parent}{}", nested.name);
    let _ = write!(
        out,
        "\n<a id=\"nested-{path}\"></a>\n### Nested schema for `{path}`\n"
    );
    write_groups(out, &nested.block, "####");
    for inner in &nested.block.blocks {
        write_nested(out, inner, &format!("{path}."));
    }
}

/// The `## Signature` and `## Arguments` sections of a provider function.
pub fn function_section(signature: &Signature) -> String {
    let parameters: Vec<String> = signature
        .parameters
        .iter()
        .map(|p| format!("{} {}", p.name, type_constraint(&p.ty)))
        .collect();
    let mut out = String::from("## Signature\n\n```text\n");
    let _ = writeln!(
        out,
        "{}({}) {}",
        signature.name,
        parameters.join(", "),
        type_constraint(&signature.return_type)
    );
    out.push_str("```\n\n## Arguments\n\n");
    for (position, p) in signature.parameters.iter().enumerate() {
        let _ = writeln!(
            out,
            "{}. `{}` ({}) {}",
            position + 1,
            p.name,
            type_name(&p.ty),
            p.description
        );
    }
    let _ = write!(
        out,
        "\n## Return type\n\n{}: {}\n",
        type_name(&signature.return_type),
        signature.returns
    );
    out
}

/// An example file as a fenced code block, its language taken from the extension.
pub fn example_section(file_name: &str, contents: &str) -> String {
    let language = match file_name.rsplit_once('.').map(|(_, ext)| ext) {
        Some("tf") => "terraform",
        Some("sh") => "shell",
        Some("json") => "json",
        _ => "text",
    };
    format!("```{language}\n{}\n```\n", contents.trim_end())
}

#[cfg(test)]
mod tests {
    use super::*;
    use terraform_provider_alicr::provider::{config, registry};

    #[test]
    fn attributes_are_grouped_and_typed() {
        let block = Block {
            description: "",
            attributes: vec![
                Attribute::new("c", Type::String, Presence::Computed, "C."),
                Attribute::new("r", Type::set(Type::String), Presence::Required, "R."),
                Attribute::new("o", Type::Number, Presence::OptionalComputed, "O.").sensitive(),
            ],
            blocks: vec![],
        };
        let text = schema_section(&block);
        let required = text.find("### Required").expect("required heading");
        let optional = text.find("### Optional").expect("optional heading");
        let read_only = text.find("### Read-Only").expect("read-only heading");
        assert!(required < optional && optional < read_only, "{text}");
        assert!(text.contains("- `r` (Set of String) R."), "{text}");
        assert!(text.contains("- `o` (Number, Sensitive) O."), "{text}");
        assert!(text.contains("- `c` (String) C."), "{text}");
    }

    #[test]
    fn nested_blocks_get_their_own_anchored_section() {
        let text = schema_section(&config::schema().block);
        assert!(
            text.contains("- `assume_role` (Block, at most 1)"),
            "{text}"
        );
        assert!(text.contains("<a id=\"nested-assume_role\"></a>"), "{text}");
        assert!(text.contains("### Nested schema for `endpoints`"), "{text}");
        assert!(text.contains("- `ram` (String)"), "{text}");
    }

    #[test]
    fn function_signature_uses_type_constraints() {
        let signature = registry()
            .function_signatures()
            .find(|f| f.name == "custom_oss_role_policy")
            .expect("the provider has this function");
        let text = function_section(&signature);
        assert!(
            text.contains("custom_oss_role_policy(bucket_names set(string)) string"),
            "{text}"
        );
        assert!(text.contains("1. `bucket_names` (Set of String)"), "{text}");
    }

    #[test]
    fn examples_are_fenced_by_language() {
        assert_eq!(
            example_section("a/resource.tf", "x = 1\n\n"),
            "```terraform\nx = 1\n```\n"
        );
        assert!(example_section("import.sh", "terraform import").starts_with("```shell\n"));
    }
}
