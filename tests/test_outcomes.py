"""Which units a run did not reach, how each is logged, and what the run's state is named."""

from __future__ import annotations

import logging

import pytest
import yaml

from thidua.delivery import summary
from thidua.delivery.outcome import Outcome, Outcomes
from thidua.delivery.unreached import channel_label, failed_units, failure_label, warn_failures
from thidua.ledger.statuses import DeliveryStatus as S
from thidua.registry import parse_registry

from .conftest import SMALL_REGISTRY

SECRET = "mat-khau-bi-mat"


@pytest.fixture
def registry(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("XA1_SMTP_PASSWORD", SECRET)
    data = yaml.safe_load(SMALL_REGISTRY)
    for unit in data["units"]:
        if unit["code"] == "XA-1":  # two contacts: a relay with a password, then the outbox
            unit["contacts"] = [
                "mailtos://van.thu:${XA1_SMTP_PASSWORD}@mail.xamot.example.vn?to=vt@xamot.example.vn",
                "outbox://xa-1",
            ]
    return parse_registry(data)


def test_units_with_a_failed_channel_or_none_reached_are_counted_once() -> None:
    outcomes = [
        Outcome("SO-A", "0:outbox", S.SENT),
        Outcome("SO-B", "0:outbox", S.SENT, earlier=True),
        Outcome("XA-1", "0:mailtos", S.FAILED_PERMANENT, "550"),
        Outcome("XA-1", "1:outbox", S.SENT),
        Outcome("XA-2", "0:mailto", S.FAILED_TRANSIENT, "451"),
        Outcome("XA-2", "1:mailto", S.FAILED_TRANSIENT, "451"),
        Outcome("SO-C", "0:outbox", S.SENDING),  # another run holds it: not reached yet
    ]
    failed = failed_units(["SO-A", "SO-B", "XA-1", "XA-2", "UBND"], outcomes)
    assert list(failed) == ["XA-1", "XA-2", "UBND", "SO-C"]  # UBND: nothing was even tried
    assert [o.channel for o in failed["XA-1"]] == ["0:mailtos"]
    assert len(failed["XA-2"]) == 2 and failed["UBND"] == []
    assert failure_label(len(failed)) == "4 đơn vị lỗi"
    assert failure_label(0) is None
    assert failed_units(["SO-A"], outcomes[:1]) == {}


def test_each_failure_is_a_warning_without_the_secret(registry, caplog) -> None:
    failed = {
        "XA-1": [Outcome("XA-1", "0:mailtos", S.FAILED_PERMANENT, "Lỗi vĩnh viễn: 550 5.1.1")],
        "UBND": [],
    }
    logger = logging.getLogger("thidua.test.outcomes")
    with caplog.at_level(logging.WARNING, logger=logger.name):
        warn_failures(logger, registry, failed)
    lines = [r.getMessage() for r in caplog.records]
    assert all(r.levelno == logging.WARNING for r in caplog.records)
    assert lines[0].endswith("[failed_permanent]")  # the status as the store spells it
    assert lines[0].startswith("Unit XA-1 (UBND xã Một) not reached on 0:mailtos (mailtos://")
    assert "mail.xamot.example.vn" in lines[0] and "Lỗi vĩnh viễn: 550 5.1.1" in lines[0]
    assert lines[1] == "Unit UBND (UBND tỉnh) not reached: no contact to send to"
    assert SECRET not in "\n".join(lines)
    assert channel_label(registry, "XA-1", "1:outbox") == "1:outbox (outbox://xa-1)"
    assert channel_label(registry, "XA-1", "7:mailto") == "7:mailto"  # no such contact


def test_a_big_result_table_lists_every_problem_and_counts_the_sends(
    registry, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past the limit the sends are counted per channel; failures keep a row each."""
    monkeypatch.setattr(summary, "FULL_TABLE_ROWS", 3)
    outcomes = Outcomes(
        [
            Outcome("SO-A", "0:outbox", S.SENT),
            Outcome("SO-B", "0:outbox", S.SENT),
            Outcome("XA-1", "0:mailtos", S.FAILED_PERMANENT, "550"),
            Outcome("XA-1", "1:outbox", S.SENT),
            Outcome("XA-2", "0:outbox", S.SENT, earlier=True),
        ]
    )
    assert list(outcomes)[2] == Outcome("XA-1", "0:mailtos", S.FAILED_PERMANENT, "550")
    assert outcomes[-1].earlier and len(outcomes) == 5
    rows = summary.result_rows(outcomes, registry)
    assert [(r["Mã"], r["Kênh"]) for r in rows] == [
        ("XA-1", "0:mailtos"),
        ("XA-2", "0:outbox"),
        ("", "0:outbox"),
        ("", "1:outbox"),
    ]
    assert rows[2]["Đơn vị"].startswith("2 đơn vị khác") and rows[3]["Đơn vị"].startswith("1 ")
    assert len(summary.result_rows(outcomes[:3], registry)) == 3  # within the limit: each
