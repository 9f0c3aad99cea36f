//! JSON string literals for the two texts this crate writes member by member instead of through
//! a `serde_json::Value`: policy documents (fixed key order, byte-stable) and hclog log lines
//! (fixed leading members). Both escape strings the same way, here.

use std::io;

use serde::Serialize as _;
use serde_json::ser::{CharEscape, CompactFormatter, Formatter};

/// Appends `text` as a JSON string literal. serde_json escapes it, with two differences kept
/// from the escaper this replaced: backspace and form feed are written `\u0008` and `\u000c`,
/// and U+2028 / U+2029 are escaped too, so no viewer that treats them as line breaks can split
/// a log line.
pub(crate) fn push_json_string(out: &mut String, text: &str) {
    let mut literal = Vec::with_capacity(text.len() + 2);
    let written = text.serialize(&mut serde_json::Serializer::with_formatter(
        &mut literal,
        Escapes,
    ));
    // Neither can fail: the writer is a Vec, and serde_json writes UTF-8.
    if let (Ok(()), Ok(literal)) = (written, String::from_utf8(literal)) {
        out.push_str(&literal);
    }
}

/// serde_json's compact output with the escapes [`push_json_string`] documents.
struct Escapes;

impl Formatter for Escapes {
    fn write_string_fragment<W>(&mut self, writer: &mut W, fragment: &str) -> io::Result<()>
    where
        W: ?Sized + io::Write,
    {
        let mut rest = fragment;
        while let Some(at) = rest.find(['\u{2028}', '\u{2029}']) {
            let (before, separator) = rest.split_at(at);
            writer.write_all(before.as_bytes())?;
            let escape: &[u8] = if separator.starts_with('\u{2028}') {
                b"\\u2028"
            } else {
                b"\\u2029"
            };
            writer.write_all(escape)?;
            rest = &separator['\u{2028}'.len_utf8()..];
        }
        writer.write_all(rest.as_bytes())
    }

    fn write_char_escape<W>(&mut self, writer: &mut W, escape: CharEscape) -> io::Result<()>
    where
        W: ?Sized + io::Write,
    {
        match escape {
            CharEscape::Backspace => writer.write_all(b"\\u0008"),
            CharEscape::FormFeed => writer.write_all(b"\\u000c"),
            other => CompactFormatter.write_char_escape(writer, other),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn literal(text: &str) -> String {
        let mut out = String::new();
        push_json_string(&mut out, text);
        out
    }

    #[test]
    fn control_characters_use_short_escapes_or_lowercase_u_escapes() {
        assert_eq!(literal("\"\\\n\r\t"), r#""\"\\\n\r\t""#);
        assert_eq!(literal("\u{8}\u{c}"), r#""\u0008\u000c""#);
        assert_eq!(literal("\u{0}\u{1}\u{1f}"), r#""\u0000\u0001\u001f""#);
        for code in (0u32..0x20).filter(|c| ![8, 9, 10, 12, 13].contains(c)) {
            let c = char::from_u32(code).unwrap_or_default();
            assert_eq!(literal(&c.to_string()), format!("\"\\u{code:04x}\""));
        }
    }

    #[test]
    fn everything_else_is_written_as_it_is() {
        assert_eq!(literal(""), "\"\"");
        assert_eq!(literal("acs:oss:*:*:a/*"), "\"acs:oss:*:*:a/*\"");
        assert_eq!(literal("\u{7f}é漢字🦀"), "\"\u{7f}é漢字🦀\"");
    }

    #[test]
    fn line_and_paragraph_separators_are_escaped() {
        assert_eq!(
            literal("a\u{2028}b\u{2029}\u{2028}c"),
            r#""a\u2028b\u2029\u2028c""#
        );
    }

    #[test]
    fn every_literal_reads_back_as_its_text() {
        let all: String = (0u32..0x3000).filter_map(char::from_u32).collect();
        let read: String = serde_json::from_str(&literal(&all)).unwrap_or_default();
        assert_eq!(read, all);
    }
}
