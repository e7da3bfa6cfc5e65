"""Playbooks (智能预案): defined per county, applied when a report is routed to one of their items.

Applying a playbook creates the plan's tasks with due times in working days (the one calendar),
raises the report's priority if the plan says so and, when the plan names departments to call
and the router put the matter with a township team, blows the whistle on the township's behalf.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from zhifa.core.calendar import work_calendar
from zhifa.dispatch.actions.common import actor_kinds
from zhifa.dispatch.models import PlanTask, Playbook, Report, Whistle, WhistleCall
from zhifa.org import roles
from zhifa.org.models import County, Department
from zhifa.rules import dispatch_workflow as wf
from zhifa.rules.workdays import CalendarGapError

MAX_STEPS = 20


def parse_steps(text: str) -> list[dict[str, Any]]:
    """Steps typed one per line as "标题|责任单位|工作日数"; errors name the line."""
    steps, errors = [], []
    for n, line in enumerate((text or "").splitlines(), 1):
        if not line.strip():
            continue
        parts = [p.strip() for p in line.replace("｜", "|").split("|")]
        if len(parts) != 3 or not parts[0]:
            errors.append(f"第{n}行应为“步骤|责任单位|工作日数”")
            continue
        try:
            days = int(parts[2])
        except ValueError:
            errors.append(f"第{n}行的工作日数“{parts[2]}”不是整数")
            continue
        if not 1 <= days <= 60:
            errors.append(f"第{n}行的工作日数应在1至60之间")
            continue
        steps.append({"title": parts[0][:200], "unit": parts[1][:100], "days": days})
    if errors:
        raise ValidationError({"steps": errors})
    if not steps:
        raise ValidationError({"steps": "请至少填写一个处置步骤"})
    if len(steps) > MAX_STEPS:
        raise ValidationError({"steps": f"处置步骤不能超过{MAX_STEPS}个"})
    return steps


def save_playbook(
    actor,
    *,
    county: County,
    code: str,
    name: str,
    item_codes: list[str],
    steps: list[dict[str, Any]],
    priority: str = "",
    call_departments: list[str] | None = None,
) -> Playbook:
    from zhifa.catalogue.models import Item

    if not roles.has_capability(actor, "dispatch.playbooks"):
        raise PermissionDenied("只有县级调度员或管理员可以维护智能预案。")
    errors: dict[str, str] = {}
    code, name = code.strip(), name.strip()
    if not code:
        errors["code"] = "请填写预案编号"
    if not name:
        errors["name"] = "请填写预案名称"
    items = [c.strip() for c in item_codes if c and c.strip()]
    known = set(Item.objects.filter(county=county, code__in=items).values_list("code", flat=True))
    if not items:
        errors["item_codes"] = "请至少选择一个适用的执法事项"
    elif set(items) - known:
        errors["item_codes"] = f"执法事项不存在：{'、'.join(sorted(set(items) - known))}"
    depts = [c for c in (call_departments or []) if c]
    have = set(Department.objects.filter(county=county, code__in=depts).values_list("code", flat=True))
    if set(depts) - have:
        errors["call_departments"] = f"部门不存在：{'、'.join(sorted(set(depts) - have))}"
    if priority and priority not in wf.PRIORITY_LABELS:
        errors["priority"] = "紧急程度应为一般、紧急或特急"
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        pb, _ = Playbook.objects.update_or_create(
            county=county,
            code=code,
            defaults={
                "name": name,
                "item_codes": items,
                "steps": steps,
                "priority": priority,
                "call_departments": depts,
                "active": True,
            },
        )
    return pb


def find(report: Report) -> Playbook | None:
    if not report.item_code:
        return None
    for pb in Playbook.objects.filter(county_id=report.county_id, active=True).order_by("code"):
        if report.item_code in (pb.item_codes or []):
            return pb
    return None


def apply(actor, report: Report, now: dt.datetime) -> Playbook | None:
    """Apply the matching playbook to a just-routed report (inside the routing transaction)."""
    pb = find(report)
    if pb is None or report.plan_tasks.filter(playbook=pb).exists():
        return None
    cal = work_calendar()
    start = timezone.localtime(now)

    def due(days: int) -> dt.datetime | None:
        try:
            return wf.due_at(start, wf.Limit(days, wf.WORKDAYS), cal)
        except CalendarGapError:  # the year's holidays are not entered yet: no due time shown
            return None

    for i, step in enumerate(pb.steps or [], 1):
        PlanTask.objects.create(
            report=report,
            playbook=pb,
            order=i,
            title=step.get("title", ""),
            unit=step.get("unit", ""),
            due_at=due(int(step.get("days") or 1)),
        )
    report.playbook = pb
    rank = list(wf.PRIORITY_LABELS)
    if pb.priority and rank.index(pb.priority) > rank.index(report.priority):
        report.priority = pb.priority
    report.save(update_fields=["playbook", "priority", "updated_at"])
    if pb.call_departments and report.handler_kind == Report.TOWNSHIP and report.township_id:
        depts = list(Department.objects.filter(county_id=report.county_id, code__in=pb.call_departments))
        caller = actor if getattr(actor, "pk", None) else None
        if depts and caller is not None:
            w = Whistle.objects.create(
                township=report.township,
                report=report,
                subject=f"{pb.name}：{report.text[:60]}",
                detail="按智能预案召集：" + "；".join(s.get("title", "") for s in pb.steps or []),
                called_at=now,
                respond_by=due(1) or now + dt.timedelta(hours=24),
                called_by=caller,
            )
            for d in depts:
                WhistleCall.objects.create(whistle=w, department=d)
    return pb


def do_complete_task(actor, task_id: int, *, note: str = "", now: dt.datetime | None = None) -> PlanTask:
    now = now or timezone.now()
    with transaction.atomic():
        task = (
            PlanTask.objects.restrict(actor)
            .select_for_update()
            .select_related("report")
            .filter(pk=task_id)
            .first()
        )
        if task is None:
            raise PermissionDenied("预案步骤不存在或不在您的管辖范围内。")
        if not actor_kinds(actor, task.report) & {wf.HANDLER, wf.DISPATCHER}:
            raise PermissionDenied("只有承办单位或调度员可以完成预案步骤。")
        if task.done_at is not None:
            raise ValidationError("该步骤已完成")
        if task.report.status not in wf.OPEN_STATES:
            raise ValidationError(f"事件已{task.report.status_label}，不能再完成预案步骤")
        task.done_at, task.done_by, task.note = now, actor, note.strip()
        task.save()
        return task
