#!/usr/bin/env bash
# `make package`: a clean one-folder PyInstaller build in dist/desktop-app/, trimmed, plus a .tar.gz of it.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON="${PYTHON:-python3}"
VENV=.venv
BIN="$VENV/bin"
DIST=dist
WORK=build/pyinstaller
APP=desktop-app

# Only the venv's packages may end up in the bundle: no PYTHONPATH, no user site (a system-wide
# PySide6 could otherwise shadow the venv's).
unset PYTHONPATH PYTHONHOME
export PYTHONNOUSERSITE=1

[[ -x "$BIN/python" ]] || "$PYTHON" -m venv "$VENV"
# PyInstaller is a build-only dependency: the `package` extra, never a runtime one.
"$BIN/python" -m pip install --quiet -e '.[package]'

version="$("$BIN/python" -c 'import desktop_app; print(desktop_app.__version__)')"
arch="$(uname -m)"
archive="$DIST/$APP-$version-linux-$arch.tar.gz"

echo "build: $APP $version for linux-$arch"
rm -rf "$WORK" "$DIST/$APP" "$archive"
"$BIN/python" -m PyInstaller --noconfirm --clean --log-level WARN \
  --distpath "$DIST" --workpath "$WORK" packaging/$APP.spec

# Deletes unused Qt plugins, translations and libraries; prints the size before and after,
# and fails if anything left behind links to what it removed.
if ! "$BIN/python" packaging/trim_bundle.py "$DIST/$APP" >"$WORK/trim.log"; then
  cat "$WORK/trim.log"
  exit 1
fi
grep -v '^trim: removed' "$WORK/trim.log"

# The installer travels inside the folder, so the unpacked archive installs itself.
install -m 755 packaging/install.sh "$DIST/$APP/install.sh"

tar -C "$DIST" -czf "$archive" "$APP"
echo "build: $DIST/$APP/$APP ($(du -sh "$DIST/$APP" | cut -f1)), archive $archive ($(du -h "$archive" | cut -f1))"
