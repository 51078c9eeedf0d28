"""A search hit's body as a short rich-text excerpt with the matched words marked."""

from __future__ import annotations

import html

# Characters of the body shown around the first match, and before it at most.
EXCERPT_CHARS = 280
LEAD_CHARS = 60
ELLIPSIS = "…"


def excerpt_html(body: str, spans: list[tuple[int, int]], mark_style: str) -> str:
    """HTML of a window of `body` starting a little before its first matched span, each
    span wrapped in `<span style=mark_style>`; escaped, newlines as line breaks."""
    ordered = sorted((max(0, a), min(len(body), b)) for a, b in spans if a < b)
    start = 0
    if ordered and ordered[0][0] > LEAD_CHARS:
        start = ordered[0][0] - LEAD_CHARS // 2
    end = min(len(body), start + EXCERPT_CHARS)
    parts = [ELLIPSIS] if start else []
    at = start
    for a, b in ordered:
        if b <= at or a >= end:
            continue
        a, b = max(a, at), min(b, end)
        parts.append(_text(body[at:a]))
        parts.append(f'<span style="{mark_style}">{_text(body[a:b])}</span>')
        at = b
    parts.append(_text(body[at:end]))
    if end < len(body):
        parts.append(ELLIPSIS)
    return "".join(parts)


def _text(text: str) -> str:
    return html.escape(text).replace("\n", "<br>")
