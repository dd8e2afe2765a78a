"""Declarations that campaign files write: `Campaign(...)`, `Milestone(...)`, ….

A declaration only records its keyword arguments and where it was written; the
whole tree is validated at once by `thidua.campaign.loading` against the models in
`thidua.campaign.spec`. Validating each `Milestone(...)` as it is constructed would stop
at the first mistake, and an admin should see every mistake of a file in one go.
This module is deliberately free of pydantic so that importing it is instant.
"""

from __future__ import annotations

import sys
from typing import Any, ClassVar

Loc = tuple[str | int, ...]


class Declaration:
    """Keyword arguments of one spec model, with the file and line that wrote them."""

    __slots__ = ("args", "fields", "file", "line")
    model: ClassVar[str]

    def __init__(self, *args: Any, **fields: Any) -> None:
        caller = sys._getframe(1)
        self.file: str = caller.f_code.co_filename
        self.line: int = caller.f_lineno
        self.args = args
        self.fields = fields

    def __repr__(self) -> str:
        inner = ", ".join(f"{k}={v!r}" for k, v in self.fields.items())
        return f"{type(self).__name__}({inner})"

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other.fields == self.fields

    __hash__ = None  # type: ignore[assignment]


def unfold(value: Any, loc: Loc = ()) -> tuple[Any, dict[Loc, Declaration]]:
    """Plain data for pydantic, plus the declaration found at each location."""
    where: dict[Loc, Declaration] = {}

    def walk(v: Any, at: Loc) -> Any:
        if isinstance(v, Declaration):
            where[at] = v
            return {k: walk(x, (*at, k)) for k, x in v.fields.items()}
        if isinstance(v, list | tuple):
            return [walk(x, (*at, i)) for i, x in enumerate(v)]
        if isinstance(v, dict):
            return {k: walk(x, (*at, k)) for k, x in v.items()}
        return v

    return walk(value, loc), where


class Campaign(Declaration):
    """A campaign (phong trào / đợt thi đua) as its signed plan describes it."""

    model = "Campaign"


class Milestone(Declaration):
    """A dated step: launch, a plan or report due, nominations, sơ kết, tổng kết."""

    model = "Milestone"


class Participants(Declaration):
    """Who takes part: groups (cụm/khối), unit kinds, explicit unit codes."""

    model = "Participants"


class Award(Declaration):
    """An award form (Bằng khen, Giấy khen) with its nominees, quota and dossier."""

    model = "Award"


class Quota(Declaration):
    """How many nominations a unit may send, or a maximum ratio of participants."""

    model = "Quota"


class Escalation(Declaration):
    """Whom to tell when units are still missing some time after the due date."""

    model = "Escalation"


class Recurrence(Declaration):
    """Repeat a milestone: hằng năm, 6 tháng, hằng quý, hằng tháng, or on listed dates."""

    model = "Recurrence"


class Target(Declaration):
    """A target (chỉ tiêu) that units report figures against."""

    model = "Target"


class Responsibility(Declaration):
    """What the plan charges units or groups with (“Sở Nội vụ: hướng dẫn, kiểm tra…”)."""

    model = "Responsibility"


DECLARATIONS: dict[str, type[Declaration]] = {
    cls.model: cls
    for cls in (
        Campaign,
        Milestone,
        Participants,
        Award,
        Quota,
        Escalation,
        Recurrence,
        Target,
        Responsibility,
    )
}
