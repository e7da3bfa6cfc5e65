"""The one working-day calendar of the platform, loaded from the database table.

Dispatch time limits and statutory case deadlines both use `work_calendar()`.
"""

from __future__ import annotations

import datetime as dt
import time

from django.db import transaction

from zhifa.rules.workdays import WorkCalendar, from_chinese_calendar

_cache: dict[str, tuple[float, WorkCalendar]] = {}
# Other processes (web workers, the dispatch worker) pick up an administrator's edit within this.
CACHE_SECONDS = 60


def work_calendar() -> WorkCalendar:
    hit = _cache.get("cal")
    cal = hit[1] if hit and time.monotonic() - hit[0] < CACHE_SECONDS else None
    if cal is None:
        from zhifa.core.models import CalendarDay, HolidayYear

        years = HolidayYear.objects.values_list("year", flat=True)
        days = list(CalendarDay.objects.values_list("date", "kind"))
        cal = WorkCalendar.build(
            years,
            [d for d, k in days if k == CalendarDay.HOLIDAY],
            [d for d, k in days if k == CalendarDay.WORKDAY],
        )
        _cache["cal"] = (time.monotonic(), cal)
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


class CalendarInputError(ValueError):
    """Bad administrator input; `errors` lists every problem in Chinese."""

    def __init__(self, errors: list[str]):
        self.errors = errors
        super().__init__("；".join(errors))


def parse_day_lines(text: str, year: int, kind: str) -> tuple[list[tuple[dt.date, str]], list[str]]:
    """Parse lines "2027-01-01 元旦" or "2027-02-10~2027-02-17 春节" into (date, name) pairs.

    Holidays must fall on weekdays (a weekend is already a rest day); worked days (调休) on a
    weekend. Returns the days and every error, each naming its line.
    """
    label = "法定节假日" if kind == "holiday" else "调休上班日"
    days: list[tuple[dt.date, str]] = []
    errors: list[str] = []
    for no, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line:
            continue
        span, _, name = line.partition(" ")
        start_s, _, end_s = span.partition("~")
        try:
            start = dt.date.fromisoformat(start_s)
            end = dt.date.fromisoformat(end_s) if end_s else start
        except ValueError:
            errors.append(f"{label}第{no}行“{line}”：日期格式应为 YYYY-MM-DD 或 YYYY-MM-DD~YYYY-MM-DD")
            continue
        if end < start:
            errors.append(f"{label}第{no}行：结束日期早于开始日期")
            continue
        d = start
        while d <= end:
            if d.year != year:
                errors.append(f"{label}第{no}行：{d} 不属于{year}年")
            elif kind == "holiday" and d.weekday() < 5:
                days.append((d, name.strip()))
            elif kind == "workday":
                if d.weekday() < 5:
                    errors.append(f"{label}第{no}行：{d} 是工作日（周一至周五），调休上班日应为周六或周日")
                else:
                    days.append((d, name.strip()))
            d += dt.timedelta(days=1)
    return days, errors


def save_year(
    year: int, holidays_text: str, workdays_text: str, source: str, *, replace: bool = False
) -> int:
    """Create (or with `replace`, redefine) a year's arrangement from the State Council notice."""
    from zhifa.core.models import CalendarDay, HolidayYear

    errors: list[str] = []
    if not 2000 <= year <= 2100:
        errors.append(f"年份{year}不在2000至2100之间")
    if HolidayYear.objects.filter(year=year).exists() and not replace:
        errors.append(f"{year}年的节假日安排已存在，如需修改请编辑该年度")
    holidays, e1 = parse_day_lines(holidays_text, year, "holiday")
    workdays, e2 = parse_day_lines(workdays_text, year, "workday")
    errors += e1 + e2
    clash = {d for d, _ in holidays} & {d for d, _ in workdays}
    errors += [f"{d} 同时被填为节假日和调休上班日" for d in sorted(clash)]
    if not source.strip():
        errors.append("请填写依据（国务院办公厅通知文号）")
    if errors:
        raise CalendarInputError(errors)
    with transaction.atomic():
        HolidayYear.objects.update_or_create(year=year, defaults={"source": source.strip()})
        for day in CalendarDay.objects.filter(date__year=year):
            day.delete()  # one by one so that the audit log keeps each removed day
        for d, name in holidays:
            CalendarDay.objects.create(date=d, kind=CalendarDay.HOLIDAY, name=name)
        for d, name in workdays:
            CalendarDay.objects.create(date=d, kind=CalendarDay.WORKDAY, name=name)
    invalidate()
    return len(holidays) + len(workdays)


def year_lines(year: int) -> tuple[str, str]:
    """The year's days as the text the edit form shows (one day a line)."""
    from zhifa.core.models import CalendarDay

    days = CalendarDay.objects.filter(date__year=year).order_by("date")
    hol = "\n".join(f"{d.date} {d.name}".strip() for d in days if d.kind == CalendarDay.HOLIDAY)
    work = "\n".join(f"{d.date} {d.name}".strip() for d in days if d.kind == CalendarDay.WORKDAY)
    return hol, work


def today() -> dt.date:
    from django.utils import timezone

    return timezone.localdate()
