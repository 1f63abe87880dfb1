//! Shared Kubernetes helpers: what several check families need to read Kubernetes objects the
//! way Kubernetes does (conditions, pod and node readiness, the snapshot's clock, scheduling and
//! tolerations, extended resources and quantities, exit codes, credentials written in plain
//! text, the Services that route to pods, and how messages name objects). This is a leaf:
//! it imports nothing of the crate, and check families import it and never each other.

mod conditions;
mod exit;
mod lookup;
mod meta;
mod names;
mod nodes;
mod pods;
mod resources;
mod scheduling;
mod secrets;
mod services;
mod time;

pub(crate) use conditions::{Cond, Text, conds, explain};
pub(crate) use exit::exit_meaning;
pub(crate) use lookup::{get_in, in_namespace};
pub(crate) use meta::{dynamic_condition, dynamic_of_kind, is_default_class};
pub(crate) use names::{
    and_list, container_label, container_of, describe, namespace_of, show_labels,
};
pub(crate) use nodes::{blocking_taints, node_name, node_ready};
pub(crate) use pods::{
    container_spec, container_statuses, is_static, not_ready_since, pod_ready, service_account_of,
    unscheduled,
};
pub(crate) use resources::{
    count, extended_requests, is_accelerator, is_extended, pod_accelerators, quantity_value,
};
pub(crate) use scheduling::{selector_mismatch, tolerates, unsatisfied};
pub(crate) use secrets::{credential_in, secret_entry, secret_literal};
pub(crate) use services::{headless, routing_services, service_selects};
pub(crate) use time::{Since, age_seconds, recent, since, since_in};
