"""SQLModel tables of the state store: campaigns, units, actions, deliveries, submissions, outbox.

Every time is a timezone-aware UTC `datetime` (`UTCDateTime`: SQLite has no time
zones, so values are stored as UTC wall time and handed back aware). Status
vocabularies are the `StrEnum`s of `thidua.ledger.statuses`, stored as short strings, not native database enums, so
adding a status never needs an ALTER TYPE. The schema is created by Alembic
(`thidua/migrations`), never by `create_all`; a test checks the two agree.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any, TypeVar

from sqlalchemy import JSON, String, Text, UniqueConstraint
from sqlalchemy.engine.interfaces import Dialect
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel
from sqlmodel.sql.sqltypes import UTCDateTime

# The status vocabularies (values and Vietnamese labels) have one home; the tables store them.
from thidua.ledger.statuses import (
    ActionStatus,
    CampaignStatus,
    DeliveryStatus,
    NominationStatus,
    SubmissionTiming,
)

__all__ = [
    "ActionRecord",
    "AuditEntry",
    "CampaignRecord",
    "CampaignUnit",
    "Delivery",
    "Nomination",
    "NominationEvent",
    "OutboxMessage",
    "PortalLink",
    "ReceiptRecord",
    "StaffUser",
    "StrEnumType",
    "Submission",
    "UnitRecord",
    "UnitRole",
    "metadata",
    "utcnow",
]

# Deterministic constraint names on every backend: Alembic's batch mode on SQLite
# needs named constraints to recreate a table, and PostgreSQL's generated names
# would differ from SQLite's.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
metadata = SQLModel.metadata

#: Width of the status columns; the longest value is "failed_permanent".
STATUS_LENGTH = 20

E = TypeVar("E", bound=StrEnum)


def utcnow() -> datetime:
    """The current time, aware, in UTC."""
    return datetime.now(UTC)


class UnitRole(StrEnum):
    PARTICIPANT = "participant"
    ORGANIZER = "organizer"


class StrEnumType(TypeDecorator[E]):
    """A `StrEnum` stored as VARCHAR: invalid values fail on write, members come back on read."""

    impl = String(STATUS_LENGTH)
    cache_ok = True

    def __init__(self, enum_cls: type[E]) -> None:
        super().__init__(STATUS_LENGTH)
        self.enum_cls = enum_cls

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        return None if value is None else self.enum_cls(value).value

    def process_result_value(self, value: Any, dialect: Dialect) -> E | None:
        return None if value is None else self.enum_cls(value)


# --- campaigns and units ----------------------------------------------------------


class CampaignRecord(SQLModel, table=True):
    """A deployed campaign: where its file is and which version of it was deployed."""

    __tablename__ = "campaigns"

    code: str = Field(primary_key=True)  # e.g. "641/KH-UBND"
    title: str
    file: str
    organizer: str  # unit code
    status: CampaignStatus = Field(
        default=CampaignStatus.ACTIVE, sa_type=StrEnumType(CampaignStatus)
    )
    spec_hash: str
    period_start: date
    period_end: date
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class UnitRecord(SQLModel, table=True):
    """A unit as last synced from the registry; contacts are URL templates, never secrets."""

    __tablename__ = "units"

    code: str = Field(primary_key=True)
    name: str
    kind: str
    supervisor: str | None = None
    headcount: int | None = None
    contacts: list[str] = Field(default_factory=list, sa_type=JSON)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class CampaignUnit(SQLModel, table=True):
    """Which units take part in a campaign, and which one organizes it."""

    __tablename__ = "campaign_units"

    campaign_code: str = Field(foreign_key="campaigns.code", primary_key=True)
    unit_code: str = Field(foreign_key="units.code", primary_key=True)
    role: UnitRole = Field(primary_key=True, sa_type=StrEnumType(UnitRole))


# --- actions and what they did ----------------------------------------------------


class ActionRecord(SQLModel, table=True):
    """One planned action of a campaign and the state of its flow run."""

    __tablename__ = "actions"
    __table_args__ = (UniqueConstraint("campaign_code", "key", name="uq_actions_campaign_key"),)

    id: int | None = Field(default=None, primary_key=True)
    campaign_code: str = Field(foreign_key="campaigns.code", index=True)
    key: str  # Action.key, e.g. "report/-/reminder/3d"
    milestone: str
    occurrence: str
    kind: str
    title: str
    run_name: str
    scheduled_at: datetime = Field(sa_type=UTCDateTime)
    due: date | None = None
    recipients: int = 0
    status: ActionStatus = Field(default=ActionStatus.PLANNED, sa_type=StrEnumType(ActionStatus))
    flow_run_id: str | None = None
    started_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    late_seconds: int | None = None
    error: str | None = Field(default=None, sa_type=Text)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Delivery(SQLModel, table=True):
    """One message to one unit over one channel; written before sending, for exactly-once."""

    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint(
            "campaign_code",
            "action_key",
            "occurrence",
            "unit_code",
            "channel",
            "resend",
            name="uq_deliveries_key",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    campaign_code: str
    action_key: str
    occurrence: str
    unit_code: str
    channel: str  # stable id such as "0-mailto", never a URL that could hold a secret
    #: 0 for the action's own run; n for its n-th `thidua resend`, its own deliveries.
    resend: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    #: Fingerprint of the contact URL template it went to (`thidua.registry.contacts`), never the
    #: URL: a permanent failure becomes eligible again once the registry changes it.
    contact_fp: str | None = None
    status: DeliveryStatus = Field(
        default=DeliveryStatus.PENDING, sa_type=StrEnumType(DeliveryStatus)
    )
    attempts: int = 1
    error: str | None = Field(default=None, sa_type=Text)
    subject: str | None = None
    #: Who holds a pending claim (`thidua.store.claimers`): a dead holder's claim is taken over.
    claimed_by: str | None = None
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class Submission(SQLModel, table=True):
    """A unit handed in what a milestone occurrence asked for (plan, report, figures, dossier)."""

    __tablename__ = "submissions"
    __table_args__ = (
        UniqueConstraint(
            "campaign_code", "milestone", "occurrence", "unit_code", name="uq_submissions_key"
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    campaign_code: str
    milestone: str
    occurrence: str
    unit_code: str
    submitted_at: datetime = Field(sa_type=UTCDateTime)
    timing: SubmissionTiming = Field(
        default=SubmissionTiming.ON_TIME, sa_type=StrEnumType(SubmissionTiming)
    )
    requirement: str = "none"  # spec.Requirement value the submission answers
    #: Stored copies of the files handed in: [{"name", "path", "sha256", "size"}].
    files: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSON)
    #: Target figures by target code: {"sang-kien": {"value": 12, "base": 40}}.
    figures: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    source: str = "cli"  # cli | import | ui | portal
    #: The official document sent through the e-document system instead of a file:
    #: its số hiệu (e.g. "125/BC-UBND") and its date.
    doc_number: str | None = None
    doc_date: date | None = None
    recorded_by: str | None = None
    note: str | None = Field(default=None, sa_type=Text)
    recorded_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)

    @property
    def on_time(self) -> bool:
        return self.timing == SubmissionTiming.ON_TIME


# --- nominations --------------------------------------------------------------------


class Nomination(SQLModel, table=True):
    """A nomination for an award (hồ sơ đề nghị khen thưởng) made by a unit."""

    __tablename__ = "nominations"
    __table_args__ = (
        # The same nominee for the same achievement once per campaign; the keys are
        # folded (no case, diacritics or spacing) so "Nguyễn Văn A" == "nguyen van  a".
        UniqueConstraint(
            "campaign_code",
            "nominee_kind",
            "nominee_key",
            "achievement_key",
            name="uq_nominations_nominee",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    campaign_code: str = Field(index=True)
    unit_code: str  # the nominating unit, whose quota it counts against
    award: str  # Award.code, or the award's folded name when it has no code
    nominee_kind: str  # spec.NomineeKind value: tap_the | ca_nhan | ho_gia_dinh
    nominee_name: str
    nominee_key: str
    position: str | None = None  # chức vụ, for a cá nhân
    workplace: str | None = None  # đơn vị công tác / địa chỉ
    achievement: str = Field(sa_type=Text)
    achievement_key: str
    #: The dossier as handed in: [{"document", "name", "path", "sha256", "size"}].
    documents: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSON)
    milestone: str | None = None
    occurrence: str = ""
    timing: SubmissionTiming = Field(
        default=SubmissionTiming.ON_TIME, sa_type=StrEnumType(SubmissionTiming)
    )
    status: NominationStatus = Field(
        default=NominationStatus.SUBMITTED, sa_type=StrEnumType(NominationStatus)
    )
    submitted_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class NominationEvent(SQLModel, table=True):
    """One move of a nomination through its workflow: who, when, why (the audit trail)."""

    __tablename__ = "nomination_events"

    id: int | None = Field(default=None, primary_key=True)
    nomination_id: int = Field(foreign_key="nominations.id", index=True)
    from_status: NominationStatus | None = Field(
        default=None, sa_type=StrEnumType(NominationStatus)
    )
    to_status: NominationStatus = Field(sa_type=StrEnumType(NominationStatus))
    actor: str
    reason: str | None = Field(default=None, sa_type=Text)
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class OutboxMessage(SQLModel, table=True):
    """A message kept by the local outbox channel instead of being sent."""

    __tablename__ = "outbox"

    id: int | None = Field(default=None, primary_key=True)
    mailbox: str = Field(index=True)
    unit_code: str | None = None
    campaign_code: str | None = None
    action_key: str | None = None
    subject: str
    body_text: str = Field(sa_type=Text)
    body_html: str | None = Field(default=None, sa_type=Text)
    eml_path: str | None = None
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


# --- the portal ----------------------------------------------------------------------


class PortalLink(SQLModel, table=True):
    """A unit's personal portal link; the token itself is never stored.

    The token is derived from the portal secret and `nonce` (`thidua.portal.links`), so a
    copy of the database alone opens nothing; `token_hash` (SHA-256) finds the row. A
    rotated link keeps its row with `revoked_at` set, so an old link is told apart from a
    forged one. `generation` makes two concurrent "create the first link" collide.
    """

    __tablename__ = "portal_links"
    __table_args__ = (
        UniqueConstraint("unit_code", "generation", name="uq_portal_links_unit_generation"),
    )

    id: int | None = Field(default=None, primary_key=True)
    unit_code: str = Field(index=True)
    generation: int = 1
    nonce: str  # 16 random bytes, hex
    token_hash: str = Field(unique=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class StaffUser(SQLModel, table=True):
    """A Ban Thi đua staff account of the portal; the password only as a scrypt hash."""

    __tablename__ = "staff_users"

    username: str = Field(primary_key=True)
    display_name: str
    password_hash: str
    disabled: bool = False
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class AuditEntry(SQLModel, table=True):
    """One write (or refused write) through the portal: when, from where, by whom, what."""

    __tablename__ = "audit_log"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    address: str  # client IP address
    actor: str  # "link:<unit>#<link id>" or "staff:<username>"
    action: str  # e.g. "submit", "nominate", "review", "login"
    outcome: str  # "ok" or "refused"
    campaign_code: str | None = None
    unit_code: str | None = None
    detail: str | None = Field(default=None, sa_type=Text)


class ReceiptRecord(SQLModel, table=True):
    """A số tiếp nhận: the number a unit is given for what it handed in through the portal.

    `number` is "<year>/<id:06d>": the id comes from this table, so numbers are unique on
    every backend without a sequence object.
    """

    __tablename__ = "receipts"

    id: int | None = Field(default=None, primary_key=True)
    number: str | None = Field(default=None, unique=True)
    kind: str  # "submission" or "nomination"
    ref_id: int  # submissions.id or nominations.id
    campaign_code: str
    unit_code: str = Field(index=True)
    issued_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
