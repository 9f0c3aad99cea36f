//! The msgpack encoding of cty values (`DynamicValue.msgpack`): a walk of the expected type over
//! `rmp`'s low-level reader and writer, which handle markers, lengths and integers.

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::io;

use rmp::decode::{self as read, NumValueReadError};
use rmp::encode::{self as write, ByteBuf, RmpWrite, ValueWriteError};
use rmp::Marker;

use super::{CodecError, ErrorKind, Number, PathStep, Type, Value, MAX_DEPTH};

/// What cty writes for a wholly unknown value: fixext1, extension type 0, one zero byte.
const UNKNOWN: [u8; 3] = [0xd4, 0x00, 0x00];

/// Collections start with at most this many reserved slots; the rest grow as elements arrive,
/// so a lying length prefix costs nothing.
const INITIAL_CAPACITY: usize = 16;

/// Decodes msgpack `bytes` as a value of type `ty`. The whole input must be one value.
pub fn decode_msgpack(bytes: &[u8], ty: &Type) -> Result<Value, CodecError> {
    let mut decoder = Decoder {
        input: bytes,
        path: Vec::new(),
    };
    let value = decoder.value(ty)?;
    if !decoder.input.is_empty() {
        return Err(CodecError::new(ErrorKind::TrailingBytes(
            decoder.input.len(),
        )));
    }
    Ok(value)
}

/// Encodes `value` as msgpack for type `ty`. Fails when the value does not conform to the type
/// (or is a NaN number); object attributes missing from the value are written as null.
pub fn encode_msgpack(value: &Value, ty: &Type) -> Result<Vec<u8>, CodecError> {
    let mut encoder = Encoder {
        out: ByteBuf::new(),
        path: Vec::new(),
    };
    encoder.value(value, ty)?;
    Ok(encoder.out.into_vec())
}

/// What a marker introduces, for messages.
fn found_name(marker: Marker) -> &'static str {
    use Marker::*;
    match marker {
        FixPos(_) | FixNeg(_) | U8 | U16 | U32 | U64 | I8 | I16 | I32 | I64 => "integer",
        FixMap(_) | Map16 | Map32 => "map",
        FixArray(_) | Array16 | Array32 => "array",
        FixStr(_) | Str8 | Str16 | Str32 => "string",
        Null => "nil",
        Reserved => "reserved byte 0xc1",
        True | False => "bool",
        Bin8 | Bin16 | Bin32 => "binary",
        FixExt1 | FixExt2 | FixExt4 | FixExt8 | FixExt16 | Ext8 | Ext16 | Ext32 => "extension",
        F32 | F64 => "float",
    }
}

struct Decoder<'a> {
    /// The input not read yet; `rmp` advances it.
    input: &'a [u8],
    path: Vec<PathStep>,
}

impl<'a> Decoder<'a> {
    fn err(&self, kind: ErrorKind) -> CodecError {
        CodecError::at(&self.path, kind)
    }

    fn peek(&self) -> Result<Marker, CodecError> {
        match self.input.first() {
            Some(&byte) => Ok(Marker::from_u8(byte)),
            None => Err(self.err(ErrorKind::UnexpectedEnd)),
        }
    }

    /// Runs one of `rmp`'s readers: a marker of another kind is a mismatch with `expected`,
    /// any other failure the end of the input.
    fn read<T, E: Into<NumValueReadError<io::Error>>>(
        &mut self,
        expected: &'static str,
        reader: impl FnOnce(&mut &'a [u8]) -> Result<T, E>,
    ) -> Result<T, CodecError> {
        let result = reader(&mut self.input);
        result.map_err(|error| match error.into() {
            NumValueReadError::TypeMismatch(marker) => self.err(ErrorKind::Mismatch {
                expected,
                found: found_name(marker),
            }),
            _ => self.err(ErrorKind::UnexpectedEnd),
        })
    }

    /// Checks a length prefix against the bytes left, each item needing `min_item` bytes.
    fn bounded(&self, len: u32, min_item: usize) -> Result<usize, CodecError> {
        let len = len as usize;
        match len.checked_mul(min_item) {
            Some(needed) if needed <= self.input.len() => Ok(len),
            _ => Err(self.err(ErrorKind::LengthOverflow(len as u64))),
        }
    }

    fn take(&mut self, len: u32) -> Result<&'a [u8], CodecError> {
        let len = self.bounded(len, 1)?;
        let (taken, rest) = self.input.split_at(len);
        self.input = rest;
        Ok(taken)
    }

    fn value(&mut self, ty: &Type) -> Result<Value, CodecError> {
        if self.path.len() >= MAX_DEPTH {
            return Err(self.err(ErrorKind::TooDeep));
        }
        match self.peek()? {
            Marker::FixExt1
            | Marker::FixExt2
            | Marker::FixExt4
            | Marker::FixExt8
            | Marker::FixExt16
            | Marker::Ext8
            | Marker::Ext16
            | Marker::Ext32 => {
                // Any extension, whatever its type and body, is the unknown value.
                let meta = self.read("extension", read::read_ext_meta)?;
                self.take(meta.size)?;
                return Ok(Value::Unknown);
            }
            Marker::Null => {
                self.read("nil", read::read_nil)?;
                return Ok(Value::Null);
            }
            _ => {}
        }
        match ty {
            Type::String => self.string().map(Value::String),
            Type::Number => self.number().map(Value::Number),
            Type::Bool => self.read("bool", read::read_bool).map(Value::Bool),
            Type::List(element) => self.elements(element, "list").map(Value::List),
            Type::Set(element) => self.elements(element, "set").map(Value::Set),
            Type::Map(element) => self
                .entries("map", |_| Some((&**element, PathStep::Key)))
                .map(Value::Map),
            Type::Object(attributes) => {
                let lookup = |name: &str| attributes.get(name).map(|ty| (ty, PathStep::Attr as _));
                let mut attrs = self.entries("object", lookup)?;
                for name in attributes.keys() {
                    attrs.entry(name.clone()).or_insert(Value::Null);
                }
                Ok(Value::Object(attrs))
            }
        }
    }

    /// A string's bytes; cty also accepts msgpack binary where a string is expected.
    fn string_bytes(&mut self) -> Result<&'a [u8], CodecError> {
        let len = match self.peek()? {
            Marker::Bin8 | Marker::Bin16 | Marker::Bin32 => {
                self.read("string", read::read_bin_len)?
            }
            _ => self.read("string", read::read_str_len)?,
        };
        self.take(len)
    }

    fn string(&mut self) -> Result<String, CodecError> {
        let bytes = self.string_bytes()?;
        std::str::from_utf8(bytes)
            .map(str::to_owned)
            .map_err(|_| self.err(ErrorKind::InvalidUtf8))
    }

    fn number(&mut self) -> Result<Number, CodecError> {
        let float = match self.peek()? {
            Marker::F32 => f64::from(self.read("number", read::read_f32)?),
            Marker::F64 => self.read("number", read::read_f64)?,
            Marker::FixStr(_)
            | Marker::Str8
            | Marker::Str16
            | Marker::Str32
            | Marker::Bin8
            | Marker::Bin16
            | Marker::Bin32 => {
                let text = self.string()?;
                return Number::parse(&text).map_err(|e| self.err(e.kind));
            }
            _ => {
                // Every msgpack integer fits an i128; only a u64 beyond i64 does not fit Int.
                let int: i128 = self.read("number", read::read_int)?;
                return Ok(
                    i64::try_from(int).map_or_else(|_| Number::Big(int.to_string()), Number::Int)
                );
            }
        };
        Number::from_f64(float).ok_or_else(|| self.err(ErrorKind::InvalidNumber("NaN".to_owned())))
    }

    fn elements(
        &mut self,
        element: &Type,
        expected: &'static str,
    ) -> Result<Vec<Value>, CodecError> {
        let len = self.read(expected, read::read_array_len)?;
        let len = self.bounded(len, 1)?;
        let mut items = Vec::with_capacity(len.min(INITIAL_CAPACITY));
        for i in 0..len {
            self.path.push(PathStep::Index(i));
            items.push(self.value(element)?);
            self.path.pop();
        }
        Ok(items)
    }

    /// A map's entries; `lookup` gives each key's type and path step (`None`: not allowed).
    fn entries<'t>(
        &mut self,
        expected: &'static str,
        lookup: impl Fn(&str) -> Option<(&'t Type, fn(String) -> PathStep)>,
    ) -> Result<BTreeMap<String, Value>, CodecError> {
        let len = self.read(expected, read::read_map_len)?;
        let len = self.bounded(len, 2)?;
        let mut entries = BTreeMap::new();
        for _ in 0..len {
            let key = self.string()?;
            let Some((ty, step)) = lookup(&key) else {
                return Err(self.err(ErrorKind::UnsupportedAttribute(key)));
            };
            self.path.push(step(key.clone()));
            let item = self.value(ty)?;
            self.path.pop();
            if entries.insert(key.clone(), item).is_some() {
                return Err(self.err(ErrorKind::DuplicateKey(key)));
            }
        }
        Ok(entries)
    }
}

/// Writing to memory cannot fail, though `rmp`'s signatures carry the writer's error type.
fn infallible<T>(result: Result<T, ValueWriteError<Infallible>>) {
    let Ok(_) = result;
}

/// msgpack lengths are at most 32 bits; a longer item cannot exist in a Terraform message
/// (gRPC messages are far smaller), so saturating is only a formality.
fn len_u32(len: usize) -> u32 {
    u32::try_from(len).unwrap_or(u32::MAX)
}

struct Encoder {
    out: ByteBuf,
    path: Vec<PathStep>,
}

impl Encoder {
    fn err(&self, kind: ErrorKind) -> CodecError {
        CodecError::at(&self.path, kind)
    }

    fn value(&mut self, value: &Value, ty: &Type) -> Result<(), CodecError> {
        if self.path.len() >= MAX_DEPTH {
            return Err(self.err(ErrorKind::TooDeep));
        }
        match (ty, value) {
            (_, Value::Unknown) => {
                let Ok(()) = self.out.write_bytes(&UNKNOWN);
            }
            (_, Value::Null) => {
                let Ok(()) = write::write_nil(&mut self.out);
            }
            (Type::String, Value::String(s)) => infallible(write::write_str(&mut self.out, s)),
            (Type::Number, Value::Number(n)) => self.number(n)?,
            (Type::Bool, Value::Bool(b)) => {
                let Ok(()) = write::write_bool(&mut self.out, *b);
            }
            (Type::List(element), Value::List(items)) | (Type::Set(element), Value::Set(items)) => {
                infallible(write::write_array_len(&mut self.out, len_u32(items.len())));
                for (i, item) in items.iter().enumerate() {
                    self.path.push(PathStep::Index(i));
                    self.value(item, element)?;
                    self.path.pop();
                }
            }
            (Type::Map(element), Value::Map(entries)) => {
                infallible(write::write_map_len(&mut self.out, len_u32(entries.len())));
                for (key, item) in entries {
                    infallible(write::write_str(&mut self.out, key));
                    self.path.push(PathStep::Key(key.clone()));
                    self.value(item, element)?;
                    self.path.pop();
                }
            }
            (Type::Object(attributes), Value::Object(attrs)) => {
                if let Some(extra) = attrs.keys().find(|k| !attributes.contains_key(*k)) {
                    return Err(self.err(ErrorKind::UnsupportedAttribute(extra.clone())));
                }
                infallible(write::write_map_len(
                    &mut self.out,
                    len_u32(attributes.len()),
                ));
                // BTreeMap iteration is sorted, as cty writes attributes.
                for (name, attr_ty) in attributes {
                    infallible(write::write_str(&mut self.out, name));
                    self.path.push(PathStep::Attr(name.clone()));
                    self.value(attrs.get(name).unwrap_or(&Value::Null), attr_ty)?;
                    self.path.pop();
                }
            }
            (ty, value) => {
                return Err(self.err(ErrorKind::Mismatch {
                    expected: ty.kind_name(),
                    found: value.kind_name(),
                }))
            }
        }
        Ok(())
    }

    /// Whole numbers within 64 bits as the smallest integer, other floats as float64, and any
    /// other number as its canonical decimal text.
    fn number(&mut self, n: &Number) -> Result<(), CodecError> {
        let normalised = match n {
            Number::Int(i) => Number::Int(*i),
            Number::Float(f) => {
                Number::from_f64(*f).ok_or_else(|| self.err(ErrorKind::Unencodable("NaN")))?
            }
            Number::Big(text) => match Number::parse(text) {
                Ok(number @ (Number::Int(_) | Number::Big(_))) => number,
                Ok(Number::Float(_)) | Err(_) => {
                    return Err(self.err(ErrorKind::InvalidNumber(text.chars().take(64).collect())))
                }
            },
        };
        match normalised {
            Number::Int(i) => infallible(write::write_sint(&mut self.out, i)),
            Number::Float(f) => infallible(write::write_f64(&mut self.out, f)),
            Number::Big(canonical) => infallible(write::write_str(&mut self.out, &canonical)),
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::super::shorthand::{big, int, s, strings};
    use super::*;

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
        ])
    }

    #[test]
    fn primitives_have_ctys_bytes() {
        assert_eq!(round_trip(&Value::Unknown, &Type::String), vec![0xd4, 0, 0]);
        assert_eq!(round_trip(&Value::Null, &Type::String), vec![0xc0]);
        assert_eq!(round_trip(&s("hi"), &Type::String), b"\xa2hi".to_vec());
        // cty also accepts binary where a string is expected.
        assert_eq!(decode_msgpack(b"\xc4\x02hi", &Type::String), Ok(s("hi")));
        assert_eq!(round_trip(&Value::Bool(true), &Type::Bool), vec![0xc3]);
        assert_eq!(round_trip(&int(5), &Type::Number), vec![0x05]);
        assert_eq!(round_trip(&int(-1), &Type::Number), vec![0xff]);
        assert_eq!(
            round_trip(&int(3600), &Type::Number),
            vec![0xcd, 0x0e, 0x10]
        );
        assert_eq!(
            round_trip(&int(-200), &Type::Number),
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
            round_trip(&int(i), &Type::Number);
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
        assert_eq!(decode(&[0xcc, 200]), int(200));
        assert_eq!(decode(&[0xd0, 0x80]), int(-128));
        assert_eq!(
            decode(&[0xcf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]),
            big("18446744073709551615")
        );
        assert_eq!(
            decode(&[0xca, 0x3f, 0xc0, 0, 0]),
            Value::Number(Number::Float(1.5))
        );
        let mut double = vec![0xcb];
        double.extend_from_slice(&3600.0f64.to_be_bytes());
        assert_eq!(decode(&double), int(3600));
        assert_eq!(decode(b"\xa43600"), int(3600));
        assert_eq!(decode(b"\xa30.1"), big("0.1"));
        let mut nan = vec![0xcb];
        nan.extend_from_slice(&f64::NAN.to_be_bytes());
        assert!(decode_msgpack(&nan, &Type::Number).is_err());
        assert!(decode_msgpack(b"\xa3abc", &Type::Number).is_err());
        assert!(encode_msgpack(&Value::Number(Number::Float(f64::NAN)), &Type::Number).is_err());
        assert!(encode_msgpack(&big("x"), &Type::Number).is_err());
    }

    #[test]
    fn nested_values_round_trip() {
        let ty = role_type();
        let full = Value::object([
            ("bucket_names", strings(&["b", "a"])),
            ("role_name", s("Role")),
            ("max_session_duration", int(3600)),
            ("force_detach_policies", Value::Bool(false)),
            (
                "nested",
                Value::List(vec![
                    Value::object([
                        ("a", s("x")),
                        (
                            "b",
                            Value::Map(
                                [("k".to_owned(), int(1)), ("z".into(), Value::Null)].into(),
                            ),
                        ),
                    ]),
                    Value::object([("a", Value::Unknown), ("b", Value::Unknown)]),
                ]),
            ),
        ]);
        round_trip(&full, &ty);

        let sparse = Value::object([
            ("bucket_names", Value::Set(vec![s("a"), Value::Unknown])),
            ("role_name", Value::Unknown),
            ("max_session_duration", Value::Null),
            ("force_detach_policies", Value::Null),
            ("nested", Value::List(vec![])),
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
            for ty in [Type::String, Type::set(Type::String), Type::Number] {
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
    fn nesting_is_bounded() {
        // Only a type this deep lets a value nest this deep.
        let mut ty = Type::String;
        let mut bytes = vec![0xc0];
        for _ in 0..MAX_DEPTH {
            ty = Type::list(ty);
            bytes.insert(0, 0x91);
        }
        let err = decode_msgpack(&bytes, &ty).expect_err("too deep");
        assert_eq!(err.kind, ErrorKind::TooDeep);
        let value = Value::List(vec![]);
        let deep_value = (0..MAX_DEPTH).fold(value, |v, _| Value::List(vec![v]));
        let err = encode_msgpack(&deep_value, &Type::list(ty)).expect_err("too deep");
        assert_eq!(err.kind, ErrorKind::TooDeep);
    }

    #[test]
    fn malformed_input_is_an_error() {
        let ty = role_type();
        let good = encode_msgpack(
            &Value::object([("bucket_names", strings(&["a"])), ("role_name", s("r"))]),
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
                ("bucket_names", strings(&["alpha", "beta"])),
                ("max_session_duration", int(43200)),
                ("nested", Value::List(vec![Value::object([("a", s("x"))])])),
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
            let _ = decode_msgpack(&bytes, &Type::map(Type::list(Type::Number)));
        }
    }

    #[test]
    fn mismatched_values_do_not_encode() {
        assert!(encode_msgpack(&s("x"), &Type::Number).is_err());
        assert!(encode_msgpack(&Value::List(vec![]), &Type::set(Type::String)).is_err());
        let err = encode_msgpack(
            &Value::List(vec![s("a"), int(1)]),
            &Type::list(Type::String),
        )
        .expect_err("element");
        assert_eq!(err.path, vec![PathStep::Index(1)]);
    }
}
