"""Validate a registry given as plain data, the way campaign files are validated.

pydantic checks every field (the rules live on `thidua.registry.models`); its errors
are translated into Vietnamese `Problem`s with a field path (``units[SNGV].kind``,
or ``units[3].code`` while the unit has no usable code) and the file line of the
item. Then the rules that need the whole registry: duplicate codes, groups that
exist, supervisors that exist and form no cycle, group heads; and finally, once,
the Apprise check of every contact. All problems are raised together as one
`RegistryError`, so an admin fixes the file in one pass.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, Field, ValidationError, model_validator

from thidua.errors import Problem, RegistryError
from thidua.registry import contacts as _contacts
from thidua.registry.models import (
    FieldProblem,
    Group,
    Registry,
    Unit,
    _Model,
    _rule,
    clean_code,
    clean_contact,
    clean_name,
    clean_optional_code,
    clean_unit_kind,
    split_list,
)
from thidua.registry.vocabulary import code_key

_EXAMPLES = {
    "groups": "{code: KHOI-TONG-HOP, name: Khối các cơ quan tổng hợp, kind: khoi}",
    "units": "{code: SNGV, name: Sở Ngoại vụ, kind: so_nganh, contacts: [outbox://sngv]}",
}


def _items(name: str) -> BeforeValidator:
    def check(value: Any) -> Any:
        if value is None:
            return []
        if not isinstance(value, list):
            example = _EXAMPLES[name]
            raise FieldProblem(
                f"“{name}” phải là một danh sách, mỗi mục dạng {example}", type(value).__name__
            )
        return value

    return BeforeValidator(check)


class RegistryFile(_Model):
    """A registry as a file holds it: a title, group definitions, units."""

    name: Annotated[str | None, _rule(clean_name, "tên danh mục", required=False)] = None
    groups: Annotated[list[Group], _items("groups")] = Field(default_factory=list)
    units: Annotated[list[Unit], _items("units")]

    @model_validator(mode="before")
    @classmethod
    def _a_mapping(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            raise FieldProblem(
                "danh mục đơn vị phải là một bảng có các khóa name, groups, units",
                type(data).__name__,
            )
        return data


def parse_registry(data: Any, *, source: str = "<dict>", check_contacts: bool = True) -> Registry:
    """Validate a registry given as plain data (as YAML gives it); raise RegistryError."""
    return validate(data, source=source, check_contacts=check_contacts)


def validate(
    data: Any,
    *,
    source: str,
    check_contacts: bool = True,
    locations: dict[str, str] | None = None,
    problems: Iterable[Problem] = (),
) -> Registry:
    """`parse_registry` with the line of each item (``units[3]`` → ``file:12``) and the
    problems already found while reading the file."""
    found = _Found(source, locations or {}, list(problems))
    read_problems = len(found.problems)
    document: RegistryFile | None = None
    try:
        document = RegistryFile.model_validate(data)
    except ValidationError as exc:
        if not isinstance(data, dict):
            found.translate(exc, _References())
            raise RegistryError(f"Danh mục đơn vị {source}", found.problems) from None
        error = exc
    else:
        error = None
    # The registry-wide rules are read first (items are named by their codes), reported after.
    later = _Found(source, found.locations, [])
    refs = _References.of(data, later)
    if error is not None:
        found.translate(error, refs)
    found.problems += later.problems
    found.order |= later.order
    found.sort(start=read_problems)
    refs.check(data, found, fields_failed=document is None)

    if check_contacts and refs.pending:
        results = _contacts.check_contacts(url for _, _, url in refs.pending)
        for path, at, url in refs.pending:
            error = results.get(url)
            if error:
                found.add(path, error, _contacts.display(url), at=at)

    if document is None or found.failed:
        raise RegistryError(f"Danh mục đơn vị {source}", found.problems)
    groups = {g.code: g for g in document.groups}
    for code in refs.implicit_groups:
        # Named by its code, which the code rule already checked (a name's length
        # limit must not turn a long code into a crash).
        groups[code] = Group.model_construct(code=code, name=code, kind="nhom", head=None)
    return Registry(
        source=source,
        name=document.name,
        units={u.code: u for u in document.units},
        groups=groups,
        warnings=found.problems,
    )


@dataclass
class _Found:
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

    def translate(self, exc: ValidationError, refs: _References) -> None:
        """pydantic's errors as Vietnamese problems, each item named by its code where it
        has a usable one; a duplicate group is reported as such, not field by field."""
        labels = refs.labels
        for err in exc.errors(include_url=False):
            loc = err["loc"]
            kind = err["type"]
            error = (err.get("ctx") or {}).get("error")
            item = loc[:2] if len(loc) >= 2 and isinstance(loc[1], int) else None
            if item in refs.skip:
                continue
            at = f"{item[0]}[{item[1]}]" if item else ""
            if kind == "extra_forbidden":
                self.add(
                    _path(loc[:-1], labels, index=True) + _dot(loc),
                    _unknown(loc),
                    at=at,
                    unknown=True,
                )
            elif isinstance(error, FieldProblem):
                path = _path(loc, labels, index=len(loc) == 3 and loc[2] == "code")
                if error.has_value:
                    self.add(path, error.message, error.value, at=at)
                else:
                    self.add(path, error.message, at=at)
            elif kind == "missing" and loc == ("units",):
                self.add("units", "thiếu danh sách đơn vị (units)")
            elif kind in ("model_type", "model_attributes_type", "dict_type") and len(loc) == 2:
                example = _EXAMPLES[str(loc[0])]
                self.add(
                    _path(loc, labels), f"mỗi mục phải là một bảng dạng {example}", err["input"]
                )
            else:  # a rule that words its own refusal is missing: still say where and what
                self.add(_path(loc, labels), f"giá trị không hợp lệ ({err['msg']})", err["input"])


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


def _dot(loc: tuple[Any, ...]) -> str:
    return f".{loc[-1]}" if len(loc) > 1 else str(loc[-1])


def _path(
    loc: tuple[Any, ...], labels: dict[tuple[str, int], str | None], *, index: bool = False
) -> str:
    """``units[SNGV].groups[1]``; the item by its code unless `index` or it has none."""
    out = ""
    for n, part in enumerate(loc):
        if isinstance(part, int):
            label = part if index or n != 1 else (labels.get((loc[0], part)) or part)
            out += f"[{label}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def _unknown(loc: tuple[Any, ...]) -> str:
    key = str(loc[-1])
    model: type[BaseModel] = RegistryFile
    if len(loc) >= 3:
        model = Group if loc[0] == "groups" else Unit
    allowed = list(model.model_fields)
    import difflib  # error path only

    hint = difflib.get_close_matches(key, allowed, n=1)
    maybe = f"; có phải là “{hint[0]}”?" if hint else ""
    return (
        f"trường “{key}” không có trong danh mục{maybe} "
        f"(các trường dùng được: {', '.join(allowed)})"
    )


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
class _References:
    """What the registry-wide rules need, read from the raw items."""

    labels: dict[tuple[str, int], str | None] = field(default_factory=dict)
    skip: set[tuple[Any, ...]] = field(default_factory=set)
    groups: dict[str, tuple[str, str | None]] = field(default_factory=dict)  # code -> (at, head)
    implicit_groups: list[str] = field(default_factory=list)
    units: dict[str, tuple[str, ...]] = field(default_factory=dict)  # code -> its groups
    supervisors: dict[str, tuple[str, str, str]] = field(default_factory=dict)
    pending: list[tuple[str, str, str]] = field(default_factory=list)  # (path, at, url)

    @classmethod
    def of(cls, data: dict[Any, Any], found: _Found) -> _References:
        refs = cls()
        first: dict[str, int] = {}
        for i, item in _mappings(data, "groups"):
            at = f"groups[{i}]"
            code = _salvage(clean_code, item.get("code"), "mã nhóm (code)")
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
                head = _salvage(clean_optional_code, item.get("head"), "")
                refs.groups[code] = (at, head)
        first = {}
        for i, item in _mappings(data, "units"):
            at = f"units[{i}]"
            code = _salvage(clean_code, item.get("code"), "")
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
            refs._unit(data, found, item, code, at)
        return refs

    def _unit(
        self, data: dict[Any, Any], found: _Found, item: dict[Any, Any], code: str | None, at: str
    ) -> None:
        path = f"units[{code}]" if code else at
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
        supervisor = _salvage(clean_optional_code, item.get("supervisor"), "")
        if code and supervisor:
            # kept even when the unit has other errors, so that cycles are still found
            self.supervisors[code] = (f"{path}.supervisor", at, supervisor)
        raw_contacts = _salvage(split_list, item.get("contacts"), r"[\s;]+", "", show=False) or []
        urls: dict[str, str] = {}
        for j, raw in enumerate(raw_contacts):
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
        name = _salvage(clean_name, item.get("name"), "", required=True)
        if code and name and _salvage(clean_unit_kind, item.get("kind")):
            self.units[code] = tuple(unit_groups)

    def check(self, data: dict[Any, Any], found: _Found, *, fields_failed: bool) -> None:
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


def fail(source: str, message: str, value: Any = ..., where: str | None = None) -> RegistryError:
    """A registry that cannot be read at all: one problem, at the file or one of its lines."""
    problem = (
        Problem("", message, source=where or source)
        if value is ...
        else Problem("", message, value, where or source)
    )
    return RegistryError(f"Danh mục đơn vị {source}", [problem])
