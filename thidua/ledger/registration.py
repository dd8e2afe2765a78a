"""Registration (đăng ký thi đua): at the start of a year a unit registers what it commits to.

A plan asks units to register (“các đơn vị đăng ký thi đua, gửi về … trước ngày
15/01”): the titles they aim for and the level they commit to on each target. A
registration is a submission for a milestone of kind `registration`
(`MilestoneKind.REGISTRATION`, requirement `REGISTRATION`): recorded, stamped and
receipted like any other (`thidua submit`, the import, the form), with two
differences that live here:

- its figures are *registered targets*, not results: the level the unit commits to,
  a rate for a ratio target (“100%”, 0.9) or a number for a count target (“12”);
  they are stored as {"registered": 1.0} so that no reader takes them for a result;
- its note lists the commitments, one per line (“Tập thể lao động xuất sắc”).

The status board shows each unit's registered level next to what it reached, and
the report lists them with the results (`registered_targets`).

This module depends on no other ledger module: `thidua.ledger.submissions` calls it.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from thidua.campaign.spec import Campaign, Target
from thidua.errors import quote

#: the key of a registered level in a stored figure
REGISTERED = "registered"

_PERCENT = re.compile(r"([+-]?\d+(?:[.,]\d+)?)\s*%")
_NUMBER = re.compile(r"[+-]?\d+(?:[.,]\d+)?")


@dataclass(frozen=True, slots=True)
class RegisteredFigure:
    """The level a unit commits to on one target: a rate (0–1) or a count."""

    goal: float

    def to_json(self) -> dict[str, Any]:
        """As the store keeps it: {"registered": 0.9}."""
        return {REGISTERED: int(self.goal) if self.goal.is_integer() else self.goal}


#: one problem of a registration: (field, Vietnamese message, value as given)
Issue = tuple[str, str, Any]


def check_registered(
    spec: Campaign, figures: Mapping[str, Any]
) -> tuple[dict[str, RegisteredFigure], list[Issue]]:
    """Registered levels by target code, and every problem with them (none: all good)."""
    targets = {t.code: t for t in spec.targets}
    out: dict[str, RegisteredFigure] = {}
    issues: list[Issue] = []
    for code, raw in figures.items():
        key = str(code).strip().lower()
        target = targets.get(key)
        if target is None:
            known = ", ".join(targets) or "chiến dịch này không khai báo chỉ tiêu nào"
            issues.append(
                (f"figures.{code}", f"không có chỉ tiêu {quote(str(code))} (có: {known})", code)
            )
            continue
        try:
            out[key] = RegisteredFigure(parse_registered(target, raw))
        except ValueError as exc:
            issues.append((f"figures.{key}", str(exc), raw))
    return out, issues


def parse_registered(target: Target, raw: Any) -> float:
    """The level registered for `target`: “90%” or 0.9 for a ratio, “12” for a count."""
    what = f"mức đăng ký chỉ tiêu “{target.code}”"
    if isinstance(raw, Mapping) and REGISTERED in raw:
        raw = raw[REGISTERED]
    text = raw if isinstance(raw, str) else None
    if isinstance(raw, bool) or not isinstance(raw, int | float | str):
        raise ValueError(f"{what}: {quote(raw)} không phải là số")
    if text is not None:
        compact = re.sub(r"[\s\u00a0]+", "", text)
        percent = _PERCENT.fullmatch(compact)
        if percent and target.denominator:
            value = float(percent.group(1).replace(",", ".")) / 100
        elif percent:
            raise ValueError(
                f"{what} là số lượng ({target.numerator}), không phải tỉ lệ; ghi một số, "
                f"ví dụ {target.code}={_shown(target.goal)} (đang ghi: {quote(text)})"
            )
        elif _NUMBER.fullmatch(compact):
            value = float(compact.replace(",", "."))
        else:
            raise ValueError(f"{what}: {quote(text)} không phải là số (ví dụ 12 hoặc 90%)")
    else:
        value = float(raw)
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"{what} phải là số không âm (đang ghi: {quote(raw)})")
    if target.denominator and value > 1:
        raise ValueError(
            f"{what} là tỉ lệ ({target.numerator} / {target.denominator}); ghi dạng “90%” "
            f"hoặc số từ 0 đến 1 (đang ghi: {quote(raw)})"
        )
    return value


def _shown(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x).replace(".", ",")


# --- reading registrations back --------------------------------------------------------


def is_registered(figure: Any) -> bool:
    """Whether a stored figure is a registered level (not a result)."""
    return isinstance(figure, Mapping) and REGISTERED in figure


def registered_goal(figure: Any) -> float | None:
    value = figure.get(REGISTERED) if is_registered(figure) else None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return None


def commitments(note: str | None) -> tuple[str, ...]:
    """The commitments of a registration: its note, one per line."""
    return tuple(line.strip(" -•\t") for line in (note or "").splitlines() if line.strip(" -•\t"))


class _Stored(Protocol):
    """What a stored submission (or a board row of one) offers; read only, so a frozen
    board row qualifies as well as a store row."""

    @property
    def occurrence(self) -> str: ...

    @property
    def submitted_at(self) -> datetime: ...

    @property
    def figures(self) -> dict[str, Any]: ...


def period_of(occurrence: str, submitted_at: datetime) -> str:
    """The year a registration is for: its occurrence's year, else the year it was made."""
    return occurrence[:4] if occurrence[:4].isdigit() else str(submitted_at.year)


def registered_targets(
    submissions: Iterable[tuple[str, _Stored]],
) -> dict[tuple[str, str, str], float]:
    """(unit, target code, year) → the level registered, the latest registration winning.

    `submissions` are (unit code, submission) pairs; those without registered figures
    are skipped, so all of a campaign's submissions may be passed.
    """
    out: dict[tuple[str, str, str], tuple[datetime, float]] = {}
    for unit, s in submissions:
        for code, figure in (s.figures or {}).items():
            goal = registered_goal(figure)
            if goal is None:
                continue
            key = (unit, code, period_of(s.occurrence, s.submitted_at))
            if key not in out or s.submitted_at >= out[key][0]:
                out[key] = (s.submitted_at, goal)
    return {key: goal for key, (_, goal) in out.items()}


def registered_text(target: Target, goal: float | None) -> str:
    """“đăng ký 90%” (a ratio) or “đăng ký 12” (a count); "" when nothing was registered."""
    if goal is None:
        return ""
    if target.denominator:
        return f"đăng ký {_shown(round(goal * 100, 1))}%"
    return f"đăng ký {_shown(goal)}"


def registered_units(
    registered: Mapping[tuple[str, str, str], float], code: str, year: str = ""
) -> dict[str, float]:
    """Unit code → the level it registered on target `code` for `year` ("" : its latest).

    One pass over the registrations (the board asks it once per target, not once per
    unit and target: that scanned every registration for every unit).
    """
    if year:
        return {u: goal for (u, c, y), goal in registered.items() if c == code and y == year}
    latest: dict[str, tuple[str, float]] = {}
    for (u, c, y), goal in registered.items():
        if c == code and (u not in latest or y > latest[u][0]):
            latest[u] = (y, goal)
    return {u: goal for u, (_, goal) in sorted(latest.items())}
