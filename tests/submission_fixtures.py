"""Fixtures of the submissions tests: a store per backend, settings pointing at it, a campaign
with targets and a window in a past year, and real files of each type."""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from thidua.cli.main import main
from thidua.config import Settings, set_settings

from .conftest import CAMPAIGNS, SMALL_REGISTRY

SEED_003 = "75NAM-TDAQ/KH-UBND"
CODE = "7/KH-SOLIEU"

#: Everything in 2024, so no submission time in these tests is ever in the future.
FIGURES_CAMPAIGN = """\
from thidua import *

campaign = Campaign(
    code="7/KH-SOLIEU",
    title="Đợt thi đua thử nghiệm số liệu",
    issuer="UBND tỉnh",
    issued="ngày 02/01/2024",
    period="năm 2024",
    organizer="BTDKT",
    registry="units.yaml",
    participants=Participants(groups=["KHOI-A", "CUM-X"]),
    targets=[
        Target(
            code="sang-kien",
            description="100% cán bộ có ít nhất 01 sáng kiến",
            numerator="Số cán bộ có sáng kiến",
            denominator="Tổng số cán bộ",
            goal="100%",
            per="year",
        ),
        Target(
            code="mo-hinh",
            description="Ít nhất 02 mô hình mới",
            numerator="Số mô hình mới",
            goal=2,
        ),
    ],
    milestones=[
        Milestone(kind="phát động", when="ngày 02/01/2024"),
        Milestone(
            kind="báo cáo",
            id="so-lieu-quy",
            title="Báo cáo số liệu chỉ tiêu",
            submit="số liệu chỉ tiêu",
            when="ngày 20 tháng cuối quý",
            recurrence=Recurrence(every="hằng quý"),
        ),
        Milestone(
            kind="hồ sơ khen thưởng",
            id="ho-so",
            title="Nộp hồ sơ đề nghị khen thưởng",
            when="trong ngày 04 và ngày 05 tháng 11 năm 2024",
            reminders=[3],
        ),
        Milestone(kind="báo cáo", id="bao-cao", when="chậm nhất ngày 10/12/2024", reminders=[3]),
    ],
)
"""


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """`thidua …` in this process: exit code, stdout, stderr (never a traceback)."""
    try:
        code = main(list(args))
    except SystemExit as exc:  # argparse usage errors
        code = exc.code
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


@pytest.fixture
def campaigns(tmp_path: Path) -> Path:
    """A campaigns folder: the 2023 seed plan (with its registry) and the figures campaign."""
    folder = tmp_path / "campaigns"
    folder.mkdir()
    for name in ("ubnd_2023_75_nam_thi_dua_ai_quoc.py", "units_2023.yaml"):
        (folder / name).write_bytes((CAMPAIGNS / name).read_bytes())
    (folder / "attachments").mkdir()
    for attachment in (CAMPAIGNS / "attachments").iterdir():
        (folder / "attachments" / attachment.name).write_bytes(attachment.read_bytes())
    (folder / "units.yaml").write_text(SMALL_REGISTRY, encoding="utf-8")
    (folder / "so_lieu.py").write_text(FIGURES_CAMPAIGN, encoding="utf-8")
    return folder


@pytest.fixture
def store(fresh_db: Engine, tmp_path: Path, campaigns: Path) -> Iterator[Engine]:
    """Settings whose state store is `fresh_db` (SQLite or PostgreSQL) and data dir is tmp."""
    url = fresh_db.url.render_as_string(hide_password=False)
    set_settings(
        Settings(
            data_dir=tmp_path / "data",
            campaigns_dir=campaigns,
            registry=campaigns / "units.yaml",
            database_url=url,
        )
    )
    yield fresh_db
    set_settings(None)


# --- real files ---------------------------------------------------------------------------


def write_pdf(path: Path, text: str = "Báo cáo") -> Path:
    """A small but real one-page PDF."""
    content = f"BT /F1 12 Tf 72 720 Td ({text.encode('ascii', 'replace').decode()}) Tj ET"
    objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        "/Resources << /Font << /F1 5 0 R >> >> >>",
        f"<< /Length {len(content)} >>\nstream\n{content}\nendstream",
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = b"%PDF-1.4\n"
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n{body}\nendobj\n".encode()
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    out += (
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    )
    path.write_bytes(out)
    return path


def write_docx(path: Path, text: str = "Tờ trình đề nghị khen thưởng") -> Path:
    import docx

    document = docx.Document()
    document.add_paragraph(text)
    document.save(str(path))
    return path


def write_xlsx(path: Path, rows: list[list[object]]) -> Path:
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def write_png(path: Path) -> Path:
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    body = chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00\x00")) + chunk(b"IEND", b"")
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + body)
    return path


def write_zip(path: Path) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("readme.txt", "không phải tài liệu Office")
    return path
