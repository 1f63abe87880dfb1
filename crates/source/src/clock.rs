//! The snapshot's clock. A live cluster's comes from the API server; files and dumps do not say
//! when they were taken, so their clock is inferred: the newest timestamp of any kind in the
//! input. An inferred clock is a lower bound of the real capture time, so ages measured against
//! it are lower bounds too, and an age measured between two timestamps of the object that set
//! the clock says nothing about how long ago anything happened.

use jiff::{SignedDuration, Timestamp};
use k8s_openapi::{
    api::core::v1::{ContainerState, ContainerStatus},
    apimachinery::pkg::apis::meta::v1::Time,
};
use kubewhy_model::ObjectRef;

use crate::{
    Snapshot,
    snapshot::event_last_seen,
    store::{Object, object_ref},
};

/// How long ago something happened, as far as the snapshot's clock can tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Age {
    /// Measured against a real clock (the API server's, or the demo's fixed one): print it as
    /// "36s ago".
    Exact(SignedDuration),
    /// Measured against a clock inferred from the input's newest timestamp: the capture was
    /// taken at least this long after the moment, maybe much later. Print the absolute time with
    /// this as a lower bound ("at 2026-11-17 08:02 UTC, at least 3d before this capture"), and do
    /// not apply "in the last hour" windows.
    AtLeast(SignedDuration),
}

impl Age {
    /// The duration, exact or a lower bound.
    #[must_use]
    pub fn duration(self) -> SignedDuration {
        match self {
            Self::Exact(d) | Self::AtLeast(d) => d,
        }
    }

    /// Whether the duration is exact.
    #[must_use]
    pub fn is_exact(self) -> bool {
        matches!(self, Self::Exact(_))
    }
}

/// The newest timestamp seen so far, and the object it belongs to.
#[derive(Debug, Default)]
pub(crate) struct Newest {
    best: Option<(Timestamp, ObjectRef)>,
}

impl Newest {
    /// Offers the timestamps of one object; the reference is built only when one of them wins.
    pub(crate) fn offer<K: Object>(
        &mut self,
        item: &K,
        times: impl IntoIterator<Item = Timestamp>,
    ) {
        if let Some(newest) = times.into_iter().max()
            && self.best.as_ref().is_none_or(|(best, _)| newest > *best)
        {
            self.best = Some((newest, object_ref(item)));
        }
    }

    fn offer_ref(&mut self, object: impl FnOnce() -> ObjectRef, time: Option<Timestamp>) {
        if let Some(time) = time
            && self.best.as_ref().is_none_or(|(best, _)| time > *best)
        {
            self.best = Some((time, object()));
        }
    }

    pub(crate) fn into_inner(self) -> Option<(Timestamp, ObjectRef)> {
        self.best
    }
}

fn t(time: Option<&Time>) -> Option<Timestamp> {
    time.map(|t| t.0)
}

fn state_times(state: &ContainerState) -> impl Iterator<Item = Timestamp> + '_ {
    let running = state
        .running
        .as_ref()
        .and_then(|r| t(r.started_at.as_ref()));
    let terminated = state.terminated.as_ref();
    let started = terminated.and_then(|s| t(s.started_at.as_ref()));
    let finished = terminated.and_then(|s| t(s.finished_at.as_ref()));
    [running, started, finished].into_iter().flatten()
}

fn container_times(
    statuses: Option<&Vec<ContainerStatus>>,
) -> impl Iterator<Item = Timestamp> + '_ {
    statuses
        .into_iter()
        .flatten()
        .flat_map(|c| [c.state.as_ref(), c.last_state.as_ref()])
        .flatten()
        .flat_map(state_times)
}

/// The newest timestamp of any kind in the snapshot, with the object it is from.
pub(crate) fn newest(snapshot: &Snapshot) -> Option<(Timestamp, ObjectRef)> {
    let mut newest = Newest::default();
    snapshot.offer_creation_times(&mut newest);
    for event in &snapshot.events {
        let series = event.series.as_ref();
        let times = [
            event_last_seen(event),
            t(event.first_timestamp.as_ref()),
            event.event_time.as_ref().map(|m| m.0),
            series
                .and_then(|s| s.last_observed_time.as_ref())
                .map(|m| m.0),
        ];
        newest.offer(event, times.into_iter().flatten());
    }
    workload_times(snapshot, &mut newest);
    for pod in &snapshot.pods {
        let Some(status) = &pod.status else { continue };
        let conditions = status.conditions.iter().flatten().flat_map(|c| {
            [
                t(c.last_transition_time.as_ref()),
                t(c.last_probe_time.as_ref()),
            ]
        });
        let times = conditions
            .flatten()
            .chain(t(status.start_time.as_ref()))
            .chain(container_times(status.container_statuses.as_ref()))
            .chain(container_times(status.init_container_statuses.as_ref()))
            .chain(container_times(
                status.ephemeral_container_statuses.as_ref(),
            ));
        newest.offer(pod, times);
    }
    // Nodes report a heartbeat every few seconds: the best clock a dump has.
    for node in &snapshot.nodes {
        let conditions = node
            .status
            .iter()
            .flat_map(|s| s.conditions.iter().flatten());
        let times = conditions.flat_map(|c| {
            [
                t(c.last_heartbeat_time.as_ref()),
                t(c.last_transition_time.as_ref()),
            ]
        });
        newest.offer(node, times.flatten());
    }
    for object in &snapshot.dynamic {
        let conditions = object
            .data
            .pointer("/status/conditions")
            .and_then(|c| c.as_array());
        let times = conditions.into_iter().flatten().filter_map(|c| {
            c.get("lastTransitionTime")?
                .as_str()?
                .parse::<Timestamp>()
                .ok()
        });
        newest.offer_ref(|| crate::dynamic_ref(object), times.max());
    }
    newest.into_inner()
}

/// Conditions and status times of controllers, claims, autoscalers and budgets.
fn workload_times(snapshot: &Snapshot, newest: &mut Newest) {
    for d in &snapshot.deployments {
        let conditions = d.status.iter().flat_map(|s| s.conditions.iter().flatten());
        let times = conditions.flat_map(|c| {
            [
                t(c.last_transition_time.as_ref()),
                t(c.last_update_time.as_ref()),
            ]
        });
        newest.offer(d, times.flatten());
    }
    macro_rules! transitions {
        ($($store:ident),*) => {$(
            for item in &snapshot.$store {
                let conditions = item.status.iter().flat_map(|s| s.conditions.iter().flatten());
                newest.offer(item, conditions.filter_map(|c| t(c.last_transition_time.as_ref())));
            }
        )*};
    }
    transitions!(
        replica_sets,
        stateful_sets,
        daemon_sets,
        namespaces,
        replication_controllers
    );
    for job in &snapshot.jobs {
        let Some(status) = &job.status else { continue };
        let conditions = status.conditions.iter().flatten().flat_map(|c| {
            [
                t(c.last_transition_time.as_ref()),
                t(c.last_probe_time.as_ref()),
            ]
        });
        let times = conditions
            .flatten()
            .chain(t(status.start_time.as_ref()))
            .chain(t(status.completion_time.as_ref()));
        newest.offer(job, times);
    }
    for cron in &snapshot.cron_jobs {
        let status = cron.status.as_ref();
        let times = [
            status.and_then(|s| t(s.last_schedule_time.as_ref())),
            status.and_then(|s| t(s.last_successful_time.as_ref())),
        ];
        newest.offer(cron, times.into_iter().flatten());
    }
    for claim in &snapshot.persistent_volume_claims {
        let conditions = claim
            .status
            .iter()
            .flat_map(|s| s.conditions.iter().flatten());
        let times = conditions.flat_map(|c| {
            [
                t(c.last_transition_time.as_ref()),
                t(c.last_probe_time.as_ref()),
            ]
        });
        newest.offer(claim, times.flatten());
    }
    for hpa in &snapshot.horizontal_pod_autoscalers {
        let Some(status) = &hpa.status else { continue };
        let conditions = status.conditions.iter().flatten();
        let times = conditions
            .filter_map(|c| t(c.last_transition_time.as_ref()))
            .chain(t(status.last_scale_time.as_ref()));
        newest.offer(hpa, times);
    }
    for pdb in &snapshot.pod_disruption_budgets {
        let conditions = pdb
            .status
            .iter()
            .flat_map(|s| s.conditions.iter().flatten());
        newest.offer(pdb, conditions.map(|c| c.last_transition_time.0));
    }
}

impl Snapshot {
    /// Whether [`Snapshot::observed_at`] was inferred from the input's newest timestamp rather
    /// than read from a clock (the API server's, or the demo's fixed one).
    #[must_use]
    pub fn observed_inferred(&self) -> bool {
        self.observed_inferred
    }

    /// The object whose timestamp became the inferred clock; `None` when the clock is real.
    #[must_use]
    pub fn clock_source(&self) -> Option<&ObjectRef> {
        self.clock_source.as_ref()
    }

    /// How long before the snapshot's clock `time` was: exact against a real clock, a lower
    /// bound against an inferred one. `None` when the snapshot has no clock.
    #[must_use]
    pub fn age_of(&self, time: Timestamp) -> Option<Age> {
        let age = self.observed_at?.duration_since(time);
        Some(if self.observed_inferred {
            Age::AtLeast(age)
        } else {
            Age::Exact(age)
        })
    }

    /// [`Self::age_of`] for a timestamp of `object`. `None` also when the inferred clock was
    /// taken from `object` itself: the distance between two of its own timestamps ("restarted
    /// 36s ago" when the newest timestamp is its own start) says nothing about the capture.
    #[must_use]
    pub fn age_of_in(&self, object: &ObjectRef, time: Timestamp) -> Option<Age> {
        let same = self.clock_source.as_ref().is_some_and(|source| {
            source.kind == object.kind
                && source.namespace == object.namespace
                && source.name == object.name
        });
        if same {
            return None;
        }
        self.age_of(time)
    }
}

#[cfg(test)]
mod tests {
    use crate::files::{Input, parse};

    fn load(text: &str) -> crate::Snapshot {
        parse([Input {
            name: "dump.yaml".into(),
            text: text.into(),
        }])
        .snapshot
    }

    #[test]
    fn the_inferred_clock_is_the_newest_timestamp_of_any_kind() {
        let snapshot = load(
            "apiVersion: v1\nkind: Pod\nmetadata: {name: web, namespace: shop, creationTimestamp: '2026-11-17T08:00:00Z'}\n\
             spec: {containers: [{name: app, image: app}]}\n\
             status:\n  phase: Pending\n  initContainerStatuses:\n  - name: init\n    image: init\n    imageID: ''\n    ready: false\n    restartCount: 3\n\
             \x20   state: {terminated: {exitCode: 1, finishedAt: '2026-11-17T08:05:00Z'}}\n\
             ---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api, namespace: shop}\n\
             spec: {selector: {matchLabels: {app: api}}, template: {metadata: {labels: {app: api}}, spec: {containers: [{name: a, image: a}]}}}\n\
             status:\n  conditions:\n  - {type: Progressing, status: 'True', lastUpdateTime: '2026-11-17T09:10:00Z'}\n",
        );
        assert!(snapshot.observed_inferred());
        assert_eq!(
            snapshot.observed_at().map(|t| t.to_string()).as_deref(),
            Some("2026-11-17T09:10:00Z")
        );
        let source = snapshot.clock_source().unwrap();
        assert_eq!(
            (source.kind.as_str(), source.name.as_str()),
            ("Deployment", "api")
        );
        let init_end: jiff::Timestamp = "2026-11-17T08:05:00Z".parse().unwrap();
        let age = snapshot.age_of(init_end).unwrap();
        assert!(!age.is_exact());
        assert_eq!(age.duration().as_secs(), 65 * 60);
        assert_eq!(snapshot.age_of_in(source, init_end), None);
        let pod = kubewhy_model::ObjectRef::new("v1", "Pod", Some("shop"), "web");
        assert!(snapshot.age_of_in(&pod, init_end).is_some());
    }
}
