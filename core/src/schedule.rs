//! Turning "every N seconds" into a pg_cron schedule string.

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScheduleError {
    /// Zero or negative.
    NotPositive,
    /// Under a minute, but this pg_cron has no seconds schedules (they came in 1.5).
    SecondsUnsupported { seconds: i64 },
    /// No cron expression fires at exactly that period.
    NotExpressible { seconds: i64 },
}

impl fmt::Display for ScheduleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotPositive => write!(f, "the simulation interval must be positive"),
            Self::SecondsUnsupported { seconds } => {
                write!(f, "an interval of {seconds} seconds needs pg_cron 1.5 or later")
            }
            Self::NotExpressible { seconds } => {
                write!(f, "an interval of {seconds} seconds cannot be written as a cron schedule")
            }
        }
    }
}

impl std::error::Error for ScheduleError {}

/// The pg_cron schedule that fires every `seconds`: "N seconds" (pg_cron >= 1.5) below a minute,
/// otherwise a cron expression. Only periods that divide the next larger unit evenly are accepted,
/// so the job never runs at uneven gaps (a "*/7" minute field would fire at :56 and again at :00).
pub fn cron_schedule(seconds: i64, seconds_supported: bool) -> Result<String, ScheduleError> {
    const MINUTE: i64 = 60;
    const HOUR: i64 = 60 * MINUTE;
    const DAY: i64 = 24 * HOUR;
    match seconds {
        s if s <= 0 => Err(ScheduleError::NotPositive),
        s if s < MINUTE && seconds_supported => Ok(format!("{s} seconds")),
        s if s < MINUTE => Err(ScheduleError::SecondsUnsupported { seconds: s }),
        MINUTE => Ok("* * * * *".to_owned()),
        s if s < HOUR && s % MINUTE == 0 && HOUR % s == 0 => Ok(format!("*/{} * * * *", s / MINUTE)),
        HOUR => Ok("0 * * * *".to_owned()),
        s if s < DAY && s % HOUR == 0 && DAY % s == 0 => Ok(format!("0 */{} * * *", s / HOUR)),
        DAY => Ok("0 0 * * *".to_owned()),
        s => Err(ScheduleError::NotExpressible { seconds: s }),
    }
}

/// The shortest period this pg_cron can run a job at: 10 seconds with seconds schedules (short
/// enough to watch, long enough that cycles never overlap), else a minute.
pub fn finest_interval_seconds(seconds_supported: bool) -> i64 {
    if seconds_supported {
        10
    } else {
        60
    }
}

/// Whether a pg_cron version string ("1.4", "1.4-1", "1.6.4") has seconds schedules (>= 1.5).
pub fn supports_seconds(pg_cron_version: &str) -> bool {
    let mut parts = pg_cron_version.split(|c: char| !c.is_ascii_digit()).map(|p| p.parse::<u32>().unwrap_or(0));
    let major = parts.next().unwrap_or(0);
    let minor = parts.next().unwrap_or(0);
    (major, minor) >= (1, 5)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seconds_need_a_new_pg_cron() {
        assert_eq!(cron_schedule(10, true).unwrap(), "10 seconds");
        assert_eq!(cron_schedule(59, true).unwrap(), "59 seconds");
        assert_eq!(cron_schedule(10, false), Err(ScheduleError::SecondsUnsupported { seconds: 10 }));
    }

    #[test]
    fn minutes_hours_and_days_become_cron_expressions() {
        for supported in [false, true] {
            assert_eq!(cron_schedule(60, supported).unwrap(), "* * * * *");
            assert_eq!(cron_schedule(300, supported).unwrap(), "*/5 * * * *");
            assert_eq!(cron_schedule(1800, supported).unwrap(), "*/30 * * * *");
            assert_eq!(cron_schedule(3600, supported).unwrap(), "0 * * * *");
            assert_eq!(cron_schedule(6 * 3600, supported).unwrap(), "0 */6 * * *");
            assert_eq!(cron_schedule(86_400, supported).unwrap(), "0 0 * * *");
        }
    }

    #[test]
    fn uneven_or_non_positive_periods_are_refused() {
        assert_eq!(cron_schedule(0, true), Err(ScheduleError::NotPositive));
        assert_eq!(cron_schedule(-5, true), Err(ScheduleError::NotPositive));
        for seconds in [61, 7 * 60, 90 * 60, 5 * 3600, 2 * 86_400] {
            assert_eq!(cron_schedule(seconds, true), Err(ScheduleError::NotExpressible { seconds }));
        }
    }

    #[test]
    fn the_finest_interval_is_always_schedulable() {
        assert_eq!(cron_schedule(finest_interval_seconds(true), true).unwrap(), "10 seconds");
        assert_eq!(cron_schedule(finest_interval_seconds(false), false).unwrap(), "* * * * *");
    }

    #[test]
    fn versions_from_packages_parse() {
        assert!(!supports_seconds("1.4"));
        assert!(!supports_seconds("1.4-1"));
        assert!(supports_seconds("1.5"));
        assert!(supports_seconds("1.6.4"));
        assert!(supports_seconds("2.0"));
        assert!(!supports_seconds("garbage"));
    }
}
