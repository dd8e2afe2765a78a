"""The weekly digest as a message: one unit's list of what it owes in the next 14 days.

The content comes from `thidua.ledger.digest`; this module only words it, from
`templates/digest.txt.j2`, as the same `Message` (text and HTML) every notice is.
"""

from __future__ import annotations

from functools import cache

from jinja2 import FileSystemLoader, StrictUndefined
from jinja2.sandbox import SandboxedEnvironment
from thidua.notifications.render import TEMPLATES, Message, portal_line, quoted, render_html

from thidua.dates.written import format_short
from thidua.ledger.digest import DigestItem, WeeklyDigest, week_label

TEMPLATE = "digest.txt.j2"


@cache
def _templates() -> SandboxedEnvironment:
    # Sandboxed and strict like the notices: unit and milestone names are data.
    return SandboxedEnvironment(
        loader=FileSystemLoader(str(TEMPLATES)), undefined=StrictUndefined, autoescape=False
    )


def digest_subject(digest: WeeklyDigest) -> str:
    """“Bản tin tuần: các việc đến hạn từ 07/12 đến 20/12/2026” (the year once when both
    days share it)."""
    start, end = digest.start, digest.end
    first = f"{start:%d/%m}" if start.year == end.year else format_short(start)
    return f"Bản tin tuần: các việc đến hạn từ {first} đến {format_short(end)}"


def _item(item: DigestItem) -> dict[str, str]:
    return {
        "label": quoted(item.label),
        "period": f" (kỳ {item.occurrence_label})" if item.occurrence_label else "",
        "campaign": item.campaign_ref,
        "due": item.due_text,
        "left": item.left_text,
    }


def render_digest(digest: WeeklyDigest, *, link: str) -> Message:
    """The digest of `digest.unit` as sent; `link` is the unit's portal page."""
    context = {
        "unit": digest.unit,
        "items": [_item(i) for i in digest.items],
        "start": format_short(digest.start),
        "end": format_short(digest.end),
        "week": week_label(digest.week),
        # The same line, wording and HTML link as every notice's (render.portal_line).
        "portal_line": portal_line(link),
    }
    text = _templates().get_template(TEMPLATE).render(context).strip() + "\n"
    subject = digest_subject(digest)
    return Message(subject=subject, text=text, html=render_html(text, subject, link=link))
