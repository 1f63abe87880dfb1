#!/usr/bin/env bash
# The MCP end-to-end tests drive kubewhy with the official MCP Python SDK's client. This puts
# `mcp` in the venv under ~/.cache/kubewhy (the one the SARIF validator uses) and prints the
# `export` line the tests read, or writes it to the file named by its argument:
#   bash .ci/python-tools.sh ~/.cache/kubewhy/python-tools.env && . ~/.cache/kubewhy/python-tools.env
set -euo pipefail
MCP_VERSION=2.3.0
venv="$HOME/.cache/kubewhy/venv"
python="$venv/bin/python"

say() { echo "python-tools: $*" >&2; }

# shellcheck source=.ci/lib.sh
. "$(dirname "$0")/lib.sh"

if ! [[ -x "$python" ]] || ! "$python" - "$MCP_VERSION" 2>/dev/null <<'PY'; then
import importlib.metadata, sys
sys.exit(importlib.metadata.version("mcp") != sys.argv[1])
PY
  command -v python3 >/dev/null || apt_install python3 python3-venv
  if [[ ! -x "$python" ]]; then
    say "creating the venv $venv"
    if ! python3 -m venv "$venv" >&2; then
      rm -rf "$venv"
      apt_install python3-venv
      python3 -m venv "$venv" >&2
    fi
  fi
  say "installing mcp $MCP_VERSION"
  "$python" -m pip install --quiet --disable-pip-version-check "mcp==$MCP_VERSION" >&2
fi

line="export KUBEWHY_PYTHON=$python"
if [[ $# -gt 0 ]]; then
  echo "$line" >"$1"
else
  echo "$line"
fi
