"""Files a notice carries: the milestone's attachments, the plan document, the unit's .ics.

A Markdown attachment (the đề cương báo cáo) goes out as the .docx offices open,
rendered from it with the page and styles of the product's reports.

Paths in a campaign file are relative to it (`thidua validate` checks they exist);
a file missing at send time is left out rather than failing every unit's delivery.
The .ics lists only the unit's own upcoming deadlines, so a xã office can put them
in its calendar in one click; it is written once per content under the cache dir.
"""

from __future__ import annotations

import dataclasses
import os
import re
from datetime import datetime
from pathlib import Path

from thidua.campaign.plan import Action, ActionKind, Plan
from thidua.campaign.plan_output import plan_ics
from thidua.store.cache import cache_dir, fingerprint, write_atomic

#: Action kinds whose notice gets the unit's calendar: those that ask it to act later.
ICS_KINDS = frozenset({ActionKind.LAUNCH, ActionKind.OPEN, ActionKind.REMINDER})
#: What the calendar shows: the days something opens, is due, or takes place.
DEADLINE_KINDS = frozenset({ActionKind.OPEN, ActionKind.DUE, ActionKind.EVENT})


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-").lower() or "ke-hoach"


def unit_ics(plan: Plan, unit_code: str, *, after: datetime) -> Path | None:
    """An .ics of the unit's deadlines after `after`; None when there are none."""
    return Calendars(plan, after=after).of(unit_code)


class Calendars:
    """The .ics of each unit of one notice: its deadlines in `plan` after `after`.

    Units with the same deadlines (most of an audience) share one calendar text,
    built and fingerprinted once; each unit's file keeps its own name.
    """

    def __init__(self, plan: Plan, *, after: datetime) -> None:
        self.plan, self.after = plan, after
        # One set per distinct audience: a milestone's deadlines (due, overdue…) mostly
        # share theirs, and each set is ~40 bytes a unit (4 MB at 100,000 units).
        sets: dict[tuple[str, ...], frozenset[str]] = {}
        self._deadlines: list[tuple[Action, frozenset[str]]] = []
        for a in plan.actions:
            if a.kind in DEADLINE_KINDS and a.at >= after:
                if (units := sets.get(a.recipients)) is None:
                    units = sets[a.recipients] = frozenset(a.recipients)
                self._deadlines.append((a, units))
        self._shared: dict[tuple[int, ...], Path] = {}
        self._campaign = _slug(plan.campaign.code)

    def of(self, unit_code: str) -> Path | None:
        """The unit's .ics (written once per content under the cache dir), or None."""
        own = tuple(i for i, (_, units) in enumerate(self._deadlines) if unit_code in units)
        if not own:
            return None
        if (shared := self._shared.get(own)) is None:
            actions = [self._deadlines[i][0] for i in own]
            # DTSTAMP is the notice's own time, so the same notice always yields the same file.
            text = plan_ics(dataclasses.replace(self.plan, actions=actions), now=self.after)
            shared = cache_dir() / "ics" / fingerprint(text)[:16] / ".lich.ics"
            if not shared.is_file():  # two runs may write the same calendar at once
                write_atomic(shared, text.encode())
            self._shared[own] = shared
        path = shared.with_name(f"lich-{self._campaign}-{_slug(unit_code)}.ics")
        if not path.is_file():
            try:  # the unit's own name for the same content: a hard link, not another copy
                os.link(shared, path)
            except FileExistsError:  # another run linked it first: the same content
                pass
            except OSError:  # a file system without hard links
                write_atomic(path, shared.read_bytes())
        return path


def attachments_for(action: Action, *, plan: Plan, unit_code: str, base_dir: Path) -> list[Path]:
    """The files the notice of `action` to `unit_code` carries, existing ones only."""
    return Attachments(action, plan=plan, base_dir=base_dir).of(unit_code)


class Attachments:
    """The files of one action's notice, unit by unit: the shared files looked up once."""

    def __init__(self, action: Action, *, plan: Plan, base_dir: Path) -> None:
        campaign = plan.campaign
        names: list[str] = []
        if action.kind is ActionKind.LAUNCH:
            if campaign.document:
                names.append(campaign.document)
            names += [name for m in campaign.milestones for name in m.attachments]
        elif action.kind is not ActionKind.COMPILE:
            names += campaign.milestone(action.milestone).attachments
        files = [base_dir / name for name in dict.fromkeys(names)]
        self.shared = [as_office_file(path) for path in files if path.is_file()]
        self.calendars = Calendars(plan, after=action.at) if action.kind in ICS_KINDS else None

    def of(self, unit_code: str) -> list[Path]:
        """The files the notice to `unit_code` carries, existing ones only."""
        out = list(self.shared)
        if self.calendars is not None and (ics := self.calendars.of(unit_code)):
            out.append(ics)
        return out


# --- Markdown attachments as .docx ----------------------------------------------------------

_NUMBERED = re.compile(r"^(\d+[.)]|[IVX]+\.|[a-zđ]\))\s")
_BOLD = re.compile(r"\*\*(.+?)\*\*")


def as_office_file(path: Path) -> Path:
    """The file an office opens: a Markdown outline as .docx (cached by content), else itself.

    Offices open Word files, not Markdown; the outline is written once per content under
    the cache dir, with the page and styles of the product's reports (NĐ 30/2020).
    """
    if path.suffix.lower() != ".md":
        return path
    text = path.read_text(encoding="utf-8")
    folder = cache_dir() / "docx" / fingerprint("outline-1", text)[:16]
    out = folder / f"{path.stem}.docx"
    if not out.is_file():  # two runs may write the same file at once
        write_atomic(out, markdown_docx(text))
    return out


def markdown_docx(text: str) -> bytes:
    """A DOCX of simple Markdown: `#` headings, numbered and `-` lists, paragraphs, **bold**."""
    import io

    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Cm, Pt

    from thidua.documents.docx import blank_document

    doc = blank_document()
    after_title = False
    for block in re.split(r"\n\s*\n", text.strip()):
        lines: list[str] = []
        for raw in block.splitlines():
            line = raw.strip()
            # An indented line continues the list item above it.
            if lines and raw[:1].isspace() and not line.startswith(("- ", "* ")):
                lines[-1] += " " + line
            elif line:
                lines.append(line)
        heading = lines[0].startswith("#") if lines else False
        if heading and len(lines) == 1:
            level = len(lines[0]) - len(lines[0].lstrip("#"))
            paragraph = doc.add_paragraph()
            run = paragraph.add_run(lines[0].lstrip("#").strip())
            run.bold, run.italic = level < 3, level >= 3
            run.font.size = Pt(14)
            paragraph.alignment = (
                WD_ALIGN_PARAGRAPH.CENTER if level == 1 else WD_ALIGN_PARAGRAPH.JUSTIFY
            )
            paragraph.paragraph_format.keep_with_next = True
            after_title = level == 1
            continue
        listed = all(_NUMBERED.match(line) or line.startswith(("- ", "* ")) for line in lines)
        groups = [[line] for line in lines] if listed or heading else [lines]
        # Headers in capitals (cơ quan, quốc hiệu, signature) and the title's trích yếu.
        centred = not listed and bool(lines) and (lines[0].isupper() or after_title)
        after_title = False
        for group in groups:
            paragraph = doc.add_paragraph()
            if listed or centred:  # else the document's default alignment
                paragraph.alignment = (
                    WD_ALIGN_PARAGRAPH.JUSTIFY if listed else WD_ALIGN_PARAGRAPH.CENTER
                )
            if listed:
                paragraph.paragraph_format.first_line_indent = Cm(1)
            for i, line in enumerate(group):
                if line.startswith("#"):
                    line = line.lstrip("#").strip()
                if line.startswith("* "):
                    line = "- " + line[2:]
                for j, part in enumerate(_BOLD.split(line)):
                    if part:
                        paragraph.add_run(part).bold = j % 2 == 1
                if i < len(group) - 1:
                    paragraph.runs[-1].add_break()
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()
