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
hides the others. A started child imports only this module, `thidua.campaign.dsl` and
`thidua.errors` (no pydantic); either way it runs while the parent imports pydantic.

Limits: ``THIDUA_LOAD_TIMEOUT`` (seconds per file, default 20) and
``THIDUA_LOAD_MEMORY_MB`` (default 1024).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import selectors
import signal
import subprocess
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from datetime import time as clock
from pathlib import Path
from typing import Any

from thidua.campaign.dsl import DECLARATIONS, Declaration, Loc, unfold
from thidua.errors import Problem

MAX_FILE_BYTES = 1_000_000
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
                    _serve(names, write_fd, memory_mb(), base=_address_space())
                finally:
                    os._exit(70)
            os.close(write_fd)
            self.proc = _Forked(pid)
        else:
            code = "import sys; from thidua.campaign.sandbox import _main; _main(int(sys.argv[1]))"
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


# --- JSON encoding of declaration data ----------------------------------------------


class Opaque:
    """Stands for a value the child could not send as data (an object of the file's own)."""

    def __init__(self, type_name: str, text: str) -> None:
        self.type_name = type_name
        self.text = text

    def __repr__(self) -> str:
        return self.text


def _encode(value: Any) -> Any:
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str):
        return "".join((value,))  # a StrEnum member as its plain value
    if isinstance(value, int):
        value = int(value)
        return value if value.bit_length() <= 63 else {"$int": hex(value)}
    if isinstance(value, float):
        return value if value == value and abs(value) != float("inf") else {"$float": repr(value)}
    if isinstance(value, list | tuple):
        return [_encode(v) for v in value]
    if isinstance(value, dict):
        return {"$dict": [[_encode(k), _encode(v)] for k, v in value.items()]}
    if isinstance(value, datetime):
        return {"$datetime": value.isoformat()}
    if isinstance(value, date):
        return {"$date": value.isoformat()}
    if isinstance(value, clock):
        return {"$time": value.isoformat()}
    kind = type(value)
    if kind.__module__ == "thidua.dates.phrases" and kind.__name__ == "Phrase":
        return {"$phrase": value.text}
    try:
        text = repr(value)[:200]
    except Exception:  # a file's own object may raise from __repr__
        text = f"<{kind.__name__}>"
    return {"$opaque": kind.__name__, "repr": text}


def _decode(value: Any) -> Any:
    if isinstance(value, list):
        return [_decode(v) for v in value]
    if not isinstance(value, dict):
        return value
    if "$dict" in value:
        out = {}
        for k, v in value["$dict"]:
            key = _decode(k)
            out[key if _hashable(key) else repr(key)] = _decode(v)
        return out
    if "$int" in value:
        return int(value["$int"], 16)
    if "$float" in value:
        return float(value["$float"])
    if "$datetime" in value:
        return datetime.fromisoformat(value["$datetime"])
    if "$date" in value:
        return date.fromisoformat(value["$date"])
    if "$time" in value:
        return clock.fromisoformat(value["$time"])
    if "$phrase" in value:
        from thidua.dates.phrases import parse_phrase

        try:
            return parse_phrase(value["$phrase"])
        except ValueError:
            return value["$phrase"]
    return Opaque(str(value.get("$opaque", "object")), str(value.get("repr", "")))


def _hashable(value: Any) -> bool:
    try:
        hash(value)
    except TypeError:
        return False
    return True


def _encode_problem(p: Problem) -> dict[str, Any]:
    out = {"path": p.path, "message": p.message, "source": p.source, "severity": p.severity}
    if p.has_value:
        out["value"] = _encode(p.value)
    return out


def _decode_result(raw: Any, path: Path) -> Executed:
    try:
        problems = []
        for p in raw.get("problems", []):
            value = {"value": _decode(p["value"])} if "value" in p else {}
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
            where[tuple(k if _hashable(k) else repr(k) for k in _decode(loc))] = d
        data = _decode(raw["data"]) if "data" in raw else None
        return Executed(data, where, problems, bool(raw.get("model")))
    except (AttributeError, KeyError, TypeError, ValueError):
        return _refused(path, "tiến trình nạp trả về dữ liệu không hợp lệ")


# --- the child side -----------------------------------------------------------------


def _main(out_fd: int) -> None:
    """Entry of a started interpreter: the file list on stdin, results to `out_fd`."""
    _serve(json.loads(sys.stdin.read()), out_fd, int(sys.argv[2]), base=0)


def _address_space() -> int:
    """This process's address space in bytes (a forked child starts with its parent's)."""
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 0
    return pages * os.sysconf("SC_PAGE_SIZE")


def _serve(paths: list[str], out_fd: int, megabytes: int, *, base: int) -> None:
    """Run each file, writing one JSON line per event to `out_fd`; ends the process."""
    import resource

    # Ctrl-C reaches the parent, which stops this child; a file's own
    # `raise KeyboardInterrupt` is still reported as an interruption.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if "faulthandler" in sys.modules:  # a forked test runner's: a file's crash is reported
        sys.modules["faulthandler"].disable()
    limit = base + megabytes * 1024 * 1024
    with contextlib.suppress(ValueError, OSError):  # a lower hard limit already applies
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    out = os.fdopen(out_fd, "wb", buffering=0)

    def send(message: dict[str, Any]) -> None:
        out.write(json.dumps(message, ensure_ascii=True).encode() + b"\n")

    for index, name in enumerate(paths):
        send({"start": index})
        try:
            result = _run(Path(name))
        except KeyboardInterrupt:
            send({"interrupt": index})
            os._exit(0)
        except MemoryError:
            result = _problem_result(
                Path(name), f"tệp dùng quá giới hạn bộ nhớ {megabytes} MB khi nạp"
            )
        except Exception as exc:  # reading the declarations back (a file's odd objects)
            result = _problem_result(Path(name), f"không đọc được khai báo: {type(exc).__name__}")
        try:
            encoded = json.dumps({"done": result}, ensure_ascii=True).encode()
        except (ValueError, RecursionError, MemoryError):
            reason = "khai báo lồng nhau quá sâu hoặc quá lớn"
            encoded = json.dumps({"done": _problem_result(Path(name), reason)}).encode()
        out.write(encoded + b"\n")
    out.close()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    # Not sys.exit: a file's threads or atexit handlers must not keep this child alive.
    os._exit(0)


def _problem_result(path: Path, message: str) -> dict[str, Any]:
    return {"problems": [_encode_problem(Problem("", message, source=str(path)))]}


def _run(path: Path) -> dict[str, Any]:
    """Read and run one file; its declarations as data, or its problems (encoded)."""
    source = str(path)
    text, problem = _read_text(path)
    if problem is None:
        namespace, problem = _execute(path, text)
    if problem is not None:
        return {"problems": [_encode_problem(problem)]}
    declared = namespace.get("campaign")
    from thidua.campaign import dsl

    if declared is None:
        named = [name for name, v in namespace.items() if isinstance(v, dsl.Campaign)]
        hint = (
            f"; có `{named[0]} = Campaign(...)`, hãy đổi tên biến thành `campaign`" if named else ""
        )
        message = f"tệp không khai báo biến `campaign = Campaign(...)`{hint}"
        problem = (
            Problem("campaign", message, named[0], source=source)
            if named
            else Problem("campaign", message, source=source)
        )
        return {"problems": [_encode_problem(problem)]}
    problems = _extra_campaigns(text, namespace, source)
    if problems:
        return {"problems": [_encode_problem(p) for p in problems]}
    spec = sys.modules.get("thidua.campaign.spec")
    if spec is not None and isinstance(declared, spec.Campaign):
        return {"data": _encode(declared.model_dump(mode="json")), "model": True}
    if isinstance(declared, list | tuple) and any(isinstance(d, dsl.Campaign) for d in declared):
        problem = Problem(
            "campaign",
            f"biến `campaign` chứa {len(declared)} mục; mỗi tệp chỉ khai báo một chiến dịch "
            "`campaign = Campaign(...)`, hãy tách mỗi chiến dịch ra một tệp",
            type(declared).__name__,
            source,
        )
        return {"problems": [_encode_problem(problem)]}
    if not isinstance(declared, dsl.Campaign):
        problem = Problem(
            "campaign", "biến `campaign` phải là `Campaign(...)`", type(declared).__name__, source
        )
        return {"problems": [_encode_problem(problem)]}
    try:
        data, where = unfold(declared)
    except RecursionError:
        return _problem_result(
            path, "khai báo lồng nhau quá sâu (có thể một danh sách chứa chính nó)"
        )
    return {
        "data": _encode(data),
        "where": [
            [_encode(list(loc)), d.model, d.file, d.line, len(d.args)] for loc, d in where.items()
        ],
    }


def _read_text(path: Path) -> tuple[str, Problem | None]:
    source = str(path)
    if not path.is_file():
        return "", Problem("", "không tìm thấy tệp chiến dịch", source=source)
    if path.suffix != ".py":
        return "", Problem("", "tệp chiến dịch phải là tệp Python (.py)", path.name, source)
    if path.stat().st_size > MAX_FILE_BYTES:
        return "", Problem("", f"tệp quá lớn (tối đa {MAX_FILE_BYTES // 1000} KB)", source=source)
    raw = path.read_bytes()
    how = "hãy lưu lại với mã hóa UTF-8 (trong trình soạn thảo: Save with Encoding → UTF-8)"
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "", Problem("", f"tệp đang ở bảng mã UTF-16, không phải UTF-8; {how}", source=source)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        return "", Problem(
            "",
            f"tệp không phải UTF-8 (byte lạ ở dòng {line}; có thể là Windows-1258 hoặc latin-1); "
            f"{how}",
            source=f"{source}:{line}",
        )
    if "\x00" in text:
        # compile() refuses it with no line number; the admin needs to know where.
        line = text.count("\n", 0, text.index("\x00")) + 1
        return "", Problem(
            "",
            "tệp chứa ký tự NUL (byte 0); tệp bị hỏng hoặc không phải văn bản, hãy lưu lại",
            source=f"{source}:{line}",
        )
    return text, None


def _execute(path: Path, text: str) -> tuple[dict[str, Any], Problem | None]:
    source = str(path)
    try:
        code = compile(text, source, "exec")
    except SyntaxError as exc:
        where = f"{source}:{exc.lineno}" if exc.lineno else source
        shown = (exc.text or "").strip()
        message = f"lỗi cú pháp Python: {exc.msg}"
        if shown:
            return {}, Problem("", message, shown, where)
        return {}, Problem("", message, source=where)
    namespace: dict[str, Any] = {
        "__file__": str(path.resolve()),
        "__name__": f"campaign_{path.stem}",
    }
    try:
        exec(code, namespace)
    except (KeyboardInterrupt, MemoryError):
        raise
    except BaseException as exc:  # a campaign file may raise anything, even SystemExit
        line = next(
            (
                f.lineno
                for f in reversed(traceback.extract_tb(exc.__traceback__))
                if f.filename == source
            ),
            None,
        )
        where = f"{source}:{line}" if line else source
        message = f"tệp gây lỗi khi chạy: {type(exc).__name__}: {exc}"
        hint = _import_hint(exc)
        if hint:
            return {}, Problem("", f"{message}; {hint[0]}", hint[1], where)
        return {}, Problem("", message, source=where)
    return namespace, None


def _import_hint(exc: BaseException) -> tuple[str, str] | None:
    """What a failed import in a campaign file means, and the name it could not find."""
    if isinstance(exc, ModuleNotFoundError) and exc.name:
        return (
            f"không có mô-đun “{exc.name}”; tệp chiến dịch chỉ cần `from thidua import ...`",
            exc.name,
        )
    m = re.match(r"cannot import name '([^']+)' from 'thidua'", str(exc))
    if isinstance(exc, ImportError) and m:
        return (
            f"thidua không có “{m.group(1)}”; các khai báo dùng được: {', '.join(DECLARATIONS)}",
            m.group(1),
        )
    return None


_CAMPAIGN_ASSIGNMENT = re.compile(r"^campaign\s*(?::[^=\n]*)?=(?!=)", re.MULTILINE)


def _extra_campaigns(text: str, namespace: dict[str, Any], source: str) -> list[Problem]:
    """A second campaign in a file would be silently dropped or ignored: refuse it."""
    from thidua.campaign import dsl

    problems = []
    lines = [text.count("\n", 0, m.start()) + 1 for m in _CAMPAIGN_ASSIGNMENT.finditer(text)]
    if len(lines) > 1:
        problems.append(
            Problem(
                "campaign",
                f"biến `campaign` được gán {len(lines)} lần (dòng {', '.join(map(str, lines))}); "
                "lần gán sau xóa mất chiến dịch trước, mỗi tệp chỉ khai báo một chiến dịch",
                source=f"{source}:{lines[1]}",
            )
        )
    declared = namespace.get("campaign")
    seen = {id(declared)}
    if isinstance(declared, list | tuple):
        seen |= {id(d) for d in declared}
    for name, value in namespace.items():
        if not isinstance(value, dsl.Campaign) or id(value) in seen:
            continue
        code = value.fields.get("code")
        message = (
            "tệp khai báo thêm một chiến dịch ngoài biến `campaign`, chiến dịch này sẽ bị "
            "bỏ qua; mỗi tệp chỉ khai báo một chiến dịch, hãy tách ra tệp riêng"
        )
        where = f"{value.file}:{value.line}"
        problems.append(
            Problem(name, message, code, source=where)
            if isinstance(code, str)
            else Problem(name, message, source=where)
        )
    return problems
