//! Pod logs in the format of `kubectl cluster-info dump`: blocks between
//! `==== START logs for container C of pod NS/POD ====` and the matching END line.

use kubewhy_model::LogTarget;

const START: &str = "==== START logs for container ";
const END: &str = "==== END logs for container ";

/// Log files of a dump folder: `logs.txt`, and `logs-previous.txt` for crashed instances.
pub(crate) fn is_log_file(name: &str) -> bool {
    let path = std::path::Path::new(name);
    name.starts_with("logs")
        && path
            .extension()
            .is_some_and(|ext| ext.eq_ignore_ascii_case("txt"))
}

/// Parses `C of pod NS/POD ====`.
fn parse_marker(rest: &str) -> Option<(String, String, String)> {
    let rest = rest.strip_suffix("====")?.trim_end();
    let (container, pod) = rest.split_once(" of pod ")?;
    let (namespace, pod) = pod.split_once('/')?;
    Some((namespace.to_owned(), pod.to_owned(), container.to_owned()))
}

/// Takes the log blocks out of `text`. Their lines are blanked rather than removed, so that
/// line numbers in whatever remains (a dump printed to stdout mixes JSON and logs) stay right.
pub(crate) fn extract(text: &str, previous: bool) -> (String, Vec<(LogTarget, String)>) {
    let mut rest = String::with_capacity(text.len());
    let mut logs = Vec::new();
    let mut open: Option<(LogTarget, String)> = None;
    for line in text.split_inclusive('\n') {
        let bare = line.trim_end_matches(['\n', '\r']);
        if let Some(marker) = bare.strip_prefix(START).and_then(parse_marker) {
            logs.extend(open.take());
            let (namespace, pod, container) = marker;
            open = Some((
                LogTarget {
                    namespace,
                    pod,
                    container,
                    previous,
                },
                String::new(),
            ));
        } else if bare.starts_with(END) {
            logs.extend(open.take());
        } else if let Some((_, body)) = open.as_mut() {
            body.push_str(bare);
            body.push('\n');
        } else {
            rest.push_str(line);
            continue;
        }
        rest.push('\n');
    }
    logs.extend(open);
    (rest, logs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_blocks_are_taken_out_and_line_numbers_kept() {
        let text = "{\"a\": 1}\n==== START logs for container api of pod shop/web-1 ====\nboom\n\
                    ==== END logs for container api of pod shop/web-1 ====\n{\"b\": 2}\n";
        let (rest, logs) = extract(text, true);
        assert_eq!(rest.lines().nth(4), Some("{\"b\": 2}"));
        assert_eq!(logs.len(), 1);
        assert_eq!(logs[0].0.pod, "web-1");
        assert_eq!(logs[0].0.container, "api");
        assert!(logs[0].0.previous);
        assert_eq!(logs[0].1, "boom\n");
    }
}
