"""Render the Vietnamese notice an action sends to one unit, from Jinja2 templates.

Templates live in `notifications/templates/<name>.txt.j2`, one per action kind,
sharing `_layout.txt.j2` (addressee, the plan implemented, sender, contact). A
campaign may override any of them with a file of the same name in a `templates/`
folder next to its campaign file. Rendering runs in a sandbox: unit names and
submitted text are data, never template code.

The HTML part of an email is the rendered text laid out by `_layout.html.j2` in a
separate, autoescaping environment: one source of wording (a campaign's text
override shows in both parts) and no unit name or submitted text can become markup.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import ChoiceLoader, FileSystemLoader, StrictUndefined
from jinja2.sandbox import SandboxedEnvironment

from thidua.hours import TZ
from thidua.plan import Action, ActionKind, Occurrence, occurrence_label
from thidua.registry import Unit
from thidua.sendtime import LATE_AFTER, SYSTEM_DOWN, as_sent
from thidua.spec import Campaign, MilestoneKind
from thidua.vnformat import days_left_label, format_long, format_short

TEMPLATES = Path(__file__).with_name("templates")

_SUBJECTS = {
    MilestoneKind.IMPLEMENTING_PLAN: "gửi kế hoạch triển khai",
    MilestoneKind.REPORT: "gửi báo cáo",
    MilestoneKind.NOMINATION: "gửi hồ sơ đề nghị khen thưởng",
    MilestoneKind.REVIEW: "gửi báo cáo sơ kết",
    MilestoneKind.SUMMARY: "gửi báo cáo tổng kết",
}


@dataclass(frozen=True)
class Message:
    """A rendered notice: subject, plain text, optional HTML and files to attach."""

    subject: str
    text: str
    html: str | None = None
    attachments: list[Path] = field(default_factory=list)


@cache
def _environment(override_dir: str | None) -> SandboxedEnvironment:
    loaders = [FileSystemLoader(override_dir)] if override_dir else []
    env = SandboxedEnvironment(
        loader=ChoiceLoader([*loaders, FileSystemLoader(str(TEMPLATES))]),
        undefined=StrictUndefined,
        keep_trailing_newline=False,
        autoescape=False,
    )
    env.globals.update(long=format_long, short=format_short)
    return env


@cache
def _html_environment() -> SandboxedEnvironment:
    # Separate from the text environment: autoescape must be on for every value here.
    return SandboxedEnvironment(
        loader=FileSystemLoader(str(TEMPLATES)), undefined=StrictUndefined, autoescape=True
    )


def text_blocks(text: str) -> tuple[list[list[tuple[str, list[str]]]], list[str]]:
    """Split a rendered notice into paragraphs of lines and “- ” lists, and its footer."""
    body, _, footer = text.strip().partition("\n--\n")
    blocks: list[list[tuple[str, list[str]]]] = []
    for chunk in body.split("\n\n"):
        parts: list[tuple[str, list[str]]] = []
        for line in chunk.strip("\n").splitlines():
            kind, content = ("ul", line[2:]) if line.startswith("- ") else ("p", line)
            if parts and parts[-1][0] == kind:
                parts[-1][1].append(content)
            else:
                parts.append((kind, [content]))
        if parts:
            blocks.append(parts)
    return blocks, footer.splitlines()


def render_html(text: str, subject: str) -> str:
    """The HTML part of an email: the rendered text as paragraphs and lists, escaped."""
    blocks, footer = text_blocks(text)
    addressee = ""
    if blocks and blocks[0][0][1][0].startswith("Kính gửi:"):
        addressee = blocks[0][0][1][0].removeprefix("Kính gửi:").strip()
        blocks[0][0][1].pop(0)
        blocks[0] = [part for part in blocks[0] if part[1]]
        if not blocks[0]:
            blocks.pop(0)
    template = _html_environment().get_template("_layout.html.j2")
    html = template.render(subject=subject, addressee=addressee, blocks=blocks, footer=footer)
    return html + "\n"


def campaign_reference(campaign: Campaign) -> str:
    """“Kế hoạch số 641/KH-UBND ngày 12/3/2026 của Ủy ban nhân dân tỉnh Cao Bằng”."""
    return (
        f"Kế hoạch số {campaign.code} ngày {format_short(campaign.issued.start)} "
        f"của {campaign.issuer}"
    )


def subject_phrase(action: Action, campaign: Campaign) -> str:
    """What the unit has to do, as a verb phrase: “gửi hồ sơ đề nghị khen thưởng”."""
    milestone = campaign.milestone(action.milestone)
    if milestone.title:
        phrase = milestone.title[0].lower() + milestone.title[1:]
    else:
        phrase = _SUBJECTS.get(milestone.kind, milestone.kind.label)
    return f"{phrase} {occurrence_label(action.occurrence)}".strip()


def late_label(delay: timedelta) -> str:
    hours = int(delay.total_seconds() // 3600)
    if hours >= 24:
        return f"{hours // 24} ngày"
    return f"{hours} giờ" if hours else f"{int(delay.total_seconds() // 60)} phút"


def render(
    action: Action,
    *,
    campaign: Campaign,
    unit: Unit,
    organizer: Unit,
    now: datetime,
    template_dir: Path | None = None,
    deadlines: list[dict[str, Any]] | None = None,
    missing: list[str] | None = None,
    submitted: int = 0,
    total: int = 0,
    attachments: list[Path] | None = None,
    late_reason: str = SYSTEM_DOWN,
) -> Message:
    """The notice of `action` for `unit` as sent at `now`; a delay over 30 minutes is said.

    Days left, the title (subject) and the late note are computed from `now`, never
    copied from the plan (`thidua.sendtime`); `late_reason` ends the late note.
    """
    action = as_sent(action, now)
    delay = now - action.at
    planned = action.at.astimezone(TZ)
    context = {
        "campaign": campaign,
        "campaign_ref": campaign_reference(campaign),
        "action": action,
        "unit": unit,
        "organizer": organizer,
        "subject": subject_phrase(action, campaign) if action.kind is not ActionKind.LAUNCH else "",
        "days_left": days_left_label(action.days_left) if action.days_left is not None else "",
        "late": late_label(delay) if delay > LATE_AFTER else "",
        "late_reason": late_reason,
        "scheduled_at": f"{planned:%H:%M} ngày {format_short(planned.date())}",
        "deadlines": deadlines or [],
        "missing": missing or [],
        "submitted": submitted,
        "total": total,
    }
    env = _environment(str(template_dir) if template_dir and template_dir.is_dir() else None)
    text = env.get_template(f"{action.template}.txt.j2").render(context).strip() + "\n"
    subject = f"[{campaign.code}] {action.title}"
    return Message(
        subject=subject,
        text=text,
        html=render_html(text, subject),
        attachments=list(attachments or []),
    )


def launch_deadlines(campaign: Campaign, occurrences: list[Occurrence]) -> list[dict[str, Any]]:
    """The deadlines a launch notice lists: each submission milestone's occurrences."""
    items = []
    for occ in occurrences:
        m = occ.milestone
        if m.kind is MilestoneKind.LAUNCH or m.audience == "organizer":
            continue
        label = m.label + (f" {occ.label}" if occ.label else "")
        items.append({"label": label, "due": occ.due})
    return sorted(items, key=lambda item: item["due"])[:12]
