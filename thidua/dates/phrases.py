"""Parse the date phrases of Vietnamese plans: "quý IV/2027", "chậm nhất ngày 10/7/2023", …

Text is folded and normalised (`thidua.dates.lexing`), read by the grammar
(`thidua.dates.grammar`) into a parse tree (`thidua.dates.phrase_tree`) whose nodes compute
the days (`thidua.dates.span.DateSpan`). A phrase may lack its year
("15/12") or quarter ("ngày 15 tháng cuối quý"): `Phrase.resolve` supplies them, which
is how recurring deadlines are written.
"""

from __future__ import annotations

from datetime import date, datetime

from thidua.dates.grammar import parse_text
from thidua.dates.lexing import EDGE_PUNCT, MAX_PHRASE_LENGTH, lazy, normalize
from thidua.dates.phrase_tree import BadDate, Node, NoMatch, day_text
from thidua.dates.span import MAX_YEAR, MIN_YEAR, DateSpan
from thidua.errors import PhraseError, quote
from thidua.text.fold import fold
from thidua.text.values import value_text

_EXAMPLES = "“15/5/2026”, “chậm nhất ngày 10/7/2023”, “quý IV/2027”, “từ 10/02/2026 đến 20/5/2026”"
_UNRECOGNISED = f"không nhận ra ngày tháng; ví dụ cách viết đúng: {_EXAMPLES}"
_RX_ENDS_DAY_MONTH = lazy(r"\d{1,2}\s*[/.-]\s*\d{1,2}$")


class Phrase:
    """A parsed date phrase; `resolve` gives its days once any missing year/quarter is known."""

    __slots__ = ("_node", "_span", "needs_quarter", "needs_year", "text")

    def __init__(self, text: str, node: Node) -> None:
        self.text = text
        self._node = node
        self.needs_year: bool = node.needs_year
        self.needs_quarter: bool = node.needs_quarter
        self._span: DateSpan | None = None
        if not (self.needs_year or self.needs_quarter):
            self._span = DateSpan(*node.span(None, None), text)
        else:
            self._probe()

    def _probe(self) -> None:
        """Reject a phrase that no year/quarter could make valid ("từ 20/5 đến 10/02")."""
        first: BadDate | None = None
        for year in (2000, 2001):
            for quarter in (1, 2, 3, 4):
                try:
                    self._node.span(year, quarter)
                    return
                except BadDate as exc:
                    first = first or exc
        assert first is not None
        raise first

    def __repr__(self) -> str:
        needs = f"needs_year={self.needs_year}, needs_quarter={self.needs_quarter}"
        return f"Phrase({self.text!r}, {needs})"

    @property
    def is_complete(self) -> bool:
        """True when the phrase names its days without a year or quarter from outside."""
        return self._span is not None

    def resolve(self, year: int | None = None, quarter: int | None = None) -> DateSpan:
        """The days this phrase names; `year`/`quarter` fill in what the phrase omits."""
        if self._span is not None:
            return self._span
        if self.needs_quarter and (quarter is None or year is None):
            raise PhraseError(
                self.text,
                "cụm này tính theo quý nên cần biết quý và năm; "
                "chỉ dùng được cho lịch lặp lại hằng quý",
            )
        if year is None:
            raise PhraseError(
                self.text, f"thiếu năm; hãy ghi rõ năm, ví dụ {quote(self._year_example())}"
            )
        if isinstance(year, bool) or not isinstance(year, int) or not MIN_YEAR <= year <= MAX_YEAR:
            raise PhraseError(
                self.text, f"năm {quote(year)} nằm ngoài khoảng {MIN_YEAR}–{MAX_YEAR}"
            )
        if self.needs_quarter and (
            isinstance(quarter, bool) or not isinstance(quarter, int) or not 1 <= quarter <= 4
        ):
            raise PhraseError(self.text, f"quý {quote(quarter)} không hợp lệ; quý phải từ I đến IV")
        try:
            start, end = self._node.span(year, quarter)
        except BadDate as exc:
            raise PhraseError(self.text, exc.reason) from None
        return DateSpan(start, end, self.text)

    def _year_example(self) -> str:
        text = self.text.strip().rstrip(EDGE_PUNCT)
        folded = fold(text)
        this_year = date.today().year
        words = text.split()
        if folded.endswith(("hang nam", "moi nam")) and len(words) > 2:
            text = " ".join(words[:-2])
            folded = fold(text)
        if _RX_ENDS_DAY_MONTH.search(folded):
            return f"{text}/{this_year}"
        if folded.endswith("nam"):
            return f"{text} {this_year}"
        return f"{text} năm {this_year}"


def parse_phrase(text: str) -> Phrase:
    """Parse a Vietnamese date phrase; PhraseError (quoting it) if it names no real date."""
    if not isinstance(text, str):
        raise PhraseError(value_text(text), f"cần một cụm ngày tháng dạng chữ, ví dụ {_EXAMPLES}")
    if len(text) > MAX_PHRASE_LENGTH:
        raise PhraseError(
            text, f"quá dài (tối đa {MAX_PHRASE_LENGTH} ký tự); chỉ ghi cụm ngày tháng"
        )
    try:
        s = normalize(text)
        if not s:
            raise BadDate(f"không có ngày tháng nào; ví dụ cách viết đúng: {_EXAMPLES}")
        return Phrase(text, parse_text(s))
    except BadDate as exc:
        raise PhraseError(text, exc.reason) from None
    except NoMatch:
        raise PhraseError(text, _UNRECOGNISED) from None
    except (ArithmeticError, AssertionError, LookupError, ValueError, TypeError) as exc:
        # Last-resort net: the contract is that bad text only ever yields PhraseError.
        raise PhraseError(text, _UNRECOGNISED) from exc


def parse_date(
    text: str | date, *, year: int | None = None, quarter: int | None = None
) -> DateSpan:
    """Parse and resolve a phrase (or wrap a date) into a DateSpan."""
    if isinstance(text, datetime):
        text = text.date()
    if isinstance(text, date):
        return DateSpan(text, text, day_text(text))
    return parse_phrase(text).resolve(year, quarter)
