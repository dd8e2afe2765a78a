"""The on-disk cache helpers: atomic writes that concurrent runs cannot break."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

from thidua.store.cache import read_json, write_atomic, write_json


def _write_many(path: str) -> int:
    errors = 0
    for i in range(200):
        try:
            write_atomic(Path(path), f"BEGIN:VCALENDAR {i}".encode())
        except OSError:
            errors += 1
    return errors


def test_processes_writing_the_same_file_never_fail(tmp_path: Path) -> None:
    # Two flow runs rendering the same unit's .ics used to share one temporary name,
    # so one renamed the other's file away (FileNotFoundError mid-delivery).
    target = tmp_path / "ics" / "lich.ics"
    with multiprocessing.get_context("spawn").Pool(4) as pool:
        errors = pool.map(_write_many, [str(target)] * 4)
    assert errors == [0, 0, 0, 0]
    assert target.read_bytes().startswith(b"BEGIN:VCALENDAR")
    assert [p.name for p in target.parent.iterdir()] == ["lich.ics"]  # no temporary left


def test_write_json_round_trips_and_ignores_an_unwritable_folder(tmp_path: Path) -> None:
    write_json(tmp_path / "a.json", {"đơn vị": [1, 2]})
    assert read_json(tmp_path / "a.json") == {"đơn vị": [1, 2]}
    blocker = tmp_path / "file"
    blocker.write_text("x")
    write_json(blocker / "b.json", {"x": 1})  # parent is a file: ignored, not raised
