"""The metrics board (考核指标看板) and its Excel export."""

from __future__ import annotations

import datetime as dt
import json

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone

from zhifa.supervision import metrics


def _period(request) -> tuple[int, dt.date, list[str]]:
    today = timezone.localdate()
    errors: list[str] = []
    year = today.year
    if request.GET.get("year"):
        try:
            year = int(request.GET["year"])
            if not 2000 <= year <= 2100:
                raise ValueError
        except ValueError:
            errors.append(f"年度“{request.GET['year']}”无效，已显示{today.year}年。")
            year = today.year
    month = today.replace(day=1) if year == today.year else dt.date(year, 12, 1)
    if request.GET.get("month"):
        try:
            month = dt.date.fromisoformat(request.GET["month"] + "-01")
        except ValueError:
            errors.append(f"月份“{request.GET['month']}”无效，格式应为YYYY-MM。")
    return year, month, errors


@login_required
def board(request):
    year, month, errors = _period(request)
    rows = metrics.board(request.user, year, month)
    trend = metrics.activity_trend(metrics.visible_townships(request.user), month)
    chart = {
        "townships": [r.township.name for r in rows],
        "activity": [float(r.activity_rate * 100) if r.activity_rate is not None else None for r in rows],
        "on_time": [float(r.on_time_rate * 100) if r.on_time_rate is not None else None for r in rows],
        "usage": [float(r.usage_rate * 100) if r.usage_rate is not None else None for r in rows],
        "trend_labels": [f"{m['month']:%Y-%m}" for m in trend],
        "trend": [float(m["rate"] * 100) if m["rate"] is not None else None for m in trend],
        "target": float(metrics.ACTIVITY_TARGET * 100),
    }
    return render(
        request,
        "web/supervision/metrics.html",
        {
            "headers": metrics.HEADERS,
            "table": metrics.table(rows),
            "rows": rows,
            "year": year,
            "month": month,
            "errors": errors,
            "chart_json": json.dumps(chart, ensure_ascii=False),
        },
    )


@login_required
def export(request):
    year, month, _errors = _period(request)
    rows = metrics.board(request.user, year, month)
    trend = metrics.activity_trend(metrics.visible_townships(request.user), month)
    response = HttpResponse(
        metrics.export_xlsx(rows, trend, year, month),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f"attachment; filename=zhifa-metrics-{year}.xlsx"
    return response
