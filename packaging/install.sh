#!/usr/bin/env bash
# Install the built desktop-app folder for the current user (~/.local), with menu entry and icons; --uninstall removes it.
#
#   desktop-app/install.sh               from an unpacked desktop-app-<version>-linux-<arch>.tar.gz
#   packaging/install.sh                 from a checkout, after `make package` (uses dist/desktop-app)
#   packaging/install.sh --from DIR      any built folder
#   packaging/install.sh --uninstall     removes everything this script installed
set -euo pipefail

APP=desktop-app
OPT_DIR="$HOME/.local/opt/$APP"
BIN_DIR="$HOME/.local/bin"
DATA_DIR="${XDG_DATA_HOME:-$HOME/.local/share}"
APPS_DIR="$DATA_DIR/applications"
ICON_ROOT="$DATA_DIR/icons/hicolor"
ICON_FILES=(scalable/apps/$APP.svg 48x48/apps/$APP.png 128x128/apps/$APP.png 256x256/apps/$APP.png)

say() { printf '%s: %s\n' "$APP" "$*"; }
die() { printf '%s: error: %s\n' "$APP" "$*" >&2; exit 1; }

refresh_caches() {
  # Menus and icon themes cache their contents; both tools are optional.
  if command -v update-desktop-database >/dev/null 2>&1; then
    update-desktop-database -q "$APPS_DIR" || true
  fi
  # Only refresh an icon cache that exists: creating one in ~/.local would hide icons that other
  # programs add later without refreshing it.
  if command -v gtk-update-icon-cache >/dev/null 2>&1 && [[ -f "$ICON_ROOT/icon-theme.cache" ]]; then
    gtk-update-icon-cache -q -f -t "$ICON_ROOT" || true
  fi
}

uninstall() {
  rm -rf "$OPT_DIR" "$OPT_DIR.new" "$OPT_DIR.old"
  # Only our own symlink, never a file of the same name that something else put there.
  if [[ -L "$BIN_DIR/$APP" ]]; then rm -f "$BIN_DIR/$APP"; fi
  rm -f "$APPS_DIR/$APP.desktop"
  for icon in "${ICON_FILES[@]}"; do rm -f "$ICON_ROOT/$icon"; done
  refresh_caches
  say "uninstalled (your profiles and messages in ~/.config/$APP and ~/.local/share/$APP are kept)"
}

find_bundle() {
  local here
  here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
  if [[ -x "$here/$APP" && -d "$here/_internal" ]]; then
    echo "$here"  # the script ships inside the built folder
  elif [[ -x "$here/../dist/$APP/$APP" ]]; then
    (cd "$here/../dist/$APP" && pwd)  # run from a checkout
  else
    die "no built $APP folder next to this script or in dist/; run 'make package' or pass --from DIR"
  fi
}

install() {
  local bundle="$1" resources
  [[ -x "$bundle/$APP" ]] || die "$bundle/$APP is not an executable"
  resources="$bundle/_internal/resources"
  [[ -f "$resources/$APP.desktop" ]] || die "$resources/$APP.desktop is missing: not a complete build"

  # Copy beside the old install, then swap, so a failed copy never leaves a half-installed app.
  mkdir -p "$(dirname "$OPT_DIR")"
  rm -rf "$OPT_DIR.new" "$OPT_DIR.old"
  cp -a "$bundle/." "$OPT_DIR.new/"
  if [[ -e "$OPT_DIR" ]]; then mv "$OPT_DIR" "$OPT_DIR.old"; fi
  mv "$OPT_DIR.new" "$OPT_DIR"
  rm -rf "$OPT_DIR.old"

  mkdir -p "$BIN_DIR"
  ln -sfn "$OPT_DIR/$APP" "$BIN_DIR/$APP"

  # The menu entry runs the installed executable by its full path: ~/.local/bin is not on
  # every desktop session's PATH.
  local exec_path="$OPT_DIR/$APP"
  if [[ "$exec_path" == *" "* ]]; then exec_path="\"$exec_path\""; fi  # the spec's quoting for a path with spaces
  mkdir -p "$APPS_DIR"
  sed -e "s|^Exec=$APP|Exec=$exec_path|" -e "s|^TryExec=$APP\$|TryExec=$OPT_DIR/$APP|" \
    "$resources/$APP.desktop" >"$APPS_DIR/$APP.desktop"
  chmod 644 "$APPS_DIR/$APP.desktop"

  for icon in "${ICON_FILES[@]}"; do
    mkdir -p "$(dirname "$ICON_ROOT/$icon")"
    cp "$resources/hicolor/$icon" "$ICON_ROOT/$icon"
  done
  refresh_caches

  say "installed into $OPT_DIR"
  say "menu entry $APPS_DIR/$APP.desktop, launcher $BIN_DIR/$APP"
  case ":$PATH:" in
    *":$BIN_DIR:"*) ;;
    *) say "note: $BIN_DIR is not on your PATH; start it from the menu or as $OPT_DIR/$APP" ;;
  esac
}

main() {
  local from=""
  while [[ $# -gt 0 ]]; do
    case "$1" in
      --uninstall) uninstall; return ;;
      --from) [[ $# -ge 2 ]] || die "--from needs a folder"; from="$2"; shift 2 ;;
      -h|--help) sed -n '2,7p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; return ;;
      *) die "unknown option $1 (try --help)" ;;
    esac
  done
  if [[ -z "$from" ]]; then from="$(find_bundle)"; fi
  install "$(cd "$from" && pwd)"
}

main "$@"
