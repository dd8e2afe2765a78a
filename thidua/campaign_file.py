"""Load a campaign file: run it, validate its declarations, cross-check it.

A campaign file is Python written by an admin. Whatever goes wrong in it (a
syntax error, a typo'd field, an impossible date, an exception) becomes a
`CampaignFileError` listing every problem with its file, line and field path.
"""

from __future__ import annotations

import re
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from thidua.config import get_settings
from thidua.dsl import Declaration, Loc, unfold
from thidua.errors import CampaignFileError, Problem, RegistryError

if TYPE_CHECKING:
    from pydantic import ValidationError

    from thidua.registry import Registry
    from thidua.spec import Campaign

MAX_FILE_BYTES = 1_000_000


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


def load_campaign(
    path: str | Path, *, registry: str | Path | Registry | None = None, parents: bool = True
) -> LoadedCampaign:
    """Load, validate and cross-check one campaign file; raise CampaignFileError."""
    path = Path(path)
    source = str(path)
    spec, problems = read_spec(path)
    if spec is None:
        raise CampaignFileError(source, problems)

    from thidua.checks import check_campaign

    reg, reg_problems = _registry_for(spec, path, registry)
    problems += reg_problems
    if reg is None:
        raise CampaignFileError(source, problems)
    parent = find_parent(spec, path) if parents and spec.parent else None
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
    """Run the file and validate its `campaign`; no registry, no cross-checks."""
    source = str(path)
    text, problem = _read_text(path)
    if problem:
        return None, [problem]
    namespace, problem = _execute(path, text)
    if problem:
        return None, [problem]
    declared = namespace.get("campaign")
    if declared is None:
        return None, [
            Problem("campaign", "tệp không khai báo biến `campaign = Campaign(...)`", source=source)
        ]

    from thidua import dsl, spec

    if isinstance(declared, spec.Campaign):
        return declared, []
    if not isinstance(declared, dsl.Campaign):
        return None, [
            Problem(
                "campaign",
                "biến `campaign` phải là `Campaign(...)`",
                type(declared).__name__,
                source,
            )
        ]
    data, where = unfold(declared)
    problems = [_positional(loc, d) for loc, d in where.items() if d.args]
    from pydantic import ValidationError

    try:
        campaign = spec.Campaign.model_validate(data)
    except ValidationError as exc:
        problems += pydantic_problems(exc, data, where)
        return None, problems
    problems += _duplicate_milestones(campaign, where)
    return (None if problems else campaign), problems


def _read_text(path: Path) -> tuple[str, Problem | None]:
    source = str(path)
    if not path.is_file():
        return "", Problem("", "không tìm thấy tệp chiến dịch", source=source)
    if path.suffix != ".py":
        return "", Problem("", "tệp chiến dịch phải là tệp Python (.py)", path.name, source)
    if path.stat().st_size > MAX_FILE_BYTES:
        return "", Problem("", f"tệp quá lớn (tối đa {MAX_FILE_BYTES // 1000} KB)", source=source)
    try:
        return path.read_text(encoding="utf-8"), None
    except UnicodeDecodeError:
        return "", Problem("", "tệp không phải UTF-8; hãy lưu lại với mã hóa UTF-8", source=source)


def _execute(path: Path, text: str) -> tuple[dict[str, Any], Problem | None]:
    source = str(path)
    try:
        code = compile(text, source, "exec")
    except SyntaxError as exc:
        return {}, Problem(
            "", f"lỗi cú pháp Python: {exc.msg}", (exc.text or "").strip(), f"{source}:{exc.lineno}"
        )
    namespace: dict[str, Any] = {
        "__file__": str(path.resolve()),
        "__name__": f"campaign_{path.stem}",
    }
    try:
        exec(code, namespace)
    except (Exception, SystemExit) as exc:
        line = next(
            (
                f.lineno
                for f in reversed(traceback.extract_tb(exc.__traceback__))
                if f.filename == source
            ),
            None,
        )
        where = f"{source}:{line}" if line else source
        return {}, Problem("", f"tệp gây lỗi khi chạy: {type(exc).__name__}: {exc}", source=where)
    return namespace, None


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
        ctx = err.get("ctx") or {}
        if kind == "value_error":
            message = str(ctx.get("error", err["msg"]))
        elif kind == "extra_forbidden":
            message = _unknown_field(loc, where)
        elif kind == "string_pattern_mismatch" and loc and loc[-1] in _PATTERN_HINTS:
            message = f"sai định dạng; cần {_PATTERN_HINTS[str(loc[-1])]}"
        else:
            template = _MESSAGES.get(kind)
            message = template.format(**ctx) if template else f"giá trị không hợp lệ ({err['msg']})"
        value = err.get("input", None) if kind != "missing" else None
        args = {"value": value} if kind not in ("missing",) and _showable(value) else {}
        problems.append(Problem(_path(loc, data), message, source=_line(loc, where), **args))
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
                label = node[part].get("id") or part
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
    from thidua import spec

    owner = where.get(loc[:-1])
    model = getattr(spec, owner.model) if owner else None
    known = list(model.model_fields) if model else []
    import difflib  # error path only

    close = difflib.get_close_matches(str(loc[-1]), known, n=1)
    hint = f"; có phải ý là “{close[0]}”?" if close else ""
    return f"trường không có trong mẫu{hint}"


def _positional(loc: Loc, d: Declaration) -> Problem:
    return Problem(
        ".".join(map(str, loc)) or "campaign",
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
    from thidua.registry import Registry, load_registry

    if isinstance(given, Registry):
        return given, list(given.warnings)
    if given is not None:
        reg_path = Path(given)
    elif spec.registry:
        reg_path = path.parent / spec.registry
    else:
        reg_path = get_settings().registry
    try:
        reg = load_registry(reg_path)
    except RegistryError as exc:
        return None, exc.problems
    return reg, list(reg.warnings)


_CODE_RE = r"""code\s*=\s*["']{code}["']"""


def find_parent(spec: Campaign, path: Path) -> Campaign | None:
    """The parent campaign of `spec` among the campaign files next to it, if valid."""
    assert spec.parent
    pattern = re.compile(_CODE_RE.format(code=re.escape(spec.parent)))
    for candidate in sorted(path.parent.glob("*.py")):
        if candidate.resolve() == path.resolve():
            continue
        try:
            text = candidate.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        if pattern.search(text):
            parent, _ = read_spec(candidate)
            if parent is not None and parent.code == spec.parent:
                return parent
    return None
