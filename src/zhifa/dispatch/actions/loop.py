"""The handling loop of a routed report: accept (`do_accept`), joint action (`do_start_joint`),
return (`do_return`), finish (`do_finish`), the on-site check (`do_verify`), the call back
(`do_callback`), close (`do_close`), hold (`do_hold`), extensions (`do_request_extension`,
`do_approve_extension`, `do_reject_extension`), and the table's plain actions (archive, resume,
dismiss, a failed check) made by `_simple`.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from zhifa.core.calendar import work_calendar
from zhifa.dispatch.actions.common import _apply, _locked, _now, actor_kinds, running_steps
from zhifa.dispatch.actions.route import HandlerChoice, _set_handler, handler_ref
from zhifa.dispatch.models import Report
from zhifa.rules import dispatch_workflow as wf
from zhifa.rules.workdays import CalendarGapError


def _simple(action: str):
    def run(
        actor,
        report_id: int,
        *,
        reason: str = "",
        now: dt.datetime | None = None,
        expected_state: str | None = None,
    ) -> Report:
        now = _now(now)
        with transaction.atomic():
            report = _locked(actor, report_id, expected_state)
            _apply(actor, report, action, now, reason)
        return report

    run.__name__ = f"do_{action}"
    run.__doc__ = f"{wf.ACTION_LABELS[action]} (table rule {action})."
    return run


do_accept = _simple(wf.ACCEPT)


def do_start_joint(
    actor,
    report_id: int,
    *,
    reason: str = "",
    now: dt.datetime | None = None,
    expected_state: str | None = None,
) -> Report:
    """协调联动: several units on one matter, the current handler leads. When a department leads,
    the township where the matter lies is asked to assist (it sees the report by its location)."""
    now = _now(now)
    with transaction.atomic():
        report = _locked(actor, report_id, expected_state)
        report.assist_township = report.handler_kind == Report.DEPARTMENT and report.township_id is not None
        _apply(actor, report, wf.START_JOINT, now, reason, {"assist_township": report.assist_township})
    return report


do_archive = _simple(wf.ARCHIVE)
do_resume = _simple(wf.RESUME)
do_dismiss = _simple(wf.DISMISS)
do_verify_fail = _simple(wf.VERIFY_FAIL)


def do_return(
    actor, report_id: int, *, reason: str, now: dt.datetime | None = None, expected_state: str | None = None
) -> Report:
    """回退: the unit says the matter is not theirs; it goes back to the dispatcher, unassigned."""
    now = _now(now)
    with transaction.atomic():
        report = _locked(actor, report_id, expected_state)
        handler = handler_ref(report)
        _apply(actor, report, wf.RETURN, now, reason, {"returned_by": handler})
        _set_handler(report, HandlerChoice(Report.NONE), report.item_code)
        report.save()
    return report


def do_finish(
    actor, report_id: int, *, result: str, now: dt.datetime | None = None, expected_state: str | None = None
) -> Report:
    now = _now(now)
    with transaction.atomic():
        report = _locked(actor, report_id, expected_state)
        report.result = (result or "").strip()
        report.verified = False
        report.callback = ""
        _apply(actor, report, wf.FINISH, now, result)
    return report


def do_verify(
    actor,
    report_id: int,
    *,
    passed: bool,
    note: str = "",
    now: dt.datetime | None = None,
    expected_state: str | None = None,
) -> Report:
    """复核: the on-site check; a failed check sends the matter back to the handler."""
    if not passed:
        return do_verify_fail(actor, report_id, reason=note, now=now, expected_state=expected_state)
    now = _now(now)
    with transaction.atomic():
        report = _locked(actor, report_id, expected_state)
        report.verified = True
        _apply(actor, report, wf.VERIFY, now, note)
    return report


def do_callback(
    actor,
    report_id: int,
    *,
    result: str,
    note: str = "",
    now: dt.datetime | None = None,
    expected_state: str | None = None,
) -> Report:
    """回访: ask the reporter. An unhappy reporter reopens the matter (also after closure)."""
    if result not in dict(Report.CALLBACK_CHOICES):
        raise ValidationError({"callback": "回访结果应为满意、不满意或无法联系"})
    now = _now(now)
    with transaction.atomic():
        report = _locked(actor, report_id, expected_state)
        if result == Report.UNSATISFIED:
            if not note.strip():
                raise ValidationError({"reason": "回访不满意时请记录举报人的意见"})
            report.callback = result
            report.verified = False
            _apply(actor, report, wf.REOPEN, now, note, {"callback": result})
            report.closed_at = None
            report.save()
            return report
        report.callback = result
        _apply(actor, report, wf.CALLBACK, now, note, {"callback": result})
    return report


def do_close(
    actor,
    report_id: int,
    *,
    reason: str = "",
    now: dt.datetime | None = None,
    expected_state: str | None = None,
) -> Report:
    """办结: only after the on-site check passed and the reporter was called back (or cannot be)."""
    now = _now(now)
    with transaction.atomic():
        report = _locked(actor, report_id, expected_state)
        wf.check(report.status, wf.CLOSE, actor_kinds(actor, report))
        if not report.verified:
            raise ValidationError("尚未进行现场核查，不能办结")
        needs_callback = bool(report.reporter_phone or report.reported_by_id)
        if needs_callback and not report.callback:
            raise ValidationError("尚未回访举报人，不能办结")
        report.closed_at = now
        _apply(actor, report, wf.CLOSE, now, reason)
    return report


def do_hold(
    actor,
    report_id: int,
    *,
    review_on: dt.date | None,
    reason: str,
    now: dt.datetime | None = None,
    expected_state: str | None = None,
) -> Report:
    """挂账: cannot be solved now; kept on the books with a review date."""
    now = _now(now)
    if review_on is None:
        raise ValidationError({"review_on": "挂账必须填写复查日期"})
    if review_on <= timezone.localdate(now):
        raise ValidationError({"review_on": "复查日期必须晚于今天"})
    with transaction.atomic():
        report = _locked(actor, report_id, expected_state)
        report.hold_review_on = review_on
        _apply(actor, report, wf.HOLD, now, reason, {"review_on": review_on.isoformat()})
    return report


def do_request_extension(
    actor,
    report_id: int,
    *,
    days: int,
    reason: str,
    now: dt.datetime | None = None,
    expected_state: str | None = None,
) -> Report:
    """延期申请: the unit asks for more working days; a dispatcher decides."""
    now = _now(now)
    try:
        days = int(days)
    except (TypeError, ValueError):
        days = 0
    if not 1 <= days <= 30:
        raise ValidationError({"days": "延期天数应为1至30个工作日"})
    with transaction.atomic():
        report = _locked(actor, report_id, expected_state)
        if report.extension_requested_days:
            raise ValidationError("已有待审批的延期申请")
        report.extension_requested_days = days
        _apply(actor, report, wf.REQUEST_EXTENSION, now, reason, {"days": days})
    return report


def do_approve_extension(
    actor,
    report_id: int,
    *,
    reason: str = "",
    now: dt.datetime | None = None,
    expected_state: str | None = None,
) -> Report:
    now = _now(now)
    with transaction.atomic():
        report = _locked(actor, report_id, expected_state)
        days = report.extension_requested_days
        wf.check(report.status, wf.APPROVE_EXTENSION, actor_kinds(actor, report))
        if not days:
            raise ValidationError("没有待审批的延期申请")
        base = report.step_due_at or now
        try:
            new_due = wf.due_at(timezone.localtime(base), wf.Limit(days, wf.WORKDAYS), work_calendar())
        except CalendarGapError as exc:
            raise ValidationError(f"{exc}，请先在“节假日安排”中录入后再批准延期") from None
        report.step_due_at = new_due
        report.extension_requested_days = 0
        step = running_steps(report).last()
        if step is not None:
            step.due_at = new_due
            step.limit_label = f"{step.limit_label}（延期{days}个工作日）"
            step.save()
        _apply(actor, report, wf.APPROVE_EXTENSION, now, reason, {"days": days, "due": new_due.isoformat()})
    return report


def do_reject_extension(
    actor, report_id: int, *, reason: str, now: dt.datetime | None = None, expected_state: str | None = None
) -> Report:
    now = _now(now)
    with transaction.atomic():
        report = _locked(actor, report_id, expected_state)
        if not report.extension_requested_days:
            raise ValidationError("没有待审批的延期申请")
        report.extension_requested_days = 0
        _apply(actor, report, wf.REJECT_EXTENSION, now, reason)
    return report
