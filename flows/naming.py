"""What Prefect shows of a campaign (names, description, version) and of the weekly digest;
no Prefect import here."""

from __future__ import annotations

import hashlib
from datetime import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the CLI imports this module to build its parser: keep it light
    from thidua.campaign.loading import LoadedCampaign
    from thidua.campaign.plan import Plan


def deployment_name(code: str) -> str:
    """Prefect deployment names may not contain “/”: 641/KH-UBND → 641-KH-UBND."""
    return code.replace("/", "-")


def relative_file(path: Path) -> str:
    """The campaign file as the worker will open it: relative to the project when possible."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path.resolve())


def spec_hash(loaded: LoadedCampaign) -> str:
    """A fingerprint of everything a campaign's dates derive from: its file and registry."""
    digest = hashlib.sha256(loaded.path.read_bytes())
    registry = Path(loaded.registry.source)
    if registry.is_file():
        digest.update(registry.read_bytes())
    return digest.hexdigest()[:16]


def description(loaded: LoadedCampaign, plan: Plan) -> str:
    """The deployment's description in the UI: the plan and its milestones."""
    spec = loaded.spec
    lines = [
        f"**{spec.doc_reference}** — {spec.title}",
        "",
        f"{spec.issuer}; thời gian thực hiện {spec.period.start:%d/%m/%Y} – {spec.period.end:%d/%m/%Y}; "
        f"{len(plan.participants)} đơn vị tham gia; cơ quan tổ chức {spec.organizer}.",
        "",
        "| Mốc | Hạn |",
        "| --- | --- |",
    ]
    for occ in plan.occurrences:
        label = occ.milestone.label + (f" {occ.label}" if occ.label else "")
        lines.append(f"| {label} | {occ.due:%d/%m/%Y} |")
    return "\n".join(lines)


#: The weekly digest's flow and deployment (flows/digest.py), and what the UI says of it.
DIGEST_FLOW = "ban-tin-tuan"
DIGEST_DEPLOYMENT = "hang-tuan"
DIGEST_ENTRYPOINT = "flows/digest.py:weekly_digest"
DIGEST_TAGS = ["thidua", "ban-tin-tuan"]
DIGEST_DESCRIPTION = (
    "Bản tin tuần: vào ngày làm việc đầu tuần, lúc giờ gửi thông báo, mỗi đơn vị đăng ký "
    "nhận bản tin (`digest: weekly` trong danh mục đơn vị) nhận một thư liệt kê các nội dung "
    "còn phải gửi trong 14 ngày tới của mọi đợt thi đua, thay cho các thông báo nhắc hạn. "
    "Lịch chạy từ thứ Hai đến thứ Bảy; lượt chạy không rơi vào ngày làm việc đầu tuần "
    "kết thúc ngay."
)


def digest_cron(notice_time: time) -> str:
    """Monday to Saturday (a Saturday worked in a holiday swap) at the notice time: “0 8 * * 1-6”."""
    return f"{notice_time.minute} {notice_time.hour} * * 1-6"
