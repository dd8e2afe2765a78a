"""Contacts whose ${VARS} are unset: `validate` and `serve` warn (not fail) and name the units.

The shipped registries give every unit an outbox contact next to its e-mail, so with
no SMTP settings at all every unit is still reached.
"""

from __future__ import annotations

import os

import pytest

from thidua.cli.main import main
from thidua.registry import load_registry, parse_registry
from thidua.registry.reach import unreached_contacts

from .conftest import CAMPAIGNS

SMTP_VARS = ("THIDUA_SMTP_USER", "THIDUA_SMTP_PASSWORD", "THIDUA_SMTP_HOST")


@pytest.fixture
def no_smtp(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in SMTP_VARS:
        monkeypatch.delenv(name, raising=False)


@pytest.mark.parametrize("name", ["units.yaml", "units_2023.yaml"])
def test_shipped_registries_reach_every_unit_without_smtp_settings(name: str) -> None:
    registry = load_registry(CAMPAIGNS / name)
    reach = unreached_contacts(registry, environ={})
    assert reach.unreached == []
    assert reach.partial  # the e-mail contacts wait for THIDUA_SMTP_*
    assert all(set(names) <= set(SMTP_VARS) for names in reach.partial)
    assert not unreached_contacts(registry, environ=dict.fromkeys(SMTP_VARS, "x"))


def test_units_with_no_usable_contact_are_named() -> None:
    import yaml

    from .conftest import SMALL_REGISTRY

    data = yaml.safe_load(SMALL_REGISTRY)
    assert not unreached_contacts(parse_registry(data), environ={})  # outbox contacts only
    for unit in data["units"]:
        if unit["code"] == "XA-2":
            unit["contacts"] = ["mailtos://${MAIL_USER}:${MAIL_PASS}@example.vn"]
        if unit["code"] == "XA-1":
            unit["contacts"].append("tgram://${TG_TOKEN}/123456")
    reach = unreached_contacts(parse_registry(data), environ={"MAIL_PASS": "x"})
    assert reach.unreached == ["XA-2"]
    assert reach.partial == {("MAIL_USER",): ["XA-2"], ("TG_TOKEN",): ["XA-1"]}
    lines = reach.lines()
    mail = next(line for line in lines if "MAIL_USER" in line)
    telegram = next(line for line in lines if "TG_TOKEN" in line)
    assert mail.startswith("chưa đặt biến môi trường MAIL_USER") and "(XA-2)" in mail
    assert "vẫn nhận" not in mail
    assert "(XA-1)" in telegram and "vẫn nhận thông báo qua địa chỉ khác" in telegram
    assert lines[-1].startswith("1 đơn vị sẽ không nhận được thông báo nào") and "XA-2" in lines[-1]


def test_validate_warns_and_passes(capsys, no_smtp: None) -> None:
    code = main(["validate", str(CAMPAIGNS / "ubnd_2023_75_nam_thi_dua_ai_quoc.py")])
    out, _ = capsys.readouterr()
    assert code == 0
    assert "cảnh báo: chưa đặt biến môi trường THIDUA_SMTP_USER" in out
    assert "SYT" in out and "vẫn nhận thông báo qua địa chỉ khác" in out
    assert "sẽ không nhận được thông báo nào" not in out


def test_serve_warns_and_shows_progress(served) -> None:
    assert not any(os.environ.get(name) for name in SMTP_VARS if name in served.env)
    out = served.output()
    assert "Đang khởi động máy chủ Prefect" in out and "Đang triển khai" in out
    assert "cảnh báo: 641/KH-UBND: chưa đặt biến môi trường THIDUA_SMTP_USER" in out
    assert out.index("Đang khởi động") < out.index("Giao diện Prefect")
