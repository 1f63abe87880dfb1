//! Inputs shaped like what kubewhy reads: Kubernetes objects of every kind (biased toward the
//! fields the checks look at, with names drawn from a small pool so that selectors, owners and
//! references meet), written as YAML streams, JSON streams, `kind: List`, `kubectl get -o
//! json`, `kubectl cluster-info dump` output, and the trees of support bundles, sonobuoy
//! results, must-gathers and Helm charts. [`chaos`] then puts values of the wrong type in random
//! places, as a hand-edited manifest would.

mod kinds;
mod trees;

use std::fmt::Write;

use fastrand::Rng;
use serde_json::{Map, Value, json};

pub use kinds::{KINDS, object, object_of};
pub use trees::{Entry, join_entries, split_entries, tree};

/// Names shared by every generated object, so that references resolve (or almost do).
pub const NAMES: &[&str] = &[
    "web",
    "db",
    "api",
    "shop",
    "cart",
    "default",
    "kube-system",
    "worker-1",
    "node-a",
    "certs",
    "web-7d4b9c",
    "web-7d4b9c-x2x9z",
    "redis",
    "a",
    "stripe-key",
    "ingress-nginx",
    "standard",
];

/// One of `items`, which is not empty.
pub fn pick<T: Clone>(rng: &mut Rng, items: &[T]) -> T {
    items[rng.usize(..items.len())].clone()
}

/// A name from the pool, now and then something a name cannot be.
pub fn name(rng: &mut Rng) -> Value {
    match rng.u8(0..40) {
        0 => json!(""),
        1 => json!("UPPER_case name"),
        2 => json!("x".repeat(rng.usize(60..300))),
        3 => json!(rng.i64(..)),
        4 => json!("名前-ü"),
        _ => json!(NAMES[rng.usize(..NAMES.len())]),
    }
}

/// A small map of labels from the pool.
pub fn labels(rng: &mut Rng) -> Value {
    let keys = [
        "app",
        "app.kubernetes.io/name",
        "tier",
        "k8s-app",
        "release",
    ];
    let mut map = Map::new();
    for _ in 0..rng.usize(0..3) {
        let key = keys[rng.usize(..keys.len())];
        map.insert(key.to_owned(), name(rng));
    }
    Value::Object(map)
}

/// A timestamp, well formed or not.
pub fn timestamp(rng: &mut Rng) -> Value {
    match rng.u8(0..12) {
        0 => json!("yesterday"),
        1 => json!("2024-02-30T25:61:00Z"),
        2 => json!("1970-01-01T00:00:00Z"),
        3 => json!("9999-12-31T23:59:59.999999999Z"),
        4 => json!(rng.i64(..)),
        5 => json!("2024-06-01T12:00:00.123456+02:00"),
        _ => json!(format!(
            "2024-06-{:02}T{:02}:00:00Z",
            rng.u8(1..29),
            rng.u8(0..24)
        )),
    }
}

/// A quantity (`100m`, `1Gi`), well formed or not.
pub fn quantity(rng: &mut Rng) -> Value {
    const Q: &[&str] = &[
        "100m",
        "1",
        "0",
        "1Gi",
        "512Mi",
        "2.5",
        "1e3",
        "-1",
        "1E",
        "0.000001",
        "9Ei",
        "1Ki",
        "99999999999999999999",
        "m",
        "",
        "1.5Gi",
        "+3",
        "0x10",
        "1_000",
    ];
    if rng.u8(0..8) == 0 {
        json!(rng.i64(..))
    } else {
        json!(Q[rng.usize(..Q.len())])
    }
}

/// A number of the kinds Kubernetes counts with, and the edges around them.
pub fn count(rng: &mut Rng) -> Value {
    const EDGES: &[i64] = &[
        0,
        1,
        -1,
        3,
        255,
        2_147_483_647,
        -2_147_483_648,
        i64::MAX,
        i64::MIN,
        4_294_967_296,
    ];
    match rng.u8(0..10) {
        0 => json!(1e300),
        1 => json!(-0.5),
        2 => json!(u64::MAX),
        3..=5 => json!(EDGES[rng.usize(..EDGES.len())]),
        _ => json!(rng.i64(0..10)),
    }
}

/// Any JSON value, at most `depth` deep.
pub fn any(rng: &mut Rng, depth: u32) -> Value {
    match rng.u8(0..if depth == 0 { 6 } else { 8 }) {
        0 => Value::Null,
        1 => json!(rng.bool()),
        2 => count(rng),
        3 => name(rng),
        4 => quantity(rng),
        5 => timestamp(rng),
        6 => Value::Array((0..rng.usize(0..4)).map(|_| any(rng, depth - 1)).collect()),
        _ => {
            let mut map = Map::new();
            for _ in 0..rng.usize(0..4) {
                let key = kinds::FIELDS[rng.usize(..kinds::FIELDS.len())];
                map.insert(key.to_owned(), any(rng, depth - 1));
            }
            Value::Object(map)
        }
    }
}

/// Replaces about one node in `rate` by a value of any type, removes or duplicates array
/// members and drops keys.
pub fn chaos(value: &mut Value, rng: &mut Rng, rate: u32) {
    if rate > 0 && rng.u32(0..rate) == 0 {
        *value = any(rng, 2);
        return;
    }
    match value {
        Value::Array(items) => {
            if !items.is_empty() && rng.u32(0..rate.max(1) * 2) == 0 {
                let i = rng.usize(..items.len());
                if rng.bool() {
                    items.remove(i);
                } else {
                    let copy = items[i].clone();
                    items.insert(i, copy);
                }
            }
            for item in items {
                chaos(item, rng, rate);
            }
        }
        Value::Object(map) => {
            if !map.is_empty() && rng.u32(0..rate.max(1) * 2) == 0 {
                let i = rng.usize(..map.len());
                if let Some(key) = map.keys().nth(i).cloned() {
                    map.remove(&key);
                }
            }
            for (_, v) in map.iter_mut() {
                chaos(v, rng, rate);
            }
        }
        _ => {}
    }
}

/// A set of objects that refer to each other, some with wrong types in places.
pub fn objects(rng: &mut Rng) -> Vec<Value> {
    let n = rng.usize(1..8);
    let mut out: Vec<Value> = (0..n).map(|_| object(rng)).collect();
    let rate = [0, 0, 40, 12, 4][rng.usize(..5)];
    for o in &mut out {
        chaos(o, rng, rate);
    }
    out
}

/// Objects written as one of the shapes users pass with `-f`.
pub fn document(rng: &mut Rng, objects: &[Value]) -> String {
    match rng.u8(0..7) {
        0 => yaml_stream(rng, objects),
        1 => objects.iter().fold(String::new(), |mut text, o| {
            let _ = writeln!(text, "{o:#}");
            text
        }),
        2 => format!(
            "{:#}",
            json!({ "apiVersion": "v1", "kind": "List", "metadata": { "resourceVersion": "" }, "items": objects })
        ),
        3 => serde_yaml_ng::to_string(
            &json!({ "apiVersion": "v1", "kind": "List", "items": objects }),
        )
        .unwrap_or_default(),
        4 => dump(rng, objects),
        5 => Value::Array(objects.to_vec()).to_string(),
        _ => {
            let mut text = yaml_stream(rng, objects);
            text.push_str("---\n# only a comment\n---\n");
            text
        }
    }
}

/// A YAML stream: `---` between documents, now and then a comment or an empty document.
fn yaml_stream(rng: &mut Rng, objects: &[Value]) -> String {
    let mut text = String::new();
    for o in objects {
        if rng.u8(0..4) == 0 {
            text.push_str("# a comment\n");
        }
        text.push_str("---\n");
        text.push_str(&serde_yaml_ng::to_string(o).unwrap_or_default());
    }
    text
}

/// `kubectl cluster-info dump` printed to stdout: lists of each kind, and log blocks.
fn dump(rng: &mut Rng, objects: &[Value]) -> String {
    let mut text = String::new();
    for o in objects {
        let list = json!({ "kind": "List", "apiVersion": "v1", "items": [o] });
        let _ = writeln!(text, "{list:#}");
        if rng.bool() {
            let (ns, pod, c) = (
                NAMES[rng.usize(..4)],
                NAMES[rng.usize(..NAMES.len())],
                "app",
            );
            let _ = write!(
                text,
                "==== START logs for container {c} of pod {ns}/{pod} ====\npanic: connection refused\n"
            );
            if rng.bool() {
                let _ = writeln!(
                    text,
                    "==== END logs for container {c} of pod {ns}/{pod} ===="
                );
            }
        }
    }
    text
}
