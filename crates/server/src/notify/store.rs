//! What has been posted: per issue fingerprint, the channel, the thread it opened and what it
//! said, in a small redb file, so that a restart re-posts nothing.

use std::path::{Path, PathBuf};

use redb::{Database, ReadableDatabase, ReadableTable, TableDefinition};
use serde::{Deserialize, Serialize};

const POSTED: TableDefinition<&str, &[u8]> = TableDefinition::new("posted");

/// One issue as it was last posted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Posted {
    /// The channel (or `webhook`).
    pub channel: String,
    /// The thread's first message, with a bot token.
    pub ts: Option<String>,
    /// The title.
    pub title: String,
    /// Its severity when posted.
    pub severity: String,
    /// How many objects it covered.
    pub objects: usize,
    /// Whether "resolved" was posted.
    pub resolved: bool,
    /// Posted in one message with other new issues: its thread is theirs too.
    #[serde(default)]
    pub batched: bool,
}

/// Why the store failed.
#[derive(Debug, thiserror::Error)]
#[error("the notification store {path}: {reason}")]
pub struct StoreError {
    path: PathBuf,
    reason: String,
}

/// The store.
#[derive(Debug)]
pub struct Store {
    db: Database,
    path: PathBuf,
}

impl Store {
    /// Opens or creates the store at `path`.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let fail = |reason: String| StoreError {
            path: path.to_owned(),
            reason,
        };
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| fail(e.to_string()))?;
        }
        let db = Database::create(path).map_err(|e| fail(e.to_string()))?;
        Ok(Self {
            db,
            path: path.to_owned(),
        })
    }

    fn fail(&self, e: impl std::fmt::Display) -> StoreError {
        StoreError {
            path: self.path.clone(),
            reason: e.to_string(),
        }
    }

    /// Every issue posted and not yet resolved... and resolved ones, by fingerprint.
    pub fn all(&self) -> Result<Vec<(String, Posted)>, StoreError> {
        let txn = self.db.begin_read().map_err(|e| self.fail(e))?;
        let table = match txn.open_table(POSTED) {
            Ok(table) => table,
            Err(redb::TableError::TableDoesNotExist(_)) => return Ok(Vec::new()),
            Err(e) => return Err(self.fail(e)),
        };
        let mut out = Vec::new();
        for entry in table.iter().map_err(|e| self.fail(e))? {
            let (key, value) = entry.map_err(|e| self.fail(e))?;
            // An entry this version cannot read is dropped: at worst one issue is posted again.
            if let Ok(posted) = serde_json::from_slice(value.value()) {
                out.push((key.value().to_owned(), posted));
            }
        }
        Ok(out)
    }

    /// Records what was posted for `fingerprint`.
    pub fn put(&self, fingerprint: &str, posted: &Posted) -> Result<(), StoreError> {
        let bytes = serde_json::to_vec(posted).map_err(|e| self.fail(e))?;
        let txn = self.db.begin_write().map_err(|e| self.fail(e))?;
        {
            let mut table = txn.open_table(POSTED).map_err(|e| self.fail(e))?;
            table
                .insert(fingerprint, bytes.as_slice())
                .map_err(|e| self.fail(e))?;
        }
        txn.commit().map_err(|e| self.fail(e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_was_posted_survives_a_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state/notify.redb");
        let posted = Posted {
            channel: "C1".into(),
            ts: Some("1.2".into()),
            title: "t".into(),
            severity: "error".into(),
            objects: 3,
            resolved: false,
            batched: false,
        };
        Store::open(&path).unwrap().put("abc", &posted).unwrap();
        assert_eq!(
            Store::open(&path).unwrap().all().unwrap(),
            vec![("abc".to_owned(), posted)]
        );
    }
}
