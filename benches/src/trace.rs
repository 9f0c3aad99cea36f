//! Call timelines: which RAM calls an operation made and which of them ran side by side, read
//! from the provider's debug log (one `alibaba cloud call` line per call, with its action, its
//! end time and how long it took), as Terraform writes it to `TF_LOG_PATH`.

use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// The provider's log message for each finished call.
const CALL_MESSAGE: &str = "alibaba cloud call";

/// How far a call's start may be misjudged: Terraform writes the end time to the millisecond
/// and the provider truncates the duration to whole milliseconds, so a call that started just
/// as another ended can appear to start up to ~2 ms before that end.
const CLOCK_SLACK_MS: f64 = 3.0;

/// One RAM call as the provider saw it.
#[derive(Debug, Clone, PartialEq)]
pub struct Call {
    pub action: String,
    /// Milliseconds from the first call's start.
    pub start_ms: f64,
    pub end_ms: f64,
}

/// Calls in start order, grouped into rounds: a call joins the current round if it started
/// before the round's first call had finished (so it did not wait for the round), allowing for
/// the log's millisecond resolution.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Timeline {
    pub rounds: Vec<Vec<Call>>,
}

impl Timeline {
    /// Sequential round trips on the critical path.
    pub fn round_trips(&self) -> usize {
        self.rounds.len()
    }

    /// `ListPoliciesForRole → DetachPolicyFromRole → DeletePolicy ‖ DeleteRole`.
    pub fn describe(&self) -> String {
        if self.rounds.is_empty() {
            return "no RAM calls".to_string();
        }
        self.rounds
            .iter()
            .map(|round| {
                round
                    .iter()
                    .map(|call| call.action.as_str())
                    .collect::<Vec<_>>()
                    .join(" ‖ ")
            })
            .collect::<Vec<_>>()
            .join(" → ")
    }

    /// `0–101 ms, 101–203 ms, …`: when each round ran.
    pub fn describe_times(&self) -> String {
        self.rounds
            .iter()
            .map(|round| {
                let start = round.iter().map(|c| c.start_ms).fold(f64::MAX, f64::min);
                let end = round.iter().map(|c| c.end_ms).fold(0.0, f64::max);
                format!("{start:.0}–{end:.0} ms")
            })
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// The timeline of the calls logged in `log` (a `TF_LOG_PATH` file's text).
pub fn timeline(log: &str) -> Timeline {
    let mut calls: Vec<(String, f64, f64)> = log
        .lines()
        .filter(|line| line.contains(CALL_MESSAGE))
        .filter_map(parse_call)
        .collect();
    calls.sort_by(|a, b| a.1.total_cmp(&b.1));
    let Some(origin) = calls.first().map(|c| c.1) else {
        return Timeline::default();
    };
    let mut rounds: Vec<Vec<Call>> = Vec::new();
    for (action, start, end) in calls {
        let call = Call {
            action,
            start_ms: start - origin,
            end_ms: end - origin,
        };
        let overlaps_current = rounds.last().is_some_and(|round| {
            let first_end = round.iter().map(|c| c.end_ms).fold(f64::MAX, f64::min);
            call.start_ms < first_end - CLOCK_SLACK_MS
        });
        match rounds.last_mut() {
            Some(round) if overlaps_current => round.push(call),
            _ => rounds.push(vec![call]),
        }
    }
    Timeline { rounds }
}

/// One log line → (action, start, end) in milliseconds since the epoch.
fn parse_call(line: &str) -> Option<(String, f64, f64)> {
    let action = field(line, "action")?;
    let elapsed_ms: f64 = field(line, "elapsed_ms")?.parse().ok()?;
    let end = OffsetDateTime::parse(&field(line, "timestamp")?, &Rfc3339).ok()?;
    let end_ms = end.unix_timestamp_nanos() as f64 / 1e6;
    Some((action, end_ms - elapsed_ms, end_ms))
}

/// The value of ` NAME=VALUE` in an hclog text line (values here never contain spaces).
fn field(line: &str, name: &str) -> Option<String> {
    line.split_whitespace()
        .find_map(|token| token.strip_prefix(name)?.strip_prefix('='))
        .map(|value| value.trim_matches('"').to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(action: &str, end: &str, elapsed: u64) -> String {
        format!(
            "2026-01-01T00:00:00.000Z [DEBUG] provider.terraform-provider-alicr_v0.1.0: {CALL_MESSAGE}: @module=provider action={action} attempt=1 code=\"\" elapsed_ms={elapsed} status=200 timestamp={end}\n"
        )
    }

    #[test]
    fn groups_concurrent_calls_into_rounds() {
        let log = [
            line("CreateRole", "2026-01-01T00:00:00.101Z", 101),
            line("CreatePolicy", "2026-01-01T00:00:00.102Z", 101),
            "2026-01-01T00:00:00.102Z [TRACE] GRPCProvider.v6: ApplyResourceChange\n".to_string(),
            line("AttachPolicyToRole", "2026-01-01T00:00:00.205Z", 102),
        ]
        .concat();
        let timeline = timeline(&log);
        assert_eq!(timeline.round_trips(), 2);
        assert_eq!(
            timeline.describe(),
            "CreateRole ‖ CreatePolicy → AttachPolicyToRole"
        );
        assert_eq!(timeline.describe_times(), "0–102 ms, 103–205 ms");
    }

    #[test]
    fn a_call_that_started_as_another_ended_is_a_new_round() {
        // Detach ended at .102; the deletes' truncated durations put their starts at .101.
        let log = [
            line("DetachPolicyFromRole", "2026-01-01T00:00:00.102Z", 102),
            line("DeletePolicy", "2026-01-01T00:00:00.204Z", 103),
            line("DeleteRole", "2026-01-01T00:00:00.204Z", 102),
        ]
        .concat();
        assert_eq!(
            timeline(&log).describe(),
            "DetachPolicyFromRole → DeletePolicy ‖ DeleteRole"
        );
    }

    #[test]
    fn an_empty_log_has_no_rounds() {
        let timeline = timeline("nothing to see\n");
        assert_eq!(timeline.round_trips(), 0);
        assert_eq!(timeline.describe(), "no RAM calls");
    }

    #[test]
    fn field_values_are_unquoted_and_exact() {
        let text = "msg: action_x=1 action=GetRole code=\"\" timestamp=2026-01-01T00:00:00Z";
        assert_eq!(field(text, "action").as_deref(), Some("GetRole"));
        assert_eq!(field(text, "code").as_deref(), Some(""));
        assert_eq!(field(text, "elapsed_ms"), None);
    }
}
