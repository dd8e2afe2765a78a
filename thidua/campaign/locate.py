"""Where a problem of a campaign file is: its field path and the line of its keyword argument.

A declaration records the line of its call (`thidua.campaign.dsl`); a problem concerns
one keyword argument of it, often on another line of a multi-line call. The file's
syntax tree (parsed here, never run) gives the line of each keyword argument, of each
item of a list and of each key of a dict written literally in the call.

Paths are written one way everywhere, by `field_path`: a milestone by its key
(`milestones[bao-cao-nam]`, or the kind when it has no id: `milestones[phat-dong]`), a
target by its code, and anything else (or a key two items share) by its position.
"""

from __future__ import annotations

import ast
import os
import re
from functools import lru_cache
from typing import Any

from thidua.campaign.dsl import Declaration, Loc

_SLUG = re.compile(r"^[a-z0-9][a-z0-9_\-]*$")


def clean_loc(loc: tuple[Any, ...]) -> Loc:
    """A pydantic error location without the names of union members and validators."""
    # Annotated unions add their member names ("function-before[...]", "list[...]") to locs.
    return tuple(p for p in loc if isinstance(p, int) or not re.search(r"[\[\]()]|^str$|^int$", p))


def milestone_key(raw: Any) -> str | None:
    """The key a milestone's plain data will have (see `Milestone.key`), or None if unknown."""
    if not isinstance(raw, dict):
        return None
    given = raw.get("id")
    if isinstance(given, str) and _SLUG.match(given):
        return given
    if given is not None:
        return None
    from thidua.campaign.kinds import MilestoneKind

    try:
        kind = MilestoneKind.parse(raw.get("kind"))
    except ValueError:
        return None
    return kind.value.replace("_", "-") if isinstance(kind, MilestoneKind) else None


def _item_key(list_loc: Loc, item: Any) -> str | None:
    if list_loc == ("milestones",):
        return milestone_key(item)
    if list_loc == ("targets",) and isinstance(item, dict):
        code = item.get("code")
        return code if isinstance(code, str) and _SLUG.match(code) else None
    return None


def item_label(list_loc: Loc, items: Any, index: int) -> str | int:
    """How `field_path` names item `index` of the list at `list_loc`."""
    if not isinstance(items, list) or not 0 <= index < len(items):
        return index
    key = _item_key(list_loc, items[index])
    if key is None:
        return index
    same = sum(1 for other in items if _item_key(list_loc, other) == key)
    return key if same == 1 else index


def field_path(loc: Loc, data: Any) -> str:
    """`milestones[bao-cao].reminders[0]` for loc ("milestones", 1, "reminders", 0)."""
    out = ""
    node = data
    for n, part in enumerate(loc):
        if isinstance(part, int):
            out += f"[{item_label(tuple(loc[:n]), node, part)}]"
        elif n and isinstance(loc[n - 1], str) and _is_mapping_key(loc[:n], node):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            node = None
    return out


#: fields whose value is a mapping keyed by the admin's codes: their keys are items
_MAPPINGS = {"overrides", "criteria", "responsibilities"}


def _is_mapping_key(parent: Loc, node: Any) -> bool:
    return bool(parent) and parent[-1] in _MAPPINGS and isinstance(node, dict)


def plain_path(loc: Loc) -> str:
    """A path from the location alone (no data to name items by): `milestones[1].when`."""
    out = ""
    for n, part in enumerate(loc):
        if isinstance(part, int) or (n and loc[n - 1] in _MAPPINGS):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


# --- lines -------------------------------------------------------------------------


class Locator:
    """The `file:line` of a location, from the declarations a file made and its syntax tree."""

    def __init__(self, where: dict[Loc, Declaration]) -> None:
        self.where = where

    def source(self, loc: Loc) -> str | None:
        for n in range(len(loc), -1, -1):
            d = self.where.get(loc[:n])
            if d is not None:
                line = _keyword_line(d, loc[n:]) or d.line
                return f"{d.file}:{line}"
        return None


def _keyword_line(d: Declaration, rest: Loc) -> int | None:
    """The line of `rest` (keyword, then list items / dict keys) inside the call of `d`."""
    if not rest or not isinstance(rest[0], str):
        return None
    call = _call_at(d.file, d.line, type(d).__name__)
    if call is None:
        return None
    keyword = next((k for k in call.keywords if k.arg == rest[0]), None)
    if keyword is None:
        return None
    line = keyword.lineno
    node = keyword.value
    for part in rest[1:]:
        child = _child(node, part)
        if child is None:
            break
        node = child
        line = node.lineno
    return line


def _child(node: ast.expr, part: str | int) -> ast.expr | None:
    if isinstance(node, ast.List | ast.Tuple) and isinstance(part, int):
        before = node.elts[: part + 1]
        if part < len(node.elts) and not any(isinstance(e, ast.Starred) for e in before):
            return node.elts[part]
        return None
    if isinstance(node, ast.Dict):
        for key, value in zip(node.keys, node.values, strict=True):
            if isinstance(key, ast.Constant) and key.value == part:
                return key if not isinstance(value, ast.List | ast.Dict) else value
    return None


def _call_at(file: str, line: int, name: str) -> ast.Call | None:
    try:
        stamp = os.stat(file).st_mtime_ns
    except OSError:
        return None
    calls = _calls(file, stamp)
    found = calls.get((line, name))
    return found[0] if found else None


@lru_cache(maxsize=32)
def _calls(file: str, stamp: int) -> dict[tuple[int, str], list[ast.Call]]:
    """The calls of a file by (line, called name); empty when it cannot be parsed."""
    try:
        with open(file, encoding="utf-8") as f:
            tree = ast.parse(f.read(), file)
    except (OSError, SyntaxError, ValueError, RecursionError, MemoryError):
        return {}
    out: dict[tuple[int, str], list[ast.Call]] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
            if name:
                out.setdefault((node.lineno, name), []).append(node)
    return out
