//! A scratch folder per worker thread, for the targets that must go through files on disk
//! (archives, folders, the engine).

use std::{
    cell::RefCell,
    fs, io,
    path::{Path, PathBuf},
};

thread_local! {
    static SCRATCH: RefCell<Option<tempfile::TempDir>> = const { RefCell::new(None) };
}

/// Runs `f` with this thread's scratch folder, emptied first.
pub(crate) fn with_scratch<T>(f: impl FnOnce(&Path) -> T) -> io::Result<T> {
    SCRATCH.with(|cell| {
        let mut slot = cell.borrow_mut();
        if slot.is_none() {
            *slot = Some(tempfile::Builder::new().prefix("kubewhy-fuzz").tempdir()?);
        }
        let Some(dir) = slot.as_ref() else {
            return Err(io::Error::other("no scratch folder"));
        };
        let root = dir.path().join("input");
        if root.exists() {
            fs::remove_dir_all(&root)?;
        }
        fs::create_dir_all(&root)?;
        Ok(f(&root))
    })
}

/// `path` made safe to create under a folder: only plain segments of a few characters.
pub(crate) fn safe_relative(path: &str) -> Option<PathBuf> {
    let mut out = PathBuf::new();
    for segment in path.split('/') {
        let clean: String = segment
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
            .take(80)
            .collect();
        if clean.is_empty() || clean == "." || clean == ".." {
            continue;
        }
        out.push(clean);
    }
    (out.components().count() > 0 && out.components().count() <= 12).then_some(out)
}
