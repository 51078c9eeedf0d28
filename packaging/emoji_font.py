"""Build resources/fonts/ChatEmoji.ttf: Noto Color Emoji without its skin-tone sequences, renamed.

The app ships an emoji font so emoji never show as boxes (desktop_app/ui/emoji_font.py loads it).
Qt draws Noto's CBDT (PNG bitmap) version offscreen and under Xvfb (xcb); the COLRv1 version
draws nothing there with the Qt of PySide6 6.11 (tested both), which is also why the app puts its
own font before any system emoji font (a COLRv1 "Noto Color Emoji" would draw blanks). The full
CBDT font is 10.9 MB, 72% of it in sequences, and the 1,890 skin-tone ones alone are 5.8 MB: they
are left out (a skin-tone sequence then shows as the yellow emoji followed by its tone swatch, as
Unicode prescribes); every single emoji, flag, keycap and other ZWJ sequence stays.

Source: the Debian package fonts-noto-color-emoji (`apt-get install fonts-noto-color-emoji`).
Needs fontTools (`pip install 'fonttools>=4.60,<5'`); run from the repository root:

    python packaging/emoji_font.py [/usr/share/fonts/truetype/noto/NotoColorEmoji.ttf]

The family is renamed (OFL 1.1 asks a modified font not to pass as the original); the licence
goes to resources/fonts/OFL.txt beside it.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTFont

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SOURCE = Path("/usr/share/fonts/truetype/noto/NotoColorEmoji.ttf")
TARGET = ROOT / "resources" / "fonts" / "ChatEmoji.ttf"
FAMILY = "Chat Emoji"
# The five Fitzpatrick modifiers, U+1F3FB..U+1F3FF.
SKIN_TONES = range(0x1F3FB, 0x1F400)
LIGATURE_LOOKUP = 4
# name IDs: family, full name, PostScript name, typographic family
FAMILY_NAME_IDS = (1, 4, 16)
POSTSCRIPT_NAME_ID = 6
UNIQUE_ID_NAME_ID = 3


def drop_skin_tone_sequences(font: TTFont) -> int:
    """Remove every ligature that has a skin-tone modifier among its parts; returns how many."""
    cmap = font.getBestCmap()
    tones = {cmap[c] for c in SKIN_TONES if c in cmap}
    dropped = 0
    for lookup in font["GSUB"].table.LookupList.Lookup:
        if lookup.LookupType != LIGATURE_LOOKUP:
            continue
        for table in lookup.SubTable:
            for first, ligatures in list(table.ligatures.items()):
                kept = [
                    lig
                    for lig in ligatures
                    if first not in tones and not tones.intersection(lig.Component)
                ]
                dropped += len(ligatures) - len(kept)
                if kept:
                    table.ligatures[first] = kept
                else:
                    del table.ligatures[first]
    return dropped


def rename(font: TTFont, family: str) -> None:
    """Give the font its own family name (what the app registers and asks Qt for)."""
    names = font["name"]
    for record in list(names.names):
        if record.nameID in FAMILY_NAME_IDS:
            names.setName(family, record.nameID, record.platformID, record.platEncID, record.langID)
        elif record.nameID == POSTSCRIPT_NAME_ID:
            names.setName(
                family.replace(" ", ""),
                record.nameID,
                record.platformID,
                record.platEncID,
                record.langID,
            )
        elif record.nameID == UNIQUE_ID_NAME_ID:
            names.setName(
                f"{family}; derived from {record.toUnicode()}",
                record.nameID,
                record.platformID,
                record.platEncID,
                record.langID,
            )


def build(source: Path, target: Path) -> tuple[int, int, int]:
    """Write the trimmed font; returns (bytes before, bytes after, sequences dropped)."""
    font = TTFont(source)
    dropped = drop_skin_tone_sequences(font)
    options = subset.Options()
    options.layout_features = ["*"]
    options.name_IDs = ["*"]
    options.name_languages = ["*"]
    options.notdef_outline = True
    options.glyph_names = False
    options.hinting = False
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=font.getBestCmap().keys())
    subsetter.subset(font)
    rename(font, FAMILY)
    target.parent.mkdir(parents=True, exist_ok=True)
    font.save(target)
    return source.stat().st_size, target.stat().st_size, dropped


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path, nargs="?", default=DEFAULT_SOURCE)
    parser.add_argument("--out", type=Path, default=TARGET)
    args = parser.parse_args(argv)
    if not args.source.is_file():
        print(f"emoji_font: {args.source} not found (apt-get install fonts-noto-color-emoji)")
        return 1
    before, after, dropped = build(args.source, args.out)
    print(
        f"emoji_font: {args.source.name} {before / 1e6:.1f} MB -> {args.out.name} "
        f"{after / 1e6:.1f} MB ({dropped} skin-tone sequences left out)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
