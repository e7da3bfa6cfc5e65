"""Deadline computations (LEGAL-RULES §2–§4) and the precomputed calendar."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from rules.builders import ev, general, penalty
from zhifa.rules import deadlines as dl
from zhifa.rules.workdays import CalendarGapError, WorkCalendar

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
def test_fast_calendar_on_legal_rules_examples(cal, start, n, end):
    assert dl.fast(cal).add_workdays(D(start), n) == D(end)


def test_fast_calendar_agrees_with_workcalendar_everywhere(cal):
    fc = dl.fast(cal)
    assert dl.fast(cal) is fc and dl.fast(fc) is fc
    d = dt.date(2024, 12, 1)
    while d <= dt.date(2026, 11, 30):
        for n in (1, 3, 5, 7, 10):
            assert fc.add_workdays(d, n) == cal.add_workdays(d, n), (d, n)
        assert fc.roll_forward(d) == cal.roll_forward(d)
        assert fc.is_workday(d) == cal.is_workday(d)
        e = d + dt.timedelta(days=17)
        assert fc.workdays_between(d, e) == cal.workdays_between(d, e)
        d += dt.timedelta(days=1)


def test_fast_calendar_gap_errors_like_workcalendar():
    small = WorkCalendar.build([2025, 2026], [], [])
    fc = dl.fast(small)
    with pytest.raises(CalendarGapError) as exc:
        fc.add_workdays(D("2026-12-28"), 10)
    assert exc.value.year == 2027 and "缺少2027年节假日安排" in str(exc.value)
    with pytest.raises(CalendarGapError):
        fc.roll_forward(D("2026-12-31") + dt.timedelta(days=2))
    with pytest.raises(CalendarGapError):
        dl.fast(WorkCalendar.build([2026], [D("2026-12-31")], [])).roll_forward(D("2026-12-31"))
    # a start in the year before the calendar still counts from the first known day
    assert fc.add_workdays(D("2024-12-31"), 1) == small.add_workdays(D("2024-12-31"), 1)
    holes = WorkCalendar.build([2020, 2022], [], [])
    with pytest.raises(CalendarGapError) as exc:
        dl.fast(holes).add_workdays(D("2020-12-30"), 5)
    assert exc.value.year == 2021


def test_later_than_decides_without_the_missing_year():
    small = dl.fast(WorkCalendar.build([2026], [], []))
    assert dl.later_than(D("2026-12-30"), lambda: small.add_workdays(D("2026-12-28"), 10)) is False
    with pytest.raises(CalendarGapError):
        dl.later_than(D("2027-01-20"), lambda: small.add_workdays(D("2026-12-28"), 10))


def test_statement_and_hearing_periods(cal):
    assert dl.statement_period_end(D("2025-09-26"), 5, False, cal) == D("2025-10-10")
    assert dl.statement_period_end(D("2026-02-09"), 3, True, cal) == D("2026-02-14")  # raised to 5
    assert dl.statement_period_end(D("2025-09-26"), 0, False, cal) == D("2025-09-26")
    assert dl.hearing_request_end(D("2025-09-29"), cal) == D("2025-10-13")


def test_agency_limits_never_roll_forward():
    assert dl.decision_limit(D("2025-04-01")) == D("2025-06-30")
    assert dl.decision_limit(D("2025-07-03")) == D("2025-10-01")  # a holiday, still the limit
    assert dl.seizure_allowed_end(D("2025-08-04")) == D("2025-09-03")
    assert dl.seizure_allowed_end(D("2025-08-04"), 30) == D("2025-10-03")
    assert dl.seizure_allowed_end(D("2025-08-04"), 45) == D("2025-10-03")
    assert dl.limitation_end(D("2023-11-20"), False) == D("2025-11-20")
    assert dl.limitation_end(D("2024-02-29"), True) == D("2029-02-28")


def test_service_and_disclosure(cal):
    assert dl.service_deadline(D("2025-09-30"), cal) == D("2025-10-16")
    assert dl.service_deadline(D("2026-02-12"), cal) == D("2026-02-28")
    assert dl.disclosure_deadline(D("2026-02-11"), cal) == D("2026-02-27")


def test_party_periods_roll_forward(cal):
    assert dl.payment_due(D("2025-10-13"), cal) == D("2025-10-28")
    assert dl.payment_due(D("2025-09-16"), cal) == D("2025-10-09")  # 10-01 → after 国庆
    assert dl.payment_due(D("2026-02-13"), cal) == D("2026-02-28")  # a 调休 Saturday: no roll
    assert dl.litigation_end(D("2025-01-14"), True, cal) == D("2025-07-14")
    assert dl.litigation_end(D("2025-04-28"), False, cal) == D("2026-04-28")
    assert dl.litigation_end(D("2025-04-01"), True, cal) == D("2025-10-09")  # 10-01 rolled
    assert dl.court_window(D("2025-01-14"), True, cal) == (D("2025-07-14"), D("2025-10-14"))
    assert dl.reminder_end(D("2026-02-09"), cal) == D("2026-02-28")


def test_remedy_notice_completeness():
    full = {
        "reconsideration_body": "县人民政府",
        "reconsideration_days": 60,
        "court": "县法院",
        "litigation_months": 6,
    }
    assert dl.remedy_notice_complete(full)
    assert not dl.remedy_notice_complete(None)
    assert not dl.remedy_notice_complete({**full, "litigation_months": 3})
    assert not dl.remedy_notice_complete({**full, "reconsideration_days": 30})
    assert not dl.remedy_notice_complete({**full, "court": ""})
    assert not dl.remedy_notice_complete({**full, "reconsideration_body": None})


def test_allowed_surcharge():
    assert dl.allowed_surcharge(1000, D("2025-10-28"), D("2025-11-07")) == (10, Decimal("300.00"))
    assert dl.allowed_surcharge(2000, D("2025-05-21"), D("2025-07-30"))[1] == Decimal("2000.00")
    assert dl.allowed_surcharge(333, D("2025-05-21"), D("2025-05-22"))[1] == Decimal("9.99")
    assert dl.allowed_surcharge(1000, D("2025-05-21"), D("2025-05-20")) == (-1, Decimal("0.00"))


def test_upcoming_deadlines_of_a_live_case(cal):
    c = general(decided=None, served=None, notice="2025-09-26", filed="2025-09-01", as_of="2025-09-30")
    got = {(code, due) for code, _label, due, _art in dl.upcoming_deadlines(c, D("2025-09-30"), cal)}
    assert ("PEN-STATEMENT-PERIOD", D("2025-09-30")) in got  # 3 working days after 09-26 (09-28 worked)
    assert ("PEN-DECISION-90D", D("2025-11-30")) in got
    c = general(decided="2025-09-30", served=None, as_of="2025-10-09")
    items = dl.upcoming_deadlines(c, D("2025-10-09"), cal)
    assert (
        "PEN-SERVICE-7WD",
        "处罚决定书送达期限（七个工作日）",
        D("2025-10-16"),
        "《行政处罚法》第六十一条、第八十五条",
    ) in items
    assert [i[2] for i in items] == sorted(i[2] for i in items)
    # passed deadlines are not listed
    assert not [i for i in dl.upcoming_deadlines(c, D("2025-10-17"), cal) if i[0] == "PEN-SERVICE-7WD"]


def test_upcoming_deadlines_after_service(cal):
    c = general(
        "2025-01-10", "2025-01-14", "2025-01-02", "2024-12-30", as_of="2025-01-20", decision=penalty(5000)
    )
    got = {(code, due) for code, _l, due, _a in dl.upcoming_deadlines(c, D("2025-01-20"), cal)}
    assert ("PEN-SURCHARGE", D("2025-02-05")) in got  # 01-29 is 春节 → next working day 02-05
    assert ("COE-COURT-WINDOW", D("2025-07-14")) in got
    assert ("COE-COURT-WINDOW", D("2025-10-14")) in got
    c["events"].append(ev("seizure_started", "2025-01-20"))
    got = {(code, due) for code, _l, due, _a in dl.upcoming_deadlines(c, D("2025-01-20"), cal)}
    assert ("COE-SEIZURE-30D", D("2025-02-19")) in got


def test_upcoming_deadline_in_an_unpublished_year_has_no_date():
    small = WorkCalendar.build([2026], [], [])
    c = general(
        decided="2026-12-28", served=None, notice="2026-12-01", filed="2026-11-30", as_of="2026-12-29"
    )
    items = dl.upcoming_deadlines(c, D("2026-12-29"), small)
    assert (
        "PEN-SERVICE-7WD",
        "处罚决定书送达期限（七个工作日）",
        None,
        "《行政处罚法》第六十一条、第八十五条",
    ) in items
    assert items[-1][2] is None
