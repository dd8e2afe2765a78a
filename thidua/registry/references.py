"""The rules that need the whole registry: unique codes, groups that exist, supervisors
that exist and form no cycle, group heads that are units, units with contacts.

They read the raw items, through the same field rules as the models, so that they
still run where pydantic refused another field of an item: every problem is found
in one pass. `References` also names each item by its code for the messages and
collects the contacts for the Apprise check.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from thidua.registry.findings import Findings
from thidua.registry.models import (
    FieldProblem,
    Unit,
    clean_code,
    clean_contact,
    clean_name,
    clean_optional_code,
    clean_unit_kind,
    split_list,
)
from thidua.registry.vocabulary import code_key


def _salvage(rule: Callable[..., Any], value: Any, *args: Any, **kwargs: Any) -> Any:
    """What a field rule makes of `value`, or None where it refuses it: the registry-wide
    rules still run on the fields that are fine, so every problem is found at once."""
    try:
        return rule(value, *args, **kwargs)
    except FieldProblem:
        return None


def _mappings(data: dict[Any, Any], name: str) -> list[tuple[int, dict[Any, Any]]]:
    items = data.get(name)
    if not isinstance(items, list):
        return []
    return [(i, item) for i, item in enumerate(items) if isinstance(item, dict)]


@dataclass
class References:
    """What the registry-wide rules need, read from the raw items."""

    labels: dict[tuple[str, int], str | None] = field(default_factory=dict)
    skip: set[tuple[Any, ...]] = field(default_factory=set)
    groups: dict[str, tuple[str, str | None]] = field(default_factory=dict)  # code -> (at, head)
    implicit_groups: list[str] = field(default_factory=list)
    units: dict[str, tuple[str, ...]] = field(default_factory=dict)  # code -> its groups
    supervisors: dict[str, tuple[str, str, str]] = field(default_factory=dict)
    pending: list[tuple[str, str, str]] = field(default_factory=list)  # (path, at, url)

    @classmethod
    def of(cls, data: dict[Any, Any], found: Findings, valid: Any = None) -> References:
        """Read from the raw items; `valid`, the validated file when pydantic accepted every
        field, spares running the field rules a second time."""
        refs = cls()
        first: dict[str, int] = {}
        for i, item in _mappings(data, "groups"):
            at = f"groups[{i}]"
            group = valid.groups[i] if valid else None
            code = group.code if group else _salvage(clean_code, item.get("code"), "")
            if code and code in first:
                found.add(
                    f"{at}.code",
                    f"mã nhóm bị trùng với groups[{first[code]}] (không phân biệt hoa thường)",
                    item.get("code"),
                    at=at,
                )
                refs.skip.add(("groups", i))
                continue
            refs.labels[("groups", i)] = code
            if code:
                first[code] = i
                head = group.head if group else _salvage(clean_optional_code, item.get("head"), "")
                refs.groups[code] = (at, head)
        first = {}
        for i, item in _mappings(data, "units"):
            at = f"units[{i}]"
            unit = valid.units[i] if valid else None
            code = unit.code if unit else _salvage(clean_code, item.get("code"), "")
            if code and code in first:
                found.add(
                    f"{at}.code",
                    f"mã đơn vị bị trùng với units[{first[code]}] (không phân biệt hoa thường)",
                    item.get("code"),
                    at=at,
                )
                code = None
            elif code:
                first[code] = i
            refs.labels[("units", i)] = code
            refs._unit(data, found, item, code, at, unit)
        return refs

    def _unit(
        self,
        data: dict[Any, Any],
        found: Findings,
        item: dict[Any, Any],
        code: str | None,
        at: str,
        unit: Unit | None,
    ) -> None:
        path = f"units[{code}]" if code else at
        if unit is not None:
            unit_groups = list(unit.groups)
        else:
            raw_groups = _salvage(split_list, item.get("groups"), r"[;,]", "", show=False) or []
            unit_groups = list(
                dict.fromkeys(c for g in raw_groups if (c := _salvage(clean_code, g, "")))
            )
        for g_index, group_code in enumerate(unit_groups):
            if group_code in self.groups:
                continue
            if "groups" in data:
                import difflib  # error path only

                hint = difflib.get_close_matches(group_code, list(self.groups), n=1)
                maybe = f"; có phải là “{hint[0]}”?" if hint else ""
                found.add(
                    f"{path}.groups[{g_index}]",
                    f"không có nhóm “{group_code}” trong phần groups{maybe}",
                    group_code,
                    at=at,
                )
            else:
                # no group definitions at all: groups exist by being referenced
                self.groups[group_code] = ("", None)
                self.implicit_groups.append(group_code)
        supervisor = (
            unit.supervisor if unit else _salvage(clean_optional_code, item.get("supervisor"), "")
        )
        if code and supervisor:
            # kept even when the unit has other errors, so that cycles are still found
            self.supervisors[code] = (f"{path}.supervisor", at, supervisor)
        raw_contacts = _salvage(split_list, item.get("contacts"), r"[\s;]+", "", show=False) or []
        urls: dict[str, str] = {}
        for j, raw in enumerate(raw_contacts):
            if unit is not None:  # every address passed its rule: only find its place
                url = raw.strip() if isinstance(raw, str) else None
            else:
                url = _salvage(clean_contact, raw)
            if url and url not in urls:
                urls[url] = f"{path}.contacts[{j}]"
        if not urls and not item.get("contacts"):
            found.add(
                f"{path}.contacts",
                "đơn vị chưa có địa chỉ liên hệ; đợt thi đua nào gửi tới đơn vị này sẽ báo lỗi",
                at=at,
                warn=True,
            )
        self.pending += [(p, at, url) for url, p in urls.items()]
        # only whole units are members: a group whose only unit is refused has none
        whole = unit is not None or (
            _salvage(clean_name, item.get("name"), "", required=True)
            and _salvage(clean_unit_kind, item.get("kind"))
        )
        if code and whole:
            self.units[code] = tuple(unit_groups)

    def check(self, data: dict[Any, Any], found: Findings, *, fields_failed: bool) -> None:
        """Supervisors exist and form no cycle, group heads are units, groups have units."""
        units = data.get("units")
        if isinstance(units, list) and not units and not found.failed and not fields_failed:
            found.add("units", "danh mục chưa có đơn vị nào", warn=True)
        all_codes = {
            code_key(item["code"])
            for item in (units if isinstance(units, list) else [])
            if isinstance(item, dict) and isinstance(item.get("code"), str)
        }
        graph: dict[str, str] = {}
        for code, (path, at, sup) in self.supervisors.items():
            if sup == code:
                found.add(path, "đơn vị không thể là cấp trên của chính mình", sup, at=at)
            elif sup not in all_codes:
                found.add(
                    path,
                    f"không có đơn vị mã “{sup}” trong danh mục{_suggest(sup, all_codes)}",
                    sup,
                    at=at,
                )
            elif sup in self.supervisors:
                graph[code] = sup
        for cycle in _cycles(graph, list(self.supervisors)):
            path, at, sup = self.supervisors[cycle[0]]
            chain = " → ".join([*cycle, cycle[0]])
            found.add(
                path,
                f"cấp trên tạo thành vòng lặp {chain}; chuỗi cấp trên phải dừng ở một đơn vị "
                "không có cấp trên (thường là UBND tỉnh)",
                sup,
                at=at,
            )
        members: dict[str, list[str]] = {code: [] for code in self.groups}
        for code, unit_groups in self.units.items():
            for group_code in unit_groups:
                members.setdefault(group_code, []).append(code)
        for code, (at, head) in self.groups.items():
            if head is None:
                continue
            if head not in all_codes:
                found.add(
                    f"groups[{code}].head",
                    f"trưởng nhóm phải là mã một đơn vị trong danh mục{_suggest(head, all_codes)}",
                    head,
                    at=at,
                )
            elif head in self.units and head not in members.get(code, []):
                found.add(
                    f"groups[{code}].head",
                    "đơn vị trưởng nhóm không thuộc nhóm này; kiểm tra lại mã",
                    head,
                    at=at,
                    warn=True,
                )
        if "groups" in data:
            for code, (at, _) in self.groups.items():
                if not members.get(code):
                    found.add(f"groups[{code}]", "nhóm chưa có đơn vị nào", at=at, warn=True)


def _suggest(code: str, known: Iterable[str]) -> str:
    import difflib  # error path only

    hint = difflib.get_close_matches(code, list(known), n=1)
    return f"; có phải là “{hint[0]}”?" if hint else ""


def _cycles(graph: dict[str, str], order: list[str]) -> list[list[str]]:
    """Each supervisor cycle once, starting at its first unit in file order."""
    position = {code: i for i, code in enumerate(order)}
    done: set[str] = set()
    cycles = []
    for start in order:
        trail: list[str] = []
        on_trail: dict[str, int] = {}
        node: str | None = start
        while node is not None and node not in done and node not in on_trail:
            on_trail[node] = len(trail)
            trail.append(node)
            node = graph.get(node)
        if node is not None and node in on_trail:
            cycle = trail[on_trail[node] :]
            first = min(range(len(cycle)), key=lambda k: position[cycle[k]])
            cycles.append(cycle[first:] + cycle[:first])
        done.update(trail)
    return cycles
