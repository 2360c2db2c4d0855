//! How instants are stored (epoch milliseconds, the same on both databases) and shown
//! (RFC 3339 UTC, as the APIs promise).

use time::{format_description::well_known::Rfc3339, OffsetDateTime};

/// The stored form of an instant.
pub fn to_millis(instant: OffsetDateTime) -> i64 {
    i64::try_from(instant.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX)
}

/// An instant read back from storage.
pub fn from_millis(millis: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(millis) * 1_000_000)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

/// A stored instant as RFC 3339 UTC with millisecond precision, e.g. `2026-11-01T09:00:00.000Z`.
pub fn rfc3339(millis: i64) -> String {
    let instant = from_millis(millis);
    let whole = instant.replace_nanosecond(0).unwrap_or(instant);
    let text = whole.format(&Rfc3339).unwrap_or_default();
    // `Rfc3339` writes whole seconds as `…:00Z`; add the milliseconds for a fixed width.
    match text.strip_suffix('Z') {
        Some(seconds) => format!("{seconds}.{:03}Z", millis.rem_euclid(1000)),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn instants_round_trip_through_milliseconds_and_print_fixed_width() {
        let instant = datetime!(2026-11-01 09:00:00.123 UTC);
        let millis = to_millis(instant);
        assert_eq!(from_millis(millis), instant);
        assert_eq!(rfc3339(millis), "2026-11-01T09:00:00.123Z");
        assert_eq!(
            rfc3339(to_millis(datetime!(2026-11-01 09:00 UTC))),
            "2026-11-01T09:00:00.000Z"
        );
    }
}
