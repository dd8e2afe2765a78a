"""The field reference of campaign files and the units registry, generated from the models.

`docs/campaign-reference.md` lists every field of `Campaign`, `Milestone`, `Award`,
`Quota`, `Target`, `Recurrence`, `Participants`, `Escalation` and of the registry's
units and groups: its type, its default, the Vietnamese words it accepts and a
one-line example. All of it is read from the models, so that a field added to them
appears after `python -m thidua.campaign.reference` (or `scripts/campaign-reference`);
`tests/test_campaign_reference.py` fails while the committed file is stale.

- meaning: the field's `description` in the model, else `NOTES` below;
- Vietnamese words: enumeration labels and aliases, the literal words of
  `thidua.campaign.vocabulary`, and what the model itself accepts among `PROBES`;
- example: the first use of the field in a shipped campaign (`campaigns/*.py`) or in
  the shipped registry (`campaigns/units.yaml`), else `NOTES`.
"""

from __future__ import annotations

import ast
import dataclasses
import enum
import sys
import types
import typing
from datetime import time
from pathlib import Path
from typing import Any

from pydantic import BaseModel

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "campaign-reference.md"
CAMPAIGNS = ROOT / "campaigns"

#: models of a campaign file, in the order a file writes them
CAMPAIGN_MODELS = (
    "Campaign",
    "Participants",
    "Milestone",
    "Recurrence",
    "Escalation",
    "Award",
    "Quota",
    "Target",
)
#: models of the registry (thidua.registry.models)
REGISTRY_MODELS = ("Unit", "Group")

# Meaning and fallback example of fields whose model gives no description (the models
# may take these over as `Field(description=...)`; the model's own text wins).
NOTES: dict[tuple[str, str], tuple[str, str]] = {
    ("Campaign", "code"): ("Số ký hiệu văn bản kế hoạch", 'code="641/KH-UBND"'),
    ("Campaign", "title"): ("Tên đợt/phong trào thi đua", 'title="Thi đua 100 ngày đêm…"'),
    ("Campaign", "issuer"): ("Cơ quan ban hành văn bản", 'issuer="UBND tỉnh Cao Bằng"'),
    ("Campaign", "issued"): ("Ngày ban hành văn bản", 'issued="ngày 10/02/2026"'),
    ("Campaign", "period"): ("Thời gian thực hiện", 'period="Từ ngày 10/02/2026 đến ngày 20/5/2026"'),
    ("Campaign", "organizer"): ("Mã đơn vị tổ chức, theo dõi (trong danh mục đơn vị)", 'organizer="BTDKT"'),
    ("Campaign", "participants"): ("Đơn vị tham gia", 'participants=Participants(groups=["KHOI-SO"])'),
    ("Campaign", "milestones"): ("Các mốc: phát động, nộp báo cáo, hồ sơ, sơ kết, tổng kết…", "milestones=[Milestone(...), ...]"),
    ("Campaign", "kind"): ("Loại phong trào", 'kind="theo đợt"'),
    ("Campaign", "signer"): ("Người ký văn bản", 'signer="Chủ tịch UBND tỉnh"'),
    ("Campaign", "parent"): ("Số ký hiệu kế hoạch cấp trên mà kế hoạch này triển khai", 'parent="641/KH-UBND"'),
    ("Campaign", "legal_bases"): ("Căn cứ pháp lý", 'legal_bases=["Luật Thi đua, khen thưởng 2022"]'),
    ("Campaign", "contents"): ("Nội dung thi đua", 'contents=["Đẩy mạnh cải cách hành chính…"]'),
    ("Campaign", "criteria"): ("Tiêu chí theo đối tượng", 'criteria={"tập thể": ["Hoàn thành xuất sắc…"]}'),
    ("Campaign", "awards"): ("Hình thức khen thưởng", "awards=[Award(...)]"),
    ("Campaign", "targets"): ("Chỉ tiêu đơn vị báo cáo số liệu", "targets=[Target(...)]"),
    ("Campaign", "registry"): ("Tệp danh mục đơn vị, tính từ thư mục của tệp chiến dịch", 'registry="units.yaml"'),
    ("Campaign", "document"): ("Tệp văn bản kế hoạch gửi kèm thông báo", 'document="attachments/641-KH-UBND.pdf"'),
    ("Campaign", "contact"): ("Đầu mối liên hệ ghi trong thông báo", 'contact="Ban Thi đua - Khen thưởng, 0206 3852 xxx"'),
    ("Campaign", "working_days_only"): ("Chỉ gửi nhắc vào ngày làm việc", "working_days_only=True"),
    ("Campaign", "notice_time"): ("Giờ gửi thông báo trong ngày", 'notice_time="08:00"'),
    ("Campaign", "deadline_rule"): ("Hạn rơi vào ngày nghỉ thì kết thúc khi nào (BLDS 2015, Điều 148)", 'deadline_rule="ngày làm việc tiếp theo"'),
    ("Participants", "groups"): ("Mã cụm, khối thi đua (tất cả đơn vị trong đó)", 'groups=["KHOI-SO", "CUM-1"]'),
    ("Participants", "kinds"): ("Loại đơn vị", 'kinds=["xã", "phường"]'),
    ("Participants", "units"): ("Mã từng đơn vị", 'units=["SNV", "SVHTTDL"]'),
    ("Participants", "exclude"): ("Mã đơn vị loại ra", 'exclude=["BTDKT"]'),
    ("Milestone", "kind"): ("Loại mốc", 'kind="nộp báo cáo"'),
    ("Milestone", "when"): ("Ngày hoặc khoảng ngày, như văn bản viết", 'when="chậm nhất ngày 10/7/2023"'),
    ("Milestone", "id"): ("Mã mốc (chữ thường không dấu), dùng trong lệnh và đường dẫn lỗi", 'id="bao-cao-nam"'),
    ("Milestone", "title"): ("Tên mốc trong thông báo", 'title="Báo cáo kết quả năm"'),
    ("Milestone", "opens"): ("Ngày bắt đầu nhận", 'opens="ngày 01/7/2023"'),
    ("Milestone", "due"): ("Hạn nộp, khi khác ngày ghi ở when", 'due="ngày 04/7/2023"'),
    ("Milestone", "audience"): ("Ai nhận thông báo và phải nộp", 'audience="đơn vị tham gia"'),
    ("Milestone", "submit"): ("Đơn vị phải nộp gì", 'submit="báo cáo"'),
    ("Milestone", "description"): ("Mô tả thêm trong thông báo", 'description="Báo cáo theo đề cương gửi kèm"'),
    ("Milestone", "reminders"): ("Nhắc trước hạn", 'reminders=[7, "2 ngày làm việc"]'),
    ("Milestone", "overdue_notice"): ("Gửi thông báo quá hạn cho đơn vị chưa nộp", "overdue_notice=True"),
    ("Milestone", "escalation"): ("Báo cấp trên khi đơn vị vẫn chưa nộp", 'escalation=Escalation(after="3 ngày")'),
    ("Milestone", "recurrence"): ("Lặp lại mốc trong thời gian thực hiện", 'recurrence=Recurrence(every="hằng năm")'),
    ("Milestone", "template"): ("Mẫu thông báo riêng (Jinja2)", 'template="templates/bao_cao.md.j2"'),
    ("Milestone", "attachments"): ("Tệp gửi kèm (đề cương…)", 'attachments=["attachments/de_cuong.md"]'),
    ("Milestone", "late"): ("Nhận hay không nhận hồ sơ nộp muộn", 'late="không nhận"'),
    ("Milestone", "time"): ("Giờ gửi thông báo của mốc", 'time="14:00"'),
    ("Milestone", "deadline_rule"): ("Quy tắc hạn rơi vào ngày nghỉ, riêng cho mốc", 'deadline_rule="như văn bản"'),
    ("Milestone", "required"): ("Mọi đơn vị có phải nộp không (hồ sơ khen thưởng: không bắt buộc)", "required=True"),
    ("Recurrence", "every"): ("Chu kỳ lặp", 'every="hằng năm"'),
    ("Recurrence", "start"): ("Năm đầu tiên", "start=2026"),
    ("Recurrence", "until"): ("Năm cuối cùng", "until=2030"),
    ("Escalation", "after"): ("Sau hạn bao lâu thì báo", 'after="2 ngày làm việc"'),
    ("Escalation", "to"): ("Báo ai: cấp trên, trưởng cụm/khối, cơ quan tổ chức hoặc một mã đơn vị", 'to="cơ quan cấp trên"'),
    ("Award", "name"): ("Hình thức khen thưởng", 'name="Bằng khen của Chủ tịch UBND tỉnh"'),
    ("Award", "code"): ("Mã hình thức (dùng trong lệnh nominate)", 'code="BK-UBND"'),
    ("Award", "nominees"): ("Đối tượng được đề nghị", 'nominees=["tập thể", "cá nhân"]'),
    ("Award", "quota"): ("Số lượng được đề nghị", "quota=Quota(per_unit=1)"),
    ("Award", "dossier"): ("Thành phần hồ sơ", 'dossier=["Tờ trình", "Biên bản", "Báo cáo thành tích"]'),
    ("Award", "standards"): ("Tiêu chuẩn", 'standards=["Hoàn thành xuất sắc nhiệm vụ"]'),
    ("Quota", "per_unit"): ("Số suất mỗi đơn vị", "per_unit=1"),
    ("Quota", "overrides"): ("Số suất riêng của một số đơn vị hoặc nhóm", 'overrides={"SGDDT": 2}'),
    ("Quota", "max_ratio"): ("Tỉ lệ tối đa", 'max_ratio="30%"'),
    ("Quota", "ratio_of"): ("Tỉ lệ tính trên", 'ratio_of="số đơn vị và số người"'),
    ("Target", "code"): ("Mã chỉ tiêu (chữ thường không dấu)", 'code="sang-kien"'),
    ("Target", "description"): ("Chỉ tiêu như văn bản viết", 'description="100% cán bộ có ít nhất 01 sáng kiến/năm"'),
    ("Target", "numerator"): ("Số được đếm", 'numerator="số cán bộ có sáng kiến"'),
    ("Target", "denominator"): ("Mẫu số (chỉ tiêu tỉ lệ)", 'denominator="tổng số cán bộ"'),
    ("Target", "goal"): ("Mức phải đạt: số, hoặc tỉ lệ khi có mẫu số", 'goal="100%"'),
    ("Target", "per"): ("Tính theo năm hay cả đợt", 'per="mỗi năm"'),
    ("Unit", "code"): ("Mã đơn vị (viết hoa, không dấu)", "code: SNV"),
    ("Unit", "name"): ("Tên đơn vị", "name: Sở Nội vụ"),
    ("Unit", "kind"): ("Loại đơn vị", "kind: so_nganh"),
    ("Unit", "groups"): ("Cụm, khối thi đua của đơn vị", "groups: [KHOI-SO]"),
    ("Unit", "supervisor"): ("Mã cơ quan cấp trên (nhận báo cáo đơn vị chưa nộp)", "supervisor: UBND"),
    ("Unit", "head"): ("Chức danh thủ trưởng (lời chào trong thông báo)", "head: Giám đốc"),
    ("Unit", "headcount"): ("Số người (tính tỉ lệ khen thưởng)", "headcount: 45"),
    ("Unit", "contacts"): ("Địa chỉ nhận thông báo (Apprise URL)", 'contacts: ["mailto://snv@caobang.gov.vn"]'),
    ("Unit", "phone"): ("Số điện thoại ghi trong thông báo", 'phone: "0206 3852 xxx"'),
    ("Unit", "email"): ("Thư điện tử ghi trong thông báo", "email: snv@caobang.gov.vn"),
    ("Unit", "digest"): ("Nhận bản tin tuần thay cho thông báo nhắc hạn (để trống: theo cụm, khối)", "digest: weekly"),
    ("Group", "code"): ("Mã cụm, khối", "code: KHOI-SO"),
    ("Group", "name"): ("Tên cụm, khối", "name: Khối các sở, ban, ngành"),
    ("Group", "kind"): ("Cụm hay khối", "kind: khoi"),
    ("Group", "head"): ("Mã đơn vị trưởng cụm/khối", "head: SNV"),
    ("Group", "digest"): ("Các đơn vị của cụm/khối nhận bản tin tuần thay cho thông báo nhắc hạn", "digest: weekly"),
}  # fmt: skip

_EXAMPLE_WIDTH = 90


def models() -> dict[str, type]:
    """The models the reference covers, by name, as they exist now."""
    from thidua.campaign import spec

    found: dict[str, type] = {}
    for name in CAMPAIGN_MODELS:
        found[name] = getattr(spec, name)
    for name in REGISTRY_MODELS:
        found[name] = _registry_model(name)
    return found


#: where the registry's models may live: the package's own exports, then its modules
_REGISTRY_HOMES = ("thidua.registry", "thidua.registry.models")


def _registry_model(name: str) -> type:
    from importlib import import_module

    for home in _REGISTRY_HOMES:
        try:
            found = getattr(import_module(home), name, None)
        except ImportError:
            continue
        if isinstance(found, type):
            return found
    raise LookupError(f"no registry model {name} in {', '.join(_REGISTRY_HOMES)}")


class _DataclassField:
    """A dataclass field read like a pydantic `FieldInfo` (a registry model may be either)."""

    def __init__(self, f: dataclasses.Field[Any], annotation: Any) -> None:
        self.field = f
        self.annotation = annotation
        self.description = f.metadata.get("description")

    def is_required(self) -> bool:
        missing = dataclasses.MISSING
        return self.field.default is missing and self.field.default_factory is missing

    def get_default(self, *, call_default_factory: bool = False) -> Any:
        if self.field.default_factory is not dataclasses.MISSING and call_default_factory:
            return self.field.default_factory()
        return None if self.field.default is dataclasses.MISSING else self.field.default


def fields_of(cls: type) -> dict[str, Any]:
    """Name → field info of a pydantic model or a dataclass (private fields left out)."""
    if isinstance(cls, type) and issubclass(cls, BaseModel):
        return dict(cls.model_fields)
    hints = typing.get_type_hints(cls, include_extras=True)
    if not dataclasses.is_dataclass(cls):
        # What `dataclasses.fields` itself would raise; checked here so the type narrows.
        raise TypeError(f"{cls.__name__} is neither a pydantic model nor a dataclass")
    return {
        f.name: _DataclassField(f, hints.get(f.name, Any))
        for f in dataclasses.fields(cls)
        if not f.name.startswith("_") and f.init
    }


# --- one field -----------------------------------------------------------------------


def field_type(annotation: Any) -> str:
    """A reader's name for a field type: “danh sách mã”, “cụm ngày tháng”, “Milestone(...)”."""
    from thidua.dates.offset import Offset
    from thidua.dates.phrases import Phrase
    from thidua.dates.span import DateSpan

    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is typing.Annotated:
        return field_type(args[0])
    if origin in (typing.Union, types.UnionType):
        shown = [field_type(a) for a in args if a is not type(None)]
        return " hoặc ".join(dict.fromkeys(shown))
    if origin is typing.Literal:
        return "một trong: " + ", ".join(f"“{a}”" for a in args)
    if origin in (list, tuple):
        return f"danh sách {field_type(args[0])}" if args else "danh sách"
    if origin is dict:
        return f"từ điển {field_type(args[0])} → {field_type(args[1])}"
    simple = {
        str: "văn bản",
        int: "số nguyên",
        float: "số",
        bool: "True/False",
        time: "giờ HH:MM",
        Phrase: "cụm ngày tháng",
        DateSpan: "cụm ngày tháng có năm",
        Offset: "khoảng thời gian",
    }
    if annotation in simple:
        return simple[annotation]
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return "một trong: " + ", ".join(f"“{m.value}”" for m in annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return f"{annotation.__name__}(...)"
    if isinstance(annotation, type) and issubclass(annotation, str):
        return "văn bản"
    return getattr(annotation, "__name__", str(annotation))


def default_text(info: Any) -> str:
    if info.is_required():
        return "bắt buộc"
    value = info.get_default(call_default_factory=True)
    if value is None:
        return "không có"
    if isinstance(value, enum.Enum):
        label = getattr(value, "label", None)
        return f"“{value.value}”" + (f" ({label})" if label else "")
    if isinstance(value, list | tuple | dict) and not value:
        return "trống"
    if isinstance(value, list | tuple):
        return ", ".join(f"“{getattr(v, 'value', v)}”" for v in value)
    if isinstance(value, str):
        return f"“{value}”"
    return str(value)


def vietnamese_words(model: str, name: str, info: Any) -> str:
    """The Vietnamese words the field accepts, each with the value it stands for."""
    from thidua.campaign.vocabulary import WORDS, probe

    words: dict[str, str] = {}
    found = _enum_in(info.annotation)
    if found is not None:
        aliases = _enum_aliases(found)
        for member in found:
            forms = [getattr(member, "label", None), *aliases.get(member.value, ())]
            words.update({f: member.value for f in forms if f})
    for value, (label, others) in WORDS.get((model, name), {}).items():
        words.update({form: value for form in (label, *others)})
    if _literal_in(info.annotation) and not words:
        words.update(probe(model, name))
    from thidua.text.fold import fold_words

    shown: dict[str, tuple[str, str]] = {}  # "phat dong" is “phát động” typed without marks
    for word, value in words.items():
        shown.setdefault(fold_words(word), (word, value))
    return "; ".join(f"“{w}” = {v}" for w, v in shown.values() if w != v)


def _enum_in(annotation: Any) -> type[enum.Enum] | None:
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return annotation
    for arg in typing.get_args(annotation):
        found = _enum_in(arg)
        if found is not None:
            return found
    return None


def _literal_in(annotation: Any) -> bool:
    if typing.get_origin(annotation) is typing.Literal:
        return True
    return any(_literal_in(a) for a in typing.get_args(annotation))


def _enum_aliases(cls: type[enum.Enum]) -> dict[str, list[str]]:
    """Folded aliases of a labelled enumeration, written back with spaces."""
    from thidua.campaign import kinds

    table = kinds._ALIASES
    return {
        value: [alias.replace("_", " ") for alias in aliases]
        for (owner, value), aliases in table.items()
        if owner == cls.__name__
    }


# --- examples from the shipped files ---------------------------------------------------


def shipped_examples(folder: Path = CAMPAIGNS) -> dict[tuple[str, str], str]:
    """The first one-line use of each (model, field) in the shipped campaigns and registry."""
    out: dict[tuple[str, str], str] = {}
    for path in sorted(folder.glob("*.py")):
        text = path.read_text(encoding="utf-8")
        for node in ast.walk(ast.parse(text)):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            owner = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
            for kw in node.keywords:
                segment = ast.get_source_segment(text, kw) or ""
                fits = "\n" not in segment and len(segment) <= _EXAMPLE_WIDTH
                if kw.arg and fits and owner in CAMPAIGN_MODELS:
                    out.setdefault((owner, kw.arg), segment)
    out.update({k: v for k, v in _registry_examples(folder / "units.yaml").items() if k not in out})
    return out


def _registry_examples(path: Path) -> dict[tuple[str, str], str]:
    import yaml

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        return {}
    out: dict[tuple[str, str], str] = {}
    for model, key in (("Unit", "units"), ("Group", "groups")):
        for row in (data or {}).get(key) or []:
            for name, value in row.items():
                if value in (None, "", [], {}):
                    continue
                line = yaml.safe_dump({name: value}, allow_unicode=True, default_flow_style=True)
                line = line.strip().removeprefix("{").removesuffix("}")
                if len(line) <= _EXAMPLE_WIDTH:
                    out.setdefault((model, name), line)
    return out


# --- the document ------------------------------------------------------------------------


def render() -> str:
    """The whole reference, as Markdown."""
    examples = shipped_examples()
    found = models()
    lines = [
        "# Tham chiếu các trường của tệp chiến dịch và danh mục đơn vị",
        "",
        "<!-- Sinh tự động từ các mô hình (thidua/campaign/spec.py, thidua/registry/models.py) "
        "bằng `python -m thidua.campaign.reference`; đừng sửa tay. -->",
        "",
        "Mỗi trường: kiểu, giá trị mặc định, cách viết tiếng Việt được chấp nhận (bên trái "
        "dấu “=” là cách viết, bên phải là giá trị tương ứng) và một ví dụ một dòng, lấy từ "
        "các tệp mẫu trong `campaigns/` khi có. Ngày tháng viết như văn bản "
        "(“chậm nhất ngày 10/7/2023”, “quý IV/2027”); thử một cụm bằng `thidua date`.",
        "",
        "## Tệp chiến dịch (`campaigns/*.py`)",
        "",
    ]
    for name in CAMPAIGN_MODELS:
        lines += _section(name, found[name], examples)
    lines += [
        "## Danh mục đơn vị (`campaigns/units.yaml`)",
        "",
        "Danh mục là tệp YAML (hoặc CSV, XLSX) gồm `units` (đơn vị) và `groups` (cụm, khối). "
        "Thêm một đơn vị: thêm một dòng vào `units` với `code`, `name`, `kind` và `contacts`; "
        "thêm một cụm/khối: thêm một dòng vào `groups` rồi ghi mã của nó vào `groups` của "
        "từng đơn vị thành viên. Kiểm tra bằng `thidua validate`.",
        "",
    ]
    for name in REGISTRY_MODELS:
        lines += _section(name, found[name], examples)
    return "\n".join(lines).rstrip() + "\n"


def _section(name: str, cls: type, examples: dict[tuple[str, str], str]) -> list[str]:
    doc = (cls.__doc__ or "").strip().splitlines()
    out = [f"### {name}", ""]
    if doc:
        out += [doc[0], ""]
    out += [
        "| Trường | Ý nghĩa | Kiểu | Mặc định | Cách viết tiếng Việt | Ví dụ |",
        "|---|---|---|---|---|---|",
    ]
    for field, info in fields_of(cls).items():
        meaning, fallback = NOTES.get((name, field), ("", ""))
        meaning = info.description or meaning
        example = examples.get((name, field)) or fallback
        cells = [
            f"`{field}`",
            meaning,
            field_type(info.annotation),
            default_text(info),
            vietnamese_words(name, field, info),
            f"`{example}`" if example else "",
        ]
        out.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    return [*out, ""]


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def main(argv: list[str] | None = None) -> int:
    """Write docs/campaign-reference.md; with --check, exit 1 when it is stale."""
    args = sys.argv[1:] if argv is None else argv
    text = render()
    if "--check" in args:
        current = DOC.read_text(encoding="utf-8") if DOC.is_file() else ""
        if current != text:
            print(f"{DOC} is stale: run python -m thidua.campaign.reference", file=sys.stderr)
            return 1
        return 0
    DOC.write_text(text, encoding="utf-8")
    print(f"wrote {DOC}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
