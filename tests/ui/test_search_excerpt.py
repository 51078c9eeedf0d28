"""The excerpt of a search hit: marked spans, escaping, a window around the first match."""

from __future__ import annotations

from desktop_app.ui.search.excerpt import EXCERPT_CHARS, LEAD_CHARS, excerpt_html

MARK = "m"


def test_spans_are_marked_and_text_escaped() -> None:
    body = "<b>Crème</b> & brûlée" + chr(10) + "second line"
    start = body.index("Crème")
    html = excerpt_html(body, [(start, start + 5)], MARK)
    assert html == ('&lt;b&gt;<span style="m">Crème</span>&lt;/b&gt; &amp; brûlée<br>second line')


def test_a_late_match_is_shown_with_a_little_before_it() -> None:
    body = "x" * 500 + " needle " + "y" * 500
    start = body.index("needle")
    html = excerpt_html(body, [(start, start + 6)], MARK)
    assert html.startswith("…" + "x" * (LEAD_CHARS // 2 - 1) + " ")
    assert html.endswith("…")
    assert '<span style="m">needle</span>' in html
    assert len(html.replace('<span style="m">', "").replace("</span>", "")) == EXCERPT_CHARS + 2


def test_out_of_range_and_empty_spans_are_ignored() -> None:
    assert (
        excerpt_html("short", [(3, 3), (10, 20), (-5, 2)], MARK) == '<span style="m">sh</span>ort'
    )
