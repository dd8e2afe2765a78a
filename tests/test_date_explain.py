"""`thidua date` explains recurrence words and states the effective deadline of a day."""

from __future__ import annotations

from datetime import date

import pytest

from thidua.campaign.explain import UnclearPeriod, explain
from thidua.cli.main import main
from thidua.dates.workdays import WorkCalendar
from thidua.errors import PhraseError


@pytest.mark.parametrize(
    ("phrase", "every", "slots"),
    [
        ("hằng năm", "yearly", 1),
        ("Hàng năm", "yearly", 1),
        ("6 tháng", None, 2),
        ("định kỳ 6 tháng", None, 2),
        ("hằng quý", "quarterly", 4),
        ("hằng tháng", None, 12),
    ],
)
def test_a_recurrence_word_is_explained_not_rejected(
    phrase: str, every: str | None, slots: int
) -> None:
    explained = explain(phrase)
    assert explained.lines[0].startswith(f"“{phrase}” → mốc lặp lại")
    assert len(explained.data["slots"]) == slots
    if every:  # the model takes it: the line to write in a campaign file is given
        assert explained.data["recurrence"] == every
        assert f'recurrence=Recurrence(every="{phrase}")' in explained.lines[-1]


def test_six_monthly_names_both_periods_of_a_year() -> None:
    text = "\n".join(explain("6 tháng").lines)
    assert "6 tháng đầu năm (01/01 – 30/6)" in text and "cả năm (01/01 – 31/12)" in text


def test_a_half_year_without_its_year_says_what_it_covers() -> None:
    text = "\n".join(explain("6 tháng đầu năm").lines)
    assert "từ 01/01 đến 30/6" in text and "--nam" in text
    assert explain("6 tháng đầu năm", year=2026).data["end"] == "2026-06-30"


@pytest.mark.parametrize("phrase", ["định kỳ", "Định kỳ", "báo cáo định kỳ"])
def test_dinh_ky_alone_is_refused_with_the_forms_that_work(phrase: str) -> None:
    with pytest.raises(UnclearPeriod) as info:
        explain(phrase)
    message = str(info.value)
    for form in ("“hằng năm”", "“6 tháng”", "“hằng quý”", "“hằng tháng”", "danh sách ngày"):
        assert form in message


def test_a_deadline_on_a_weekend_shows_the_effective_day_next_to_the_written_one() -> None:
    explained = explain("chậm nhất ngày 10/7/2027", calendar=WorkCalendar())
    assert explained.data == {
        "start": "2027-07-10",
        "end": "2027-07-10",
        "effective_end": "2027-07-12",
    }
    assert "10/07/2027 (thứ Bảy)" in explained.lines[0]
    assert "hạn thực tế là hết ngày 12/07/2027 (thứ Hai)" in explained.lines[1]


def test_a_holiday_is_named_and_a_working_day_is_not_moved() -> None:
    cal = WorkCalendar(
        {date(2026, 4, 30): "Ngày Chiến thắng", date(2026, 5, 1): "Quốc tế Lao động"}
    )
    moved = explain("ngày 30/4/2026", calendar=cal)
    assert moved.data["effective_end"] == "2026-05-04" and "(Ngày Chiến thắng)" in moved.lines[1]
    kept = explain("15/5/2026", calendar=cal)
    assert kept.data["effective_end"] == "2026-05-15" and "ngày làm việc" in kept.lines[1]


def test_nonsense_is_still_a_phrase_error() -> None:
    with pytest.raises(PhraseError):
        explain("khi nào xong")


def test_the_command_prints_the_explanation_and_refuses_dinh_ky(capsys) -> None:
    assert main(["date", "hằng", "quý"]) == 0
    assert "mốc lặp lại" in capsys.readouterr().out
    assert main(["date", "định kỳ"]) == 1
    err = capsys.readouterr().err
    assert "“hằng tháng”" in err and "Traceback" not in err
