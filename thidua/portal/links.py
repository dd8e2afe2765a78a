"""Each unit's personal portal link: issued, printed, rotated, resolved.

A token is 256 bits: HMAC-SHA256 of the portal secret over the unit code and a 128-bit
random nonce. Only the nonce and the token's SHA-256 are stored, so a copy of the
database opens nothing; a request's token is found by its hash and compared with
`hmac.compare_digest`. Because the token can be derived again, `link_for` prints the
current link without keeping it anywhere, and every notice carries the same link until
`rotate` revokes it.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import secrets
import threading
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from thidua.config import Settings, get_settings
from thidua.portal.secret import portal_secret
from thidua.store import portal_rows
from thidua.store.models import PortalLink, utcnow

__all__ = [
    "AudienceLinks",
    "LinkState",
    "ResolvedLink",
    "link_for",
    "resolve",
    "rotate",
    "token_of",
    "unit_path",
    "unit_url",
    "unit_urls",
]

#: Where a unit's page lives: /u/<token>.
PREFIX = "/u/"
#: A token is 43 URL-safe characters; anything else is refused before any lookup.
TOKEN_LENGTH = 43


def _derive(secret: bytes, unit_code: str, nonce: str) -> str:
    message = b"thidua-unit-link\0" + unit_code.encode("utf-8") + b"\0" + bytes.fromhex(nonce)
    digest = hmac.new(secret, message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")


def token_of(link: PortalLink, secret: bytes) -> str:
    """The link's token, derived again from the secret and its nonce."""
    return _derive(secret, link.unit_code, link.nonce)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def _create(session: Session, unit_code: str, secret: bytes, now: datetime) -> PortalLink:
    generation = portal_rows.latest_generation(session, unit_code=unit_code) + 1
    nonce = secrets.token_hex(16)
    token = _derive(secret, unit_code, nonce)
    link = PortalLink(
        unit_code=unit_code,
        generation=generation,
        nonce=nonce,
        token_hash=_hash(token),
        created_at=now,
    )
    return portal_rows.add_link(session, link=link)


def link_for(
    session: Session,
    *,
    unit_code: str,
    settings: Settings | None = None,
    now: datetime | None = None,
) -> str:
    """The unit's token, creating its first link if it has none (in the caller's transaction)."""
    settings = settings or get_settings()
    secret = portal_secret(settings)
    link = portal_rows.current_link(session, unit_code=unit_code)
    if link is None:
        try:
            link = _create(session, unit_code, secret, now or utcnow())
        except IntegrityError:  # another process created it first: use theirs
            link = portal_rows.current_link(session, unit_code=unit_code)
            assert link is not None
    return token_of(link, secret)


def rotate(
    session: Session,
    *,
    unit_code: str,
    settings: Settings | None = None,
    now: datetime | None = None,
) -> str:
    """Revoke the unit's link in force and issue a new one; the new token."""
    settings = settings or get_settings()
    now = now or utcnow()
    portal_rows.revoke_links(session, unit_code=unit_code, at=now)
    secret = portal_secret(settings)
    return token_of(_create(session, unit_code, secret, now), secret)


def unit_path(token: str) -> str:
    return f"{PREFIX}{token}"


def unit_url(
    session: Session,
    *,
    unit_code: str,
    settings: Settings | None = None,
    now: datetime | None = None,
) -> str:
    """The full personal link a notice carries, e.g. https://…/u/<token>."""
    settings = settings or get_settings()
    token = link_for(session, unit_code=unit_code, settings=settings, now=now)
    return settings.portal_base_url + unit_path(token)


def unit_urls(
    session: Session,
    *,
    unit_codes: Sequence[str],
    settings: Settings | None = None,
    now: datetime | None = None,
) -> dict[str, str]:
    """`unit_url` of many units (a notice's whole audience), in the caller's transaction.

    The links in force are read in bulk; the missing ones are issued together (a few
    INSERT … ON CONFLICT DO NOTHING statements, not a savepoint per unit: ~50× cheaper
    for a first notice to a whole province), then read again: where a concurrent
    issuer's link won, both callers print that one. A unit left without a link by a
    rarer race (its link rotated meanwhile) gets one through `link_for`.
    """
    settings = settings or get_settings()
    secret = portal_secret(settings)
    current = portal_rows.current_links(session, unit_codes=unit_codes)
    if missing := sorted(set(unit_codes) - current.keys()):
        _issue(session, missing, secret, now or utcnow())
        current.update(portal_rows.current_links(session, unit_codes=missing))
    urls: dict[str, str] = {}
    for code in unit_codes:
        link = current.get(code)
        token = (
            token_of(link, secret)
            if link is not None
            else link_for(session, unit_code=code, settings=settings, now=now)
        )
        urls[code] = settings.portal_base_url + unit_path(token)
    return urls


def _issue(session: Session, codes: Sequence[str], secret: bytes, now: datetime) -> None:
    """Insert a first (or next) link for each of `codes` (sorted), losing quietly to a twin."""
    generations = portal_rows.latest_generations(session, unit_codes=codes)
    rows = []
    for code in codes:
        nonce = secrets.token_hex(16)
        rows.append(
            {
                "unit_code": code,
                "generation": generations.get(code, 0) + 1,
                "nonce": nonce,
                "token_hash": _hash(_derive(secret, code, nonce)),
                "created_at": now,
            }
        )
    portal_rows.add_links(session, rows=rows)


class LinkState:
    """Why a token opens nothing (the page says which, in Vietnamese)."""

    MALFORMED = "malformed"
    UNKNOWN = "unknown"
    REVOKED = "revoked"


@dataclass(frozen=True)
class ResolvedLink:
    link_id: int
    unit_code: str

    @property
    def actor(self) -> str:
        """How the audit log names whoever used this link."""
        return f"link:{self.unit_code}#{self.link_id}"


def resolve(session: Session, token: str) -> ResolvedLink | str:
    """The unit a token opens, or a `LinkState` saying why it opens nothing."""
    if (
        len(token) != TOKEN_LENGTH
        or not token.isascii()
        or not all(c.isalnum() or c in "-_" for c in token)
    ):
        return LinkState.MALFORMED
    wanted = _hash(token)
    link = portal_rows.find_link(session, token_hash=wanted)
    # The lookup is by hash (a timing difference reveals nothing of the token); the
    # constant-time comparison guards against an index that matched by prefix or case.
    if link is None or not hmac.compare_digest(link.token_hash, wanted):
        return LinkState.UNKNOWN
    if link.revoked_at is not None:
        return LinkState.REVOKED
    assert link.id is not None
    return ResolvedLink(link.id, link.unit_code)


#: Links issued (or looked up) per transaction as a notice's audience is rendered.
LINK_CHUNK = 500


class AudienceLinks:
    """`unit_url` of each of `codes` (a notice's audience), issued a chunk at a time.

    Asked for a code, it issues or reads the links of the next `chunk` codes from it in
    one transaction, committed before it answers: a link a notice carries is in the
    store before the notice is rendered, hence before it is sent. Only one chunk's
    links are kept (~260 bytes a unit held for the whole audience before), and a
    notice to 100,000 units starts sending after its first chunk, not after every
    link was issued. Codes are asked for in order (the delivery engine renders its
    jobs in the audience's order); any other order costs a search, not a wrong link.
    """

    def __init__(
        self,
        codes: Sequence[str],
        *,
        session_scope: Callable[[], AbstractContextManager[Session]],
        settings: Settings | None = None,
        chunk: int | None = None,
    ) -> None:
        self._codes = codes
        self._scope = session_scope
        self._settings = settings or get_settings()
        self._chunk = max(1, chunk or LINK_CHUNK)
        self._urls: dict[str, str] = {}
        self._next = 0
        # Rendering runs in one thread, but nothing stops two from asking at once.
        self._lock = threading.Lock()

    def __getitem__(self, code: str) -> str:
        with self._lock:
            url = self._urls.get(code)
            if url is None:
                start = self._position(code)
                batch = self._codes[start : start + self._chunk]
                with self._scope() as session:
                    self._urls = unit_urls(session, unit_codes=batch, settings=self._settings)
                self._next = start + len(batch)
                url = self._urls[code]
            return url

    def _position(self, code: str) -> int:
        """Where `code` is in the audience: searched from the last chunk on, then from the start."""
        for start in (self._next, 0):
            with contextlib.suppress(ValueError):
                return self._codes.index(code, start)
        raise KeyError(code)
