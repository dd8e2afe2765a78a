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
    from thidua import dsl, spec

    if declared is None:
        named = [name for name, v in namespace.items() if isinstance(v, dsl.Campaign)]
        hint = (
            f"; có `{named[0]} = Campaign(...)`, hãy đổi tên biến thành `campaign`" if named else ""
        )
        return None, [
            Problem(
                "campaign",
                f"tệp không khai báo biến `campaign = Campaign(...)`{hint}",
                *named[:1],
                source=source,
            )
        ]

    problems = _extra_campaigns(text, namespace, source)
    if problems:
        return None, problems
    if isinstance(declared, spec.Campaign):
        return declared, []
    if isinstance(declared, list | tuple) and any(isinstance(d, dsl.Campaign) for d in declared):
        return None, [
            Problem(
                "campaign",
                f"biến `campaign` chứa {len(declared)} mục; mỗi tệp chỉ khai báo một chiến dịch "
                "`campaign = Campaign(...)`, hãy tách mỗi chiến dịch ra một tệp",
                type(declared).__name__,
                source,
            )
        ]
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
    problems = [_positional(loc, d, data) for loc, d in where.items() if d.args]
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
    raw = path.read_bytes()
    how = "hãy lưu lại với mã hóa UTF-8 (trong trình soạn thảo: Save with Encoding → UTF-8)"
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "", Problem("", f"tệp đang ở bảng mã UTF-16, không phải UTF-8; {how}", source=source)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        return "", Problem(
            "",
            f"tệp không phải UTF-8 (byte lạ ở dòng {line}; có thể là Windows-1258 hoặc latin-1); "
            f"{how}",
            source=f"{source}:{line}",
        )
    if "\x00" in text:
        # compile() refuses it with no line number; the admin needs to know where.
        line = text.count("\n", 0, text.index("\x00")) + 1
        return "", Problem(
            "",
            "tệp chứa ký tự NUL (byte 0); tệp bị hỏng hoặc không phải văn bản, hãy lưu lại",
            source=f"{source}:{line}",
        )
    return text, None


def _execute(path: Path, text: str) -> tuple[dict[str, Any], Problem | None]:
    source = str(path)
    try:
        code = compile(text, source, "exec")
    except SyntaxError as exc:
        where = f"{source}:{exc.lineno}" if exc.lineno else source
        shown = (exc.text or "").strip()
        message = f"lỗi cú pháp Python: {exc.msg}"
        if shown:
            return {}, Problem("", message, shown, where)
        return {}, Problem("", message, source=where)
    namespace: dict[str, Any] = {
        "__file__": str(path.resolve()),
        "__name__": f"campaign_{path.stem}",
    }
    try:
        exec(code, namespace)
    except KeyboardInterrupt:
        raise
    except BaseException as exc:  # a campaign file may raise anything, even SystemExit
        line = next(
            (
                f.lineno
                for f in reversed(traceback.extract_tb(exc.__traceback__))
                if f.filename == source
            ),
            None,
        )
        where = f"{source}:{line}" if line else source
        message = f"tệp gây lỗi khi chạy: {type(exc).__name__}: {exc}"
        hint = _import_hint(exc)
        if hint:
            return {}, Problem("", f"{message}; {hint[0]}", hint[1], where)
        return {}, Problem("", message, source=where)
    return namespace, None


def _import_hint(exc: BaseException) -> tuple[str, str] | None:
    """What a failed import in a campaign file means, and the name it could not find."""
    from thidua.dsl import DECLARATIONS

    if isinstance(exc, ModuleNotFoundError) and exc.name:
        return (
            f"không có mô-đun “{exc.name}”; tệp chiến dịch chỉ cần `from thidua import ...`",
            exc.name,
        )
    m = re.match(r"cannot import name '([^']+)' from 'thidua'", str(exc))
    if isinstance(exc, ImportError) and m:
        return (
            f"thidua không có “{m.group(1)}”; các khai báo dùng được: {', '.join(DECLARATIONS)}",
            m.group(1),
        )
    return None


_CAMPAIGN_ASSIGNMENT = re.compile(r"^campaign\s*(?::[^=\n]*)?=(?!=)", re.MULTILINE)


def _extra_campaigns(text: str, namespace: dict[str, Any], source: str) -> list[Problem]:
    """A second campaign in a file would be silently dropped or ignored: refuse it."""
    from thidua import dsl

    problems = []
    lines = [text.count("\n", 0, m.start()) + 1 for m in _CAMPAIGN_ASSIGNMENT.finditer(text)]
    if len(lines) > 1:
        problems.append(
            Problem(
                "campaign",
                f"biến `campaign` được gán {len(lines)} lần (dòng {', '.join(map(str, lines))}); "
                "lần gán sau xóa mất chiến dịch trước, mỗi tệp chỉ khai báo một chiến dịch",
                source=f"{source}:{lines[1]}",
            )
        )
    declared = namespace.get("campaign")
    seen = {id(declared)}
    if isinstance(declared, list | tuple):
        seen |= {id(d) for d in declared}
    for name, value in namespace.items():
        if not isinstance(value, dsl.Campaign) or id(value) in seen:
            continue
        code = value.fields.get("code")
        problems.append(
            Problem(
                name,
                "tệp khai báo thêm một chiến dịch ngoài biến `campaign`, chiến dịch này sẽ bị "
                "bỏ qua; mỗi tệp chỉ khai báo một chiến dịch, hãy tách ra tệp riêng",
                *([code] if isinstance(code, str) else []),
                source=f"{value.file}:{value.line}",
            )
        )
    return problems


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
            from thidua.names import escaped

            value = escaped(value)
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
    from thidua import spec

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
    from thidua.registry import Registry, load_registry

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
