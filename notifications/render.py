"""Render the Vietnamese notice an action sends to one unit, from Jinja2 templates.

Templates live in `notifications/templates/<name>.txt.j2`, one per action kind,
sharing `_layout.txt.j2` (addressee, the plan implemented, sender, contact). A
campaign may override any of them with a file of the same name in a `templates/`
folder next to its campaign file. Rendering runs in a sandbox: unit names and
submitted text are data, never template code.

The HTML part of an email is the rendered text laid out as paragraphs and lists,
every value escaped (`render_html`): one source of wording (a campaign's text
override shows in both parts) and no unit name or submitted text can become markup.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import ChoiceLoader, FileSystemLoader, StrictUndefined
from jinja2.sandbox import SandboxedEnvironment
from markupsafe import Markup, escape

from thidua.campaign.charges import tasks_for
from thidua.campaign.kinds import MilestoneKind, Requirement
from thidua.campaign.plan import Action, ActionKind, Occurrence, occurrence_label
from thidua.campaign.spec import Campaign, Milestone
from thidua.dates.hours import TZ
from thidua.dates.sendtime import LATE_AFTER, SYSTEM_DOWN, as_sent
from thidua.dates.written import days_left_label, format_long, format_short
from thidua.registry import Unit

TEMPLATES = Path(__file__).with_name("templates")

_SUBJECTS = {
    MilestoneKind.IMPLEMENTING_PLAN: "gửi kế hoạch triển khai",
    MilestoneKind.REPORT: "gửi báo cáo",
    MilestoneKind.NOMINATION: "gửi hồ sơ đề nghị khen thưởng",
    MilestoneKind.REVIEW: "gửi báo cáo sơ kết",
    MilestoneKind.SUMMARY: "gửi báo cáo tổng kết",
}


#: How every notice introduces the unit's personal portal link (`portal_line`).
PORTAL_LABEL = "Trang của đơn vị (xem việc phải nộp và nộp trực tuyến)"


def portal_line(link: str) -> str:
    """The line of a notice that carries the unit's portal link."""
    return f"{PORTAL_LABEL}: {link}"


def _linkable(url: str) -> bool:
    """Whether `url` may become an <a href>: an http(s) URL of URL-safe characters only."""
    return url.startswith(("https://", "http://")) and all(
        c.isascii() and (c.isalnum() or c in "-._~:/?#[]@!$&'()*+,;=%") for c in url
    )


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


_BODY_STYLE = (
    "font-family: 'Times New Roman', Times, serif; font-size: 14pt; line-height: 1.5;"
    " color: #000000; max-width: 46em;"
)


def _html_document(
    subject: str, addressee: str, blocks: list[list[tuple[str, list[Any]]]], footer: list[str]
) -> str:
    """The HTML part of every email around the rendered text; every value escaped.

    Written out here rather than by a Jinja2 template in a sandbox (~0.4 ms a notice,
    a third of rendering one): the layout is the product's own, never a campaign's,
    and has no logic beyond the paragraphs, lists and footer of the text. `escape`
    leaves a `Markup` value (the portal link's anchor) as it is.
    """
    out = [
        '<!DOCTYPE html>\n<html lang="vi">\n<head>\n<meta charset="utf-8">\n',
        f"<title>{escape(subject)}</title>\n</head>\n",
        f'<body style="{_BODY_STYLE}">',
    ]
    if addressee:
        out.append(f"\n<p><strong>Kính gửi:</strong> {escape(addressee)}</p>")
    for block in blocks:
        for kind, lines in block:
            if kind == "ul":
                out.append("\n<ul>")
                out.extend(f"\n<li>{escape(line)}</li>" for line in lines)
                out.append("\n</ul>")
            else:
                out.append("\n<p>" + "<br>\n".join(escape(line) for line in lines) + "</p>")
    if footer:
        out.append('\n<hr style="border: none; border-top: 1px solid #999999;">')
        out.append('\n<p style="font-size: 10pt; color: #555555;">')
        out.append("<br>\n".join(escape(line) for line in footer) + "</p>")
    out.append("\n</body>\n</html>")
    return "".join(out)


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


def _with_link(
    blocks: list[list[tuple[str, list[str]]]], link: str | None
) -> list[list[tuple[str, list[Any]]]]:
    """`blocks` with each line that ends in “: <link>” made a clickable link.

    Only `link` itself becomes one (the URL the product put in the notice, never a URL
    a unit name or a title happens to contain), and only a line that ends with it; the
    rest of the line is escaped here, as the template would have.
    """
    if not link or not _linkable(link):
        return [list(block) for block in blocks]
    anchor = Markup('<a href="{0}">{0}</a>').format(link)
    out: list[list[tuple[str, list[Any]]]] = []
    for block in blocks:
        parts: list[tuple[str, list[Any]]] = []
        for kind, lines in block:
            shown: list[Any] = []
            for line in lines:
                head, sep, tail = line.rpartition(": ")
                shown.append(escape(head + sep) + anchor if sep and tail == link else line)
            parts.append((kind, shown))
        out.append(parts)
    return out


def render_html(text: str, subject: str, *, link: str | None = None) -> str:
    """The HTML part of an email: the rendered text as paragraphs and lists, escaped.

    `link` (the unit's portal link the text carries) is the only text made a link.
    """
    blocks, footer = text_blocks(text)
    addressee = ""
    if blocks and blocks[0][0][1][0].startswith("Kính gửi:"):
        addressee = blocks[0][0][1][0].removeprefix("Kính gửi:").strip()
        blocks[0][0][1].pop(0)
        blocks[0] = [part for part in blocks[0] if part[1]]
        if not blocks[0]:
            blocks.pop(0)
    html = _html_document(subject, addressee, _with_link(blocks, link), footer)
    return html + "\n"


def campaign_reference(campaign: Campaign) -> str:
    """“Kế hoạch số 641/KH-UBND ngày 12/3/2026 của Ủy ban nhân dân tỉnh Cao Bằng”, or
    “Chỉ thị số 12/CT-UBND …”: the document named by its own kind."""
    return (
        f"{campaign.doc_reference} ngày {format_short(campaign.issued.start)} của {campaign.issuer}"
    )


#: Notices that ask a unit to send something, and so say where it goes.
_SENDS = frozenset({ActionKind.OPEN, ActionKind.REMINDER, ActionKind.DUE, ActionKind.OVERDUE})


def recipient_of(action: Action, campaign: Campaign) -> str:
    """Where the submission of `action` goes, as the plan writes it; "" when not said."""
    if action.kind not in _SENDS or action.requirement is Requirement.NONE:
        return ""
    if window_closed(action, campaign):  # nothing more is accepted: nowhere to send it
        return ""
    return campaign.milestone(action.milestone).recipient or ""


def quoted(name: str) -> str:
    """A title as a name: “…”, its own double quotes turned into the inner ‘…’.

    Titles are written by admins and kept exactly as written (no case change): the
    sentence around them never splices a verb onto them, so any title reads right.
    """
    inner = name.strip().replace("\u201c", "\u2018").replace("\u201d", "\u2019")
    return f"\u201c{inner}\u201d"


def _period(key: str, *extra: str) -> str:
    """“ (kỳ quý I/2027)” for a recurring milestone's occurrence, "" for a one-off.

    `extra` details join the same parentheses: “ (kỳ quý I/2027, hạn 20/03/2027)”.
    """
    label = occurrence_label(key)
    details = [f"kỳ {label}"] if label else []
    details += [item for item in extra if item]
    return f" ({', '.join(details)})" if details else ""


def subject_phrase(action: Action, campaign: Campaign) -> str:
    """What the unit has to do, as a verb phrase after “đề nghị <unit>” or “chưa”.

    A titled milestone: `thực hiện nội dung “<title>” (kỳ quý I/2027)`; an untitled
    one: the kind's own phrase, `gửi báo cáo quý I/2027`.
    """
    milestone = campaign.milestone(action.milestone)
    if milestone.title:
        return f"thực hiện nội dung {quoted(milestone.title)}{_period(action.occurrence)}"
    phrase = _SUBJECTS.get(milestone.kind, milestone.kind.label)
    return f"{phrase} {occurrence_label(action.occurrence)}".strip()


def item_name(action: Action, campaign: Campaign, *extra: str) -> str:
    """The milestone as a name: `Báo cáo số liệu chỉ tiêu (kỳ quý I/2027, hạn 20/03/2027)`."""
    milestone = campaign.milestone(action.milestone)
    return f"{milestone.label}{_period(action.occurrence, *extra)}"


#: Subject line prefix of each action kind; the milestone's name follows a colon.
_SUBJECT_PREFIX = {
    ActionKind.OPEN: "Bắt đầu thực hiện",
    ActionKind.REMINDER: "Nhắc hạn",
    ActionKind.DUE: "Hạn cuối",
    ActionKind.OVERDUE: "Quá hạn",
    ActionKind.ESCALATION: "Đơn vị chưa thực hiện",
    ActionKind.EVENT: "Thông báo",
    ActionKind.COMPILE: "Tổng hợp kết quả",
}

#: What each notice is, in words, for the footer (instead of an internal key).
NOTICE_NAMES = {
    ActionKind.LAUNCH: "thông báo phát động",
    ActionKind.OPEN: "thông báo bắt đầu thực hiện",
    ActionKind.REMINDER: "thông báo nhắc hạn",
    ActionKind.DUE: "thông báo hạn cuối",
    ActionKind.OVERDUE: "thông báo quá hạn",
    ActionKind.ESCALATION: "thông báo đơn vị chưa thực hiện",
    ActionKind.EVENT: "thông báo lịch",
    ActionKind.COMPILE: "thông báo tổng hợp kết quả",
}


def _calls_to_event(action: Action) -> bool:
    """A reminder of a milestone nobody submits to (a meeting): it recalls a date."""
    return action.kind is ActionKind.REMINDER and action.requirement is Requirement.NONE


def notice_name(action: Action) -> str:
    """What the notice is, in words: “thông báo nhắc hạn”, “thông báo nhắc lịch”…"""
    if _calls_to_event(action):
        return "thông báo nhắc lịch"
    return NOTICE_NAMES.get(action.kind, "thông báo")


def notice_title(action: Action, campaign: Campaign) -> str:
    """The notice in words, for the organizer's alerts and a footer:
    `thông báo nhắc hạn ngày 17/03/2027 về “Báo cáo số liệu chỉ tiêu” (kỳ quý I/2027)`.

    Unlike the run name, every name stays as written (no lower-cased title, no
    occurrence label glued to a title ending in “năm”).
    """
    text = f"{notice_name(action)} ngày {format_short(action.day)}"
    if action.kind is not ActionKind.LAUNCH:
        milestone = campaign.milestone(action.milestone)
        text += f" về {quoted(milestone.label)}{_period(action.occurrence)}"
    return text


def window_closed(action: Action, campaign: Campaign) -> bool:
    """Whether the notice speaks after a window that refuses late submissions has closed."""
    if action.kind not in (ActionKind.OVERDUE, ActionKind.ESCALATION):
        return False
    return campaign.milestone(action.milestone).late == "refuse"


def subject_line(action: Action, campaign: Campaign) -> str:
    """The e-mail subject: the plan's code, what the notice is about, and the milestone's name.

    Built here rather than from the plan's run names, which lower-case a title's first
    letter to fit a sentence; a subject keeps every name as written.
    """
    if action.kind is ActionKind.LAUNCH:
        return f"[{campaign.code}] {campaign.title}"
    prefix = _SUBJECT_PREFIX[action.kind]
    if action.kind is ActionKind.OVERDUE and window_closed(action, campaign):
        prefix = "Đã hết thời hạn tiếp nhận"
    extra = ""
    if _calls_to_event(action):
        prefix = "Nhắc lịch"
        extra = f"ngày {format_short(action.due)}" if action.due else ""
    elif action.kind is ActionKind.EVENT and action.opens:
        extra = f"ngày {format_short(action.opens)}"
    elif action.kind in (ActionKind.REMINDER, ActionKind.DUE) and action.due:
        extra = f"hạn {format_short(action.due)}"
    return f"[{campaign.code}] {prefix}: {item_name(action, campaign, extra)}"


def contact_means(organizer: Unit) -> str:
    """“điện thoại: 0206 3852 123; thư điện tử: btdkt@…” from the registry, or ""."""
    parts = []
    if phone := organizer.phone:
        parts.append(f"điện thoại: {phone}")
    if mail := organizer.email:
        parts.append(f"thư điện tử: {mail}")
    return "; ".join(parts)


def contact_line(campaign: Campaign, organizer: Unit) -> str:
    """The “Liên hệ:” line: whom to contact (the campaign's contact) and how, or ""."""
    means = contact_means(organizer)
    if not campaign.contact and not means:
        return ""
    whom = campaign.contact or organizer.name
    return f"{whom}; {means}" if means else whom


def _window(action: Action) -> str:
    """The days a milestone accepted submissions, in words, for a notice after it closed."""
    if action.due is None:
        return ""
    if action.opens and action.opens < action.due:
        return f"từ {format_long(action.opens)} đến hết {format_long(action.due)}"
    return f"đến hết {format_long(action.due)}"


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
    missing: Sequence[str] | None = None,
    submitted: int = 0,
    total: int = 0,
    attachments: list[Path] | None = None,
    late_reason: str = SYSTEM_DOWN,
    portal_link: str | None = None,
) -> Message:
    """The notice of `action` for `unit` as sent at `now`; a delay over 30 minutes is said.

    Days left, the title (subject) and the late note are computed from `now`, never
    copied from the plan (`thidua.dates.sendtime`); `late_reason` ends the late note.
    `portal_link` is the unit's personal portal link (`thidua.portal.links.unit_url`):
    the shared layout shows it, and a campaign's own template that leaves it out gets
    it added before the footer, so every notice a unit receives carries it.
    A notice to many units: `Notice` (the same text, the shared part prepared once).
    """
    notice = Notice(
        action,
        campaign=campaign,
        organizer=organizer,
        now=now,
        template_dir=template_dir,
        deadlines=deadlines,
        missing=missing,
        submitted=submitted,
        total=total,
        late_reason=late_reason,
    )
    return notice.to(unit, attachments=attachments, portal_link=portal_link)


class Notice:
    """One action's notice as sent at `now`, prepared once for its whole audience.

    Everything that does not depend on the unit (the campaign's reference, the
    subject, dates, the late note, the deadline list, the template itself) is worked
    out here; `to(unit)` renders what does (`render`'s text, byte for byte).
    """

    def __init__(
        self,
        action: Action,
        *,
        campaign: Campaign,
        organizer: Unit,
        now: datetime,
        template_dir: Path | None = None,
        deadlines: list[dict[str, Any]] | None = None,
        missing: Sequence[str] | None = None,
        submitted: int = 0,
        total: int = 0,
        late_reason: str = SYSTEM_DOWN,
    ) -> None:
        action = as_sent(action, now)
        delay = now - action.at
        planned = action.at.astimezone(TZ)
        launch = action.kind is ActionKind.LAUNCH
        self.action, self.campaign = action, campaign
        self.deadlines = deadlines or []
        self.context: dict[str, Any] = {
            "campaign": campaign,
            "campaign_ref": campaign_reference(campaign),
            "doc_label": campaign.doc_label,
            "doc_ref": campaign.doc_reference,
            "recipient": recipient_of(action, campaign),
            "targets": [t.description for t in campaign.targets] if launch else [],
            "action": action,
            "organizer": organizer,
            "subject": subject_phrase(action, campaign) if not launch else "",
            "days_left": days_left_label(action.days_left) if action.days_left is not None else "",
            "late": late_label(delay) if delay > LATE_AFTER else "",
            "late_reason": late_reason,
            "scheduled_at": f"{planned:%H:%M} ngày {format_short(planned.date())}",
            "missing": missing or [],
            "submitted": submitted,
            "total": total,
            "campaign_title": quoted(campaign.title),
            "issued": format_short(campaign.issued.start),
            "contact": contact_line(campaign, organizer),
            "contact_whom": campaign.contact or organizer.name,
            "contact_means": contact_means(organizer),
            "notice_name": notice_name(action),
            "window_closed": window_closed(action, campaign),
            "window": _window(action),
            "what": campaign.milestone(action.milestone).requirement.label if not launch else "",
            "event": quoted(campaign.milestone(action.milestone).label) + _period(action.occurrence)
            if not launch
            else "",
        }
        env = _environment(str(template_dir) if template_dir and template_dir.is_dir() else None)
        self.template = env.get_template(f"{action.template}.txt.j2")
        self.subject = subject_line(action, campaign)

    def to(
        self, unit: Unit, *, attachments: list[Path] | None = None, portal_link: str | None = None
    ) -> Message:
        """The notice for `unit`, carrying `attachments` and its portal link."""
        context = {
            **self.context,
            "tasks": tasks_for(self.campaign, unit)
            if self.action.kind is ActionKind.LAUNCH
            else [],
            "unit": unit,
            "deadlines": [d for d in self.deadlines if _concerns(d, unit)][:12],
            "portal_line": portal_line(portal_link) if portal_link else "",
        }
        text = self.template.render(context).strip() + "\n"
        if portal_link and portal_line(portal_link) not in text:
            text = with_portal_line(text, portal_link)
        return Message(
            subject=self.subject,
            text=text,
            html=render_html(text, self.subject, link=portal_link),
            attachments=list(attachments or []),
        )


def with_portal_line(text: str, link: str) -> str:
    """`text` with the portal line as its own paragraph, before the footer if it has one."""
    body, sep, footer = text.rstrip("\n").partition("\n--\n")
    return f"{body.rstrip()}\n\n{portal_line(link)}{sep}{footer}\n"


def launch_deadlines(campaign: Campaign, occurrences: list[Occurrence]) -> list[dict[str, Any]]:
    """The deadlines a launch notice lists: each submission milestone's occurrences.

    A title is a name and stays as written; a recurring milestone's occurrence goes in
    parentheses (“Báo cáo hằng năm (kỳ năm 2027)”), so no word of the title is repeated.
    """
    items: list[dict[str, Any]] = []
    for occ in occurrences:
        m = occ.milestone
        if m.kind is MilestoneKind.LAUNCH or m.audience == "organizer":
            continue
        label = m.label + (f" (kỳ {occ.label})" if occ.label else "")
        # A meeting has a date, not a deadline.
        word = "diễn ra" if m.requirement is Requirement.NONE else "hạn"
        items.append(
            {
                "label": label,
                "due": occ.due,
                "word": word,
                "recipient": m.recipient,
                "only": _addressed(campaign, m),
            }
        )
    # Room for the ones a unit is not concerned by: `render` keeps the first 12 of its own.
    return sorted(items, key=lambda item: item["due"])[:60]


def _addressed(campaign: Campaign, m: Milestone) -> tuple[str, ...]:
    """The unit and group codes a milestone is for, when not every participant."""
    if m.charged_with:
        return tuple(
            c for r in campaign.responsibilities if r.id in m.charged_with for c in r.units
        )
    return tuple(m.audience) if isinstance(m.audience, list) else ()


def _concerns(item: dict[str, Any], unit: Unit) -> bool:
    only = item.get("only") or ()
    return not only or bool({unit.code, *unit.groups}.intersection(only))
