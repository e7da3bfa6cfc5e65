"""The one working-day calendar (WorkCalendar with its ordinal index) against the day-by-day walk
that WorkCalendar was before the index was folded in (the reference below is that code)."""

from __future__ import annotations

import datetime as dt

import pytest

from zhifa.rules.workdays import CalendarGapError, WorkCalendar

D = dt.date.fromisoformat
DAY = dt.timedelta(days=1)


class Walk:
    """The former WorkCalendar: every answer by walking day by day."""

    def __init__(self, cal: WorkCalendar) -> None:
        self.years, self.holidays, self.workdays = cal.years, cal.holidays, cal.workdays

    def is_workday(self, d: dt.date) -> bool:
        if d.year not in self.years:
            raise CalendarGapError(d.year)
        if d in self.workdays:
            return True
        if d in self.holidays:
            return False
        return d.weekday() < 5

    def add_workdays(self, start: dt.date, n: int) -> dt.date:
        if n < 1:
            raise ValueError("工作日数必须为正整数")
        d, counted = start, 0
        while counted < n:
            d += DAY
            if self.is_workday(d):
                counted += 1
        return d

    def roll_forward(self, d: dt.date) -> dt.date:
        while not self.is_workday(d):
            d += DAY
        return d

    def workdays_between(self, start: dt.date, end: dt.date) -> int:
        n, d = 0, start
        while d < end:
            d += DAY
            if self.is_workday(d):
                n += 1
        return n


def outcome(fn, *args):
    """The answer, or the year of the CalendarGapError raised."""
    try:
        return fn(*args)
    except CalendarGapError as exc:
        return ("gap", exc.year)


def test_agrees_with_the_walk_over_several_years(cal):
    new = WorkCalendar.build(cal.years, cal.holidays, cal.workdays)  # a fresh, unindexed value
    old = Walk(cal)
    last = max(cal.years)
    d = dt.date(2019, 12, 20)  # from the year before the calendar to the year after it
    while d <= dt.date(last + 1, 1, 10):
        for n in (1, 2, 5, 7, 10, 15, 30):
            assert outcome(new.add_workdays, d, n) == outcome(old.add_workdays, d, n), (d, n)
        assert outcome(new.is_workday, d) == outcome(old.is_workday, d), d
        assert outcome(new.roll_forward, d) == outcome(old.roll_forward, d), d
        for k in (0, 1, 17, 45):
            e = d + dt.timedelta(days=k)
            assert outcome(new.workdays_between, d, e) == outcome(old.workdays_between, d, e), (d, e)
        d += DAY


def test_agrees_with_the_walk_on_calendars_with_holes_and_edges():
    cals = [
        WorkCalendar.build([2020, 2022, 2023], [D("2022-12-30")], [D("2022-12-31")]),
        WorkCalendar.build([2026], [D("2026-12-31")], []),
        WorkCalendar.build([], [], []),
    ]
    for c in cals:
        old = Walk(c)
        d = dt.date(2019, 12, 1)
        while d <= dt.date(2027, 1, 31):
            for n in (1, 5, 10):
                assert outcome(c.add_workdays, d, n) == outcome(old.add_workdays, d, n), (c.years, d, n)
            assert outcome(c.roll_forward, d) == outcome(old.roll_forward, d), (c.years, d)
            e = d + dt.timedelta(days=40)
            assert outcome(c.workdays_between, d, e) == outcome(old.workdays_between, d, e), (c.years, d)
            d += dt.timedelta(days=3)


def test_index_is_a_cache_not_part_of_the_value(cal):
    a = WorkCalendar.build(cal.years, cal.holidays, cal.workdays)
    b = WorkCalendar.build(cal.years, cal.holidays, cal.workdays)
    a.add_workdays(D("2025-09-30"), 7)  # builds a's index
    assert a == b and hash(a) == hash(b) and "_index" not in repr(a)
    with pytest.raises(ValueError, match="工作日数必须为正整数"):
        a.add_workdays(D("2025-09-30"), 0)


def test_a_far_flung_year_walks_instead_of_indexing():
    c = WorkCalendar.build([2026, 2999], [], [])
    assert c.add_workdays(D("2026-12-30"), 1) == D("2026-12-31")
    with pytest.raises(CalendarGapError) as exc:
        c.add_workdays(D("2026-12-30"), 3)
    assert exc.value.year == 2027
