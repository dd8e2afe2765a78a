"""The refusal of a second submission for the same unit and occurrence.

Apart from `thidua.ledger.submissions` so that the store, which detects a concurrent
duplicate at insert time, can raise it without importing the ledger that uses it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from thidua.errors import SubmissionError
from thidua.ledger.statuses import SubmissionSource
from thidua.ledger.timing import local_text

if TYPE_CHECKING:
    from thidua.store.models import Submission


#: What the one who submitted again can do, where they are (a unit on the portal cannot
#: replace a record; the office can). The office's own front ends say how they ask for a
#: replacement (the CLI names its flag when it prints the error).
_ASK_TO_REPLACE = "muốn thay thế bản đó thì ghi nhận lại và chọn thay thế bản đã có"
_HOW_TO_REPLACE = {
    SubmissionSource.PORTAL.value: "muốn thay thế bản đó, hãy liên hệ Ban Thi đua - Khen thưởng"
}


class DuplicateSubmission(SubmissionError):
    """The unit already submitted for this milestone occurrence; replacing must be asked for."""

    def __init__(
        self, existing: Submission, *, unit_name: str | None = None, source: str = "cli"
    ) -> None:
        self.existing = existing
        who = unit_name or f"đơn vị “{existing.unit_code}”"
        occurrence = f" kỳ “{existing.occurrence}”" if existing.occurrence else ""
        via = SubmissionSource.label_of(existing.source)
        super().__init__(
            f"{who} đã nộp cho mốc “{existing.milestone}”{occurrence}: bản nộp lúc "
            f"{local_text(existing.submitted_at)} đã được ghi nhận lúc "
            f"{local_text(existing.recorded_at)} (qua {via}); {_HOW_TO_REPLACE.get(source, _ASK_TO_REPLACE)}",
            field="unit",
            value=existing.unit_code,
        )
