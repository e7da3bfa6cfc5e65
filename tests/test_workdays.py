import datetime as dt

import pytest

from zhifa.rules.workdays import CalendarGapError, add_months, from_chinese_calendar

CAL = from_chinese_calendar(2024)
D = dt.date.fromisoformat


@pytest.mark.parametrize(
    "start,n,end",
    [
        ("2025-09-30", 7, "2025-10-16"),
        ("2025-09-26", 5, "2025-10-10"),
        ("2025-09-29", 5, "2025-10-13"),
        ("2026-02-09", 5, "2026-02-14"),
        ("2026-02-09", 10, "2026-02-28"),
        ("2026-02-11", 7, "2026-02-27"),
        ("2026-02-12", 7, "2026-02-28"),
        ("2026-02-13", 7, "2026-03-02"),
    ],
)
def test_add_workdays_matches_legal_rules_examples(start, n, end):
    assert CAL.add_workdays(D(start), n) == D(end)


def test_unknown_year_is_a_clear_error():
    with pytest.raises(CalendarGapError) as exc:
        CAL.add_workdays(D("2026-12-28"), 10)
    assert "缺少2027年节假日安排" in str(exc.value)


def test_roll_forward_and_months():
    assert CAL.roll_forward(D("2025-10-01")) == D("2025-10-09")
    assert CAL.roll_forward(D("2025-10-11")) == D("2025-10-11")  # 调休 Saturday is a working day
    assert add_months(D("2025-08-31"), 6) == D("2026-02-28")
