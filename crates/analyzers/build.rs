//! Generates the check ids from the catalog's front matter (`analyzers/*.md`), as ruff maps its
//! codes to rules: every id an analyzer uses is a constant of `ids`, so a misspelt id does not
//! compile. Also generates one fixture test per check for `tests/fixtures.rs`, so that one
//! failing check does not hide the others.
//!
//! Only the `id:` and `title:` lines are read here; the catalog test judges the rest of each
//! entry, with messages that name the file.

use std::{env, fmt::Write as _, fs, path::Path};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let manifest = env::var("CARGO_MANIFEST_DIR")?;
    let catalog = Path::new(&manifest).join("../../analyzers");
    println!("cargo::rerun-if-changed={}", catalog.display());
    let mut entries: Vec<(String, String)> = Vec::new();
    for file in fs::read_dir(&catalog)? {
        let path = file?.path();
        let is_entry = path.extension().is_some_and(|e| e == "md")
            && path.file_name().is_some_and(|n| n != "README.md");
        if !is_entry {
            continue;
        }
        println!("cargo::rerun-if-changed={}", path.display());
        let text = fs::read_to_string(&path)?;
        if let Some(entry) = front_matter(&text) {
            entries.push(entry);
        }
    }
    entries.sort();
    let out = env::var("OUT_DIR")?;
    fs::write(Path::new(&out).join("check_ids.rs"), ids(&entries))?;
    fs::write(Path::new(&out).join("fixture_tests.rs"), tests(&entries))?;
    Ok(())
}

/// The id and title of an entry; `None` for a file without front matter or id, which the
/// catalog test reports.
fn front_matter(text: &str) -> Option<(String, String)> {
    let front = text.strip_prefix("---\n")?.split("\n---\n").next()?;
    let field = |key: &str| {
        front.lines().find_map(|line| {
            let (k, v) = line.split_once(':')?;
            (k.trim() == key).then(|| v.trim().to_owned())
        })
    };
    let id = field("id")?;
    let valid = !id.is_empty() && id.chars().all(|c| c.is_ascii_lowercase() || c == '-');
    valid.then(|| (id, field("title").unwrap_or_default()))
}

fn constant(id: &str) -> String {
    id.replace('-', "_").to_ascii_uppercase()
}

fn ids(entries: &[(String, String)]) -> String {
    let mut out = String::new();
    for (id, title) in entries {
        let _ = writeln!(
            out,
            "/// `{id}`: {title}.\npub const {}: CheckId = CheckId(\"{id}\");",
            constant(id)
        );
    }
    out.push_str(
        "/// Every check id in the catalog, in id order.\npub const ALL: &[CheckId] = &[\n",
    );
    for (id, _) in entries {
        let _ = writeln!(out, "    {},", constant(id));
    }
    out.push_str("];\n");
    out
}

fn tests(entries: &[(String, String)]) -> String {
    let mut out = String::new();
    for (id, _) in entries {
        let _ = writeln!(
            out,
            "#[test]\nfn {}() {{\n    check_fixture(\"{id}\");\n}}",
            id.replace('-', "_")
        );
    }
    out
}
