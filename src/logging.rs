//! hclog-style JSON logging on stderr, the format Terraform's plugin client (go-plugin)
//! understands, driven by `TF_LOG_PROVIDER` / `TF_LOG`.
//!
//! go-plugin reads every line a plugin writes to stderr. A line that is a JSON object with string
//! members `@message`, `@level` and `@timestamp` (layout `2006-01-02T15:04:05.000000Z07:00`,
//! i.e. exactly six fractional digits) is re-logged by Terraform at that level, with every other
//! member as a key/value pair; any other line is re-logged at debug level as plain text. So each
//! event becomes one line:
//!
//! ```text
//! {"@level":"debug","@message":"retrying","@module":"provider","@timestamp":"2025-01-02T03:04:05.678901Z","action":"CreateRole","attempt":2}
//! ```
//!
//! `@module` is `provider`, the logger name provider SDKs use, so Terraform shows the lines
//! under `TF_LOG_PROVIDER` like any other provider's. Fields of the enclosing spans come first,
//! then the event's own.
//!
//! # Levels
//! The level is `TF_LOG_PROVIDER` if set (non-empty), else `TF_LOG`, read the way Terraform
//! reads them: `TRACE`, `DEBUG`, `INFO`, `WARN`, `ERROR` (any case), `OFF` for nothing, `JSON`
//! for trace, and any other non-empty value for trace (Terraform treats unknown values as
//! trace too). When neither is set the level is `info`: Terraform discards the lines anyway
//! unless it logs, but someone running the provider by hand (`--debug`) still sees warnings
//! and errors, and the few info lines cost nothing measurable.
//!
//! Events from this crate are logged at the chosen level. Events from dependencies (TLS, HTTP,
//! gRPC libraries) are logged only at `warn` and above, so protocol-level tracing of those
//! libraries, which may print headers, never reaches Terraform's logs.
//!
//! Writing never panics: a closed or broken stderr just drops the line.

use std::fmt::{self, Write as _};
use std::io::Write as _;

use serde_json::Value as Json;
use tracing::field::{Field, Visit};
use tracing::level_filters::LevelFilter;
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Level, Metadata, Subscriber};
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::{Context, SubscriberExt as _};
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::util::SubscriberInitExt as _;
use tracing_subscriber::Layer;

use crate::json_text::push_json_string;

/// The `@module` of every line.
const MODULE: &str = "provider";

/// Target prefix of this crate's events (its module paths).
const FIRST_PARTY_TARGET: &str = "terraform_provider_alicr";

/// The keys of the line itself; event fields with these names get a `_` prefix.
const RESERVED_KEYS: [&str; 4] = ["@level", "@message", "@module", "@timestamp"];

/// Installs the stderr JSON logger at the level the environment asks for. Does nothing if a
/// global subscriber is already installed.
pub fn init() {
    let level = level_from_env();
    let layer = HclogLayer::new(std::io::stderr, level);
    // An error only means a subscriber is already set (e.g. by a test); keep that one.
    let _ = tracing_subscriber::registry().with(layer).try_init();
}

/// The level from `TF_LOG_PROVIDER` / `TF_LOG` (see the module documentation).
fn level_from_env() -> LevelFilter {
    let provider = std::env::var("TF_LOG_PROVIDER").ok();
    let global = std::env::var("TF_LOG").ok();
    level_from_values(provider.as_deref(), global.as_deref())
}

/// The level for the given values of `TF_LOG_PROVIDER` and `TF_LOG`.
fn level_from_values(provider: Option<&str>, global: Option<&str>) -> LevelFilter {
    let chosen = [provider, global]
        .into_iter()
        .flatten()
        .map(str::trim)
        .find(|v| !v.is_empty());
    let Some(value) = chosen else {
        return LevelFilter::INFO;
    };
    match value.to_ascii_uppercase().as_str() {
        "OFF" => LevelFilter::OFF,
        "ERROR" => LevelFilter::ERROR,
        "WARN" => LevelFilter::WARN,
        "INFO" => LevelFilter::INFO,
        "DEBUG" => LevelFilter::DEBUG,
        // "TRACE", "JSON", and anything unrecognised.
        _ => LevelFilter::TRACE,
    }
}

/// hclog's name for a level.
fn level_name(level: &Level) -> &'static str {
    match *level {
        Level::TRACE => "trace",
        Level::DEBUG => "debug",
        Level::INFO => "info",
        Level::WARN => "warn",
        Level::ERROR => "error",
    }
}

/// A `tracing` layer writing each event as one hclog JSON line to a writer (stderr in
/// production, a buffer in tests).
struct HclogLayer<W> {
    make_writer: W,
    level: LevelFilter,
    dependency_level: LevelFilter,
}

impl<W> HclogLayer<W>
where
    W: for<'w> MakeWriter<'w> + 'static,
{
    /// Logs this crate's events at `level` and dependencies' at `warn` (or `level` if lower).
    fn new(make_writer: W, level: LevelFilter) -> Self {
        HclogLayer {
            make_writer,
            level,
            dependency_level: LevelFilter::WARN.min(level),
        }
    }

    fn allows(&self, metadata: &Metadata<'_>) -> bool {
        let limit = if metadata.target().starts_with(FIRST_PARTY_TARGET) {
            self.level
        } else {
            self.dependency_level
        };
        *metadata.level() <= limit
    }
}

/// Fields recorded on a span, kept in its extensions.
struct SpanFields(Fields);

impl<S, W> Layer<S> for HclogLayer<W>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    W: for<'w> MakeWriter<'w> + 'static,
{
    fn enabled(&self, metadata: &Metadata<'_>, _ctx: Context<'_, S>) -> bool {
        self.allows(metadata)
    }

    fn max_level_hint(&self) -> Option<LevelFilter> {
        Some(self.level)
    }

    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(id) else {
            return;
        };
        let mut fields = Fields::default();
        attrs.record(&mut fields);
        span.extensions_mut().insert(SpanFields(fields));
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(id) else {
            return;
        };
        let mut extensions = span.extensions_mut();
        if let Some(SpanFields(fields)) = extensions.get_mut::<SpanFields>() {
            values.record(fields);
        } else {
            let mut fields = Fields::default();
            values.record(&mut fields);
            extensions.insert(SpanFields(fields));
        }
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        let mut fields = Fields::default();
        if let Some(scope) = ctx.event_scope(event) {
            for span in scope.from_root() {
                if let Some(SpanFields(span_fields)) = span.extensions().get::<SpanFields>() {
                    fields.merge(span_fields);
                }
            }
        }
        let mut own = Fields::default();
        event.record(&mut own);
        fields.merge(&own);
        fields.message = own.message;
        let line = format_line(
            event.metadata().level(),
            &fields,
            time::OffsetDateTime::now_utc(),
        );
        let mut writer = self.make_writer.make_writer_for(event.metadata());
        // One write per line so concurrent events do not interleave; failures are dropped.
        let _ = writer.write_all(line.as_bytes());
        let _ = writer.flush();
    }
}

/// Key/value pairs in first-recorded order; `message` is kept apart.
#[derive(Default, Clone)]
struct Fields {
    message: Option<String>,
    pairs: Vec<(String, Json)>,
}

impl Fields {
    fn set(&mut self, key: &str, value: Json) {
        if key == "message" {
            self.message = Some(match value {
                Json::String(s) => s,
                other => other.to_string(),
            });
            return;
        }
        let key = if RESERVED_KEYS.contains(&key) {
            format!("_{key}")
        } else {
            key.to_owned()
        };
        match self.pairs.iter_mut().find(|(k, _)| *k == key) {
            Some(slot) => slot.1 = value,
            None => self.pairs.push((key, value)),
        }
    }

    fn merge(&mut self, other: &Fields) {
        for (k, v) in &other.pairs {
            self.set(k, v.clone());
        }
        // A span's `message` field is not the event's message.
    }
}

impl Visit for Fields {
    fn record_f64(&mut self, field: &Field, value: f64) {
        let json = serde_json::Number::from_f64(value)
            .map(Json::Number)
            .unwrap_or_else(|| Json::String(value.to_string()));
        self.set(field.name(), json);
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.set(field.name(), Json::from(value));
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.set(field.name(), Json::from(value));
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.set(field.name(), Json::Bool(value));
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        self.set(field.name(), Json::String(value.to_owned()));
    }

    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        let mut text = value.to_string();
        let mut source = value.source();
        while let Some(cause) = source {
            let _ = write!(text, ": {cause}");
            source = cause.source();
        }
        self.set(field.name(), Json::String(text));
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.set(field.name(), Json::String(format!("{value:?}")));
    }
}

/// `2006-01-02T15:04:05.000000Z07:00` for a UTC time: microseconds, `Z`.
fn format_timestamp(t: time::OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.microsecond()
    )
}

/// One JSON line, newline-terminated.
fn format_line(level: &Level, fields: &Fields, timestamp: time::OffsetDateTime) -> String {
    let mut line = String::with_capacity(128);
    line.push_str("{\"@level\":");
    push_json_string(&mut line, level_name(level));
    line.push_str(",\"@message\":");
    push_json_string(&mut line, fields.message.as_deref().unwrap_or(""));
    line.push_str(",\"@module\":");
    push_json_string(&mut line, MODULE);
    line.push_str(",\"@timestamp\":");
    push_json_string(&mut line, &format_timestamp(timestamp));
    for (key, value) in &fields.pairs {
        line.push(',');
        push_json_string(&mut line, key);
        line.push(':');
        match value {
            Json::String(s) => push_json_string(&mut line, s),
            other => line.push_str(&other.to_string()),
        }
    }
    line.push_str("}\n");
    line
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io;
    use std::sync::{Arc, Mutex, MutexGuard};

    /// A `MakeWriter` collecting everything written into a shared buffer.
    #[derive(Clone, Default)]
    struct Buffer(Arc<Mutex<Vec<u8>>>);

    struct BufferWriter<'a>(MutexGuard<'a, Vec<u8>>);

    impl io::Write for BufferWriter<'_> {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.0.extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    impl<'a> MakeWriter<'a> for Buffer {
        type Writer = BufferWriter<'a>;
        fn make_writer(&'a self) -> Self::Writer {
            BufferWriter(self.0.lock().unwrap_or_else(|e| e.into_inner()))
        }
    }

    impl Buffer {
        fn lines(&self) -> Vec<serde_json::Map<String, Json>> {
            let bytes = self.0.lock().unwrap_or_else(|e| e.into_inner()).clone();
            let text = String::from_utf8(bytes).expect("UTF-8 output");
            assert!(text.is_empty() || text.ends_with('\n'));
            text.lines()
                .map(|line| match serde_json::from_str::<Json>(line) {
                    Ok(Json::Object(map)) => map,
                    other => panic!("not a JSON object line: {line:?} ({other:?})"),
                })
                .collect()
        }
    }

    fn capture(level: LevelFilter, body: impl FnOnce()) -> Vec<serde_json::Map<String, Json>> {
        let buffer = Buffer::default();
        let subscriber =
            tracing_subscriber::registry().with(HclogLayer::new(buffer.clone(), level));
        tracing::subscriber::with_default(subscriber, body);
        buffer.lines()
    }

    /// go-plugin's layout, checked by hand: `YYYY-MM-DDTHH:MM:SS.ffffff` then `Z` or `±hh:mm`.
    fn is_hclog_timestamp(s: &str) -> bool {
        let b = s.as_bytes();
        let digits = |range: std::ops::Range<usize>| {
            b.get(range)
                .is_some_and(|d| d.iter().all(u8::is_ascii_digit))
        };
        b.len() == 27
            && digits(0..4)
            && b[4] == b'-'
            && digits(5..7)
            && b[7] == b'-'
            && digits(8..10)
            && b[10] == b'T'
            && digits(11..13)
            && b[13] == b':'
            && digits(14..16)
            && b[16] == b':'
            && digits(17..19)
            && b[19] == b'.'
            && digits(20..26)
            && b[26] == b'Z'
    }

    #[test]
    fn events_become_hclog_lines() {
        let lines = capture(LevelFilter::TRACE, || {
            tracing::info!(
                action = "CreateRole",
                attempt = 2u64,
                ok = true,
                ratio = 0.5,
                "sent request"
            );
            tracing::debug!(detail = %"display \"quoted\"\nline", dbg = ?vec![1, 2], "second");
        });
        assert_eq!(lines.len(), 2);
        let first = &lines[0];
        assert_eq!(first["@level"], "info");
        assert_eq!(first["@message"], "sent request");
        assert_eq!(first["@module"], "provider");
        let ts = first["@timestamp"].as_str().expect("string timestamp");
        assert!(is_hclog_timestamp(ts), "{ts}");
        assert_eq!(first["action"], "CreateRole");
        assert_eq!(first["attempt"], 2);
        assert_eq!(first["ok"], true);
        assert_eq!(first["ratio"], 0.5);
        assert!(first.get("message").is_none());
        let second = &lines[1];
        assert_eq!(second["@level"], "debug");
        assert_eq!(second["detail"], "display \"quoted\"\nline");
        assert_eq!(second["dbg"], "[1, 2]");
    }

    #[test]
    fn levels_filter_events() {
        let lines = capture(LevelFilter::WARN, || {
            tracing::trace!("t");
            tracing::debug!("d");
            tracing::info!("i");
            tracing::warn!("w");
            tracing::error!("e");
        });
        let levels: Vec<&str> = lines
            .iter()
            .map(|l| l["@level"].as_str().unwrap_or_default())
            .collect();
        assert_eq!(levels, ["warn", "error"]);
        let all = capture(LevelFilter::TRACE, || {
            tracing::trace!("t");
            tracing::error!("e");
        });
        assert_eq!(all[0]["@level"], "trace");
        assert_eq!(all[1]["@level"], "error");
        assert!(capture(LevelFilter::OFF, || tracing::error!("e")).is_empty());
    }

    #[test]
    fn dependency_events_need_warn() {
        let lines = capture(LevelFilter::TRACE, || {
            tracing::debug!(target: "h2::codec", "frame with headers");
            tracing::info!(target: "rustls::client", "handshake");
            tracing::warn!(target: "hyper::proto", "connection reset");
            tracing::debug!("ours");
        });
        let messages: Vec<&str> = lines
            .iter()
            .map(|l| l["@message"].as_str().unwrap_or_default())
            .collect();
        assert_eq!(messages, ["connection reset", "ours"]);
    }

    #[test]
    fn span_fields_are_included_and_reserved_keys_protected() {
        let lines = capture(LevelFilter::DEBUG, || {
            let rpc = tracing::info_span!(
                "rpc",
                tf_rpc = "PlanResourceChange",
                tf_req_id = tracing::field::Empty
            );
            let _outer = rpc.enter();
            rpc.record("tf_req_id", "abc");
            let inner = tracing::debug_span!("call", action = "GetRole");
            let _inner = inner.enter();
            tracing::info!(action = "GetPolicy", "@level" = "bogus", "inner event");
        });
        assert_eq!(lines.len(), 1);
        let line = &lines[0];
        assert_eq!(line["@message"], "inner event");
        assert_eq!(line["tf_rpc"], "PlanResourceChange");
        assert_eq!(line["tf_req_id"], "abc");
        // The event's own field wins over the span's.
        assert_eq!(line["action"], "GetPolicy");
        assert_eq!(line["@level"], "info");
        assert_eq!(line["_@level"], "bogus");
    }

    #[test]
    fn errors_include_their_sources() {
        #[derive(Debug)]
        struct Outer(io::Error);
        impl fmt::Display for Outer {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("request failed")
            }
        }
        impl std::error::Error for Outer {
            fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
                Some(&self.0)
            }
        }
        let error = Outer(io::Error::other("connection reset"));
        let lines = capture(LevelFilter::INFO, || {
            tracing::warn!(
                error = &error as &(dyn std::error::Error + 'static),
                "call failed"
            );
        });
        assert_eq!(lines[0]["error"], "request failed: connection reset");
    }

    #[test]
    fn level_from_environment_values() {
        use LevelFilter as L;
        let cases: &[(Option<&str>, Option<&str>, LevelFilter)] = &[
            (None, None, L::INFO),
            (Some(""), Some(""), L::INFO),
            (None, Some("debug"), L::DEBUG),
            (None, Some("TRACE"), L::TRACE),
            (None, Some("JSON"), L::TRACE),
            (None, Some("Warn"), L::WARN),
            (None, Some("error"), L::ERROR),
            (None, Some("off"), L::OFF),
            (None, Some("1"), L::TRACE),
            (Some("ERROR"), Some("TRACE"), L::ERROR),
            (Some(""), Some("DEBUG"), L::DEBUG),
            (Some(" info "), None, L::INFO),
            (Some("OFF"), Some("TRACE"), L::OFF),
        ];
        for (provider, global, expected) in cases {
            assert_eq!(
                level_from_values(*provider, *global),
                *expected,
                "TF_LOG_PROVIDER={provider:?} TF_LOG={global:?}"
            );
        }
    }

    #[test]
    fn timestamps_have_microseconds_and_zulu() {
        let t = time::macros::datetime!(2024-02-29 23:59:58.1234567 UTC);
        assert_eq!(format_timestamp(t), "2024-02-29T23:59:58.123456Z");
        let offset = time::macros::datetime!(2024-03-01 01:00:00 +02:00);
        assert_eq!(format_timestamp(offset), "2024-02-29T23:00:00.000000Z");
        assert!(is_hclog_timestamp(&format_timestamp(
            time::OffsetDateTime::now_utc()
        )));
    }

    #[test]
    fn lines_stay_single_lines() {
        let mut fields = Fields::default();
        fields.set("message", Json::String("a\nb\u{2028}c\u{0}".into()));
        fields.set("k\n", Json::String("v\r".into()));
        let line = format_line(
            &Level::ERROR,
            &fields,
            time::macros::datetime!(2020-01-01 00:00:00 UTC),
        );
        assert_eq!(line.matches('\n').count(), 1);
        assert!(line.ends_with("}\n"));
        let parsed: Json = serde_json::from_str(line.trim_end()).expect("JSON");
        assert_eq!(parsed["@message"], "a\nb\u{2028}c\u{0}");
        assert_eq!(parsed["k\n"], "v\r");
        assert_eq!(parsed["@timestamp"], "2020-01-01T00:00:00.000000Z");
    }

    #[test]
    fn broken_writer_is_ignored() {
        struct Broken;
        impl io::Write for Broken {
            fn write(&mut self, _: &[u8]) -> io::Result<usize> {
                Err(io::Error::from(io::ErrorKind::BrokenPipe))
            }
            fn flush(&mut self) -> io::Result<()> {
                Err(io::Error::from(io::ErrorKind::BrokenPipe))
            }
        }
        let subscriber =
            tracing_subscriber::registry().with(HclogLayer::new(|| Broken, LevelFilter::TRACE));
        tracing::subscriber::with_default(subscriber, || {
            tracing::error!("nobody hears this");
        });
    }
}
