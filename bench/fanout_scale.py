"""Fan-out at scale: one action to 1,000 and to 10,000 units, end to end, with peak RSS.

Every unit has a `mailtos://` contact on a local aiosmtpd server that requires
STARTTLS (its own process, certificate trusted through SSL_CERT_FILE, as in
`bench/notify_fanout.py`). Each measurement runs in a fresh child process, the worker:

(a) product: the `run_action` flow (`flows/action.py`) for the campaign's reminder,
    on a local Prefect server (`prefect server start`, as `thidua serve` runs it):
    load the campaign file and its registry, gate, audience, render, deliver (claims
    and delivery records in a fresh SQLite store), record, artifacts;
(b) baseline: the same campaign loaded, the same messages rendered (`render_messages.fn`)
    and sent by a plain smtplib loop over one STARTTLS connection: no Prefect, no store.

Printed: the time at each size, the linearity ratio t(10k) / (10 · t(1k)) of both
(1.0 is linear; target ≤ 1.2 for the product), the worker's peak RSS (getrusage of
the child itself, cross-checked with VmHWM sampled from /proc by the parent; target
≤ 300 MB), and delivery records against messages the SMTP server received. When the
product's worker exceeds 300 MB (or with --trace) it is run again at the small size under
tracemalloc, and the top allocation sites at its peak are printed.

    .venv/bin/python bench/fanout_scale.py [--sizes 1000 10000] [--trace]

Last line: one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
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
RSS_TARGET_MB = 300
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
    folder.mkdir(parents=True)
    lines = [
        "groups:",
        "  - {code: XA-PHUONG, name: Xã phường, kind: nhom}",
        "units:",
        "  - {code: UBND, name: UBND tỉnh, kind: co_quan_tinh, contacts: ['outbox://ubnd']}",
        "  - {code: BTDKT, name: Ban Thi đua - Khen thưởng, kind: phong, supervisor: UBND,"
        " contacts: ['outbox://btdkt']}",
    ]
    for i in range(units):
        url = (
            f"mailtos://127.0.0.1:{port}?to=xa{i:05d}@example.vn"
            "&from=btdkt@example.vn&mode=starttls"
        )
        lines.append(
            f"  - {{code: XA{i:05d}, name: UBND xã Số {i:05d}, kind: xa, groups: [XA-PHUONG],"
            f" supervisor: UBND, contacts: ['{url}']}}"
        )
    (folder / "units.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (folder / "attachments").mkdir()
    (folder / "attachments" / "de_cuong.md").write_bytes(OUTLINE.read_bytes())
    path = folder / "campaign.py"
    path.write_text(CAMPAIGN, encoding="utf-8")
    return path


# --- the worker (a child process per measurement) ---------------------------------


def _reminder(campaign: Path) -> tuple[Any, Any]:
    from thidua.campaign.loading import load_campaign
    from thidua.campaign.plan import ActionKind, compile_plan
    from thidua.config import get_settings

    loaded = load_campaign(campaign)
    plan = compile_plan(loaded.spec, loaded.registry, notice_time=get_settings().notice_time)
    return loaded, next(a for a in plan.actions if a.kind is ActionKind.REMINDER)


def run_product(campaign: Path, data_dir: Path, trace: bool) -> dict[str, Any]:
    """The reminder through the action flow, as a worker would run its flow run."""
    from thidua.flows.server import configure_prefect

    from thidua.config import get_settings, set_settings

    set_settings(get_settings().with_(data_dir=data_dir))
    configure_prefect(get_settings())
    from prefect import flow
    from sqlmodel import func, select
    from thidua.flows.action import run_action
    from thidua.flows.naming import relative_file

    from thidua.store import campaign_rows
    from thidua.store.db import session_scope
    from thidua.store.models import Delivery

    # The store as a deploy leaves it (untimed): the campaign and its scheduled actions.
    loaded, action = _reminder(campaign)
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
    recipients = len(action.recipients)
    del loaded

    @flow
    def warm_up() -> None:
        """The process's first flow run pays for the Prefect client; a worker has paid it."""

    warm_up()
    sampler = PeakSnapshot() if trace else None
    start = time.perf_counter()
    state = run_action(
        campaign_file=str(campaign),
        action_key=action.key,
        scheduled_for=action.at,
        now=action.at,
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
    out["recipients"] = recipients
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


def worker(phase: str, campaign: Path, workdir: Path, port: int, trace: bool = False) -> dict:
    """Run one phase in a fresh process; its result plus the VmHWM the parent sampled."""
    data_dir = Path(tempfile.mkdtemp(prefix=f"{phase}-", dir=workdir))
    cmd = [sys.executable, __file__, "--phase", phase, "--campaign", str(campaign)]
    cmd += ["--data-dir", str(data_dir), "--port", str(port)] + (["--trace"] if trace else [])
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
    result = json.loads(stdout.strip().splitlines()[-1])
    result["vmhwm_sampled_mb"] = peak / 1024
    return result


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
    parser.add_argument("--sizes", type=int, nargs=2, default=[1000, 10000])
    parser.add_argument("--trace", action="store_true", help="tracemalloc the product worker")
    parser.add_argument("--phase", choices=["product", "plain"])
    parser.add_argument("--campaign", type=Path)
    parser.add_argument("--data-dir", type=Path)
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    if args.phase == "product":
        print(json.dumps(run_product(args.campaign, args.data_dir, args.trace)))
        return 0
    if args.phase == "plain":
        print(json.dumps(run_plain(args.campaign, args.data_dir, args.port)))
        return 0

    sys.path.insert(0, str(BENCH))
    from notify_fanout import make_certificate
    from thidua.flows.server import LocalServer, configure_prefect

    from thidua.config import Settings

    small, large = args.sizes
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
        try:
            with LocalServer(settings, wait=300):
                for n in (small, large):
                    campaign = write_campaign(work / f"c{n}", n, port)
                    for phase in ("plain", "product"):
                        before = smtp.received()
                        r = worker(phase, campaign, work, port)
                        r["received"] = smtp.received() - before
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
                    # At the small size: tracemalloc makes a 10k run take well over 15 min,
                    # and what grows with the units shows at 1k already.
                    campaign = work / f"c{small}" / "campaign.py"
                    traced = worker("product", campaign, work, port, trace=True)
                    print(f"tracemalloc, product worker at {small} units, top allocations:")
                    print("\n".join("  " + line for line in traced["top"]))
        finally:
            smtp.close()

    def linearity(phase: str) -> float:
        r = results[phase]
        return r[large]["seconds"] / (large / small * r[small]["seconds"])

    lin_product, lin_plain = linearity("product"), linearity("plain")
    product, plain = results["product"], results["plain"]
    print(f"product t({large})/({large // small}·t({small})) = {lin_product:.2f}"
          f" (target ≤ {LINEARITY_TARGET}); plain loop: {lin_plain:.2f}")  # fmt: skip
    for n in (small, large):
        print(
            f"product/plain time at {n}: {product[n]['seconds'] / plain[n]['seconds']:.2f}; "
            f"delivery records 'sent' {product[n]['recorded']} / recipients "
            f"{product[n]['recipients']}, SMTP received {product[n]['received']}"
        )
    peak = max(product[large]["maxrss_mb"], product[large]["vmhwm_sampled_mb"])
    print(f"peak RSS of the worker at {large}: {peak:.1f} MB (target ≤ {RSS_TARGET_MB} MB)")
    summary: dict[str, Any] = {
        "sizes": [small, large],
        "product_s": [round(product[n]["seconds"], 2) for n in (small, large)],
        "plain_s": [round(plain[n]["seconds"], 2) for n in (small, large)],
        "product_linearity": round(lin_product, 3),
        "plain_linearity": round(lin_plain, 3),
        "product_to_plain": [
            round(product[n]["seconds"] / plain[n]["seconds"], 2) for n in (small, large)
        ],
        "product_peak_rss_mb": [round(product[n]["maxrss_mb"], 1) for n in (small, large)],
        "plain_peak_rss_mb": [round(plain[n]["maxrss_mb"], 1) for n in (small, large)],
        "records_sent": [product[n]["recorded"] for n in (small, large)],
        "smtp_received_product": [product[n]["received"] for n in (small, large)],
        "completed": all(product[n]["completed"] for n in (small, large)),
        "targets": {"linearity": LINEARITY_TARGET, "peak_rss_mb": RSS_TARGET_MB},
    }
    # Two cores shared with other work make every figure slower: say how busy it was.
    summary["loadavg_1m_at_end"] = round(os.getloadavg()[0], 2)
    summary["ok"] = (
        summary["completed"]
        and lin_product <= LINEARITY_TARGET
        and peak <= RSS_TARGET_MB
        and all(product[n]["recorded"] == product[n]["recipients"] for n in (small, large))
        and all(product[n]["received"] == product[n]["recipients"] for n in (small, large))
    )
    if traced is not None:
        summary["tracemalloc_top"] = traced["top"][:6]
    print(json.dumps(summary, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
