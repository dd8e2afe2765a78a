"""Field errors of a campaign file in Vietnamese, each with its path and line.

pydantic reports what is wrong with the declarations of a file; here each error
becomes a `Problem` an admin can act on: the field path written one way
(`thidua.campaign.locate.field_path`), the line of the keyword argument, the value,
the accepted values in Vietnamese, and a suggestion only when it is a good one.
"""

from __future__ import annotations

import enum
import typing
from collections.abc import Mapping, Sequence
from typing import Any

from thidua.campaign.dsl import Declaration, Loc
from thidua.campaign.locate import Locator, field_path, milestone_key
from thidua.campaign.vocabulary import accepted
from thidua.errors import Problem, did_you_mean

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

_DOCUMENT_NUMBER = "số ký hiệu văn bản dạng “641/KH-UBND”"
_SLUG_HINT = "chữ thường không dấu, số, “-” hoặc “_”, ví dụ “{example}”"
#: (model, field) → what the pattern of the field asks for
_PATTERN_HINTS = {
    ("Campaign", "code"): _DOCUMENT_NUMBER,
    ("Campaign", "parent"): _DOCUMENT_NUMBER,
    ("Milestone", "id"): _SLUG_HINT.format(example="nop-ho-so"),
    ("Target", "code"): _SLUG_HINT.format(example="sang-kien"),
}

#: fields naming a file: an unknown field is not told to be one of these unless its
#: value looks like a file name (“document_type="Chỉ thị"” is not a path)
PATH_FIELDS = {"document", "template", "attachments", "registry"}


def pydantic_problems(
    errors: Sequence[Mapping[str, Any]], data: Any, where: dict[Loc, Declaration]
) -> list[Problem]:
    """Translate pydantic errors (`ValidationError.errors()`) into located Vietnamese problems."""
    from thidua.campaign.locate import clean_loc

    locator = Locator(where)
    problems = []
    seen: set[Loc] = set()
    for err in errors:
        loc = clean_loc(err["loc"])
        if loc in seen:
            # A field of several types (“organizer” or a unit code) fails once per type;
            # the first message already names them all.
            continue
        seen.add(loc)
        kind = err["type"]
        message = _message(err, loc, kind, where)
        value = err.get("input", None) if kind != "missing" else None
        written = _written(data, loc)
        if isinstance(written, str):  # as the file wrote it, before a validator rewrote it
            value = written
        if isinstance(value, str):
            # a bidi override or control character printed raw would garble the message
            from thidua.text.names import escaped

            value = escaped(value)
        path, source = field_path(loc, data), locator.source(loc)
        problems.append(
            Problem(path, message, value, source=source, loc=loc)
            if kind != "missing" and _showable(value)
            else Problem(path, message, source=source, loc=loc)
        )
    return problems


def _message(err: Mapping[str, Any], loc: Loc, kind: str, where: dict[Loc, Declaration]) -> str:
    ctx = dict(err.get("ctx") or {})
    if isinstance(ctx.get("expected"), str):  # pydantic joins the choices with " or "
        ctx["expected"] = ctx["expected"].replace(" or ", " hoặc ")
    base = loc
    while base and isinstance(base[-1], int):  # an item of a list field: the field's words
        base = base[:-1]
    d = where.get(base[:-1]) if base else None
    model = d.model if d is not None else None
    field = str(base[-1]) if base else None
    if kind == "value_error":
        said = str(ctx.get("error", err["msg"]))
        words = _enum_words(model, field)
        head, sep, _ = said.partition("không hợp lệ; dùng một trong: ")
        if words and sep:  # the enumeration's own list: its Vietnamese words first
            return f"{head}{sep}{words}"
        return said
    if kind == "extra_forbidden":
        return unknown_field(loc, err.get("input"), where)
    if kind == "literal_error" and model and field and accepted(model, field):
        extra = (
            " hoặc danh sách mã đơn vị, nhóm" if (model, field) == ("Milestone", "audience") else ""
        )
        extra = " hoặc mã một đơn vị, nhóm" if (model, field) == ("Escalation", "to") else extra
        return f"giá trị không hợp lệ; dùng một trong: {', '.join(accepted(model, field))}{extra}"
    if kind in ("less_than_equal", "greater_than") and field == "max_ratio":
        return "tỉ lệ phải lớn hơn 0% và không quá 100%, ví dụ “30%”"
    if (
        kind == "string_pattern_mismatch"
        and model is not None
        and field is not None
        and (model, field) in _PATTERN_HINTS
    ):
        return f"sai định dạng; cần {_PATTERN_HINTS[model, field]}"
    template = _MESSAGES.get(kind)
    return template.format(**ctx) if template else f"giá trị không hợp lệ ({err['msg']})"


def _enum_words(model: str | None, field: str | None) -> str | None:
    """“phát động” (launch), … for a field whose type is a labelled enumeration."""
    from thidua.campaign import spec

    owner = getattr(spec, model, None) if model else None
    info = owner.model_fields.get(field) if owner is not None and field else None
    found = _enum_in(info.annotation) if info is not None else None
    if found is None:
        return None
    labels = [(m.value, getattr(m, "label", m.value)) for m in found]
    return ", ".join(f"“{label}” ({value})" for value, label in labels)


def _enum_in(annotation: Any) -> type[enum.Enum] | None:
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return annotation
    for arg in typing.get_args(annotation):
        found = _enum_in(arg)
        if found is not None:
            return found
    return None


def unknown_field(loc: Loc, value: Any, where: dict[Loc, Declaration]) -> str:
    """“trường không có trong mẫu”, with the field meant when one of its kind is close."""
    from thidua.campaign import spec

    owner = where.get(loc[:-1])
    model = getattr(spec, owner.model, None) if owner else None
    known = [name for name in (model.model_fields if model else {}) if _fits(name, value)]
    hint = did_you_mean(str(loc[-1]), known, codes=False) if known else ""
    return f"trường không có trong mẫu{hint}"


def _fits(field: str, value: Any) -> bool:
    """Whether `value` could be meant for `field`: a file field needs something like a file."""
    if field not in PATH_FIELDS:
        return True
    values = value if isinstance(value, list) else [value]
    return all(isinstance(v, str) and ("." in v or "/" in v) for v in values)


def _written(data: Any, loc: Loc) -> Any:
    for part in loc:
        try:
            data = data[part]
        except (KeyError, IndexError, TypeError):
            return None
    return data


def _showable(value: Any) -> bool:
    return isinstance(value, str | int | float | bool) or value is None


def positional(loc: Loc, d: Declaration, data: Any) -> Problem:
    """A declaration given a positional argument: the keywords are what says which field."""
    return Problem(
        field_path(loc, data) or "campaign",
        f"{type(d).__name__}(...) chỉ nhận tham số có tên, ví dụ kind=..., when=...",
        source=f"{d.file}:{d.line}",
        loc=loc,
    )


def duplicate_milestones(data: Any, where: dict[Loc, Declaration]) -> list[Problem]:
    """Two milestones with the same key: actions and submissions could not tell them apart."""
    items = data.get("milestones") if isinstance(data, dict) else None
    if not isinstance(items, list):
        return []
    locator = Locator(where)
    seen: dict[str, int] = {}
    problems = []
    for i, raw in enumerate(items):
        key = milestone_key(raw)
        if key is None:
            continue
        if key in seen:
            loc = (
                ("milestones", i, "id")
                if isinstance(raw, dict) and "id" in raw
                else ("milestones", i)
            )
            problems.append(
                Problem(
                    f"milestones[{i}].id",
                    f"trùng mã mốc với milestones[{seen[key]}]; hãy đặt id riêng cho mỗi mốc",
                    key,
                    locator.source(loc),
                    loc=loc,
                )
            )
        seen.setdefault(key, i)
    return problems
