# Shared by the tool installers. The sourcing script defines `say` first.

# Debian package installs, for a machine that lacks a prerequisite. Needs root.
apt_install() {
  if [[ $(id -u) -ne 0 ]] || ! command -v apt-get >/dev/null; then
    say "cannot install $* (needs root and apt-get); install it and run this again"
    exit 1
  fi
  say "installing $*"
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >&2
}
