"""Named exceptions and the `Problem` record every validator reports.

Every mistake a user can make (a campaign file, a units registry, a date phrase,
a setting) ends in a `ThiduaError`; the CLI prints its Vietnamese message and
exits non-zero without a traceback. Validators collect *all* problems first and
raise one `ValidationFailed` carrying them, so an admin fixes a file in one pass.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from collections.abc import Iterable

_UNSET: Any = object()


#: longer values are cut in messages: a pasted paragraph must not bury the problem
MAX_QUOTED = 1000


def quote(value: object) -> str:
    """Quote a user value for a message: strings in “…”, everything else as repr."""
    if isinstance(value, str):
        if len(value) > MAX_QUOTED:
            return f"“{value[:MAX_QUOTED]}…” ({len(value)} ký tự)"
        return f"“{value}”"
    if isinstance(value, int) and not isinstance(value, bool):
        return number_text(value)
    try:
        text = repr(value)
    except ValueError:  # a container holding an int too long to print
        return f"<{type(value).__name__}>"
    return text if len(text) <= MAX_QUOTED else f"{text[:MAX_QUOTED]}…"


def number_text(value: int) -> str:
    """An int as text; one too long for Python to print is described by its size."""
    if value.bit_length() > 3000:  # ~900 digits: nobody writes such a number on purpose
        digits = int(value.bit_length() * 0.30103) + 1
        return f"{'-' if value < 0 else ''}<số có khoảng {digits} chữ số>"
    return str(value)


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input, located by a field path.

    `path` uses dotted fields and [index] / [CODE] items, e.g.
    ``milestones[2].reminders[0]`` or ``units[SNGV].contacts[1]``.
    `message` is Vietnamese and says what is expected.
    """

    path: str
    message: str
    value: Any = _UNSET
    source: str | None = None
    severity: Literal["error", "warning"] = "error"
    #: the location in the input's data (fields, list indices, mapping keys), when known:
    #: the loader turns it into the path it prints and the line of the file that wrote it
    loc: tuple[str | int, ...] = ()

    @property
    def has_value(self) -> bool:
        return self.value is not _UNSET

    def render(self) -> str:
        where = f"{self.source}: " if self.source else ""
        field = f"{self.path}: " if self.path else ""
        shown = f" (giá trị: {quote(self.value)})" if self.has_value else ""
        label = "cảnh báo: " if self.severity == "warning" else ""
        return f"{where}{field}{label}{self.message}{shown}"


def did_you_mean(value: object, choices: Iterable[str], *, codes: bool = True) -> str:
    """“; có phải ý là “X”?” for the choice `value` was meant to be, or "" when none is close.

    Compared without case, marks or separators (“BTGDVTU” is “BTGDV-TU”). A code may
    then differ by one character left out, added or swapped with its neighbour; one
    character replaced is another code (“KHOI-B” is not “KHOI-A”) and is not offered.
    Field names (`codes=False`) may be a little further apart, by similarity.
    """
    if not isinstance(value, str) or not value.strip():
        return ""
    from thidua.text.fold import fold_words

    squeezed: dict[str, str] = {}
    for choice in choices:
        squeezed.setdefault(fold_words(choice, ""), choice)
    key = fold_words(value, "")
    if key in squeezed:
        found = squeezed[key]
        return f"; có phải ý là “{found}”?" if found != value else ""
    if codes:
        near = [c for k, c in squeezed.items() if _one_slip(key, k)]
    else:
        import difflib  # error path only

        near = [squeezed[k] for k in difflib.get_close_matches(key, list(squeezed), 1, 0.8)]
    return f"; có phải ý là “{near[0]}”?" if len(near) == 1 else ""


def _one_slip(a: str, b: str) -> bool:
    """Whether `b` is `a` with one character left out, added, or two neighbours swapped."""
    if abs(len(a) - len(b)) > 1 or min(len(a), len(b)) < 2:
        return False
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        return (
            len(diff) == 2
            and diff[1] == diff[0] + 1
            and a[diff[0]] == b[diff[1]]
            and a[diff[1]] == b[diff[0]]
        )
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    return any(long_[:i] + long_[i + 1 :] == short for i in range(len(long_)))


class ThiduaError(Exception):
    """Base for every error a user can cause; shown without a traceback."""


class PhraseError(ThiduaError, ValueError):
    """A date phrase or offset that cannot be understood; the message quotes it.

    Subclasses ValueError so that pydantic validators turn it into a field error.
    """

    def __init__(self, phrase: str, reason: str) -> None:
        self.phrase = phrase
        self.reason = reason
        super().__init__(f"không hiểu được cụm ngày tháng {quote(phrase)}: {reason}")


class SettingsError(ThiduaError):
    """A configuration value (environment variable or thidua.toml) is invalid."""


class ValidationFailed(ThiduaError):
    """An input has one or more problems; `problems` lists them all."""

    def __init__(self, subject: str, problems: list[Problem]) -> None:
        self.subject = subject
        self.problems = problems
        errors = [p for p in problems if p.severity == "error"]
        super().__init__(f"{subject}: {len(errors)} lỗi")

    def render(self) -> str:
        lines = [f"{self.subject}: {len(self.errors)} lỗi"]
        lines += [f"  - {p.render()}" for p in self.problems]
        return "\n".join(lines)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]


class RegistryError(ValidationFailed):
    """The units registry (YAML, CSV or XLSX) cannot be used as it is."""


class CampaignFileError(ValidationFailed):
    """A campaign file cannot be loaded or does not describe a valid campaign."""


class UnknownCampaign(ThiduaError):
    """No campaign with the given code or file exists."""


class SubmissionError(ThiduaError):
    """A submission that cannot be recorded as given; `field` names the input at fault.

    Fields: campaign, unit, milestone, occurrence, submitted_at, figures[.<target>],
    files, source. An error about several inputs carries them all in `errors`.
    """

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        value: Any = _UNSET,
        errors: Sequence[SubmissionError] = (),
    ) -> None:
        # First: in `OutsideWindow` the next class is NominationError, which sets its own
        # field; this error's field and value must be the ones kept.
        super().__init__(message)
        self.message = message
        self.field = field
        self.value = value
        self.errors: list[SubmissionError] = list(errors) or [self]

    @property
    def has_value(self) -> bool:
        return self.value is not _UNSET

    @classmethod
    def combine(cls, errors: Sequence[SubmissionError]) -> SubmissionError:
        """One error standing for several (each keeps its field for an import report)."""
        if len(errors) == 1:
            return errors[0]
        return cls("; ".join(e.message for e in errors), field=errors[0].field, errors=errors)


class InputError(ThiduaError):
    """A value given to a use case cannot be used; the message names the input in
    Vietnamese words, never a command-line flag.

    `field` names the input at fault by a stable key (e.g. nominee_name, achievement,
    documents, reason, unit, submitted_at, nominee_kind, position, workplace, state,
    group, period), or None; `also` the other inputs the same message names. A front end
    adds its own way of pointing at the field (the CLI its flag, `thidua.cli.flags`).
    """

    def __init__(
        self,
        message: str = "",
        *,
        field: str | None = None,
        value: Any = _UNSET,
        also: Sequence[str] = (),
    ) -> None:
        super().__init__(message)
        self.field = field
        self.value = value
        self.also = tuple(also)

    @property
    def fields(self) -> tuple[str, ...]:
        """Every input the message names, `field` first."""
        return ((self.field,) if self.field else ()) + self.also

    @property
    def has_value(self) -> bool:
        return self.value is not _UNSET


class NominationError(InputError):
    """A nomination cannot be recorded or moved as asked; nothing was changed.

    `field`: nominee_name, achievement, documents, reason, unit, submitted_at,
    nominee_kind, position, workplace, award (see InputError).
    """


class OutsideWindow(SubmissionError, NominationError):
    """Handed in outside a milestone's window (late, or before it opens) while the campaign
    says ``late="refuse"``; the message states the window.

    The one refusal for both ledgers: a report, a figure or a nomination dossier is refused
    by the same rule. It is a SubmissionError and a NominationError at once, so that the
    callers of each ledger, which catch their own family, see it as theirs (an import lists
    it against its row; the nomination CLI prints it).
    """


class StoreUnavailable(ThiduaError):
    """The state store cannot be reached; the message names its URL with the password masked."""

    def __init__(self, url: str, reason: str) -> None:
        # Masked again here so that no caller can leak a password through this message.
        self.url = re.sub(r"(://[^:/@]*:)[^@/]*@", r"\1***@", url)
        self.reason = reason
        super().__init__(f"không kết nối được kho lưu trạng thái {self.url}: {reason}")
