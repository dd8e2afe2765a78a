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

from collections.abc import Iterable
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, Field, ValidationError, model_validator

from thidua.errors import Problem, RegistryError
from thidua.registry import contacts as _contacts
from thidua.registry.findings import Findings
from thidua.registry.models import (
    FieldProblem,
    Group,
    Registry,
    RegistryModel,
    Unit,
    clean_name,
    rule,
)
from thidua.registry.references import References

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


class RegistryFile(RegistryModel):
    """A registry as a file holds it: a title, group definitions, units."""

    name: Annotated[str | None, rule(clean_name, "tên danh mục", required=False)] = None
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
    found = Findings(source, locations or {}, list(problems))
    read_problems = len(found.problems)
    document: RegistryFile | None = None
    error: ValidationError | None
    try:
        document = RegistryFile.model_validate(data)
    except ValidationError as exc:
        if not isinstance(data, dict):
            _translate(found, exc, References())
            raise RegistryError(f"Danh mục đơn vị {source}", found.problems) from None
        error = exc
    else:
        error = None
    # The registry-wide rules are read first (items are named by their codes), reported after.
    later = Findings(source, found.locations, [])
    refs = References.of(data, later, document)
    if error is not None:
        _translate(found, error, refs)
    found.problems += later.problems
    found.order |= later.order
    found.sort(start=read_problems)
    refs.check(data, found, fields_failed=document is None)

    if check_contacts and refs.pending:
        results = _contacts.check_contacts(url for _, _, url in refs.pending)
        for path, at, url in refs.pending:
            refused = results.get(url)
            if refused:
                found.add(path, refused, _contacts.display(url), at=at)

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


def _translate(found: Findings, exc: ValidationError, refs: References) -> None:
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
            found.add(
                _path(loc[:-1], labels, index=True) + _dot(loc),
                _unknown(loc),
                at=at,
                unknown=True,
            )
        elif isinstance(error, FieldProblem):
            path = _path(loc, labels, index=len(loc) == 3 and loc[2] == "code")
            if error.has_value:
                found.add(path, error.message, error.value, at=at)
            else:
                found.add(path, error.message, at=at)
        elif kind == "missing" and loc == ("units",):
            found.add("units", "thiếu danh sách đơn vị (units)")
        elif kind in ("model_type", "model_attributes_type", "dict_type") and len(loc) == 2:
            example = _EXAMPLES[str(loc[0])]
            found.add(_path(loc, labels), f"mỗi mục phải là một bảng dạng {example}", err["input"])
        else:  # a rule that words its own refusal is missing: still say where and what
            found.add(_path(loc, labels), f"giá trị không hợp lệ ({err['msg']})", err["input"])


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
