"""Who holds a delivery claim, and whether that holder can still finish it.

A claim ("pending" delivery) is written before a message is sent. If its sender
dies, the claim must be taken over, or the unit is never told; if the sender is
alive, taking it over would send twice. The lease (`Settings.claim_lease_seconds`)
decides whenever we cannot see the holder. A claim's token names:

- the process by a random instance id (uuid4, new in every process and every forked
  child): two processes never share it, whatever their host name and pid. Host, pid
  and start time alone are not unique: two containers with host networking, or two
  cloned VMs, have the same host name and may both be pid 1 of their PID namespace;
- the kernel (`/proc/sys/kernel/random/boot_id`) and the PID namespace (the inode of
  `/proc/self/ns/pid`): a pid means something only inside one namespace of one boot,
  so the process table is consulted only when both match ours;
- the pid and the process's start time in that namespace (a reused pid is not the
  holder);
- the delivery attempt within the process: an attempt ends when its `deliver`
  returns, whatever happened to its threads.
"""

from __future__ import annotations

import os
import threading
import uuid
from functools import cache

_ended: set[str] = set()
_ended_lock = threading.Lock()

#: Fields of a token, separated by ":" (none of them may contain one).
_FIELDS = 6  # instance, boot, pid namespace, pid, start time, attempt


def _read(path: str) -> str:
    try:
        with open(path, encoding="ascii", errors="replace") as fh:
            return fh.read().strip() or "?"
    except OSError:
        return "?"


@cache
def _boot_id() -> str:
    """This kernel's boot id; "?" where there is none (not Linux)."""
    return _read("/proc/sys/kernel/random/boot_id").replace(":", "-")


def _pid_namespace() -> str:
    """The inode of this process's PID namespace; "?" where it cannot be read."""
    try:
        return str(os.stat("/proc/self/ns/pid").st_ino)
    except OSError:
        return "?"


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
    """This process's part of a token: instance, boot, namespace, pid, start time."""
    pid = os.getpid()
    instance = uuid.uuid4().hex
    return f"{instance}:{_boot_id()}:{_pid_namespace()}:{pid}:{_start_time(pid) or '?'}"


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

    Unknown holders (old tokens, other machines, other PID namespaces or boots) are
    never declared gone: only the lease frees those.
    """
    if not token:
        return False
    parts = token.split(":")
    if len(parts) != _FIELDS:
        return False
    instance, boot, namespace, pid_text, started, _attempt = parts
    if f"{instance}:{boot}:{namespace}:{pid_text}:{started}" == _process():
        with _ended_lock:
            return token in _ended
    if "?" in (boot, namespace) or boot != _boot_id() or namespace != _pid_namespace():
        return False  # the pid would name a process of another kernel or namespace
    try:
        pid = int(pid_text)
    except ValueError:
        return False
    if not _alive(pid):
        return True
    now_started = _start_time(pid)
    # Same namespace, same pid, another instance: a process that exec'd or re-imported
    # us would keep pid and start time, so only a differing start time proves it gone.
    return started != "?" and now_started not in (None, "?") and now_started != started


# A forked child is another process: it must not inherit its parent's identity.
os.register_at_fork(after_in_child=_process.cache_clear)
