"""The portal's foundations: unit links (derived, hashed, rotated), staff passwords, signed
values, rate limits, the upload cap and the Vietnamese error pages."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import select

from thidua.config import Settings, set_settings
from thidua.portal import accounts, links
from thidua.portal.app import create_app
from thidua.portal.campaigns import CampaignCatalog
from thidua.portal.ratelimit import RateLimiter
from thidua.portal.signing import Signer
from thidua.store.db import session_scope
from thidua.store.models import PortalLink

from .portal_fixtures import Portal

NOW = datetime(2026, 3, 2, 3, 0, tzinfo=UTC)


@pytest.fixture
def portal_settings(fresh_db: Engine, tmp_path: Path) -> Iterator[Settings]:
    settings = Settings(
        data_dir=tmp_path / "data",
        database_url=fresh_db.url.render_as_string(hide_password=False),
        portal_upload_mb=1,
        portal_rate_per_minute=5,
    )
    set_settings(settings)
    yield settings
    set_settings(None)


def test_a_link_is_stable_until_rotated_and_the_token_is_never_stored(
    portal_settings: Settings,
) -> None:
    with session_scope() as session:
        first = links.link_for(session, unit_code="SYT", now=NOW)
        assert links.link_for(session, unit_code="SYT", now=NOW) == first
        assert len(first) == links.TOKEN_LENGTH  # 256 bits, base64url
        stored = session.exec(select(PortalLink)).all()
        assert len(stored) == 1 and first not in (stored[0].nonce, stored[0].token_hash)
        fresh = links.rotate(session, unit_code="SYT", now=NOW)
    with session_scope() as session:
        assert links.resolve(session, first) == links.LinkState.REVOKED
        opened = links.resolve(session, fresh)
        assert isinstance(opened, links.ResolvedLink) and opened.unit_code == "SYT"
        assert links.resolve(session, fresh[:-1] + ("A" if fresh[-1] != "A" else "B")) == (
            links.LinkState.UNKNOWN
        )
        assert links.resolve(session, "../../etc/passwd") == links.LinkState.MALFORMED
        url = links.unit_url(session, unit_code="SYT")
    assert url == f"http://127.0.0.1:4300/u/{fresh}"


def test_links_need_the_secret(portal_settings: Settings, tmp_path: Path) -> None:
    with session_scope() as session:
        token = links.link_for(session, unit_code="SYT", now=NOW)
        row = session.exec(select(PortalLink)).one()
        assert links.token_of(row, b"\1" * 32) != token


def test_staff_passwords_are_scrypt_hashes(portal_settings: Settings) -> None:
    with session_scope() as session:
        user = accounts.add_user(session, username="lan.nt", password="mat-khau-dai-du")
        assert user.password_hash.startswith("scrypt$") and "mat-khau" not in user.password_hash
        with pytest.raises(accounts.AccountError, match="đã có"):
            accounts.add_user(session, username="lan.nt", password="mat-khau-khac-nua")
        with pytest.raises(accounts.AccountError, match="quá ngắn"):
            accounts.add_user(session, username="b", password="ngan")
    with session_scope() as session:
        assert accounts.authenticate(session, username="lan.nt", password="mat-khau-dai-du")
        assert not accounts.authenticate(session, username="lan.nt", password="sai-mat-khau-roi")
        assert not accounts.authenticate(session, username="khong-co", password="mat-khau-dai-du")


def test_signed_values_expire_and_stay_in_their_purpose() -> None:
    session, csrf = Signer(b"k" * 32, "session"), Signer(b"k" * 32, "csrf")
    signed = session.sign("lan.nt", now=NOW, lifetime=timedelta(hours=1))
    assert session.unsign(signed, now=NOW) == "lan.nt"
    assert session.unsign(signed, now=NOW + timedelta(hours=2)) is None
    assert csrf.unsign(signed, now=NOW) is None
    forged = Signer(b"k" * 32, "session").sign("admin", now=NOW, lifetime=timedelta(hours=1))
    assert (
        session.unsign(forged.split(".")[0] + "." + ".".join(signed.split(".")[1:]), now=NOW)
        is None
    )
    assert session.unsign("rác", now=NOW) is None


def test_rate_limit_window_slides() -> None:
    clock = [0.0]
    limiter = RateLimiter(2, lambda: clock[0])
    assert limiter.allow("a") == 0.0 and limiter.allow("a") == 0.0
    assert limiter.allow("a") > 0 and limiter.allow("b") == 0.0
    clock[0] = 61.0
    assert limiter.allow("a") == 0.0


def test_error_pages_are_vietnamese_and_limits_hold(portal_settings: Settings) -> None:
    clock = [0.0]
    client = TestClient(create_app(portal_settings, now=lambda: NOW, monotonic=lambda: clock[0]))
    missing = client.get("/khong-co")
    assert missing.status_code == 404 and "Không tìm thấy trang" in missing.text
    big = client.post("/", content=b"x" * (2 * 1024 * 1024))
    assert big.status_code == 413 and "vượt quá 1 MB" in big.text
    token = "A" * links.TOKEN_LENGTH
    answers = [client.get(f"/u/{token}").status_code for _ in range(6)]
    assert answers[-1] == 429, answers
    assert "Traceback" not in client.get(f"/u/{token}").text


def test_the_catalog_serves_recorded_campaigns_by_slug(portal: Portal) -> None:
    catalog = CampaignCatalog(portal.settings)
    slugs = {c.slug: c.code for c in catalog.all()}
    assert slugs == {"75nam-tdaq-kh-ubnd": "75NAM-TDAQ/KH-UBND", "7-kh-solieu": "7/KH-SOLIEU"}
    first = catalog.by_slug("7-kh-solieu")
    assert first is not None and catalog.by_slug("7-kh-solieu") is first  # loaded once
    assert catalog.by_slug("khong-co") is None
    assert portal.client.get(portal.unit_path("SO-A")).status_code in (200, 404)


def test_a_failed_acknowledgement_is_named_in_words_among_failures() -> None:
    from thidua.ledger.action_keys import receipt_action_key
    from thidua.ledger.failures import FailureRow, group_failures

    key = receipt_action_key("2023/000012")
    (failed,) = group_failures(
        [FailureRow("SYT", key, "0-mailto", "failed_permanent", "550 hộp thư không tồn tại")],
        [],
        reached=set(),
        names={"SYT": "Sở Y tế"},
    )
    assert failed.reason(ZoneInfo("Asia/Ho_Chi_Minh")) == (
        "Giấy báo tiếp nhận số 2023/000012: 550 hộp thư không tồn tại"
    )
