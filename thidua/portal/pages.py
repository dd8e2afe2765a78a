"""Rendering portal pages: one autoescaping Jinja2 environment over `portal/templates/`.

Every value is data: a unit name or a reason typed by staff can never become markup.
Pages work without JavaScript and read on a phone (`_base.html`).
"""

from __future__ import annotations

from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from thidua.dates.written import format_long, format_short, weekday_name
from thidua.ledger.timing import local_text

__all__ = ["TEMPLATES", "environment", "page", "when"]

TEMPLATES = Path(__file__).with_name("templates")


def when(moment: datetime | None) -> str:
    """“16:30 ngày 10/07/2023 (thứ Hai)” in local time, as every message says it; "" for None."""
    return local_text(moment) if moment is not None else ""


def day_with_weekday(d: date) -> str:
    """“thứ Sáu, 10/07/2023”."""
    return f"{weekday_name(d)}, {format_short(d)}"


@cache
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals.update(short=format_short, long=format_long, weekday=day_with_weekday, when=when)
    return env


def page(
    request: Request, template: str, *, status_code: int = 200, **context: Any
) -> HTMLResponse:
    """The page `template` rendered with `context`, plus what every page needs."""
    context.setdefault("title", "Cổng thi đua")
    context.setdefault("csrf", getattr(request.state, "csrf", ""))
    context.setdefault("staff", getattr(request.state, "staff", None))
    html = environment().get_template(template).render(request=request, **context)
    return HTMLResponse(html, status_code=status_code, headers=_SECURITY_HEADERS)


#: No framing, no sniffing, no referrer (a unit's link must not leak to another site),
#: no script at all: the pages need none.
_SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}
