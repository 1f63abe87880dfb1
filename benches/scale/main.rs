//! The scale benchmark: kubewhy against kubectl on generated clusters of growing size, served
//! by the API simulator in its own process. Prints, for each size, wall time, CPU and peak RSS
//! of `kubewhy analyze` and of `kubectl get` of the same kinds, the simulator's CPU while it
//! serves kubewhy, a bare HTTP client fetching the same pages, and the parse floor.
//!
//!     cargo bench -p kubewhy-cli --bench scale
//!     KUBEWHY_BENCH_PODS=1000,10000,50000,100000 cargo bench -p kubewhy-cli --bench scale

mod fetch;
mod measure;

use std::path::PathBuf;

fn main() {
    let sizes: Vec<usize> = std::env::var("KUBEWHY_BENCH_PODS")
        .unwrap_or_else(|_| "1000,10000,50000".to_owned())
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    let failing = std::env::var("KUBEWHY_BENCH_FAILING")
        .ok()
        .and_then(|f| f.parse().ok())
        .unwrap_or(0.1);
    let dir = tempfile::tempdir().expect("a temp dir");
    let tools = measure::Tools {
        kubewhy: PathBuf::from(env!("CARGO_BIN_EXE_kubewhy")),
        kubectl: std::env::var_os("KUBECTL")
            .map_or_else(|| PathBuf::from("kubectl"), PathBuf::from),
        dir: dir.path().to_owned(),
    };
    let mut rows = Vec::new();
    for pods in sizes {
        eprintln!("measuring {pods} pods");
        rows.push(measure::row(&tools, pods, failing));
        println!("{}", measure::table(&rows));
    }
}
