"""拆分 and 合并: one report with several matters becomes sub-tasks, each routed on its own
(`do_split`); a duplicate is folded into the report that carries the matter on (`do_merge`).
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction

from zhifa.dispatch.actions import suggestions
from zhifa.dispatch.actions.common import _apply, _locked, _log, _now, _start_step, new_tracking_code
from zhifa.dispatch.models import Report
from zhifa.rules import dispatch_workflow as wf


def do_split(
    actor,
    report_id: int,
    *,
    parts: list[str],
    reason: str,
    now: dt.datetime | None = None,
    expected_state: str | None = None,
) -> list[Report]:
    """拆分: one report with several matters becomes sub-tasks, each routed on its own."""
    now = _now(now)
    parts = [p.strip() for p in parts if p and p.strip()]
    if len(parts) < 2:
        raise ValidationError({"parts": "拆分至少需要两项子任务（每行一项）"})
    with transaction.atomic():
        report = _locked(actor, report_id, expected_state)
        _apply(actor, report, wf.SPLIT_ACTION, now, reason, {"parts": len(parts)})
        children = []
        for text in parts:
            child = Report.objects.create(
                county_id=report.county_id,
                tracking_code=new_tracking_code(),
                channel=report.channel,
                source=report.source,
                text=text,
                address=report.address,
                lon=report.lon,
                lat=report.lat,
                crs=report.crs,
                wgs_lon=report.wgs_lon,
                wgs_lat=report.wgs_lat,
                township_id=report.township_id,
                community_code=report.community_code,
                grid_code=report.grid_code,
                micro_code=report.micro_code,
                reporter_name=report.reporter_name,
                reporter_phone=report.reporter_phone,
                anonymous=report.anonymous,
                reported_by_id=report.reported_by_id,
                reported_at=report.reported_at,
                priority=report.priority,
                parent=report,
            )
            suggestions._set_suggestion(child, suggestions.suggest(child))
            _start_step(child, wf.RECEIVED, now)
            child.save()
            _log(child, actor, "intake", "", wf.RECEIVED, now, f"由事件{report.tracking_code}拆分")
            children.append(child)
    return children


def do_merge(
    actor,
    report_id: int,
    *,
    into_id: int,
    reason: str,
    now: dt.datetime | None = None,
    expected_state: str | None = None,
) -> Report:
    """合并: a duplicate is folded into the report that carries the matter on."""
    now = _now(now)
    if int(into_id) == int(report_id):
        raise ValidationError({"into": "不能与自身合并"})
    with transaction.atomic():
        report = _locked(actor, report_id, expected_state)
        target = _locked(actor, into_id)
        if target.status in (wf.MERGED, wf.ARCHIVED):
            raise ValidationError({"into": f"事件{target.tracking_code}已{target.status_label}，不能并入"})
        report.merged_into = target
        _apply(actor, report, wf.MERGE, now, reason, {"into": target.tracking_code})
    return report
