"""The one fold: Vietnamese text reduced to a comparison key, so that "Quý IV", "quí iv" and
"QUY  IV" match, and "Sở Nội vụ" equals "so noi vu" as typed on a keyboard without IME.

`fold` keeps punctuation (the date-phrase parser needs "/" and "-"); `fold_words` keeps only
letters and digits, joined by one separator, for names, codes, aliases and column headers.
"""

from __future__ import annotations

import re
import unicodedata

# NFKD leaves these alone: "đ" is a letter of its own, not d with a mark; dashes and
# quotes come in many code points from word processors and mean the same thing.
_TRANSLATE = str.maketrans(
    {
        "đ": "d",
        "ð": "d",
        **dict.fromkeys("‐‑‒–—―−", "-"),
        # Quotes around a pasted phrase carry no meaning.
        **dict.fromkeys("“”„‟\"‘’‚‛'«»`", " "),
    }
)
_NOT_WORD = re.compile(r"[^a-z0-9]+")


def fold(text: str) -> str:
    """Lower-case, diacritics and "đ" removed, dashes unified, quotes dropped, whitespace
    collapsed to single spaces; other punctuation kept."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(stripped.translate(_TRANSLATE).split())


def fold_words(text: object, sep: str = " ") -> str:
    """`fold`, then every run of characters other than a-z and 0-9 becomes one `sep`
    (none at either end). Accepts any value a table cell may hold; None folds to ""."""
    return _NOT_WORD.sub(sep, fold("" if text is None else str(text))).strip(sep)
