"""Load a campaign file: run it, validate its declarations, cross-check it.

A campaign file is Python written by an admin. Whatever goes wrong in it (a
syntax error, a typo'd field, an impossible date, an exception) becomes a
`CampaignFileError` listing every problem with its file, line and field path.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from thidua.campaign.dsl import Declaration, Loc
from thidua.config import get_settings
from thidua.errors import CampaignFileError, Problem, RegistryError, ValidationFailed

if TYPE_CHECKING:
    from collections.abc import Iterable

    from pydantic import ValidationError

    from thidua.campaign.sandbox import Executed
    from thidua.campaign.spec import Campaign
    from thidua.registry.units import Registry


@dataclass
class LoadedCampaign:
    """A valid campaign with the registry it was checked against."""

    spec: Campaign
    registry: Registry
    path: Path
    warnings: list[Problem] = field(default_factory=list)

    @property
    def code(self) -> str:
        return self.spec.code


Specs = dict[Path, tuple["Campaign | None", list[Problem]]]


def load_campaign(
    path: str | Path,
    *,
    registry: str | Path | Registry | None = None,
    parents: bool = True,
    specs: Specs | None = None,
) -> LoadedCampaign:
    """Load, validate and cross-check one campaign file; raise CampaignFileError.

    `specs` holds files already read by `read_specs` (the file itself, its parent
    candidates): they are not run again.
    """
    path = Path(path)
    known = specs or {}
    if path not in known:
        # A child campaign's parent is read in the same child process as the file.
        declared = _declared_parent(path) if parents else None
        extra = _parent_candidates(declared, path) if declared else []
        known = {**known, **read_specs([path, *extra])}
    spec, problems = known[path]
    return _load(path, spec, problems, registry=registry, parents=parents, known=known)


def _declared_parent(path: Path) -> str | None:
    """The `parent="…"` a file's text declares, found without running it (a hint only)."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    m = re.search(r"""\bparent\s*=\s*["']([^"'\n]+)["']""", text)
    return m.group(1) if m else None


def load_campaigns(
    paths: Iterable[str | Path], *, registry: str | Path | Registry | None = None
) -> list[LoadedCampaign | ValidationFailed]:
    """`load_campaign` for each of `paths`, in order, running them all in one child process.

    A file that fails is returned as its error (a CampaignFileError), so the caller reports
    every file; the parents of child campaigns are read from the same batch.
    """
    files = [Path(p) for p in paths]
    parents = [_parent_candidates(code, f) for f in files if (code := _declared_parent(f))]
    specs = read_specs(files + [c for found in parents for c in found])
    out: list[LoadedCampaign | ValidationFailed] = []
    for path in files:
        try:
            out.append(_load(path, *specs[path], registry=registry, parents=True, known=specs))
        except ValidationFailed as exc:
            out.append(exc)
    return out


def _load(
    path: Path,
    spec: Campaign | None,
    problems: list[Problem],
    *,
    registry: str | Path | Registry | None,
    parents: bool,
    known: Specs,
) -> LoadedCampaign:
    source = str(path)
    if spec is None:
        raise CampaignFileError(source, problems)

    from thidua.campaign.checks import check_campaign

    reg, reg_problems = _registry_for(spec, path, registry)
    problems = problems + reg_problems
    if reg is None:
        raise CampaignFileError(source, problems)
    parent = find_parent(spec, path, known) if parents and spec.parent else None
    problems += [
        _at(p, source) for p in check_campaign(spec, reg, parent=parent, base_dir=path.parent)
    ]
    if spec.parent and parents and parent is None:
        problems.append(
            Problem(
                "parent",
                f"không tìm thấy kế hoạch cấp trên trong {path.parent}; "
                "bỏ qua việc đối chiếu hạn với kế hoạch cấp trên",
                spec.parent,
                source,
                "warning",
            )
        )
    if any(p.severity == "error" for p in problems):
        raise CampaignFileError(source, problems)
    return LoadedCampaign(spec, reg, path, problems)


def read_spec(path: Path) -> tuple[Campaign | None, list[Problem]]:
    """Run the file (in a child process) and validate its `campaign`; no registry, no cross-checks."""
    return read_specs([path])[Path(path)]


def read_specs(paths: Iterable[Path]) -> dict[Path, tuple[Campaign | None, list[Problem]]]:
    """`read_spec` for several files, run in one child process (retried per file if it dies)."""
    from thidua.campaign.sandbox import execute

    def prepare() -> None:
        # What this process needs next anyway, loaded before a fork so the child
        # shares it: campaign files run `from thidua import *`, which imports every
        # lazily exported module (plan, checks, …); the child must not pay for them.
        import thidua.campaign.checks
        import thidua.campaign.plan  # noqa: F401
        from thidua.campaign import spec

        spec.Campaign.model_rebuild(force=True)

    ran = execute([Path(p) for p in paths], meanwhile=prepare)
    return {path: _validate(executed) for path, executed in ran.items()}


def _validate(executed: Executed) -> tuple[Campaign | None, list[Problem]]:
    """pydantic validation of what a file declared, in this process."""
    if executed.problems:
        return None, executed.problems
    from pydantic import ValidationError

    from thidua.campaign import spec

    data, where = executed.data, executed.where
    problems = (
        [] if executed.model else [_positional(loc, d, data) for loc, d in where.items() if d.args]
    )
    try:
        campaign = spec.Campaign.model_validate(data)
    except ValidationError as exc:
        problems += pydantic_problems(exc, data, where)
        return None, problems
    problems += _duplicate_milestones(campaign, where)
    return (None if problems else campaign), problems


# --- pydantic errors in Vietnamese --------------------------------------------

_MESSAGES: dict[str, str] = {
    "missing": "thiếu trường bắt buộc",
    "string_type": "cần một chuỗi văn bản",
    "string_too_short": "không được để trống",
    "string_pattern_mismatch": "sai định dạng",
    "int_type": "cần một số nguyên",
    "int_parsing": "cần một số nguyên",
    "int_from_float": "cần một số nguyên",
    "float_type": "cần một số",
    "float_parsing": "cần một số",
    "bool_type": "cần True hoặc False",
    "bool_parsing": "cần True hoặc False",
    "list_type": "cần một danh sách [...]",
    "dict_type": "cần một từ điển {...}",
    "model_type": "cần một khai báo tương ứng",
    "model_attributes_type": "cần một khai báo tương ứng",
    "too_short": "cần ít nhất {min_length} phần tử",
    "greater_than": "phải lớn hơn {gt}",
    "greater_than_equal": "phải từ {ge} trở lên",
    "less_than_equal": "phải không quá {le}",
    "less_than": "phải nhỏ hơn {lt}",
    "literal_error": "giá trị không hợp lệ; dùng một trong: {expected}",
    "time_type": "cần giờ dạng HH:MM",
    "time_parsing": "cần giờ dạng HH:MM",
    "enum": "giá trị không hợp lệ; dùng một trong: {expected}",
    "too_long": "cần nhiều nhất {max_length} phần tử",
    "string_too_long": "dài quá {max_length} ký tự",
    "finite_number": "cần một số hữu hạn",
    "int_parsing_size": "số quá lớn",
    "tuple_type": "cần một danh sách [...]",
    "is_instance_of": "kiểu giá trị không hợp lệ",
}

_PATTERN_HINTS = {
    "code": "số ký hiệu văn bản dạng “641/KH-UBND”",
    "parent": "số ký hiệu văn bản dạng “641/KH-UBND”",
    "id": "chữ thường không dấu, số, “-” hoặc “_”, ví dụ “nop-ho-so”",
}


def pydantic_problems(
    exc: ValidationError, data: Any, where: dict[Loc, Declaration]
) -> list[Problem]:
    """Translate a ValidationError into located Vietnamese problems."""
    problems = []
    for err in exc.errors(include_url=False):
        loc = _clean_loc(err["loc"])
        kind = err["type"]
        ctx = dict(err.get("ctx") or {})
        if isinstance(ctx.get("expected"), str):  # pydantic joins the choices with " or "
            ctx["expected"] = ctx["expected"].replace(" or ", " hoặc ")
        if kind == "value_error":
            message = str(ctx.get("error", err["msg"]))
        elif kind == "extra_forbidden":
            message = _unknown_field(loc, where)
        elif kind in ("less_than_equal", "greater_than") and loc and loc[-1] == "max_ratio":
            message = "tỉ lệ phải lớn hơn 0% và không quá 100%, ví dụ “30%”"
        elif kind == "string_pattern_mismatch" and loc and loc[-1] in _PATTERN_HINTS:
            message = f"sai định dạng; cần {_PATTERN_HINTS[str(loc[-1])]}"
        else:
            template = _MESSAGES.get(kind)
            message = template.format(**ctx) if template else f"giá trị không hợp lệ ({err['msg']})"
        value = err.get("input", None) if kind != "missing" else None
        if isinstance(value, str):
            # a bidi override or control character printed raw would garble the message
            from thidua.text.names import escaped

            value = escaped(value)
        path, source = _path(loc, data), _line(loc, where)
        problems.append(
            Problem(path, message, value, source=source)
            if kind != "missing" and _showable(value)
            else Problem(path, message, source=source)
        )
    return problems


def _clean_loc(loc: tuple[Any, ...]) -> Loc:
    # Annotated unions add their member names ("function-before[...]", "list[...]") to locs.
    return tuple(p for p in loc if isinstance(p, int) or not re.search(r"[\[\]()]|^str$|^int$", p))


def _showable(value: Any) -> bool:
    return isinstance(value, str | int | float | bool) or value is None


def _path(loc: Loc, data: Any) -> str:
    out = ""
    node = data
    for part in loc:
        if isinstance(part, int):
            label: Any = part
            if isinstance(node, list) and part < len(node) and isinstance(node[part], dict):
                named = node[part].get("id")
                label = named if isinstance(named, str) and named else part
            out += f"[{label}]"
        else:
            out += f".{part}" if out else str(part)
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            node = None
    return out


def _line(loc: Loc, where: dict[Loc, Declaration]) -> str | None:
    for n in range(len(loc), -1, -1):
        d = where.get(loc[:n])
        if d is not None:
            return f"{d.file}:{d.line}"
    return None


def _unknown_field(loc: Loc, where: dict[Loc, Declaration]) -> str:
    from thidua.campaign import spec

    owner = where.get(loc[:-1])
    model = getattr(spec, owner.model) if owner else None
    known = list(model.model_fields) if model else []
    import difflib  # error path only

    close = difflib.get_close_matches(str(loc[-1]), known, n=1)
    hint = f"; có phải ý là “{close[0]}”?" if close else ""
    return f"trường không có trong mẫu{hint}"


def _positional(loc: Loc, d: Declaration, data: Any) -> Problem:
    return Problem(
        _path(loc, data) or "campaign",
        f"{type(d).__name__}(...) chỉ nhận tham số có tên, ví dụ kind=..., when=...",
        source=f"{d.file}:{d.line}",
    )


def _duplicate_milestones(campaign: Campaign, where: dict[Loc, Declaration]) -> list[Problem]:
    seen: dict[str, int] = {}
    problems = []
    for i, m in enumerate(campaign.milestones):
        if m.key in seen:
            problems.append(
                Problem(
                    f"milestones[{i}].id",
                    f"trùng mã mốc với milestones[{seen[m.key]}]; hãy đặt id riêng cho mỗi mốc",
                    m.key,
                    _line(("milestones", i), where),
                )
            )
        seen.setdefault(m.key, i)
    return problems


def _at(problem: Problem, source: str) -> Problem:
    if problem.source:
        return problem
    return Problem(problem.path, problem.message, problem.value, source, problem.severity)


# --- registry and parent -------------------------------------------------------


def _registry_for(
    spec: Campaign, path: Path, given: str | Path | Registry | None
) -> tuple[Registry | None, list[Problem]]:
    from thidua.registry.units import Registry, load_registry

    if isinstance(given, Registry):
        return given, list(given.warnings)
    if given is not None:
        reg_path, field_name, written = Path(given), "--registry", str(given)
    elif spec.registry:
        reg_path, field_name, written = path.parent / spec.registry, "registry", spec.registry
    else:
        reg_path = get_settings().registry
        field_name, written = "THIDUA_REGISTRY", str(reg_path)
    if not reg_path.is_file():
        # Named by the field that chose it: the admin fixes the campaign, not a registry.
        what = (
            "là một thư mục, không phải tệp"
            if reg_path.is_dir()
            else "không phải tệp thường"
            if reg_path.exists()
            else "không tìm thấy tệp"
        )
        return None, [
            Problem(
                field_name,
                f"danh mục đơn vị {reg_path}: {what}; cần một tệp .yaml, .csv hoặc .xlsx",
                written,
                str(path),
            )
        ]
    try:
        reg = load_registry(reg_path)
    except RegistryError as exc:
        return None, exc.problems
    return reg, list(reg.warnings)


_CODE_RE = r"""code\s*=\s*["']{code}["']"""


def find_parent(spec: Campaign, path: Path, known: Specs | None = None) -> Campaign | None:
    """The parent campaign of `spec` among the campaign files next to it, if valid.

    Candidates are found by their text; those not already in `known` (a batch read
    together) are run in one child process.
    """
    assert spec.parent
    known = known if known is not None else {}
    candidates = _parent_candidates(spec.parent, path)
    missing = [c for c in candidates if c not in known]
    specs = {**known, **(read_specs(missing) if missing else {})}
    for candidate in candidates:
        parent, _ = specs[candidate]
        if parent is not None and parent.code == spec.parent:
            return parent
    return None


def _parent_candidates(code: str, path: Path) -> list[Path]:
    """Campaign files next to `path` whose text names campaign `code`."""
    pattern = re.compile(_CODE_RE.format(code=re.escape(code)))
    candidates = []
    for candidate in sorted(path.parent.glob("*.py")):
        if candidate.resolve() == path.resolve():
            continue
        try:
            text = candidate.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        if pattern.search(text):
            candidates.append(candidate)
    return candidates
