"""The portal's real `Acknowledger`: a receipt's acknowledgement through the unit's contacts.

`thidua serve` (and `thidua portal serve`) hand an `Acknowledgements` to the portal
application. Each acknowledgement is one batch of the core delivery engine
(`thidua.delivery.engine.deliver`), scoped to the campaign and the receipt's key
(“tiep-nhan/2026/000012”), occurrence "", so it is claimed, sent and recorded exactly
once per unit and contact: a second call with the same key (a retried request, two
workers) finds the claim and sends nothing. The record is also where an operator sees
it (`thidua status`, the delivery tables).

The page that accepted the submission must not wait for a mail relay: the batch runs on
a small, bounded pool of background threads. When more acknowledgements wait than the
pool takes (`max_pending`), the caller waits a moment for room rather than queueing
without bound; past that it is logged and dropped, and the receipt on the unit's page
still says everything the acknowledgement would have.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from datetime import timedelta
from typing import Any

from thidua.notifications.render import Message, render_html
from thidua.notifications.send import SendResult, channel_id, send

from thidua.config import Settings, get_settings
from thidua.delivery import engine
from thidua.delivery.outcome import Outcomes
from thidua.errors import ThiduaError
from thidua.ledger.statuses import DeliveryStatus

__all__ = ["Acknowledgements", "ContactsOf", "registry_contacts"]

log = logging.getLogger("thidua.portal.acknowledge")

#: (campaign code, unit code) → the unit's contact URLs, as its registry writes them.
ContactsOf = Callable[[str, str], Sequence[str]]

#: Seconds a caller waits for room in a full queue before the acknowledgement is dropped.
ROOM_WAIT_S = 5.0
#: Waits before trying again a contact that failed in a way worth retrying (a relay's 4xx);
#: the delivery record hands a transient failure out again, and nothing sent goes twice.
RETRY_DELAYS_S = (5.0, 30.0)


def registry_contacts(settings: Settings) -> ContactsOf:
    """The unit's contacts in the registry of the deployed campaign (else the default one)."""
    from thidua.portal.campaigns import CampaignCatalog

    catalog = CampaignCatalog(settings)

    def contacts(campaign_code: str, unit_code: str) -> Sequence[str]:
        for campaign in catalog.all():
            if campaign.code == campaign_code and unit_code in campaign.loaded.registry:
                return list(campaign.loaded.registry.unit(unit_code).contacts)
        from thidua.registry.loading import load_registry

        try:
            registry = load_registry(settings.in_project(str(settings.registry)))
        except ThiduaError:
            return []
        return list(registry.unit(unit_code).contacts) if unit_code in registry else []

    return contacts


def _carry(
    url: str, message: Any, *, context: dict[str, Any], before_data: Callable[[], bool]
) -> SendResult:
    # One message per batch: no connection to keep for a next one (pool=None).
    return send(url, message, context=context, before_data=before_data)


def _portal_link(text: str, base_url: str) -> str | None:
    """The unit's portal URL the text ends a line with, to make it clickable in HTML."""
    pattern = re.compile(rf": ({re.escape(base_url)}/u/[A-Za-z0-9_\-/.]+)$", re.MULTILINE)
    match = pattern.search(text)
    return match.group(1) if match else None


class Acknowledgements:
    """An `Acknowledger` (`thidua.portal.state`) sending through the delivery engine.

    `contacts` finds a unit's contacts (default: `registry_contacts`); `threads` bounds
    the background pool. Call `close` when the server stops (it waits for what is queued).
    """

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        contacts: ContactsOf | None = None,
        threads: int = 2,
        max_pending: int = 256,
    ) -> None:
        self.settings = settings or get_settings()
        self.contacts = contacts or registry_contacts(self.settings)
        self._pool = ThreadPoolExecutor(max(1, threads), thread_name_prefix="thidua-ack")
        self._room = threading.BoundedSemaphore(max(1, max_pending))
        self._lock = threading.Lock()
        self._pending: set[Future[Outcomes]] = set()
        self._stopping = threading.Event()

    def __call__(
        self, *, unit_code: str, campaign_code: str, key: str, subject: str, text: str
    ) -> None:
        """Queue the acknowledgement; it is sent in the background, once per key and contact."""
        if not self._room.acquire(timeout=ROOM_WAIT_S):
            log.error(
                "acknowledgement %s of %s (%s) dropped: %s are waiting to be sent",
                key,
                unit_code,
                campaign_code,
                len(self._pending),
            )
            return
        try:
            future = self._pool.submit(
                self.send_now,
                unit_code=unit_code,
                campaign_code=campaign_code,
                key=key,
                subject=subject,
                text=text,
            )
        except RuntimeError:  # the pool was closed: the server is stopping
            self._room.release()
            log.error("acknowledgement %s of %s dropped: the server is stopping", key, unit_code)
            return
        with self._lock:
            self._pending.add(future)
        future.add_done_callback(self._done)

    def _done(self, future: Future[Outcomes]) -> None:
        with self._lock:
            self._pending.discard(future)
        self._room.release()
        if future.cancelled():
            return
        if (exc := future.exception()) is not None:
            log.error("acknowledgement failed: %s: %s", type(exc).__name__, exc)

    def send_now(
        self, *, unit_code: str, campaign_code: str, key: str, subject: str, text: str
    ) -> Outcomes:
        """Send at once, in this thread; the outcome of each contact (none if sent before)."""
        link = _portal_link(text, self.settings.portal_base_url)
        message = Message(subject=subject, text=text, html=render_html(text, subject, link=link))
        urls = list(self.contacts(campaign_code, unit_code))
        if not urls:
            log.warning("acknowledgement %s: unit %s has no contact to send it to", key, unit_code)
        jobs = engine.jobs_for({unit_code: message}, lambda _code: urls, channel_id)
        scope = engine.Scope(campaign_code, key, "")
        lease = timedelta(seconds=self.settings.claim_lease_seconds)
        for delay in (*RETRY_DELAYS_S, None):
            outcomes = engine.deliver(scope, jobs, sink=_carry, threads=1, lease=lease)
            again = [o for o in outcomes if o.status is DeliveryStatus.FAILED_TRANSIENT]
            if not again or delay is None or self._stopping.wait(delay):
                break
        for outcome in outcomes:
            if outcome.failed:
                log.warning(
                    "acknowledgement %s to %s over %s: %s",
                    key,
                    unit_code,
                    outcome.channel,
                    outcome.error,
                )
        return outcomes

    def drain(self, timeout: float | None = None) -> bool:
        """Wait until every queued acknowledgement is sent; False if `timeout` ran out first."""
        with self._lock:
            pending = list(self._pending)
        return not wait(pending, timeout=timeout).not_done

    def close(self, timeout: float | None = 30.0) -> None:
        """Stop taking acknowledgements and wait (up to `timeout`) for the queued ones.

        Retries waiting for their next attempt give up: their records say "failed
        transient", and an operator sees them as not yet delivered.
        """
        self._stopping.set()
        self.drain(timeout)
        self._pool.shutdown(wait=False, cancel_futures=True)
