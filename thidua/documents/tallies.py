"""What a sơ kết / tổng kết report states, counted: the facts `thidua.documents.facts`
gathers from the store, and the labels the report names statuses and actions with.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date

from thidua.campaign.spec import Campaign, Target
from thidua.documents.period import Period, ReportKind
from thidua.ledger.statuses import ActionStatus, NominationStatus
from thidua.registry import Registry

#: name a status as the office sees it everywhere else.
NOMINATION_STATUS_LABELS = {s.value: s.label[:1].upper() + s.label[1:] for s in NominationStatus}

#: Deliveries that are no planned notice to units: the organizer's failure report
#: (action key "…#loi", tasks/alerts.py), and anything else a report cannot name.
ALERT_KIND = "alert"
OTHER_KIND = "other"

ACTION_KIND_LABELS = {
    "launch": "Thông báo phát động",
    "open": "Thông báo bắt đầu nộp",
    "reminder": "Nhắc hạn",
    "due": "Thông báo đến hạn",
    "overdue": "Thông báo quá hạn",
    "escalation": "Báo cáo cấp trên",
    "event": "Thông báo sự kiện",
    "compile": "Tổng hợp kết quả",
    ALERT_KIND: "Thông báo gửi lỗi cho cơ quan thường trực",
    OTHER_KIND: "Thông báo khác",
}

#: How a report names an action's status, after “N hoạt động …”, in this order.
ACTION_STATUS_LABELS = {
    s.value: s.label
    for s in (
        ActionStatus.DONE,
        ActionStatus.FAILED,
        ActionStatus.RUNNING,
        ActionStatus.SCHEDULED,
        ActionStatus.PLANNED,
        ActionStatus.PASSED,
        ActionStatus.SKIPPED,
        ActionStatus.CANCELLED,
    )
}


# --- the facts ----------------------------------------------------------------------


@dataclass(frozen=True)
class UnitInfo:
    """A participating unit as the report names it."""

    code: str
    name: str
    kind: str  # Vietnamese label of the unit kind


@dataclass
class OccurrenceFacts:
    """Submissions for one milestone occurrence: who was due, who came on time, who is missing."""

    milestone: str
    occurrence: str
    title: str
    opens: date
    due: date
    expected: int
    on_time: int = 0
    late: int = 0
    early: int = 0
    missing: int = 0  # not submitted and the due date has passed
    pending: int = 0  # not submitted, not due yet
    late_units: list[str] = field(default_factory=list)
    missing_units: list[str] = field(default_factory=list)

    @property
    def submitted(self) -> int:
        return self.on_time + self.late + self.early

    @property
    def on_time_rate(self) -> float | None:
        return self.on_time / self.expected if self.expected else None


@dataclass
class UnitSubmissions:
    """One unit's record over every occurrence the report covers."""

    unit: UnitInfo
    expected: int = 0
    on_time: int = 0
    late: int = 0
    early: int = 0
    missing: int = 0
    pending: int = 0
    nominations: int = 0


@dataclass
class AwardCount:
    """Nominations for one award form, by nominee kind and by status."""

    award: str
    by_kind: Counter[str] = field(default_factory=Counter)
    by_status: Counter[str] = field(default_factory=Counter)

    @property
    def total(self) -> int:
        return sum(self.by_kind.values())


@dataclass
class UnitNominations:
    """Nominations one unit made, by status."""

    unit: UnitInfo
    by_status: Counter[str] = field(default_factory=Counter)

    @property
    def total(self) -> int:
        return sum(self.by_status.values())


@dataclass(frozen=True)
class NominationLine:
    """One nomination, for the lists of proposals."""

    unit: str
    award: str
    nominee_kind: str  # Vietnamese label
    nominee_name: str
    position: str | None
    workplace: str | None
    achievement: str
    status: str


@dataclass
class NominationFacts:
    """Every nomination of the campaign (withdrawn ones apart)."""

    by_award: list[AwardCount] = field(default_factory=list)
    by_unit: list[UnitNominations] = field(default_factory=list)
    by_status: Counter[str] = field(default_factory=Counter)
    withdrawn: int = 0
    proposals: list[NominationLine] = field(default_factory=list)  # accepted
    awaiting: int = 0  # submitted or resubmitted, not yet reviewed

    @property
    def total(self) -> int:
        return sum(self.by_status.values())


@dataclass(frozen=True)
class UnitFigure:
    """A unit's latest reported figure for a target in one period."""

    unit: UnitInfo
    value: float
    base: float | None
    attained: bool | None

    @property
    def rate(self) -> float | None:
        return self.value / self.base if self.base else None


@dataclass
class TargetFacts:
    """Attainment of one target (in one year for a yearly target)."""

    target: Target
    year: str  # "" for a campaign-wide target
    expected_units: int
    figures: list[UnitFigure] = field(default_factory=list)
    #: unit code → the level it registered (đăng ký thi đua; thidua.ledger.registration)
    registered: dict[str, float] = field(default_factory=dict)

    @property
    def is_ratio(self) -> bool:
        return self.target.denominator is not None

    @property
    def total_value(self) -> float:
        return sum(f.value for f in self.figures)

    @property
    def total_base(self) -> float:
        return sum(f.base or 0 for f in self.figures if f.base is not None)

    @property
    def rate(self) -> float | None:
        """Σ numerator / Σ denominator over the units that reported both."""
        pairs = [f for f in self.figures if f.base]
        base = sum(f.base or 0 for f in pairs)
        return sum(f.value for f in pairs) / base if base else None

    @property
    def attained(self) -> bool | None:
        rate = self.rate
        return None if not self.is_ratio or rate is None else reaches(rate, self.target.goal)

    @property
    def units_attained(self) -> int:
        return sum(f.attained is True for f in self.figures)


@dataclass
class DeliveryCount:
    """Notifications of one action kind, by outcome (one row per unit and channel)."""

    kind: str
    sent: int = 0
    failed_permanent: int = 0
    failed_transient: int = 0
    other: int = 0  # pending or skipped

    @property
    def label(self) -> str:
        return ACTION_KIND_LABELS.get(self.kind, ACTION_KIND_LABELS[OTHER_KIND])

    @property
    def failed(self) -> int:
        return self.failed_permanent + self.failed_transient


@dataclass
class ActionFacts:
    """The campaign's planned actions as recorded: how many in each status, which failed."""

    by_status: Counter[str] = field(default_factory=Counter)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (title, error)

    @property
    def total(self) -> int:
        return sum(self.by_status.values())


@dataclass
class CampaignFacts:
    """All a report says, measured as of `today` over `period`."""

    spec: Campaign
    registry: Registry
    kind: ReportKind
    period: Period
    today: date
    units: list[UnitInfo]
    occurrences: list[OccurrenceFacts]
    unit_submissions: list[UnitSubmissions]
    nominations: NominationFacts
    targets: list[TargetFacts]
    deliveries: list[DeliveryCount]
    actions: ActionFacts

    @property
    def units_by_kind(self) -> list[tuple[str, int]]:
        """(kind label, count) in the order kinds first appear."""
        return list(Counter(u.kind for u in self.units).items())

    @property
    def sent(self) -> int:
        return sum(d.sent for d in self.deliveries)

    @property
    def failed(self) -> int:
        return sum(d.failed for d in self.deliveries)


def reaches(value: float, goal: float) -> bool:
    # Figures are decimals typed by people: 0.8 must reach an 80% goal despite binary floats.
    return value >= goal - 1e-9
