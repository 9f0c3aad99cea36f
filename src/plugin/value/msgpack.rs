//! The msgpack encoding of cty values (`DynamicValue.msgpack`), decoded straight from a byte
//! slice against the expected type and encoded with the most compact markers.

use std::collections::BTreeMap;

use super::{expected_name, CodecError, ErrorKind, Number, PathStep, Type, Value, MAX_DEPTH};

/// What cty writes for a wholly unknown value: fixext1, extension type 0, one zero byte.
const UNKNOWN: [u8; 3] = [0xd4, 0x00, 0x00];

/// Collections start with at most this many reserved slots; the rest grow as elements arrive,
/// so a lying length prefix costs nothing.
const INITIAL_CAPACITY: usize = 16;

/// Decodes msgpack `bytes` as a value of type `ty`. The whole input must be one value.
pub fn decode_msgpack(bytes: &[u8], ty: &Type) -> Result<Value, CodecError> {
    let mut decoder = Decoder {
        input: bytes,
        pos: 0,
        path: Vec::new(),
        depth: 0,
    };
    let value = decoder.value(ty)?;
    let rest = bytes.len() - decoder.pos;
    if rest != 0 {
        return Err(CodecError::new(ErrorKind::TrailingBytes(rest)));
    }
    Ok(value)
}

/// Encodes `value` as msgpack for type `ty`. Fails when the value does not conform to the type
/// (or is a NaN number); object attributes missing from the value are written as null.
pub fn encode_msgpack(value: &Value, ty: &Type) -> Result<Vec<u8>, CodecError> {
    let mut encoder = Encoder {
        out: Vec::new(),
        path: Vec::new(),
    };
    encoder.value(value, ty)?;
    Ok(encoder.out)
}

/// What a marker byte introduces, for messages.
fn found_name(marker: u8) -> &'static str {
    match marker {
        0x00..=0x7f | 0xe0..=0xff | 0xcc..=0xd3 => "integer",
        0x80..=0x8f | 0xde | 0xdf => "map",
        0x90..=0x9f | 0xdc | 0xdd => "array",
        0xa0..=0xbf | 0xd9..=0xdb => "string",
        0xc0 => "nil",
        0xc1 => "reserved byte 0xc1",
        0xc2 | 0xc3 => "bool",
        0xc4..=0xc6 => "binary",
        0xc7..=0xc9 | 0xd4..=0xd8 => "extension",
        0xca | 0xcb => "float",
    }
}

fn is_ext(marker: u8) -> bool {
    matches!(marker, 0xc7..=0xc9 | 0xd4..=0xd8)
}

struct Decoder<'a> {
    input: &'a [u8],
    pos: usize,
    path: Vec<PathStep>,
    depth: usize,
}

impl<'a> Decoder<'a> {
    fn err(&self, kind: ErrorKind) -> CodecError {
        CodecError {
            path: self.path.clone(),
            kind,
        }
    }

    fn mismatch(&self, expected: &'static str, marker: u8) -> CodecError {
        self.err(ErrorKind::Mismatch {
            expected,
            found: found_name(marker),
        })
    }

    fn remaining(&self) -> usize {
        self.input.len() - self.pos
    }

    fn peek(&self) -> Result<u8, CodecError> {
        self.input
            .get(self.pos)
            .copied()
            .ok_or_else(|| self.err(ErrorKind::UnexpectedEnd))
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], CodecError> {
        if n > self.remaining() {
            return Err(self.err(ErrorKind::UnexpectedEnd));
        }
        let slice = &self.input[self.pos..self.pos + n];
        self.pos += n;
        Ok(slice)
    }

    fn byte(&mut self) -> Result<u8, CodecError> {
        let b = self.peek()?;
        self.pos += 1;
        Ok(b)
    }

    fn be<const N: usize>(&mut self) -> Result<[u8; N], CodecError> {
        let mut buf = [0u8; N];
        buf.copy_from_slice(self.take(N)?);
        Ok(buf)
    }

    fn length<const N: usize>(&mut self) -> Result<u64, CodecError> {
        let bytes = self.be::<N>()?;
        Ok(bytes.iter().fold(0u64, |acc, &b| (acc << 8) | u64::from(b)))
    }

    /// Checks a length prefix against the bytes left, each item needing `min_item` bytes.
    fn bounded(&self, len: u64, min_item: u64) -> Result<usize, CodecError> {
        match len.checked_mul(min_item) {
            Some(needed) if needed <= self.remaining() as u64 => {
                usize::try_from(len).map_err(|_| self.err(ErrorKind::LengthOverflow(len)))
            }
            _ => Err(self.err(ErrorKind::LengthOverflow(len))),
        }
    }

    fn value(&mut self, ty: &Type) -> Result<Value, CodecError> {
        if self.depth >= MAX_DEPTH {
            return Err(self.err(ErrorKind::TooDeep));
        }
        self.depth += 1;
        let result = self.value_inner(ty);
        self.depth -= 1;
        result
    }

    fn value_inner(&mut self, ty: &Type) -> Result<Value, CodecError> {
        let marker = self.peek()?;
        if is_ext(marker) {
            self.skip_ext()?;
            return Ok(Value::Unknown);
        }
        if marker == 0xc0 {
            self.pos += 1;
            return Ok(Value::Null);
        }
        match ty {
            Type::Dynamic => self.dynamic(),
            Type::String => self.string().map(Value::String),
            Type::Number => self.number().map(Value::Number),
            Type::Bool => match self.byte()? {
                0xc2 => Ok(Value::Bool(false)),
                0xc3 => Ok(Value::Bool(true)),
                other => Err(self.mismatch("bool", other)),
            },
            Type::List(element) => self.elements(element, "list").map(Value::List),
            Type::Set(element) => self.elements(element, "set").map(Value::Set),
            Type::Tuple(types) => {
                let len = self.array_len("tuple")?;
                if len != types.len() {
                    return Err(self.err(ErrorKind::TupleLength {
                        expected: types.len(),
                        found: len,
                    }));
                }
                let mut items = Vec::with_capacity(len.min(INITIAL_CAPACITY));
                for (i, element) in types.iter().enumerate() {
                    self.path.push(PathStep::Index(i));
                    let item = self.value(element)?;
                    self.path.pop();
                    items.push(item);
                }
                Ok(Value::Tuple(items))
            }
            Type::Map(element) => {
                let len = self.map_len("map")?;
                let mut entries = BTreeMap::new();
                for _ in 0..len {
                    let key = self.string()?;
                    self.path.push(PathStep::Key(key.clone()));
                    let item = self.value(element)?;
                    self.path.pop();
                    if entries.insert(key.clone(), item).is_some() {
                        return Err(self.err(ErrorKind::DuplicateKey(key)));
                    }
                }
                Ok(Value::Map(entries))
            }
            Type::Object(attributes) => {
                let len = self.map_len("object")?;
                let mut attrs = BTreeMap::new();
                for _ in 0..len {
                    let name = self.string()?;
                    let Some(attr_ty) = attributes.get(&name) else {
                        return Err(self.err(ErrorKind::UnsupportedAttribute(name)));
                    };
                    self.path.push(PathStep::Attr(name.clone()));
                    let item = self.value(attr_ty)?;
                    self.path.pop();
                    if attrs.insert(name.clone(), item).is_some() {
                        return Err(self.err(ErrorKind::DuplicateKey(name)));
                    }
                }
                for name in attributes.keys() {
                    if !attrs.contains_key(name) {
                        attrs.insert(name.clone(), Value::Null);
                    }
                }
                Ok(Value::Object(attrs))
            }
        }
    }

    /// Skips an extension (any type, any body): the unknown value.
    fn skip_ext(&mut self) -> Result<(), CodecError> {
        let marker = self.byte()?;
        let body = match marker {
            0xd4 => 1,
            0xd5 => 2,
            0xd6 => 4,
            0xd7 => 8,
            0xd8 => 16,
            0xc7 => self.length::<1>()?,
            0xc8 => self.length::<2>()?,
            0xc9 => self.length::<4>()?,
            other => return Err(self.mismatch("extension", other)),
        };
        let _ext_type = self.byte()?;
        let body = self.bounded(body, 1)?;
        self.take(body)?;
        Ok(())
    }

    /// `[type JSON, value]`, the wire form of a value of type `dynamic`.
    fn dynamic(&mut self) -> Result<Value, CodecError> {
        let len = self.array_len("dynamic value ([type, value])")?;
        if len != 2 {
            return Err(self.err(ErrorKind::TupleLength {
                expected: 2,
                found: len,
            }));
        }
        let type_json = self.bytes_or_string()?;
        let ty = Type::from_json(type_json).map_err(|e| CodecError {
            path: self.path.clone(),
            kind: e.kind,
        })?;
        self.value(&ty)
    }

    fn bytes_or_string(&mut self) -> Result<&'a [u8], CodecError> {
        let marker = self.byte()?;
        let len = match marker {
            0xa0..=0xbf => u64::from(marker & 0x1f),
            0xc4 | 0xd9 => self.length::<1>()?,
            0xc5 | 0xda => self.length::<2>()?,
            0xc6 | 0xdb => self.length::<4>()?,
            other => return Err(self.mismatch("string", other)),
        };
        let len = self.bounded(len, 1)?;
        self.take(len)
    }

    fn string(&mut self) -> Result<String, CodecError> {
        let bytes = self.bytes_or_string()?;
        std::str::from_utf8(bytes)
            .map(str::to_owned)
            .map_err(|_| self.err(ErrorKind::InvalidUtf8))
    }

    fn number(&mut self) -> Result<Number, CodecError> {
        let marker = self.peek()?;
        let number = match marker {
            0x00..=0x7f => Number::Int(i64::from(marker)),
            0xe0..=0xff => Number::Int(i64::from(marker as i8)),
            0xcc => Number::Int(i64::from(self.after_marker::<1>()?[0])),
            0xcd => Number::Int(i64::from(u16::from_be_bytes(self.after_marker()?))),
            0xce => Number::Int(i64::from(u32::from_be_bytes(self.after_marker()?))),
            0xcf => Number::from_u64(u64::from_be_bytes(self.after_marker()?)),
            0xd0 => Number::Int(i64::from(i8::from_be_bytes(self.after_marker()?))),
            0xd1 => Number::Int(i64::from(i16::from_be_bytes(self.after_marker()?))),
            0xd2 => Number::Int(i64::from(i32::from_be_bytes(self.after_marker()?))),
            0xd3 => Number::Int(i64::from_be_bytes(self.after_marker()?)),
            0xca => {
                let f = f64::from(f32::from_be_bytes(self.after_marker()?));
                self.float(f)?
            }
            0xcb => {
                let f = f64::from_be_bytes(self.after_marker()?);
                self.float(f)?
            }
            0xa0..=0xbf | 0xd9..=0xdb | 0xc4..=0xc6 => {
                let text = self.string()?;
                return Number::parse(&text).map_err(|e| CodecError {
                    path: self.path.clone(),
                    kind: e.kind,
                });
            }
            other => return Err(self.mismatch("number", other)),
        };
        if matches!(marker, 0x00..=0x7f | 0xe0..=0xff) {
            self.pos += 1;
        }
        Ok(number)
    }

    /// The `N` bytes after the marker (consuming both).
    fn after_marker<const N: usize>(&mut self) -> Result<[u8; N], CodecError> {
        self.byte()?;
        self.be::<N>()
    }

    fn float(&self, f: f64) -> Result<Number, CodecError> {
        Number::from_f64(f).ok_or_else(|| self.err(ErrorKind::InvalidNumber("NaN".to_owned())))
    }

    fn array_len(&mut self, expected: &'static str) -> Result<usize, CodecError> {
        let marker = self.byte()?;
        let len = match marker {
            0x90..=0x9f => u64::from(marker & 0x0f),
            0xdc => self.length::<2>()?,
            0xdd => self.length::<4>()?,
            other => return Err(self.mismatch(expected, other)),
        };
        self.bounded(len, 1)
    }

    fn map_len(&mut self, expected: &'static str) -> Result<usize, CodecError> {
        let marker = self.byte()?;
        let len = match marker {
            0x80..=0x8f => u64::from(marker & 0x0f),
            0xde => self.length::<2>()?,
            0xdf => self.length::<4>()?,
            other => return Err(self.mismatch(expected, other)),
        };
        self.bounded(len, 2)
    }

    fn elements(
        &mut self,
        element: &Type,
        expected: &'static str,
    ) -> Result<Vec<Value>, CodecError> {
        let len = self.array_len(expected)?;
        let mut items = Vec::with_capacity(len.min(INITIAL_CAPACITY));
        for i in 0..len {
            self.path.push(PathStep::Index(i));
            let item = self.value(element)?;
            self.path.pop();
            items.push(item);
        }
        Ok(items)
    }
}

struct Encoder {
    out: Vec<u8>,
    path: Vec<PathStep>,
}

impl Encoder {
    fn mismatch(&self, ty: &Type, value: &Value) -> CodecError {
        CodecError {
            path: self.path.clone(),
            kind: ErrorKind::Mismatch {
                expected: expected_name(ty),
                found: value.kind_name(),
            },
        }
    }

    fn value(&mut self, value: &Value, ty: &Type) -> Result<(), CodecError> {
        if self.path.len() >= MAX_DEPTH {
            return Err(CodecError {
                path: self.path.clone(),
                kind: ErrorKind::TooDeep,
            });
        }
        match (ty, value) {
            (_, Value::Unknown) => self.out.extend_from_slice(&UNKNOWN),
            (_, Value::Null) => self.out.push(0xc0),
            (Type::Dynamic, value) => {
                let implied = value.implied_type();
                self.array_header(2);
                self.binary(&implied.to_json());
                self.value(value, &implied)?;
            }
            (Type::String, Value::String(s)) => self.string(s),
            (Type::Number, Value::Number(n)) => self.number(n)?,
            (Type::Bool, Value::Bool(b)) => self.out.push(if *b { 0xc3 } else { 0xc2 }),
            (Type::List(element), Value::List(items)) | (Type::Set(element), Value::Set(items)) => {
                self.array_header(items.len());
                for (i, item) in items.iter().enumerate() {
                    self.path.push(PathStep::Index(i));
                    self.value(item, element)?;
                    self.path.pop();
                }
            }
            (Type::Tuple(types), Value::Tuple(items)) => {
                if types.len() != items.len() {
                    return Err(CodecError {
                        path: self.path.clone(),
                        kind: ErrorKind::TupleLength {
                            expected: types.len(),
                            found: items.len(),
                        },
                    });
                }
                self.array_header(items.len());
                for (i, (item, element)) in items.iter().zip(types).enumerate() {
                    self.path.push(PathStep::Index(i));
                    self.value(item, element)?;
                    self.path.pop();
                }
            }
            (Type::Map(element), Value::Map(entries)) => {
                self.map_header(entries.len());
                for (key, item) in entries {
                    self.string(key);
                    self.path.push(PathStep::Key(key.clone()));
                    self.value(item, element)?;
                    self.path.pop();
                }
            }
            (Type::Object(attributes), Value::Object(attrs)) => {
                if let Some(extra) = attrs.keys().find(|k| !attributes.contains_key(*k)) {
                    return Err(CodecError {
                        path: self.path.clone(),
                        kind: ErrorKind::UnsupportedAttribute(extra.clone()),
                    });
                }
                self.map_header(attributes.len());
                // BTreeMap iteration is sorted, as cty writes attributes.
                for (name, attr_ty) in attributes {
                    self.string(name);
                    self.path.push(PathStep::Attr(name.clone()));
                    self.value(attrs.get(name).unwrap_or(&Value::Null), attr_ty)?;
                    self.path.pop();
                }
            }
            (ty, value) => return Err(self.mismatch(ty, value)),
        }
        Ok(())
    }

    fn number(&mut self, n: &Number) -> Result<(), CodecError> {
        match n {
            Number::Int(i) => self.int(*i),
            Number::Float(f) => match Number::from_f64(*f) {
                Some(Number::Int(i)) => self.int(i),
                Some(_) => {
                    self.out.push(0xcb);
                    self.out.extend_from_slice(&f.to_be_bytes());
                }
                None => {
                    return Err(CodecError {
                        path: self.path.clone(),
                        kind: ErrorKind::Unencodable("NaN"),
                    })
                }
            },
            Number::Big(text) => match Number::parse(text) {
                Ok(Number::Int(i)) => self.int(i),
                Ok(Number::Big(canonical)) => self.string(&canonical),
                Ok(Number::Float(_)) | Err(_) => {
                    return Err(CodecError {
                        path: self.path.clone(),
                        kind: ErrorKind::InvalidNumber(text.chars().take(64).collect()),
                    })
                }
            },
        }
        Ok(())
    }

    /// The smallest integer encoding (non-negative values use the unsigned forms).
    fn int(&mut self, i: i64) {
        if i >= 0 {
            let u = i as u64;
            if u < 0x80 {
                self.out.push(u as u8);
            } else if u <= 0xff {
                self.out.extend_from_slice(&[0xcc, u as u8]);
            } else if u <= 0xffff {
                self.out.push(0xcd);
                self.out.extend_from_slice(&(u as u16).to_be_bytes());
            } else if u <= 0xffff_ffff {
                self.out.push(0xce);
                self.out.extend_from_slice(&(u as u32).to_be_bytes());
            } else {
                self.out.push(0xcf);
                self.out.extend_from_slice(&u.to_be_bytes());
            }
        } else if i >= -32 {
            self.out.push(i as i8 as u8);
        } else if i >= i64::from(i8::MIN) {
            self.out.extend_from_slice(&[0xd0, i as i8 as u8]);
        } else if i >= i64::from(i16::MIN) {
            self.out.push(0xd1);
            self.out.extend_from_slice(&(i as i16).to_be_bytes());
        } else if i >= i64::from(i32::MIN) {
            self.out.push(0xd2);
            self.out.extend_from_slice(&(i as i32).to_be_bytes());
        } else {
            self.out.push(0xd3);
            self.out.extend_from_slice(&i.to_be_bytes());
        }
    }

    fn string(&mut self, s: &str) {
        let len = s.len();
        if len < 32 {
            self.out.push(0xa0 | len as u8);
        } else if len <= 0xff {
            self.out.extend_from_slice(&[0xd9, len as u8]);
        } else if len <= 0xffff {
            self.out.push(0xda);
            self.out.extend_from_slice(&(len as u16).to_be_bytes());
        } else {
            self.out.push(0xdb);
            self.out.extend_from_slice(&len_u32(len).to_be_bytes());
        }
        self.out.extend_from_slice(s.as_bytes());
    }

    fn binary(&mut self, bytes: &[u8]) {
        let len = bytes.len();
        if len <= 0xff {
            self.out.extend_from_slice(&[0xc4, len as u8]);
        } else if len <= 0xffff {
            self.out.push(0xc5);
            self.out.extend_from_slice(&(len as u16).to_be_bytes());
        } else {
            self.out.push(0xc6);
            self.out.extend_from_slice(&len_u32(len).to_be_bytes());
        }
        self.out.extend_from_slice(bytes);
    }

    fn array_header(&mut self, len: usize) {
        if len < 16 {
            self.out.push(0x90 | len as u8);
        } else if len <= 0xffff {
            self.out.push(0xdc);
            self.out.extend_from_slice(&(len as u16).to_be_bytes());
        } else {
            self.out.push(0xdd);
            self.out.extend_from_slice(&len_u32(len).to_be_bytes());
        }
    }

    fn map_header(&mut self, len: usize) {
        if len < 16 {
            self.out.push(0x80 | len as u8);
        } else if len <= 0xffff {
            self.out.push(0xde);
            self.out.extend_from_slice(&(len as u16).to_be_bytes());
        } else {
            self.out.push(0xdf);
            self.out.extend_from_slice(&len_u32(len).to_be_bytes());
        }
    }
}

/// msgpack lengths are at most 32 bits; a longer item cannot exist in a Terraform message
/// (gRPC messages are far smaller), so saturating is only a formality.
fn len_u32(len: usize) -> u32 {
    u32::try_from(len).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(text: &str) -> Value {
        Value::String(text.to_owned())
    }

    fn round_trip(value: &Value, ty: &Type) -> Vec<u8> {
        let bytes = encode_msgpack(value, ty).expect("encode");
        let back = decode_msgpack(&bytes, ty).expect("decode");
        assert_eq!(&back, value, "round trip of {value:?} as {ty}");
        bytes
    }

    fn role_type() -> Type {
        Type::object([
            ("bucket_names", Type::set(Type::String)),
            ("role_name", Type::String),
            ("max_session_duration", Type::Number),
            ("force_detach_policies", Type::Bool),
            (
                "nested",
                Type::list(Type::object([
                    ("a", Type::String),
                    ("b", Type::map(Type::Number)),
                ])),
            ),
            ("pair", Type::Tuple(vec![Type::String, Type::Bool])),
            ("anything", Type::Dynamic),
        ])
    }

    #[test]
    fn primitives_have_ctys_bytes() {
        assert_eq!(round_trip(&Value::Unknown, &Type::String), vec![0xd4, 0, 0]);
        assert_eq!(round_trip(&Value::Null, &Type::String), vec![0xc0]);
        assert_eq!(round_trip(&s("hi"), &Type::String), b"\xa2hi".to_vec());
        assert_eq!(round_trip(&Value::Bool(true), &Type::Bool), vec![0xc3]);
        assert_eq!(round_trip(&Value::from(5i64), &Type::Number), vec![0x05]);
        assert_eq!(round_trip(&Value::from(-1i64), &Type::Number), vec![0xff]);
        assert_eq!(
            round_trip(&Value::from(3600i64), &Type::Number),
            vec![0xcd, 0x0e, 0x10]
        );
        assert_eq!(
            round_trip(&Value::from(-200i64), &Type::Number),
            vec![0xd1, 0xff, 0x38]
        );
    }

    #[test]
    fn numbers_in_all_three_encodings() {
        for i in [
            0,
            127,
            128,
            255,
            256,
            65535,
            65536,
            u32::MAX as i64,
            u32::MAX as i64 + 1,
            i64::MAX,
            -32,
            -33,
            -128,
            -129,
            -32768,
            -32769,
            i32::MIN as i64,
            i32::MIN as i64 - 1,
            i64::MIN,
        ] {
            round_trip(&Value::from(i), &Type::Number);
        }
        // Float: written as float64.
        let bytes = round_trip(&Value::Number(Number::Float(1.5)), &Type::Number);
        assert_eq!(bytes[0], 0xcb);
        round_trip(
            &Value::Number(Number::Float(f64::NEG_INFINITY)),
            &Type::Number,
        );
        // A whole float is written as an int and reads back as one.
        assert_eq!(
            encode_msgpack(&Value::Number(Number::Float(42.0)), &Type::Number).expect("encode"),
            vec![42]
        );
        // String: big and precise numbers.
        for text in ["18446744073709551616", "0.1", "-1.5e-400", "1e100"] {
            let v = Value::Number(Number::Big(text.to_owned()));
            let bytes = round_trip(&v, &Type::Number);
            assert!((0xa0..=0xbf).contains(&bytes[0]), "{text} as a string");
        }
        // Decoding accepts every wire form cty may produce.
        let decode = |bytes: &[u8]| decode_msgpack(bytes, &Type::Number).expect("number");
        assert_eq!(decode(&[0xcc, 200]), Value::from(200i64));
        assert_eq!(decode(&[0xd0, 0x80]), Value::from(-128i64));
        assert_eq!(
            decode(&[0xcf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]),
            Value::Number(Number::Big("18446744073709551615".into()))
        );
        assert_eq!(
            decode(&[0xca, 0x3f, 0xc0, 0, 0]),
            Value::Number(Number::Float(1.5))
        );
        let mut double = vec![0xcb];
        double.extend_from_slice(&3600.0f64.to_be_bytes());
        assert_eq!(decode(&double), Value::from(3600i64));
        assert_eq!(decode(b"\xa43600"), Value::from(3600i64));
        assert_eq!(decode(b"\xa30.1"), Value::Number(Number::Big("0.1".into())));
        let mut nan = vec![0xcb];
        nan.extend_from_slice(&f64::NAN.to_be_bytes());
        assert!(decode_msgpack(&nan, &Type::Number).is_err());
        assert!(decode_msgpack(b"\xa3abc", &Type::Number).is_err());
        assert!(encode_msgpack(&Value::Number(Number::Float(f64::NAN)), &Type::Number).is_err());
        assert!(encode_msgpack(&Value::Number(Number::Big("x".into())), &Type::Number).is_err());
    }

    #[test]
    fn nested_values_round_trip() {
        let ty = role_type();
        let full = Value::object([
            ("bucket_names", Value::string_set(["b", "a"])),
            ("role_name", s("Role")),
            ("max_session_duration", Value::from(3600i64)),
            ("force_detach_policies", Value::Bool(false)),
            (
                "nested",
                Value::List(vec![
                    Value::object([
                        ("a", s("x")),
                        (
                            "b",
                            Value::Map(
                                [
                                    ("k".to_owned(), Value::from(1i64)),
                                    ("z".into(), Value::Null),
                                ]
                                .into(),
                            ),
                        ),
                    ]),
                    Value::object([("a", Value::Unknown), ("b", Value::Unknown)]),
                ]),
            ),
            ("pair", Value::Tuple(vec![s("p"), Value::Unknown])),
            (
                "anything",
                Value::List(vec![Value::object([("x", Value::from(1i64))])]),
            ),
        ]);
        round_trip(&full, &ty);

        let sparse = Value::object([
            ("bucket_names", Value::Set(vec![s("a"), Value::Unknown])),
            ("role_name", Value::Unknown),
            ("max_session_duration", Value::Null),
            ("force_detach_policies", Value::Null),
            ("nested", Value::List(vec![])),
            ("pair", Value::Null),
            ("anything", Value::Unknown),
        ]);
        round_trip(&sparse, &ty);
        round_trip(&Value::Null, &ty);
        round_trip(&Value::Unknown, &ty);
        round_trip(
            &Value::Set(vec![Value::Set(vec![s("x")]), Value::Set(vec![])]),
            &Type::set(Type::set(Type::String)),
        );
    }

    #[test]
    fn object_attributes_are_sorted_and_missing_ones_null() {
        let ty = Type::object([("b", Type::Bool), ("a", Type::String)]);
        let bytes = encode_msgpack(&Value::object([("b", Value::Bool(true))]), &ty).expect("ok");
        assert_eq!(bytes, b"\x82\xa1a\xc0\xa1b\xc3".to_vec());
        // Decoding fills attributes the input leaves out with null.
        assert_eq!(
            decode_msgpack(b"\x81\xa1b\xc3", &ty).expect("ok"),
            Value::object([("a", Value::Null), ("b", Value::Bool(true))])
        );
        // An attribute the type lacks is an error both ways.
        let err = decode_msgpack(b"\x81\xa1c\xc3", &ty).expect_err("unknown attribute");
        assert_eq!(err.kind, ErrorKind::UnsupportedAttribute("c".into()));
        assert!(encode_msgpack(&Value::object([("c", Value::Bool(true))]), &ty).is_err());
        // So is a duplicate key.
        let err = decode_msgpack(b"\x82\xa1b\xc3\xa1b\xc2", &ty).expect_err("duplicate");
        assert_eq!(err.kind, ErrorKind::DuplicateKey("b".into()));
    }

    #[test]
    fn unknowns_of_any_extension_are_accepted() {
        for bytes in [
            &[0xd4, 0x00, 0x00][..],
            &[0xd4, 0x05, 0x07],
            &[0xd5, 0x00, 1, 2],
            &[0xd6, 0x0c, 1, 2, 3, 4],
            &[0xd7, 0x0c, 0, 0, 0, 0, 0, 0, 0, 0],
            &[0xd8, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
            &[0xc7, 0x00, 0x00],
            // cty's refined unknown: ext 12 holding {1: false} (definitely not null).
            &[0xc7, 0x03, 0x0c, 0x81, 0x01, 0xc2],
            &[0xc8, 0x00, 0x02, 0x0c, 0x80, 0x00],
            &[0xc9, 0x00, 0x00, 0x00, 0x01, 0x0c, 0x80],
        ] {
            for ty in [Type::String, Type::set(Type::String), Type::Dynamic] {
                assert_eq!(
                    decode_msgpack(bytes, &ty),
                    Ok(Value::Unknown),
                    "{bytes:x?} as {ty}"
                );
            }
        }
        assert!(decode_msgpack(&[0xd6, 0x0c, 1, 2], &Type::String).is_err());
        assert!(decode_msgpack(&[0xc9, 0xff, 0xff, 0xff, 0xff, 0x0c], &Type::String).is_err());
    }

    #[test]
    fn dynamic_values() {
        // What cty writes for a string in a dynamic attribute: [bin "\"string\"", "hello"].
        let mut bytes = vec![0x92, 0xc4, 8];
        bytes.extend_from_slice(b"\"string\"");
        bytes.extend_from_slice(b"\xa5hello");
        assert_eq!(decode_msgpack(&bytes, &Type::Dynamic), Ok(s("hello")));
        assert_eq!(encode_msgpack(&s("hello"), &Type::Dynamic), Ok(bytes));
        // The type may also come as a msgpack string.
        let type_json = b"[\"list\",\"number\"]";
        let mut bytes = vec![0x92, 0xa0 | type_json.len() as u8];
        bytes.extend_from_slice(type_json);
        bytes.extend_from_slice(&[0x92, 0x01, 0x02]);
        assert_eq!(
            decode_msgpack(&bytes, &Type::Dynamic),
            Ok(Value::List(vec![Value::from(1i64), Value::from(2i64)]))
        );
        // Null and unknown are written bare.
        assert_eq!(encode_msgpack(&Value::Null, &Type::Dynamic), Ok(vec![0xc0]));
        assert_eq!(
            encode_msgpack(&Value::Unknown, &Type::Dynamic),
            Ok(UNKNOWN.to_vec())
        );
        // Bad wrappers.
        assert!(decode_msgpack(b"\x91\xc4\x08\"string\"", &Type::Dynamic).is_err());
        assert!(decode_msgpack(b"\x92\xc4\x05\"str\"\xa1x", &Type::Dynamic).is_err());
        assert!(decode_msgpack(b"\x92\x01\xa1x", &Type::Dynamic).is_err());
        assert!(decode_msgpack(b"\xa1x", &Type::Dynamic).is_err());
    }

    #[test]
    fn dynamic_nesting_is_bounded() {
        // ["list","dynamic"] wrapping itself: each level adds a wrapper and a list.
        let mut bytes = Vec::new();
        for _ in 0..10_000 {
            bytes.extend_from_slice(&[0x92, 0xc4, 18]);
            bytes.extend_from_slice(b"[\"list\",\"dynamic\"]");
            bytes.push(0x91);
        }
        bytes.push(0xc0);
        let err = decode_msgpack(&bytes, &Type::Dynamic).expect_err("too deep");
        assert_eq!(err.kind, ErrorKind::TooDeep);
    }

    #[test]
    fn malformed_input_is_an_error() {
        let ty = role_type();
        let good = encode_msgpack(
            &Value::object([
                ("bucket_names", Value::string_set(["a"])),
                ("role_name", s("r")),
            ]),
            &ty,
        )
        .expect("encode");
        // Every truncation fails: the input ends, or a length prefix outruns it.
        for cut in 0..good.len() {
            let err = decode_msgpack(&good[..cut], &ty).expect_err("truncated");
            assert!(
                matches!(
                    err.kind,
                    ErrorKind::UnexpectedEnd | ErrorKind::LengthOverflow(_)
                ),
                "cut at {cut}: {err}"
            );
        }
        // Trailing bytes.
        let mut trailing = good.clone();
        trailing.push(0xc0);
        assert_eq!(
            decode_msgpack(&trailing, &ty).map_err(|e| e.kind),
            Err(ErrorKind::TrailingBytes(1))
        );
        // Type mismatches.
        assert!(decode_msgpack(b"\xc3", &Type::String).is_err());
        assert!(decode_msgpack(b"\xa1x", &Type::Bool).is_err());
        assert!(decode_msgpack(b"\xa1x", &Type::list(Type::String)).is_err());
        assert!(decode_msgpack(b"\x91\x01", &Type::list(Type::String)).is_err());
        assert!(decode_msgpack(b"\x91\xa1x", &ty).is_err());
        assert!(decode_msgpack(b"\x81\x01\x01", &Type::map(Type::Number)).is_err());
        assert!(decode_msgpack(b"\xc1", &Type::String).is_err());
        let err = decode_msgpack(b"\x92\xa1x\xc3", &Type::Tuple(vec![Type::String]))
            .expect_err("tuple length");
        assert!(matches!(err.kind, ErrorKind::TupleLength { .. }));
        // Invalid UTF-8.
        assert_eq!(
            decode_msgpack(b"\xa2\xff\xfe", &Type::String).map_err(|e| e.kind),
            Err(ErrorKind::InvalidUtf8)
        );
        // Absurd length prefixes fail before allocating anything.
        for bytes in [
            &[0xdd, 0xff, 0xff, 0xff, 0xff][..],
            &[0xdd, 0xff, 0xff, 0xff, 0xff, 0xc0, 0xc0],
            &[0xdc, 0xff, 0xff],
        ] {
            let err = decode_msgpack(bytes, &Type::list(Type::String)).expect_err("huge");
            assert!(matches!(err.kind, ErrorKind::LengthOverflow(_)), "{err}");
        }
        let err = decode_msgpack(&[0xdf, 0x7f, 0xff, 0xff, 0xff], &Type::map(Type::String))
            .expect_err("huge map");
        assert!(matches!(err.kind, ErrorKind::LengthOverflow(_)));
        let err =
            decode_msgpack(&[0xdb, 0xff, 0xff, 0xff, 0xff, b'a'], &Type::String).expect_err("str");
        assert!(matches!(err.kind, ErrorKind::LengthOverflow(_)));
        // Errors carry the path.
        let err = decode_msgpack(b"\x81\xa9role_name\x01", &ty).expect_err("mismatch");
        assert_eq!(
            err.to_string(),
            "at .role_name: expected string, found integer"
        );
    }

    #[test]
    fn garbage_never_panics() {
        // A cheap deterministic fuzz: mutate a valid encoding byte by byte.
        let ty = role_type();
        let good = encode_msgpack(
            &Value::object([
                ("bucket_names", Value::string_set(["alpha", "beta"])),
                ("max_session_duration", Value::from(43200i64)),
                ("nested", Value::List(vec![Value::object([("a", s("x"))])])),
                ("anything", Value::from(7i64)),
            ]),
            &ty,
        )
        .expect("encode");
        let mut state: u32 = 0x1234_5678;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            state
        };
        for _ in 0..20_000 {
            let mut bytes = good.clone();
            for _ in 0..(next() % 4 + 1) {
                let i = next() as usize % bytes.len();
                bytes[i] = next() as u8;
            }
            if next() % 5 == 0 {
                let cut = next() as usize % bytes.len();
                bytes.truncate(cut);
            }
            let _ = decode_msgpack(&bytes, &ty);
            let _ = decode_msgpack(&bytes, &Type::Dynamic);
        }
    }

    #[test]
    fn mismatched_values_do_not_encode() {
        assert!(encode_msgpack(&s("x"), &Type::Number).is_err());
        assert!(encode_msgpack(&Value::List(vec![]), &Type::set(Type::String)).is_err());
        assert!(encode_msgpack(
            &Value::Tuple(vec![s("a")]),
            &Type::Tuple(vec![Type::String, Type::String])
        )
        .is_err());
        let err = encode_msgpack(
            &Value::List(vec![s("a"), Value::from(1i64)]),
            &Type::list(Type::String),
        )
        .expect_err("element");
        assert_eq!(err.path, vec![PathStep::Index(1)]);
    }
}
