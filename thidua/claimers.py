"""Who holds a delivery claim, and whether that holder can still finish it.

A claim ("pending" delivery) is written before a message is sent. If its sender
dies, the claim must be taken over, or the unit is never told; if the sender is
alive, taking it over would send twice. The lease (`Settings.claim_lease_seconds`)
decides for senders on other machines. On this machine we can tell at once: a
claim names its process (host, pid, the process's start time, so a reused pid is
not mistaken for it) and the delivery attempt within it, and an attempt ends when
its `deliver` returns, whatever happened to its threads.
"""

from __future__ import annotations

import os
import socket
import threading
import uuid
from functools import cache

_ended: set[str] = set()
_ended_lock = threading.Lock()


@cache
def _host() -> str:
    return socket.gethostname()


def _start_time(pid: int) -> str | None:
    """The process's start time in clock ticks since boot (Linux), or None if it is gone."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as fh:
            stat = fh.read()
    except FileNotFoundError:
        return None
    except OSError:
        return "?"
    # The command name (field 2) may contain spaces and parentheses: split after it.
    fields = stat.rsplit(")", 1)[-1].split()
    return fields[19] if len(fields) > 19 else "?"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


@cache
def _process() -> str:
    return f"{_host()}:{os.getpid()}:{_start_time(os.getpid()) or '?'}"


def new_attempt() -> str:
    """A token naming this process and a new delivery attempt in it."""
    return f"{_process()}:{uuid.uuid4().hex[:12]}"


def end_attempt(token: str) -> None:
    """Mark an attempt over: claims it left pending may be taken over at once."""
    with _ended_lock:
        _ended.add(token)


def this_process(token: str | None) -> bool:
    """True when `token` names an attempt of this very process (a flow run's own)."""
    return bool(token) and token.rsplit(":", 1)[0] == _process()  # type: ignore[union-attr]


def holder_gone(token: str | None) -> bool:
    """True when the claim's holder certainly cannot finish it; False when unsure.

    Unknown holders (old rows, other machines) are never declared gone: only the
    lease frees those.
    """
    if not token:
        return False
    try:
        host, pid_text, started, _attempt = token.rsplit(":", 3)
        pid = int(pid_text)
    except ValueError:
        return False
    if host != _host():
        return False
    if f"{host}:{pid}:{started}" == _process():
        with _ended_lock:
            return token in _ended
    if not _alive(pid):
        return True
    now_started = _start_time(pid)
    return started != "?" and now_started not in (None, "?") and now_started != started


# A forked child is another process: it must not inherit its parent's identity.
os.register_at_fork(after_in_child=_process.cache_clear)
