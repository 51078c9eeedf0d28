"""The icon set, the hicolor app icons and the menu entry are complete and well-formed."""

from __future__ import annotations

import configparser
import shutil
import subprocess
from pathlib import Path

import pytest
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QImage, QPainter
from PySide6.QtSvg import QSvgRenderer

from desktop_app import APP_NAME

ROOT = Path(__file__).resolve().parents[2]
RESOURCES = ROOT / "resources"
# Every icon the UI asks for (desktop_app/ui/icons.py) plus the tray's.
ICONS = (
    "app send new-group add-member leave-group search settings diagnostics retry discard pending failed "
    "arrow-down sun moon user group tray tray-unread new-window quit"
).split()
HICOLOR_PNG_SIZES = (48, 128, 256)


def render(svg: Path, size: int) -> QImage:
    """Draw an SVG the way Qt will in the app."""
    renderer = QSvgRenderer(str(svg))
    assert renderer.isValid(), f"{svg.name} is not valid SVG for Qt"
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    renderer.render(painter, QRectF(0, 0, size, size))
    painter.end()
    return image


def opaque_pixels(image: QImage) -> int:
    """How many pixels carry any ink."""
    return sum(
        1
        for y in range(image.height())
        for x in range(image.width())
        if image.pixelColor(x, y).alpha() > 0
    )


@pytest.mark.parametrize("name", ICONS)
def test_every_icon_draws_something_visible_at_16_px(qapp: object, name: str) -> None:
    svg = RESOURCES / "icons" / f"{name}.svg"
    assert svg.is_file(), f"resources/icons/{name}.svg is missing"
    assert "currentColor" not in svg.read_text(), "Qt's SVG renderer does not resolve currentColor"
    image = render(svg, 16)
    # A 16 px icon with almost no ink is unreadable (or an empty render of a broken file).
    assert opaque_pixels(image) > 16 * 16 // 10


def test_hicolor_has_the_app_icon_as_svg_and_at_each_png_size(qapp: object) -> None:
    hicolor = RESOURCES / "hicolor"
    scalable = hicolor / "scalable" / "apps" / f"{APP_NAME}.svg"
    assert scalable.read_bytes() == (RESOURCES / "icons" / "app.svg").read_bytes()
    for size in HICOLOR_PNG_SIZES:
        png = QImage(str(hicolor / f"{size}x{size}" / "apps" / f"{APP_NAME}.png"))
        assert (png.width(), png.height()) == (size, size)
        # The app icon is a filled tile: most of it is opaque.
        assert opaque_pixels(png) > size * size // 2


def read_entry() -> configparser.SectionProxy:
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # keys are case-sensitive
    parser.read(RESOURCES / f"{APP_NAME}.desktop", encoding="utf-8")
    return parser["Desktop Entry"]


def test_menu_entry_starts_the_app_with_its_icon_and_matches_its_windows() -> None:
    entry = read_entry()
    assert entry["Type"] == "Application"
    assert entry["Exec"].split()[0] == APP_NAME
    assert entry["Icon"] == APP_NAME
    # Window managers group windows under the entry by WM_CLASS, which Qt takes from the
    # executable's name; Wayland matches the desktop file name set by the app.
    assert entry["StartupWMClass"] == APP_NAME
    assert entry["Terminal"] == "false"
    assert {"Network", "InstantMessaging", "Chat"} <= set(entry["Categories"].strip(";").split(";"))


@pytest.mark.skipif(
    shutil.which("desktop-file-validate") is None, reason="desktop-file-utils not installed"
)
def test_menu_entry_passes_desktop_file_validate() -> None:
    result = subprocess.run(
        ["desktop-file-validate", str(RESOURCES / f"{APP_NAME}.desktop")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == ""


def test_the_app_names_itself_after_the_menu_entry() -> None:
    # Wayland compositors find the window's icon and menu entry by this name.
    from desktop_app.app import DESKTOP_FILE_NAME

    assert (RESOURCES / f"{DESKTOP_FILE_NAME}.desktop").is_file()


# The bundled emoji font stays trim (packaging/emoji_font.py leaves the skin-tone sequences out).
EMOJI_FONT_MAX_BYTES = 6_000_000


def test_the_emoji_font_and_its_licence_ship_in_resources() -> None:
    font = RESOURCES / "fonts" / "ChatEmoji.ttf"
    assert font.is_file() and font.stat().st_size < EMOJI_FONT_MAX_BYTES
    assert "SIL OPEN FONT LICENSE Version 1.1" in (RESOURCES / "fonts" / "OFL.txt").read_text()
    # The spec bundles the whole resources/ folder, font and licence texts included.
    spec = (ROOT / "packaging" / "desktop-app.spec").read_text()
    assert '(str(ROOT / "resources"), "resources")' in spec
