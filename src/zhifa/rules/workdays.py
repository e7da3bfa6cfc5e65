"""The working-day calendar of the State Council (法定节假日 and 调休), as a pure value.

A working day is Monday–Friday minus the statutory holidays plus the worked weekend days.
The arrangement of a year is known only once published, so a date in a year without data
raises `CalendarGapError` instead of silently falling back to Monday–Friday.

`WorkCalendar` is the one calendar of the platform (dispatch time limits, statutory deadlines,
the review). On first use it precomputes the working days of its known years as ordinals, so
`add_workdays`, `roll_forward` and `workdays_between` are a list lookup instead of a
day-by-day walk; the answers, `CalendarGapError` included, are those of the walk: a computation
that would leave a run of consecutive known years raises for the first unknown year.
"""

from __future__ import annotations

import calendar as _cal
import datetime as dt
from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass, field

_DAY = dt.timedelta(days=1)
# A calendar spanning more years than this (a typo such as 2206) is not indexed: it walks.
_MAX_INDEXED_SPAN = 400


class CalendarGapError(ValueError):
    """A computation needs a year whose holiday arrangement is not in the calendar."""

    def __init__(self, year: int):
        self.year = year
        super().__init__(f"缺少{year}年节假日安排，无法计算工作日期限")


class _Index:
    """Working days of the known years as ordinals (built once per calendar)."""

    __slots__ = ("base", "count", "run_end", "wd", "work")

    def __init__(self, years: frozenset[int], holidays: frozenset[dt.date], workdays: frozenset[dt.date]):
        lo, hi = min(years), max(years)
        self.base = dt.date(lo, 1, 1).toordinal()
        size = dt.date(hi, 12, 31).toordinal() - self.base + 1
        work = bytearray(size)
        count = [0] * size  # working days in [base, ordinal]
        wd: list[int] = []
        n = 0
        d = dt.date(lo, 1, 1)
        for i in range(size):
            if d.year in years and (d in workdays or (d not in holidays and d.weekday() < 5)):
                work[i] = 1
                n += 1
                wd.append(self.base + i)
            count[i] = n
            d += _DAY
        self.work = bytes(work)
        self.count = count
        self.wd = wd
        # last ordinal of the run of consecutive known years containing each known year
        run_end: dict[int, int] = {}
        for y in sorted(years, reverse=True):
            run_end[y] = run_end.get(y + 1, dt.date(y, 12, 31).toordinal())
        self.run_end = run_end


@dataclass(frozen=True)
class WorkCalendar:
    years: frozenset[int]
    holidays: frozenset[dt.date] = field(default_factory=frozenset)
    workdays: frozenset[dt.date] = field(default_factory=frozenset)  # 调休上班日
    _index: _Index | None = field(default=None, init=False, repr=False, compare=False, hash=False)

    @classmethod
    def build(cls, years: Iterable[int], holidays: Iterable[dt.date], workdays: Iterable[dt.date]):
        return cls(frozenset(years), frozenset(holidays), frozenset(workdays))

    def _idx(self) -> _Index | None:
        idx = self._index
        if idx is None and self.years and max(self.years) - min(self.years) < _MAX_INDEXED_SPAN:
            idx = _Index(self.years, self.holidays, self.workdays)
            object.__setattr__(self, "_index", idx)  # a cache: equality and hash ignore it
        return idx

    def _check(self, d: dt.date) -> None:
        if d.year not in self.years:
            raise CalendarGapError(d.year)

    def _is_workday_plain(self, d: dt.date) -> bool:
        if d in self.workdays:
            return True
        if d in self.holidays:
            return False
        return d.weekday() < 5

    def is_workday(self, d: dt.date) -> bool:
        self._check(d)
        idx = self._idx()
        if idx is None:
            return self._is_workday_plain(d)
        return idx.work[d.toordinal() - idx.base] == 1

    def add_workdays(self, start: dt.date, n: int) -> dt.date:
        """The n-th working day strictly after `start` (the start day is not counted)."""
        if n < 1:
            raise ValueError("工作日数必须为正整数")
        idx = self._idx()
        if idx is None or start.year not in self.years:
            return self._walk_add(start, n)
        k = idx.count[start.toordinal() - idx.base] + n - 1
        run_end = idx.run_end[start.year]
        if k < len(idx.wd) and idx.wd[k] <= run_end:
            return dt.date.fromordinal(idx.wd[k])
        raise CalendarGapError(dt.date.fromordinal(run_end).year + 1)

    def roll_forward(self, d: dt.date) -> dt.date:
        """The party's period ending on a non-working day ends on the next working day."""
        self._check(d)
        idx = self._idx()
        if idx is None:
            while not self.is_workday(d):
                d += _DAY
            return d
        o = d.toordinal()
        if idx.work[o - idx.base]:
            return d
        i = bisect_right(idx.wd, o)
        run_end = idx.run_end[d.year]
        if i < len(idx.wd) and idx.wd[i] <= run_end:
            return dt.date.fromordinal(idx.wd[i])
        raise CalendarGapError(dt.date.fromordinal(run_end).year + 1)

    def workdays_between(self, start: dt.date, end: dt.date) -> int:
        """Working days in (start, end], i.e. which working day after `start` is `end`."""
        if end <= start:
            return 0
        idx = self._idx()
        if (
            idx is not None
            and start.year in self.years
            and end.year in self.years
            and end.toordinal() <= idx.run_end[start.year]
        ):
            return idx.count[end.toordinal() - idx.base] - idx.count[start.toordinal() - idx.base]
        n = 0
        d = start
        while d < end:
            d += _DAY
            if self.is_workday(d):
                n += 1
        return n

    def _walk_add(self, start: dt.date, n: int) -> dt.date:
        """Day by day: a start outside the known years (the day before the first one)."""
        d = start
        counted = 0
        while counted < n:
            d += _DAY
            if self.is_workday(d):
                counted += 1
        return d


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
