"""The report as an editable DOCX in the layout of Nghị định 30/2020/NĐ-CP (Phụ lục I).

A4 portrait, margins 20/20/30/15 mm, Times New Roman; a borderless header table with
the issuing body on the left and the quốc hiệu, tiêu ngữ on the right; number and
place/date below them; the title and trích yếu centred; the body; then Nơi nhận on
the left and the signature block on the right. Everything is real paragraphs and
tables, so the office can edit and sign it. python-docx is imported only here.
"""

from __future__ import annotations

import re
from pathlib import Path

from docx import Document
from docx.document import Document as DocumentObject
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_COLOR_INDEX, WD_LINE_SPACING
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Mm, Pt
from docx.table import Table as DocxTable
from docx.table import _Cell
from docx.text.paragraph import Paragraph as DocxParagraph

from thidua.documents.layout import (
    ANNEX_TITLE,
    PARTY_MARK,
    Annex,
    Block,
    Bullets,
    Heading,
    Paragraph,
    Placeholder,
    Report,
    Table,
)

FONT = "Times New Roman"
BODY_PT = 14
HEADER_PT = 13  # cơ quan, số, quốc hiệu: 12–13 (NĐ 30/2020)
TABLE_PT = 12
DISTRIBUTION_PT = 11
PAGE = (Mm(210), Mm(297))
MARGINS = {"top": Mm(20), "bottom": Mm(20), "left": Mm(30), "right": Mm(15)}
TEXT_WIDTH = PAGE[0] - MARGINS["left"] - MARGINS["right"]
LEFT_COLUMN = Mm(62)
NUMBER_COLUMN = Mm(18)  # the issuing body's side of the header and the Nơi nhận side
STT_COLUMN = Mm(12)
#: “10/07/2023” in 12 pt Times New Roman plus the cell's margins, with room to spare
DATE_COLUMN = Mm(25)
NBSP = "\u00a0"
#: date phrases whose parts must stay on one line: “quý IV/2027”, “năm 2027”,
#: “ngày 10/7/2023”, “tháng 11 năm 2026”, “10/7/2023 - 15/7/2023”
_DATE_PHRASE = re.compile(
    r"\b(?:(?:quý|năm|tháng|ngày)\s+[\dIVX…]+(?:/\d{4})?)(?:\s+(?:năm|tháng)\s+[\d…]+)*"
    r"|\d{1,2}/\d{1,2}/\d{4}\s+[-–]\s+\d{1,2}/\d{1,2}/\d{4}"
)


def write_docx(report: Report, path: Path) -> Path:
    """Write `report` as a DOCX at `path` and return the path."""
    doc = Document()
    _page(doc)
    _styles(doc)
    _header(doc, report)
    _title(doc, report)
    for block in report.blocks:
        _block(doc, block)
    _footer(doc, report)
    if report.annexes:
        _annexes(doc, report)
    path.parent.mkdir(parents=True, exist_ok=True)
    doc.save(str(path))
    return path


def blank_document() -> DocumentObject:
    """An empty document with this layout's page and styles, for other writers to fill."""
    doc = Document()
    _page(doc)
    _styles(doc)
    return doc


# --- page and styles ----------------------------------------------------------------


def _page(doc: DocumentObject) -> None:
    section = doc.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = PAGE
    section.top_margin = MARGINS["top"]
    section.bottom_margin = MARGINS["bottom"]
    section.left_margin = MARGINS["left"]
    section.right_margin = MARGINS["right"]
    section.header_distance = Mm(10)
    # Page numbers from page 2, centred in the header (NĐ 30/2020, khoản 11 Phụ lục I).
    section.different_first_page_header_footer = True
    paragraph = section.header.paragraphs[0]
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _field(paragraph, "PAGE", HEADER_PT)


def _styles(doc: DocumentObject) -> None:
    normal = doc.styles["Normal"]
    normal.font.name = FONT
    normal.font.size = Pt(BODY_PT)
    # Word picks the font per script; Vietnamese letters can fall in East Asian ranges.
    fonts = normal.element.get_or_add_rPr().get_or_add_rFonts()
    for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(attr), FONT)
    fmt = normal.paragraph_format
    fmt.space_before = Pt(0)
    fmt.space_after = Pt(6)
    fmt.line_spacing_rule = WD_LINE_SPACING.SINGLE


def _field(paragraph: DocxParagraph, instruction: str, size: int) -> None:
    """A Word field (PAGE) that shows its current value."""
    run = paragraph.add_run()
    run.font.size = Pt(size)
    for kind, text in (("begin", None), (None, instruction), ("separate", None), ("end", None)):
        if kind is None:
            el = OxmlElement("w:instrText")
            el.set(qn("xml:space"), "preserve")
            el.text = f" {text} "
        else:
            el = OxmlElement("w:fldChar")
            el.set(qn("w:fldCharType"), kind)
        run._r.append(el)


# --- small builders -----------------------------------------------------------------


def _para(
    container: DocumentObject | _Cell,
    text: str = "",
    *,
    size: int = BODY_PT,
    bold: bool = False,
    italic: bool = False,
    align: WD_ALIGN_PARAGRAPH | None = WD_ALIGN_PARAGRAPH.CENTER,
    after: int = 0,
) -> DocxParagraph:
    paragraph = container.add_paragraph()
    paragraph.alignment = align
    paragraph.paragraph_format.space_after = Pt(after)
    if text:
        run = paragraph.add_run(text)
        run.font.size = Pt(size)
        run.bold = bold
        run.italic = italic
    return paragraph


def _rule(container: DocumentObject | _Cell, width: int, cell_width: int) -> None:
    """A short centred line under a heading: an empty paragraph's bottom border, indented."""
    paragraph = container.add_paragraph()
    fmt = paragraph.paragraph_format
    side = max(0, (cell_width - width) // 2)
    fmt.left_indent = side
    fmt.right_indent = side
    fmt.space_after = Pt(2)
    run = paragraph.add_run()
    run.font.size = Pt(2)  # the paragraph's height is the line's distance from the text
    border = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    for key, value in (("w:val", "single"), ("w:sz", "6"), ("w:space", "1"), ("w:color", "000000")):
        bottom.set(qn(key), value)
    border.append(bottom)
    paragraph._p.get_or_add_pPr().append(border)


def _no_borders(table: DocxTable) -> None:
    borders = OxmlElement("w:tblBorders")
    for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
        el = OxmlElement(f"w:{edge}")
        el.set(qn("w:val"), "nil")
        borders.append(el)
    table._tbl.tblPr.append(borders)


def _layout(table: DocxTable, widths: list[int]) -> None:
    table.autofit = False
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for row in table.rows:
        for cell, width in zip(row.cells, widths, strict=True):
            cell.width = width
    for column, width in zip(table.columns, widths, strict=True):
        column.width = width


def _clear(cell: _Cell) -> _Cell:
    """A new cell holds one empty paragraph; drop it so added paragraphs come first."""
    for p in list(cell.paragraphs):
        p._p.getparent().remove(p._p)
    return cell


# --- parts of the document -------------------------------------------------------


def _header(doc: DocumentObject, report: Report) -> None:
    lh = report.letterhead
    right_width = TEXT_WIDTH - LEFT_COLUMN
    table = doc.add_table(rows=2, cols=2)
    _no_borders(table)
    _layout(table, [LEFT_COLUMN, right_width])
    left, right = _clear(table.cell(0, 0)), _clear(table.cell(0, 1))
    if lh.parent:
        _para(left, lh.parent, size=HEADER_PT)
    _para(left, lh.body, size=HEADER_PT, bold=True)
    if lh.party:
        # Hướng dẫn 36-HD/VPTW: a star under the body; the Party's title underlined.
        _para(left, PARTY_MARK, size=HEADER_PT)
        title = _para(right, lh.heading[0], size=HEADER_PT, bold=True)
        title.runs[0].underline = True
    else:
        _rule(left, Mm(22), LEFT_COLUMN)
        national, motto = lh.heading
        _para(right, national, size=HEADER_PT, bold=True)
        _para(right, motto, size=BODY_PT, bold=True)
        _rule(right, Mm(58), right_width)
    number, place = _clear(table.cell(1, 0)), _clear(table.cell(1, 1))
    _para(number, lh.number, size=HEADER_PT)
    _para(place, lh.place_date, size=BODY_PT, italic=True)


def _title(doc: DocumentObject, report: Report) -> None:
    _para(doc, "", after=6)
    _para(doc, report.title, bold=True)
    _para(doc, keep_dates_together(report.subject), bold=True)
    _rule(doc, Mm(40), TEXT_WIDTH)
    if report.recipient:
        _para(doc, f"Kính gửi: {report.recipient}.", after=6)
    _para(doc, "", after=0)


def _body_paragraph(doc: DocumentObject, text: str) -> DocxParagraph:
    paragraph = _para(doc, text, align=WD_ALIGN_PARAGRAPH.JUSTIFY, after=6)
    paragraph.paragraph_format.first_line_indent = Cm(1)
    return paragraph


def _block(doc: DocumentObject, block: Block) -> None:
    if isinstance(block, Heading):
        paragraph = _para(
            doc,
            block.text,
            bold=block.level < 3,
            italic=block.level == 3,
            after=6,
            align=WD_ALIGN_PARAGRAPH.JUSTIFY,
        )
        paragraph.paragraph_format.first_line_indent = Cm(1)
        paragraph.paragraph_format.keep_with_next = True
    elif isinstance(block, Placeholder):
        paragraph = _body_paragraph(doc, block.text)
        for run in paragraph.runs:
            run.italic = True
            run.font.highlight_color = WD_COLOR_INDEX.YELLOW  # easy to find and replace
    elif isinstance(block, Paragraph):
        _body_paragraph(doc, block.text)
    elif isinstance(block, Bullets):
        for item in block.items:
            _body_paragraph(doc, f"- {item}")
    else:
        _table(doc, block)


def _table(doc: DocumentObject, block: Table) -> None:
    table = doc.add_table(rows=1, cols=len(block.headers))
    table.style = doc.styles["Table Grid"]
    for cell, text in zip(table.rows[0].cells, block.headers, strict=True):
        _cell_text(cell, text, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER)
    _repeat_header(table.rows[0])
    for row in block.rows:
        cells = table.add_row().cells
        for i, (cell, text) in enumerate(zip(cells, row, strict=True)):
            numeric = i in block.numeric
            align = WD_ALIGN_PARAGRAPH.RIGHT if numeric else WD_ALIGN_PARAGRAPH.LEFT
            if i in block.dates or block.headers[i] == "STT":
                align = WD_ALIGN_PARAGRAPH.CENTER
            _cell_text(cell, text, bold=row[0] == "Tổng cộng", align=align)
            if i in block.dates:
                _no_wrap(cell)
    _layout(table, _widths(block))
    _para(doc, "", after=6)


def _widths(block: Table) -> list[int]:
    """Narrow numeric columns; the text columns share the rest of the line."""
    count = len(block.headers)
    numeric = [i for i in range(count) if i in block.numeric]
    if len(numeric) == count:
        return [TEXT_WIDTH // count] * count
    narrow = {i: STT_COLUMN if block.headers[i] == "STT" else NUMBER_COLUMN for i in numeric}
    narrow.update({i: DATE_COLUMN for i in block.dates})
    wide = (TEXT_WIDTH - sum(narrow.values())) // (count - len(narrow))
    return [narrow.get(i, wide) for i in range(count)]


def keep_dates_together(text: str) -> str:
    """Join the words of every date phrase with no-break spaces: no line breaks inside it."""
    return _DATE_PHRASE.sub(lambda m: re.sub(r"\s+", NBSP, m.group(0)), text)


def _no_wrap(cell: _Cell) -> None:
    """Word's “wrap text” off for the cell (w:noWrap): a date stays on one line."""
    tc_pr = cell._tc.get_or_add_tcPr()
    if tc_pr.find(qn("w:noWrap")) is None:
        tc_pr.append(OxmlElement("w:noWrap"))


def _cell_text(cell: _Cell, text: str, *, bold: bool, align: WD_ALIGN_PARAGRAPH) -> None:
    paragraph = cell.paragraphs[0]
    paragraph.alignment = align
    paragraph.paragraph_format.space_after = Pt(0)
    run = paragraph.add_run(keep_dates_together(text))
    run.font.size = Pt(TABLE_PT)
    run.bold = bold


def _repeat_header(row: object) -> None:
    """The header row repeats on every page a long table runs onto."""
    tr_pr = row._tr.get_or_add_trPr()  # type: ignore[attr-defined]
    el = OxmlElement("w:tblHeader")
    el.set(qn("w:val"), "true")
    tr_pr.append(el)


def _footer(doc: DocumentObject, report: Report) -> None:
    table = doc.add_table(rows=1, cols=2)
    _no_borders(table)
    _layout(table, [LEFT_COLUMN, TEXT_WIDTH - LEFT_COLUMN])
    left, right = _clear(table.cell(0, 0)), _clear(table.cell(0, 1))
    _para(left, "Nơi nhận:", size=TABLE_PT, bold=True, italic=True, align=WD_ALIGN_PARAGRAPH.LEFT)
    for entry in report.distribution:
        _para(left, f"- {entry}", size=DISTRIBUTION_PT, align=WD_ALIGN_PARAGRAPH.LEFT)
    for line in report.signature.authority:
        _para(right, line, bold=True)
    for _ in range(4):  # room for the signature and the seal
        _para(right, "")
    _para(right, report.signature.name, bold=True)


def _annexes(doc: DocumentObject, report: Report) -> None:
    """“DANH SÁCH KÈM THEO” on a new page: each numbered table under its title."""
    paragraph = _para(doc, ANNEX_TITLE, bold=True)
    paragraph.paragraph_format.page_break_before = True
    _para(doc, keep_dates_together(report.annex_note), italic=True, after=12)
    for annex in report.annexes:
        _annex(doc, annex)


def _annex(doc: DocumentObject, annex: Annex) -> None:
    title = _para(doc, f"{annex.name}. {annex.title}", bold=True, after=6)
    title.paragraph_format.keep_with_next = True
    _table(doc, annex.table)
