//! Rendering of JSON response bodies as the XML the services answer with `Format=XML`: objects
//! become nested elements and a list becomes its key's element repeated.

use serde_json::Value;

/// Renders `body` inside `<root>…</root>`, with an XML declaration.
pub fn render(root: &str, body: &Value) -> String {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>");
    element(&mut out, root, body);
    out
}

fn element(out: &mut String, name: &str, value: &Value) {
    match value {
        Value::Array(items) => items.iter().for_each(|item| element(out, name, item)),
        Value::Object(fields) => {
            open(out, name);
            for (key, child) in fields {
                element(out, key, child);
            }
            close(out, name);
        }
        Value::Null => {
            open(out, name);
            close(out, name);
        }
        Value::String(s) => leaf(out, name, s),
        other => leaf(out, name, &other.to_string()),
    }
}

fn leaf(out: &mut String, name: &str, text: &str) {
    open(out, name);
    escape_into(out, text);
    close(out, name);
}

fn open(out: &mut String, name: &str) {
    out.push('<');
    out.push_str(name);
    out.push('>');
}

fn close(out: &mut String, name: &str) {
    out.push_str("</");
    out.push_str(name);
    out.push('>');
}

fn escape_into(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn renders_nested_lists() {
        let body = json!({
            "RequestId": "R",
            "Policies": {"Policy": [{"PolicyName": "a"}, {"PolicyName": "b<&>"}]},
            "IsTruncated": false,
        });
        assert_eq!(
            render("ListPoliciesForRoleResponse", &body),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><ListPoliciesForRoleResponse><IsTruncated>false</IsTruncated><Policies><Policy><PolicyName>a</PolicyName></Policy><Policy><PolicyName>b&lt;&amp;&gt;</PolicyName></Policy></Policies><RequestId>R</RequestId></ListPoliciesForRoleResponse>"
        );
    }
}
