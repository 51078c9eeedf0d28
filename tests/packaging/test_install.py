"""packaging/install.sh puts a working menu entry, launcher and icons in ~/.local, and removes them."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

from desktop_app import APP_NAME

ROOT = Path(__file__).resolve().parents[2]
INSTALL = ROOT / "packaging" / "install.sh"
ICON_FILES = (
    "scalable/apps/desktop-app.svg",
    "48x48/apps/desktop-app.png",
    "128x128/apps/desktop-app.png",
    "256x256/apps/desktop-app.png",
)


def make_bundle(where: Path, version: str) -> Path:
    """A folder shaped like dist/desktop-app (an executable that prints its version, resources/)."""
    bundle = where / APP_NAME
    (bundle / "_internal").mkdir(parents=True)
    shutil.copytree(ROOT / "resources", bundle / "_internal" / "resources")
    exe = bundle / APP_NAME
    exe.write_text(f"#!/bin/sh\necho '{APP_NAME} {version}'\n")
    exe.chmod(exe.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return bundle


def run_install(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {"HOME": str(home), "PATH": os.environ.get("PATH", "/usr/bin:/bin")}
    return subprocess.run(
        ["bash", str(INSTALL), *args], env=env, capture_output=True, text=True, check=False
    )


@pytest.fixture
def home(tmp_path: Path) -> Path:
    # A space in the home path is legal and must not break the menu entry.
    home = tmp_path / "home dir"
    home.mkdir()
    return home


def installed_entry(home: Path) -> dict[str, str]:
    text = (home / ".local/share/applications" / f"{APP_NAME}.desktop").read_text()
    return dict(line.split("=", 1) for line in text.splitlines() if "=" in line)


def test_install_gives_a_menu_entry_launcher_and_icons_that_start_the_app(
    home: Path, tmp_path: Path
) -> None:
    bundle = make_bundle(tmp_path / "build", "1.0")
    result = run_install(home, "--from", str(bundle))
    assert result.returncode == 0, result.stderr

    opt = home / ".local/opt" / APP_NAME
    entry = installed_entry(home)
    assert entry["Exec"] == f'"{opt / APP_NAME}"'
    assert entry["TryExec"] == str(opt / APP_NAME)
    assert entry["Icon"] == APP_NAME
    for icon in ICON_FILES:
        assert (home / ".local/share/icons/hicolor" / icon).is_file(), icon

    launcher = home / ".local/bin" / APP_NAME
    assert launcher.is_symlink()
    started = subprocess.run([str(launcher)], capture_output=True, text=True, check=True)
    assert started.stdout.strip() == f"{APP_NAME} 1.0"


@pytest.mark.skipif(
    shutil.which("desktop-file-validate") is None, reason="desktop-file-utils not installed"
)
def test_installed_menu_entry_is_valid(home: Path, tmp_path: Path) -> None:
    assert run_install(home, "--from", str(make_bundle(tmp_path, "1.0"))).returncode == 0
    entry = home / ".local/share/applications" / f"{APP_NAME}.desktop"
    result = subprocess.run(
        ["desktop-file-validate", str(entry)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout


def test_installing_again_replaces_the_old_version(home: Path, tmp_path: Path) -> None:
    assert run_install(home, "--from", str(make_bundle(tmp_path / "a", "1.0"))).returncode == 0
    assert run_install(home, "--from", str(make_bundle(tmp_path / "b", "2.0"))).returncode == 0
    launcher = home / ".local/bin" / APP_NAME
    started = subprocess.run([str(launcher)], capture_output=True, text=True, check=True)
    assert started.stdout.strip() == f"{APP_NAME} 2.0"
    assert sorted(p.name for p in (home / ".local/opt").iterdir()) == [APP_NAME]


def test_uninstall_removes_everything_it_installed_and_keeps_user_data(
    home: Path, tmp_path: Path
) -> None:
    user_data = home / ".local/share" / APP_NAME / "profiles" / "default"
    user_data.mkdir(parents=True)
    assert run_install(home, "--from", str(make_bundle(tmp_path, "1.0"))).returncode == 0

    result = run_install(home, "--uninstall")

    assert result.returncode == 0, result.stderr
    assert not (home / ".local/opt" / APP_NAME).exists()
    assert not (home / ".local/bin" / APP_NAME).exists()
    assert not (home / ".local/share/applications" / f"{APP_NAME}.desktop").exists()
    assert not any((home / ".local/share/icons/hicolor" / icon).exists() for icon in ICON_FILES)
    assert user_data.is_dir()


def test_install_without_a_build_says_what_to_do(home: Path, tmp_path: Path) -> None:
    result = run_install(home, "--from", str(tmp_path))
    assert result.returncode != 0
    assert "not an executable" in result.stderr
    assert not (home / ".local/opt" / APP_NAME).exists()
