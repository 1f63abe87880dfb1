//! Static checks: what can be judged from manifests as written, with kube-linter's checks as the
//! bar. On live sources they judge a workload by its pod template, and run only when named.

pub mod reliability;
pub mod security;
