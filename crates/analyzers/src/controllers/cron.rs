//! A strict validator for CronJob schedules, accepting exactly what the Kubernetes CronJob
//! controller accepts (the standard five fields of robfig/cron v3), with its error wording.
//! Validation only: kubewhy never computes run times.

/// One field of a schedule: its name, bounds and the names it accepts for values.
struct Field {
    name: &'static str,
    min: u32,
    max: u32,
    names: &'static [&'static str],
}

const MONTHS: &[&str] = &[
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];
const WEEKDAYS: &[&str] = &["sun", "mon", "tue", "wed", "thu", "fri", "sat"];

const FIELDS: [Field; 5] = [
    Field {
        name: "minute",
        min: 0,
        max: 59,
        names: &[],
    },
    Field {
        name: "hour",
        min: 0,
        max: 23,
        names: &[],
    },
    Field {
        name: "day of month",
        min: 1,
        max: 31,
        names: &[],
    },
    Field {
        name: "month",
        min: 1,
        max: 12,
        names: MONTHS,
    },
    // The controller's parser stops at 6: `7` for Sunday is rejected, unlike in crontab(5).
    Field {
        name: "day of week",
        min: 0,
        max: 6,
        names: WEEKDAYS,
    },
];

const MACROS: &[&str] = &[
    "@yearly",
    "@annually",
    "@monthly",
    "@weekly",
    "@daily",
    "@midnight",
    "@hourly",
];

/// Whether the schedule starts with a `CRON_TZ=` or `TZ=` time zone. The cron library accepts
/// it, but since `spec.timeZone` went GA (Kubernetes 1.27) the API server rejects such a
/// schedule in new CronJobs, and updates to old ones that keep it.
pub(super) fn has_time_zone_prefix(schedule: &str) -> bool {
    let spec = schedule.trim();
    spec.starts_with("CRON_TZ=") || spec.starts_with("TZ=")
}

/// Checks a schedule; the error says what is wrong, in the API server's or the controller's
/// words.
pub(super) fn validate(schedule: &str) -> Result<(), String> {
    let spec = schedule.trim();
    if has_time_zone_prefix(spec) {
        return Err("cannot use TZ or CRON_TZ in schedule, use timeZone field instead".to_owned());
    }
    if spec.starts_with('@') {
        return descriptor(spec);
    }
    let parts: Vec<&str> = spec.split_whitespace().collect();
    if parts.len() != FIELDS.len() {
        return Err(format!(
            "expected exactly 5 fields, found {}: {spec}",
            parts.len()
        ));
    }
    for (part, field) in parts.iter().zip(&FIELDS) {
        for range in part.split(',') {
            check_range(range, field).map_err(|e| format!("{e} (in the {} field)", field.name))?;
        }
    }
    Ok(())
}

fn descriptor(spec: &str) -> Result<(), String> {
    if MACROS.contains(&spec) {
        return Ok(());
    }
    if let Some(duration) = spec.strip_prefix("@every ") {
        return if go_duration(duration.trim()) {
            Ok(())
        } else {
            Err(format!("failed to parse duration {spec}"))
        };
    }
    Err(format!("unrecognized descriptor: {spec}"))
}

/// A positive Go duration such as `90s`, `1h30m` or `1.5h`.
fn go_duration(text: &str) -> bool {
    let mut rest = text;
    let mut any = false;
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !c.is_ascii_digit() && c != '.')
            .unwrap_or(rest.len());
        if digits == 0 || rest[..digits].parse::<f64>().is_err() {
            return false;
        }
        rest = &rest[digits..];
        let Some(unit) = ["ns", "us", "µs", "ms", "s", "m", "h"]
            .into_iter()
            .filter(|u| rest.starts_with(u))
            .max_by_key(|u| u.len())
        else {
            return false;
        };
        rest = &rest[unit.len()..];
        any = true;
    }
    any
}

/// One element of a list: `*`, `?`, `N`, `N-M`, each optionally `/STEP`.
fn check_range(expr: &str, field: &Field) -> Result<(), String> {
    let (range, step) = match expr.split_once('/') {
        Some((_, step)) if step.contains('/') => return Err(format!("too many slashes: {expr}")),
        Some((range, step)) => (range, Some(step)),
        None => (expr, None),
    };
    let (start, end) = if range == "*" || range == "?" {
        (field.min, field.max)
    } else {
        let mut bounds = range.split('-');
        let start = value(bounds.next().unwrap_or_default(), field)?;
        let end = match (bounds.next(), bounds.next()) {
            (None, _) if step.is_some() => field.max,
            (None, _) => start,
            (Some(end), None) => value(end, field)?,
            (Some(_), Some(_)) => return Err(format!("too many hyphens: {expr}")),
        };
        (start, end)
    };
    if let Some(step) = step {
        let step: u32 = step
            .parse()
            .map_err(|_| format!("failed to parse int from {step}"))?;
        if step == 0 {
            return Err(format!("step of range should be a positive number: {expr}"));
        }
    }
    if start < field.min {
        return Err(format!(
            "beginning of range ({start}) below minimum ({}): {expr}",
            field.min
        ));
    }
    if end > field.max {
        return Err(format!(
            "end of range ({end}) above maximum ({}): {expr}",
            field.max
        ));
    }
    if start > end {
        return Err(format!(
            "beginning of range ({start}) beyond end of range ({end}): {expr}"
        ));
    }
    Ok(())
}

/// A number or, where the field has names, a case-insensitive name.
fn value(text: &str, field: &Field) -> Result<u32, String> {
    let lower = text.to_ascii_lowercase();
    if let Some(i) = field.names.iter().position(|n| *n == lower) {
        // Month names count from 1, weekday names from 0 (Sunday).
        let i = u32::try_from(i).unwrap_or_default();
        return Ok(if field.min == 1 { i + 1 } else { i });
    }
    text.parse()
        .map_err(|_| format!("failed to parse int from {text}"))
}

#[cfg(test)]
mod tests {
    use super::validate;

    #[test]
    fn accepts_what_the_controller_accepts() {
        for ok in [
            "*/15 * * * *",
            "0 2 * * *",
            "0 0 1 1 *",
            "5,35 8-18/2 * JAN-jun mon-FRI",
            "0 0 ? * SUN",
            "30 4 1-31 1-12 0-6",
            "0 12 * * 1/2",
            "@hourly",
            "@daily",
            "@midnight",
            "@weekly",
            "@monthly",
            "@yearly",
            "@annually",
            "@every 1h30m",
            "  0 1 * * *  ",
        ] {
            assert_eq!(validate(ok), Ok(()), "{ok}");
        }
    }

    #[test]
    fn rejects_out_of_range_values_with_the_controllers_words() {
        assert_eq!(
            validate("0 25 * * *").unwrap_err(),
            "end of range (25) above maximum (23): 25 (in the hour field)"
        );
        assert!(
            validate("60 * * * *")
                .unwrap_err()
                .contains("above maximum (59)")
        );
        assert!(
            validate("0 0 0 * *")
                .unwrap_err()
                .contains("below minimum (1)")
        );
        assert!(
            validate("0 0 * 13 *")
                .unwrap_err()
                .contains("above maximum (12)")
        );
        assert!(
            validate("0 0 * * 7")
                .unwrap_err()
                .contains("above maximum (6)")
        );
        assert!(
            validate("0 0 * * 5-2")
                .unwrap_err()
                .contains("beyond end of range")
        );
    }

    #[test]
    fn rejects_malformed_schedules() {
        for bad in [
            "",
            "* * * *",
            "* * * * * *",
            "*/0 * * * *",
            "1-2-3 * * * *",
            "*/5/2 * * * *",
            "a * * * *",
            "0 0 * FOO *",
            "0 0 * * MON-FOO",
            "0 0 * * JAN",
            "-1 * * * *",
            "0 0 1,,2 * *",
            "@often",
            "@every",
            "@every 5x",
            "CRON_TZ=UTC",
            "CRON_TZ=Europe/Paris 0 3 * * *",
            "TZ=UTC @daily",
        ] {
            assert!(validate(bad).is_err(), "{bad:?}");
        }
    }
}
