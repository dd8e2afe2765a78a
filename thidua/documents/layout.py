"""A report as a document: its blocks, letterhead, annex tables, and its Markdown.

`thidua.documents.report` fills these from a campaign's facts; `to_markdown` renders them for
the Prefect artifact and `thidua.documents.docx` as an editable DOCX. Lists that would
run on for lines in a paragraph (units that did not report, actions that failed) are
`Annex` tables printed after the signature under “DANH SÁCH KÈM THEO” and referred to
from the text by their number (“Biểu số 1”).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from thidua.documents.period import ReportKind
from thidua.text.fold import fold_words as fold_name

NATIONAL_TITLE = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
MOTTO = "Độc lập - Tự do - Hạnh phúc"
#: The Party's heading (Hướng dẫn 36-HD/VPTW, 2018): top right, underlined, no motto.
PARTY_TITLE = "ĐẢNG CỘNG SẢN VIỆT NAM"
#: Under the issuing body's name a Party document has a star, not a line.
PARTY_MARK = "*"
PLACEHOLDER_PREFIX = "Phần này do cơ quan tổng hợp viết"
NAME_PLACEHOLDER = "[Họ và tên]"
NUMBER_BLANK = "\u2003\u2003"  # the number is given at registration (văn thư); keep room for it

# --- blocks -------------------------------------------------------------------------


@dataclass(frozen=True)
class Heading:
    """A section heading: level 1 “I. …”, level 2 “1. …”, level 3 “a) …”."""

    level: int
    text: str


@dataclass(frozen=True)
class Paragraph:
    text: str


@dataclass(frozen=True)
class Placeholder:
    """A part only a person can write; rendered “[Phần này do cơ quan tổng hợp viết: …]”."""

    what: str

    @property
    def text(self) -> str:
        return f"[{PLACEHOLDER_PREFIX}: {self.what}]"


@dataclass(frozen=True)
class Bullets:
    items: tuple[str, ...]


@dataclass(frozen=True)
class Table:
    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    #: numeric columns, right-aligned in the DOCX
    numeric: tuple[int, ...] = ()
    #: date columns: never wrapped inside a cell, wide enough for “10/07/2023”
    dates: tuple[int, ...] = ()


Block = Heading | Paragraph | Placeholder | Bullets | Table

ANNEX_TITLE = "DANH SÁCH KÈM THEO"


@dataclass(frozen=True)
class Annex:
    """A numbered table of the “Danh sách kèm theo”, referred to as “Biểu số N”."""

    number: int
    title: str
    table: Table

    @property
    def name(self) -> str:
        return f"Biểu số {self.number}"


class Annexes:
    """Collects annex tables in the order the text refers to them, numbering them."""

    def __init__(self) -> None:
        self.items: list[Annex] = []

    def add(self, title: str, table: Table) -> str:
        """Add a table; the name the text uses for it (“Biểu số 2”)."""
        annex = Annex(len(self.items) + 1, title, table)
        self.items.append(annex)
        return annex.name


@dataclass(frozen=True)
class Signature:
    """The signature block: authority lines (“TM. ỦY BAN NHÂN DÂN”, “CHỦ TỊCH”) and the name."""

    authority: tuple[str, ...]
    name: str


@dataclass(frozen=True)
class Letterhead:
    """What NĐ 30/2020 (or, for the Party, Hướng dẫn 36-HD/VPTW) puts above the title:
    issuing body, number, place and date, and the heading at the top right."""

    parent: str | None  # cơ quan chủ quản, already upper case
    body: str  # cơ quan ban hành, upper case
    number: str  # “Số:   /BC-BTDKT”; the Party's “Số   -BC/TU”
    place_date: str  # “Cao Bằng, ngày … tháng 11 năm 2026”
    party: bool = False

    @property
    def heading(self) -> tuple[str, ...]:
        """The top right: quốc hiệu and tiêu ngữ, or the Party's title alone."""
        return (PARTY_TITLE,) if self.party else (NATIONAL_TITLE, MOTTO)


@dataclass
class Report:
    """A whole report, ready to be rendered."""

    kind: ReportKind
    letterhead: Letterhead
    subject: str  # trích yếu: “Tổng kết phong trào thi đua …”
    recipient: str | None  # “Kính gửi” line, for a report sent up to a superior
    blocks: list[Block]
    distribution: list[str]  # Nơi nhận entries, with their “;” / “.” endings
    signature: Signature
    file_stem: str
    title: str = "BÁO CÁO"
    description: str = field(default="")  # one line, e.g. the Prefect artifact description
    annexes: list[Annex] = field(default_factory=list)
    #: who issues it, for the annex's “(Kèm theo Báo cáo số … của …)” line
    issuer_name: str = ""

    @property
    def annex_note(self) -> str:
        """“(Kèm theo Báo cáo số …/BC-BTDKT ngày … tháng 11 năm 2026 của …)”."""
        number = self.letterhead.number.replace(NUMBER_BLANK, "…").removeprefix("Số")
        number = number.removeprefix(":").strip()
        _, _, day = self.letterhead.place_date.partition(", ")
        of = f" của {self.issuer_name}" if self.issuer_name else ""
        return f"(Kèm theo Báo cáo số {number} {day}{of})"


# --- wording helpers ---------------------------------------------------------------


def number(x: float) -> str:
    """A figure as Vietnamese write it: 12, 12,5 (decimal comma), 1.250 (thousands dot)."""
    if float(x).is_integer():
        return f"{int(x):,}".replace(",", ".")
    whole, _, frac = f"{x:,.2f}".rstrip("0").partition(".")
    return whole.replace(",", ".") + "," + frac


def percent(rate: float | None) -> str:
    """A rate as “87,5%”; “-” when there is nothing to divide by."""
    if rate is None:
        return "-"
    return f"{number(round(rate * 100, 1))}%"


def count_phrase(counts: list[tuple[str, int]]) -> str:
    """“3 sở, ban, ngành; 2 huyện”: the non-zero counts of `counts` (label, n), in order."""
    return "; ".join(f"{n} {label}" for label, n in counts if n)


def slug(text: str) -> str:
    """Lowercase ASCII with dashes, for file names and artifact keys."""
    return re.sub(r"[^a-z0-9]+", "-", fold_name(text)).strip("-")


# --- Markdown -------------------------------------------------------------------------


def _md_escape_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def to_markdown(report: Report) -> str:
    """The report as Markdown (GitHub flavour, as Prefect renders artifacts)."""
    lh = report.letterhead
    lines: list[str] = []
    if lh.parent:
        lines.append(f"{lh.parent}  ")
    # Escaped: a line holding only “*” would be read as an empty list item.
    lines += [f"**{lh.body}**  "] + ([f"\\{PARTY_MARK}  "] if lh.party else [])
    lines += [lh.number.replace(NUMBER_BLANK, "…"), ""]
    lines += [f"**{line}**  " for line in lh.heading] + [f"*{lh.place_date}*", ""]
    lines += [f"# {report.title}", "", f"**{report.subject}**", ""]
    if report.recipient:
        lines += [f"Kính gửi: {report.recipient}.", ""]
    for block in report.blocks:
        lines += _md_block(block)
        lines.append("")
    lines += ["**_Nơi nhận:_**  "]
    lines += [f"- {entry}" for entry in report.distribution]
    lines.append("")
    lines += [f"**{line}**  " for line in report.signature.authority]
    lines += ["", "*(Ký, ghi rõ họ tên, đóng dấu)*", "", f"**{report.signature.name}**", ""]
    if report.annexes:
        lines += ["---", "", f"## {ANNEX_TITLE}", "", f"*{report.annex_note}*", ""]
        for annex in report.annexes:
            lines += [f"**{annex.name}. {annex.title}**", "", *_md_block(annex.table), ""]
    return "\n".join(lines)


def _md_block(block: Block) -> list[str]:
    if isinstance(block, Heading):
        return [f"{'#' * (block.level + 1)} {block.text}"]
    if isinstance(block, Placeholder):
        return [f"*{block.text}*"]
    if isinstance(block, Paragraph):
        return [block.text]
    if isinstance(block, Bullets):
        return [f"- {item}" for item in block.items]
    header = "| " + " | ".join(_md_escape_cell(h) for h in block.headers) + " |"
    rule = (
        "|"
        + "|".join("---:" if i in block.numeric else "---" for i in range(len(block.headers)))
        + "|"
    )
    rows = ["| " + " | ".join(_md_escape_cell(c) for c in row) + " |" for row in block.rows]
    return [header, rule, *rows]
