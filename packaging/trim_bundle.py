"""Delete the Qt plugins, translations, QML and libraries a built bundle cannot use, then prove nothing left needs them."""

from __future__ import annotations

import argparse
import shutil
import struct
import sys
from collections.abc import Iterable
from pathlib import Path

# Plugin folders the app uses, and within some of them the only plugins worth keeping.
# platforms: X11, Wayland and offscreen (--self-test, screenshots); the rest are for devices.
KEEP_PLUGINS: dict[str, tuple[str, ...] | None] = {
    "platforms": ("libqxcb", "libqwayland", "libqoffscreen"),
    # The XDG portal theme gives the desktop's colour scheme and dialogs. The GTK 3 theme is left
    # out: it drags in a bundled GLib/Cairo/Pango that clash with the system's libgtk-3.
    "platformthemes": ("libqxdgdesktopportal",),
    "platforminputcontexts": None,  # compose key, IBus: typing accents and CJK in the composer
    "iconengines": ("libqsvgicon",),
    "imageformats": ("libqsvg", "libqico", "libqjpeg", "libqgif"),
    "xcbglintegrations": None,
    "wayland-decoration-client": None,
    "wayland-graphics-integration-client": None,
    "wayland-shell-integration": None,
}
# Whole folders of the Qt tree the app never reads (the app's UI is English only).
DROP_QT_DIRS = ("translations", "qml", "metatypes", "libexec")
# Libraries opened with dlopen() (by the bootloader, Qt or Python), so no DT_NEEDED entry names
# them: never delete these for looking unused.
DLOPENED = ("libpython", "libdbus-1", "libssl", "libcrypto", "libgcc_s")
ELF_MAGIC = b"\x7fELF"
SHT_DYNAMIC = 6
DT_NEEDED = 1
MIB = 1024 * 1024


def needed_libraries(path: Path) -> list[str]:
    """The DT_NEEDED entries of a 64-bit little-endian ELF file (empty for anything else)."""
    data = path.read_bytes()
    if data[:4] != ELF_MAGIC or data[4] != 2 or data[5] != 1:
        return []
    (shoff,) = struct.unpack_from("<Q", data, 0x28)
    shentsize, shnum = struct.unpack_from("<HH", data, 0x3A)
    sections = [
        struct.unpack_from("<IIQQQQIIQQ", data, shoff + i * shentsize) for i in range(shnum)
    ]
    names: list[str] = []
    for _name, kind, _flags, _addr, offset, size, link, _info, _align, _entsize in sections:
        if kind != SHT_DYNAMIC:
            continue
        str_offset = sections[link][4]
        for pos in range(offset, offset + size, 16):
            tag, value = struct.unpack_from("<qQ", data, pos)
            if tag == DT_NEEDED:
                end = data.index(b"\0", str_offset + value)
                names.append(data[str_offset + value : end].decode())
    return names


def elf_files(root: Path) -> list[Path]:
    """Every ELF file under `root` (symlinks skipped: their target is counted once)."""
    found = []
    for path in root.rglob("*"):
        if path.is_file() and not path.is_symlink():
            with path.open("rb") as handle:
                if handle.read(4) == ELF_MAGIC:
                    found.append(path)
    return found


def tree_size(root: Path) -> int:
    """Bytes of all regular files under `root`."""
    return sum(p.stat().st_size for p in root.rglob("*") if p.is_file() and not p.is_symlink())


def library_paths(root: Path) -> dict[str, list[Path]]:
    """Shared libraries (files and symlinks, not Python extension modules) under `root`, by name."""
    found: dict[str, list[Path]] = {}
    for path in root.rglob("lib*.so*"):
        if ".cpython-" not in path.name and ".abi3." not in path.name:
            found.setdefault(path.name, []).append(path)
    return found


class Trimmer:
    """Deletes parts of one bundle and remembers what, and what the deleted parts linked to."""

    def __init__(self, bundle: Path) -> None:
        self.bundle = bundle
        self.removed: list[Path] = []
        # Libraries that may have become unused: those the deleted files linked to.
        self.candidates: set[str] = set()

    def remove(self, path: Path) -> None:
        """Delete a file, symlink or folder, noting the libraries its ELF files needed."""
        if path.is_dir() and not path.is_symlink():
            for elf in elf_files(path):
                self.candidates.update(needed_libraries(elf))
            shutil.rmtree(path)
        else:
            if path.is_file() and not path.is_symlink():
                self.candidates.update(needed_libraries(path))
            path.unlink()
        self.removed.append(path)

    def trim_plugins(self, plugins: Path) -> None:
        """Keep only the plugin folders (and plugins) in KEEP_PLUGINS."""
        for folder in sorted(p for p in plugins.iterdir() if p.is_dir()):
            keep = KEEP_PLUGINS.get(folder.name, ())
            if keep == ():
                self.remove(folder)
            elif keep is not None:
                for plugin in sorted(folder.iterdir()):
                    if not plugin.name.startswith(keep):
                        self.remove(plugin)

    def prune_orphans(self) -> None:
        """Delete candidate libraries that nothing left in the bundle links to, until none is left."""
        while True:
            wanted = {name for elf in elf_files(self.bundle) for name in needed_libraries(elf)}
            libraries = library_paths(self.bundle)
            orphans = sorted(
                name
                for name in self.candidates
                if name in libraries and name not in wanted and not name.startswith(DLOPENED)
            )
            if not orphans:
                return
            for name in orphans:
                self.candidates.discard(name)
                for path in libraries[name]:
                    self.remove(path)

    def remove_dangling_symlinks(self) -> None:
        """PyInstaller links top-level names to libraries in sub-folders; drop links to deleted ones."""
        for path in sorted(self.bundle.rglob("*")):
            if path.is_symlink() and not path.exists():
                self.remove(path)


def check_no_dangling(bundle: Path, removed: Iterable[Path]) -> list[str]:
    """Problems: a remaining ELF file that needs a library this script deleted."""
    removed_names = {p.name for p in removed}
    present = set(library_paths(bundle))
    problems = []
    for elf in elf_files(bundle):
        for name in needed_libraries(elf):
            if name in removed_names and name not in present:
                problems.append(f"{elf.relative_to(bundle)} needs {name}, which was removed")
    return problems


def main(argv: list[str] | None = None) -> int:
    """Trim the bundle folder given on the command line and print its size before and after."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("bundle", type=Path, help="the built folder, e.g. dist/desktop-app")
    args = parser.parse_args(argv)
    bundle: Path = args.bundle
    qt_dirs = [p for p in bundle.rglob("PySide6/Qt") if p.is_dir()]
    if len(qt_dirs) != 1:
        print(f"trim: expected one PySide6/Qt folder in {bundle}, found {qt_dirs}", file=sys.stderr)
        return 2
    qt = qt_dirs[0]
    before = tree_size(bundle)
    trimmer = Trimmer(bundle)
    for name in DROP_QT_DIRS:
        if (qt / name).exists():
            trimmer.remove(qt / name)
    if (qt / "plugins").is_dir():
        trimmer.trim_plugins(qt / "plugins")
    # Qt's own libraries stay only if something links to them (the excluded modules' do not).
    trimmer.candidates.update(p.name for p in (qt / "lib").glob("libQt6*"))
    trimmer.prune_orphans()
    trimmer.remove_dangling_symlinks()
    removed = trimmer.removed
    after = tree_size(bundle)
    for path in removed:
        print(f"trim: removed {path.relative_to(bundle)}")
    print(
        f"trim: bundle {before / MIB:.1f} MiB before, {after / MIB:.1f} MiB after trimming "
        f"({(before - after) / MIB:.1f} MiB removed)"
    )
    problems = check_no_dangling(bundle, removed)
    for problem in problems:
        print(f"trim: BROKEN: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
