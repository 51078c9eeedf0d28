"""Render the app icon into the hicolor theme (SVG + PNG sizes) and draw a contact sheet of all icons."""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QFont, QGuiApplication, QImage, QPainter
from PySide6.QtSvg import QSvgRenderer

ROOT = Path(__file__).resolve().parent.parent
ICONS = ROOT / "resources" / "icons"
HICOLOR = ROOT / "resources" / "hicolor"
APP_ID = "desktop-app"
# The sizes the freedesktop icon theme spec expects at least; 48 is what menus use.
HICOLOR_SIZES = (48, 128, 256)
SHEET_SIZES = (16, 24, 32, 48)
APP_SHEET_SIZES = (16, 22, 24, 32, 48, 64, 128, 256)
SHEET_PAD = 12
LIGHT_BG = QColor("#ffffff")
DARK_BG = QColor("#202124")


def render(svg: Path, size: int) -> QImage:
    """Render one SVG file into a transparent square image of `size` pixels."""
    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        raise SystemExit(f"invalid SVG: {svg}")
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter, QRectF(0, 0, size, size))
    painter.end()
    return image


def write_hicolor() -> list[Path]:
    """Copy the app SVG into hicolor/scalable and render the PNG sizes; return the written files."""
    written: list[Path] = []
    scalable = HICOLOR / "scalable" / "apps" / f"{APP_ID}.svg"
    scalable.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(ICONS / "app.svg", scalable)
    written.append(scalable)
    for size in HICOLOR_SIZES:
        target = HICOLOR / f"{size}x{size}" / "apps" / f"{APP_ID}.png"
        target.parent.mkdir(parents=True, exist_ok=True)
        if not render(ICONS / "app.svg", size).save(str(target), "PNG"):
            raise SystemExit(f"could not write {target}")
        written.append(target)
    return written


def _draw_row(painter: QPainter, y: int, svg: Path, sizes: tuple[int, ...], width: int) -> int:
    """Draw one icon at every size, on a light and a dark half; return the row's height."""
    row_h = max(sizes) + 2 * SHEET_PAD
    half = width // 2
    painter.fillRect(0, y, half, row_h, LIGHT_BG)
    painter.fillRect(half, y, width - half, row_h, DARK_BG)
    for offset, colour in ((0, QColor("#202124")), (half, QColor("#e8eaed"))):
        x = offset + SHEET_PAD
        painter.setPen(colour)
        painter.drawText(
            x, y + SHEET_PAD, 110, row_h - 2 * SHEET_PAD, Qt.AlignmentFlag.AlignVCenter, svg.stem
        )
        x += 120
        for size in sizes:
            painter.drawImage(x, y + SHEET_PAD + (max(sizes) - size), render(svg, size))
            x += size + SHEET_PAD
    return row_h


def write_sheet(out: Path) -> None:
    """Compose every icon at several sizes on light and dark backgrounds into one PNG."""
    icons = sorted(p for p in ICONS.glob("*.svg") if p.stem != "app")
    half = 120 + sum(SHEET_SIZES) + SHEET_PAD * (len(SHEET_SIZES) + 1)
    app_half = 120 + sum(APP_SHEET_SIZES) + SHEET_PAD * (len(APP_SHEET_SIZES) + 1)
    width = 2 * max(half, app_half)
    height = (max(SHEET_SIZES) + 2 * SHEET_PAD) * len(icons) + max(APP_SHEET_SIZES) + 2 * SHEET_PAD
    sheet = QImage(width, height, QImage.Format.Format_ARGB32_Premultiplied)
    sheet.fill(LIGHT_BG)
    painter = QPainter(sheet)
    painter.setFont(QFont("Sans", 9))
    y = _draw_row(painter, 0, ICONS / "app.svg", APP_SHEET_SIZES, width)
    for svg in icons:
        y += _draw_row(painter, y, svg, SHEET_SIZES, width)
    painter.end()
    sheet.save(str(out), "PNG")


def main(argv: list[str] | None = None) -> int:
    """Regenerate the hicolor icons; with --sheet also draw a contact sheet for a visual check."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sheet", type=Path, help="also write a contact sheet PNG here")
    args = parser.parse_args(argv)
    app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])
    for path in write_hicolor():
        print(f"wrote {path.relative_to(ROOT)}")
    if args.sheet:
        write_sheet(args.sheet)
        print(f"wrote {args.sheet}")
    del app
    return 0


if __name__ == "__main__":
    sys.exit(main())
