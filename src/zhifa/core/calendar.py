"""The one working-day calendar of the platform, loaded from the database table.

Dispatch time limits and statutory case deadlines both use `work_calendar()`.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from zhifa.rules.workdays import WorkCalendar, from_chinese_calendar

_cache: dict[str, WorkCalendar] = {}


def work_calendar() -> WorkCalendar:
    cal = _cache.get("cal")
    if cal is None:
        from zhifa.core.models import CalendarDay, HolidayYear

        years = HolidayYear.objects.values_list("year", flat=True)
        days = list(CalendarDay.objects.values_list("date", "kind"))
        cal = WorkCalendar.build(
            years,
            [d for d, k in days if k == CalendarDay.HOLIDAY],
            [d for d, k in days if k == CalendarDay.WORKDAY],
        )
        _cache["cal"] = cal
    return cal


def invalidate() -> None:
    _cache.clear()


def package_days(first_year: int = 2020) -> tuple[list[int], list[tuple[dt.date, str, str]]]:
    """Years and exception days (date, kind, Chinese name) that the chinese-calendar package knows."""
    import chinese_calendar

    cal = from_chinese_calendar(first_year)
    rows = []
    for kind, days in (("holiday", cal.holidays), ("workday", cal.workdays)):
        for d in sorted(days):
            detail = chinese_calendar.get_holiday_detail(d)[1] or ""
            rows.append((d, kind, _NAMES.get(detail, detail)))
    return sorted(cal.years), rows


def seed_from_package(first_year: int = 2020, *, day_model=None, year_model=None) -> int:
    """Load the years the package knows into the table; years already present are kept.

    An administrator's corrections win. The migration passes its historical models.
    """
    import chinese_calendar

    if day_model is None:
        from zhifa.core.models import CalendarDay as day_model
        from zhifa.core.models import HolidayYear as year_model
    years, rows = package_days(first_year)
    existing = set(year_model.objects.values_list("year", flat=True))
    new_years = [y for y in years if y not in existing]
    with transaction.atomic():
        for year in new_years:
            year_model.objects.create(year=year, source=f"chinese-calendar {chinese_calendar.__version__}")
        day_model.objects.bulk_create(
            [day_model(date=d, kind=k, name=n) for d, k, n in rows if d.year in new_years],
            ignore_conflicts=True,
        )
    invalidate()
    return len(new_years)


_NAMES = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "Mid-autumn Festival": "中秋节",
    "National Day": "国庆节",
    "Anti-Fascist 70th Day": "抗战胜利纪念日",
}


def today() -> dt.date:
    from django.utils import timezone

    return timezone.localdate()
