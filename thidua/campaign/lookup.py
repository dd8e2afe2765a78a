"""Find a campaign by its code (số ký hiệu), for commands that take a code, not a file.

The deployed file recorded in the store wins; otherwise the campaigns folder is
searched. Files are pre-filtered by the code's text, because loading a campaign
(its registry, its cross-checks) costs far more than reading its source.
"""

from __future__ import annotations

from pathlib import Path

from thidua.campaign.loading import LoadedCampaign, load_campaign, read_specs
from thidua.config import get_settings
from thidua.errors import UnknownCampaign


def _recorded_file(code: str) -> Path | None:
    """The file the campaign was deployed from, when the store knows it and it still exists."""
    from thidua.store import campaign_rows
    from thidua.store.db import session_scope

    with session_scope() as session:
        record = campaign_rows.get_campaign(session, code=code)
        path = Path(record.file) if record is not None else None
    return path if path is not None and path.is_file() else None


def campaign_files(folder: Path | None = None) -> list[Path]:
    """The campaign files of the campaigns folder, by name."""
    folder = folder or get_settings().campaigns_dir
    return sorted(folder.glob("*.py"))


def find_campaign(
    code: str, *, folder: Path | None = None, use_store: bool = True
) -> LoadedCampaign:
    """The valid campaign whose code is `code`; UnknownCampaign naming the known codes."""
    code = code.strip()
    recorded = _recorded_file(code) if use_store else None
    candidates = [recorded] if recorded else []
    candidates += [
        path
        for path in campaign_files(folder)
        if path != recorded and code in path.read_text(encoding="utf-8", errors="replace")
    ]
    specs = read_specs(candidates)  # one child process for all candidates
    for path in candidates:
        spec, _ = specs[path]
        if spec is not None and spec.code == code:
            return load_campaign(path, specs=specs)
    known = sorted(spec.code for spec, _ in read_specs(campaign_files(folder)).values() if spec)
    raise UnknownCampaign(
        f"không có đợt thi đua mã “{code}” (các mã hiện có: {', '.join(known) or 'chưa có'})"
    )
