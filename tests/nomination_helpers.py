"""Shared pieces of the nomination tests: the seed campaigns, dossier files, store counts."""

from __future__ import annotations

import functools
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from thidua.campaign.loading import LoadedCampaign, load_campaign
from thidua.config import get_settings
from thidua.ledger.nominations import NominationInput, nominate
from thidua.store.db import session_scope
from thidua.store.models import Nomination, NominationEvent

from .conftest import CAMPAIGNS

HCM = ZoneInfo("Asia/Ho_Chi_Minh")
CODE_2023 = "75NAM-TDAQ/KH-UBND"
CODE_SNGV = "579/KH-SNgV"
BANG_KHEN = "Bằng khen của Chủ tịch Ủy ban nhân dân tỉnh"
DOSSIER_2023 = [
    "Tờ trình đề nghị khen thưởng",
    "Biên bản xét khen thưởng của Hội đồng thi đua, khen thưởng",
    "Báo cáo thành tích (mẫu số 07, Nghị định số 91/2017/NĐ-CP)",
]


@functools.cache
def seed_2023() -> LoadedCampaign:
    """The 2023 campaign: window 03-04/7/2023 (late refused), quota 01 / 02 per unit."""
    return load_campaign(CAMPAIGNS / "ubnd_2023_75_nam_thi_dua_ai_quoc.py")


@functools.cache
def sngv() -> LoadedCampaign:
    """Sở Ngoại vụ's campaign: 3 phòng, "không quá 30%", due before 25/5/2026 (late accepted)."""
    return load_campaign(CAMPAIGNS / "sngv_579_kh_2026_100_ngay_dem.py")


def at(text: str) -> datetime:
    """A local Asia/Ho_Chi_Minh time from "dd/mm/yyyy HH:MM"."""
    return datetime.strptime(text, "%d/%m/%Y %H:%M").replace(tzinfo=HCM)


def pdf(folder: Path, name: str, body: str = "") -> Path:
    """A small file that starts like a PDF (what the file check looks at)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(b"%PDF-1.4\n% " + (body or name).encode() + b"\n%%EOF\n")
    return path


def dossier(folder: Path, tag: str = "") -> list[tuple[str, str]]:
    """The three documents of the 2023 Bằng khen dossier, given by number."""
    names = ("to_trinh", "bien_ban", "bao_cao")
    return [
        (str(i), str(pdf(folder, f"{n}{tag}.pdf", f"{n} {tag}"))) for i, n in enumerate(names, 1)
    ]


def request(**changes: Any) -> NominationInput:
    """A valid individual nomination from SGDDT in the 2023 window, with `changes`."""
    fields: dict[str, Any] = {
        "unit": "SGDDT",
        "award": "Bằng khen",
        "kind": "cá nhân",
        "name": "Nguyễn Văn An",
        "position": "Trưởng phòng Giáo dục Trung học",
        "workplace": "Sở Giáo dục và Đào tạo",
        "achievement": "Hoàn thành xuất sắc nhiệm vụ 6 tháng đầu năm 2023",
        "documents": [],
        "at": at("03/07/2023 10:00"),
        "by": "Văn thư SGDDT",
    }
    return NominationInput(**{**fields, **changes})


def nominate_in(engine: Engine, loaded: LoadedCampaign, req: NominationInput) -> Nomination:
    """Nominate in its own committed transaction, as the CLI does."""
    with session_scope(engine) as session:
        return nominate(session, loaded, req, tz=HCM)


def stored_files() -> list[Path]:
    """Every file kept in the data dir's files folder."""
    root = get_settings().data_dir / "files"
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def store_state(engine: Engine) -> tuple[int, int, list[tuple[Any, ...]], list[Path]]:
    """Row counts, every nomination's status and documents, and stored files: to compare."""
    with Session(engine) as session:
        nominations = session.exec(select(func.count()).select_from(Nomination)).one()
        events = session.exec(select(func.count()).select_from(NominationEvent)).one()
        rows = [
            (n.id, n.status, n.documents)
            for n in session.exec(select(Nomination).order_by(Nomination.id))
        ]
    return nominations, events, rows, stored_files()
