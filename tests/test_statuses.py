"""The shared vocabulary: one enum with one Vietnamese label per status family."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from thidua.documents.tallies import ACTION_STATUS_LABELS, NOMINATION_STATUS_LABELS
from thidua.ledger import statuses
from thidua.ledger.review import parse_status
from thidua.ledger.statuses import (
    ActionStatus,
    CampaignStatus,
    DeliveryStatus,
    LabelledStatus,
    NominationStatus,
    SubmissionSource,
    SubmissionState,
    SubmissionTiming,
    effective_label,
    status_label,
)
from thidua.ledger.timing import timing_text
from thidua.store import models

FAMILIES = [
    CampaignStatus,
    ActionStatus,
    DeliveryStatus,
    SubmissionTiming,
    SubmissionState,
    NominationStatus,
    SubmissionSource,
]


@pytest.mark.parametrize("family", FAMILIES, ids=lambda f: f.__name__)
def test_every_status_has_one_label_of_its_own(family: type[LabelledStatus]) -> None:
    labels = [member.label for member in family]
    assert all(label.strip() == label and label for label in labels)
    assert len(set(labels)) == len(labels), labels
    for member in family:  # stored as its value, read back as the member
        assert family(member.value) is member and str(member) == member.value


def test_the_store_keeps_the_same_enums() -> None:
    for name in ("ActionStatus", "CampaignStatus", "DeliveryStatus", "NominationStatus"):
        assert getattr(models, name) is getattr(statuses, name)
    assert models.SubmissionTiming is SubmissionTiming


def test_a_timing_reads_the_same_as_the_state_of_a_cell() -> None:
    for timing in SubmissionTiming:
        assert SubmissionState(timing.value).label == timing.label
        assert SubmissionState(timing.value).submitted
    assert not SubmissionState.MISSING.submitted and not SubmissionState.PENDING.submitted
    assert timing_text(SubmissionTiming.LATE, 2) == "TRỄ HẠN 2 ngày"
    assert timing_text("early", 3) == "SỚM 3 ngày (trước khi mở nhận)"
    assert timing_text("on_time", 0) == "đúng hạn"


def test_the_report_names_statuses_with_the_same_words() -> None:
    assert NOMINATION_STATUS_LABELS["submitted"] == "Đã nộp"
    assert status_label("submitted") == "đã nộp"
    for status in NominationStatus:
        assert NOMINATION_STATUS_LABELS[status.value].lower() == status.label
        assert parse_status(status.label) is status
    assert {s.value: s.label for s in ActionStatus} == ACTION_STATUS_LABELS


def test_an_action_past_its_time_without_a_run_reads_late() -> None:
    now = datetime(2026, 3, 20, tzinfo=UTC)
    assert effective_label("scheduled", now - timedelta(minutes=1), now) == "trễ, chưa thực hiện"
    assert effective_label("scheduled", now + timedelta(minutes=1), now) == "đã lên lịch"
    assert effective_label("done", now - timedelta(days=1), now) == "đã thực hiện"


def test_send_outcomes_beyond_stored_statuses_have_labels() -> None:
    from thidua.delivery.outcome import Outcome

    assert Outcome("A", "0:mailto", DeliveryStatus.SENT, earlier=True).label == "đã gửi trước đó"
    assert Outcome("A", "0:mailto", DeliveryStatus.SENDING).label == "đang được gửi ở lượt chạy khác"
    assert Outcome("A", "0:mailto", DeliveryStatus.FAILED_PERMANENT).label == "lỗi vĩnh viễn"
    assert DeliveryStatus.label_of("something-new") == "something-new"  # shown, never a KeyError
