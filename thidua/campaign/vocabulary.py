"""The Vietnamese words a campaign file may write for the fixed English values of a field.

Enumerations with labels (`MilestoneKind`, `NomineeKind`, … in `thidua.campaign.spec`)
carry their own Vietnamese forms. The few fields whose values are plain literals
(who hears a milestone, whom to tell of units still missing, what a ratio counts,
whether a target is yearly, whether late submissions are taken) have theirs here: an
admin copying a signed plan writes "cơ quan cấp trên", not "supervisor".

`normalize` rewrites such values in a file's data before validation; error messages
and the field reference list the Vietnamese forms first.
"""

from __future__ import annotations

from typing import Any

from thidua.campaign.dsl import Declaration, Loc
from thidua.text.fold import fold_words

#: (model, field) → {English value: (Vietnamese label, other accepted Vietnamese forms)}
WORDS: dict[tuple[str, str], dict[str, tuple[str, tuple[str, ...]]]] = {
    ("Milestone", "audience"): {
        "participants": ("đơn vị tham gia", ("các đơn vị tham gia", "tham gia")),
        "organizer": ("cơ quan tổ chức", ("đơn vị tổ chức", "cơ quan chủ trì")),
    },
    ("Milestone", "late"): {
        "accept": ("vẫn nhận", ("nhận", "chấp nhận", "nhận muộn")),
        "refuse": ("không nhận", ("từ chối", "không nhận muộn")),
    },
    ("Escalation", "to"): {
        "supervisor": ("cơ quan cấp trên", ("cấp trên", "đơn vị cấp trên")),
        "group_head": (
            "trưởng cụm, khối",
            ("trưởng cụm", "trưởng khối", "cụm trưởng", "khối trưởng"),
        ),
        "organizer": ("cơ quan tổ chức", ("đơn vị tổ chức",)),
    },
    ("Quota", "ratio_of"): {
        "units": ("số đơn vị", ("đơn vị", "tập thể")),
        "headcount": ("số người", ("biên chế", "cá nhân", "số cán bộ")),
        "units_and_headcount": (
            "số đơn vị và số người",
            ("tập thể và cá nhân", "đơn vị và biên chế"),
        ),
    },
    ("Target", "per"): {
        "year": ("mỗi năm", ("năm", "hằng năm", "hàng năm")),
        "campaign": ("cả đợt", ("đợt", "cả giai đoạn", "cả kế hoạch")),
    },
}

_LOOKUP: dict[tuple[str, str], dict[str, str]] = {
    key: {
        fold_words(form, "_"): value
        for value, (label, others) in forms.items()
        for form in (value, label, *others)
    }
    for key, forms in WORDS.items()
}


#: Vietnamese words tried on literal fields whose words live in the model's own validator
#: (a recurrence's period): what the model makes of each is what it accepts
PROBES = (
    "hằng năm", "hàng năm", "năm", "6 tháng", "sáu tháng", "nửa năm", "hằng quý", "quý",
    "hằng tháng", "tháng", "danh sách",
)  # fmt: skip
_PROBE_SAMPLES = {"every": "yearly", "when": "15/12", "kind": "report"}


def accepted(model: str, field: str) -> list[str]:
    """“vẫn nhận” (accept), … : the values of a literal field, Vietnamese first."""
    forms = WORDS.get((model, field), {})
    if not forms:
        shown: dict[str, str] = {}
        for word, value in probe(model, field).items():
            shown.setdefault(value, word)  # the first (most usual) word for each value
        return [f"“{word}” ({value})" for value, word in shown.items()]
    return [f"“{label}” ({value})" for value, (label, _) in forms.items()]


def probe(model: str, field: str) -> dict[str, str]:
    """Which of `PROBES` the model accepts for the field, and the value each becomes."""
    from pydantic import ValidationError

    from thidua.campaign import spec

    cls = getattr(spec, model, None)
    if cls is None or field not in cls.model_fields:
        return {}
    required = {
        n: _PROBE_SAMPLES.get(n, "x")
        for n, info in cls.model_fields.items()
        if info.is_required() and n != field
    }
    out: dict[str, str] = {}
    for word in PROBES:
        try:
            made = cls.model_validate({**required, field: word})
        except (ValidationError, ValueError, TypeError):
            continue
        value = getattr(made, field)
        out[word] = str(getattr(value, "value", value))
    return out


def normalize(data: Any, where: dict[Loc, Declaration]) -> None:
    """Replace, in place, the Vietnamese forms of literal values by their English value."""
    for loc, d in where.items():
        node = _get(data, loc)
        if not isinstance(node, dict):
            continue
        for (model, field), lookup in _LOOKUP.items():
            value = node.get(field) if model == d.model else None
            if isinstance(value, str):
                node[field] = lookup.get(fold_words(value, "_"), value)


def _get(data: Any, loc: Loc) -> Any:
    for part in loc:
        try:
            data = data[part]
        except (KeyError, IndexError, TypeError):
            return None
    return data
