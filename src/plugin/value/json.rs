//! The JSON encoding of cty values (raw state, `DynamicValue.json`) and cty's JSON type syntax.
//!
//! A small JSON reader of our own keeps numbers as their exact text (serde_json would round
//! them to `f64`) and bounds nesting; values are then interpreted against the expected type.

use std::collections::BTreeMap;

use super::{expected_name, CodecError, ErrorKind, Number, PathStep, Type, Value, MAX_DEPTH};

/// Decodes JSON `bytes` as a value of type `ty`.
///
/// Follows cty's JSON rules, with one deliberate difference for state upgrades: object
/// attributes the type does not have are dropped (an attribute removed from the schema), and
/// attributes the input lacks are null. Like cty, a string may stand for a number or a bool
/// (`"42"`, `"true"`) and a number or bool for a string. A `dynamic` value is
/// `{"value": …, "type": …}`. JSON has no unknowns.
pub fn decode_json(bytes: &[u8], ty: &Type) -> Result<Value, CodecError> {
    let json = parse_document(bytes)?;
    let mut path = Vec::new();
    interpret(&json, ty, &mut path, 0)
}

/// Encodes `value` as compact JSON for type `ty`. Unknown values, infinities and NaN cannot be
/// written in JSON and are errors.
pub fn encode_json(value: &Value, ty: &Type) -> Result<Vec<u8>, CodecError> {
    let mut out = Vec::new();
    let mut path = Vec::new();
    write_value(value, ty, &mut out, &mut path)?;
    Ok(out)
}

/// A parsed JSON document; numbers keep their text.
#[derive(Debug)]
enum Json {
    Null,
    Bool(bool),
    Number(String),
    String(String),
    Array(Vec<Json>),
    Object(Vec<(String, Json)>),
}

impl Json {
    fn kind_name(&self) -> &'static str {
        match self {
            Json::Null => "null",
            Json::Bool(_) => "JSON bool",
            Json::Number(_) => "JSON number",
            Json::String(_) => "JSON string",
            Json::Array(_) => "JSON array",
            Json::Object(_) => "JSON object",
        }
    }
}

fn parse_document(bytes: &[u8]) -> Result<Json, CodecError> {
    let mut parser = Parser {
        input: bytes,
        pos: 0,
    };
    parser.skip_whitespace();
    let json = parser.value(0)?;
    parser.skip_whitespace();
    if parser.pos != bytes.len() {
        return Err(CodecError::new(ErrorKind::TrailingBytes(
            bytes.len() - parser.pos,
        )));
    }
    Ok(json)
}

struct Parser<'a> {
    input: &'a [u8],
    pos: usize,
}

impl Parser<'_> {
    fn fail(&self, reason: &'static str) -> CodecError {
        CodecError::new(ErrorKind::Json {
            offset: self.pos,
            reason,
        })
    }

    fn peek(&self) -> Option<u8> {
        self.input.get(self.pos).copied()
    }

    fn skip_whitespace(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.pos += 1;
        }
    }

    fn expect(&mut self, byte: u8, reason: &'static str) -> Result<(), CodecError> {
        if self.peek() == Some(byte) {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.fail(reason))
        }
    }

    fn literal(&mut self, word: &'static [u8], value: Json) -> Result<Json, CodecError> {
        if self.input[self.pos..].starts_with(word) {
            self.pos += word.len();
            Ok(value)
        } else {
            Err(self.fail("invalid literal"))
        }
    }

    fn value(&mut self, depth: usize) -> Result<Json, CodecError> {
        if depth >= MAX_DEPTH {
            return Err(CodecError::new(ErrorKind::TooDeep));
        }
        match self.peek() {
            None => Err(CodecError::new(ErrorKind::UnexpectedEnd)),
            Some(b'n') => self.literal(b"null", Json::Null),
            Some(b't') => self.literal(b"true", Json::Bool(true)),
            Some(b'f') => self.literal(b"false", Json::Bool(false)),
            Some(b'"') => self.string().map(Json::String),
            Some(b'-' | b'0'..=b'9') => self.number().map(Json::Number),
            Some(b'[') => {
                self.pos += 1;
                let mut items = Vec::new();
                self.skip_whitespace();
                if self.peek() == Some(b']') {
                    self.pos += 1;
                    return Ok(Json::Array(items));
                }
                loop {
                    self.skip_whitespace();
                    items.push(self.value(depth + 1)?);
                    self.skip_whitespace();
                    match self.peek() {
                        Some(b',') => self.pos += 1,
                        Some(b']') => {
                            self.pos += 1;
                            return Ok(Json::Array(items));
                        }
                        None => return Err(CodecError::new(ErrorKind::UnexpectedEnd)),
                        Some(_) => return Err(self.fail("expected ',' or ']'")),
                    }
                }
            }
            Some(b'{') => {
                self.pos += 1;
                let mut members = Vec::new();
                self.skip_whitespace();
                if self.peek() == Some(b'}') {
                    self.pos += 1;
                    return Ok(Json::Object(members));
                }
                loop {
                    self.skip_whitespace();
                    if self.peek() != Some(b'"') {
                        return Err(self.fail("expected a string key"));
                    }
                    let key = self.string()?;
                    self.skip_whitespace();
                    self.expect(b':', "expected ':'")?;
                    self.skip_whitespace();
                    let value = self.value(depth + 1)?;
                    members.push((key, value));
                    self.skip_whitespace();
                    match self.peek() {
                        Some(b',') => self.pos += 1,
                        Some(b'}') => {
                            self.pos += 1;
                            return Ok(Json::Object(members));
                        }
                        None => return Err(CodecError::new(ErrorKind::UnexpectedEnd)),
                        Some(_) => return Err(self.fail("expected ',' or '}'")),
                    }
                }
            }
            Some(_) => Err(self.fail("unexpected character")),
        }
    }

    /// A number in strict JSON syntax, returned as its text.
    fn number(&mut self) -> Result<String, CodecError> {
        let start = self.pos;
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        match self.peek() {
            Some(b'0') => self.pos += 1,
            Some(b'1'..=b'9') => self.digits(),
            _ => return Err(self.fail("invalid number")),
        }
        if self.peek() == Some(b'.') {
            self.pos += 1;
            if !matches!(self.peek(), Some(b'0'..=b'9')) {
                return Err(self.fail("invalid number"));
            }
            self.digits();
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.pos += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.pos += 1;
            }
            if !matches!(self.peek(), Some(b'0'..=b'9')) {
                return Err(self.fail("invalid number"));
            }
            self.digits();
        }
        // Only ASCII was consumed.
        Ok(String::from_utf8_lossy(&self.input[start..self.pos]).into_owned())
    }

    fn digits(&mut self) {
        while matches!(self.peek(), Some(b'0'..=b'9')) {
            self.pos += 1;
        }
    }

    fn string(&mut self) -> Result<String, CodecError> {
        self.expect(b'"', "expected a string")?;
        let mut out: Vec<u8> = Vec::new();
        loop {
            let Some(b) = self.peek() else {
                return Err(CodecError::new(ErrorKind::UnexpectedEnd));
            };
            self.pos += 1;
            match b {
                b'"' => break,
                b'\\' => {
                    let Some(escape) = self.peek() else {
                        return Err(CodecError::new(ErrorKind::UnexpectedEnd));
                    };
                    self.pos += 1;
                    let c = match escape {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'/' => '/',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'u' => self.unicode_escape()?,
                        _ => return Err(self.fail("invalid escape")),
                    };
                    let mut buf = [0u8; 4];
                    out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                }
                0x00..=0x1f => return Err(self.fail("control character in string")),
                _ => out.push(b),
            }
        }
        String::from_utf8(out).map_err(|_| CodecError::new(ErrorKind::InvalidUtf8))
    }

    fn hex4(&mut self) -> Result<u32, CodecError> {
        let Some(digits) = self.input.get(self.pos..self.pos + 4) else {
            return Err(CodecError::new(ErrorKind::UnexpectedEnd));
        };
        let mut value = 0u32;
        for &d in digits {
            let nibble = char::from(d)
                .to_digit(16)
                .ok_or_else(|| self.fail("invalid \\u escape"))?;
            value = value * 16 + nibble;
        }
        self.pos += 4;
        Ok(value)
    }

    fn unicode_escape(&mut self) -> Result<char, CodecError> {
        let first = self.hex4()?;
        let code = if (0xd800..0xdc00).contains(&first) {
            // A high surrogate must be followed by an escaped low surrogate.
            if self.input.get(self.pos..self.pos + 2) != Some(b"\\u") {
                return Err(self.fail("unpaired surrogate"));
            }
            self.pos += 2;
            let second = self.hex4()?;
            if !(0xdc00..0xe000).contains(&second) {
                return Err(self.fail("unpaired surrogate"));
            }
            0x10000 + ((first - 0xd800) << 10) + (second - 0xdc00)
        } else {
            first
        };
        char::from_u32(code).ok_or_else(|| self.fail("unpaired surrogate"))
    }
}

fn err_at(path: &[PathStep], kind: ErrorKind) -> CodecError {
    CodecError {
        path: path.to_vec(),
        kind,
    }
}

fn mismatch(path: &[PathStep], ty: &Type, json: &Json) -> CodecError {
    err_at(
        path,
        ErrorKind::Mismatch {
            expected: expected_name(ty),
            found: json.kind_name(),
        },
    )
}

fn interpret(
    json: &Json,
    ty: &Type,
    path: &mut Vec<PathStep>,
    depth: usize,
) -> Result<Value, CodecError> {
    if depth >= MAX_DEPTH {
        return Err(err_at(path, ErrorKind::TooDeep));
    }
    if let Json::Null = json {
        return Ok(Value::Null);
    }
    let value = match (ty, json) {
        (Type::Dynamic, Json::Object(members)) => {
            let mut value = None;
            let mut ty = None;
            for (key, member) in members {
                let slot = match key.as_str() {
                    "value" => &mut value,
                    "type" => &mut ty,
                    _ => return Err(err_at(path, ErrorKind::UnsupportedAttribute(key.clone()))),
                };
                if slot.replace(member).is_some() {
                    return Err(err_at(path, ErrorKind::DuplicateKey(key.clone())));
                }
            }
            let (Some(value), Some(ty)) = (value, ty) else {
                return Err(err_at(
                    path,
                    ErrorKind::InvalidType("a dynamic value needs \"value\" and \"type\"".into()),
                ));
            };
            let ty = type_from_json(ty, 0).map_err(|e| err_at(path, e.kind))?;
            interpret(value, &ty, path, depth + 1)?
        }
        (Type::String, Json::String(s)) => Value::String(s.clone()),
        (Type::String, Json::Number(text)) => Value::String(text.clone()),
        (Type::String, Json::Bool(b)) => Value::String(b.to_string()),
        (Type::Number, Json::Number(text) | Json::String(text)) => {
            Value::Number(Number::parse(text).map_err(|e| err_at(path, e.kind))?)
        }
        (Type::Bool, Json::Bool(b)) => Value::Bool(*b),
        (Type::Bool, Json::String(s)) if s == "true" => Value::Bool(true),
        (Type::Bool, Json::String(s)) if s == "false" => Value::Bool(false),
        (Type::List(element), Json::Array(items)) => {
            Value::List(elements(items, element, path, depth)?)
        }
        (Type::Set(element), Json::Array(items)) => {
            Value::Set(elements(items, element, path, depth)?)
        }
        (Type::Tuple(types), Json::Array(items)) => {
            if types.len() != items.len() {
                return Err(err_at(
                    path,
                    ErrorKind::TupleLength {
                        expected: types.len(),
                        found: items.len(),
                    },
                ));
            }
            let mut out = Vec::new();
            for (i, (item, element)) in items.iter().zip(types).enumerate() {
                path.push(PathStep::Index(i));
                out.push(interpret(item, element, path, depth + 1)?);
                path.pop();
            }
            Value::Tuple(out)
        }
        (Type::Map(element), Json::Object(members)) => {
            let mut out = BTreeMap::new();
            for (key, member) in members {
                path.push(PathStep::Key(key.clone()));
                let item = interpret(member, element, path, depth + 1)?;
                path.pop();
                if out.insert(key.clone(), item).is_some() {
                    return Err(err_at(path, ErrorKind::DuplicateKey(key.clone())));
                }
            }
            Value::Map(out)
        }
        (Type::Object(attributes), Json::Object(members)) => {
            let mut out = BTreeMap::new();
            for (name, member) in members {
                // Attributes no longer in the schema are dropped.
                let Some(attr_ty) = attributes.get(name) else {
                    continue;
                };
                path.push(PathStep::Attr(name.clone()));
                let item = interpret(member, attr_ty, path, depth + 1)?;
                path.pop();
                if out.insert(name.clone(), item).is_some() {
                    return Err(err_at(path, ErrorKind::DuplicateKey(name.clone())));
                }
            }
            for name in attributes.keys() {
                if !out.contains_key(name) {
                    out.insert(name.clone(), Value::Null);
                }
            }
            Value::Object(out)
        }
        (ty, json) => return Err(mismatch(path, ty, json)),
    };
    Ok(value)
}

fn elements(
    items: &[Json],
    element: &Type,
    path: &mut Vec<PathStep>,
    depth: usize,
) -> Result<Vec<Value>, CodecError> {
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        path.push(PathStep::Index(i));
        out.push(interpret(item, element, path, depth + 1)?);
        path.pop();
    }
    Ok(out)
}

fn write_value(
    value: &Value,
    ty: &Type,
    out: &mut Vec<u8>,
    path: &mut Vec<PathStep>,
) -> Result<(), CodecError> {
    if path.len() >= MAX_DEPTH {
        return Err(err_at(path, ErrorKind::TooDeep));
    }
    match (ty, value) {
        (_, Value::Unknown) => {
            return Err(err_at(path, ErrorKind::Unencodable("an unknown value")))
        }
        (_, Value::Null) => out.extend_from_slice(b"null"),
        (Type::Dynamic, value) => {
            let implied = value.implied_type();
            out.extend_from_slice(b"{\"value\":");
            write_value(value, &implied, out, path)?;
            out.extend_from_slice(b",\"type\":");
            write_type(&implied, out);
            out.push(b'}');
        }
        (Type::String, Value::String(s)) => write_string(s, out),
        (Type::Number, Value::Number(n)) => write_number(n, out, path)?,
        (Type::Bool, Value::Bool(b)) => {
            out.extend_from_slice(if *b { b"true" } else { b"false" });
        }
        (Type::List(element), Value::List(items)) | (Type::Set(element), Value::Set(items)) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                path.push(PathStep::Index(i));
                write_value(item, element, out, path)?;
                path.pop();
            }
            out.push(b']');
        }
        (Type::Tuple(types), Value::Tuple(items)) => {
            if types.len() != items.len() {
                return Err(err_at(
                    path,
                    ErrorKind::TupleLength {
                        expected: types.len(),
                        found: items.len(),
                    },
                ));
            }
            out.push(b'[');
            for (i, (item, element)) in items.iter().zip(types).enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                path.push(PathStep::Index(i));
                write_value(item, element, out, path)?;
                path.pop();
            }
            out.push(b']');
        }
        (Type::Map(element), Value::Map(entries)) => {
            out.push(b'{');
            for (i, (key, item)) in entries.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_string(key, out);
                out.push(b':');
                path.push(PathStep::Key(key.clone()));
                write_value(item, element, out, path)?;
                path.pop();
            }
            out.push(b'}');
        }
        (Type::Object(attributes), Value::Object(attrs)) => {
            if let Some(extra) = attrs.keys().find(|k| !attributes.contains_key(*k)) {
                return Err(err_at(path, ErrorKind::UnsupportedAttribute(extra.clone())));
            }
            out.push(b'{');
            for (i, (name, attr_ty)) in attributes.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_string(name, out);
                out.push(b':');
                path.push(PathStep::Attr(name.clone()));
                write_value(attrs.get(name).unwrap_or(&Value::Null), attr_ty, out, path)?;
                path.pop();
            }
            out.push(b'}');
        }
        (ty, value) => {
            return Err(err_at(
                path,
                ErrorKind::Mismatch {
                    expected: expected_name(ty),
                    found: value.kind_name(),
                },
            ))
        }
    }
    Ok(())
}

fn write_number(n: &Number, out: &mut Vec<u8>, path: &[PathStep]) -> Result<(), CodecError> {
    match n {
        Number::Int(i) => out.extend_from_slice(i.to_string().as_bytes()),
        Number::Float(f) if f.is_finite() => match Number::from_f64(*f) {
            Some(Number::Int(i)) => out.extend_from_slice(i.to_string().as_bytes()),
            // Rust's shortest round-trip rendering, never in exponent form: valid JSON.
            _ => out.extend_from_slice(f.to_string().as_bytes()),
        },
        Number::Float(_) => {
            return Err(err_at(
                path,
                ErrorKind::Unencodable("an infinite or NaN number"),
            ))
        }
        Number::Big(text) => match Number::parse(text) {
            Ok(Number::Int(i)) => out.extend_from_slice(i.to_string().as_bytes()),
            Ok(Number::Big(canonical)) => out.extend_from_slice(canonical.as_bytes()),
            Ok(Number::Float(_)) | Err(_) => {
                return Err(err_at(
                    path,
                    ErrorKind::InvalidNumber(text.chars().take(64).collect()),
                ))
            }
        },
    }
    Ok(())
}

/// Writes `s` as a JSON string literal.
fn write_string(s: &str, out: &mut Vec<u8>) {
    out.push(b'"');
    for c in s.chars() {
        match c {
            '"' => out.extend_from_slice(b"\\\""),
            '\\' => out.extend_from_slice(b"\\\\"),
            '\n' => out.extend_from_slice(b"\\n"),
            '\r' => out.extend_from_slice(b"\\r"),
            '\t' => out.extend_from_slice(b"\\t"),
            c if (c as u32) < 0x20 => {
                out.extend_from_slice(format!("\\u{:04x}", c as u32).as_bytes());
            }
            c => {
                let mut buf = [0u8; 4];
                out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
            }
        }
    }
    out.push(b'"');
}

/// Writes a type in cty's JSON type syntax.
pub(super) fn write_type(ty: &Type, out: &mut Vec<u8>) {
    match ty {
        Type::String => out.extend_from_slice(b"\"string\""),
        Type::Number => out.extend_from_slice(b"\"number\""),
        Type::Bool => out.extend_from_slice(b"\"bool\""),
        Type::Dynamic => out.extend_from_slice(b"\"dynamic\""),
        Type::List(element) | Type::Set(element) | Type::Map(element) => {
            out.push(b'[');
            write_string(ty.kind_name(), out);
            out.push(b',');
            write_type(element, out);
            out.push(b']');
        }
        Type::Object(attributes) => {
            out.extend_from_slice(b"[\"object\",{");
            for (i, (name, attr_ty)) in attributes.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_string(name, out);
                out.push(b':');
                write_type(attr_ty, out);
            }
            out.extend_from_slice(b"}]");
        }
        Type::Tuple(types) => {
            out.extend_from_slice(b"[\"tuple\",[");
            for (i, element) in types.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_type(element, out);
            }
            out.extend_from_slice(b"]]");
        }
    }
}

/// Parses cty's JSON type syntax.
pub(super) fn parse_type(bytes: &[u8]) -> Result<Type, CodecError> {
    let json = parse_document(bytes)?;
    type_from_json(&json, 0)
}

fn invalid_type(reason: impl Into<String>) -> CodecError {
    CodecError::new(ErrorKind::InvalidType(reason.into()))
}

fn type_from_json(json: &Json, depth: usize) -> Result<Type, CodecError> {
    if depth >= MAX_DEPTH {
        return Err(CodecError::new(ErrorKind::TooDeep));
    }
    match json {
        Json::String(name) => match name.as_str() {
            "string" => Ok(Type::String),
            "number" => Ok(Type::Number),
            "bool" => Ok(Type::Bool),
            "dynamic" => Ok(Type::Dynamic),
            other => Err(invalid_type(format!(
                "unknown primitive type {:?}",
                other.chars().take(64).collect::<String>()
            ))),
        },
        Json::Array(items) => {
            let Some(Json::String(kind)) = items.first() else {
                return Err(invalid_type("a complex type starts with its kind name"));
            };
            let args = &items[1..];
            match (kind.as_str(), args) {
                ("list", [element]) => Ok(Type::list(type_from_json(element, depth + 1)?)),
                ("set", [element]) => Ok(Type::set(type_from_json(element, depth + 1)?)),
                ("map", [element]) => Ok(Type::map(type_from_json(element, depth + 1)?)),
                ("object", [Json::Object(members)])
                | ("object", [Json::Object(members), Json::Array(_)]) => {
                    let mut attributes = BTreeMap::new();
                    for (name, member) in members {
                        let attr_ty = type_from_json(member, depth + 1)?;
                        if attributes.insert(name.clone(), attr_ty).is_some() {
                            return Err(CodecError::new(ErrorKind::DuplicateKey(name.clone())));
                        }
                    }
                    Ok(Type::Object(attributes))
                }
                ("tuple", [Json::Array(elements)]) => Ok(Type::Tuple(
                    elements
                        .iter()
                        .map(|e| type_from_json(e, depth + 1))
                        .collect::<Result<_, _>>()?,
                )),
                _ => Err(invalid_type(format!(
                    "malformed {:?} type",
                    kind.chars().take(64).collect::<String>()
                ))),
            }
        }
        other => Err(invalid_type(format!(
            "expected a string or an array, found {}",
            other.kind_name()
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(text: &str) -> Value {
        Value::String(text.to_owned())
    }

    fn role_type() -> Type {
        Type::object([
            ("bucket_names", Type::set(Type::String)),
            ("role_name", Type::String),
            ("max_session_duration", Type::Number),
            ("force_detach_policies", Type::Bool),
            ("tags", Type::map(Type::String)),
            ("pair", Type::Tuple(vec![Type::Number, Type::Bool])),
            ("anything", Type::Dynamic),
        ])
    }

    #[test]
    fn type_syntax_round_trips() {
        let cases: &[(Type, &str)] = &[
            (Type::String, "\"string\""),
            (Type::Dynamic, "\"dynamic\""),
            (Type::set(Type::String), "[\"set\",\"string\"]"),
            (
                Type::object([("b", Type::Bool), ("a", Type::Number)]),
                "[\"object\",{\"a\":\"number\",\"b\":\"bool\"}]",
            ),
            (
                Type::Tuple(vec![Type::String, Type::list(Type::Dynamic)]),
                "[\"tuple\",[\"string\",[\"list\",\"dynamic\"]]]",
            ),
            (
                Type::map(Type::map(Type::Number)),
                "[\"map\",[\"map\",\"number\"]]",
            ),
            (Type::Object(BTreeMap::new()), "[\"object\",{}]"),
        ];
        for (ty, text) in cases {
            assert_eq!(String::from_utf8_lossy(&ty.to_json()), *text);
            assert_eq!(Type::from_json(text.as_bytes()).as_ref(), Ok(ty));
            assert_eq!(ty.to_string(), *text);
        }
        // Optional attributes (a third element) are accepted; whitespace too.
        assert_eq!(
            Type::from_json(b" [ \"object\" , {\"a\": \"string\"}, [\"a\"] ] "),
            Ok(Type::object([("a", Type::String)]))
        );
        for bad in [
            &b""[..],
            b"\"str\"",
            b"[]",
            b"[\"list\"]",
            b"[\"list\",\"string\",\"x\"]",
            b"[\"object\",[]]",
            b"[\"tuple\",\"string\"]",
            b"[\"capsule\",\"x\"]",
            b"3",
            b"\"string\" x",
            b"[\"object\",{\"a\":\"string\",\"a\":\"bool\"}]",
        ] {
            assert!(
                Type::from_json(bad).is_err(),
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
        let deep = format!(
            "{}\"string\"{}",
            "[\"list\",".repeat(5000),
            "]".repeat(5000)
        );
        assert_eq!(
            Type::from_json(deep.as_bytes()).map_err(|e| e.kind),
            Err(ErrorKind::TooDeep)
        );
    }

    #[test]
    fn values_round_trip() {
        let ty = role_type();
        let value = Value::object([
            (
                "bucket_names",
                Value::string_set(["a", "b\"q\\\n\u{1}\u{e9}"]),
            ),
            ("role_name", s("r")),
            ("max_session_duration", Value::from(3600i64)),
            ("force_detach_policies", Value::Bool(true)),
            (
                "tags",
                Value::Map([("k".to_owned(), s("v")), ("n".into(), Value::Null)].into()),
            ),
            (
                "pair",
                Value::Tuple(vec![
                    Value::Number(Number::Big("0.1".into())),
                    Value::Bool(false),
                ]),
            ),
            ("anything", Value::List(vec![Value::from(1i64)])),
        ]);
        let bytes = encode_json(&value, &ty).expect("encode");
        assert_eq!(decode_json(&bytes, &ty), Ok(value));
        let empty = Value::object([("bucket_names", Value::Set(vec![]))]);
        let bytes = encode_json(&empty, &ty).expect("encode");
        assert_eq!(
            String::from_utf8_lossy(&bytes),
            "{\"anything\":null,\"bucket_names\":[],\"force_detach_policies\":null,\
             \"max_session_duration\":null,\"pair\":null,\"role_name\":null,\"tags\":null}"
        );
        assert_eq!(decode_json(b"null", &ty), Ok(Value::Null), "a null object");
    }

    #[test]
    fn numbers_keep_precision() {
        let decode = |text: &str| decode_json(text.as_bytes(), &Type::Number).expect(text);
        assert_eq!(decode("3600"), Value::from(3600i64));
        assert_eq!(decode("3.6e3"), Value::from(3600i64));
        assert_eq!(decode("\"42\""), Value::from(42i64));
        assert_eq!(
            decode("123456789012345678901234567890"),
            Value::Number(Number::Big("123456789012345678901234567890".into()))
        );
        assert_eq!(decode("0.1"), Value::Number(Number::Big("0.1".into())));
        let big = Value::Number(Number::Big("123456789012345678901234567890.125".into()));
        let bytes = encode_json(&big, &Type::Number).expect("encode");
        assert_eq!(bytes, b"123456789012345678901234567890.125".to_vec());
        assert_eq!(
            encode_json(&Value::Number(Number::Float(0.5)), &Type::Number),
            Ok(b"0.5".to_vec())
        );
        assert_eq!(
            encode_json(&Value::Number(Number::Float(1e21)), &Type::Number),
            Ok(b"1000000000000000000000".to_vec())
        );
        assert!(encode_json(&Value::Number(Number::Float(f64::INFINITY)), &Type::Number).is_err());
        for bad in ["01", "1.", ".5", "-", "+1", "1e", "0x1", "\"abc\"", "NaN"] {
            assert!(decode_json(bad.as_bytes(), &Type::Number).is_err(), "{bad}");
        }
    }

    #[test]
    fn conversions_like_cty() {
        assert_eq!(decode_json(b"12", &Type::String), Ok(s("12")));
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
                Value::object([("a", Value::from(1i64))]),
                Value::object([("a", Value::Null)]),
            ]))
        );
        // Encoding an attribute the type lacks is still an error.
        assert!(encode_json(&Value::object([("zzz", s("x"))]), &ty).is_err());
    }

    #[test]
    fn dynamic_values() {
        let bytes = encode_json(&s("hello"), &Type::Dynamic).expect("encode");
        assert_eq!(bytes, br#"{"value":"hello","type":"string"}"#.to_vec());
        assert_eq!(decode_json(&bytes, &Type::Dynamic), Ok(s("hello")));
        assert_eq!(
            decode_json(
                br#"{"type":["set","number"],"value":[1,2.5]}"#,
                &Type::Dynamic
            ),
            Ok(Value::Set(vec![
                Value::from(1i64),
                Value::Number(Number::Big("2.5".into()))
            ]))
        );
        assert_eq!(decode_json(b"null", &Type::Dynamic), Ok(Value::Null));
        assert!(decode_json(br#"{"value":"x"}"#, &Type::Dynamic).is_err());
        assert!(decode_json(br#"{"value":"x","type":"bogus"}"#, &Type::Dynamic).is_err());
        assert!(decode_json(br#""x""#, &Type::Dynamic).is_err());
    }

    #[test]
    fn unknowns_cannot_be_json() {
        let err = encode_json(
            &Value::object([("a", Value::Unknown)]),
            &Type::object([("a", Type::String)]),
        )
        .expect_err("unknown");
        assert_eq!(err.path, vec![PathStep::Attr("a".into())]);
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
        let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        assert_eq!(
            decode_json(deep.as_bytes(), &Type::Dynamic).map_err(|e| e.kind),
            Err(ErrorKind::TooDeep)
        );
        let err = decode_json(br#"{"a":["x",3,true,{}]}"#, &ty).expect_err("mismatch");
        assert_eq!(
            err.to_string(),
            "at .a[3]: expected string, found JSON object"
        );
    }

    #[test]
    fn garbage_never_panics() {
        let ty = role_type();
        let good = br#"{"bucket_names":["a","b"],"role_name":"r","max_session_duration":3600,
            "tags":{"k":"v"},"pair":[1.5,true],"anything":{"value":[1],"type":["list","number"]}}"#;
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
            let _ = Type::from_json(&bytes);
        }
    }
}
