"""The exactly-once delivery engine on its own: no Prefect, a real store, real channels.

Each test runs `thidua.delivery.engine.deliver` against a migrated SQLite file and a
PostgreSQL database (`tests/store_fixtures.py`), with the product's own sink
(`thidua.notifications.send.send`) writing to the local outbox, or e-mailing a real
aiosmtpd relay on a loopback port that accepts, refuses or drops the connection.
"""

from __future__ import annotations

import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy.engine import Engine
from thidua.notifications.render import Message
from thidua.notifications.send import SendResult, channel_id, send

from thidua.config import get_settings, set_settings
from thidua.delivery import (
    Job,
    Outcome,
    Outcomes,
    Scope,
    deliver,
    engine,
    jobs_for,
    stored_outcomes,
    unfinished,
)
from thidua.delivery.messages import Rendered
from thidua.delivery.summary import action_result
from thidua.ledger import deliveries
from thidua.ledger.statuses import ActionStatus, DeliveryStatus
from thidua.store import outbox_rows
from thidua.store.claimers import end_attempt, new_attempt
from thidua.store.db import session_scope

from .serving import free_port

SCOPE = Scope("12/KH-TEST", "launch/-/launch", "")
LEASE = timedelta(minutes=10)
#: A process that takes a token and exits: a sender that died.
DEAD = "from thidua.store.claimers import new_attempt; print(new_attempt())"


def message(unit: str) -> Message:
    return Message(subject=f"[12/KH-TEST] Phát động gửi {unit}", text=f"Kính gửi: {unit}\n")


def outbox_jobs(units: list[str]) -> list[Job]:
    return [
        Job(u, channel_id(0, f"outbox://{u.lower()}"), f"outbox://{u.lower()}", message(u))
        for u in units
    ]


def outbox_sink(url: str, msg: Any, *, context: dict[str, Any], before_data: Any) -> SendResult:
    """The product's channel, as the Prefect task passes it (without an SMTP pool)."""
    return send(url, msg, context=context, before_data=before_data)


@pytest.fixture
def store(fresh_db: Engine) -> Iterator[Engine]:
    """The engine's default store is `fresh_db` (SQLite file or PostgreSQL) for this test."""
    url = fresh_db.url.render_as_string(hide_password=False)
    set_settings(get_settings().with_(database_url=url))
    yield fresh_db


def rows(engine: Engine) -> dict[str, Any]:
    with session_scope(engine) as session:
        return {
            d.unit_code: d
            for d in deliveries.deliveries_for(session, campaign_code=SCOPE.campaign_code)
        }


def delivered(engine: Engine) -> Counter[str]:
    """How many copies each unit has in the outbox."""
    with session_scope(engine) as session:
        found = outbox_rows.outbox_messages(session, campaign_code=SCOPE.campaign_code)
        return Counter(m.unit_code for m in found)


def dead_token() -> str:
    out = subprocess.run([sys.executable, "-c", DEAD], capture_output=True, text=True, check=True)
    return out.stdout.strip()


# --- claim before send ------------------------------------------------------------------


def test_each_message_is_claimed_then_marked_sending_before_it_goes_out(store: Engine) -> None:
    seen: dict[str, tuple[str, str]] = {}

    def watching(url: str, msg: Any, *, context: dict[str, Any], before_data: Any) -> SendResult:
        unit = context["unit"]
        before = str(rows(store)[unit].status)

        def then() -> bool:
            ok = before_data()
            seen[unit] = (before, str(rows(store)[unit].status))
            return ok

        return outbox_sink(url, msg, context=context, before_data=then)

    units = ["SO-A", "SO-B", "XA-1", "XA-2"]
    outcomes = deliver(SCOPE, outbox_jobs(units), sink=watching, threads=3, lease=LEASE)
    assert seen == {u: ("pending", "sending") for u in units}
    assert [(o.unit, o.status, o.earlier) for o in outcomes] == [
        (u, DeliveryStatus.SENT, False) for u in units
    ]
    assert all(o.sent_now and o.label == "đã gửi" for o in outcomes)
    assert {u: str(r.status) for u, r in rows(store).items()} == dict.fromkeys(units, "sent")
    assert all(r.sent_at is not None and r.attempts == 1 for r in rows(store).values())
    assert delivered(store) == Counter(units)
    assert not unfinished(outcomes)


def test_a_sender_claims_its_next_message_with_the_sending_mark_and_holds_one_ahead(
    store: Engine,
) -> None:
    """One waited group commit a message: the next claim is committed with this "sending"
    mark, never more than one claim ahead, and none while another sender is idle."""
    units = ["XA-1", "XA-2", "XA-3", "XA-4"]
    seen: list[dict[str, str]] = []

    def watching(url: str, msg: Any, *, context: dict[str, Any], before_data: Any) -> SendResult:
        def then() -> bool:
            ok = before_data()
            seen.append({u: str(r.status) for u, r in rows(store).items() if r.status != "sent"})
            return ok

        return outbox_sink(url, msg, context=context, before_data=then)

    outcomes = deliver(SCOPE, outbox_jobs(units), sink=watching, threads=1, lease=LEASE)
    assert seen == [
        {"XA-1": "sending", "XA-2": "pending"},
        {"XA-2": "sending", "XA-3": "pending"},
        {"XA-3": "sending", "XA-4": "pending"},
        {"XA-4": "sending"},
    ]
    assert [o.status for o in outcomes] == [DeliveryStatus.SENT] * len(units)
    assert delivered(store) == Counter(units)


def test_a_message_whose_outbox_row_failed_is_recorded_as_a_failure_not_sent(
    store: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """In a batch the outbox queues its row instead of waiting for it; the delivery's
    finish commits after it, and says "sent" only if the row was committed."""
    from thidua.notifications import outbox

    add_row = outbox._add_row

    def failing(session: Any, state_url: str, **row: Any) -> None:
        if row["unit_code"] == "XA-2":
            raise RuntimeError("the row could not be written")
        add_row(session, state_url, **row)

    monkeypatch.setattr(outbox, "_add_row", failing)
    units = ["XA-1", "XA-2", "XA-3"]
    outcomes = deliver(SCOPE, outbox_jobs(units), sink=outbox_sink, threads=2, lease=LEASE)
    assert {o.unit: o.status for o in outcomes} == {
        "XA-1": DeliveryStatus.SENT,
        "XA-2": DeliveryStatus.FAILED_TRANSIENT,
        "XA-3": DeliveryStatus.SENT,
    }
    assert {u: str(r.status) for u, r in rows(store).items()} == {
        "XA-1": "sent",
        "XA-2": "failed_transient",
        "XA-3": "sent",
    }
    assert rows(store)["XA-2"].sent_at is None
    assert delivered(store) == Counter(["XA-1", "XA-3"])
    monkeypatch.setattr(outbox, "_add_row", add_row)
    again = deliver(SCOPE, outbox_jobs(units), sink=outbox_sink, threads=2, lease=LEASE)
    assert [(o.unit, o.status, o.earlier) for o in again if o.unit == "XA-2"] == [
        ("XA-2", DeliveryStatus.SENT, False)
    ]
    assert delivered(store) == Counter(units)


def test_a_busy_sender_takes_a_job_ahead_only_when_no_idle_sender_would() -> None:
    from thidua.delivery.workers import Queue

    queue = Queue(senders=2)
    first, second = queue.put("a"), queue.put("b")
    taken = queue.take(was_busy=False)
    assert taken is not None and taken[0] == "a" and first.running()
    assert queue.take_ahead() is None  # "b" is left to the idle sender
    queue.put("c")
    ahead = queue.take_ahead()  # two waiting for one idle sender: one goes ahead
    assert ahead is not None and ahead[0] == "b" and second.running()
    assert queue.take_ahead() is None
    queue.put("x").cancel()  # called off: never handed out
    queue.put("d")
    queue.close()
    assert queue.take(was_busy=False) is not None  # "c"
    last = queue.take(was_busy=False)
    assert last is not None and last[0] == "d"
    assert queue.take(was_busy=True) is None  # closed and empty: the sender stops


def test_a_batch_run_again_sends_nothing_twice(store: Engine) -> None:
    units = ["SO-A", "SO-B"]
    deliver(SCOPE, outbox_jobs(units), sink=outbox_sink, threads=2, lease=LEASE)
    calls: list[str] = []

    def counting(url: str, msg: Any, *, context: dict[str, Any], before_data: Any) -> SendResult:
        calls.append(context["unit"])
        return outbox_sink(url, msg, context=context, before_data=before_data)

    again = deliver(SCOPE, outbox_jobs(units), sink=counting, threads=2, lease=LEASE)
    assert calls == []
    # Sent by this same process (an earlier attempt of the run): still this run's sends.
    assert [(o.status, o.earlier) for o in again] == [(DeliveryStatus.SENT, False)] * 2
    assert delivered(store) == Counter(units)
    # A resend is its own delivery: sent once more, recorded apart.
    resend = Scope(SCOPE.campaign_code, SCOPE.action_key, SCOPE.occurrence, resend=1)
    deliver(resend, outbox_jobs(["SO-A"]), sink=outbox_sink, threads=1, lease=LEASE)
    assert delivered(store) == Counter({"SO-A": 2, "SO-B": 1})
    assert [o.unit for o in stored_outcomes(resend)] == ["SO-A"]


# --- exactly once under a concurrent second runner ---------------------------------------


def test_a_second_runner_meanwhile_leaves_the_held_claims_to_the_first(store: Engine) -> None:
    units = [f"XA-{i}" for i in range(6)]
    release = threading.Event()
    started: list[str] = []

    def stalled(url: str, msg: Any, *, context: dict[str, Any], before_data: Any) -> SendResult:
        started.append(context["unit"])  # claimed: the relay is slow to take the message
        assert release.wait(60)
        return outbox_sink(url, msg, context=context, before_data=before_data)

    first: list[Outcome] = []
    runner = threading.Thread(
        target=lambda: first.extend(
            deliver(SCOPE, outbox_jobs(units), sink=stalled, threads=len(units), lease=LEASE)
        )
    )
    runner.start()
    try:
        for _ in range(600):  # every claim of the first runner is committed
            if len(started) == len(units):
                break
            threading.Event().wait(0.05)
        assert len(started) == len(units)
        calls: list[str] = []

        def second_sink(url: str, msg: Any, *, context: dict[str, Any], before_data: Any) -> Any:
            calls.append(context["unit"])
            return outbox_sink(url, msg, context=context, before_data=before_data)

        second = deliver(SCOPE, outbox_jobs(units), sink=second_sink, threads=4, lease=LEASE)
    finally:
        release.set()
        runner.join(60)
    assert calls == []  # the second runner sent nothing: the claims were held
    assert all(o.in_flight and o.label == "đang được gửi ở lượt chạy khác" for o in second)
    assert unfinished(second).in_flight == len(units)  # its caller looks again later
    assert [o.status for o in first] == [DeliveryStatus.SENT] * len(units)
    assert delivered(store) == Counter(units)


def test_two_runners_racing_over_the_same_batch_send_each_message_once(store: Engine) -> None:
    units = [f"DV-{i:02d}" for i in range(30)]
    results: list[list[Outcome]] = [[], []]
    barrier = threading.Barrier(2)

    def run(slot: int) -> None:
        barrier.wait()
        results[slot] = deliver(SCOPE, outbox_jobs(units), sink=outbox_sink, threads=4, lease=LEASE)

    racers = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for t in racers:
        t.start()
    for t in racers:
        t.join(120)
    assert delivered(store) == Counter(units)  # one copy each, whoever sent it
    assert {u: str(r.status) for u, r in rows(store).items()} == dict.fromkeys(units, "sent")
    # Each runner accounts for every job: sent by itself, or held/sent by the other.
    for outcomes in results:
        assert [o.unit for o in outcomes] == units
        assert all(
            o.status in (DeliveryStatus.SENT, DeliveryStatus.PENDING, DeliveryStatus.SENDING)
            for o in outcomes
        )


# --- finish records: sent, refused now, refused for good, uncertain -----------------------


class Relay:
    """Refuses `busy` for now (451) and `unknown` for good (550); drops `silent` after DATA."""

    def __init__(self, *, busy: set[str], unknown: set[str], silent: set[str]) -> None:
        self.busy, self.unknown, self.silent = busy, unknown, silent
        self.accepted: Counter[str] = Counter()

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        if address in self.unknown:
            return f"550 5.1.1 <{address}>: Recipient address rejected: User unknown"
        if address in self.busy:
            return "451 4.3.2 System busy, try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        [address] = envelope.rcpt_tos
        self.accepted[address] += 1
        if address in self.silent:
            server.transport.abort()  # the message arrived; its reply never will
            return "451 never sent"
        return "250 OK"


@contextmanager
def relay(handler: Relay) -> Iterator[Callable[[str], str]]:
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield lambda to: f"mailto://127.0.0.1:{port}?to={to}&from=btdkt@example.vn&mode=insecure"
    finally:
        controller.stop()


def test_every_answer_is_recorded_and_only_transient_failures_are_tried_again(
    store: Engine,
) -> None:
    handler = Relay(
        busy={"xa-1@example.vn"}, unknown={"xa-2@exmaple.vn"}, silent={"so-b@example.vn"}
    )
    with relay(handler) as url:
        contacts = {
            "SO-A": [url("so-a@example.vn")],
            "SO-B": [url("so-b@example.vn")],
            "XA-1": [url("xa-1@example.vn")],
            "XA-2": [url("xa-2@exmaple.vn")],
        }
        messages = {code: message(code) for code in contacts}
        jobs = jobs_for(messages, contacts.__getitem__, channel_id)
        outcomes = {o.unit: o for o in deliver(SCOPE, jobs, sink=send, threads=4, lease=LEASE)}
        assert {u: o.status for u, o in outcomes.items()} == {
            "SO-A": DeliveryStatus.SENT,
            "SO-B": DeliveryStatus.UNCERTAIN,
            "XA-1": DeliveryStatus.FAILED_TRANSIENT,
            "XA-2": DeliveryStatus.FAILED_PERMANENT,
        }
        assert outcomes["XA-2"].error.startswith("Lỗi vĩnh viễn (không gửi lại): ")
        assert "550" in outcomes["XA-2"].error
        assert outcomes["XA-1"].error.startswith("Lỗi tạm thời: ")
        assert outcomes["SO-B"].error.startswith("Chưa rõ kết quả (không tự gửi lại")
        assert outcomes["SO-B"].label == "chưa rõ"
        assert unfinished(list(outcomes.values())).transient == 1
        stored = rows(store)
        assert {u: str(r.status) for u, r in stored.items()} == {
            u: str(o.status) for u, o in outcomes.items()
        }
        assert stored["XA-2"].error == outcomes["XA-2"].error  # the store reads as the run

        handler.busy.clear()  # the relay recovers; the caller retries the whole batch
        again = {o.unit: o for o in deliver(SCOPE, jobs, sink=send, threads=4, lease=LEASE)}
    assert again["XA-1"].status is DeliveryStatus.SENT
    # Final records are not sent again, and stay what they were in the retry's outcomes.
    assert again["XA-2"].status is DeliveryStatus.FAILED_PERMANENT
    assert again["XA-2"].error == outcomes["XA-2"].error
    assert again["SO-B"].status is DeliveryStatus.UNCERTAIN
    assert handler.accepted == Counter(
        {"so-a@example.vn": 1, "so-b@example.vn": 1, "xa-1@example.vn": 1}
    )
    assert rows(store)["XA-1"].attempts == 2 and rows(store)["XA-2"].attempts == 1
    result = action_result(list(again.values()))
    assert result.status is ActionStatus.DONE
    assert result.message == "1 lượt gửi không thành công; 1 lượt gửi chưa rõ kết quả"
    assert action_result([], "gửi không hết").status is ActionStatus.FAILED


def test_a_sink_that_raises_leaves_no_claim_pending_and_no_secret(store: Engine) -> None:
    def broken(url: str, msg: Any, *, context: dict[str, Any], before_data: Any) -> SendResult:
        raise RuntimeError(f"cannot reach {url}?pass=s3cret")

    [outcome] = deliver(SCOPE, outbox_jobs(["SO-A"]), sink=broken, threads=1, lease=LEASE)
    assert outcome.status is DeliveryStatus.FAILED_TRANSIENT
    assert outcome.error == "Lỗi tạm thời: lỗi chương trình khi gửi (RuntimeError)"
    assert str(rows(store)["SO-A"].status) == "failed_transient"


# --- uncertain, and the store's word for what a batch did not claim ----------------------


def test_a_sender_that_died_while_sending_leaves_an_uncertain_record_never_resent(
    store: Engine,
) -> None:
    dead = dead_token()
    with session_scope(store) as session:
        claim = deliveries.claim_delivery(session, **key("SO-A"), claimer=dead, lease=LEASE)
        assert claim is not None
        assert deliveries.mark_sending(session, delivery_id=claim.id, claimer=dead)
    with session_scope(store) as session:  # this one died before "sending": sent again
        assert deliveries.claim_delivery(session, **key("SO-B"), claimer=dead, lease=LEASE)
    outcomes = {
        o.unit: o
        for o in deliver(
            SCOPE, outbox_jobs(["SO-A", "SO-B"]), sink=outbox_sink, threads=2, lease=LEASE
        )
    }
    assert outcomes["SO-A"].status is DeliveryStatus.UNCERTAIN
    assert outcomes["SO-A"].error == deliveries.UNCERTAIN_TAKEOVER
    assert outcomes["SO-B"].sent_now
    assert delivered(store) == Counter({"SO-B": 1})
    assert not unfinished(list(outcomes.values()))  # uncertain is final: only resend repeats it


def test_what_another_run_did_is_reported_as_the_store_records_it(store: Engine) -> None:
    other = dead_token()
    with session_scope(store) as session:
        sent = deliveries.claim_delivery(session, **key("SO-A"), claimer=other, lease=LEASE)
        deliveries.finish_delivery(session, delivery_id=sent.id, status="sent")
    live = new_attempt()  # a sender still at work in this process
    with session_scope(store) as session:
        assert deliveries.claim_delivery(session, **key("SO-B"), claimer=live, lease=LEASE)
    try:
        outcomes = deliver(
            SCOPE, outbox_jobs(["SO-A", "SO-B"]), sink=outbox_sink, threads=2, lease=LEASE
        )
    finally:
        end_attempt(live)
    assert [(o.unit, o.status, o.label) for o in outcomes] == [
        ("SO-A", DeliveryStatus.SENT, "đã gửi trước đó"),  # by another process
        ("SO-B", DeliveryStatus.PENDING, "đang được gửi ở lượt chạy khác"),
    ]
    assert not any(o.sent_now for o in outcomes)
    assert delivered(store) == Counter()
    # When a batch gave up, the run reports what the store holds.
    assert [(o.unit, o.status) for o in stored_outcomes(SCOPE)] == [
        ("SO-A", DeliveryStatus.SENT),
        ("SO-B", DeliveryStatus.PENDING),
    ]
    # The holder gone, a retry takes the claim over at once and sends it.
    [_, retried] = deliver(
        SCOPE, outbox_jobs(["SO-A", "SO-B"]), sink=outbox_sink, threads=1, lease=LEASE
    )
    assert retried.sent_now and delivered(store) == Counter({"SO-B": 1})


def key(unit: str) -> dict[str, Any]:
    return {
        "campaign_code": SCOPE.campaign_code,
        "action_key": SCOPE.action_key,
        "occurrence": SCOPE.occurrence,
        "unit_code": unit,
        "channel": channel_id(0, f"outbox://{unit.lower()}"),
    }


# --- the group commit ---------------------------------------------------------------------


def test_a_failing_write_in_a_group_fails_alone(store: Engine) -> None:
    """Writes queued together commit together; one that raises takes none of the others."""
    from thidua.delivery.recorder import Recorder

    def claim(unit: str) -> Callable[[Any], int | None]:
        def op(session: Any) -> int | None:
            found = deliveries.claim_delivery(session, **key(unit), claimer=None, commit=False)
            return None if found is None else found.id

        return op

    def broken(session: Any) -> None:
        raise LookupError("không có lượt gửi này")

    results: dict[str, Any] = {}
    with Recorder() as recorder:

        def write(name: str, op: Callable[[Any], Any]) -> None:
            try:
                results[name] = recorder.write(op)
            except LookupError as exc:
                results[name] = exc

        writers = [
            threading.Thread(target=write, args=(name, op))
            for name, op in [
                ("SO-A", claim("SO-A")),
                ("bad", broken),
                ("SO-B", claim("SO-B")),
            ]
        ]
        for t in writers:
            t.start()
        for t in writers:
            t.join(30)
    assert isinstance(results["bad"], LookupError)
    assert isinstance(results["SO-A"], int) and isinstance(results["SO-B"], int)
    assert {u: str(r.status) for u, r in rows(store).items()} == {
        "SO-A": "pending",
        "SO-B": "pending",
    }


def test_a_big_batch_renders_each_message_shortly_before_it_is_sent(store: Engine) -> None:
    """Messages are rendered at most two chunks ahead of the sends (one sent while the next
    is rendered), never the whole audience first."""
    units = [f"XA-{i}" for i in range(300)]
    sent = 0
    ahead: list[int] = []
    lock = threading.Lock()

    def render(unit: str) -> Message:
        ahead.append(len(ahead) + 1 - sent)  # messages rendered and not yet sent
        return message(unit)

    def counting(url: str, msg: Any, *, context: dict[str, Any], before_data: Any) -> SendResult:
        nonlocal sent
        assert before_data()
        with lock:
            sent += 1
        return SendResult(ok=True)

    messages = Rendered(units, render)
    jobs = jobs_for(messages, lambda code: [f"outbox://{code.lower()}"], channel_id)
    outcomes = deliver(SCOPE, jobs, sink=counting, threads=2, lease=LEASE)
    chunk = min(engine.CHUNK_MAX, 2 * engine.CHUNK_PER_THREAD)
    assert len(ahead) == 300 and max(ahead) <= 2 * chunk < 300
    assert isinstance(outcomes, Outcomes) and {o.status for o in outcomes} == {DeliveryStatus.SENT}
    assert [o.unit for o in outcomes] == units
    assert Counter(d.status for d in rows(store).values()) == {"sent": 300}
