"""A unit's target figures: parsed as people write them, checked against their `Target`.

`attainment` and `meets` are the one definition of reaching a target, shared by the
status board and the report; `total` adds units up (the province-wide ratio is
Σvalue / Σbase).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from thidua.campaign.spec import Campaign, Target
from thidua.errors import SubmissionError, quote

#: Figures are decimals typed by people: 0.8 must reach an 80% goal despite binary floats.
EPSILON = 1e-9


_NUMBER = re.compile(r"[+-]?\d+(?:[.,]\d+)?")


def parse_number(value: Any, *, what: str) -> float:
    """A figure as written: 12, "12", "12,5" or "12.5"; SubmissionError naming `what` otherwise."""
    if isinstance(value, bool):
        raise SubmissionError(f"{what}: {quote(value)} không phải là số", value=value)
    if isinstance(value, int | float):
        if not math.isfinite(value):
            raise SubmissionError(f"{what}: {quote(value)} không phải là số", value=value)
        return float(value)
    text = re.sub(r"[\s\u00a0]+", "", str(value))
    if not _NUMBER.fullmatch(text):
        raise SubmissionError(
            f"{what}: {quote(str(value))} không phải là số (ghi dạng 12 hoặc 12,5)", value=value
        )
    number = float(text.replace(",", "."))
    if not math.isfinite(number):
        digits = sum(c.isdigit() for c in text)
        raise SubmissionError(f"{what}: số có {digits} chữ số, quá lớn để là số liệu", value=value)
    return number


def _plain_number(x: float) -> int | float:
    return int(x) if float(x).is_integer() else x


@dataclass(frozen=True, slots=True)
class Figure:
    """A unit's figure for one target: the numerator's value and, for a ratio, its base."""

    value: float
    base: float | None = None

    def to_json(self) -> dict[str, Any]:
        """As the store keeps it: {"value": 12, "base": 40}."""
        base = None if self.base is None else _plain_number(self.base)
        return {"value": _plain_number(self.value), "base": base}

    @classmethod
    def of(cls, data: Figure | Mapping[str, Any] | None) -> Figure | None:
        """A Figure from a stored mapping (None stays None)."""
        if data is None or isinstance(data, Figure):
            return data
        value, base = data.get("value"), data.get("base")
        if value is None:
            return None
        return cls(float(value), None if base is None else float(base))

    def text(self) -> str:
        """“12/40” or “12”, with a decimal comma."""
        shown = [_number_text(self.value)]
        if self.base is not None:
            shown.append(_number_text(self.base))
        return "/".join(shown)


def _number_text(x: float) -> str:
    return str(_plain_number(x)).replace(".", ",")


def parse_figure(text: str) -> tuple[str, str]:
    """Split a command-line figure “sang-kien=12/40” into (target code, “12/40”)."""
    code, sep, value = str(text).partition("=")
    if not sep or not code.strip() or not value.strip():
        raise SubmissionError(
            f"số liệu {quote(str(text))} phải có dạng MÃ-CHỈ-TIÊU=giá trị hoặc "
            "MÃ-CHỈ-TIÊU=tử số/mẫu số, ví dụ sang-kien=12/40",
            field="figures",
            value=text,
        )
    return code.strip(), value.strip()


def _figure(target: Target, raw: Any) -> Figure:
    """One figure checked against its target's definition."""
    what = f"số liệu chỉ tiêu “{target.code}”"
    path = f"figures.{target.code}"
    if isinstance(raw, Figure):
        value, base = raw.value, raw.base
    elif isinstance(raw, Mapping):
        if raw.get("value") in (None, ""):
            raise SubmissionError(
                f"{what}: thiếu giá trị (tử số)", field=path, value=raw.get("base")
            )
        value = _number_at(raw["value"], what, path, raw["value"])
        base = (
            None
            if raw.get("base") in (None, "")
            else _number_at(raw["base"], f"{what} (mẫu số)", path, raw["base"])
        )
    else:
        text = str(raw).strip() if not isinstance(raw, int | float) else raw
        if isinstance(text, str) and "/" in text:
            top, _, bottom = text.partition("/")
            value = _number_at(top, what, path, raw)
            base = _number_at(bottom, f"{what} (mẫu số)", path, raw)
        else:
            value, base = _number_at(text, what, path, raw), None
    problem = None
    # The CLI prints only the message, so the figure as typed must be in it.
    typed = f" (đang ghi {quote(_typed(raw))})"
    if value < 0:
        problem = f"{what}: giá trị phải là số không âm{typed}"
    elif target.denominator:
        if base is None:
            problem = (
                f"{what} là tỉ lệ ({target.numerator} / {target.denominator}); cần ghi cả "
                f"tử số và mẫu số, ví dụ {target.code}=12/40{typed}"
            )
        elif base <= 0:
            problem = f"{what}: mẫu số ({target.denominator}) phải lớn hơn 0{typed}"
        elif value > base + EPSILON:
            problem = (
                f"{what}: tử số {_number_text(value)} lớn hơn mẫu số {_number_text(base)} "
                f"({target.numerator} không thể nhiều hơn {target.denominator.lower()})"
            )
    elif base is not None:
        problem = (
            f"{what} là số lượng ({target.numerator}), không có mẫu số; chỉ ghi một số, "
            f"ví dụ {target.code}={_number_text(value)}"
        )
    if problem:
        raise SubmissionError(problem, field=path, value=raw)
    return Figure(value, base)


def _typed(raw: Any) -> str:
    """A figure as the user wrote it: “12/40”, “-3”, or value/base from two columns."""
    if isinstance(raw, Figure):
        return raw.text()
    if isinstance(raw, Mapping):
        parts = (raw.get("value"), raw.get("base"))
        return "/".join("" if p is None else str(p) for p in parts)
    return str(raw)


def _number_at(text: Any, what: str, path: str, raw: Any) -> float:
    try:
        return parse_number(text, what=what)
    except SubmissionError as exc:
        raise SubmissionError(exc.message, field=path, value=raw) from None


def validate_figures(
    spec: Campaign, figures: Mapping[str, Any], *, required: bool = False
) -> dict[str, Figure]:
    """Figures by target code, each checked against the campaign's `Target`s.

    `required`: the milestone asks for target figures, so every target must be there.
    All problems are reported together (SubmissionError with `errors`).
    """
    targets = {t.code: t for t in spec.targets}
    known = ", ".join(targets) or "chiến dịch này không khai báo chỉ tiêu nào"
    errors: list[SubmissionError] = []
    out: dict[str, Figure] = {}
    for code, raw in figures.items():
        key = str(code).strip().lower()
        target = targets.get(key)
        if target is None:
            errors.append(
                SubmissionError(
                    f"không có chỉ tiêu {quote(str(code))} (các chỉ tiêu: {known})",
                    field=f"figures.{code}",
                    value=code,
                )
            )
            continue
        if key in out:
            errors.append(
                SubmissionError(
                    f"số liệu chỉ tiêu “{key}” được ghi hai lần", field=f"figures.{key}", value=raw
                )
            )
            continue
        try:
            out[key] = _figure(target, raw)
        except SubmissionError as exc:
            errors.append(exc)
    if required and targets:
        missing = [t for t in spec.targets if t.code not in out and t.code not in figures]
        if missing and not errors:
            listed = "; ".join(f"{t.code} ({t.description})" for t in missing)
            errors.append(
                SubmissionError(
                    f"mốc này yêu cầu số liệu chỉ tiêu; còn thiếu: {listed}", field="figures"
                )
            )
    if errors:
        raise SubmissionError.combine(errors)
    return out


def rate(target: Target, figure: Figure | Mapping[str, Any] | None) -> float | None:
    """The achieved level: value/base for a ratio target, the value for a count; None if unknown."""
    fig = Figure.of(figure)
    if fig is None:
        return None
    if target.denominator:
        if fig.base is None or fig.base <= 0:
            return None
        return fig.value / fig.base
    return fig.value


def attainment(target: Target, figure: Figure | Mapping[str, Any] | None) -> float | None:
    """How far the figure reaches the goal: 1.0 = exactly the goal (rate / goal); None if unknown."""
    achieved = rate(target, figure)
    return None if achieved is None else achieved / target.goal


def meets(target: Target, figure: Figure | Mapping[str, Any] | None) -> bool:
    """True when the figure reaches the target's goal (an unknown figure does not)."""
    achieved = rate(target, figure)
    return achieved is not None and achieved >= target.goal - EPSILON


def total(figures: Iterable[Figure | Mapping[str, Any] | None]) -> Figure | None:
    """Figures of several units added up (the province-wide ratio is Σvalue / Σbase)."""
    known = [f for f in map(Figure.of, figures) if f is not None]
    if not known:
        return None
    bases = [f.base for f in known]
    base = None if any(b is None for b in bases) else sum(b for b in bases if b is not None)
    return Figure(sum(f.value for f in known), base)
