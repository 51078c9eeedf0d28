#!/usr/bin/env bash
# CI: build the desktop bundle, install it from its .tar.gz as a user would, and run the installed
# executable's --version and --self-test where no Python is reachable, so a missing hidden import,
# Qt plugin or resource fails CI.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$(pwd)"
APP=desktop-app
# The self-test bounds itself at 60 s; this only catches a hang before it starts.
RUN_TIMEOUT=120

say() { printf 'ci-check: %s\n' "$*"; }
fail() { say "FAILED: $*"; exit 1; }

bash packaging/build.sh

version="$(.venv/bin/python -c 'import desktop_app; print(desktop_app.__version__)')"
archive="$ROOT/dist/$APP-$version-linux-$(uname -m).tar.gz"
[[ -f "$archive" ]] || fail "no archive at $archive"

# Libraries the bundle needs but neither ships nor finds on this machine. System libraries for
# X11/Wayland may be absent on a headless CI machine: report them, don't fail.
if command -v ldd >/dev/null 2>&1; then
  missing="$(LD_LIBRARY_PATH="$ROOT/dist/$APP/_internal" ldd "$ROOT/dist/$APP/$APP" \
    "$ROOT/dist/$APP/_internal/"lib*.so* 2>/dev/null | grep 'not found' | sort -u || true)"
  [[ -z "$missing" ]] || say "note: unresolved system libraries: $(echo "$missing" | tr -s ' \n\t' ' ')"
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/home" "$work/empty" "$work/unpacked"
home="$work/home"

# Install from the archive, as the README tells a user to, then remove the unpacked folder so
# only the installed copy can run.
tar -C "$work/unpacked" -xzf "$archive"
HOME="$home" bash "$work/unpacked/$APP/install.sh"
rm -rf "$work/unpacked"
launcher="$home/.local/bin/$APP"
entry="$home/.local/share/applications/$APP.desktop"
[[ -x "$launcher" ]] || fail "install.sh left no launcher at $launcher"
[[ -f "$entry" ]] || fail "install.sh left no menu entry at $entry"
if command -v desktop-file-validate >/dev/null 2>&1; then
  desktop-file-validate "$entry" || fail "the installed menu entry is not valid"
  say "installed menu entry passes desktop-file-validate"
fi

# A clean environment: a fresh HOME, a PATH with nothing on it, no PYTHON* variables.
clean_env=(env -i "HOME=$home" "PATH=$work/empty" "LANG=C.UTF-8" "TMPDIR=/tmp")
# Where we may (root, util-linux unshare), hide every Python on the machine from the bundle
# by mounting empty folders over them in a private mount namespace; else rely on the clean PATH.
hide_python=()
if [[ "$(id -u)" == 0 ]] && unshare -m --propagation private true 2>/dev/null; then
  masks=""
  for dir in /usr/lib/python3* /usr/local/lib/python3* /opt/python* /root/.pyenv "$ROOT/.venv"; do
    if [[ -d "$dir" ]]; then masks+="mount --bind '$work/empty' '$dir'; "; fi
  done
  for exe in /usr/bin/python* /usr/local/bin/python* /bin/python*; do
    if [[ -f "$exe" && ! -L "$exe" ]]; then masks+="mount --bind /dev/null '$exe'; "; fi
  done
  hide_python=(unshare -m --propagation private bash -c "${masks}exec \"\$@\"" hide-python)
  say "running the installed app with every Python on this machine hidden (mount namespace)"
else
  say "running the installed app with no Python on PATH (no mount namespace available here)"
fi

run() {
  timeout "$RUN_TIMEOUT" "${hide_python[@]}" "${clean_env[@]}" "$launcher" "$@"
}

version_output="$(run --version)"
say "--version: $version_output"
[[ "$version_output" == *"$version"* ]] || fail "--version does not name version $version"

run --self-test || fail "the installed executable's --self-test"

HOME="$home" bash "$home/.local/opt/$APP/install.sh" --uninstall
[[ ! -e "$launcher" && ! -e "$entry" && ! -e "$home/.local/opt/$APP" ]] ||
  fail "install.sh --uninstall left files behind"
say "the bundle installed from $(basename "$archive") passed --version and --self-test, and uninstalled"
