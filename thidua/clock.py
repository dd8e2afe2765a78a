"""The product's one clock: every decision about what is passed, caught up, deferred or late
reads `now()` here, never `datetime.now()` directly.

In production it is the wall clock. Tests (and a rehearsal of "what would a deploy on
31/3/2026 do") set the environment variable ``THIDUA_NOW`` to a **fixed instant** with
its UTC offset, e.g. ``THIDUA_NOW=2026-02-07T10:00+07:00``; `thidua serve`, `thidua
deploy`, `thidua worker` and the action flow then all decide as if it were that moment.

Why a frozen instant and not an offset from the wall clock: the decisions under test
(passed or caught up, deferred to which slot, how late) must be the same however long
the test took to get there; an offset would move boundaries with the machine's load.
The price: the Prefect server schedules by the wall clock, so runs a virtual-clock
deploy creates must not be handed to a worker that polls them all (deploy to a work
pool no worker polls, or `thidua serve --no-worker`): it would run every run whose
wall-clock time passed at once. A run deferred under THIDUA_NOW carries the slot it
was deferred to as its own clock (as in `thidua simulate`), so running that successor
sends at its slot instead of deferring again.

Guard rails, because a virtual clock in production would record real notices as
passed: it is read from the environment only (never `thidua.toml`, a file that
travels with a project); a value without its UTC offset or unparseable is refused
with an error naming the variable; and every process that uses it says so loudly on
stderr and in its log, once.
"""

from __future__ import annotations

import logging
import os
import sys
from datetime import UTC, datetime

from thidua.errors import SettingsError, quote

#: The environment variable that freezes the clock (tests only).
ENV = "THIDUA_NOW"

_warned: set[str] = set()


def virtual_now() -> datetime | None:
    """The instant THIDUA_NOW fixes, or None on the wall clock; SettingsError if malformed."""
    raw = os.environ.get(ENV, "").strip()
    if not raw:
        return None
    try:
        value = datetime.fromisoformat(raw)
    except ValueError:
        raise SettingsError(
            f"biến môi trường {ENV} = {quote(raw)} không hợp lệ: cần một thời điểm ISO 8601 "
            "có múi giờ, ví dụ 2026-02-07T10:00+07:00"
        ) from None
    if value.tzinfo is None or value.utcoffset() is None:
        raise SettingsError(
            f"biến môi trường {ENV} = {quote(raw)} không hợp lệ: thiếu múi giờ "
            "(ví dụ 2026-02-07T10:00+07:00)"
        )
    if raw not in _warned:
        _warned.add(raw)
        _warn(raw)
    return value.astimezone(UTC)


def now() -> datetime:
    """The current instant (aware, UTC): THIDUA_NOW when set, else the wall clock."""
    return virtual_now() or datetime.now(UTC)


def _warn(raw: str) -> None:
    # Loud on purpose: a frozen clock in production would mark real notices as passed.
    text = (
        f"CẢNH BÁO: đồng hồ giả lập {ENV}={raw} đang bật — mọi quyết định về thời gian "
        "(đã qua, gửi bù, hoãn gửi, trễ hạn) tính theo thời điểm này, không theo giờ thực. "
        f"Chỉ dùng khi kiểm thử; hãy xóa biến {ENV} khi chạy thật."
    )
    print(text, file=sys.stderr, flush=True)
    logging.getLogger("thidua").warning("virtual clock %s=%s in use: not the wall clock", ENV, raw)
