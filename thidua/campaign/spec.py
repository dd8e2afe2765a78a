"""The campaign specification: pydantic models of what a signed plan contains.

Campaign files do not build these models directly: they write declarations
(`thidua.campaign.dsl`), which are validated here as one tree so that every problem is
reported at once with its field path. Date fields keep the admin's phrase
(`Phrase`) and resolve it to concrete days; see `thidua.dates.phrases`.
"""

from __future__ import annotations

import re
from datetime import date, time
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer, model_validator

from thidua.campaign.doctype import (
    DocumentKind,
    IssuerKind,
    document_label,
    infer_document_kind,
    infer_issuer_kind,
    parse_document_kind,
    parse_issuer_kind,
)
from thidua.campaign.kinds import (
    DEFAULT_REQUIREMENT,
    CampaignKind,
    DeadlineRule,
    MilestoneKind,
    NomineeKind,
    Requirement,
)
from thidua.dates.offset import Offset, parse_offset
from thidua.dates.phrases import Phrase, parse_phrase
from thidua.dates.recurrence import Every, milestone_fields, parse_every
from thidua.dates.span import DateSpan
from thidua.errors import number_text
from thidua.registry import UnitKind
from thidua.text.names import LongText, Name, OneLine, Title

_CODE = re.compile(r"^[A-Z0-9][A-Z0-9_.\-]*$")
_SLUG = re.compile(r"^[a-z0-9][a-z0-9_\-]*$")


# --- field types -------------------------------------------------------------


def _phrase(value: Any) -> Any:
    if isinstance(value, Phrase):
        return value
    if isinstance(value, date):
        return parse_phrase(value.strftime("%d/%m/%Y"))
    if isinstance(value, str):
        return parse_phrase(value)
    raise ValueError("cần một ngày hoặc một cụm ngày tháng, ví dụ “chậm nhất ngày 10/7/2023”")


def _span(value: Any) -> Any:
    phrase = _phrase(value)
    if phrase.needs_year or phrase.needs_quarter:
        raise ValueError(f"cụm ngày “{phrase.text}” thiếu năm; hãy ghi đủ ngày, tháng, năm")
    return phrase.resolve()


def _offset(value: Any) -> Any:
    if isinstance(value, Offset):
        return value
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValueError("cần số ngày, ví dụ 3, “3 ngày” hoặc “2 ngày làm việc”")
    return parse_offset(value)


def _time(value: Any) -> Any:
    if isinstance(value, str):
        m = re.fullmatch(r"\s*(\d{1,2})\s*(?:[:h]\s*(\d{2})?(?::(\d{2}))?)?\s*", value)
        if not m or int(m.group(1)) > 23 or int(m.group(2) or 0) > 59 or int(m.group(3) or 0) > 59:
            raise ValueError("cần giờ dạng HH:MM, ví dụ “08:00”")
        return time(int(m.group(1)), int(m.group(2) or 0), int(m.group(3) or 0))
    return value


def _ratio(value: Any) -> Any:
    if isinstance(value, str):
        m = re.fullmatch(r"\s*(\d+(?:[.,]\d+)?)\s*%\s*", value)
        if not m:
            raise ValueError("cần tỉ lệ dạng “30%” hoặc số từ 0 đến 1")
        return float(m.group(1).replace(",", ".")) / 100
    return value


def _code(value: Any) -> Any:
    if isinstance(value, str) and not _CODE.match(value.strip()):
        raise ValueError("mã phải viết hoa, không dấu, chỉ gồm chữ, số, “_”, “.”, “-”")
    return value.strip() if isinstance(value, str) else value


PhraseField = Annotated[
    Phrase, BeforeValidator(_phrase), PlainSerializer(lambda p: p.text, return_type=str)
]
SpanField = Annotated[
    DateSpan, BeforeValidator(_span), PlainSerializer(lambda s: s.phrase, return_type=str)
]
OffsetField = Annotated[
    Offset, BeforeValidator(_offset), PlainSerializer(lambda o: o.label(), return_type=str)
]
TimeField = Annotated[time, BeforeValidator(_time)]
Ratio = Annotated[float, BeforeValidator(_ratio), Field(gt=0, le=1)]
Code = Annotated[str, BeforeValidator(_code)]
# Names and titles reach subjects, salutations and pages: no invisible characters,
# bounded length, NFC (see thidua.text.names). Paths and contacts are one-line titles too.
NameText = Annotated[Name, Field(min_length=1)]
TitleText = Annotated[Title, Field(min_length=1)]
LongTextField = Annotated[LongText, Field(min_length=1)]
PathText = Annotated[OneLine, Field(min_length=1)]


# Field types: the enum, or its Vietnamese label or an alias (LabelledEnum.parse). Spelled
# out rather than `Kind.field()`, a call that type checkers cannot read as a type.
CampaignKindField = Annotated[CampaignKind, BeforeValidator(CampaignKind.parse)]
NomineeKindField = Annotated[NomineeKind, BeforeValidator(NomineeKind.parse)]
MilestoneKindField = Annotated[MilestoneKind, BeforeValidator(MilestoneKind.parse)]
RequirementField = Annotated[Requirement, BeforeValidator(Requirement.parse)]
DeadlineRuleField = Annotated[DeadlineRule, BeforeValidator(DeadlineRule.parse)]


class Spec(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        arbitrary_types_allowed=True,
        str_strip_whitespace=True,
        # Campaign files are validated as one tree: building a validator per nested
        # model at import would be done again inside Campaign's (~15 ms per CLI call).
        defer_build=True,
    )


# --- parts of a campaign -----------------------------------------------------


class Participants(Spec):
    """Who takes part: groups (cụm/khối), unit kinds and explicit units, minus exclusions."""

    groups: list[Code] = []
    kinds: list[Annotated[UnitKind, BeforeValidator(UnitKind.parse)]] = []
    units: list[Code] = []
    exclude: list[Code] = []

    @model_validator(mode="after")
    def _not_empty(self) -> Participants:
        if not (self.groups or self.kinds or self.units):
            raise ValueError(
                "cần ít nhất một nhóm (groups), loại đơn vị (kinds) hoặc đơn vị (units)"
            )
        return self


class Quota(Spec):
    """How many nominations are allowed (số lượng khen thưởng)."""

    per_unit: int | None = Field(default=None, ge=0)
    overrides: dict[Code, int] = {}
    max_ratio: Ratio | None = None
    ratio_of: Literal["units", "headcount", "units_and_headcount"] = "units_and_headcount"

    @model_validator(mode="after")
    def _something(self) -> Quota:
        if self.per_unit is None and self.max_ratio is None and not self.overrides:
            raise ValueError("cần per_unit, overrides hoặc max_ratio")
        for code, limit in self.overrides.items():
            if limit < 0:
                raise ValueError(
                    f"overrides: số lượng cho {code} phải là số không âm (đang ghi: {number_text(limit)})"
                )
        return self


class Award(Spec):
    """An award form (hình thức khen thưởng) with its nominees, quota and dossier."""

    name: NameText
    code: Code | None = None
    nominees: list[NomineeKindField] = [NomineeKind.COLLECTIVE, NomineeKind.INDIVIDUAL]
    quota: Quota | None = None
    dossier: list[TitleText] = []
    standards: list[LongTextField] = []


class Escalation(Spec):
    """Whom to tell when units are still missing `after` the due date."""

    after: OffsetField
    to: Literal["supervisor", "group_head", "organizer"] | Code = "supervisor"


class Recurrence(Spec):
    """Repeat a milestone within the campaign period, as the plan says: “hằng năm”,
    “6 tháng” (6 tháng đầu năm và cả năm), “hằng quý”, “hằng tháng”, or listed dates.

    `on`: for “6 tháng”, the day of each half without its year (“trước ngày 15/6”,
    “trước ngày 15/11”); for “các ngày”, the full dates. `start`/`until`: first and last
    year, when they are not the campaign period's.
    """

    every: Annotated[Every, BeforeValidator(parse_every)] = Every.YEARLY
    on: list[PhraseField] = []
    start: int | None = Field(default=None, ge=1900, le=2200)
    until: int | None = Field(default=None, ge=1900, le=2200)

    @model_validator(mode="before")
    @classmethod
    def _dates_by_default(cls, data: Any) -> Any:
        # Recurrence(on=[...]) alone: the listed dates.
        if isinstance(data, dict) and "every" not in data and data.get("on"):
            return {**data, "every": Every.DATES}
        return data

    @model_validator(mode="after")
    def _consistent(self) -> Recurrence:
        if self.start and self.until and self.until < self.start:
            raise ValueError(f"năm kết thúc {self.until} trước năm bắt đầu {self.start}")
        if self.every is Every.DATES:
            if not self.on:
                raise ValueError("lặp theo các ngày cần danh sách ngày on=[“15/6/2026”, …]")
            partial = [p.text for p in self.on if not p.is_complete]
            if partial:
                raise ValueError(f"ngày trong on phải ghi đủ ngày, tháng, năm: “{partial[0]}”")
        elif self.every is Every.HALF_YEARLY:
            if self.on and len(self.on) != 2:
                raise ValueError(
                    "lặp 6 tháng: on ghi đúng hai ngày, của 6 tháng đầu năm và của cả năm, "
                    "ví dụ on=[“trước ngày 15/6”, “trước ngày 15/11”]"
                )
            complete = [p.text for p in self.on if p.is_complete]
            if complete:
                raise ValueError(f"ngày trong on không kèm năm, ví dụ “15/6”: “{complete[0]}”")
        elif self.on:
            raise ValueError(
                f"on chỉ dùng cho chu kỳ “6 tháng” hoặc “các ngày”, không dùng cho “{self.every.label}”"
            )
        return self


class Milestone(Spec):
    """A dated step of the campaign: what is due, from whom, with which reminders."""

    kind: MilestoneKindField
    when: PhraseField
    id: Annotated[str, Field(pattern=_SLUG.pattern)] | None = None
    title: TitleText | None = None
    opens: PhraseField | None = None
    due: PhraseField | None = None
    audience: Literal["participants", "organizer"] | list[Code] = "participants"
    submit: RequirementField | None = None
    description: LongTextField | None = None
    reminders: list[OffsetField] = []
    overdue_notice: bool = True
    escalation: Escalation | None = None
    recurrence: Recurrence | None = None
    template: PathText | None = None
    attachments: list[PathText] = []
    late: Literal["accept", "refuse"] = "accept"
    time: TimeField | None = None
    # None: the campaign's rule. Only deadlines (milestones asking for a submission) move.
    deadline_rule: DeadlineRuleField | None = None
    # None: a nomination is optional for a unit (no overdue notice or escalation to units
    # that did not nominate); every other submission is required.
    required: bool | None = None
    # Where the submission goes, as the plan says (“Tỉnh ủy, qua Ban Tuyên giáo và Dân vận
    # Tỉnh ủy”); the notices say it. None: the organizer.
    recipient: TitleText | None = None
    # The units charged with these responsibilities (Responsibility.id) are its audience.
    charged_with: list[Annotated[str, Field(pattern=_SLUG.pattern)]] = []
    # A day written before the plan's issue date is a mistake unless the plan means it
    # (a step already taken, recorded for the file).
    before_issued: bool = False

    @model_validator(mode="before")
    @classmethod
    def _read_with_recurrence(cls, data: Any) -> Any:
        """`when` defaults to the first day of `recurrence.on`; a monthly milestone's days
        are days of the month (“trước ngày 25”), read in each month."""
        if not isinstance(data, dict):
            return data
        if isinstance(data.get("charged_with"), str):
            data = {**data, "charged_with": [data["charged_with"]]}
        rec = data.get("recurrence")
        if isinstance(rec, Recurrence):
            rec = {"every": rec.every, "on": [p.text for p in rec.on]}
        return milestone_fields(data, rec) if isinstance(rec, dict) else data

    @model_validator(mode="after")
    def _one_audience(self) -> Milestone:
        if self.charged_with and self.audience != "participants":
            raise ValueError(
                "ghi một trong hai: audience (đơn vị, nhóm) hoặc charged_with (các đơn vị được "
                "giao một nhiệm vụ), không ghi cả hai"
            )
        return self

    @property
    def key(self) -> str:
        """Stable identifier used in action keys; the kind when no id is given."""
        return self.id or self.kind.value.replace("_", "-")

    @property
    def requirement(self) -> Requirement:
        return self.submit or DEFAULT_REQUIREMENT[self.kind]

    @property
    def label(self) -> str:
        return self.title or self.kind.label.capitalize()

    @property
    def is_required(self) -> bool:
        """Whether every unit of the audience owes it (overdue notices, escalations)."""
        if self.required is not None:
            return self.required
        return self.requirement is not Requirement.NOMINATION_DOSSIER


class Target(Spec):
    """A target (chỉ tiêu) units report figures against."""

    code: Annotated[str, Field(pattern=_SLUG.pattern)]
    description: TitleText
    numerator: NameText
    denominator: NameText | None = None
    goal: float = Field(gt=0)
    per: Literal["year", "campaign"] = "campaign"

    @model_validator(mode="before")
    @classmethod
    def _percent_goal(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("goal"), str):
            return {**data, "goal": _ratio(data["goal"])}
        return data

    @model_validator(mode="after")
    def _ratio_needs_denominator(self) -> Target:
        if self.denominator and self.goal > 1:
            raise ValueError("chỉ tiêu tỉ lệ (có mẫu số) phải có goal từ 0 đến 100%")
        return self


class Responsibility(Spec):
    """What the plan charges units or groups with (“Sở Nội vụ: hướng dẫn, kiểm tra, đôn đốc…”).

    `units`: unit or group codes; `tasks`: the plan's sentences, as written; `id`: a name
    milestones use to address “the units charged with” it (`Milestone.charged_with`).
    """

    units: list[Code] = Field(min_length=1)
    tasks: list[LongTextField] = Field(min_length=1)
    id: Annotated[str, Field(pattern=_SLUG.pattern)] | None = None

    @model_validator(mode="before")
    @classmethod
    def _one(cls, data: Any) -> Any:
        if isinstance(data, dict):
            data = dict(data)
            for name in ("units", "tasks"):
                if isinstance(data.get(name), str):
                    data[name] = [data[name]]
        return data


def _responsibilities(value: Any) -> Any:
    """`{"SNV": ["…", …], "SO-BAN-NGANH": "…"}`: one Responsibility per unit or group."""
    if isinstance(value, dict):
        return [{"units": [code], "tasks": tasks} for code, tasks in value.items()]
    return value


class Campaign(Spec):
    """A whole emulation campaign as its signed plan describes it."""

    code: Annotated[OneLine, Field(min_length=3, pattern=r"^\S+/\S+$")]
    title: TitleText
    issuer: NameText
    issued: SpanField
    period: SpanField
    organizer: Code
    participants: Participants
    milestones: list[Milestone] = Field(min_length=1)
    kind: CampaignKindField = CampaignKind.BATCH
    signer: NameText | None = None
    parent: Annotated[OneLine, Field(pattern=r"^\S+/\S+$")] | None = None
    legal_bases: list[LongTextField] = []
    contents: list[LongTextField] = []
    criteria: dict[NomineeKindField, list[LongTextField]] = {}
    awards: list[Award] = []
    targets: list[Target] = []
    registry: PathText | None = None
    document: PathText | None = None
    contact: PathText | None = None
    working_days_only: bool = True
    notice_time: TimeField | None = None
    deadline_rule: DeadlineRuleField = DeadlineRule.NEXT_WORKING_DAY
    # None: read from the number (Nghị định 30/2020: “12/CT-UBND” is a Chỉ thị; Hướng dẫn
    # 36-HD/VPTW: “25-KH/TU” a Kế hoạch) and from the issuer (a Tỉnh ủy is the Party's).
    document_kind: Annotated[DocumentKind, BeforeValidator(parse_document_kind)] | None = None
    issuer_kind: Annotated[IssuerKind, BeforeValidator(parse_issuer_kind)] | None = None
    responsibilities: Annotated[list[Responsibility], BeforeValidator(_responsibilities)] = []

    @property
    def doc_kind(self) -> str:
        """The document's kind (a key of DOCUMENT_KINDS): stated, else read from the number."""
        return self.document_kind or infer_document_kind(self.code)

    @property
    def doc_label(self) -> str:
        """“Kế hoạch”, “Chỉ thị”…: how notices and reports name the document."""
        return document_label(self.doc_kind)

    @property
    def doc_reference(self) -> str:
        """“Chỉ thị số 12/CT-UBND”."""
        return f"{self.doc_label} số {self.code}"

    @property
    def system(self) -> str:
        """“nha_nuoc”, “dang” or “doan_the”: whose rules of form its documents follow."""
        return self.issuer_kind or infer_issuer_kind(self.code, self.issuer)

    @property
    def is_party(self) -> bool:
        return self.system == "dang"

    @property
    def launch_date(self) -> date:
        """The launch milestone's date (no earlier than the issue date for a period such as
        “quý IV/2025”), or the issue date when there is none."""
        for m in self.milestones:
            if m.kind is MilestoneKind.LAUNCH and not m.when.needs_year:
                span = m.when.resolve()
                if span.is_day:
                    return span.start
                return max(span.start, self.issued.start)
        return self.issued.start

    def milestone(self, key: str) -> Milestone:
        for m in self.milestones:
            if m.key == key:
                return m
        raise KeyError(key)
