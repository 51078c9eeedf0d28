"""packaging/trim_bundle.py removes what a desktop chat app cannot use and keeps what it links to."""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path
from types import ModuleType

import PySide6
import pytest

ROOT = Path(__file__).resolve().parents[2]
QT = Path(PySide6.__file__).resolve().parent / "Qt"


def load_trim() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "trim_bundle", ROOT / "packaging" / "trim_bundle.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


trim = load_trim()


@pytest.fixture
def bundle(tmp_path: Path) -> Path:
    """A small bundle laid out as PyInstaller does, from the real Qt files of the venv."""
    bundle = tmp_path / "desktop-app"
    qt = bundle / "_internal" / "PySide6" / "Qt"
    for rel in (
        "plugins/platforms/libqoffscreen.so",
        "plugins/platforms/libqeglfs.so",
        "plugins/generic/libqevdevkeyboardplugin.so",
        "lib/libQt6Core.so.6",
        "lib/libQt6Gui.so.6",
        "lib/libQt6OpenGL.so.6",
        "lib/libQt6EglFSDeviceIntegration.so.6",
    ):
        (qt / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(QT / rel, qt / rel)
    (qt / "translations").mkdir()
    (qt / "translations" / "qtbase_de.qm").write_bytes(b"\0" * 1024)
    # PyInstaller links top-level names to libraries it collected into sub-folders.
    for name in ("libQt6Core.so.6", "libQt6EglFSDeviceIntegration.so.6"):
        (bundle / "_internal" / name).symlink_to(Path("PySide6/Qt/lib") / name)
    return bundle


def test_needed_libraries_reads_what_a_plugin_links_to() -> None:
    needed = trim.needed_libraries(QT / "plugins" / "platforms" / "libqoffscreen.so")
    assert "libQt6Gui.so.6" in needed
    assert "libQt6Core.so.6" in needed
    assert trim.needed_libraries(ROOT / "README.md") == []


def test_trim_drops_unused_plugins_translations_and_the_libraries_only_they_needed(
    bundle: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    qt = bundle / "_internal" / "PySide6" / "Qt"

    assert trim.main([str(bundle)]) == 0

    left = sorted(str(p.relative_to(bundle)) for p in bundle.rglob("*") if not p.is_dir())
    assert left == [
        "_internal/PySide6/Qt/lib/libQt6Core.so.6",
        "_internal/PySide6/Qt/lib/libQt6Gui.so.6",
        "_internal/PySide6/Qt/plugins/platforms/libqoffscreen.so",
        "_internal/libQt6Core.so.6",
    ]
    assert not (qt / "translations").exists()
    out = capsys.readouterr().out
    assert "MiB before" in out and "MiB after trimming" in out


def test_a_library_removed_while_still_needed_is_reported(bundle: Path) -> None:
    trimmer = trim.Trimmer(bundle)
    trimmer.remove(bundle / "_internal" / "PySide6" / "Qt" / "lib" / "libQt6Gui.so.6")

    problems = trim.check_no_dangling(bundle, trimmer.removed)

    assert any("libqoffscreen.so needs libQt6Gui.so.6" in p for p in problems)
