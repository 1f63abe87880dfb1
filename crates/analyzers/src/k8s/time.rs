//! The snapshot's clock, as messages use it. A live cluster's clock is the API server's; files
//! and dumps do not say when they were taken, so their clock is inferred from their newest
//! timestamp and is only a lower bound of the capture time. Against an inferred clock a message
//! prints the absolute time and gives the duration as a lower bound ("since 2026-11-17 08:02 UTC,
//! at least 3d 4h before this capture"), and "in the last hour" windows are not applied: the
//! clock cannot tell what was recent.

use jiff::Timestamp;
use kubewhy_model::ObjectRef;
use kubewhy_source::{Age, Snapshot, meta::Time};

/// How long before the snapshot's clock a moment was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Since {
    at: Timestamp,
    seconds: i64,
    exact: bool,
}

impl Since {
    /// The distance in seconds: exact, or a lower bound against an inferred clock.
    pub fn seconds(self) -> i64 {
        self.seconds
    }

    /// `for 37m`, or `since 2026-11-17 08:02 UTC (at least 3d 4h before this capture)`.
    pub fn lasting(self) -> String {
        if self.exact {
            format!("for {}", human_duration(self.seconds))
        } else {
            format!("since {}", self.absolute())
        }
    }

    /// `37m ago`, or `at 2026-11-17 08:02 UTC (at least 37m before this capture)`.
    pub fn ago(self) -> String {
        if self.exact {
            format!("{} ago", human_duration(self.seconds))
        } else {
            format!("at {}", self.absolute())
        }
    }

    /// Whether the distance is exact (a real clock), not a lower bound.
    pub fn is_exact(self) -> bool {
        self.exact
    }

    /// `37m`, or `at least 37m`.
    pub fn duration(self) -> String {
        if self.exact {
            human_duration(self.seconds)
        } else {
            format!("at least {}", human_duration(self.seconds))
        }
    }

    fn absolute(self) -> String {
        format!(
            "{} UTC (at least {} before this capture)",
            self.at.strftime("%Y-%m-%d %H:%M"),
            human_duration(self.seconds)
        )
    }
}

/// The snapshot's clock, and whether it was inferred from the input's newest timestamp.
fn clock(snapshot: &Snapshot) -> Option<(Timestamp, bool)> {
    Some((snapshot.observed_at()?, snapshot.observed_inferred()))
}

fn from_age(at: Timestamp, age: Age) -> Since {
    Since {
        at,
        seconds: age.duration().as_secs(),
        exact: age.is_exact(),
    }
}

/// How long before the snapshot's clock `time` was; `None` without a clock or a time.
pub(crate) fn since(snapshot: &Snapshot, time: Option<&Time>) -> Option<Since> {
    let at = time?.0;
    snapshot.age_of(at).map(|age| from_age(at, age))
}

/// [`since`] for a timestamp of `object`. `None` also when an inferred clock was read from
/// `object` itself: the distance between two of its own timestamps says nothing about how long
/// ago anything happened.
pub(crate) fn since_in(
    snapshot: &Snapshot,
    object: &ObjectRef,
    time: Option<&Time>,
) -> Option<Since> {
    let at = time?.0;
    snapshot.age_of_in(object, at).map(|age| from_age(at, age))
}

/// Seconds from `time` to the snapshot's clock. Against an inferred clock this is a lower
/// bound, which is what grace periods need: a lower bound past the grace is past it.
pub(crate) fn age_seconds(snapshot: &Snapshot, time: Option<&Time>) -> Option<i64> {
    since(snapshot, time).map(Since::seconds)
}

/// Whether `time` is within `window` seconds of the snapshot's clock; `None` when the clock
/// cannot tell. An inferred clock is a lower bound of the capture time, so it can prove that a
/// moment is older than the window (`Some(false)`), never that it is within it (`None`).
pub(crate) fn recent(snapshot: &Snapshot, time: Timestamp, window: i64) -> Option<bool> {
    let (now, inferred) = clock(snapshot)?;
    let within = (now - time).get_seconds() <= window;
    (!inferred || !within).then_some(within)
}

/// `3d 4h`, `2h 5m`, `45m`, `30s`: how long something has lasted, for messages.
pub(crate) fn human_duration(seconds: i64) -> String {
    let (d, h, m) = (
        seconds / 86_400,
        seconds % 86_400 / 3600,
        seconds % 3600 / 60,
    );
    match (d, h, m) {
        (0, 0, 0) => format!("{seconds}s"),
        (0, 0, m) => format!("{m}m"),
        (0, h, m) => format!("{h}h {m}m"),
        (d, 0, _) => format!("{d}d"),
        (d, h, _) => format!("{d}d {h}h"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_like_kubectl() {
        assert_eq!(human_duration(42), "42s");
        assert_eq!(human_duration(600), "10m");
        assert_eq!(human_duration(3 * 3600 + 120), "3h 2m");
        assert_eq!(human_duration(2 * 86_400 + 3600), "2d 1h");
    }

    #[test]
    fn an_inferred_clock_prints_absolute_times_and_lower_bounds() {
        let at: Timestamp = "2026-11-17T08:02:00Z".parse().unwrap();
        let since = Since {
            at,
            seconds: 3 * 86_400 + 600,
            exact: false,
        };
        assert_eq!(
            since.lasting(),
            "since 2026-11-17 08:02 UTC (at least 3d before this capture)"
        );
        assert_eq!(since.duration(), "at least 3d");
        let exact = Since {
            exact: true,
            ..since
        };
        assert_eq!(exact.lasting(), "for 3d");
        assert_eq!(exact.ago(), "3d ago");
    }
}
