"""What every dispatch action shares: the parts an actor plays (`actor_kinds`), the step clock
and due times (`limit_for`, `due_or_gap`, `_start_step`), the row lock (`_locked`, `StaleState`),
the `Transition` log (`_log`) and `_apply`, which checks an action against the one table.

A transition is first looked up in the one table (`zhifa.rules.dispatch_workflow.TRANSITIONS`),
then applied inside `transaction.atomic()` on a row locked with `select_for_update`, and logged
as a `Transition` (who, when, why, from, to). Refusals raise `TransitionRefused`/`ValidationError`
with a Chinese message. `now` is a parameter everywhere so tests can run a controlled clock.
"""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from zhifa.core.calendar import work_calendar
from zhifa.dispatch import limits
from zhifa.dispatch.models import Report, Step, Transition
from zhifa.org import roles
from zhifa.rules import dispatch_workflow as wf
from zhifa.rules.workdays import CalendarGapError

_CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"


def _now(now: dt.datetime | None) -> dt.datetime:
    return now or timezone.now()


def _actor_name(actor) -> str:
    if actor is None:
        return "系统"
    if isinstance(actor, str):
        return actor
    return getattr(actor, "display_name", None) or getattr(actor, "username", str(actor))


def new_tracking_code() -> str:
    return "SJ" + "".join(secrets.choice(_CODE_ALPHABET) for _ in range(10))


def actor_kinds(user, report: Report) -> set[str]:
    """The parts `user` plays for `report` in the transition table (dispatcher, handler)."""
    kinds: set[str] = set()
    if user is None or isinstance(user, str):
        return {wf.SYSTEM}
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return kinds
    if user.is_superuser:
        return {wf.DISPATCHER, wf.HANDLER}
    if user.county_id != report.county_id:
        return kinds
    if roles.has_capability(user, "dispatch.dispatch"):
        if user.role in roles.COUNTY_ROLES:
            kinds.add(wf.DISPATCHER)
        elif user.township_id and user.township_id == report.township_id:
            # The township platform (二级指挥) dispatches what lies in its township.
            kinds.add(wf.DISPATCHER)
    if roles.has_capability(user, "dispatch.handle"):
        if report.handler_kind in (Report.TOWNSHIP, Report.SERVICE) and user.township_id:
            if user.township_id == report.handler_township_id:
                kinds.add(wf.HANDLER)
        if report.handler_kind == Report.DEPARTMENT and user.department_id:
            if user.department_id == report.handler_department_id:
                kinds.add(wf.HANDLER)
    return kinds


def limit_for(report: Report, step: str) -> wf.Limit | None:
    """The configured limit for `step` (most specific row wins), else the default of the rules."""
    return limits.limit_for(report.county_id, step, report.item_code or "", report.priority or "")


def _unit_label(report: Report, state: str) -> str:
    if state == wf.RECEIVED:
        if report.township_id:
            return f"{report.township.name}调度平台"
        return "县综合行政执法指挥中心"
    if state == wf.VERIFYING:
        return "调度平台（核查回访）"
    return report.handler_label


def due_or_gap(start: dt.datetime, limit: wf.Limit | None) -> tuple[dt.datetime | None, str]:
    """The due time of a step, or (None, why) when the calendar lacks the year it reaches.

    A missing holiday arrangement must never stop a report from being taken in or moved on:
    the step runs without a due time, says why, and the worker computes it once the
    administrator has entered the year (`fill_missing_dues`).
    """
    if limit is None:
        return None, ""
    try:
        return wf.due_at(timezone.localtime(start), limit, work_calendar()), ""
    except CalendarGapError as exc:
        return None, f"{exc}，期限待录入节假日安排后确定"


# A report's running step started when the report's `step_started_at` says (both are set from
# the same instant, in `_start_step` and at intake); the margin only guards against a report
# edited by hand. Steps are partitioned by month of start (PostgreSQL): with the bound the
# query plans and reads the one or two partitions that can hold the step, not every month of
# the table's history (at 10 million reports planning alone took 2.6 ms of every urge).
RUNNING_STEP_MARGIN = dt.timedelta(days=1)


def running_steps(report: Report):
    """The report's steps not yet ended (normally one), as a queryset."""
    steps = report.steps.filter(ended_at__isnull=True)
    if report.step_started_at is not None:
        steps = steps.filter(started_at__gte=report.step_started_at - RUNNING_STEP_MARGIN)
    return steps


def _start_step(report: Report, state: str, now: dt.datetime) -> None:
    """Close the running step and start the clock of `state` if it is timed."""
    for step in running_steps(report):
        step.ended_at = now
        step.overdue = step.due_at is not None and now > step.due_at
        step.save()
    report.step_started_at = now
    report.step_due_at = None
    if state in wf.TIMED_STATES:
        limit = limit_for(report, state)
        due, gap = due_or_gap(now, limit)
        report.step_due_at = due
        Step.objects.create(
            report=report,
            state=state,
            unit=_unit_label(report, state),
            limit_label=_limit_label(limit, gap),
            started_at=now,
            due_at=due,
        )


def _limit_label(limit: wf.Limit | None, gap: str) -> str:
    if limit is None:
        return ""
    return f"{limit.label()}（期限待定，缺节假日安排）" if gap else limit.label()


def _log(
    report: Report,
    actor,
    action: str,
    from_status: str,
    to_status: str,
    now: dt.datetime,
    reason: str = "",
    data: dict | None = None,
) -> Transition:
    return Transition.objects.create(
        report=report,
        action=action,
        from_status=from_status,
        to_status=to_status,
        actor=None if actor is None or isinstance(actor, str) else actor,
        actor_name=_actor_name(actor),
        at=now,
        reason=reason,
        data=data or {},
    )


class StaleState(ValidationError):
    """The action was taken from an older state of the report: someone else acted in between.
    Nothing is written; the API answers 409, the page shows a flash message."""

    def __init__(self, current_state: str) -> None:
        self.current_state = current_state
        label = wf.STATE_LABELS.get(current_state, current_state)
        super().__init__({"expected_state": f"该事件已被他人处理（当前状态：{label}），请刷新后重试"})

    @property
    def message_text(self) -> str:
        return self.message_dict["expected_state"][0]


def _locked(actor, report_id: int, expected_state: str | None = None) -> Report:
    """The report, locked for this transaction (`select_for_update`), loaded through the one
    write scope (`Report.objects.restrict(actor, "change")`; the worker, `actor` None or a
    name, acts county-wide). When `expected_state` is given (the status the form or client
    saw) and the report has moved on, `StaleState`."""
    qs = Report.objects.select_for_update()
    if actor is not None and not isinstance(actor, str):
        qs = qs.restrict(actor, "change")
    try:
        report = qs.get(pk=report_id)
    except Report.DoesNotExist as exc:
        readable = Report.objects.restrict(actor, "view").filter(pk=report_id)
        if not isinstance(actor, str) and readable.exists():
            # Reading is not acting (e.g. a department called by a whistle reads the report).
            raise PermissionDenied("您可以查看该事件，但无权办理。") from exc
        raise Report.DoesNotExist("事件不存在或不在您的管辖范围内") from exc
    if expected_state is not None and report.status != expected_state:
        raise StaleState(report.status)
    return report


def expected_state_of(value: Any) -> str | None:
    """`expected_state` from a form or API body: None when absent or blank, else a known status."""
    if value is None or value == "":
        return None
    if not isinstance(value, str) or value not in wf.STATE_LABELS:
        raise ValidationError(
            {"expected_state": "事件状态（expected_state）无效：应为查看事件时得到的status值"}
        )
    return value


def _apply(
    actor,
    report: Report,
    action: str,
    now: dt.datetime,
    reason: str = "",
    data: dict | None = None,
) -> wf.Rule:
    """Check `action` against the table, move the status, restart the step clock, log it."""
    rule = wf.check(report.status, action, actor_kinds(actor, report))
    reason = (reason or "").strip()
    if rule.reason_required and not reason:
        raise ValidationError({"reason": f"{wf.ACTION_LABELS[action]}必须填写理由"})
    before = report.status
    if rule.to is not None:
        report.status = rule.to
        if rule.to != before or action == wf.REASSIGN:
            _start_step(report, rule.to, now)
    if report.status != wf.RECEIVED:
        report.needs_review = False  # routed (or merged, closed): no longer waiting for a person
    report.save()
    _log(report, actor, action, before, report.status, now, reason, data)
    return rule
