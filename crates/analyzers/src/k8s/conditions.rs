//! Conditions of any kind of object, read through one borrowed view.

use kubewhy_model::{ConditionEvidence, ObjectRef};
use kubewhy_source::meta::Time;

/// Views any Kubernetes condition list (`Option<Vec<XCondition>>` with `type_`, `status`,
/// optional `reason`, `message` and `last_transition_time`) as [`Cond`]s.
macro_rules! conds {
    ($list:expr) => {
        $list.into_iter().flatten().map(|c| $crate::k8s::Cond {
            type_: $crate::k8s::Text::text(&c.type_),
            status: $crate::k8s::Text::text(&c.status),
            reason: c.reason.as_deref(),
            message: c.message.as_deref(),
            since: c.last_transition_time.as_ref(),
        })
    };
}
pub(crate) use conds;

/// A condition's `type` and `status`: required strings in most kinds, optional in some.
pub(crate) trait Text {
    fn text(&self) -> &str;
}

impl Text for String {
    fn text(&self) -> &str {
        self
    }
}

impl Text for Option<String> {
    fn text(&self) -> &str {
        self.as_deref().unwrap_or_default()
    }
}

/// One condition of any kind of object, borrowed.
pub(crate) struct Cond<'a> {
    pub type_: &'a str,
    pub status: &'a str,
    pub reason: Option<&'a str>,
    pub message: Option<&'a str>,
    pub since: Option<&'a Time>,
}

impl Cond<'_> {
    /// The condition as evidence on `object`.
    pub fn evidence(&self, object: &ObjectRef) -> ConditionEvidence {
        ConditionEvidence {
            object: format!("{}/{}", object.kind, object.name),
            type_: self.type_.to_owned(),
            status: self.status.to_owned(),
            reason: self.reason.map(str::to_owned),
            message: self.message.map(|m| m.trim().to_owned()),
        }
    }

    /// `Reason: message`, or whichever of the two is set.
    pub fn explain(&self) -> String {
        explain(self.reason, self.message)
    }
}

/// `Reason: message`, or whichever of the two is set.
pub(crate) fn explain(reason: Option<&str>, message: Option<&str>) -> String {
    let message = message.map(str::trim).filter(|m| !m.is_empty());
    match (reason, message) {
        (Some(r), Some(m)) => format!("{r}: {m}"),
        (Some(r), None) => r.to_owned(),
        (None, Some(m)) => m.to_owned(),
        (None, None) => "no reason given".to_owned(),
    }
}
