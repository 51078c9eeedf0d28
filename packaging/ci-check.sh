#!/usr/bin/env bash
# CI: build the desktop bundle from this checkout, then run the built executable's --version and
# --self-test where no Python is reachable, so a missing hidden import, plugin or resource fails.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$(pwd)"
APP=desktop-app
EXE="$ROOT/dist/$APP/$APP"
# The self-test bounds itself at 60 s; this only catches a hang before it starts.
RUN_TIMEOUT=120

say() { printf 'ci-check: %s\n' "$*"; }

bash packaging/build.sh
[[ -x "$EXE" ]] || { say "no executable at $EXE"; exit 1; }
# The same `ldd` a user's machine would do: libraries the bundle needs but neither ships nor finds.
# (System libraries for X11/Wayland may be absent on a headless CI machine; report, don't fail.)
if command -v ldd >/dev/null 2>&1; then
  missing="$(LD_LIBRARY_PATH="$ROOT/dist/$APP/_internal" ldd "$EXE" "$ROOT/dist/$APP/_internal/"lib*.so* 2>/dev/null |
    grep 'not found' | sort -u || true)"
  [[ -z "$missing" ]] || say "note: unresolved system libraries: $(echo "$missing" | tr -s ' \n' ' ')"
fi

expected_version="$(.venv/bin/python -c 'import desktop_app; print(desktop_app.__version__)')"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/home" "$work/bin"
# A clean environment: a fresh HOME, a PATH with nothing on it, no PYTHON* variables.
clean_env=(env -i "HOME=$work/home" "PATH=$work/bin" "LANG=C.UTF-8" "TMPDIR=/tmp")

# Where we may (root, util-linux unshare), hide every Python on the machine from the bundle
# by mounting empty folders over them in a private mount namespace; else rely on the clean PATH.
hide_python=()
if [[ "$(id -u)" == 0 ]] && unshare -m --propagation private true 2>/dev/null; then
  masks=""
  for dir in /usr/lib/python3* /usr/local/lib/python3* /opt/python* /root/.pyenv "$ROOT/.venv"; do
    [[ -d "$dir" ]] && masks+="mount --bind '$work/bin' '$dir'; "
  done
  for exe in /usr/bin/python* /usr/local/bin/python* /bin/python*; do
    [[ -f "$exe" && ! -L "$exe" ]] && masks+="mount --bind /dev/null '$exe'; "
  done
  hide_python=(unshare -m --propagation private bash -c "${masks}exec \"\$@\"" hide-python)
  say "running the bundle with every Python on this machine hidden (mount namespace)"
else
  say "running the bundle with no Python on PATH (no mount namespace available here)"
fi

run() {
  timeout "$RUN_TIMEOUT" "${hide_python[@]}" "${clean_env[@]}" "$EXE" "$@"
}

version_output="$(run --version)"
say "--version: $version_output"
if [[ "$version_output" != *"$expected_version"* ]]; then
  say "FAILED: --version does not name version $expected_version"
  exit 1
fi

if ! run --self-test; then
  say "FAILED: the built executable's --self-test"
  exit 1
fi
say "the built bundle passed --version and --self-test"
