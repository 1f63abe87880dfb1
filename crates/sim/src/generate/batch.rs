//! Batch work and storage: Jobs, CronJobs with the Jobs they left, and volume claims with
//! their volumes.

use serde_json::{Value, json};

use super::{
    Cluster, Failure,
    cluster::{app_config, event},
    meta::{self, Ident, ago},
    pods::{self, Template},
    workloads::labels,
};

/// A Job with one pod: done, or failed past its backoff limit.
pub(super) fn job(c: &mut Cluster, ns: &str, app: &str) {
    let failure = c.failure(&[Failure::JobFailed]);
    let version = format!("2.{}.0", c.rng.below(10));
    let labels = labels(app, ns, &version);
    app_config(c, ns, app, &labels);
    job_with_pod(
        c,
        ns,
        &format!("{app}-migrate"),
        app,
        &version,
        &labels,
        None,
        failure,
    );
}

/// A CronJob and the last Job it started.
pub(super) fn cron_job(c: &mut Cluster, ns: &str, app: &str) {
    let version = format!("3.{}.1", c.rng.below(10));
    let labels = labels(app, ns, &version);
    app_config(c, ns, app, &labels);
    let cron = Ident::new(&mut c.rng, "batch/v1", "CronJob", Some(ns), app);
    let template = Template {
        app,
        version: &version,
        failure: None,
        claim: None,
        restart_policy: "OnFailure",
    };
    let object = json!({"apiVersion": "batch/v1", "kind": "CronJob",
        "metadata": meta::metadata(&mut c.rng, &cron, 90_000, &labels, None, None),
        "spec": {"schedule": "*/30 * * * *", "timeZone": "Etc/UTC", "concurrencyPolicy": "Forbid", "suspend": false,
                 "startingDeadlineSeconds": 300, "successfulJobsHistoryLimit": 3, "failedJobsHistoryLimit": 1,
                 "jobTemplate": {"metadata": {"labels": labels}, "spec": {"backoffLimit": 2, "ttlSecondsAfterFinished": 86_400,
                     "template": {"metadata": {"labels": labels}, "spec": pods::spec(&template, None)}}}},
        "status": {"lastScheduleTime": ago(0), "lastSuccessfulTime": ago(0)}});
    c.push(object, "helm", Some("kube-controller-manager"));
    let name = format!("{app}-{}", 29_402_000 + c.rng.below(1000));
    job_with_pod(c, ns, &name, app, &version, &labels, Some(&cron), None);
}

#[allow(clippy::too_many_arguments)] // The Job's parts; grouping them would only rename them.
fn job_with_pod(
    c: &mut Cluster,
    ns: &str,
    name: &str,
    app: &str,
    version: &str,
    labels: &Value,
    owner: Option<&Ident>,
    failure: Option<Failure>,
) {
    if c.remaining() == 0 {
        return;
    }
    let failed = failure.is_some();
    let template = Template {
        app,
        version,
        failure: None,
        claim: None,
        restart_policy: "Never",
    };
    let job = Ident::new(&mut c.rng, "batch/v1", "Job", Some(ns), name);
    let controller_uid = job.uid.clone();
    let mut pod_labels = labels.clone();
    pod_labels["batch.kubernetes.io/controller-uid"] = controller_uid.clone().into();
    pod_labels["batch.kubernetes.io/job-name"] = name.into();
    pod_labels["job-name"] = name.into();
    let condition = if failed {
        json!([{"type": "FailureTarget", "status": "True", "lastProbeTime": ago(40), "lastTransitionTime": ago(40), "reason": "BackoffLimitExceeded", "message": "Job has reached the specified backoff limit"},
               {"type": "Failed", "status": "True", "lastProbeTime": ago(40), "lastTransitionTime": ago(40), "reason": "BackoffLimitExceeded", "message": "Job has reached the specified backoff limit"}])
    } else {
        json!([{"type": "SuccessCriteriaMet", "status": "True", "lastProbeTime": ago(1), "lastTransitionTime": ago(1), "reason": "CompletionsReached", "message": "Reached expected number of succeeded pods"},
               {"type": "Complete", "status": "True", "lastProbeTime": ago(1), "lastTransitionTime": ago(1), "reason": "CompletionsReached", "message": "Reached expected number of succeeded pods"}])
    };
    let mut status = json!({"conditions": condition, "startTime": ago(45), "terminating": 0, "ready": 0,
        "uncountedTerminatedPods": {}});
    if failed {
        status["failed"] = 3.into();
    } else {
        status["succeeded"] = 1.into();
        status["completionTime"] = ago(1).into();
    }
    let object = json!({"apiVersion": "batch/v1", "kind": "Job",
        "metadata": meta::metadata(&mut c.rng, &job, 45, labels, None, owner),
        "spec": {"parallelism": 1, "completions": 1, "backoffLimit": 2, "completionMode": "NonIndexed", "suspend": false,
                 "ttlSecondsAfterFinished": 86_400, "podReplacementPolicy": "TerminatingOrFailed", "manualSelector": false,
                 "selector": {"matchLabels": {"batch.kubernetes.io/controller-uid": controller_uid}},
                 "template": {"metadata": {"labels": pod_labels}, "spec": pods::spec(&template, None)}},
        "status": status});
    c.push(
        object,
        "kube-controller-manager",
        Some("kube-controller-manager"),
    );
    let pod_name = format!("{name}-{}", c.rng.suffix(5));
    let pod = Ident::new(&mut c.rng, "v1", "Pod", Some(ns), pod_name);
    let (node, host_ip) = c.place();
    let spec = pods::spec(&template, Some(&node));
    let ip = c.pod_ip();
    let age = 45;
    let status = pods::finished_status(&spec, failed, &host_ip, &ip, age, &mut c.rng);
    let object = json!({"apiVersion": "v1", "kind": "Pod",
        "metadata": meta::metadata(&mut c.rng, &pod, age, &pod_labels, None, Some(&job)),
        "spec": spec, "status": status});
    c.push(object, "kube-controller-manager", Some("kubelet"));
    c.pods += 1;
    if let Some(failure) = failure {
        c.record(failure);
        event(
            c,
            &job,
            "Warning",
            "BackoffLimitExceeded",
            "Job has reached the specified backoff limit",
            1,
            40,
            "job-controller",
        );
        if let Some((text, previous)) = pods::log(app, failure) {
            c.log(ns, &pod.name, app, &text, previous);
        }
    } else {
        event(
            c,
            &job,
            "Normal",
            "Completed",
            "Job completed",
            1,
            1,
            "job-controller",
        );
    }
}

/// A volume claim, and the volume bound to it unless `pending` (its class does not exist).
pub(super) fn volume(
    c: &mut Cluster,
    ns: &str,
    name: &str,
    labels: &Value,
    class: &str,
    pending: bool,
) {
    let claim = Ident::new(&mut c.rng, "v1", "PersistentVolumeClaim", Some(ns), name);
    let volume_name = format!("pvc-{}", claim.uid);
    let mut object = json!({"apiVersion": "v1", "kind": "PersistentVolumeClaim",
        "metadata": meta::metadata(&mut c.rng, &claim, 9_000, labels, Some(json!({"volume.kubernetes.io/storage-provisioner": "ebs.csi.aws.com"})), None),
        "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "20Gi"}}, "storageClassName": class, "volumeMode": "Filesystem"},
        "status": {"phase": "Pending"}});
    if pending {
        c.push(
            object,
            "kube-controller-manager",
            Some("kube-controller-manager"),
        );
        let message = format!("storageclass.storage.k8s.io \"{class}\" not found");
        event(
            c,
            &claim,
            "Warning",
            "ProvisioningFailed",
            &message,
            12,
            1,
            "persistentvolume-controller",
        );
        return;
    }
    object["spec"]["volumeName"] = volume_name.clone().into();
    object["status"] = json!({"phase": "Bound", "accessModes": ["ReadWriteOnce"], "capacity": {"storage": "20Gi"}});
    c.push(
        object,
        "kube-controller-manager",
        Some("kube-controller-manager"),
    );
    let volume = Ident::new(&mut c.rng, "v1", "PersistentVolume", None, volume_name);
    let object = json!({"apiVersion": "v1", "kind": "PersistentVolume",
        "metadata": meta::metadata(&mut c.rng, &volume, 9_000, &json!({}), Some(json!({"pv.kubernetes.io/provisioned-by": "ebs.csi.aws.com", "volume.kubernetes.io/provisioner-deletion-secret-name": "", "volume.kubernetes.io/provisioner-deletion-secret-namespace": ""})), None),
        "spec": {"accessModes": ["ReadWriteOnce"], "capacity": {"storage": "20Gi"}, "persistentVolumeReclaimPolicy": "Delete",
                 "storageClassName": class, "volumeMode": "Filesystem",
                 "claimRef": {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "name": name, "namespace": ns, "uid": claim.uid, "resourceVersion": "1000"},
                 "csi": {"driver": "ebs.csi.aws.com", "fsType": "ext4", "volumeHandle": format!("vol-0{}", c.rng.hex(16)),
                         "volumeAttributes": {"storage.kubernetes.io/csiProvisionerIdentity": "1731000000000-8081-ebs.csi.aws.com"}},
                 "nodeAffinity": {"required": {"nodeSelectorTerms": [{"matchExpressions": [{"key": "topology.kubernetes.io/zone", "operator": "In", "values": ["eu-west-1a"]}]}]}}},
        "status": {"phase": "Bound", "lastPhaseTransitionTime": ago(9_000)}});
    c.push(object, "csi-provisioner", Some("kube-controller-manager"));
}
