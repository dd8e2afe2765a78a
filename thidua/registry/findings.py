"""The problems found in one registry, each located by the line of its item.

`fail` is a registry that cannot be read at all (one problem); `Findings` collects
every problem of a registry that can, and lists them in the order of the file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from thidua.errors import Problem, RegistryError


def fail(source: str, message: str, value: Any = ..., where: str | None = None) -> RegistryError:
    """A registry that cannot be read at all: one problem, at the file or one of its lines."""
    problem = (
        Problem("", message, source=where or source)
        if value is ...
        else Problem("", message, value, where or source)
    )
    return RegistryError(f"Danh mục đơn vị {source}", [problem])


@dataclass
class Findings:
    """The problems of one registry, located by item line."""

    source: str
    #: "units[3]" / "groups[0]" / "name" -> "file:line", where the input had lines
    locations: dict[str, str]
    problems: list[Problem]
    #: id of a problem -> its place when the file is read top to bottom
    order: dict[int, tuple[int, int, int]] = field(default_factory=dict)

    def sort(self, start: int) -> None:
        """Problems from `start` on in the order of the file: items, and fields in an item."""
        head, tail = self.problems[:start], self.problems[start:]
        self.problems = head + sorted(tail, key=lambda p: self.order.get(id(p), (9, 0, 0)))

    def add(
        self,
        path: str,
        message: str,
        value: Any = ...,
        *,
        at: str = "",
        warn: bool = False,
        unknown: bool = False,
    ) -> None:
        """Record a problem; `at` is the raw item path used to find the line; an `unknown`
        field is listed before the item's other problems."""
        where = self.locations.get(at or path.split(".")[0], self.source)
        severity: Literal["error", "warning"] = "warning" if warn else "error"
        if value is ...:
            problem = Problem(path, message, source=where, severity=severity)
        else:
            problem = Problem(path, message, value, where, severity)
        self.problems.append(problem)
        section, item, rank = _reading_order(path, at)
        self.order[id(problem)] = (section, item, -1 if unknown else rank)

    @property
    def failed(self) -> bool:
        return any(p.severity == "error" for p in self.problems)


_SECTIONS = {"groups": 1, "units": 2}
#: the order an admin reads a unit in (contacts, the longest, last)
_FIELDS = {
    name: rank
    for rank, name in enumerate(
        ("code", "name", "kind", "groups", "supervisor", "head", "headcount", "phone", "email")
    )
} | {"contacts": 9}


def _reading_order(path: str, at: str) -> tuple[int, int, int]:
    """(section, item, field) of a problem: the top-level keys, then the groups, then the
    units; within a list, refused items before the others; within an item, its unknown
    keys first, then the fields in model order."""
    section = _SECTIONS.get((at or path).split("[")[0].split(".")[0], 0)
    if not at or path == at:
        return section, -1, 0
    rest = path.split(".", 1)[1] if "." in path else ""
    return section, int(at[at.index("[") + 1 : -1]), _FIELDS.get(rest.split("[")[0], -1)
