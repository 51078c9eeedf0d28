"""Is this text one emoji? (a reaction is one emoji grapheme; no Unicode library needed)."""

from __future__ import annotations

ZWJ = "\u200d"
VS16 = "\ufe0f"
VS15 = "\ufe0e"
KEYCAP = "\u20e3"
KEYCAP_BASES = frozenset("0123456789#*")
SKIN_TONES = range(0x1F3FB, 0x1F400)
REGIONAL_INDICATORS = range(0x1F1E6, 0x1F200)
TAGS = range(0xE0020, 0xE007F)
TAG_END = "\U000e007f"
# Longest reaction accepted (family ZWJ sequences are about 11 code points).
MAX_CODE_POINTS = 32

# Code points that are emoji (Unicode's Extended_Pictographic, as ranges; close enough that
# every emoji of a picker passes and letters, digits and punctuation do not).
_PICTOGRAPHIC = (
    (0x00A9, 0x00A9),
    (0x00AE, 0x00AE),
    (0x203C, 0x203C),
    (0x2049, 0x2049),
    (0x2122, 0x2122),
    (0x2139, 0x2139),
    (0x2194, 0x2199),
    (0x21A9, 0x21AA),
    (0x231A, 0x231B),
    (0x2328, 0x2328),
    (0x23CF, 0x23CF),
    (0x23E9, 0x23F3),
    (0x23F8, 0x23FA),
    (0x24C2, 0x24C2),
    (0x25AA, 0x25AB),
    (0x25B6, 0x25B6),
    (0x25C0, 0x25C0),
    (0x25FB, 0x25FE),
    (0x2600, 0x27BF),
    (0x2934, 0x2935),
    (0x2B05, 0x2B07),
    (0x2B1B, 0x2B1C),
    (0x2B50, 0x2B50),
    (0x2B55, 0x2B55),
    (0x3030, 0x3030),
    (0x303D, 0x303D),
    (0x3297, 0x3297),
    (0x3299, 0x3299),
    (0x1F000, 0x1F1E5),
    (0x1F201, 0x1F3FA),
    (0x1F400, 0x1FAFF),
)


def _pictographic(ch: str) -> bool:
    code = ord(ch)
    return any(low <= code <= high for low, high in _PICTOGRAPHIC)


def _element_end(text: str, i: int) -> int:
    """Where the emoji element starting at `i` ends, or -1 if none starts there."""
    ch = text[i]
    if ch in KEYCAP_BASES:
        j = i + 1
        if j < len(text) and text[j] == VS16:
            j += 1
        return j + 1 if j < len(text) and text[j] == KEYCAP else -1
    if ord(ch) in REGIONAL_INDICATORS:
        pair = i + 1 < len(text) and ord(text[i + 1]) in REGIONAL_INDICATORS
        return i + 2 if pair else -1
    if not _pictographic(ch):
        return -1
    j = i + 1
    if j < len(text) and (text[j] in (VS16, VS15) or ord(text[j]) in SKIN_TONES):
        j += 1
    if j < len(text) and ord(text[j]) in TAGS:  # subdivision flags: tags then CANCEL TAG
        while j < len(text) and ord(text[j]) in TAGS:
            j += 1
        return j + 1 if j < len(text) and text[j] == TAG_END else -1
    return j


def is_one_emoji(text: str) -> bool:
    """True when `text` is exactly one emoji: a pictograph (with VS16 or a skin tone), a
    keycap, a flag, or a ZWJ sequence of those."""
    if not text or len(text) > MAX_CODE_POINTS:
        return False
    i = 0
    while True:
        end = _element_end(text, i)
        if end < 0:
            return False
        if end == len(text):
            return True
        if text[end] != ZWJ or end + 1 >= len(text):
            return False
        i = end + 1
