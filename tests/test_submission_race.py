"""Two `thidua submit` for one unit and milestone at once (issue 11 point 5), real processes.

Same file name, different contents: the stored file used to differ from the recorded
SHA-256 in 3 runs of 6 (the loser's copy, or a mix of both, since both wrote the same
“.name.partial”), and the refused operator saw “No such file or directory”. Now each
copy has a unique temporary name and only the winner's is moved into place.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from thidua.campaign.lookup import find_campaign
from thidua.campaign.plan import compile_plan
from thidua.ledger.files import FileBatch, file_dir

from .submission_fixtures import SEED_003, write_pdf

pytestmark = pytest.mark.slow

ROUNDS = 6
#: big enough that copying takes a while, so the two writers overlap
PADDING = 4 * 1024 * 1024


def _pdf(path: Path, text: str) -> Path:
    write_pdf(path, text)
    with path.open("ab") as fh:  # a PDF comment after %%EOF: still a PDF, now 4 MB
        fh.write(b"%" + text.encode() * (PADDING // len(text)) + b"\n")
    return path


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_concurrent_submits_store_exactly_the_winners_file(
    store: Engine, campaigns: Path, tmp_path: Path
) -> None:
    from thidua.store import submission_rows
    from thidua.store.db import session_scope

    loaded = find_campaign(SEED_003)
    units = sorted(compile_plan(loaded.spec, loaded.registry).participants)[:ROUNDS]
    assert len(units) == ROUNDS
    env = {
        **os.environ,
        "THIDUA_DATA_DIR": str(tmp_path / "data"),
        "THIDUA_CAMPAIGNS_DIR": str(campaigns),
        "THIDUA_REGISTRY": str(campaigns / "units.yaml"),
        "THIDUA_DATABASE_URL": store.url.render_as_string(hide_password=False),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    }
    thidua = str(Path(sys.executable).with_name("thidua"))
    for round_, unit in enumerate(units):
        files = []
        for who in ("a", "b"):
            (tmp_path / f"{who}{round_}").mkdir()
            files.append(_pdf(tmp_path / f"{who}{round_}" / "bao-cao.pdf", f"ban-{who}-{round_}"))
        command = [thidua, "submit", SEED_003, "--don-vi", unit, "--moc", "bao-cao-ket-qua"]
        command += ["--luc", "9/7/2023 10:00", "--tep"]
        procs = [
            subprocess.Popen(
                [*command, str(f)], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
            )
            for f in files
        ]
        results = [
            (p.wait(timeout=300), *(s.read().decode() for s in (p.stdout, p.stderr))) for p in procs
        ]  # type: ignore[union-attr]
        for p in procs:
            p.stdout.close()  # type: ignore[union-attr]
            p.stderr.close()  # type: ignore[union-attr]
        codes = sorted(code for code, _, _ in results)
        assert codes == [0, 1], (unit, results)
        [(_, won_out, _)] = [r for r in results if r[0] == 0]
        [(_, _, lost_err)] = [r for r in results if r[0] == 1]
        assert "Đã ghi nhận" in won_out
        assert "đã nộp cho mốc “bao-cao-ket-qua”" in lost_err and "--thay-the" in lost_err, lost_err
        assert "No such file" not in lost_err and "Traceback" not in lost_err

        with session_scope() as session:
            row = submission_rows.get_submission(
                session,
                campaign_code=SEED_003,
                milestone="bao-cao-ket-qua",
                occurrence="",
                unit_code=unit,
            )
            assert row is not None
            [stored] = row.files
        kept = Path(stored["path"])
        assert _sha(kept) == stored["sha256"], f"round {round_}: stored file ≠ record"
        assert stored["sha256"] in {_sha(f) for f in files}
        assert kept.stat().st_size == stored["size"]
        # the loser left nothing behind: no temporary copy, no “bao-cao (2).pdf”
        assert sorted(p.name for p in kept.parent.iterdir()) == ["bao-cao.pdf"]


def test_a_refused_batch_removes_only_its_own_staged_copy(store: Engine, tmp_path: Path) -> None:
    """In-process view of the same rule: staged copies take their name only when placed."""
    where = {"campaign": SEED_003, "milestone": "bao-cao-ket-qua", "occurrence": "", "unit": "SYT"}
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    winner, loser = FileBatch(deferred=True), FileBatch(deferred=True)
    won = winner.store(write_pdf(tmp_path / "a" / "bao-cao.pdf", "one"), **where)
    lost = loser.store(write_pdf(tmp_path / "b" / "bao-cao.pdf", "two"), **where)
    # Staged, not named: the one refused never holds the final name, even for a moment.
    assert won["path"] == lost["path"] == ""
    folder = file_dir(**where)
    assert not (folder / "bao-cao.pdf").exists()
    winner.place()
    loser.undo()
    assert won["path"] == str(folder / "bao-cao.pdf")
    assert sorted(p.name for p in folder.iterdir()) == ["bao-cao.pdf"]
    assert _sha(Path(won["path"])) == won["sha256"]
    winner.undo()  # a failed commit after placing takes back only the winner's own file
    assert list(folder.iterdir()) == []
