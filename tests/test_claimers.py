"""Who holds a delivery claim, and when a claim may be taken over without waiting."""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta

import pytest
from sqlalchemy.engine import Engine

from thidua.ledger import deliveries
from thidua.store import claimers
from thidua.store.claimers import end_attempt, holder_gone, new_attempt
from thidua.store.db import session_scope

CHILD = "from thidua.store.claimers import new_attempt; print(new_attempt())"  # a process that then exits


def dead_process_token() -> str:
    out = subprocess.run([sys.executable, "-c", CHILD], capture_output=True, text=True, check=True)
    return out.stdout.strip()


def test_this_process_holds_its_attempt_until_it_ends() -> None:
    token = new_attempt()
    assert not holder_gone(token)
    end_attempt(token)
    assert holder_gone(token)
    assert not holder_gone(new_attempt())  # another attempt of the same process


def test_a_process_that_exited_is_gone() -> None:
    assert holder_gone(dead_process_token())


def test_a_reused_pid_is_not_mistaken_for_the_holder() -> None:
    _instance, boot, namespace, pid, started, attempt = new_attempt().split(":")
    other = "0" * 32  # another process that had our pid in our namespace
    assert not holder_gone(f"{other}:{boot}:{namespace}:{pid}:{started}:{attempt}")
    # Same pid, alive, but started at another time: the holder it names is gone.
    assert holder_gone(f"{other}:{boot}:{namespace}:{pid}:{int(started) + 1}:{attempt}")


def test_a_pid_of_another_namespace_or_boot_is_left_to_the_lease() -> None:
    """A dead pid proves nothing when the token comes from another PID namespace or boot."""
    _instance, boot, namespace, _pid, started, attempt = dead_process_token().split(":")
    other = "0" * 32
    assert holder_gone(f"{other}:{boot}:{namespace}:{_pid}:{started}:{attempt}")
    assert not holder_gone(f"{other}:{boot}:{int(namespace) + 1}:{_pid}:{started}:{attempt}")
    assert not holder_gone(f"{other}:another-boot:{namespace}:{_pid}:{started}:{attempt}")
    assert not holder_gone(f"{other}:?:?:{_pid}:{started}:{attempt}")


@pytest.mark.parametrize(
    "token",
    [None, "", "garbage", "another-host:1:1:abc", "another-host:notapid:1:abc", "a:b:c:1:1:x"],
)
def test_unknown_holders_are_left_to_the_lease(token: str | None) -> None:
    assert not holder_gone(token)


def test_a_forked_child_has_its_own_identity() -> None:
    import os

    parent = claimers._process()
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - runs in the child
        os.write(write, claimers._process().encode())
        os._exit(0)
    os.waitpid(pid, 0)
    child = os.read(read, 200).decode()
    assert child != parent and f":{pid}:" in child
    assert child.split(":")[0] != parent.split(":")[0]  # a new instance id


# --- the store hands a dead holder's claim over at once -----------------------------

KEY = {
    "campaign_code": "641/KH-UBND",
    "action_key": "launch/-/launch",
    "occurrence": "",
    "unit_code": "XA-1",
    "channel": "0:mailto",
}


def test_a_claim_left_by_a_dead_process_is_taken_over_before_the_lease(fresh_db: Engine) -> None:
    lease = timedelta(minutes=10)
    with session_scope(fresh_db) as session:
        first = deliveries.claim_delivery(session, **KEY, claimer=dead_process_token(), lease=lease)
    assert first is not None
    mine = new_attempt()
    with session_scope(fresh_db) as session:
        again = deliveries.claim_delivery(session, **KEY, claimer=mine, lease=lease)
    assert again is not None and again.id == first.id
    assert (again.attempts, again.claimed_by) == (2, mine)


def test_a_claim_held_by_a_live_sender_is_not_taken(fresh_db: Engine) -> None:
    lease = timedelta(minutes=10)
    sender = new_attempt()
    with session_scope(fresh_db) as session:
        assert deliveries.claim_delivery(session, **KEY, claimer=sender, lease=lease) is not None
    with session_scope(fresh_db) as session:
        assert deliveries.claim_delivery(session, **KEY, claimer=new_attempt(), lease=lease) is None
    end_attempt(sender)  # e.g. its deliver task raised: a retry may take it now
    with session_scope(fresh_db) as session:
        assert deliveries.claim_delivery(session, **KEY, claimer=new_attempt(), lease=lease) is not None


def test_a_token_of_this_process_is_recognised_as_ours() -> None:
    from thidua.store.claimers import this_process

    assert this_process(new_attempt())
    assert not this_process(dead_process_token())
    assert not this_process(None) and not this_process("")


# --- "sending": a message caught going out is uncertain, never sent again blindly ---------


def test_a_dead_holders_sending_claim_becomes_uncertain_and_is_not_handed_out(
    fresh_db: Engine,
) -> None:
    lease = timedelta(minutes=10)
    dead = dead_process_token()
    with session_scope(fresh_db) as session:
        first = deliveries.claim_delivery(session, **KEY, claimer=dead, lease=lease)
        assert first is not None
        assert deliveries.mark_sending(session, delivery_id=first.id, claimer=dead)
    with session_scope(fresh_db) as session:
        assert deliveries.claim_delivery(session, **KEY, claimer=new_attempt(), lease=lease) is None
    with session_scope(fresh_db) as session:
        [row] = deliveries.deliveries_for(session, campaign_code=KEY["campaign_code"])
        assert (str(row.status), row.attempts) == ("uncertain", 1)
        assert row.error == deliveries.UNCERTAIN_TAKEOVER


def test_a_claim_taken_over_cannot_be_marked_sending_by_its_old_holder(fresh_db: Engine) -> None:
    old = new_attempt()
    with session_scope(fresh_db) as session:
        first = deliveries.claim_delivery(session, **KEY, claimer=old, lease=timedelta(0))
    assert first is not None
    with session_scope(fresh_db) as session:  # the lease ran out: someone else takes it
        again = deliveries.claim_delivery(session, **KEY, claimer=new_attempt(), lease=timedelta(0))
    assert again is not None
    with session_scope(fresh_db) as session:
        assert not deliveries.mark_sending(session, delivery_id=first.id, claimer=old)


def test_a_permanent_failure_is_handed_out_again_only_after_the_contact_changed(
    fresh_db: Engine,
) -> None:
    typo = deliveries.contact_fingerprint("mailto://smtp.example.vn?to=xa-1@exmaple.vn&pass=s3cret")
    fixed = deliveries.contact_fingerprint("mailto://smtp.example.vn?to=xa-1@example.vn&pass=s3cret")
    assert typo != fixed and "s3cret" not in typo
    # Only the secret changed: the same address, the same fingerprint.
    assert typo == deliveries.contact_fingerprint(
        "mailto://smtp.example.vn?to=xa-1@exmaple.vn&pass=other"
    )
    with session_scope(fresh_db) as session:
        first = deliveries.claim_delivery(session, **KEY, claimer=new_attempt(), contact_fp=typo)
        assert first is not None
        deliveries.finish_delivery(session, delivery_id=first.id, status="failed_permanent")
    with session_scope(fresh_db) as session:
        assert deliveries.claim_delivery(session, **KEY, claimer=new_attempt(), contact_fp=typo) is None
    with session_scope(fresh_db) as session:
        again = deliveries.claim_delivery(session, **KEY, claimer=new_attempt(), contact_fp=fixed)
    assert again is not None and (again.attempts, again.contact_fp) == (2, fixed)
