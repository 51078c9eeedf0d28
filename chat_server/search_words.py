"""The words of a search and of a message, folded the way the index folds them, and the
spans of a body that a search matched (`SearchHit.highlights`)."""

from __future__ import annotations

import re
import unicodedata

# A word is a run of letters and digits (combining marks stay inside it): the tokens of
# SQLite's unicode61 tokenizer, and what storage/search.py leaves for PostgreSQL's parser.
WORD = re.compile(r"(?:[^\W_]|[\u0300-\u036f])+")
# Letters that do not decompose into a base letter and a mark, but that the indexes fold.
_EXTRA_FOLDS = str.maketrans({"ø": "o", "ł": "l", "đ": "d", "ı": "i", "æ": "ae", "œ": "oe"})


def fold(word: str) -> str:
    """Lower case without accents: "Crème" -> "creme"."""
    decomposed = unicodedata.normalize("NFKD", word.casefold())
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return bare.translate(_EXTRA_FOLDS)


def query_words(query: str) -> list[str]:
    """The words of a search, as typed (each backend folds them itself); punctuation and
    any search syntax are dropped, so no input is ever an operator."""
    return [w for w in WORD.findall(query) if fold(w)]


def highlights(body: str, words: list[str]) -> list[tuple[int, int]]:
    """`[start, end)` code point spans of the words of `body` that start with a search word."""
    prefixes = [fold(w) for w in words]
    spans: list[tuple[int, int]] = []
    for match in WORD.finditer(body):
        folded = fold(match.group())
        if any(folded.startswith(p) for p in prefixes):
            spans.append((match.start(), match.end()))
    return spans
