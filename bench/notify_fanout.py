"""Email fan-out throughput: 1,000 personalized notices into a local STARTTLS SMTP server.

The bench generates a self-signed certificate (cryptography), starts aiosmtpd with
STARTTLS required in its own process, and makes every client trust the certificate
through an explicit CA file: SSL_CERT_FILE names a bundle of the system CAs plus the
bench certificate, so verification stays on and each client context costs what it
costs in production (loading the whole CA store). Five paths, same run:

(a) this product: `render_messages` + `deliver` (our Apprise email plugin, claims and
    delivery records in a fresh SQLite store), a reminder with the outline and the
    unit's .ics attached; each worker thread keeps its SMTP connection for its next
    message (the product's batch behaviour, `SMTPPool`);
(a0) the same with Apprise's stock email plugin: a new connection and a new TLS
    context per message, i.e. what the product would do without its own plugin;
(b) plain smtplib, one connection (STARTTLS) per message, one shared TLS context,
    messages prebuilt;
(b2) plain smtplib with as many threads as the product sends with, each thread
    reusing one STARTTLS connection, messages prebuilt: the practical limit
    (`ratio_product_to_smtplib_persistent`, target ≥ 0.8);
(c) a naive Prefect flow calling one task per unit, each calling stock Apprise.

    .venv/bin/python bench/notify_fanout.py [--units 1000] [--naive-units 200]
        [--only a,b2] [--repeat 3] [--profile prof.txt]   (py-spy on PATH: a profile of (a))
        [--cprofile a.pstats]   (cProfile of (a), all threads; own times are wall times,
                                 so waits and the GIL show in them)

Each path runs in a fresh process. Last line: one JSON object with the figures.

Measured 2026-12-05 12:21-12:28 UTC on the shared 2-core box (load 4.1-6.1), two
interleaved pairs, --only a,b2 --repeat 2 (bench/README.md): ratio 1.21 / 1.19 on w/send
against 0.99 / 1.12 on main 818e101; client CPU 3.4-3.5 ms per message (main 4.7;
(b2) 4.5-4.8). Single rounds swing with the load: run with --repeat 3 and read the CPU
per message too. What bounds (a) now (--cprofile): the SMTP server's replies (the same
four round trips as (b2)), one waited group commit per message (the "sending" mark,
which carries the sender's next claim), SQLite's commits, then rendering.
"""

from __future__ import annotations

import argparse
import datetime as dt
import ipaddress
import json
import os
import ssl
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
OUTLINE = ROOT / "campaigns" / "attachments" / "de_cuong_bao_cao_75_nam.md"

CAMPAIGN = """\
from thidua import *

campaign = Campaign(
    code="99/KH-BENCH",
    title="Đợt thi đua đo hiệu năng gửi thư",
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


# --- setup (parent process) ------------------------------------------------------


def make_certificate(folder: Path) -> tuple[Path, Path, Path]:
    """A self-signed cert for 127.0.0.1, its key, and a CA bundle: system CAs + the cert."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "thidua bench SMTP")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_pem = cert.public_bytes(serialization.Encoding.PEM)
    cert_path, key_path, bundle = folder / "smtp.crt", folder / "smtp.key", folder / "ca.pem"
    cert_path.write_bytes(cert_pem)
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    system = Path(
        ssl.get_default_verify_paths().cafile or ssl.get_default_verify_paths().openssl_cafile
    )
    bundle.write_bytes((system.read_bytes() if system.is_file() else b"") + b"\n" + cert_pem)
    return cert_path, key_path, bundle


def write_campaign(folder: Path, units: int, port: int) -> Path:
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
            f"mailtos://127.0.0.1:{port}?to=xa{i:04d}@example.vn"
            "&from=btdkt@example.vn&mode=starttls"
        )
        lines.append(
            f"  - {{code: XA{i:04d}, name: UBND xã Số {i:04d}, kind: xa, groups: [XA-PHUONG],"
            f" supervisor: UBND, contacts: ['{url}']}}"
        )
    (folder / "units.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (folder / "attachments").mkdir(exist_ok=True)
    (folder / "attachments" / "de_cuong.md").write_bytes(OUTLINE.read_bytes())
    path = folder / "campaign.py"
    path.write_text(CAMPAIGN, encoding="utf-8")
    return path


# --- the SMTP server (its own process, so it never competes for the clients' GIL) --


def serve(port: int, cert: str, key: str) -> None:
    from aiosmtpd.controller import Controller

    class Count:
        received = 0

        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            Count.received += 1
            return "250 OK"

    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    controller = Controller(
        Count(), hostname="127.0.0.1", port=port, tls_context=context, require_starttls=True
    )
    controller.start()
    print("ready", flush=True)
    try:
        for line in sys.stdin:  # "count" asks how many messages arrived; EOF stops
            if line.strip() == "count":
                print(Count.received, flush=True)
    finally:
        controller.stop()


# --- the three paths (each in a fresh process) --------------------------------------


def _context(campaign: Path) -> tuple[Any, Any, Any]:
    """The reminder of the report milestone, its audience, as the flow would build them."""
    from thidua.tasks.actions import ActionContext, Audience

    from thidua.campaign.loading import load_campaign
    from thidua.campaign.plan import ActionKind, compile_plan

    loaded = load_campaign(campaign)
    plan = compile_plan(loaded.spec, loaded.registry)
    action = next(a for a in plan.actions if a.kind is ActionKind.REMINDER)
    ctx = ActionContext(loaded, plan, action)
    return ctx, Audience(list(action.recipients)), action


def run_product(
    campaign: Path, data_dir: Path, units: int, *, stock_email: bool = False
) -> dict[str, Any]:
    from sqlmodel import func, select

    if stock_email:  # the same path with Apprise's own email plugin: what ours is worth
        import thidua.notifications.channels  # noqa: F401  (registers ours first)
        from apprise.manager_plugins import NotificationManager
        from apprise.plugins.email.base import NotifyEmail

        NotificationManager().add(NotifyEmail, force=True)

    from thidua.tasks.actions import deliver, render_messages

    from thidua.config import Settings, set_settings
    from thidua.store.db import session_scope
    from thidua.store.models import Delivery

    set_settings(Settings(data_dir=data_dir))
    ctx, audience, action = _context(campaign)
    audience.recipients = audience.recipients[:units]
    profiles = profile_threads() if os.environ.get("FANOUT_CPROFILE") else None
    start, cpu = time.perf_counter(), time.process_time()
    messages = render_messages.fn(ctx, audience, action.at)
    outcomes = deliver.fn(ctx, messages)
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    if profiles is not None:
        import pstats

        profiles[0].disable()
        pstats.Stats(*profiles).dump_stats(os.environ["FANOUT_CPROFILE"])
    with session_scope() as session:
        recorded = session.exec(
            select(func.count()).select_from(Delivery).where(Delivery.status == "sent")
        ).one()
    sent = sum(o.status == "sent" for o in outcomes)
    # CPU of all the process's threads while timed: what the machine's load blurs least.
    return {"messages": sent, "seconds": elapsed, "recorded": recorded, "cpu_s": cpu}


def profile_threads() -> list[Any]:
    """cProfile of this thread and of every thread started from now on (workers, the
    recorder): each thread gets its own profiler, merged at the end (`--cprofile`)."""
    import cProfile
    import threading

    main = cProfile.Profile()
    profiles = [main]
    run = threading.Thread.run

    def profiled(self: threading.Thread) -> None:
        profile = cProfile.Profile()
        profiles.append(profile)
        profile.enable()
        try:
            run(self)
        finally:
            profile.disable()

    threading.Thread.run = profiled  # type: ignore[method-assign]
    main.enable()
    return profiles


def run_smtplib(
    campaign: Path, data_dir: Path, units: int, port: int, *, persistent: bool = False
) -> dict[str, Any]:
    import smtplib
    from email.message import EmailMessage

    from thidua.tasks.actions import render_messages

    from thidua.config import Settings, set_settings

    set_settings(Settings(data_dir=data_dir))
    ctx, audience, action = _context(campaign)
    audience.recipients = audience.recipients[:units]
    prebuilt = []
    for code, message in render_messages.fn(ctx, audience, action.at).items():
        mail = EmailMessage()
        mail["From"], mail["To"], mail["Subject"] = (
            "btdkt@example.vn",
            f"{code.lower()}@example.vn",
            message.subject,
        )
        mail.set_content(message.text)
        mail.add_alternative(message.html or "", subtype="html")
        for path in message.attachments:
            mail.add_attachment(
                path.read_bytes(), maintype="application", subtype="octet-stream",
                filename=path.name,
            )  # fmt: skip
        prebuilt.append(mail)
    context = ssl.create_default_context()  # once: the practical limit
    start, cpu = time.perf_counter(), time.process_time()
    if not persistent:
        for mail in prebuilt:
            with smtplib.SMTP("127.0.0.1", port, timeout=15) as smtp:
                smtp.starttls(context=context)
                smtp.send_message(mail)
        seconds = time.perf_counter() - start
        return {"messages": len(prebuilt), "seconds": seconds, "cpu_s": time.process_time() - cpu}
    # (b2): as many threads as the product sends with, each reusing one STARTTLS session.
    threads = max(1, Settings().send_threads)
    shares = [prebuilt[i::threads] for i in range(threads)]

    def send_share(share: list[EmailMessage]) -> int:
        with smtplib.SMTP("127.0.0.1", port, timeout=15) as smtp:
            smtp.starttls(context=context)
            for mail in share:
                smtp.send_message(mail)
        return len(share)

    with ThreadPoolExecutor(threads) as pool:
        sent = sum(pool.map(send_share, shares))
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    return {"messages": sent, "seconds": seconds, "cpu_s": cpu, "threads": threads}


def run_naive(campaign: Path, data_dir: Path, units: int) -> dict[str, Any]:
    os.environ.pop("PREFECT_API_URL", None)
    os.environ["PREFECT_HOME"] = str(data_dir / "prefect")
    os.environ["PREFECT_UI_ENABLED"] = "false"
    os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
    os.environ["PREFECT_LOGGING_LEVEL"] = "WARNING"
    # A fresh PREFECT_HOME migrates its database first; the 20 s default is too short on a busy box.
    os.environ["PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS"] = "180"
    import apprise
    from prefect import flow, task
    from thidua.tasks.actions import render_messages

    from thidua.config import Settings, set_settings

    set_settings(Settings(data_dir=data_dir))
    ctx, audience, action = _context(campaign)
    audience.recipients = audience.recipients[:units]
    messages = render_messages.fn(ctx, audience, action.at)
    reg = ctx.loaded.registry

    @task
    def notify_unit(url: str, subject: str, html: str, files: list[str]) -> bool:
        sender = apprise.Apprise()
        sender.add(url)
        return sender.notify(
            title=subject,
            body=html,
            body_format=apprise.NotifyFormat.HTML,
            attach=apprise.AppriseAttachment(files),
        )

    @flow
    def fan_out() -> int:
        return sum(
            notify_unit(
                reg.unit(code).contacts[0],
                m.subject,
                m.html or m.text,
                [str(p) for p in m.attachments],
            )
            for code, m in messages.items()
        )

    @flow
    def warm_up() -> None:
        """Starts the ephemeral Prefect API, which is not what this path is measured on."""

    warm_up()
    start = time.perf_counter()
    sent = fan_out()
    return {"messages": sent, "seconds": time.perf_counter() - start}


# --- driver ---------------------------------------------------------------------------


def top_functions(profile: Path, count: int = 15) -> list[tuple[float, str]]:
    """The functions of a py-spy raw profile (collapsed stacks) with the largest share
    of samples, counting each function once per stack (inclusive time)."""
    shares: dict[str, int] = {}
    total = 0
    for line in profile.read_text(encoding="utf-8", errors="replace").splitlines():
        stack, _, samples = line.rpartition(" ")
        if not stack or not samples.isdigit():
            continue
        total += int(samples)
        for name in {frame.split(" (")[0] for frame in stack.split(";")}:
            shares[name] = shares.get(name, 0) + int(samples)
    ranked = sorted(shares.items(), key=lambda item: -item[1])
    wanted = [(n, c) for n, c in ranked if not n.startswith(("Thread.", "_bootstrap", "<module>"))]
    return [(100 * c / max(total, 1), n) for n, c in wanted[:count]]


def phase(name: str, args: argparse.Namespace, **extra: Any) -> dict[str, Any]:
    cmd = [sys.executable, __file__, "--phase", name, "--port", str(args.port)]
    if args.profile and name == "a":  # a sampling profile of the product's path, all threads
        cmd = ["py-spy", "record", "--format", "raw", "-o", str(args.profile), "--", *cmd]
    env = dict(os.environ)
    if args.cprofile and name == "a":  # cProfile of every thread of the product's path
        env["FANOUT_CPROFILE"] = str(args.cprofile)
    cmd += ["--campaign", str(args.campaign), "--units", str(extra.get("units", args.units))]
    data_dir = Path(tempfile.mkdtemp(prefix=f"fanout-{name}-", dir=args.workdir))
    cmd += ["--data-dir", str(data_dir)]
    out = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if out.returncode:
        sys.exit(f"phase {name} failed:\n{out.stderr[-3000:]}")
    # py-spy adds its own lines; the phase's figures are its last JSON line.
    return json.loads([line for line in out.stdout.splitlines() if line.startswith("{")][-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=1000)
    parser.add_argument("--naive-units", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=1, help="rounds; each path keeps its best")
    parser.add_argument("--phase", choices=["a", "a0", "b", "b2", "c", "serve"])
    parser.add_argument(
        "--only", default="a,a0,b,b2,c", help="paths to run, comma-separated (default: all)"
    )
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--campaign", type=Path)
    parser.add_argument(
        "--profile", type=Path, help="record (a) with py-spy into this file (collapsed stacks)"
    )
    parser.add_argument(
        "--cprofile",
        type=Path,
        help="cProfile (a), every thread, into this file (pstats); prints the top own times",
    )
    parser.add_argument("--data-dir", type=Path)
    parser.add_argument("--cert", nargs=2)
    args = parser.parse_args()

    if args.phase == "serve":
        serve(args.port, *args.cert)
        return 0
    if args.phase:
        runner = {
            "a": run_product, "a0": run_product, "b": run_smtplib, "b2": run_smtplib,
            "c": run_naive,
        }  # fmt: skip
        kwargs: dict[str, Any] = {"port": args.port} if args.phase in ("b", "b2") else {}
        if args.phase == "a0":
            kwargs["stock_email"] = True
        if args.phase == "b2":
            kwargs["persistent"] = True
        print(json.dumps(runner[args.phase](args.campaign, args.data_dir, args.units, **kwargs)))
        return 0

    import socket

    with tempfile.TemporaryDirectory(prefix="fanout-") as tmp:
        workdir = Path(tmp)
        cert, key, bundle = make_certificate(workdir)
        # Explicit trust for every client in every phase; verification is never turned off.
        os.environ["SSL_CERT_FILE"] = str(bundle)
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            args.port = s.getsockname()[1]
        args.workdir = workdir
        (workdir / "campaign").mkdir()
        args.campaign = write_campaign(workdir / "campaign", args.units, args.port)
        serve_cmd = [sys.executable, __file__, "--phase", "serve", "--port", str(args.port)]
        server = subprocess.Popen(
            [*serve_cmd, "--cert", str(cert), str(key)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            assert server.stdout and server.stdin
            server.stdout.readline()
            only = args.only.split(",")
            results: dict[str, dict[str, Any]] = {}
            # Rounds alternate the paths, and each keeps its best round: on a shared
            # machine, the others' load only ever slows a path down.
            for _ in range(args.repeat):
                for name in ("b2", "a", "a0", "b", "c"):
                    if name not in only:
                        continue
                    units = {"units": args.naive_units} if name == "c" else {}
                    got = phase(name, args, **units)
                    best = results.get(name)
                    if best is None or got["seconds"] < best["seconds"]:
                        results[name] = got
            server.stdin.write("count\n")  # every round's messages
            server.stdin.flush()
            received = int(server.stdout.readline())
        finally:
            if server.stdin:
                server.stdin.close()
            server.wait(timeout=30)

    rate = {k: r["messages"] / r["seconds"] for k, r in results.items()}
    labels = {
        "a": "(a) thidua render + deliver (our Apprise email plugin, one STARTTLS connection per"
        " worker thread, SQLite records)",
        "a0": "(a0) như (a) nhưng dùng plugin email gốc của Apprise (mỗi thư một kết nối"
        " và một ngữ cảnh TLS mới)",
        "b": "(b) smtplib, một kết nối STARTTLS mỗi thư, thư dựng sẵn",
        "b2": f"(b2) smtplib, {results.get('b2', {}).get('threads', '?')} luồng, mỗi luồng giữ"
        " một kết nối STARTTLS, thư dựng sẵn",
    }
    for name, label in labels.items():
        if name in results:
            r = results[name]
            print(
                f"{label}: {r['messages']} thư trong {r['seconds']:.2f} s → {rate[name]:.0f} thư/s"
                f"; CPU của tiến trình gửi {1000 * r['cpu_s'] / r['messages']:.1f} ms/thư"
            )
    if "a" in results:
        print(f"bản ghi gửi thành công trong SQLite sau (a): {results['a']['recorded']}")
    if "c" in results:
        scale = args.units / args.naive_units
        print(
            f"(c) Prefect: một task mỗi đơn vị gọi Apprise: đo trên {args.naive_units} đơn vị "
            f"(không tính lần chạy khởi động), quy ra {args.units}: "
            f"{results['c']['seconds'] * scale:.1f} s → {rate['c']:.0f} thư/s"
        )

    def ratio(a: str, b: str, digits: int = 3) -> float | None:
        return round(rate[a] / rate[b], digits) if a in rate and b in rate else None

    def figure(name: str) -> float | None:
        return round(rate[name], 1) if name in rate else None

    print(
        f"tỉ lệ a/b2 = {ratio('a', 'b2')} (mục tiêu ≥ 0,8); a/b = {ratio('a', 'b')};"
        f" a/c = {ratio('a', 'c', 1)}"
    )
    print(f"máy chủ SMTP đã nhận {received} thư")
    if args.profile and args.profile.is_file():
        print(f"(a) theo py-spy ({args.profile}), các hàm chiếm nhiều mẫu nhất:")
        for share, name in top_functions(args.profile):
            print(f"  {share:5.1f}%  {name}")
    if args.cprofile and args.cprofile.is_file():
        import pstats

        print(f"(a) theo cProfile ({args.cprofile}), các hàm tốn nhiều thời gian riêng nhất:")
        pstats.Stats(str(args.cprofile), stream=sys.stdout).sort_stats("tottime").print_stats(20)
    summary = {
        "units": args.units,
        "naive_units_measured": args.naive_units,
        "product_msgs_per_s": figure("a"),
        "product_stock_apprise_email_msgs_per_s": figure("a0"),
        "product_records_sent": results.get("a", {}).get("recorded"),
        "smtplib_msgs_per_s": figure("b"),
        "smtplib_persistent_msgs_per_s": figure("b2"),
        "naive_prefect_msgs_per_s": figure("c"),
        "ratio_product_to_smtplib_persistent": ratio("a", "b2"),
        "ratio_product_to_smtplib": ratio("a", "b"),
        "ratio_product_to_naive": ratio("a", "c", 2),
        "received": received,
    }
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
