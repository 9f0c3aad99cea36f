//! Time as the APIs spell it: `YYYY-MM-DDThh:mm:ssZ` in UTC, parsed and formatted from Unix
//! seconds.

use time::format_description::FormatItem;
use time::macros::format_description;
use time::{OffsetDateTime, PrimitiveDateTime};

const API_DATE: &[FormatItem<'static>] =
    format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");

/// Seconds since the Unix epoch, now.
pub fn now_unix() -> i64 {
    OffsetDateTime::now_utc().unix_timestamp()
}

/// Formats Unix seconds as `2015-01-23T12:33:18Z`.
pub fn format_date(unix: i64) -> String {
    OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|t| t.format(API_DATE).ok())
        .unwrap_or_else(|| "1970-01-01T00:00:00Z".to_string())
}

/// Parses `2015-01-23T12:33:18Z` (the only form signatures use) into Unix seconds.
pub fn parse_date(text: &str) -> Option<i64> {
    PrimitiveDateTime::parse(text, API_DATE)
        .ok()
        .map(|t| t.assume_utc().unix_timestamp())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        let t = parse_date("2016-02-23T12:46:24Z").expect("valid");
        assert_eq!(t, 1456231584);
        assert_eq!(format_date(t), "2016-02-23T12:46:24Z");
    }

    #[test]
    fn rejects_other_forms() {
        assert_eq!(parse_date("2016-02-23 12:46:24"), None);
        assert_eq!(parse_date("mock date"), None);
        assert_eq!(parse_date("2016-02-23T12:46:24+08:00"), None);
    }
}
