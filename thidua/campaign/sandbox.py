"""Run campaign files in a child process, so that no file can end, hang or exhaust the loader.

A campaign file is Python: `os._exit(0)` at import used to end `thidua validate`
with status 0 and no output, an endless loop hung it. Files are now executed in a
child interpreter with a memory limit (RLIMIT_AS) and a time limit per file; the
child returns, for each file, the plain data of its declarations (JSON, never
pickle: the parent must not run anything the file could have crafted) or the
problems found while reading and running it. pydantic validation, registry and
cross-checks stay in the parent (`thidua.campaign.loading`).

Several files share one child. A single-threaded caller (the CLI) forks, so no
interpreter start-up is paid at all; one with threads (serve, flow runs) starts a
fresh interpreter, since forking could copy a lock another thread holds. The child
announces each file before running it, so when it dies or times out, that file
is reported as refused (“tệp kết thúc tiến trình khi nạp”, “quá thời gian nạp N
giây”) and the files after it are retried in a fresh child: one bad file never
hides the others. A started child imports only `thidua.campaign.sandbox_child` (the child side),
`sandbox_codec` (the JSON both sides speak), `thidua.campaign.dsl` and `thidua.errors`
(no pydantic); either way it runs while the parent imports pydantic.

Limits: ``THIDUA_LOAD_TIMEOUT`` (seconds per file, default 20) and
``THIDUA_LOAD_MEMORY_MB`` (default 1024).
"""

from __future__ import annotations

import contextlib
import json
import os
import selectors
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from thidua.campaign.dsl import DECLARATIONS, Declaration, Loc
from thidua.campaign.sandbox_child import address_space, serve
from thidua.campaign.sandbox_codec import decode, hashable
from thidua.errors import Problem

DEFAULT_TIMEOUT_S = 20.0
DEFAULT_MEMORY_MB = 1024
#: how long a child may take to start before its first file (a loaded machine is slow)
START_TIMEOUT_S = 120.0
#: a file's declarations are small; a child writing more than this is refused
MAX_RESULT_BYTES = 64 * 1024 * 1024


def timeout_s() -> float:
    """Seconds one file may take to run (THIDUA_LOAD_TIMEOUT); a bad value keeps the default."""
    try:
        value = float(os.environ.get("THIDUA_LOAD_TIMEOUT", DEFAULT_TIMEOUT_S))
    except ValueError:
        return DEFAULT_TIMEOUT_S
    return value if value > 0 else DEFAULT_TIMEOUT_S


def memory_mb() -> int:
    """Address space the child may use, in MB (THIDUA_LOAD_MEMORY_MB)."""
    try:
        value = int(os.environ.get("THIDUA_LOAD_MEMORY_MB", DEFAULT_MEMORY_MB))
    except ValueError:
        return DEFAULT_MEMORY_MB
    return value if value > 0 else DEFAULT_MEMORY_MB


@dataclass
class Executed:
    """What running one campaign file gave: its declarations' data, or problems."""

    data: Any = None
    where: dict[Loc, Declaration] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    #: True when the file's `campaign` was a spec model built directly (data is its dump)
    model: bool = False


# --- the parent side ---------------------------------------------------------------


class _Forked:
    """The few Popen methods `_Child` uses, for a forked child."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode

    def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGKILL)

    def wait(self, timeout: float) -> int | None:
        """Only called after `kill` or once the child closed its pipe: it ends promptly."""
        if self.returncode is None:
            _, status = os.waitpid(self.pid, 0)
            self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode


def can_fork() -> bool:
    """Fork (no interpreter start-up) when this process has a single thread.

    Forking a process with other threads can copy a lock one of them holds (logging,
    imports); `serve`, `deploy` and flow runs have threads and start a fresh
    interpreter instead. The CLI's `validate` and `plan` are single-threaded.
    """
    import threading

    return hasattr(os, "fork") and threading.active_count() == 1


class _Child:
    """One child process running a list of files, read message by message."""

    def __init__(self, paths: list[Path]) -> None:
        read_fd, write_fd = os.pipe()
        names = [str(p) for p in paths]
        self.proc: Any
        if can_fork():
            for stream in (sys.stdout, sys.stderr):  # or the child would repeat their buffers
                with contextlib.suppress(Exception):
                    stream.flush()
            pid = os.fork()
            if pid == 0:  # the child: never returns into the caller's code
                try:
                    os.close(read_fd)
                    if _fd_open(2):
                        os.dup2(2, 1)  # a campaign's print() goes to stderr
                    serve(names, write_fd, memory_mb(), base=address_space())
                finally:
                    os._exit(70)
            os.close(write_fd)
            self.proc = _Forked(pid)
        else:
            code = (
                "import sys; from thidua.campaign.sandbox_child import main; main(int(sys.argv[1]))"
            )
            try:
                self.proc = subprocess.Popen(
                    [sys.executable, "-c", code, str(write_fd), str(memory_mb())],
                    stdin=subprocess.PIPE,
                    # a campaign's print() goes to stderr, never into the command's output
                    stdout=2 if _fd_open(2) else subprocess.DEVNULL,
                    pass_fds=(write_fd,),
                )
            finally:
                os.close(write_fd)
            with contextlib.suppress(OSError):  # a child that died at once: _collect says so
                self.proc.stdin.write(json.dumps(names).encode())
                self.proc.stdin.close()
        self.pipe = os.fdopen(read_fd, "rb", buffering=0)
        self.buffer = b""

    def message(self, deadline: float | None) -> dict[str, Any] | None:
        """The next message; None at end of stream; TimeoutError past `deadline`."""
        while b"\n" not in self.buffer:
            wait = None if deadline is None else deadline - time.monotonic()
            if wait is not None and wait <= 0:
                raise TimeoutError
            with selectors.DefaultSelector() as sel:
                sel.register(self.pipe, selectors.EVENT_READ)
                if not sel.select(wait):
                    raise TimeoutError
            chunk = self.pipe.read(1 << 16)
            if not chunk:
                return None
            self.buffer += chunk
            if len(self.buffer) > MAX_RESULT_BYTES:
                return None
        line, _, self.buffer = self.buffer.partition(b"\n")
        try:
            decoded = json.loads(line)
        except ValueError:
            return None
        return decoded if isinstance(decoded, dict) else None

    def stop(self) -> int | None:
        """Kill the child if still running; its exit status (negative: a signal)."""
        if self.proc.poll() is None:
            self.proc.kill()
        status: int | None
        try:
            status = self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            status = None
        self.pipe.close()
        return status


def _fd_open(fd: int) -> bool:
    try:
        os.fstat(fd)
    except OSError:
        return False
    return True


def execute(
    paths: list[Path], *, meanwhile: Callable[[], Any] | None = None
) -> dict[Path, Executed]:
    """Run each file of `paths` in child processes; what each gave, by path.

    `meanwhile` is the caller's own preparation (its imports): it runs while a started
    interpreter boots, or before a fork.
    """
    order = list(dict.fromkeys(paths))
    results: dict[Path, Executed] = {}
    limit = timeout_s()
    while len(results) < len(order):
        remaining = [p for p in order if p not in results]
        if meanwhile is not None and can_fork():
            # A forked child costs nothing to start, but overlapping it with the
            # caller's imports makes the caller copy every page it touches (COW).
            meanwhile()
            meanwhile = None
        child = _Child(remaining)
        try:
            if meanwhile is not None:
                meanwhile()
                meanwhile = None
            _collect(child, remaining, results, limit)
        finally:
            child.stop()
    return results


def _collect(
    child: _Child, remaining: list[Path], results: dict[Path, Executed], limit: float
) -> None:
    """Read one child's messages into `results` until it ends, dies or overruns a file."""
    current: int | None = None
    started = False
    while True:
        deadline = time.monotonic() + (limit if current is not None else START_TIMEOUT_S)
        try:
            msg = child.message(deadline)
        except TimeoutError:
            if current is None:
                raise _child_failed("tiến trình nạp không phản hồi") from None
            path = remaining[current]
            results[path] = _refused(path, f"quá thời gian nạp {_seconds(limit)} giây")
            return
        if msg is None:
            status = child.stop()
            if current is not None:
                path = remaining[current]
                results[path] = _refused(path, _ended(status))
            elif not started and any(p not in results for p in remaining):
                raise _child_failed(f"tiến trình nạp dừng ngay (mã {status})")
            return  # all done, or died between files: the rest go to a fresh child
        if "start" in msg and isinstance(msg["start"], int) and 0 <= msg["start"] < len(remaining):
            current, started = msg["start"], True
        elif "interrupt" in msg:
            raise KeyboardInterrupt
        elif "done" in msg and current is not None:
            results[remaining[current]] = _decode_result(msg["done"], remaining[current])
            current = None
            if all(p in results for p in remaining):
                return  # not waiting for the child's exit: stop() ends it


def _child_failed(reason: str) -> Exception:
    from thidua.errors import ThiduaError

    return ThiduaError(f"không nạp được tệp chiến dịch: {reason}")


def _seconds(value: float) -> str:
    return f"{value:g}".replace(".", ",")


def _ended(status: int | None) -> str:
    if status is not None and status < 0:
        try:
            name = signal.Signals(-status).name
        except ValueError:
            name = str(-status)
        hint = (
            " (có thể do vượt giới hạn bộ nhớ)"
            if -status in (signal.SIGKILL, signal.SIGSEGV)
            else ""
        )
        return f"tệp làm tiến trình nạp bị dừng bởi tín hiệu {name}{hint}"
    return f"tệp kết thúc tiến trình khi nạp (mã thoát {status})"


def _refused(path: Path, reason: str) -> Executed:
    return Executed(
        problems=[
            Problem(
                "",
                f"{reason}; tệp chiến dịch chỉ được khai báo `campaign = Campaign(...)`, "
                "không được dừng chương trình, chạy mãi hay dùng quá nhiều bộ nhớ",
                source=str(path),
            )
        ]
    )


def _decode_result(raw: Any, path: Path) -> Executed:
    """The `Executed` a child's "done" message stands for; refused if it is malformed."""
    try:
        problems = []
        for p in raw.get("problems", []):
            value = {"value": decode(p["value"])} if "value" in p else {}
            problems.append(
                Problem(
                    p["path"], p["message"], source=p["source"], severity=p["severity"], **value
                )
            )
        where: dict[Loc, Declaration] = {}
        for loc, model, file, line, nargs in raw.get("where", []):
            cls = DECLARATIONS[model]
            d = cls.__new__(cls)
            d.file, d.line, d.args, d.fields = file, line, (None,) * int(nargs), {}
            where[tuple(k if hashable(k) else repr(k) for k in decode(loc))] = d
        data = decode(raw["data"]) if "data" in raw else None
        return Executed(data, where, problems, bool(raw.get("model")))
    except (AttributeError, KeyError, TypeError, ValueError):
        return _refused(path, "tiến trình nạp trả về dữ liệu không hợp lệ")
