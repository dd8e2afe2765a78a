"""Checks a rendered notice's wording: the mistakes a template makes with an admin's titles.

Used by the tests over every notice of every shipped campaign (and adversarial ones),
so a template change that splices a verb onto a title, repeats a word, lower-cases
a proper noun or leaks an internal key is found before 90 offices read it. Each check
returns the problems it found, for a test's failure message (empty: clean).
"""

from __future__ import annotations

import email
import email.policy
import re
from collections.abc import Iterable
from email.header import decode_header, make_header

#: How organisations' names start; lower case right after “đề nghị” is a mistake. Words
#: that also start common verb phrases (“báo cáo”, “bộ phận”, “xã hội hóa”) are left to
#: the registry's own names.
_PROPER_STARTS = (
    "sở ",
    "ủy ban",
    "uỷ ban",
    "ubnd",
    "văn phòng",
    "phòng ",
    "ban thi đua",
    "ban chấp hành",
    "ban chỉ huy",
    "ban quản lý",
    "ban thường vụ",
    "btv ",
    "hội đồng",
    "tỉnh ủy",
    "tỉnh uỷ",
    "thành ủy",
    "đảng ủy",
    "công an",
    "mặt trận",
    "liên đoàn",
    "cụm ",
    "khối ",
)

#: Action keys (`bao-cao/2027-Q4/reminder/3d`, `bc/2027-H1/due`, `launch/-/launch`) and delivery
#: suffixes.
_KEY = re.compile(
    r"\b[a-z0-9][a-z0-9-]*/(?:-|\d{4}(?:-Q[1-4]|-H[12]|-\d{2}(?:-\d{2})?)?)/"
    r"(?:launch|open|reminder|due|overdue|escalation|event|compile)\b"
    r"|\b(?:due|overdue|reminder|launch|escalation|compile)#\w+"
    r"|#loi\b"
)
_ASK = re.compile(r"đề nghị\s+", re.IGNORECASE)


def doubled_phrases(text: str, *, longest: int = 4) -> list[str]:
    """Phrases of 1–`longest` words written twice back to back (“năm năm”, “phát động Phát động”).

    Words are compared case-insensitively, whitespace-separated with their quotes and
    brackets: “năm” (năm 2027)” is not a doubling, “năm năm 2027” is, and so is
    “BTV Tỉnh ủy, BTV Tỉnh ủy” (a comma does not make a repeated name right).
    """
    found = []
    for line in _sentences(text):
        words = line.split()
        folded = [w.casefold().rstrip(",;") for w in words]
        for size in range(1, longest + 1):
            for i in range(len(words) - 2 * size + 1):
                if not any(ch.isalpha() for w in folded[i : i + size] for ch in w):
                    continue  # “- -”, “01 01”: not words
                if folded[i : i + size] == folded[i + size : i + 2 * size]:
                    found.append(" ".join(words[i : i + 2 * size]))
    return found


def _sentences(text: str) -> list[str]:
    """A text's paragraphs as single lines: a line break inside a paragraph still joins
    two words (“… của Ban A,⏎Ban A thông báo”); list items stay lines of their own."""
    out: list[str] = []
    for paragraph in re.split(r"\n\s*\n", text):
        for line in paragraph.splitlines():
            if (
                out
                and line
                and not line.startswith("- ")
                and out[-1]
                and not out[-1].startswith("- ")
            ):
                out[-1] += " " + line
            else:
                out.append(line)
        out.append("")
    return out


def lowercased_names(text: str, names: Iterable[str] = ()) -> list[str]:
    """Proper nouns lower-cased right after “đề nghị” (“đề nghị sở Nội vụ”).

    `names` are the registry's and the campaign's names as written (“Sở Nội vụ”); any
    of them, or a usual organisation start (“sở ”, “ủy ban”, “UBND”), after “đề nghị”
    in lower case where it is capitalised is a mistake.
    """
    capitalised = sorted(
        {n.strip() for n in names if n.strip() and n.strip()[0].isupper()}, key=len, reverse=True
    )
    found = []
    for match in _ASK.finditer(text):
        rest = text[match.end() : match.end() + 200]
        if not rest or not rest[0].islower():
            continue
        head = rest.casefold()
        if head.startswith(_PROPER_STARTS):
            found.append(f"{match.group(0)}{rest[:40]}")
            continue
        for name in capitalised:
            if head.startswith(name.casefold()) and not rest.startswith(name):
                found.append(f"{match.group(0)}{rest[: len(name)]}")
                break
    return found


def internal_keys(text: str, keys: Iterable[str] = ()) -> list[str]:
    """Internal identifiers in a text meant for people: action keys, `due#…`, `#loi`."""
    found = [m.group(0) for m in _KEY.finditer(text)]
    found += [key for key in keys if key and key in text]
    return found


def portal_link(text: str, link: str, *, label: str) -> list[str]:
    """The unit's portal link must be written once, on its own line “<label>: <link>”.

    Twice (a campaign template that writes it as well as the layout) reads as two
    different pages; missing, the unit has no way to its page from this notice.
    """
    line = f"{label}: {link}"
    count = sum(1 for row in text.splitlines() if row.strip() == line)
    if count == 1 and text.count(link) == 1:
        return []
    return [f"portal link line {line!r} found {count} time(s), the link {text.count(link)}"]


def subject_roundtrip(raw: bytes, expected: str) -> list[str]:
    """The Subject of the message bytes `raw`, decoded two ways, must be exactly `expected`."""
    modern = email.message_from_bytes(raw, policy=email.policy.default)["Subject"]
    legacy = email.message_from_bytes(raw)["Subject"]
    problems = []
    for how, got in (
        ("policy.default", str(modern)),
        ("decode_header", str(make_header(decode_header(str(legacy))))),
    ):
        if got != expected:
            problems.append(f"subject decodes ({how}) to {got!r}, rendered {expected!r}")
    return problems


def lint_text(text: str, *, names: Iterable[str] = (), keys: Iterable[str] = ()) -> list[str]:
    """Every wording problem of one rendered text (a notice's body or its subject)."""
    names = list(names)
    return (
        [f"doubled: {p!r}" for p in doubled_phrases(text)]
        + [f"lower-cased name: {p!r}" for p in lowercased_names(text, names)]
        + [f"internal key: {p!r}" for p in internal_keys(text, keys)]
    )
