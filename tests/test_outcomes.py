"""Which units a run did not reach, how each is logged, and what the run's state is named."""

from __future__ import annotations

import logging

import pytest
import yaml
from thidua.tasks.actions import Outcome
from thidua.tasks.outcomes import channel_label, failed_units, failure_label, warn_failures

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
        Outcome("SO-A", "0:outbox", "sent"),
        Outcome("SO-B", "0:outbox", "already_sent"),
        Outcome("XA-1", "0:mailtos", "failed_permanent", "550"),
        Outcome("XA-1", "1:outbox", "sent"),
        Outcome("XA-2", "0:mailto", "failed_transient", "451"),
        Outcome("XA-2", "1:mailto", "failed_transient", "451"),
    ]
    failed = failed_units(["SO-A", "SO-B", "XA-1", "XA-2", "UBND"], outcomes)
    assert list(failed) == ["XA-1", "XA-2", "UBND"]  # UBND: nothing was even tried
    assert [o.channel for o in failed["XA-1"]] == ["0:mailtos"]
    assert len(failed["XA-2"]) == 2 and failed["UBND"] == []
    assert failure_label(len(failed)) == "3 đơn vị lỗi"
    assert failure_label(0) is None
    assert failed_units(["SO-A"], outcomes[:1]) == {}


def test_each_failure_is_a_warning_without_the_secret(registry, caplog) -> None:
    failed = {
        "XA-1": [Outcome("XA-1", "0:mailtos", "failed_permanent", "Lỗi vĩnh viễn: 550 5.1.1")],
        "UBND": [],
    }
    logger = logging.getLogger("thidua.test.outcomes")
    with caplog.at_level(logging.WARNING, logger=logger.name):
        warn_failures(logger, registry, failed)
    lines = [r.getMessage() for r in caplog.records]
    assert all(r.levelno == logging.WARNING for r in caplog.records)
    assert lines[0].startswith("Unit XA-1 (UBND xã Một) not reached on 0:mailtos (mailtos://")
    assert "mail.xamot.example.vn" in lines[0] and "Lỗi vĩnh viễn: 550 5.1.1" in lines[0]
    assert lines[1] == "Unit UBND (UBND tỉnh) not reached: no contact to send to"
    assert SECRET not in "\n".join(lines)
    assert channel_label(registry, "XA-1", "1:outbox") == "1:outbox (outbox://xa-1)"
    assert channel_label(registry, "XA-1", "7:mailto") == "7:mailto"  # no such contact
