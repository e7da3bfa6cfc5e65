"""转办, 指派 and 改派: who handles a report (`decide_handler`, `HandlerChoice`), routing it
(`do_route`: confirm or correct the router's item), naming the unit (`do_assign`), moving it
elsewhere (`do_reassign`), the playbook a routed report gets, and `handler_ref`.

Named `route` so as not to clash with `zhifa.dispatch.routing`, the router itself.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from zhifa.dispatch import playbooks
from zhifa.dispatch.actions import suggestions
from zhifa.dispatch.actions.common import _apply, _locked, _log, _now, actor_kinds
from zhifa.dispatch.models import Report
from zhifa.org.models import Department, Township
from zhifa.rules import dispatch_workflow as wf

# The logger the lines had before the split of `zhifa.dispatch.services`.
log = logging.getLogger("zhifa.dispatch.services")


@dataclass(frozen=True)
class HandlerChoice:
    kind: str
    township: Township | None = None
    department: Department | None = None
    squad: str = ""
    reason: str = ""


def decide_handler(report: Report, item_code: str | None, on: dt.date) -> HandlerChoice:
    """The township's team when the township where the report lies holds the item; otherwise
    the item's department via the county centre; no item: the service queue.

    A thin adapter: the decision is `zhifa.rules.routing.decide_handler` (the one the router's
    suggestion uses) on the holding of `zhifa.rules.holdings` under the same `FIRST_VERSION`
    policy, so a suggestion and the routing of the same report agree.
    """
    from zhifa.catalogue.models import Item
    from zhifa.catalogue.services import holding_on
    from zhifa.rules import holdings
    from zhifa.rules.routing import decide_handler as handler_rule

    if not item_code:
        return HandlerChoice(Report.SERVICE, township=report.township, reason="非执法事项，转服务类事项队列")
    item = (
        Item.objects.select_related("department").filter(county_id=report.county_id, code=item_code).first()
    )
    if item is None:
        raise ValidationError({"item_code": f"执法事项编码“{item_code}”在本县清单中不存在"})
    township = report.township if report.township_id else None
    auth = holding_on(township, item, on, holdings.FIRST_VERSION) if township is not None else None
    ref = handler_rule(
        item.code,
        township.code if township is not None else None,
        {item.code} if auth is not None and auth.held else set(),
        {item.code: item.department.code},
    )
    if ref.startswith("township:"):
        reason = "乡镇（街道）持有该事项" + (f"（{auth.note}）" if auth is not None and auth.note else "")
        return HandlerChoice(Report.TOWNSHIP, township=township, squad=item.domain, reason=reason)
    reason = auth.reason if auth is not None else "事件不在任何乡镇（街道）范围内"
    return HandlerChoice(Report.DEPARTMENT, department=item.department, squad=item.domain, reason=reason)


def _set_handler(report: Report, choice: HandlerChoice, item_code: str | None) -> None:
    report.item_code = item_code or ""
    report.handler_kind = choice.kind
    report.handler_township = choice.township if choice.kind in (Report.TOWNSHIP, Report.SERVICE) else None
    report.handler_department = choice.department if choice.kind == Report.DEPARTMENT else None
    report.squad = choice.squad
    report.service_queue = choice.kind == Report.SERVICE


def _record_confirmation(report: Report, item_code: str | None, corrected: bool = False) -> None:
    try:
        from zhifa.dispatch import routing
        from zhifa.dispatch.models_router import RoutingExample
    except ImportError:
        return
    try:
        routing.record_confirmation(
            report.text,
            [item_code] if item_code else [],
            report.county,
            source=RoutingExample.CORRECTED if corrected else RoutingExample.CONFIRMED,
            reference=report.tracking_code,
        )
    except Exception:  # learning is a side effect: a failure must not undo the routing
        log.exception("could not record the routing of %s as a training example", report.tracking_code)


_UNSET = object()


def do_route(
    actor,
    report_id: int,
    *,
    item_code: Any = _UNSET,
    department_code: str = "",
    reason: str = "",
    now: dt.datetime | None = None,
    expected_state: str | None = None,
) -> Report:
    """一键转办: confirm the router's item (item_code unset) or correct it (a code, or "" for
    the service queue). A department may be named to override the county centre's choice."""
    now = _now(now)
    with transaction.atomic():
        report = _locked(actor, report_id, expected_state)
        if not report.suggestion:
            suggestions._set_suggestion(report, suggestions.suggest(report))
        if item_code is _UNSET:
            item_code = (report.suggestion or {}).get("item") or ""
        item_code = (item_code or "").strip()
        choice = decide_handler(report, item_code, timezone.localdate(now))
        if department_code:
            dept = Department.objects.filter(county_id=report.county_id, code=department_code).first()
            if dept is None:
                raise ValidationError({"department": f"部门“{department_code}”不存在"})
            choice = HandlerChoice(
                Report.DEPARTMENT, department=dept, squad=choice.squad, reason="调度员指定部门"
            )
        corrected = item_code != ((report.suggestion or {}).get("item") or "")
        _set_handler(report, choice, item_code)
        _apply(
            actor,
            report,
            wf.ROUTE,
            now,
            reason or choice.reason,
            {"item": item_code, "handler": handler_ref(report), "corrected": corrected},
        )
        _apply_playbook(actor, report, now)
        transaction.on_commit(lambda: _record_confirmation(report, item_code, corrected))
    return report


def _apply_playbook(actor, report: Report, now: dt.datetime) -> None:
    pb = playbooks.apply(actor, report, now)
    if pb is not None:
        _log(report, actor, "playbook", report.status, report.status, now, pb.name, {"playbook": pb.code})


def handler_ref(report: Report) -> str:
    """The handler as in the report-set format: township:T01, department:D03 or none."""
    if report.handler_kind == Report.TOWNSHIP and report.handler_township_id:
        return f"township:{report.handler_township.code}"
    if report.handler_kind == Report.DEPARTMENT and report.handler_department_id:
        return f"department:{report.handler_department.code}"
    return "none"


def do_reassign(
    actor,
    report_id: int,
    *,
    item_code: str | None = None,
    department_code: str = "",
    reason: str,
    now: dt.datetime | None = None,
    expected_state: str | None = None,
) -> Report:
    now = _now(now)
    with transaction.atomic():
        report = _locked(actor, report_id, expected_state)
        code = report.item_code if item_code is None else item_code.strip()
        choice = decide_handler(report, code, timezone.localdate(now))
        if department_code:
            dept = Department.objects.filter(county_id=report.county_id, code=department_code).first()
            if dept is None:
                raise ValidationError({"department": f"部门“{department_code}”不存在"})
            choice = HandlerChoice(Report.DEPARTMENT, department=dept, squad=choice.squad)
        wf.check(report.status, wf.REASSIGN, actor_kinds(actor, report))
        _set_handler(report, choice, code)
        _apply(actor, report, wf.REASSIGN, now, reason, {"item": code, "handler": handler_ref(report)})
        _apply_playbook(actor, report, now)
    return report


def do_assign(
    actor,
    report_id: int,
    *,
    unit: str,
    item_code: str | None = None,
    reason: str = "",
    now: dt.datetime | None = None,
    expected_state: str | None = None,
) -> Report:
    """指派: the dispatcher names the unit ("township:T01", "department:D03" or "service").

    A township team may only be given a matter whose item its township holds on the day
    (the catalogue decides, not the dispatcher); a department may be named for any item.
    Unrouted reports are routed (rule route), routed ones reassigned (rule reassign).
    """
    now = _now(now)
    with transaction.atomic():
        report = _locked(actor, report_id, expected_state)
        code = (
            (report.item_code or (report.suggestion or {}).get("item") or "")
            if item_code is None
            else item_code
        )
        code = (code or "").strip()
        kind, _, ref = unit.partition(":")
        base = decide_handler(report, code, timezone.localdate(now))
        if kind == "township":
            from zhifa.catalogue.services import holding_on

            township = Township.objects.filter(county_id=report.county_id, code=ref).first()
            if township is None:
                raise ValidationError({"unit": f"乡镇（街道）“{ref}”不存在"})
            if not code:
                raise ValidationError({"unit": "指派给乡镇执法队须先确定执法事项"})
            auth = holding_on(township, code, timezone.localdate(now))
            if not auth.held:
                raise ValidationError({"unit": f"{township.name}不能办理事项{code}：{auth.reason}"})
            choice = HandlerChoice(Report.TOWNSHIP, township=township, squad=base.squad, reason="调度员指派")
        elif kind == "department":
            dept = Department.objects.filter(county_id=report.county_id, code=ref).first()
            if dept is None:
                raise ValidationError({"unit": f"部门“{ref}”不存在"})
            choice = HandlerChoice(Report.DEPARTMENT, department=dept, squad=base.squad, reason="调度员指派")
        elif kind == "service":
            choice = HandlerChoice(
                Report.SERVICE, township=report.township, reason="非执法事项，转服务类事项队列"
            )
            code = ""
        else:
            raise ValidationError(
                {"unit": f"承办单位“{unit}”无效，应为 township:代码、department:代码 或 service"}
            )
        action = wf.ROUTE if report.status == wf.RECEIVED else wf.REASSIGN
        wf.check(report.status, action, actor_kinds(actor, report))
        _set_handler(report, choice, code)
        _apply(
            actor,
            report,
            action,
            now,
            reason or choice.reason,
            {"item": code, "handler": handler_ref(report)},
        )
        _apply_playbook(actor, report, now)
        if action == wf.ROUTE:
            transaction.on_commit(lambda: _record_confirmation(report, code))
    return report
