"""One entry point for the pages' buttons and the API: `perform` reads the form or API data of an
action (reason, item, department, days, review_on, parts, into, expected_state) and runs it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Q

from zhifa.dispatch.actions.common import expected_state_of
from zhifa.dispatch.actions.loop import (
    do_accept,
    do_approve_extension,
    do_archive,
    do_callback,
    do_close,
    do_dismiss,
    do_finish,
    do_hold,
    do_reject_extension,
    do_request_extension,
    do_resume,
    do_return,
    do_start_joint,
    do_verify,
)
from zhifa.dispatch.actions.route import do_assign, do_reassign, do_route
from zhifa.dispatch.actions.split_merge import do_merge, do_split
from zhifa.dispatch.actions.urge import do_escalate, do_urge
from zhifa.dispatch.models import Report
from zhifa.rules import dispatch_workflow as wf


def _date(value: Any) -> dt.date | None:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value)) if value else None
    except ValueError:
        raise ValidationError({"review_on": "日期格式应为 YYYY-MM-DD"}) from None


def perform(actor, report_id: int, action: str, data: dict[str, Any], now: dt.datetime | None = None):
    """Run `action` with form/API `data` (reason, item, department, days, review_on, parts, into …).

    `data["expected_state"]` (optional) is the status the form or client saw; when the report
    has moved on since, `StaleState` is raised and nothing is written."""
    reason = str(data.get("reason") or "")
    es = expected_state_of(data.get("expected_state"))
    if action == wf.ROUTE and es is None:
        # 转办 is only ever taken on an unrouted report: a second dispatcher routing the same
        # report (who saw it unrouted) is told someone else did, never silently reassigns it.
        es = wf.RECEIVED
    if action in (wf.ROUTE, wf.REASSIGN) and data.get("unit"):
        item = data.get("item")
        return do_assign(
            actor,
            report_id,
            unit=str(data["unit"]),
            item_code=None if item in (None, "__suggested__") else str(item),
            reason=reason,
            now=now,
            expected_state=es,
        )
    if action == wf.ROUTE:
        item = data.get("item")
        kwargs: dict[str, Any] = {"department_code": str(data.get("department") or "")}
        if item is not None and item != "__suggested__":
            kwargs["item_code"] = str(item)
        return do_route(actor, report_id, reason=reason, now=now, expected_state=es, **kwargs)
    if action == wf.REASSIGN:
        return do_reassign(
            actor,
            report_id,
            item_code=data.get("item"),
            department_code=str(data.get("department") or ""),
            reason=reason,
            now=now,
            expected_state=es,
        )
    if action == wf.RETURN:
        return do_return(actor, report_id, reason=reason, now=now, expected_state=es)
    if action == wf.FINISH:
        return do_finish(
            actor, report_id, result=reason or str(data.get("result") or ""), now=now, expected_state=es
        )
    if action == wf.VERIFY:
        return do_verify(actor, report_id, passed=True, note=reason, now=now, expected_state=es)
    if action == wf.VERIFY_FAIL:
        return do_verify(actor, report_id, passed=False, note=reason, now=now, expected_state=es)
    if action == wf.CALLBACK:
        return do_callback(
            actor, report_id, result=str(data.get("callback") or ""), note=reason, now=now, expected_state=es
        )
    if action == wf.REOPEN:
        return do_callback(
            actor, report_id, result=Report.UNSATISFIED, note=reason, now=now, expected_state=es
        )
    if action == wf.CLOSE:
        return do_close(actor, report_id, reason=reason, now=now, expected_state=es)
    if action == wf.HOLD:
        return do_hold(
            actor,
            report_id,
            review_on=_date(data.get("review_on")),
            reason=reason,
            now=now,
            expected_state=es,
        )
    if action == wf.REQUEST_EXTENSION:
        return do_request_extension(
            actor, report_id, days=data.get("days") or 0, reason=reason, now=now, expected_state=es
        )
    if action == wf.APPROVE_EXTENSION:
        return do_approve_extension(actor, report_id, reason=reason, now=now, expected_state=es)
    if action == wf.REJECT_EXTENSION:
        return do_reject_extension(actor, report_id, reason=reason, now=now, expected_state=es)
    if action == wf.SPLIT_ACTION:
        parts = data.get("parts") or ""
        if isinstance(parts, str):
            parts = parts.splitlines()
        return do_split(actor, report_id, parts=list(parts), reason=reason, now=now, expected_state=es)
    if action == wf.MERGE:
        into = data.get("into")
        target = Report.objects.restrict(actor).filter(Q(tracking_code=str(into)) | Q(pk=_int(into))).first()
        if target is None:
            raise ValidationError({"into": f"要并入的事件“{into}”不存在"})
        return do_merge(actor, report_id, into_id=target.pk, reason=reason, now=now, expected_state=es)
    if action == wf.URGE:
        return do_urge(actor, report_id, reason=reason, now=now, expected_state=es)
    if action == wf.ESCALATE:
        return do_escalate(actor, report_id, reason=reason, now=now, expected_state=es)
    simple = {
        wf.ACCEPT: do_accept,
        wf.START_JOINT: do_start_joint,
        wf.ARCHIVE: do_archive,
        wf.RESUME: do_resume,
        wf.DISMISS: do_dismiss,
    }
    if action in simple:
        return simple[action](actor, report_id, reason=reason, now=now, expected_state=es)
    raise ValidationError({"action": f"未知操作“{action}”"})


def _int(value: Any) -> int:
    """A primary key from user input; -1 (matches nothing) when not a number or out of range."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        return -1
    return number if 0 < number < 2**63 else -1
