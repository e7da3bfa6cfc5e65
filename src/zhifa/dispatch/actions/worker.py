"""The passes of the urging worker (`zhifa urge-overdue`): urge and escalate overdue steps
(`urge_overdue`, which also runs the others), remind held reports on their review date
(`remind_held`), compute due times a missing calendar year held back (`fill_missing_dues`) and
fold the changed reports into the board's and the metrics page's summaries (`fold_summaries`),
and create the coming months' partitions of the steps and transitions (PostgreSQL).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from zhifa.core import audit, partitions
from zhifa.core.calendar import work_calendar
from zhifa.dispatch.actions.common import _now, due_or_gap, limit_for
from zhifa.dispatch.actions.suggestions import fill_suggestions
from zhifa.dispatch.actions.urge import _escalate, _urge
from zhifa.dispatch.actions.whistle import mark_absent
from zhifa.dispatch.models import Report, Step
from zhifa.dispatch.summaries import fold_summaries
from zhifa.rules import dispatch_workflow as wf
from zhifa.rules.workdays import CalendarGapError


@dataclass
class UrgeSummary:
    urged: list[str] = field(default_factory=list)
    escalated: list[str] = field(default_factory=list)
    absent_calls: int = 0
    held_due: list[str] = field(default_factory=list)
    suggested: int = 0
    dues_filled: int = 0
    summary_rows: int | None = None  # bucket rows rewritten; None: another worker held the pass
    partitions_made: int = 0  # month partitions created ahead (PostgreSQL)


def urge_overdue(now: dt.datetime | None = None, limit: int = 500) -> UrgeSummary:
    """督办问效: urge every overdue step, escalate it one level and give it a grace period;
    mark whistle calls past their deadline as not attended. Safe with several workers."""
    now = _now(now)
    summary = UrgeSummary()
    ids = list(
        Report.objects.filter(status__in=wf.OPEN_STATES, step_due_at__lt=now)
        .order_by("step_due_at")
        .values_list("id", flat=True)[:limit]
    )
    cal = work_calendar()
    for rid in ids:
        with transaction.atomic():
            report = (
                Report.objects.select_for_update(skip_locked=True)
                .filter(pk=rid, status__in=wf.OPEN_STATES, step_due_at__lt=now)
                .first()
            )
            if report is None:
                continue
            due = timezone.localtime(report.step_due_at)
            reason = f"{report.status_label}环节已超过期限（{due:%Y-%m-%d %H:%M}）"
            _urge("督办程序", report, reason, now)
            summary.urged.append(report.tracking_code)
            level = report.escalation_level
            _escalate("督办程序", report, reason + "，升级督办", now)
            if report.escalation_level > level:
                summary.escalated.append(report.tracking_code)
            try:
                report.step_due_at = wf.due_at(timezone.localtime(now), wf.URGE_GRACE, cal)
            except CalendarGapError:  # our own grace period: a day by the clock will do
                report.step_due_at = now + dt.timedelta(hours=24)
            report.save(update_fields=["step_due_at", "updated_at"])
    summary.absent_calls = mark_absent(now)
    summary.held_due = remind_held(now)
    pending = list(Report.objects.filter(status=wf.RECEIVED, suggestion={}).order_by("id")[:limit])
    summary.suggested = fill_suggestions(pending)
    summary.dues_filled = fill_missing_dues(limit)
    summary.summary_rows = fold_summaries()
    summary.partitions_made = partitions.ensure_ahead(timezone.localdate(now))
    return summary


def fill_missing_dues(limit: int = 500) -> int:
    """Steps started without a due time (calendar year missing) get one once the year is there."""
    n = 0
    steps = (
        Step.objects.filter(ended_at__isnull=True, due_at__isnull=True, state__in=wf.TIMED_STATES)
        .select_related("report")
        .order_by("id")[:limit]
    )
    for step in steps:
        report = step.report
        if report.status != step.state:
            continue
        lim = limit_for(report, step.state)
        due, _ = due_or_gap(step.started_at, lim)
        if due is None:
            continue
        with transaction.atomic():
            # Another worker may have filled it since the list was read: lock and look again.
            fresh = (
                Step.objects.select_for_update(skip_locked=True)
                .filter(pk=step.pk, ended_at__isnull=True, due_at__isnull=True)
                .exists()
            )
            if not fresh:
                continue
            step.due_at = due
            step.limit_label = lim.label()
            step.save(update_fields=["due_at", "limit_label"])
            Report.objects.filter(pk=report.pk, step_due_at__isnull=True).update(step_due_at=due)
            audit.record(
                "update",
                model="dispatch.Report",
                object_id=str(report.pk),
                before={"step_due_at": None},
                after={"step_due_at": due.isoformat()},
                reason="补算本环节期限",
            )
        n += 1
    return n


def remind_held(now: dt.datetime | None = None) -> list[str]:
    """挂账复查: a held report whose review date has come is urged once on that date."""
    now = _now(now)
    today = timezone.localdate(now)
    codes = []
    for rid in Report.objects.filter(status=wf.HELD, hold_review_on__lte=today).values_list("id", flat=True):
        with transaction.atomic():
            report = Report.objects.select_for_update(skip_locked=True).filter(pk=rid, status=wf.HELD).first()
            if report is None:
                continue
            done = report.transitions.filter(action=wf.URGE, at__date__gte=report.hold_review_on).exists()
            if done:
                continue
            _urge(
                "督办程序",
                report,
                f"挂账复查日期{report.hold_review_on:%Y-%m-%d}已到，请复查能否恢复办理",
                now,
            )
            codes.append(report.tracking_code)
    return codes
