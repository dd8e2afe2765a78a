"""Lexing of date phrases: folding, the normalised text the grammar reads, lazy regexes.

Matching works on a folded copy of the text (`thidua.text.fold.fold`: NFKD, lower case, no
diacritics, đ→d), so text pasted from Word (NFD), typed without diacritics or with old-style
tone marks all read the same; the original text is kept for messages.
"""

from __future__ import annotations

import re
from typing import Any

from thidua.text.fold import fold

# A phrase longer than this is a paragraph, not a date; the cap also bounds regex work.
MAX_PHRASE_LENGTH = 300
# Punctuation around a phrase ("Hạn: 10/7/2023." or "- quý IV -") that carries no meaning.
EDGE_PUNCT = " .;,:!?-+*_•·"


class _LazyRegex:
    """A regex compiled on first use: compiling all of them would dominate import time."""

    __slots__ = ("_pattern", "_regex")

    def __init__(self, pattern: str) -> None:
        self._pattern = pattern
        self._regex: re.Pattern[str] | None = None

    def __getattr__(self, name: str) -> Any:
        if self._regex is None:
            # ASCII: folded text is matched, and \d must not accept other scripts' digits.
            self._regex = re.compile(self._pattern, re.ASCII)
        return getattr(self._regex, name)


def lazy(pattern: str) -> Any:
    """A regex (ASCII, on folded text) compiled the first time it is used."""
    return _LazyRegex(pattern)


# Old-style "quí", "mùng/mồng" for day numbers, and "hằng năm" markers of a recurrence.
_FIXES = lazy(r"\bqui\b|\b(?:ngay\s+)?m[ou]ng\b|\s*\b(?:hang|moi)\s+(?:nam|quy)$")


def _fix(match: re.Match[str]) -> str:
    word = match.group()
    if word == "qui":
        return "quy"
    if word.endswith(("mung", "mong")):
        return "ngay"
    return ""


def normalize(text: str) -> str:
    """The folded text the grammar reads: edge punctuation, brackets and old spellings gone."""
    s = fold(text).strip(EDGE_PUNCT)
    while len(s) >= 2 and s[0] == "(" and s[-1] == ")":
        s = s[1:-1].strip(EDGE_PUNCT)
    fixed: str = _FIXES.sub(_fix, s)  # a lazy regex is typed Any; `sub` returns a str
    return fixed.strip(EDGE_PUNCT)
