"""The working-day calendar of the State Council (法定节假日 and 调休), as a pure value.

A working day is Monday–Friday minus the statutory holidays plus the worked weekend days.
The arrangement of a year is known only once published, so a date in a year without data
raises `CalendarGapError` instead of silently falling back to Monday–Friday.
"""

from __future__ import annotations

import calendar as _cal
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field


class CalendarGapError(ValueError):
    """A computation needs a year whose holiday arrangement is not in the calendar."""

    def __init__(self, year: int):
        self.year = year
        super().__init__(f"缺少{year}年节假日安排，无法计算工作日期限")


@dataclass(frozen=True)
class WorkCalendar:
    years: frozenset[int]
    holidays: frozenset[dt.date] = field(default_factory=frozenset)
    workdays: frozenset[dt.date] = field(default_factory=frozenset)  # 调休上班日

    @classmethod
    def build(cls, years: Iterable[int], holidays: Iterable[dt.date], workdays: Iterable[dt.date]):
        return cls(frozenset(years), frozenset(holidays), frozenset(workdays))

    def _check(self, d: dt.date) -> None:
        if d.year not in self.years:
            raise CalendarGapError(d.year)

    def is_workday(self, d: dt.date) -> bool:
        self._check(d)
        if d in self.workdays:
            return True
        if d in self.holidays:
            return False
        return d.weekday() < 5

    def add_workdays(self, start: dt.date, n: int) -> dt.date:
        """The n-th working day strictly after `start` (the start day is not counted)."""
        if n < 1:
            raise ValueError("工作日数必须为正整数")
        d = start
        counted = 0
        while counted < n:
            d += dt.timedelta(days=1)
            if self.is_workday(d):
                counted += 1
        return d

    def roll_forward(self, d: dt.date) -> dt.date:
        """The party's period ending on a non-working day ends on the next working day."""
        while not self.is_workday(d):
            d += dt.timedelta(days=1)
        return d

    def workdays_between(self, start: dt.date, end: dt.date) -> int:
        """Working days in (start, end], i.e. which working day after `start` is `end`."""
        n = 0
        d = start
        while d < end:
            d += dt.timedelta(days=1)
            if self.is_workday(d):
                n += 1
        return n


def add_days(d: dt.date, n: int) -> dt.date:
    return d + dt.timedelta(days=n)


def add_months(d: dt.date, months: int) -> dt.date:
    """Same-numbered day of the target month, or its last day (民法典 第202条)."""
    m = d.month - 1 + months
    year, month = d.year + m // 12, m % 12 + 1
    day = min(d.day, _cal.monthrange(year, month)[1])
    return dt.date(year, month, day)


def add_years(d: dt.date, years: int) -> dt.date:
    return add_months(d, 12 * years)


def from_chinese_calendar(first_year: int | None = None, last_year: int | None = None) -> WorkCalendar:
    """A calendar built from the chinese-calendar package (the seed of the database table)."""
    import chinese_calendar

    holidays_map = chinese_calendar.holidays
    workdays_map = chinese_calendar.workdays
    known = sorted({d.year for d in holidays_map} | {d.year for d in workdays_map})
    lo = first_year or known[0]
    hi = last_year or known[-1]
    years = [y for y in range(lo, hi + 1) if y in set(known)]
    hol = [d for d in holidays_map if lo <= d.year <= hi and d.weekday() < 5]
    work = [d for d in workdays_map if lo <= d.year <= hi and d.weekday() >= 5]
    return WorkCalendar.build(years, hol, work)
