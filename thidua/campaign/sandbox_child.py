"""The child side of the campaign sandbox: run campaign files, send their declarations.

Runs in a forked or freshly started child (see `thidua.campaign.sandbox`) under a memory
limit; one JSON line per event goes to the parent ({"start": i}, {"done": …}). A started
child imports only this module, `sandbox_codec`, `thidua.campaign.dsl` and `thidua.errors`.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import sys
import traceback
from pathlib import Path
from typing import Any

from thidua.campaign.dsl import DECLARATIONS, unfold
from thidua.campaign.sandbox_codec import encode, encode_problem
from thidua.errors import Problem
from thidua.tables import Undecodable, utf8_text

MAX_FILE_BYTES = 1_000_000


def main(out_fd: int) -> None:
    """Entry of a started interpreter: the file list on stdin, results to `out_fd`."""
    serve(json.loads(sys.stdin.read()), out_fd, int(sys.argv[2]), base=0)


def address_space() -> int:
    """This process's address space in bytes (a forked child starts with its parent's)."""
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 0
    return pages * os.sysconf("SC_PAGE_SIZE")


def serve(paths: list[str], out_fd: int, megabytes: int, *, base: int) -> None:
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
    return {"problems": [encode_problem(Problem("", message, source=str(path)))]}


def _run(path: Path) -> dict[str, Any]:
    """Read and run one file; its declarations as data, or its problems (encoded)."""
    source = str(path)
    text, problem = _read_text(path)
    if problem is None:
        namespace, problem = _execute(path, text)
    if problem is not None:
        return {"problems": [encode_problem(problem)]}
    declared = namespace.get("campaign")
    from thidua.campaign import dsl

    if declared is None:
        named = [name for name, v in namespace.items() if isinstance(v, dsl.Campaign)]
        hint = (
            f"; có `{named[0]} = Campaign(...)`, hãy đổi tên biến thành `campaign`" if named else ""
        )
        message = f"tệp không khai báo biến `campaign = Campaign(...)`{hint}"
        # The misnamed variable is the value shown, when there is one; without one, no value.
        problem = (
            Problem("campaign", message, named[0], source=source)
            if named
            else Problem("campaign", message, source=source)
        )
        return {"problems": [encode_problem(problem)]}
    problems = _extra_campaigns(text, namespace, source)
    if problems:
        return {"problems": [encode_problem(p) for p in problems]}
    spec = sys.modules.get("thidua.campaign.spec")
    if spec is not None and isinstance(declared, spec.Campaign):
        return {"data": encode(declared.model_dump(mode="json")), "model": True}
    if isinstance(declared, list | tuple) and any(isinstance(d, dsl.Campaign) for d in declared):
        problem = Problem(
            "campaign",
            f"biến `campaign` chứa {len(declared)} mục; mỗi tệp chỉ khai báo một chiến dịch "
            "`campaign = Campaign(...)`, hãy tách mỗi chiến dịch ra một tệp",
            type(declared).__name__,
            source,
        )
        return {"problems": [encode_problem(problem)]}
    if not isinstance(declared, dsl.Campaign):
        problem = Problem(
            "campaign", "biến `campaign` phải là `Campaign(...)`", type(declared).__name__, source
        )
        return {"problems": [encode_problem(problem)]}
    try:
        data, where = unfold(declared)
    except RecursionError:
        return _problem_result(
            path, "khai báo lồng nhau quá sâu (có thể một danh sách chứa chính nó)"
        )
    return {
        "data": encode(data),
        "where": [
            [encode(list(loc)), d.model, d.file, d.line, len(d.args)] for loc, d in where.items()
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
    how = "hãy lưu lại với mã hóa UTF-8 (trong trình soạn thảo: Save with Encoding → UTF-8)"
    try:
        text = utf8_text(path.read_bytes())
    except Undecodable as exc:
        if exc.reason == "utf16":
            message = f"tệp đang ở bảng mã UTF-16, không phải UTF-8; {how}"
            return "", Problem("", message, source=source)
        # compile() refuses a NUL with no line number; the admin needs to know where.
        message = (
            "tệp chứa ký tự NUL (byte 0); tệp bị hỏng hoặc không phải văn bản, hãy lưu lại"
            if exc.reason == "nul"
            else f"tệp không phải UTF-8 (byte lạ ở dòng {exc.line}; có thể là Windows-1258 "
            f"hoặc latin-1); {how}"
        )
        return "", Problem("", message, source=f"{source}:{exc.line}")
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
        # The extra campaign's code is the value shown, when it has one.
        problems.append(
            Problem(name, message, code, source=where)
            if isinstance(code, str)
            else Problem(name, message, source=where)
        )
    return problems
