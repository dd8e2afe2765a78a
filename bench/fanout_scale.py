"""Fan-out at scale: one action to 1,000, 10,000 and 100,000 units, end to end, with peak RSS.

Every unit has a `mailtos://` contact on a local aiosmtpd server that requires
STARTTLS (its own process, certificate trusted through SSL_CERT_FILE, as in
`bench/notify_fanout.py`), which counts messages instead of storing them. The
registry is generated for the bench as an Excel workbook (the compact form: at 100,000
units a CSV registry is ~14 MB and a YAML one ~25 MB, over even the raised 10 MB cap).
Before the measurements, a "prepare" process per size loads the campaign once (the
registry's validation and compiled cache, as `thidua deploy` leaves them) and stores
the campaign and its scheduled action; each measurement then runs in a fresh child
process, the worker:

(a) product: the `run_action` flow (`flows/action.py`) for the campaign's reminder,
    on a local Prefect server (`prefect server start`, as `thidua serve` runs it):
    load the campaign file and its registry, gate, audience, render, deliver (claims
    and delivery records in a fresh SQLite store), record, artifacts;
(b) baseline: the same campaign loaded, the same messages rendered (`render_messages.fn`)
    and sent by a plain smtplib loop over one STARTTLS connection: no Prefect, no store.

Printed: the time at each size, the linearity ratio t(N) / (N/n₀ · t(n₀)) of both
against the first size n₀ (1.0 is linear; target ≤ 1.2 for the product at the
largest size), the worker's peak RSS (getrusage of the child itself, cross-checked
with VmHWM sampled from /proc by the parent; target ≤ 200 MB at the largest size),
and delivery records against messages the SMTP server received. When the product's
worker exceeds the target (or with --trace) it is run again at the first size under
tracemalloc, and the top allocation sites at its peak are printed.

    .venv/bin/python bench/fanout_scale.py [--sizes 1000,10000,100000] [--plain-max N] [--trace]

The product refuses a registry of more than `THIDUA_REGISTRY_MAX_UNITS` units (default
50,000; its file size limits grow with it): the bench sets it to hold the largest size
(+ the two offices), as an office with such a registry would.

Last line: one JSON object with the figures; `peak_rss_mb_<size>` and `linearity_<size>`
are named after each size (`_100k` for 100000, `_49998` for 49998).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BENCH = Path(__file__).resolve().parent
OUTLINE = ROOT / "campaigns" / "attachments" / "de_cuong_bao_cao_75_nam.md"
RSS_TARGET_MB = 200
#: the product's default `registry_max_units`; the bench raises it for larger sizes
DEFAULT_MAX_UNITS = 50_000
LINEARITY_TARGET = 1.2

CAMPAIGN = """\
from thidua import *

campaign = Campaign(
    code="98/KH-BENCH",
    title="Đợt thi đua đo hiệu năng gửi thư quy mô lớn",
    issuer="Ủy ban nhân dân tỉnh Cao Bằng",
    issued="ngày 02/3/2026",
    period="Từ ngày 01/3/2026 đến ngày 30/6/2026",
    organizer="BTDKT",
    registry="units.yaml",
    participants=Participants(groups=["XA-PHUONG"]),
    milestones=[
        Milestone(kind="phát động", when="ngày 02/3/2026"),
        Milestone(kind="báo cáo", id="bao-cao", when="chậm nhất ngày 25/5/2026",
                  reminders=[3], attachments=["attachments/de_cuong.md"]),
    ],
)
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def write_campaign(folder: Path, units: int, port: int) -> Path:
    """A campaign whose reminder goes to `units` units, each with one SMTP contact."""
    from openpyxl import Workbook

    folder.mkdir(parents=True)
    book = Workbook(write_only=True)
    sheet = book.create_sheet("units")
    sheet.append(["code", "name", "kind", "groups", "supervisor", "contacts"])
    sheet.append(["UBND", "UBND tỉnh", "co_quan_tinh", None, None, "outbox://ubnd"])
    sheet.append(["BTDKT", "Ban Thi đua - Khen thưởng", "phong", None, "UBND", "outbox://btdkt"])
    for i in range(units):
        url = (
            f"mailtos://127.0.0.1:{port}?to=xa{i:06d}@example.vn"
            "&from=btdkt@example.vn&mode=starttls"
        )
        sheet.append([f"XA{i:06d}", f"UBND xã Số {i:06d}", "xa", "XA-PHUONG", "UBND", url])
    groups = book.create_sheet("groups")
    groups.append(["code", "name", "kind"])
    groups.append(["XA-PHUONG", "Xã phường", "nhom"])
    book.save(folder / "units.xlsx")
    (folder / "attachments").mkdir()
    (folder / "attachments" / "de_cuong.md").write_bytes(OUTLINE.read_bytes())
    path = folder / "campaign.py"
    path.write_text(CAMPAIGN.replace('"units.yaml"', '"units.xlsx"'), encoding="utf-8")
    return path


# --- the worker (a child process per measurement) ---------------------------------


def _reminder(campaign: Path) -> tuple[Any, Any]:
    from thidua.campaign.loading import load_campaign
    from thidua.campaign.plan import ActionKind, compile_plan
    from thidua.config import get_settings

    loaded = load_campaign(campaign)
    plan = compile_plan(loaded.spec, loaded.registry, notice_time=get_settings().notice_time)
    return loaded, next(a for a in plan.actions if a.kind is ActionKind.REMINDER)


def prepare(campaign: Path, data_dir: Path) -> dict[str, Any]:
    """The store and cache as a deploy leaves them (untimed, its own process)."""
    from thidua.flows.naming import relative_file

    from thidua.config import get_settings, set_settings
    from thidua.store import campaign_rows
    from thidua.store.db import session_scope

    set_settings(get_settings().with_(data_dir=data_dir))
    start = time.perf_counter()
    loaded, action = _reminder(campaign)  # validates the registry, writes its compiled cache
    with session_scope() as session:
        campaign_rows.upsert_campaign(
            session,
            code=loaded.code,
            title=loaded.spec.title,
            file=relative_file(loaded.path),
            organizer=loaded.spec.organizer,
            spec_hash="bench",
            period_start=loaded.spec.period.start,
            period_end=loaded.spec.period.end,
        )
        campaign_rows.save_action(
            session,
            campaign_code=loaded.code,
            key=action.key,
            **campaign_rows.action_fields(action),
            status="scheduled",
        )
    return {
        "seconds": time.perf_counter() - start,
        "action_key": action.key,
        "at": action.at.isoformat(),
        "recipients": len(action.recipients),
    }


def run_product(
    campaign: Path, data_dir: Path, trace: bool, action_key: str, at: str
) -> dict[str, Any]:
    """The reminder through the action flow, as a worker would run its flow run."""
    from datetime import datetime

    from thidua.flows.server import configure_prefect

    from thidua.config import get_settings, set_settings

    set_settings(get_settings().with_(data_dir=data_dir))
    configure_prefect(get_settings())
    from prefect import flow
    from sqlmodel import func, select
    from thidua.flows.action import run_action

    from thidua.store.db import session_scope
    from thidua.store.models import Delivery

    @flow
    def warm_up() -> None:
        """The process's first flow run pays for the Prefect client; a worker has paid it."""

    warm_up()
    sampler = PeakSnapshot() if trace else None
    start = time.perf_counter()
    when = datetime.fromisoformat(at)
    state = run_action(
        campaign_file=str(campaign),
        action_key=action_key,
        scheduled_for=when,
        now=when,
        return_state=True,
    )
    seconds = time.perf_counter() - start
    out: dict[str, Any] = {"seconds": seconds, "completed": state.is_completed()}
    out["state"] = f"{state.type.value}: {state.message}"
    if sampler is not None:
        out["top"] = sampler.stop()
    with session_scope() as session:
        out["recorded"] = session.exec(
            select(func.count()).select_from(Delivery).where(Delivery.status == "sent")
        ).one()
    out["maxrss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return out


class PeakSnapshot:
    """tracemalloc snapshots taken while the run goes, keeping the one at the highest memory."""

    def __init__(self, every: float = 1.0) -> None:
        import tracemalloc

        tracemalloc.start(8)
        self.best: tuple[int, Any] | None = None
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._watch, args=(every,), daemon=True)
        self.thread.start()

    def _watch(self, every: float) -> None:
        import tracemalloc

        while not self.done.wait(every):
            current, _ = tracemalloc.get_traced_memory()
            if self.best is None or current > self.best[0] * 1.2:
                self.best = (current, tracemalloc.take_snapshot())

    def stop(self, limit: int = 12) -> list[str]:
        """The largest allocation sites at the peak, by traceback (project frames shown)."""
        import tracemalloc

        self.done.set()
        self.thread.join()
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        if self.best is None:
            return ["no snapshot (the run was shorter than the sampling interval)"]
        held, snapshot = self.best
        snapshot = snapshot.filter_traces([tracemalloc.Filter(False, tracemalloc.__file__)])
        lines = [
            f"traced peak {peak / 2**20:.1f} MB; snapshot at {held / 2**20:.1f} MB "
            "(Python allocations only: not the interpreter, C libraries or fragmentation)"
        ]
        for stat in snapshot.statistics("traceback")[:limit]:
            ours = [f for f in stat.traceback if "site-packages" not in f.filename]
            frames = [f"{Path(f.filename).name}:{f.lineno}" for f in ours[-3:]]
            frames.append(f"{Path(stat.traceback[-1].filename).name}:{stat.traceback[-1].lineno}")
            lines.append(
                f"{stat.size / 2**20:8.1f} MB {stat.count:8d} blocks  "
                + " > ".join(dict.fromkeys(frames))
            )
        return lines


def run_plain(campaign: Path, data_dir: Path, port: int) -> dict[str, Any]:
    """Render with the product's templates, send with smtplib on one STARTTLS connection."""
    import smtplib
    import ssl
    from email.message import EmailMessage

    from thidua.tasks.actions import ActionContext, Audience, render_messages

    from thidua.campaign.plan import compile_plan
    from thidua.config import get_settings, set_settings

    set_settings(get_settings().with_(data_dir=data_dir))
    start = time.perf_counter()
    loaded, action = _reminder(campaign)
    plan = compile_plan(loaded.spec, loaded.registry, notice_time=get_settings().notice_time)
    ctx = ActionContext(loaded, plan, action)
    messages = render_messages.fn(ctx, Audience(list(action.recipients)), action.at)
    context = ssl.create_default_context()
    sent = 0
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as smtp:
        smtp.starttls(context=context)
        for code, message in messages.items():
            mail = EmailMessage()
            mail["From"], mail["To"] = "btdkt@example.vn", f"{code.lower()}@example.vn"
            mail["Subject"] = message.subject
            mail.set_content(message.text)
            mail.add_alternative(message.html or "", subtype="html")
            for path in message.attachments:
                mail.add_attachment(
                    path.read_bytes(), maintype="text", subtype="plain", filename=path.name
                )
            smtp.send_message(mail)
            sent += 1
    return {
        "seconds": time.perf_counter() - start,
        "messages": sent,
        "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


# --- driver ---------------------------------------------------------------------------


def _vmhwm_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def worker(
    phase: str, campaign: Path, data_dir: Path, port: int, *extra: str, trace: bool = False
) -> dict[str, Any]:
    """Run one phase in a fresh process; its result plus the VmHWM the parent sampled."""
    data_dir.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, __file__, "--phase", phase, "--campaign", str(campaign)]
    cmd += ["--data-dir", str(data_dir), "--port", str(port), *extra]
    cmd += ["--trace"] if trace else []
    child = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peak = 0

    def sample() -> None:
        nonlocal peak
        while child.poll() is None:
            peak = max(peak, _vmhwm_kb(child.pid))
            time.sleep(0.2)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    stdout, stderr = child.communicate()
    sampler.join()
    if child.returncode:
        sys.exit(f"phase {phase} failed:\n{stdout[-2000:]}\n{stderr[-4000:]}")
    result: dict[str, Any] = json.loads(stdout.strip().splitlines()[-1])
    result["vmhwm_sampled_mb"] = peak / 1024
    return result


def size_label(n: int) -> str:
    """100000 → "100k": the suffix of the summary's keys."""
    return f"{n // 1000}k" if n % 1000 == 0 else str(n)


class SMTPServer:
    """The counting STARTTLS server of bench/notify_fanout.py, in its own process."""

    def __init__(self, port: int, cert: Path, key: Path) -> None:
        cmd = [sys.executable, str(BENCH / "notify_fanout.py"), "--phase", "serve"]
        cmd += ["--port", str(port), "--cert", str(cert), str(key)]
        self.process = subprocess.Popen(
            cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        assert self.process.stdout is not None
        self.process.stdout.readline()  # "ready"

    def received(self) -> int:
        assert self.process.stdin and self.process.stdout
        self.process.stdin.write("count\n")
        self.process.stdin.flush()
        return int(self.process.stdout.readline())

    def close(self) -> None:
        if self.process.stdin:
            self.process.stdin.close()
        self.process.wait(timeout=30)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes",
        default="1000,10000,100000",
        type=lambda text: [int(x) for x in text.split(",")],
        help="comma-separated audience sizes, smallest first (the first is the baseline)",
    )
    parser.add_argument(
        "--plain-max", type=int, default=0, help="run the plain loop only up to this size"
    )
    parser.add_argument("--trace", action="store_true", help="tracemalloc the product worker")
    parser.add_argument("--phase", choices=["prepare", "product", "plain"])
    parser.add_argument("--campaign", type=Path)
    parser.add_argument("--data-dir", type=Path)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--action-key")
    parser.add_argument("--at")
    args = parser.parse_args()
    if args.phase == "prepare":
        print(json.dumps(prepare(args.campaign, args.data_dir)))
        return 0
    if args.phase == "product":
        result = run_product(args.campaign, args.data_dir, args.trace, args.action_key, args.at)
        print(json.dumps(result))
        return 0
    if args.phase == "plain":
        print(json.dumps(run_plain(args.campaign, args.data_dir, args.port)))
        return 0

    sys.path.insert(0, str(BENCH))
    from notify_fanout import make_certificate
    from thidua.flows.server import LocalServer, configure_prefect

    from thidua.config import Settings

    sizes: list[int] = args.sizes
    if len(sizes) < 2 or sizes != sorted(sizes):
        parser.error("--sizes: at least two sizes, smallest first")
    small, large = sizes[0], sizes[-1]
    # The registry holds the units and the two offices; every worker inherits the setting.
    os.environ["THIDUA_REGISTRY_MAX_UNITS"] = str(max(DEFAULT_MAX_UNITS, large + 2))
    plain_max = args.plain_max or large
    results: dict[str, dict[int, dict[str, Any]]] = {"plain": {}, "product": {}}
    with tempfile.TemporaryDirectory(prefix="fanout-scale-") as tmp:
        work = Path(tmp)
        cert, key, bundle = make_certificate(work)
        os.environ["SSL_CERT_FILE"] = str(bundle)  # verification stays on, the cert trusted
        # The bench's own Prefect server and store; nothing of the user's is touched.
        os.environ.pop("THIDUA_DATABASE_URL", None)
        os.environ.pop("THIDUA_PREFECT_API_URL", None)
        os.environ.pop("THIDUA_PREFECT_DATABASE_URL", None)
        os.environ["PREFECT_HOME"] = str(work / "prefect-home")
        settings = Settings(data_dir=work / "server", ui_port=free_port())
        os.environ["THIDUA_UI_PORT"] = str(settings.ui_port)  # the workers' API
        configure_prefect(settings)
        port = free_port()
        smtp = SMTPServer(port, cert, key)
        prepared: dict[int, dict[str, Any]] = {}
        try:
            with LocalServer(settings, wait=300):
                for n in sizes:
                    campaign = write_campaign(work / f"c{n}", n, port)
                    data = work / f"d{n}"
                    prepared[n] = ready = worker("prepare", campaign, data, port)
                    print(f"prepared {n} units in {ready['seconds']:.1f} s (untimed)", flush=True)
                    phases = ("plain", "product") if n <= plain_max else ("product",)
                    for phase in phases:
                        if phase == "plain":  # the compiled registry, without the store
                            own = work / f"p{n}"
                            shutil.copytree(data / "cache", own / "cache")
                            extra: tuple[str, ...] = ()
                        else:
                            own = data
                            extra = ("--action-key", ready["action_key"], "--at", ready["at"])
                        before = smtp.received()
                        r = worker(phase, campaign, own, port, *extra)
                        r["received"] = smtp.received() - before
                        r["recipients"] = ready["recipients"]
                        results[phase][n] = r
                        print(
                            f"{phase:8s} {n:6d} units: {r['seconds']:7.1f} s, "
                            f"{n / r['seconds']:6.0f} thư/s, peak RSS {r['maxrss_mb']:6.1f} MB"
                            f" (VmHWM sampled {r['vmhwm_sampled_mb']:.1f} MB), "
                            f"SMTP received {r['received']}",
                            flush=True,
                        )
                    p = results["product"][n]
                    if not p["completed"]:
                        print(f"  product run did not complete: {p['state']}")
                big = results["product"][large]
                traced = None
                if args.trace or big["maxrss_mb"] > RSS_TARGET_MB:
                    # At the small size: tracemalloc makes a big run take many times longer,
                    # and what grows with the units shows at the small size already.
                    campaign = work / f"c{small}" / "campaign.py"
                    data = work / f"t{small}"
                    ready = worker("prepare", campaign, data, port)
                    extra = ("--action-key", ready["action_key"], "--at", ready["at"])
                    traced = worker("product", campaign, data, port, *extra, trace=True)
                    print(f"tracemalloc, product worker at {small} units, top allocations:")
                    print("\n".join("  " + line for line in traced["top"]))
        finally:
            smtp.close()

    product, plain = results["product"], results["plain"]

    def linearity(r: dict[int, dict[str, Any]], n: int) -> float:
        return float(r[n]["seconds"] / (n / small * r[small]["seconds"]))

    summary: dict[str, Any] = {"sizes": sizes}
    for n in sizes[1:]:
        line = f"product t({n})/({n // small}·t({small})) = {linearity(product, n):.2f}"
        if n in plain:
            line += f"; plain loop: {linearity(plain, n):.2f}"
        print(line)
        summary[f"linearity_{size_label(n)}"] = round(linearity(product, n), 3)
        if n in plain:
            summary[f"plain_linearity_{size_label(n)}"] = round(linearity(plain, n), 3)
    for n in sizes:
        ratio = f"{product[n]['seconds'] / plain[n]['seconds']:.2f}" if n in plain else "-"
        print(
            f"product/plain time at {n}: {ratio}; delivery records 'sent' {product[n]['recorded']}"
            f" / recipients {product[n]['recipients']}, SMTP received {product[n]['received']}"
        )

    def peak_of(n: int) -> float:
        return float(max(product[n]["maxrss_mb"], product[n]["vmhwm_sampled_mb"]))

    for n in sizes:
        summary[f"peak_rss_mb_{size_label(n)}"] = round(peak_of(n), 1)
    per_unit_kb = (peak_of(large) - peak_of(small)) * 1024 / (large - small)
    print(
        f"peak RSS of the worker at {large}: {peak_of(large):.1f} MB (target ≤ {RSS_TARGET_MB} MB);"
        f" {per_unit_kb:.2f} KB more per unit than at {small}"
    )
    lin = linearity(product, large)
    summary.update(
        {
            "product_s": [round(product[n]["seconds"], 2) for n in sizes],
            "plain_s": [round(plain[n]["seconds"], 2) if n in plain else None for n in sizes],
            "prepare_s": [round(prepared[n]["seconds"], 2) for n in sizes],
            "rss_kb_per_unit": round(per_unit_kb, 3),
            "records_sent": [product[n]["recorded"] for n in sizes],
            "smtp_received_product": [product[n]["received"] for n in sizes],
            "completed": all(product[n]["completed"] for n in sizes),
            "targets": {
                f"linearity_{size_label(large)}": LINEARITY_TARGET,
                f"peak_rss_mb_{size_label(large)}": RSS_TARGET_MB,
            },
        }
    )
    # Two cores shared with other work make every figure slower: say how busy it was.
    summary["loadavg_1m_at_end"] = round(os.getloadavg()[0], 2)
    summary["ok"] = (
        summary["completed"]
        and lin <= LINEARITY_TARGET
        and peak_of(large) <= RSS_TARGET_MB
        and all(product[n]["recorded"] == product[n]["recipients"] for n in sizes)
        and all(product[n]["received"] == product[n]["recipients"] for n in sizes)
    )
    if traced is not None:
        summary["tracemalloc_top"] = traced["top"][:6]
    print(json.dumps(summary, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
