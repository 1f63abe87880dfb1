//! The k9s plugin of `deploy/k9s/plugins.yaml`: it follows k9s's plugin schema, and the command
//! it runs, filled in as k9s fills it in for a Deployment, explains that Deployment.

use serde_yaml_ng::Value;

use crate::support::{kubewhy, repo_path};

/// The keys k9s's plugin schema allows, and the ones it requires.
const ALLOWED: [&str; 11] = [
    "shortCut",
    "override",
    "description",
    "confirm",
    "dangerous",
    "scopes",
    "command",
    "background",
    "overwriteOutput",
    "args",
    "inputs",
];
const REQUIRED: [&str; 4] = ["shortCut", "description", "scopes", "command"];

fn plugin() -> Value {
    let text = std::fs::read_to_string(repo_path("deploy/k9s/plugins.yaml")).expect("the plugin");
    let file: Value = serde_yaml_ng::from_str(&text).expect("valid YAML");
    let plugins = file["plugins"].as_mapping().expect("a `plugins` mapping");
    assert_eq!(plugins.len(), 1, "{plugins:?}");
    plugins["kubewhy-explain"].clone()
}

/// The plugin's arguments as k9s passes them for `deployments/checkout` in `shop`.
fn filled_in(arg: &str) -> String {
    // Longest first: `$NAME` is a prefix of `$NAMESPACE`.
    arg.replace("$RESOURCE_NAME", "deployments")
        .replace("$NAMESPACE", "shop")
        .replace("$CONTEXT", "prod")
        .replace("$NAME", "checkout")
}

#[test]
fn the_k9s_plugin_follows_the_schema_and_binds_shift_e() {
    let plugin = plugin();
    let keys: Vec<&str> = plugin
        .as_mapping()
        .expect("a mapping")
        .keys()
        .filter_map(Value::as_str)
        .collect();
    for key in &keys {
        assert!(ALLOWED.contains(key), "k9s does not know `{key}`");
    }
    for key in REQUIRED {
        assert!(keys.contains(&key), "k9s needs `{key}`");
    }
    assert_eq!(plugin["shortCut"].as_str(), Some("Shift-E"));
    assert_eq!(plugin["scopes"][0].as_str(), Some("all"));
    assert_eq!(plugin["command"].as_str(), Some("sh"));
    // In the foreground, so that the pager has the terminal.
    assert_eq!(plugin["background"].as_bool(), Some(false));
    let args: Vec<&str> = plugin["args"]
        .as_sequence()
        .expect("args")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(args.len(), 2, "{args:?}");
    assert_eq!(args[0], "-c");
    assert!(
        args[1].starts_with(
            r#"kubewhy --color always explain "$RESOURCE_NAME/$NAME" -n "$NAMESPACE" --context "$CONTEXT""#
        ),
        "{}",
        args[1]
    );
    assert!(args[1].ends_with("| less -RK"), "{}", args[1]);
}

#[test]
fn the_plugins_command_explains_the_object_k9s_names() {
    let plugin = plugin();
    let script = filled_in(plugin["args"][1].as_str().expect("the script"));
    let command = script.split(" 2>&1").next().expect("the kubewhy command");
    let mut words: Vec<String> = command
        .split_whitespace()
        .map(|w| w.trim_matches('"').to_owned())
        .collect();
    assert_eq!(words.remove(0), "kubewhy");
    assert_eq!(
        words,
        [
            "--color",
            "always",
            "explain",
            "deployments/checkout",
            "-n",
            "shop",
            "--context",
            "prod"
        ]
    );
    // The demo stands in for the cluster of the context.
    words.truncate(words.len() - 2);
    words.push("--demo".to_owned());
    let args: Vec<&str> = words.iter().map(String::as_str).collect();
    let run = kubewhy(&args);
    assert!(run.code == 0 || run.code == 1, "{}", run.stderr);
    assert!(
        run.stdout.contains("Deployment/checkout in namespace shop"),
        "{}",
        run.stdout
    );
}
