#!/usr/bin/env bash
# Installs what the SARIF tests (tests/e2e/formats.rs) validate with, under ~/.cache/kubewhy:
# - the SARIF SDK's multitool and its SARIF 2.1.0 JSON schema (npm package
#   @microsoft/sarif-multitool-linux), and
# - Python's jsonschema, with its URI format checkers, in a venv.
# Idempotent, and quick once cached. Prints the `export` lines the tests read, or writes them to
# the file named by its argument:
#   bash .ci/sarif-tools.sh ~/.cache/kubewhy/sarif-tools.env && . ~/.cache/kubewhy/sarif-tools.env
set -euo pipefail

MULTITOOL_VERSION=5.7.0
JSONSCHEMA_VERSION=4.26.0

cache="$HOME/.cache/kubewhy"
prefix="$cache/npm"
package="$prefix/node_modules/@microsoft/sarif-multitool-linux"
multitool="$package/Sarif.Multitool"
schema="$package/sarif-2.1.0.json"
venv="$cache/venv"
python="$venv/bin/python"

say() { echo "sarif-tools: $*" >&2; }

# shellcheck source=.ci/lib.sh
. "$(dirname "$0")/lib.sh"

install_multitool() {
  if [[ -f "$package/package.json" ]] &&
    grep -q "\"version\": \"$MULTITOOL_VERSION\"" "$package/package.json"; then
    return
  fi
  command -v npm >/dev/null || apt_install nodejs npm
  say "installing @microsoft/sarif-multitool-linux@$MULTITOOL_VERSION"
  mkdir -p "$prefix"
  npm install --prefix "$prefix" --no-audit --no-fund --no-update-notifier --loglevel=error \
    "@microsoft/sarif-multitool-linux@$MULTITOOL_VERSION" >&2
}

install_jsonschema() {
  if [[ -x "$python" ]] && "$python" - "$JSONSCHEMA_VERSION" 2>/dev/null <<'EOF'; then
import importlib.metadata, sys
import rfc3986_validator  # noqa: F401 (the uri and uri-reference format checks need it)
sys.exit(importlib.metadata.version("jsonschema") != sys.argv[1])
EOF
    return
  fi
  command -v python3 >/dev/null || apt_install python3 python3-venv
  if [[ ! -x "$python" ]]; then
    say "creating the venv $venv"
    if ! python3 -m venv "$venv" >&2; then
      # Debian's python3 has no ensurepip without python3-venv.
      rm -rf "$venv"
      apt_install python3-venv
      python3 -m venv "$venv" >&2
    fi
  fi
  say "installing jsonschema $JSONSCHEMA_VERSION"
  "$python" -m pip install --quiet --disable-pip-version-check \
    "jsonschema[format-nongpl]==$JSONSCHEMA_VERSION" >&2
}

# The multitool is a self-contained .NET program: it needs libstdc++ and zlib, and ICU unless
# .NET runs in invariant globalization mode, which validation does not need.
multitool_env() {
  # npm may skip the package's postinstall, which makes the program executable.
  [[ -x "$multitool" ]] || chmod u+x "$multitool"
  if ldd "$multitool" 2>/dev/null | grep -q "not found"; then
    apt_install libstdc++6 zlib1g
  fi
  if ! ldconfig -p 2>/dev/null | grep -q "libicuuc\.so"; then
    say "no ICU found: running the multitool in invariant globalization mode"
    echo "export DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=1"
    export DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=1
  fi
  if ! "$multitool" --version >/dev/null 2>&1; then
    say "$multitool does not run:"
    "$multitool" --version >&2 || true
    exit 1
  fi
}

main() {
  install_multitool
  install_jsonschema
  local lines
  lines="$(multitool_env)"
  lines+="$(printf '\nexport %s=%q' \
    KUBEWHY_SARIF_MULTITOOL "$multitool" \
    KUBEWHY_SARIF_SCHEMA "$schema" \
    KUBEWHY_PYTHON "$python")"
  lines="${lines#$'\n'}"
  if [[ $# -gt 0 ]]; then
    mkdir -p "$(dirname "$1")"
    echo "$lines" >"$1"
  else
    echo "$lines"
  fi
}

main "$@"
