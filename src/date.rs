//! Calendar dates (YYYY-MM-DD) for sunset and expiry rules, and "today".
//! Rules never read the clock: the CLI resolves `--as-of`,
//! `SOURCE_DATE_EPOCH` or the system clock once and passes the date in.

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    pub year: i32,
    pub month: u32,
    pub day: u32,
}

fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        _ => 0,
    }
}

impl Date {
    /// Parses `YYYY-MM-DD` (a real calendar date).
    pub fn parse(s: &str) -> Option<Date> {
        let s = s.trim();
        let mut parts = s.splitn(3, '-');
        let (y, m, d) = (parts.next()?, parts.next()?, parts.next()?);
        if y.len() != 4 || m.len() != 2 || d.len() != 2 {
            return None;
        }
        let all_digits = |x: &str| x.bytes().all(|b| b.is_ascii_digit());
        if !all_digits(y) || !all_digits(m) || !all_digits(d) {
            return None;
        }
        let (year, month, day) = (y.parse().ok()?, m.parse().ok()?, d.parse().ok()?);
        (day >= 1 && day <= days_in_month(year, month)).then_some(Date { year, month, day })
    }

    /// The civil date of a Unix timestamp (UTC).
    pub fn from_unix(secs: i64) -> Date {
        // Howard Hinnant's days-from-civil, inverted.
        let z = secs.div_euclid(86_400) + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
        let year = (yoe + era * 400 + i64::from(month <= 2)) as i32;
        Date { year, month, day }
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

/// Where "today" came from, for messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AsOfSource {
    Flag,
    SourceDateEpoch,
    Clock,
}

/// Resolves the date rules use: `--as-of`, else `SOURCE_DATE_EPOCH`, else
/// the clock. Errors name the bad value.
pub fn resolve_as_of(
    flag: Option<&str>,
    epoch: Option<&str>,
) -> Result<(Date, AsOfSource), String> {
    if let Some(f) = flag {
        return Date::parse(f)
            .map(|d| (d, AsOfSource::Flag))
            .ok_or_else(|| format!("--as-of `{f}` is not a date (YYYY-MM-DD)"));
    }
    if let Some(e) = epoch.filter(|e| !e.is_empty()) {
        return e
            .trim()
            .parse::<i64>()
            .map(|s| (Date::from_unix(s), AsOfSource::SourceDateEpoch))
            .map_err(|_| format!("SOURCE_DATE_EPOCH `{e}` is not a number of seconds"));
    }
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    Ok((Date::from_unix(now), AsOfSource::Clock))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_orders_dates() {
        assert_eq!(
            Date::parse("2027-03-31").map(|d| d.to_string()),
            Some("2027-03-31".into())
        );
        assert!(Date::parse("2027-02-29").is_none());
        assert!(Date::parse("2028-02-29").is_some());
        assert!(Date::parse("2027-3-31").is_none());
        assert!(Date::parse("2027-03-31") < Date::parse("2027-04-01"));
    }

    #[test]
    fn converts_unix_time() {
        assert_eq!(Date::from_unix(0).to_string(), "1970-01-01");
        assert_eq!(Date::from_unix(1_795_564_800).to_string(), "2026-11-25");
        assert_eq!(Date::from_unix(951_782_400).to_string(), "2000-02-29");
    }
}
