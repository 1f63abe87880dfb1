//! The answer cache: a redb file under `$XDG_CACHE_HOME/kubewhy/`, shared by the CLI, the TUI
//! and the server. redb locks its file for one process at a time, so the cache opens it only
//! for one lookup or one write and retries briefly while another process holds it; when it
//! still cannot, the run goes on uncached with one warning. Answers are keyed by a hash of the
//! scrubbed prompt, the backend, the model, the templates' content and the language, expire
//! after a TTL (7 days by default), and are stored only when complete.

use std::{
    path::{Path, PathBuf},
    sync::{
        Mutex,
        atomic::{AtomicBool, Ordering},
    },
    time::{Duration, Instant, SystemTime, UNIX_EPOCH},
};

use redb::{
    Database, DatabaseError, ReadableDatabase, ReadableTable, ReadableTableMetadata,
    TableDefinition,
};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::{Answer, BackendId, ChatRequest, FinishReason, Usage, prompt::Language};

/// How long an answer stays.
pub const DEFAULT_TTL: Duration = Duration::from_hours(7 * 24);
/// How long to wait for another process to let go of the file.
pub const DEFAULT_LOCK_WAIT: Duration = Duration::from_millis(1500);

const ANSWERS: TableDefinition<&[u8], &[u8]> = TableDefinition::new("answers");

/// What identifies an answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CacheKey([u8; 32]);

impl CacheKey {
    /// The key of `request` to `backend` rendered from templates whose
    /// [`Prompts::version`](crate::prompt::Prompts::version) is `templates`, answered in
    /// `language`.
    #[must_use]
    pub fn new(
        request: &ChatRequest,
        backend: &BackendId,
        templates: &str,
        language: &Language,
    ) -> Self {
        let mut hash = Sha256::new();
        for part in [
            "kubewhy-cache-v1",
            &backend.kind.to_string(),
            &backend.endpoint,
            &backend.model,
            templates,
            language.as_str(),
        ] {
            hash.update((part.len() as u64).to_le_bytes());
            hash.update(part.as_bytes());
        }
        hash.update(request.digest());
        Self(hash.finalize().into())
    }

    /// The key in hex.
    #[must_use]
    pub fn to_hex(&self) -> String {
        use std::fmt::Write as _;
        self.0.iter().fold(String::with_capacity(64), |mut hex, b| {
            let _ = write!(hex, "{b:02x}");
            hex
        })
    }
}

/// A cached answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CachedAnswer {
    /// The text.
    pub text: String,
    /// Why the model stopped (always `stop`: only complete answers are stored).
    pub finish: FinishReason,
    /// The tokens the original call took.
    pub usage: Option<Usage>,
    /// The backend's name when it was stored.
    pub backend: String,
    /// The model.
    pub model: String,
    /// When it was stored, in seconds since 1970.
    pub stored_at: u64,
}

/// The result of a lookup.
#[derive(Debug)]
pub enum Lookup {
    /// A fresh answer.
    Hit(CachedAnswer),
    /// None, or an expired one.
    Miss,
    /// The cache cannot be used now; the warning comes the first time only.
    Unavailable(Option<CacheError>),
}

/// The result of a write.
#[derive(Debug)]
pub enum Store {
    /// Stored.
    Written,
    /// Not stored, and why: a partial or truncated answer is never cached.
    Skipped(&'static str),
    /// The cache cannot be used now; the warning comes the first time only.
    Unavailable(Option<CacheError>),
}

/// What `kubewhy cache stats` shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CacheStats {
    /// The file.
    pub path: PathBuf,
    /// Answers stored, expired ones included.
    pub entries: u64,
    /// Of which expired.
    pub expired: u64,
    /// The file's size.
    pub bytes: u64,
}

/// Why the cache could not be used.
#[derive(Debug, thiserror::Error)]
pub enum CacheError {
    /// Another process held the file for longer than kubewhy waits.
    #[error(
        "the answer cache {} is in use by another kubewhy process; going on without it",
        path.display()
    )]
    Busy {
        /// The file.
        path: PathBuf,
    },
    /// The file could not be opened (permissions, another format); delete it with
    /// `kubewhy cache clear` or by hand.
    #[error("cannot open the answer cache {}: {reason}; `kubewhy cache clear` deletes it", path.display())]
    Open {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// A read or write failed.
    #[error("the answer cache {} failed: {reason}", path.display())]
    Storage {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
}

/// The answer cache. Cheap to create: the file is touched only by each lookup and write.
#[derive(Debug)]
pub struct Cache {
    path: PathBuf,
    ttl: Duration,
    lock_wait: Duration,
    warned: AtomicBool,
    /// One open at a time in this process: redb refuses a second open of the same file.
    local: Mutex<()>,
}

impl Cache {
    /// The cache in `file`.
    #[must_use]
    pub fn new(file: PathBuf) -> Self {
        Self {
            path: file,
            ttl: DEFAULT_TTL,
            lock_wait: DEFAULT_LOCK_WAIT,
            warned: AtomicBool::new(false),
            local: Mutex::new(()),
        }
    }

    /// The cache in `dir/answers.redb` (`dir` is usually [`crate::cache_dir`]).
    #[must_use]
    pub fn in_dir(dir: &Path) -> Self {
        Self::new(dir.join("answers.redb"))
    }

    /// Keeps answers this long.
    #[must_use]
    pub fn with_ttl(mut self, ttl: Duration) -> Self {
        self.ttl = ttl;
        self
    }

    /// Waits this long for another process.
    #[must_use]
    pub fn with_lock_wait(mut self, wait: Duration) -> Self {
        self.lock_wait = wait;
        self
    }

    /// The file.
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Looks an answer up. Blocks for at most the lock wait: call it from a blocking task in
    /// async code.
    #[must_use]
    pub fn get(&self, key: &CacheKey) -> Lookup {
        match self.read(key) {
            Ok(Some(answer)) => Lookup::Hit(answer),
            Ok(None) => Lookup::Miss,
            Err(error) => Lookup::Unavailable(self.warn_once(error)),
        }
    }

    /// Stores a complete answer; a truncated or empty one is skipped.
    #[must_use]
    pub fn put(&self, key: &CacheKey, answer: &Answer, backend: &BackendId) -> Store {
        if !answer.is_complete() {
            return Store::Skipped("the answer is incomplete");
        }
        if answer.text.trim().is_empty() {
            return Store::Skipped("the answer is empty");
        }
        let entry = CachedAnswer {
            text: answer.text.clone(),
            finish: answer.finish.clone(),
            usage: answer.usage,
            backend: backend.name.clone(),
            model: backend.model.clone(),
            stored_at: now(),
        };
        match self.write(key, &entry) {
            Ok(()) => Store::Written,
            Err(error) => Store::Unavailable(self.warn_once(error)),
        }
    }

    /// Counts the entries.
    pub fn stats(&self) -> Result<CacheStats, CacheError> {
        let bytes = std::fs::metadata(&self.path).map_or(0, |m| m.len());
        let mut stats = CacheStats {
            path: self.path.clone(),
            entries: 0,
            expired: 0,
            bytes,
        };
        if bytes == 0 {
            return Ok(stats);
        }
        let ttl = self.ttl.as_secs();
        let now = now();
        self.with_db(|db| {
            let txn = db.begin_read().map_err(storage)?;
            let table = match txn.open_table(ANSWERS) {
                Ok(table) => table,
                Err(redb::TableError::TableDoesNotExist(_)) => return Ok(()),
                Err(e) => return Err(storage(e)),
            };
            for entry in table.iter().map_err(storage)? {
                let (_, value) = entry.map_err(storage)?;
                stats.entries += 1;
                let stored = serde_json::from_slice::<CachedAnswer>(value.value())
                    .map_or(0, |a| a.stored_at);
                if stored.saturating_add(ttl) < now {
                    stats.expired += 1;
                }
            }
            Ok(())
        })?;
        Ok(stats)
    }

    /// Deletes every answer; returns how many there were.
    pub fn clear(&self) -> Result<u64, CacheError> {
        if !self.path.exists() {
            return Ok(0);
        }
        self.with_db(|db| {
            let txn = db.begin_write().map_err(storage)?;
            let count = match txn.open_table(ANSWERS) {
                Ok(table) => table.len().map_err(storage)?,
                Err(e) => return Err(storage(e)),
            };
            txn.delete_table(ANSWERS).map_err(storage)?;
            txn.commit().map_err(storage)?;
            Ok(count)
        })
    }

    fn read(&self, key: &CacheKey) -> Result<Option<CachedAnswer>, CacheError> {
        if !self.path.exists() {
            return Ok(None);
        }
        let ttl = self.ttl.as_secs();
        self.with_db(|db| {
            let txn = db.begin_read().map_err(storage)?;
            let table = match txn.open_table(ANSWERS) {
                Ok(table) => table,
                Err(redb::TableError::TableDoesNotExist(_)) => return Ok(None),
                Err(e) => return Err(storage(e)),
            };
            let Some(value) = table.get(key.0.as_slice()).map_err(storage)? else {
                return Ok(None);
            };
            // An entry kubewhy cannot read (another version's) is a miss, then overwritten.
            let Ok(answer) = serde_json::from_slice::<CachedAnswer>(value.value()) else {
                return Ok(None);
            };
            Ok((answer.stored_at.saturating_add(ttl) >= now()).then_some(answer))
        })
    }

    fn write(&self, key: &CacheKey, entry: &CachedAnswer) -> Result<(), CacheError> {
        let bytes = serde_json::to_vec(entry).map_err(|e| CacheError::Storage {
            path: self.path.clone(),
            reason: e.to_string(),
        })?;
        let ttl = self.ttl.as_secs();
        // Now and then, expired answers go: the file does not grow forever.
        let purge = fastrand::u8(..) < 8;
        self.with_db(|db| {
            let txn = db.begin_write().map_err(storage)?;
            {
                let mut table = txn.open_table(ANSWERS).map_err(storage)?;
                table
                    .insert(key.0.as_slice(), bytes.as_slice())
                    .map_err(storage)?;
                if purge {
                    let now = now();
                    table
                        .retain(|_, value| {
                            serde_json::from_slice::<CachedAnswer>(value)
                                .is_ok_and(|a| a.stored_at.saturating_add(ttl) >= now)
                        })
                        .map_err(storage)?;
                }
            }
            txn.commit().map_err(storage)
        })
    }

    /// Opens the file for one operation, waiting while another process holds it.
    fn with_db<T>(&self, op: impl FnOnce(&Database) -> Result<T, String>) -> Result<T, CacheError> {
        let _one_at_a_time = self
            .local
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let db = self.open()?;
        op(&db).map_err(|reason| CacheError::Storage {
            path: self.path.clone(),
            reason,
        })
    }

    fn open(&self) -> Result<Database, CacheError> {
        if let Some(dir) = self.path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| CacheError::Open {
                path: self.path.clone(),
                reason: e.to_string(),
            })?;
        }
        let deadline = Instant::now() + self.lock_wait;
        loop {
            let opened = Database::builder()
                .set_cache_size(4 * 1024 * 1024)
                .create(&self.path);
            match opened {
                Ok(db) => return Ok(db),
                Err(DatabaseError::DatabaseAlreadyOpen) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(5 + fastrand::u64(..20)));
                }
                Err(DatabaseError::DatabaseAlreadyOpen) => {
                    return Err(CacheError::Busy {
                        path: self.path.clone(),
                    });
                }
                Err(e) => {
                    return Err(CacheError::Open {
                        path: self.path.clone(),
                        reason: e.to_string(),
                    });
                }
            }
        }
    }

    fn warn_once(&self, error: CacheError) -> Option<CacheError> {
        tracing::debug!("{error}");
        (!self.warned.swap(true, Ordering::Relaxed)).then_some(error)
    }
}

fn storage(error: impl std::fmt::Display) -> String {
    error.to_string()
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

#[cfg(test)]
mod tests;
