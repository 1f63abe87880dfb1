//! Prometheus metrics, in the text exposition format: counters and gauges keyed by name and
//! labels, and latency histograms with fixed buckets. Small on purpose: a dozen series.

use std::{
    collections::BTreeMap,
    fmt::Write as _,
    sync::{Mutex, PoisonError},
    time::Duration,
};

/// Buckets of latency histograms, in seconds.
const BUCKETS: [f64; 10] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0, 30.0];

type Key = (&'static str, Vec<(&'static str, String)>);

#[derive(Debug, Default)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    sum: f64,
    count: u64,
}

/// The server's metrics.
#[derive(Debug, Default)]
pub struct Metrics {
    counters: Mutex<BTreeMap<Key, f64>>,
    gauges: Mutex<BTreeMap<Key, f64>>,
    histograms: Mutex<BTreeMap<Key, Histogram>>,
    help: Mutex<BTreeMap<&'static str, (&'static str, &'static str)>>,
}

impl Metrics {
    /// Adds `by` to a counter.
    pub fn add(&self, name: &'static str, labels: &[(&'static str, &str)], by: f64) {
        *lock(&self.counters).entry(key(name, labels)).or_default() += by;
    }

    /// Adds one to a counter.
    pub fn inc(&self, name: &'static str, labels: &[(&'static str, &str)]) {
        self.add(name, labels, 1.0);
    }

    /// Sets a gauge.
    pub fn set(&self, name: &'static str, labels: &[(&'static str, &str)], value: f64) {
        lock(&self.gauges).insert(key(name, labels), value);
    }

    /// Replaces every series of a gauge (issues by severity and check, after each analysis).
    pub fn replace(&self, name: &'static str, series: Vec<(Vec<(&'static str, String)>, f64)>) {
        let mut gauges = lock(&self.gauges);
        gauges.retain(|(n, _), _| *n != name);
        for (labels, value) in series {
            gauges.insert((name, labels), value);
        }
    }

    /// Records a duration.
    pub fn observe(&self, name: &'static str, labels: &[(&'static str, &str)], took: Duration) {
        let seconds = took.as_secs_f64();
        let mut histograms = lock(&self.histograms);
        let h = histograms.entry(key(name, labels)).or_default();
        for (i, bound) in BUCKETS.iter().enumerate() {
            if seconds <= *bound {
                h.counts[i] += 1;
            }
        }
        h.sum += seconds;
        h.count += 1;
    }

    /// A counter's value (tests and the load benchmark read it).
    #[must_use]
    pub fn counter(&self, name: &str, labels: &[(&str, &str)]) -> f64 {
        lock(&self.counters)
            .iter()
            .filter(|((n, l), _)| {
                *n == name
                    && labels
                        .iter()
                        .all(|(k, v)| l.iter().any(|(lk, lv)| lk == k && lv == v))
            })
            .map(|(_, v)| v)
            .sum()
    }

    /// Documents a metric.
    pub fn describe(&self, name: &'static str, kind: &'static str, help: &'static str) {
        lock(&self.help).insert(name, (kind, help));
    }

    /// Everything, in Prometheus' text format.
    #[must_use]
    pub fn render(&self) -> String {
        let help = lock(&self.help).clone();
        let mut out = String::new();
        let header = |out: &mut String, name: &str, default: &str| {
            let (kind, text) = help.get(name).copied().unwrap_or((default, ""));
            let _ = writeln!(out, "# HELP {name} {text}\n# TYPE {name} {kind}");
        };
        for (map, kind) in [(&self.counters, "counter"), (&self.gauges, "gauge")] {
            let map = lock(map);
            let mut last = "";
            for ((name, labels), value) in map.iter() {
                if *name != last {
                    header(&mut out, name, kind);
                    last = name;
                }
                let _ = writeln!(out, "{name}{} {value}", render_labels(labels, None));
            }
        }
        let histograms = lock(&self.histograms);
        let mut last = "";
        for ((name, labels), h) in histograms.iter() {
            if *name != last {
                header(&mut out, name, "histogram");
                last = name;
            }
            for (i, bound) in BUCKETS.iter().enumerate() {
                let _ = writeln!(
                    out,
                    "{name}_bucket{} {}",
                    render_labels(labels, Some(&bound.to_string())),
                    h.counts[i]
                );
            }
            let _ = writeln!(
                out,
                "{name}_bucket{} {}",
                render_labels(labels, Some("+Inf")),
                h.count
            );
            let _ = writeln!(out, "{name}_sum{} {}", render_labels(labels, None), h.sum);
            let _ = writeln!(
                out,
                "{name}_count{} {}",
                render_labels(labels, None),
                h.count
            );
        }
        out
    }
}

fn key(name: &'static str, labels: &[(&'static str, &str)]) -> Key {
    (
        name,
        labels.iter().map(|(k, v)| (*k, (*v).to_owned())).collect(),
    )
}

fn render_labels(labels: &[(&'static str, String)], le: Option<&str>) -> String {
    let mut parts: Vec<String> = labels
        .iter()
        .map(|(k, v)| {
            format!(
                "{k}=\"{}\"",
                v.replace('\\', "\\\\")
                    .replace('"', "\\\"")
                    .replace('\n', "\\n")
            )
        })
        .collect();
    if let Some(le) = le {
        parts.push(format!("le=\"{le}\""));
    }
    if parts.is_empty() {
        String::new()
    } else {
        format!("{{{}}}", parts.join(","))
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counters_gauges_and_histograms_in_the_text_format() {
        let m = Metrics::default();
        m.describe(
            "kubewhy_slack_posts_total",
            "counter",
            "Messages posted to Slack.",
        );
        m.inc("kubewhy_slack_posts_total", &[("via", "response_url")]);
        m.inc("kubewhy_slack_posts_total", &[("via", "response_url")]);
        m.set("kubewhy_apiserver_up", &[], 1.0);
        m.observe("kubewhy_analysis_seconds", &[], Duration::from_millis(30));
        let text = m.render();
        assert!(
            text.contains("# TYPE kubewhy_slack_posts_total counter"),
            "{text}"
        );
        assert!(
            text.contains("kubewhy_slack_posts_total{via=\"response_url\"} 2"),
            "{text}"
        );
        assert!(text.contains("kubewhy_apiserver_up 1"), "{text}");
        assert!(
            text.contains("kubewhy_analysis_seconds_bucket{le=\"0.05\"} 1"),
            "{text}"
        );
        assert!(text.contains("kubewhy_analysis_seconds_count 1"), "{text}");
    }
}
