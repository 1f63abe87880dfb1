//! SARIF 2.1.0, for code scanning (GitHub, Azure DevOps) and IDEs: one rule per check in the
//! report, documented from the catalog, and one result per issue, located logically at its root
//! object and, for file inputs, physically at the file and line it was read from. A member of an
//! archive is a nested artifact (SARIF §3.24.3): relative URI references with a `#fragment` are
//! valid RFC 3986 but rejected by the SARIF SDK's validator.

mod schema;
mod uri;

use std::{
    collections::BTreeMap,
    io,
    path::{Path, PathBuf},
};

use kubewhy_model::{Issue, ObjectRef, Origin, Report, SCHEMA, Severity, Warning};

use crate::{Renderer, shared::qualified};
use schema::{
    Artifact, ArtifactLocation, Configuration, DescriptorReference, Driver, Invocation, Location,
    Log, LogicalLocation, Message, MultiformatMessage, Notification, PhysicalLocation, Region,
    Rule, RuleProperties, Run, RunProperties, SarifResult, Tool,
};

/// The key of the issue fingerprint in `partialFingerprints`; the version changes with the
/// fingerprint's recipe.
pub(crate) const FINGERPRINT_KEY: &str = "kubewhyFingerprint/v1";

const VERSION: &str = env!("CARGO_PKG_VERSION");
const REPOSITORY: &str = env!("CARGO_PKG_REPOSITORY");

/// The SARIF report. File locations under `base` are written relative to it, as code scanning
/// expects; others are `file://` URIs.
#[derive(Debug, Clone, Default)]
pub struct Sarif {
    base: Option<PathBuf>,
}

impl Sarif {
    /// Writes absolute paths under `base` relative to it. Relative paths stay as given.
    pub fn relative_to(base: impl Into<PathBuf>) -> Self {
        Self {
            base: Some(base.into()),
        }
    }

    /// Writes absolute paths under the working directory relative to it.
    #[must_use]
    pub fn relative_to_current_dir() -> Self {
        Self {
            base: std::env::current_dir().ok(),
        }
    }

    fn log(&self, report: &Report) -> Log {
        let (rules, index) = rules(report);
        let mut artifacts = Artifacts::default();
        let results = report
            .issues
            .iter()
            .map(|issue| {
                // Every check of an issue got a rule above.
                let rule_index = index.get(issue.check.as_str()).copied().unwrap_or(0);
                let physical = issue
                    .origin
                    .as_ref()
                    .and_then(|origin| artifacts.physical_location(origin, self.base.as_deref()));
                result(issue, rule_index, physical)
            })
            .collect();
        Log {
            schema: schema::SCHEMA_URL,
            version: "2.1.0",
            runs: vec![Run {
                tool: Tool {
                    driver: Driver {
                        name: "kubewhy",
                        version: VERSION,
                        semantic_version: VERSION,
                        information_uri: REPOSITORY,
                        rules,
                    },
                },
                invocations: vec![Invocation {
                    execution_successful: true,
                    tool_execution_notifications: report
                        .warnings
                        .iter()
                        .map(notification)
                        .collect(),
                }],
                artifacts: artifacts.list,
                results,
                properties: run_properties(report),
            }],
        }
    }
}

impl Renderer for Sarif {
    fn render(&self, report: &Report, out: &mut dyn io::Write) -> io::Result<()> {
        // `From` keeps the writer's own error (a broken pipe stays a broken pipe).
        serde_json::to_writer_pretty(&mut *out, &self.log(report)).map_err(io::Error::from)?;
        writeln!(out)
    }
}

/// One rule per check used in the report, sorted by id, and each id's index among them.
fn rules(report: &Report) -> (Vec<Rule>, BTreeMap<&'static str, usize>) {
    let mut first: BTreeMap<&'static str, &Issue> = BTreeMap::new();
    for issue in &report.issues {
        first.entry(issue.check.as_str()).or_insert(issue);
    }
    let index = first.keys().enumerate().map(|(i, id)| (*id, i)).collect();
    let rules = first
        .into_iter()
        .map(|(id, issue)| rule(id, issue))
        .collect();
    (rules, index)
}

fn rule(id: &'static str, issue: &Issue) -> Rule {
    let info = kubewhy_analyzers::check(id);
    let title = info.map_or(issue.title.as_str(), |info| info.title);
    let doc = info.map_or(title, |info| info.doc);
    let severity = info.map_or(issue.severity, |info| info.severity);
    let category = info.map_or(issue.category, |info| info.category);
    Rule {
        id: id.to_owned(),
        name: pascal_case(id),
        short_description: Message {
            text: title.to_owned(),
        },
        full_description: Message {
            text: what_it_means(doc).unwrap_or_else(|| title.to_owned()),
        },
        help: MultiformatMessage {
            text: doc.trim_end().to_owned(),
            markdown: doc.trim_end().to_owned(),
        },
        help_uri: format!("{REPOSITORY}/blob/HEAD/analyzers/{id}.md"),
        default_configuration: Configuration {
            level: level(severity),
        },
        properties: RuleProperties {
            category: category.as_str(),
            tags: vec!["kubernetes", category.as_str()],
        },
    }
}

/// The archives and archive members that results point into, each listed once.
#[derive(Default)]
struct Artifacts {
    list: Vec<Artifact>,
}

impl Artifacts {
    /// Where `origin` is, or `None` when it is no file (standard input).
    fn physical_location(
        &mut self,
        origin: &Origin,
        base: Option<&Path>,
    ) -> Option<PhysicalLocation> {
        let file = uri::file_uri(&origin.file, base)?;
        let artifact_location = match &origin.member {
            None => ArtifactLocation {
                uri: file,
                index: None,
            },
            Some(member) => {
                let archive = self.index(file, None);
                let uri = uri::member_uri(member);
                let index = self.index(uri.clone(), Some(archive));
                ArtifactLocation {
                    uri,
                    index: Some(index),
                }
            }
        };
        Some(PhysicalLocation {
            artifact_location,
            region: (origin.line > 0).then_some(Region {
                start_line: origin.line,
            }),
        })
    }

    fn index(&mut self, uri: String, parent_index: Option<usize>) -> usize {
        let found = self
            .list
            .iter()
            .position(|a| a.location.uri == uri && a.parent_index == parent_index);
        found.unwrap_or_else(|| {
            self.list.push(Artifact {
                location: ArtifactLocation { uri, index: None },
                parent_index,
                roles: vec!["analysisTarget"],
            });
            self.list.len() - 1
        })
    }
}

fn result(
    issue: &Issue,
    rule_index: usize,
    physical_location: Option<PhysicalLocation>,
) -> SarifResult {
    let others = issue
        .objects
        .iter()
        .filter(|o| **o != issue.root)
        .map(|o| (o, "affected"))
        .chain(issue.related.iter().map(|o| (o, "related")));
    let related_locations = others
        .enumerate()
        .map(|(i, (object, role))| Location {
            id: Some(i + 1),
            physical_location: None,
            logical_locations: vec![logical(object)],
            message: Some(Message {
                text: format!("{role}: {}", qualified(object)),
            }),
        })
        .collect();
    SarifResult {
        rule_id: issue.check.as_str().to_owned(),
        rule_index,
        level: level(issue.severity),
        message: Message {
            text: issue.message.clone(),
        },
        locations: vec![Location {
            id: None,
            physical_location,
            logical_locations: vec![logical(&issue.root)],
            message: None,
        }],
        related_locations,
        partial_fingerprints: BTreeMap::from([(FINGERPRINT_KEY, issue.fingerprint.to_string())]),
        properties: schema::ResultProperties {
            severity: issue.severity.as_str(),
            category: issue.category.as_str(),
            fix: issue.fix.clone(),
        },
    }
}

fn logical(object: &ObjectRef) -> LogicalLocation {
    LogicalLocation {
        name: object.name.clone(),
        fully_qualified_name: qualified(object),
        kind: "resource",
    }
}

fn notification(warning: &Warning) -> Notification {
    let kind = serde_json::to_value(warning.kind)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_else(|| "warning".to_owned());
    Notification {
        level: "warning",
        message: Message {
            text: warning.message.clone(),
        },
        descriptor: DescriptorReference { id: kind },
    }
}

fn run_properties(report: &Report) -> RunProperties {
    let source = serde_json::to_value(report.source.kind)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default();
    RunProperties {
        report_schema: SCHEMA,
        source,
        context: report.source.context.clone(),
        observed_at: report.source.observed_at.clone(),
        objects_scanned: report.summary.objects_scanned,
    }
}

/// SARIF has no "critical": it is an error that takes more down with it.
fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical | Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

/// `pod-crash-looping` → `PodCrashLooping`, the identifier style SARIF asks of rule names.
fn pascal_case(id: &str) -> String {
    id.split(['-', '_'])
        .filter(|word| !word.is_empty())
        .map(|word| {
            let mut chars = word.chars();
            chars.next().map_or_else(String::new, |first| {
                first.to_ascii_uppercase().to_string() + chars.as_str()
            })
        })
        .collect()
}

/// The first paragraph of the entry's "What it means", on one line.
fn what_it_means(doc: &str) -> Option<String> {
    let (_, rest) = doc.split_once("## What it means")?;
    let paragraph = rest.trim_start().split("\n\n").next()?;
    if paragraph.starts_with('#') {
        return None;
    }
    let text = paragraph.split_whitespace().collect::<Vec<_>>().join(" ");
    (!text.is_empty()).then_some(text)
}

#[cfg(test)]
mod tests;
