//! The file source over every shape it reads: manifests as YAML and JSON streams, lists,
//! `kubectl get -o json`, `kubectl cluster-info dump` output with its log blocks, files whose
//! path tells their kind, and trees (support bundles, sonobuoy, must-gathers, dump folders,
//! Helm charts) as `.tar.gz`, `.tar`, folders, single `.gz` files and raw archive bytes.
//!
//! The first byte picks the shape. Besides not panicking, reading must never keep what holds a
//! Secret's values (see [`check_secrets`]); the generator writes Secrets with `data`,
//! `stringData` and `kubectl apply`'s annotation.

use std::{fs, io::Write, path::Path};

use fastrand::Rng;
use kubewhy_source::files::{self, Input, Loaded};

use super::{MANIFEST_TOKENS, Target, scratch};
use crate::{
    Features,
    generate::{self, Entry},
};

pub(crate) const TARGET: Target = Target {
    name: "files",
    about: "the file source: YAML, JSON, lists, dumps, bundles and archives",
    run,
    generate: generate_input,
    tokens: MANIFEST_TOKENS,
};

/// Names a text is read under: the path alone decides the kind of objects written without one,
/// and whether log blocks are of crashed containers.
const NAMES: &[&str] = &[
    "manifest.yaml",
    "objects.json",
    "<stdin>",
    "cluster-resources/pods/shop.json",
    "resources/ns/shop/Pod.json",
    "namespaces/shop/core/pods.yaml",
    "nodes.json",
    "shop/events.json",
    "shop/web/logs-previous.txt",
    "deployments.apps.yaml",
    "secrets.yaml",
    "noext",
];

/// The shapes past the texts.
const TAR_GZ: u8 = NAMES.len() as u8;
const TAR: u8 = TAR_GZ + 1;
const FOLDER: u8 = TAR_GZ + 2;
const RAW: u8 = TAR_GZ + 3;
const GZ: u8 = TAR_GZ + 4;
const SHAPES: u8 = TAR_GZ + 5;

/// Values the generator plants in Secrets, which no finding may quote.
pub(crate) const PLANTED: &[&str] = &["c2VjcmV0LXZhbHVlLWZ1enotMQ==", "plaintext-fuzz-secret-2"];

fn run(input: &[u8], features: &mut Features) {
    let Some((&shape, rest)) = input.split_first() else {
        return;
    };
    let shape = shape % SHAPES;
    let loaded = match shape {
        TAR_GZ | TAR => on_disk(|dir| {
            let tar = tarball(&generate::split_entries(rest));
            let bytes = if shape == TAR_GZ { gzip(&tar) } else { tar };
            load_file(dir, "bundle.tar.gz", &bytes)
        }),
        FOLDER => on_disk(|dir| load_folder(dir, &generate::split_entries(rest))),
        RAW => on_disk(|dir| load_file(dir, "support-bundle.tgz", rest)),
        GZ => on_disk(|dir| load_file(dir, "pods.json.gz", &gzip(rest))),
        _ => files::parse([Input {
            name: NAMES[usize::from(shape)].to_owned(),
            text: String::from_utf8_lossy(rest).into_owned(),
        }]),
    };
    record(&loaded, shape, features);
    check_secrets(&loaded);
}

fn on_disk(f: impl FnOnce(&Path) -> Loaded) -> Loaded {
    // A scratch folder that cannot be made is the machine's problem, not the input's.
    scratch::with_scratch(f).unwrap_or_default()
}

fn load_file(dir: &Path, name: &str, bytes: &[u8]) -> Loaded {
    let path = dir.join(name);
    if fs::write(&path, bytes).is_err() {
        return Loaded::default();
    }
    files::load(&[path])
}

fn load_folder(dir: &Path, entries: &[Entry]) -> Loaded {
    for entry in entries {
        let Some(rel) = scratch::safe_relative(&entry.path) else {
            continue;
        };
        let path = dir.join(rel);
        // Paths that clash (a file where a folder must go) are skipped, as a tree cannot hold
        // both.
        if let Some(parent) = path.parent()
            && fs::create_dir_all(parent).is_ok()
            && !path.is_dir()
        {
            let _ = fs::write(&path, &entry.content);
        }
    }
    files::load(&[dir.to_path_buf()])
}

/// A tar archive of `entries`, their paths written as they are (`..` included).
pub(crate) fn tarball(entries: &[Entry]) -> Vec<u8> {
    let mut builder = tar::Builder::new(Vec::new());
    for entry in entries {
        let mut header = tar::Header::new_gnu();
        let name = entry.path.as_bytes();
        let field = &mut header.as_old_mut().name;
        let n = name.len().min(field.len());
        field[..n].copy_from_slice(&name[..n]);
        header.set_size(entry.content.len() as u64);
        header.set_mode(0o644);
        header.set_entry_type(tar::EntryType::Regular);
        header.set_cksum();
        let _ = builder.append(&header, entry.content.as_slice());
    }
    builder.into_inner().unwrap_or_default()
}

pub(crate) fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    let _ = encoder.write_all(bytes);
    encoder.finish().unwrap_or_default()
}

fn record(loaded: &Loaded, shape: u8, features: &mut Features) {
    features.add(("shape", shape));
    features.add_count("objects", loaded.snapshot.objects_scanned());
    features.add_count("logs", loaded.snapshot.logs().count());
    features.add(("version", loaded.snapshot.cluster_version().is_some()));
    for error in &loaded.errors {
        features.add_message("error", &error.message);
    }
    for note in &loaded.notes {
        features.add_message("note", &note.message);
    }
}

/// Nothing that holds a Secret's values is kept: no `data` or `stringData` on a Secret kept as
/// a dynamic object (an API version kubewhy does not know), and no copy of the manifest in
/// `kubectl apply`'s annotation on any Secret. Other annotations are metadata, kept whatever
/// they say.
fn check_secrets(loaded: &Loaded) {
    const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";
    for secret in &loaded.snapshot.secrets {
        let annotations = secret.metadata.annotations.as_ref();
        assert!(
            annotations.is_none_or(|a| !a.contains_key(LAST_APPLIED)),
            "a Secret kept kubectl's copy of its manifest"
        );
    }
    for object in &loaded.snapshot.dynamic {
        if object.types.as_ref().is_none_or(|t| t.kind != "Secret") {
            continue;
        }
        assert!(
            object.data.get("data").is_none() && object.data.get("stringData").is_none(),
            "a Secret in an unknown API version kept its values"
        );
        let annotations = object.metadata.annotations.as_ref();
        assert!(
            annotations.is_none_or(|a| !a.contains_key(LAST_APPLIED)),
            "a Secret in an unknown API version kept kubectl's copy of its manifest"
        );
    }
}

fn generate_input(rng: &mut Rng) -> Vec<u8> {
    let shape = rng.u8(..SHAPES);
    let body = match shape {
        TAR_GZ | TAR | FOLDER => generate::join_entries(&generate::tree(rng)),
        RAW => {
            let tar = tarball(&generate::tree(rng));
            if rng.bool() { gzip(&tar) } else { tar }
        }
        _ => {
            let objects = generate::objects(rng);
            generate::document(rng, &objects).into_bytes()
        }
    };
    let mut input = vec![shape];
    input.extend(body);
    input
}
