//! Kubernetes release versions, and where a run learned which one a cluster runs: checks that
//! depend on the release (removed API versions) judge against it, and the report says where it
//! came from.

use std::{fmt, str::FromStr};

use serde::{Serialize, Serializer};

/// A Kubernetes minor release: `1.25`. Patch levels and vendor suffixes (`v1.25.3-eks-4f4795d`,
/// `1.27+`) are dropped when parsing, since API removals happen at minor releases.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct KubernetesVersion {
    /// Always 1 so far.
    pub major: u32,
    /// The minor release.
    pub minor: u32,
}

impl KubernetesVersion {
    /// The newest release kubewhy knows the API of (the newest the bundled Kubernetes API types
    /// cover). Checks judge against it when the input does not say which release it is from.
    pub const LATEST: Self = Self::new(1, 37);

    /// `major.minor`.
    #[must_use]
    pub const fn new(major: u32, minor: u32) -> Self {
        Self { major, minor }
    }
}

impl fmt::Display for KubernetesVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

impl Serialize for KubernetesVersion {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// Text that does not name a Kubernetes release.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{text}` is not a Kubernetes version: expected MAJOR.MINOR, such as 1.25 or v1.25.3")]
pub struct VersionError {
    /// The text as given.
    pub text: String,
}

/// The leading digits of `text`, as a number.
fn leading_number(text: &str) -> Option<u32> {
    let end = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    text[..end].parse().ok()
}

impl FromStr for KubernetesVersion {
    type Err = VersionError;

    /// Accepts `1.25`, `v1.25.3`, `1.25.3-eks-4f4795d`, `v1.27.4+k3s1` and `1.27+` (as GKE
    /// writes its minor version).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let error = || VersionError { text: s.to_owned() };
        let bare = s.trim();
        let bare = bare.strip_prefix(['v', 'V']).unwrap_or(bare);
        let (major, rest) = bare.split_once('.').ok_or_else(error)?;
        if major.is_empty() || !major.bytes().all(|b| b.is_ascii_digit()) {
            return Err(error());
        }
        let major = major.parse().map_err(|_| error())?;
        let minor = leading_number(rest).ok_or_else(error)?;
        Ok(Self::new(major, minor))
    }
}

/// Where a run learned the cluster's release.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum VersionFrom {
    /// The API server's `/version`.
    Cluster,
    /// A file in the input that records it (a support bundle's
    /// `cluster-info/cluster_version.json`, sonobuoy's `serverversion.json`).
    Input,
    /// `--kubernetes-version`.
    Option,
    /// Nothing said: the newest release kubewhy knows.
    Latest,
}

/// The release checks judge against, and where it came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ClusterVersion {
    /// The release.
    pub version: KubernetesVersion,
    /// See [`VersionFrom`].
    pub from: VersionFrom,
    /// The file it was read from, for [`VersionFrom::Input`]
    /// (`bundle.tar.gz#cluster-info/cluster_version.json`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
}

impl ClusterVersion {
    /// The newest release kubewhy knows, for inputs that do not say.
    #[must_use]
    pub fn latest() -> Self {
        Self {
            version: KubernetesVersion::LATEST,
            from: VersionFrom::Latest,
            file: None,
        }
    }

    /// Says which release this is and where it came from, to end a sentence: "the cluster runs
    /// 1.25 (from its /version)".
    #[must_use]
    pub fn describe(&self) -> String {
        let version = self.version;
        match (self.from, &self.file) {
            (VersionFrom::Cluster, _) => format!("the cluster runs {version} (from its /version)"),
            (VersionFrom::Input, Some(file)) => {
                format!("the cluster runs {version} (as recorded in {file})")
            }
            (VersionFrom::Input, None) => {
                format!("the cluster runs {version} (as the input records)")
            }
            (VersionFrom::Option, _) => {
                format!("the cluster runs {version} (from --kubernetes-version)")
            }
            (VersionFrom::Latest, _) => format!(
                "judged against the latest release, {version}, since the input does not say which release the cluster runs (set it with --kubernetes-version)"
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_parse_as_clusters_and_users_write_them() {
        for (text, minor) in [
            ("1.25", 25),
            ("v1.25.3", 25),
            ("1.25.3-eks-4f4795d", 25),
            ("v1.27.4+k3s1", 27),
            ("1.27+", 27),
            (" V1.20 ", 20),
        ] {
            assert_eq!(text.parse(), Ok(KubernetesVersion::new(1, minor)), "{text}");
        }
        for bad in ["", "1", "latest", "v.25", "1.x", "one.two"] {
            assert!(bad.parse::<KubernetesVersion>().is_err(), "{bad}");
        }
        assert!(KubernetesVersion::new(1, 20) < KubernetesVersion::new(1, 25));
        assert_eq!(KubernetesVersion::new(1, 9).to_string(), "1.9");
    }

    #[test]
    fn the_source_of_a_version_is_said_in_words() {
        let version = ClusterVersion {
            version: KubernetesVersion::new(1, 25),
            from: VersionFrom::Input,
            file: Some("bundle.tar.gz#cluster-info/cluster_version.json".into()),
        };
        assert_eq!(
            version.describe(),
            "the cluster runs 1.25 (as recorded in bundle.tar.gz#cluster-info/cluster_version.json)"
        );
        let json = serde_json::to_value(&version).unwrap();
        assert_eq!(json["version"], "1.25");
        assert_eq!(json["from"], "input");
        assert!(
            ClusterVersion::latest()
                .describe()
                .contains("latest release")
        );
    }
}
