use std::collections::HashMap;

use super::*;

fn env(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<OsString> + use<> {
    let vars: HashMap<String, String> = vars
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    move |name| vars.get(name).map(OsString::from)
}

const FULL: &str = r#"
default_backend = "work"

[scrub]
patterns = ["acme-[a-z]+"]

[backends.work]
kind = "azure"
endpoint = "https://example.openai.azure.com"
deployment = "gpt-4o"
api_version = "2024-10-21"
api_key_env = "WORK_KEY"
headers = { "X-Team" = "sre" }
context_window = 64000
max_concurrency = 2
price = { input = 2.5, output = 10.0 }
trusted = true

[backends.laptop]
kind = "ollama"
model = "llama3.2"
base_url = "http://127.0.0.1:11434/v1"
"#;

#[test]
fn a_full_config_parses_and_leaves_other_tables_alone() {
    let config = Config::parse(FULL, Path::new("config.toml")).unwrap();
    let (name, work) = config.default_profile().unwrap();
    assert_eq!(name, "work");
    assert_eq!(work.kind, BackendKind::Azure);
    assert_eq!(work.deployment.as_deref(), Some("gpt-4o"));
    assert_eq!(work.headers.get("X-Team").map(String::as_str), Some("sre"));
    assert_eq!(work.context_window, Some(64_000));
    assert_eq!(work.max_concurrency, Some(2));
    assert!(work.trusted);
    let cost = work.price.unwrap().cost(Usage {
        prompt_tokens: 1_000_000,
        completion_tokens: 100_000,
    });
    assert!((cost - 3.5).abs() < 1e-9, "{cost}");
    assert_eq!(config.profile("laptop").unwrap().kind, BackendKind::Ollama);
    let again = Config::parse(&config.to_toml().unwrap(), Path::new("x")).unwrap();
    assert_eq!(again, config);
}

#[test]
fn a_key_in_the_config_is_refused_with_the_way_out() {
    let text = "[backends.x]\nkind = \"openai\"\nmodel = \"gpt-4o\"\napi_key = \"sk-123\"\n";
    let error = Config::parse(text, Path::new("/etc/kw.toml"))
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("/etc/kw.toml") && error.contains("backend `x`"),
        "{error}"
    );
    assert!(
        error.contains("api_key_env") && error.contains("api_key_file"),
        "{error}"
    );
    assert!(!error.contains("sk-123"), "{error}");
}

#[test]
fn a_misspelt_setting_names_its_line() {
    let text = "[backends.x]\nkind = \"openai\"\nmodle = \"gpt-4o\"\n";
    let error = Config::parse(text, Path::new("c.toml"))
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("c.toml") && error.contains("line 3") && error.contains("modle"),
        "{error}"
    );
    let kind =
        Config::parse("[backends.x]\nkind = \"bedrock\"\n", Path::new("c.toml")).unwrap_err();
    assert!(kind.to_string().contains("bedrock"), "{kind}");
}

#[test]
fn an_unknown_default_lists_the_profiles() {
    let text = "default_backend = \"nope\"\n[backends.a]\nkind = \"local\"\n[backends.b]\nkind = \"local\"\n";
    let error = Config::parse(text, Path::new("c.toml"))
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("`nope`") && error.contains("configured: a, b"),
        "{error}"
    );
    let none = Config::default().profile("x").unwrap_err().to_string();
    assert!(none.contains("none is configured"), "{none}");
}

#[test]
fn keys_come_from_the_named_variable_or_the_kinds_default() {
    let mut openai = Profile::new(BackendKind::OpenAi);
    let key = openai
        .api_key("p", &env(&[("OPENAI_API_KEY", " sk-a \n")]))
        .unwrap()
        .unwrap();
    assert_eq!(key.expose(), "sk-a");
    assert!(openai.api_key("p", &env(&[])).unwrap().is_none());
    openai.api_key_env = Some("TEAM_KEY".into());
    assert_eq!(
        openai
            .api_key("p", &env(&[("TEAM_KEY", "sk-b")]))
            .unwrap()
            .unwrap()
            .expose(),
        "sk-b"
    );
    let unset = openai
        .api_key("p", &env(&[("OPENAI_API_KEY", "sk-a")]))
        .unwrap_err()
        .to_string();
    assert!(
        unset.contains("TEAM_KEY") && unset.contains("not set"),
        "{unset}"
    );
    let empty = openai
        .api_key("p", &env(&[("TEAM_KEY", "  ")]))
        .unwrap_err()
        .to_string();
    assert!(empty.contains("empty"), "{empty}");
    assert!(
        Profile::new(BackendKind::Local)
            .api_key("p", &env(&[("OPENAI_API_KEY", "x")]))
            .unwrap()
            .is_none()
    );
}

#[cfg(unix)]
#[test]
fn a_key_file_must_be_private() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("key");
    std::fs::write(&path, "sk-file\n").unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let mut profile = Profile::new(BackendKind::Azure);
    profile.api_key_file = Some(path.clone());
    let error = profile.api_key("work", &env(&[])).unwrap_err().to_string();
    assert!(
        error.contains("others, or a group other than kubewhy's") && error.contains("0644"),
        "{error}"
    );
    assert!(
        error.contains(&format!("chmod 600 {}", path.display())),
        "{error}"
    );
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    assert_eq!(
        profile
            .api_key("work", &env(&[]))
            .unwrap()
            .unwrap()
            .expose(),
        "sk-file"
    );
    // The `_FILE` variant of the default variable is checked the same way.
    let by_var = Profile::new(BackendKind::Azure);
    let path_text = path.to_str().unwrap();
    let vars = env(&[("AZURE_OPENAI_API_KEY_FILE", path_text)]);
    assert_eq!(
        by_var.api_key("work", &vars).unwrap().unwrap().expose(),
        "sk-file"
    );
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
    assert!(by_var.api_key("work", &vars).is_err());
}

#[test]
fn the_config_is_found_by_flag_then_variable_then_xdg() {
    let vars = env(&[
        ("KUBEWHY_CONFIG", "/v/c.toml"),
        ("XDG_CONFIG_HOME", "/x"),
        ("HOME", "/h"),
    ]);
    let flag = Config::locate(Some(Path::new("/f.toml")), &vars).unwrap();
    assert_eq!((flag.path, flag.explicit), (PathBuf::from("/f.toml"), true));
    assert_eq!(
        Config::locate(None, &vars).unwrap().path,
        PathBuf::from("/v/c.toml")
    );
    let xdg = Config::locate(None, &env(&[("XDG_CONFIG_HOME", "/x"), ("HOME", "/h")])).unwrap();
    assert_eq!(
        (xdg.path, xdg.explicit),
        (PathBuf::from("/x/kubewhy/config.toml"), false)
    );
    // A relative XDG value is ignored, as the spec says.
    let home = Config::locate(None, &env(&[("XDG_CONFIG_HOME", "rel"), ("HOME", "/h")])).unwrap();
    assert_eq!(home.path, PathBuf::from("/h/.config/kubewhy/config.toml"));
    assert_eq!(
        cache_dir(&env(&[("HOME", "/h")])),
        Some(PathBuf::from("/h/.cache/kubewhy"))
    );
    assert_eq!(
        cache_dir(&env(&[("XDG_CACHE_HOME", "/c")])),
        Some(PathBuf::from("/c/kubewhy"))
    );
}

#[test]
fn a_missing_default_file_is_empty_but_a_named_one_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().to_str().unwrap().to_owned();
    let config = Config::load(None, &env(&[("HOME", &home)])).unwrap();
    assert!(config.backends.is_empty());
    let missing = dir.path().join("nope.toml");
    let error = Config::load(Some(&missing), &env(&[]))
        .unwrap_err()
        .to_string();
    assert!(error.contains("nope.toml"), "{error}");
    let file = dir.path().join("c.toml");
    std::fs::write(&file, FULL).unwrap();
    let file_text = file.to_str().unwrap().to_owned();
    let loaded = Config::load(None, &env(&[("KUBEWHY_CONFIG", &file_text)])).unwrap();
    assert_eq!(loaded.default_backend.as_deref(), Some("work"));
}
