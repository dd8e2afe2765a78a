"""The shared vocabulary of the ledger and the board: one enum per status family, each
member with its one Vietnamese label.

The board, the report, the CLI, the Prefect artifacts and the annexes all name a status
through `.label` here, so an office sees the same words everywhere ("đã nộp" for a
nomination, "trễ hạn" for a late submission, "đã thực hiện" for a finished action).
The store keeps the values (`StrEnumType` in `thidua.store.models`); nothing in this
module imports the store, so both the store and the ledger can depend on it.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Self


class LabelledStatus(StrEnum):
    """A StrEnum whose members are declared as ``NAME = "value", "Vietnamese label"``."""

    label: str

    def __new__(cls, value: str, label: str = "") -> Self:
        member = str.__new__(cls, value)
        member._value_ = value
        member.label = label
        return member

    @classmethod
    def label_of(cls, value: object) -> str:
        """The label of a member or stored value; an unknown value is shown as it is."""
        try:
            return cls(str(value)).label
        except ValueError:
            return str(value)


class CampaignStatus(LabelledStatus):
    """Whether a campaign's actions run (`thidua pause` / `resume` / `cancel`)."""

    ACTIVE = "active", "đang thực hiện"
    PAUSED = "paused", "tạm dừng"
    CANCELLED = "cancelled", "đã hủy"


class ActionStatus(LabelledStatus):
    """Where one planned action of a campaign stands."""

    PLANNED = "planned", "chưa lên lịch"
    SCHEDULED = "scheduled", "đã lên lịch"
    RUNNING = "running", "đang thực hiện"
    DONE = "done", "đã thực hiện"
    FAILED = "failed", "không thực hiện được"
    PASSED = "passed", "đã qua, không gửi"
    SKIPPED = "skipped", "bỏ qua"
    CANCELLED = "cancelled", "đã hủy"


#: What an operator sees of a scheduled action whose time has passed without a run.
#: Never stored: `effective_status` derives it.
LATE_ACTION = "late"
LATE_ACTION_LABEL = "trễ, chưa thực hiện"


def effective_status(status: str, scheduled_at: datetime, now: datetime) -> str:
    """The status an operator should see: a scheduled action whose time passed is late."""
    if status in (ActionStatus.SCHEDULED, ActionStatus.PLANNED) and scheduled_at < now:
        return LATE_ACTION
    return str(status)


def action_label(status: str) -> str:
    """The label of an action status, `LATE_ACTION` included."""
    return LATE_ACTION_LABEL if status == LATE_ACTION else ActionStatus.label_of(status)


class DeliveryStatus(LabelledStatus):
    """One message to one unit on one channel, as the store records it."""

    PENDING = "pending", "chờ gửi"  # claimed, the message not yet handed to the channel
    SENDING = "sending", "đang gửi"  # DATA (or the channel's request) under way: it may arrive
    SENT = "sent", "đã gửi"
    # went out, no answer: maybe received; only `resend` repeats it
    UNCERTAIN = "uncertain", "chưa rõ"
    FAILED_TRANSIENT = "failed_transient", "lỗi tạm thời"
    FAILED_PERMANENT = "failed_permanent", "lỗi vĩnh viễn"
    SKIPPED = "skipped", "bỏ qua"


# What one send attempt came to (sent earlier, held by another run) is the delivery
# engine's: thidua.delivery.outcome.Outcome.label.


_ON_TIME, _LATE, _EARLY = "đúng hạn", "trễ hạn", "sớm"


class SubmissionTiming(LabelledStatus):
    """When a submission came, against its occurrence's window (opens … due)."""

    ON_TIME = "on_time", _ON_TIME
    LATE = "late", _LATE  # after the due date (or after the last day of a window)
    EARLY = "early", _EARLY  # before a window opened ("trong ngày 03 và ngày 04 tháng 7")


class SubmissionState(LabelledStatus):
    """Where one unit stands on one occurrence it owes: a board cell, a report's count.

    The first three are the `SubmissionTiming` of what it handed in."""

    ON_TIME = "on_time", _ON_TIME
    LATE = "late", _LATE
    EARLY = "early", _EARLY
    MISSING = "missing", "quá hạn chưa nộp"  # nothing handed in and the due date has passed
    PENDING = "pending", "chưa đến hạn"  # nothing handed in, not due yet

    @property
    def submitted(self) -> bool:
        return self.value in {t.value for t in SubmissionTiming}


class NominationStatus(LabelledStatus):
    """The review workflow of a nomination dossier; every move is a NominationEvent."""

    SUBMITTED = "submitted", "đã nộp"
    RETURNED = "returned", "trả lại"  # sent back to the unit with a reason
    RESUBMITTED = "resubmitted", "nộp lại"
    ACCEPTED = "accepted", "đã duyệt"
    AWARDED = "awarded", "được khen thưởng"
    NOT_AWARDED = "not_awarded", "không được khen thưởng"
    WITHDRAWN = "withdrawn", "đã rút"


def status_label(status: NominationStatus | str) -> str:
    """The Vietnamese label of a nomination status: "đã nộp", "trả lại"…"""
    return NominationStatus(status).label


def effective_label(status: str, scheduled_at: datetime, now: datetime) -> str:
    """The label of an action's `effective_status`."""
    return action_label(effective_status(status, scheduled_at, now))


class SubmissionSource(LabelledStatus):
    """Where a submission was recorded from, as the office says it."""

    CLI = "cli", "dòng lệnh"
    IMPORT = "import", "nhập từ tệp"
    UI = "ui", "biểu mẫu Prefect"
    PORTAL = "portal", "cổng thi đua"  # the unit itself, through its own link
