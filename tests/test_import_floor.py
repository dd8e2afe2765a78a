"""What the action worker and the lean CLI commands import, checked in fresh interpreters.

Every module imported before the work starts is memory the worker holds for the whole
run (the 100,000-unit fan-out has to fit in 200 MB: bench/fanout_scale.py) and time
every `thidua plan` pays (bench/cli_startup.py). Those benches time; these tests name
the modules that must stay out, so a top-level import that brings one back fails here.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from .serving import ROOT, clean_env

#: Loaded only by a run that writes a report or by a contact of another Apprise scheme.
NOT_IN_THE_WORKER = (
    "docx",  # the sơ kết / tổng kết report's DOCX (tasks/reports.py)
    "lxml",
    "openpyxl",
    "thidua.documents.docx",
    "thidua.documents.report_files",
    "thidua.documents.facts",
    "cryptography",  # Apprise's other plugins (notifications/channels)
    "paho",
    "requests_oauthlib",
)

#: `thidua plan` / `validate` run neither the store nor the other commands.
NOT_IN_PLAN = (
    "thidua.cli.nominations",
    "thidua.cli.reports",
    "thidua.cli.submissions",
    "sqlmodel",
    "sqlalchemy",
    "prefect",
    "apprise",
    "jinja2",
    "docx",
    "openpyxl",
)

SEED = ROOT / "campaigns" / "ubnd_641_kh_2026_100_ngay_dem.py"


def run_python(code: str, tmp_path: Path) -> dict[str, object]:
    """Run `code` in a fresh interpreter; the JSON object it prints last."""
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=ROOT,
        env=clean_env(THIDUA_DATA_DIR=str(tmp_path / "data")),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def test_the_action_worker_imports_no_report_writer_and_no_other_apprise_plugin(
    tmp_path: Path,
) -> None:
    found = run_python(
        f"""
        import json, sys
        import thidua.flows.action
        from apprise.manager_plugins import NotificationManager

        print(json.dumps({{
            "heavy": [m for m in {NOT_IN_THE_WORKER!r} if m in sys.modules],
            "plugins": sorted(m for m in sys.modules if m.startswith("apprise.plugins.")),
            "manager_loaded": bool(NotificationManager()),
        }}))
        """,
        tmp_path,
    )
    assert found["heavy"] == []
    # Our email channel subclasses Apprise's: its modules are the only plugin loaded.
    assert all(
        m == "apprise.plugins.base" or m.startswith("apprise.plugins.email")
        for m in found["plugins"]  # type: ignore[attr-defined]
    ), found["plugins"]
    assert found["manager_loaded"] is False


def test_an_email_or_outbox_contact_loads_no_other_apprise_plugin(tmp_path: Path) -> None:
    found = run_python(
        """
        import json, sys
        from apprise.manager_plugins import NotificationManager
        from thidua.notifications.channels import load

        kinds = [
            type(load(url)).__name__
            for url in ("mailtos://bot:pw@smtp.example.vn?to=a@example.vn&from=b@example.vn",
                        "mailto://smtp.example.vn?to=a@example.vn&from=b@example.vn",
                        "outbox://xa-1")
        ]
        print(json.dumps({"kinds": kinds, "manager_loaded": bool(NotificationManager()),
                          "paho": "paho" in sys.modules}))
        """,
        tmp_path,
    )
    assert found == {"kinds": ["Email", "Email", "Outbox"], "manager_loaded": False, "paho": False}


@pytest.mark.parametrize("apprise_first", [False, True], ids=["channels-first", "apprise-first"])
def test_apprise_builds_our_plugins_whenever_its_manager_loads(
    tmp_path: Path, apprise_first: bool
) -> None:
    """Registered when Apprise loads its plugins, after our import or before it."""
    found = run_python(
        f"""
        import json
        import apprise
        if {apprise_first!r}:  # Apprise's plugins loaded before the channels' import
            assert apprise.Apprise.instantiate("json://localhost") is not None
        from thidua.notifications.channels import load

        sender = apprise.Apprise()
        for url in ("mailtos://bot:pw@smtp.example.vn?to=a@example.vn&from=b@example.vn",
                    "outbox://xa-1", "json://localhost"):
            assert sender.add(url), url
        other = type(load("json://localhost")).__name__
        print(json.dumps({{"built": [type(p).__name__ for p in sender], "other": other}}))
        """,
        tmp_path,
    )
    assert found == {"built": ["Email", "Outbox", "NotifyJSON"], "other": "NotifyJSON"}


@pytest.mark.parametrize("command", ["plan", "validate"])
def test_plan_and_validate_import_neither_the_store_nor_the_other_commands(
    tmp_path: Path, command: str
) -> None:
    # As on an admin's machine after the first run: the registry's contact checks are
    # cached (a cold cache asks Apprise about each contact once).
    warm = f"from thidua.cli.main import main; assert main(['validate', {str(SEED)!r}]) == 0"
    run_python(warm + "; print('{}')", tmp_path)
    found = run_python(
        f"""
        import contextlib, io, json, sys
        from thidua.cli.main import main

        with contextlib.redirect_stdout(io.StringIO()):
            code = main([{command!r}, {str(SEED)!r}])
        print(json.dumps({{"code": code, "heavy": [m for m in {NOT_IN_PLAN!r} if m in sys.modules]}}))
        """,
        tmp_path,
    )
    assert found == {"code": 0, "heavy": []}
