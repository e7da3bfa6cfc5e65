"""督办 and 升级: urging a report (`do_urge`, recorded on the report and its running step) and
escalating it one level (`do_escalate`). The worker (`worker.urge_overdue`) does both through
`_urge` and `_escalate`.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from zhifa.dispatch.actions.common import _apply, _locked, _now, running_steps
from zhifa.dispatch.models import Report
from zhifa.rules import dispatch_workflow as wf


def do_urge(
    actor,
    report_id: int,
    *,
    reason: str = "",
    now: dt.datetime | None = None,
    expected_state: str | None = None,
) -> Report:
    """督办: recorded on the report and on the running step."""
    now = _now(now)
    with transaction.atomic():
        report = _locked(actor, report_id, expected_state)
        _urge(actor, report, reason, now)
    return report


def _urge(actor, report: Report, reason: str, now: dt.datetime) -> None:
    report.urge_count += 1
    step = running_steps(report).last()
    if step is not None:
        step.urged += 1
        step.save()
    _apply(actor, report, wf.URGE, now, reason or "督办")


def do_escalate(
    actor, report_id: int, *, reason: str, now: dt.datetime | None = None, expected_state: str | None = None
) -> Report:
    now = _now(now)
    with transaction.atomic():
        report = _locked(actor, report_id, expected_state)
        _escalate(actor, report, reason, now)
    return report


def _escalate(actor, report: Report, reason: str, now: dt.datetime) -> None:
    if report.escalation_level >= wf.MAX_ESCALATION:
        return
    report.escalation_level += 1
    _apply(
        actor,
        report,
        wf.ESCALATE,
        now,
        reason,
        {"level": report.escalation_level, "to": wf.escalation_label(report.escalation_level)},
    )
