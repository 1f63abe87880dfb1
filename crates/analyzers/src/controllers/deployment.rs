//! Deployments that stay below their minimum availability or are past their progress deadline,
//! and ReplicaSets that cannot create pods.

use kubewhy_model::{Finding, ObjectRef};
use kubewhy_source::{k8s::apps::v1::Deployment, object_ref};

use super::GRACE_SECONDS;
use crate::{
    Context,
    findings::{Build, finding},
    ids,
    k8s::{Cond, conds, pod_ready, since},
};

/// At most this many unready pods are named as related objects.
const MAX_RELATED: usize = 10;

pub(super) fn check(cx: &Context<'_>) -> Vec<Finding> {
    let mut findings = Vec::new();
    for deployment in &cx.deployments {
        findings.extend(check_deployment(cx, deployment));
    }
    for replica_set in &cx.replica_sets {
        let object = object_ref(replica_set);
        let status = replica_set.status.as_ref();
        let failure = conds!(status.and_then(|s| s.conditions.as_ref()))
            .find(|c| c.type_ == "ReplicaFailure" && c.status == "True");
        if let Some(cond) = failure {
            let message = format!(
                "ReplicaSet {} cannot create pods ({})",
                object.name,
                cond.explain()
            );
            let reason = cond.reason.unwrap_or("FailedCreate");
            let found = finding(ids::REPLICASET_CREATE_FAILED, &object, reason, message)
                .events(cx)
                .condition(cond.evidence(&object));
            findings.push(found);
        }
    }
    findings
}

fn check_deployment(cx: &Context<'_>, deployment: &Deployment) -> Option<Finding> {
    let object = object_ref(deployment);
    let status = deployment.status.as_ref()?;
    let conditions: Vec<Cond<'_>> = conds!(status.conditions.as_ref()).collect();
    if let Some(cond) = conditions.iter().find(|c| {
        c.type_ == "Progressing"
            && c.status == "False"
            && c.reason == Some("ProgressDeadlineExceeded")
    }) {
        let message = format!(
            "Deployment {} is past its progress deadline: {}",
            object.name,
            cond.message.map_or("no message given", str::trim)
        );
        let found = finding(
            ids::DEPLOYMENT_PROGRESS_DEADLINE_EXCEEDED,
            &object,
            "ProgressDeadlineExceeded",
            message,
        )
        .events(cx)
        .condition(cond.evidence(&object))
        .related_all(unready_pods(cx, deployment));
        return Some(found);
    }
    // The API server defaults a missing `replicas` to 1.
    let desired = deployment.spec.replicas.unwrap_or(1);
    let unavailable = status.unavailable_replicas.unwrap_or(0);
    let cond = conditions
        .iter()
        .find(|c| c.type_ == "Available" && c.status == "False")?;
    let age = since(cx, cond.since)?;
    if desired == 0 || unavailable == 0 || age.seconds() < GRACE_SECONDS {
        return None;
    }
    let message = format!(
        "Deployment {} has had {unavailable} of {desired} replicas unavailable {}, below its minimum availability ({})",
        object.name,
        age.lasting(),
        cond.explain()
    );
    let reason = cond.reason.unwrap_or("MinimumReplicasUnavailable");
    let found = finding(ids::DEPLOYMENT_UNAVAILABLE, &object, reason, message)
        .events(cx)
        .condition(cond.evidence(&object))
        .related_all(unready_pods(cx, deployment));
    Some(found)
}

/// The pods of the Deployment's ReplicaSets that are not ready: where the cause shows.
fn unready_pods(cx: &Context<'_>, deployment: &Deployment) -> Vec<ObjectRef> {
    let Some(uid) = deployment.metadata.uid.as_deref() else {
        return Vec::new();
    };
    let mut pods: Vec<ObjectRef> = cx
        .replica_sets
        .owned_by(uid)
        .filter_map(|rs| rs.metadata.uid.as_deref())
        .flat_map(|rs_uid| cx.pods.owned_by(rs_uid))
        .filter(|pod| !pod_ready(pod))
        .map(object_ref)
        .collect();
    pods.sort_by(|a, b| a.name.cmp(&b.name));
    pods.truncate(MAX_RELATED);
    pods
}
