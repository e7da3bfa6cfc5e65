"""吹哨报到: the township calls departments to a matter (`do_whistle`), each reports in
(`do_respond`) or is marked absent after the deadline (`mark_absent`); the county may propose
disciplinary action (`do_propose_discipline`) and sees who did not come (`absent_departments`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from zhifa.dispatch.actions.common import _log, _now
from zhifa.dispatch.models import DisciplinaryProposal, Report, Whistle, WhistleCall
from zhifa.org import roles
from zhifa.org.models import Department, Township


def do_whistle(
    actor,
    *,
    township: Township,
    department_codes: list[str],
    subject: str,
    detail: str = "",
    respond_by: dt.datetime | None,
    report_id: int | None = None,
    now: dt.datetime | None = None,
) -> Whistle:
    """乡镇吹哨: the township calls departments to a matter, each must respond by `respond_by`."""
    now = _now(now)
    if not (
        actor.is_superuser
        or (roles.has_capability(actor, "dispatch.whistle") and actor.township_id == township.pk)
    ):
        raise PermissionDenied("只有本乡镇（街道）的调度员或管理员可以吹哨。")
    errors: dict[str, str] = {}
    if not subject.strip():
        errors["subject"] = "请填写吹哨事由"
    codes = [c for c in dict.fromkeys(department_codes) if c]
    depts = list(Department.objects.filter(county_id=township.county_id, code__in=codes))
    if not codes:
        errors["departments"] = "请至少选择一个部门"
    elif len(depts) != len(codes):
        missing = set(codes) - {d.code for d in depts}
        errors["departments"] = f"部门不存在：{'、'.join(sorted(missing))}"
    if respond_by is None:
        errors["respond_by"] = "请填写报到期限"
    elif respond_by <= now:
        errors["respond_by"] = "报到期限必须晚于现在"
    report = None
    if report_id:
        report = Report.objects.restrict(actor).filter(pk=report_id).first()
        if report is None:
            errors["report"] = "关联事件不存在或不在本乡镇（街道）"
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        whistle = Whistle.objects.create(
            township=township,
            report=report,
            subject=subject.strip(),
            detail=detail.strip(),
            called_at=now,
            respond_by=respond_by,
            called_by=actor,
        )
        for d in depts:
            WhistleCall.objects.create(whistle=whistle, department=d)
        if report is not None:
            _log(report, actor, "whistle", report.status, report.status, now, subject, {"departments": codes})
    return whistle


def do_respond(actor, call_id: int, *, response: str, now: dt.datetime | None = None) -> WhistleCall:
    """部门报到: the called department reports in (late answers are recorded as late)."""
    now = _now(now)
    if not response.strip():
        raise ValidationError({"response": "请填写报到情况（到场人员、处置措施）"})
    with transaction.atomic():
        call = (
            WhistleCall.objects.select_for_update(of=("self",))
            .select_related("whistle__report", "department")
            .filter(pk=call_id)
            .first()
        )
        if call is None or not (actor.is_superuser or actor.department_id == call.department_id):
            raise PermissionDenied("只有被召集的部门可以报到。")
        if call.status == WhistleCall.RESPONDED:
            raise ValidationError("已报到，不能重复报到")
        call.status = WhistleCall.RESPONDED
        call.response = response.strip()
        call.responded_at = now
        call.responded_by = actor
        call.save()
        report = call.whistle.report
        if report is not None:
            _log(
                report,
                actor,
                "whistle_response",
                report.status,
                report.status,
                now,
                call.response,
                {"department": call.department.code, "late": now > call.whistle.respond_by},
            )
    return call


def mark_absent(now: dt.datetime | None = None) -> int:
    """Calls still unanswered after their deadline become 未报到 (visible to the county)."""
    now = _now(now)
    n = 0
    due = WhistleCall.objects.filter(status=WhistleCall.CALLED, whistle__respond_by__lt=now)
    for pk in list(due.values_list("pk", flat=True)):
        with transaction.atomic():
            # Locked and read again: a department answering meanwhile (`do_respond` locks the
            # call too) or another worker marking it first must not be overwritten.
            call = due.select_for_update(skip_locked=True, of=("self",)).filter(pk=pk).first()
            if call is None:
                continue
            call.status = WhistleCall.ABSENT
            call.save(update_fields=["status"])
            n += 1
    return n


def do_propose_discipline(
    actor, call_id: int, *, text: str, now: dt.datetime | None = None
) -> DisciplinaryProposal:
    now = _now(now)
    if not roles.has_capability(actor, "dispatch.discipline"):
        raise PermissionDenied("只有县级调度或监督人员可以提出处理建议。")
    if not text.strip():
        raise ValidationError({"text": "请填写处理建议"})
    with transaction.atomic():
        call = WhistleCall.objects.restrict(actor).filter(pk=call_id).first()
        if call is None:
            raise PermissionDenied("召集记录不存在。")
        if call.status == WhistleCall.RESPONDED and (call.responded_at or now) <= call.whistle.respond_by:
            raise ValidationError("该部门已按时报到，不能提出处理建议")
        return DisciplinaryProposal.objects.create(
            call=call, text=text.strip(), proposed_by=actor, proposed_at=now
        )


def absent_departments(user, qs=None) -> list[dict[str, Any]]:
    """Per department: calls, responded, late and absent counts (the county's view)."""
    calls = (qs if qs is not None else WhistleCall.objects.restrict(user)).select_related(
        "department", "whistle"
    )
    rows: dict[int, dict[str, Any]] = {}
    for c in calls:
        r = rows.setdefault(
            c.department_id,
            {
                "department": c.department,
                "called": 0,
                "waiting": 0,
                "responded": 0,
                "late": 0,
                "absent": 0,
                "open": [],
            },
        )
        r["called"] += 1
        if c.status == WhistleCall.CALLED:
            r["waiting"] += 1
        if c.status == WhistleCall.RESPONDED:
            r["responded"] += 1
            if c.responded_at and c.responded_at > c.whistle.respond_by:
                r["late"] += 1
                r["open"].append(c)
        elif c.status == WhistleCall.ABSENT:
            r["absent"] += 1
            r["open"].append(c)
    return sorted(rows.values(), key=lambda r: (-r["absent"] - r["late"], r["department"].code))
