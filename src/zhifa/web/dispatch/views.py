"""Dispatch pages: intake form, the dispatcher's queue, report detail with actions, whistles,
the public tracking page and the mobile app shell. Views are thin: services do the work."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache

import zhifa.dispatch
from zhifa.catalogue.models import Item
from zhifa.core.paging import Key, keyset_page
from zhifa.dispatch.actions.common import StaleState, actor_kinds
from zhifa.dispatch.actions.intake import PhotoIn, do_intake
from zhifa.dispatch.actions.perform import perform
from zhifa.dispatch.actions.suggestions import preview_suggestions
from zhifa.dispatch.actions.whistle import (
    absent_departments,
    do_propose_discipline,
    do_respond,
    do_whistle,
    mark_absent,
)
from zhifa.dispatch.models import Report, ReportPhoto, Whistle, WhistleCall
from zhifa.org import roles
from zhifa.org.models import County, Department, Township
from zhifa.org.services import county_of
from zhifa.rules import dispatch_workflow as wf
from zhifa.rules.redaction import may_see_reporter
from zhifa.web.forms import error_messages as _errors

STATIC_DIR = Path(zhifa.dispatch.__file__).resolve().parent / "static" / "dispatch"

# Which extra fields each action's form needs (besides the reason).
ACTION_FIELDS: dict[str, tuple[str, ...]] = {
    wf.ROUTE: ("item", "department"),
    wf.REASSIGN: ("item", "department"),
    wf.CALLBACK: ("callback",),
    wf.HOLD: ("review_on",),
    wf.REQUEST_EXTENSION: ("days",),
    wf.SPLIT_ACTION: ("parts",),
    wf.MERGE: ("into",),
}
REASON_LABELS = {wf.FINISH: "处置结果", wf.CALLBACK: "回访记录", wf.REOPEN: "举报人意见"}


def _county(user) -> County:
    county = county_of(user)
    if county is None:
        raise Http404("尚未建立区县")
    return county


def _handler_labels(refs) -> dict[str, str]:
    """Readable names for handler references such as township:T01 or department:D05."""
    refs = {r for r in refs if r}
    t_codes = {r.split(":", 1)[1] for r in refs if r.startswith("township:")}
    d_codes = {r.split(":", 1)[1] for r in refs if r.startswith("department:")}
    out = {"none": "服务类事项队列（非执法事项）"}
    if t_codes:
        for code, name in Township.objects.filter(code__in=t_codes).values_list("code", "name"):
            out[f"township:{code}"] = f"{name}综合行政执法队"
    if d_codes:
        for code, name in Department.objects.filter(code__in=d_codes).values_list("code", "name"):
            out[f"department:{code}"] = f"{name}（经县指挥中心转办）"
    return out


def _item_names(codes) -> dict[str, str]:
    codes = {c for c in codes if c}
    if not codes:
        return {}
    return dict(Item.objects.filter(code__in=codes).values_list("code", "name"))


# ---- queue ----------------------------------------------------------------------------------------

QUEUE_PAGE = 50
QUEUE_ORDER = [Key("step_due_at"), Key("created_at", desc=True), Key("id", desc=True)]


@login_required
def queue(request):
    now = timezone.now()
    reports = Report.objects.restrict(request.user).select_related(
        "township", "handler_township", "handler_department", "duplicate_of"
    )
    status = request.GET.get("status", "open")
    if status == "open":
        reports = reports.filter(status__in=wf.OPEN_STATES)
    elif status in wf.STATE_LABELS:
        reports = reports.filter(status=status)
    if request.GET.get("township"):
        reports = reports.filter(township__code=request.GET["township"])
    if request.GET.get("handler") in dict(Report.HANDLER_CHOICES):
        reports = reports.filter(handler_kind=request.GET["handler"])
    if request.GET.get("overdue"):
        reports = reports.filter(status__in=wf.OPEN_STATES, step_due_at__lt=now)
    if request.GET.get("review"):
        # 待人工确认: the router was unsure; the dispatcher confirms or corrects (index on
        # county, needs_review, status).
        reports = reports.filter(needs_review=True, status=wf.RECEIVED)
    if request.GET.get("q"):
        reports = reports.filter(text__icontains=request.GET["q"].strip())
    # Late first (the earliest due), then the rest by due time, then the newest: one order on
    # plain columns, so an index (dispatch_report_queue_idx) serves it and pages go by keyset.
    page = keyset_page(reports, QUEUE_ORDER, request.GET.get("after"), QUEUE_PAGE)
    rows = page.rows
    # Reports taken in through the API get their routing suggestion from the dispatch worker;
    # one it has not reached yet is shown with a suggestion computed for the page, not stored
    # (a GET writes nothing).
    preview_suggestions([r for r in rows if r.status == wf.RECEIVED and not r.suggestion])
    names = _item_names([r.item_code or (r.suggestion or {}).get("item") for r in rows])
    handlers = _handler_labels((r.suggestion or {}).get("handler") for r in rows)
    called = _called_here(request.user, rows)
    for r in rows:
        r.called_here = r.pk in called
        ref = (r.suggestion or {}).get("handler") or ""
        r.suggested_handler = handlers.get(ref, ref)
        r.item_display = r.item_code or (r.suggestion or {}).get("item") or ""
        r.item_name = names.get(r.item_display, "")
        r.is_late = r.status in wf.OPEN_STATES and wf.is_overdue(r.step_due_at, now)
    return render(
        request,
        "web/dispatch/queue.html",
        {
            "page": page,
            "rows": rows,
            "statuses": wf.STATE_CHOICES,
            "handler_kinds": Report.HANDLER_CHOICES,
            "status": status,
            "townships": Township.objects.restrict(request.user).filter(county=_county(request.user)),
            "can_report": request.user.can("dispatch.report"),
            "now": now,
        },
    )


def _called_here(user, rows: list[Report]) -> set[int]:
    """Which rows a department staff member sees because a whistle called the department (one query)."""
    if not roles.has_capability(user, "dispatch.called_department", role_only=True):
        return set()
    if not user.department_id or not rows:
        return set()
    return set(
        WhistleCall.objects.filter(
            department_id=user.department_id, whistle__report__in=[r.pk for r in rows]
        ).values_list("whistle__report_id", flat=True)
    )


# ---- intake -----------------------------------------------------------------------------------------


def _photos(files) -> list[PhotoIn]:
    return [PhotoIn(f.name, f.read(), f.content_type or "") for f in files]


@login_required
def intake(request):
    if not request.user.can("dispatch.report"):
        raise PermissionDenied("您没有受理事件的权限。")
    errors: list[str] = []
    data = request.POST if request.method == "POST" else {}
    if request.method == "POST":
        try:
            result = do_intake(
                request.user,
                county=_county(request.user),
                text=data.get("text", ""),
                lon=data.get("lon"),
                lat=data.get("lat"),
                crs=data.get("crs") or "wgs84",
                channel=data.get("channel") or Report.WEB,
                client_id=data.get("client_id") or None,
                reporter_name=data.get("reporter_name", ""),
                reporter_phone=data.get("reporter_phone", ""),
                anonymous=bool(data.get("anonymous")),
                address=data.get("address", ""),
                priority=data.get("priority") or wf.NORMAL,
                photos=_photos(request.FILES.getlist("photos")),
            )
        except ValidationError as exc:
            errors = _errors(exc)
        else:
            r = result.report
            mine = r.reported_by_id == request.user.pk
            if not (result.created or mine or Report.objects.restrict(request.user).filter(pk=r.pk).exists()):
                raise PermissionDenied("该客户端编号已被其他事件使用。")
            messages.success(request, f"事件已受理，查询码 {r.tracking_code}。")
            for w in result.warnings:
                messages.warning(request, w)
            return redirect("web:dispatch:detail", pk=r.pk)
    return render(
        request,
        "web/dispatch/intake.html",
        {
            "errors": errors,
            "data": data,
            "crs_choices": Report.CRS_CHOICES,
            "priorities": wf.PRIORITY_CHOICES,
            "channels": [c for c in Report.CHANNEL_CHOICES if c[0] in (Report.WEB, Report.HOTLINE)],
        },
    )


# ---- detail and actions ------------------------------------------------------------------------------


def _action_forms(report: Report, kinds: set[str]) -> list[dict]:
    forms = []
    for action in wf.allowed_actions(report.status, kinds):
        if action in (wf.APPROVE_EXTENSION, wf.REJECT_EXTENSION) and not report.extension_requested_days:
            continue
        if action == wf.REQUEST_EXTENSION and report.extension_requested_days:
            continue
        rule = wf.TRANSITIONS[(report.status, action)]
        forms.append(
            {
                "action": action,
                "label": wf.ACTION_LABELS[action],
                "fields": ACTION_FIELDS.get(action, ()),
                "reason_required": rule.reason_required or action in (wf.FINISH,),
                "reason_label": REASON_LABELS.get(action, "理由"),
            }
        )
    return forms


@login_required
def detail(request, pk: int):
    report = get_object_or_404(
        Report.objects.restrict(request.user).select_related(
            "township", "handler_township", "handler_department", "duplicate_of", "merged_into", "parent"
        ),
        pk=pk,
    )
    errors: list[str] = []
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            if action == "complete_task":
                from zhifa.dispatch.playbooks import do_complete_task

                task = report.plan_tasks.filter(pk=request.POST.get("task") or 0).first()
                if task is None:
                    raise ValidationError("预案步骤不存在")
                do_complete_task(request.user, task.pk, note=request.POST.get("note", ""))
                messages.success(request, f"已完成预案步骤：{task.title}。")
                return redirect("web:dispatch:detail", pk=report.pk)
            perform(request.user, report.pk, action, request.POST.dict())
        except StaleState as exc:
            # Someone acted on the report since this page was loaded: nothing was written;
            # show the report as it is now with the reason on top.
            messages.error(request, exc.message_text)
            return redirect("web:dispatch:detail", pk=report.pk)
        except (wf.TransitionRefused, PermissionDenied) as exc:
            errors = [str(exc)]
        except ValidationError as exc:
            errors = _errors(exc)
        except Report.DoesNotExist as exc:
            raise Http404(str(exc)) from exc
        else:
            messages.success(request, f"已{wf.ACTION_LABELS.get(action, action)}。")
            return redirect("web:dispatch:detail", pk=report.pk)
    kinds = actor_kinds(request.user, report)
    if report.status == wf.RECEIVED and not report.suggestion:
        preview_suggestions([report])
    suggestion = report.suggestion or {}
    candidates = suggestion.get("candidates") or []
    also = suggestion.get("also") or []
    names = _item_names([c.get("item") for c in candidates + also] + [report.item_code])
    for c in candidates + also:
        c["name"] = names.get(c.get("item") or "", "非执法事项（服务类）")
        c["percent"] = round(100 * float(c.get("score") or 0), 1)
    ref = suggestion.get("handler") or "none"
    suggested_handler = _handler_labels([ref]).get(ref, ref)
    forms = _action_forms(report, kinds)
    actions = {f["action"] for f in forms}
    is_dispatcher = wf.DISPATCHER in kinds
    show_reporter = may_see_reporter(
        anonymous=report.anonymous, dispatcher=is_dispatcher, handler=wf.HANDLER in kinds
    )
    return render(
        request,
        "web/dispatch/detail.html",
        {
            "r": report,
            "errors": errors,
            "candidates": candidates,
            "item_name": names.get(report.item_code, ""),
            "forms": forms,
            "can_route": wf.ROUTE in actions,
            "can_split": wf.SPLIT_ACTION in actions and bool(also),
            "also": also,
            "split_parts": "\n".join(_split_parts(report.text, also)),
            "confidence": round(100 * float(suggestion.get("confidence") or 0)),
            "items": Item.objects.filter(county_id=report.county_id).only("code", "name"),
            "departments": Department.objects.filter(county_id=report.county_id),
            "townships": Township.objects.filter(county_id=report.county_id),
            "callbacks": Report.CALLBACK_CHOICES,
            "steps": report.steps.all(),
            "transitions": report.transitions.select_related(None),
            "photos": report.photos.all(),
            "subtasks": report.subtasks.all(),
            "plan_tasks": report.plan_tasks.select_related("done_by"),
            "can_complete": bool(kinds & {wf.HANDLER, wf.DISPATCHER}) and report.is_open,
            "show_reporter": show_reporter,
            "can_whistle": request.user.can("dispatch.whistle")
            and request.user.township_id == report.township_id,
            "now": timezone.now(),
            "escalation": wf.escalation_label(report.escalation_level),
            "suggested_handler": suggested_handler,
            "whistles": Whistle.objects.restrict(request.user)
            .filter(report=report)
            .prefetch_related("calls__department"),
        },
    )


def _split_parts(text: str, also: list[dict]) -> list[str]:
    """The sub-tasks of a one-click split: the report without the other matters' clauses, then
    each other matter's clause (the dispatcher can still edit them in the split form)."""
    clauses = [a.get("clause") or "" for a in also if a.get("clause")]
    main = text
    for c in clauses:
        main = main.replace(c, "")
    main = main.strip(" ，,。；;、\n") or text
    return [main, *clauses]


@login_required
def photo(request, pk: int):
    # A photo is visible to whoever may see its report (a department called by a whistle included).
    p = get_object_or_404(ReportPhoto.objects.filter(report__in=Report.objects.restrict(request.user)), pk=pk)
    return FileResponse(p.file.open("rb"), content_type=p.content_type or "image/jpeg")


# ---- whistle -------------------------------------------------------------------------------------------


def _datetime(value: str | None) -> dt.datetime | None:
    if not value:
        return None
    try:
        d = dt.datetime.fromisoformat(value)
    except ValueError:
        return None
    return timezone.make_aware(d) if timezone.is_naive(d) else d


@login_required
def whistles(request):
    user = request.user
    errors: list[str] = []
    data = request.POST if request.method == "POST" else {}
    can_whistle = user.can("dispatch.whistle") and user.township_id is not None
    if request.method == "POST":
        if not can_whistle:
            raise PermissionDenied("只有乡镇（街道）调度员或管理员可以吹哨。")
        respond_by = _datetime(data.get("respond_by"))
        report_id = None
        if data.get("report"):
            found = Report.objects.restrict(user).filter(tracking_code=data["report"].strip()).first()
            report_id = found.pk if found else -1
        bad_time = bool(data.get("respond_by")) and respond_by is None
        try:
            w = do_whistle(
                user,
                township=user.township,
                department_codes=data.getlist("departments"),
                subject=data.get("subject", ""),
                detail=data.get("detail", ""),
                respond_by=respond_by,
                report_id=report_id,
            )
        except ValidationError as exc:
            errors = _errors(exc)
            if bad_time:
                errors = [e for e in errors if e != "请填写报到期限"] + ["报到期限格式应为 YYYY-MM-DD HH:MM"]
        else:
            messages.success(request, f"已吹哨，召集{w.calls.count()}个部门。")
            return redirect("web:dispatch:whistle", pk=w.pk)
    items = (
        Whistle.objects.restrict(user)
        .select_related("township", "report")
        .prefetch_related("calls__department")
    )
    return render(
        request,
        "web/dispatch/whistles.html",
        {
            "whistles": items[:200],
            "errors": errors,
            "data": data,
            "can_whistle": can_whistle,
            "departments": Department.objects.filter(county_id=user.county_id),
            "now": timezone.now(),
            "prefill_report": request.GET.get("report", ""),
        },
    )


@login_required
def whistle(request, pk: int):
    # A called department sees the matter here even though the report is not routed to it.
    w = get_object_or_404(
        Whistle.objects.restrict(request.user).select_related("township", "report__township"), pk=pk
    )
    errors: list[str] = []
    if request.method == "POST":
        try:
            do_respond(
                request.user, int(request.POST.get("call", 0)), response=request.POST.get("response", "")
            )
        except PermissionDenied as exc:
            errors = [str(exc)]
        except ValidationError as exc:
            errors = _errors(exc)
        else:
            messages.success(request, "已报到。")
            return redirect("web:dispatch:whistle", pk=pk)
    calls = list(w.calls.select_related("department"))
    for c in calls:
        c.can_respond = c.status != WhistleCall.RESPONDED and (
            request.user.is_superuser or request.user.department_id == c.department_id
        )
    return render(
        request,
        "web/dispatch/whistle.html",
        {"w": w, "calls": calls, "errors": errors, "now": timezone.now()},
    )


@login_required
def absent(request):
    """The county's view: departments that did not come when a township blew the whistle."""
    user = request.user
    if not user.can("dispatch.absent"):
        raise PermissionDenied("该页面供县级调度和监督人员查看。")
    errors: list[str] = []
    if request.method == "POST":
        try:
            do_propose_discipline(user, int(request.POST.get("call", 0)), text=request.POST.get("text", ""))
        except PermissionDenied as exc:
            errors = [str(exc)]
        except ValidationError as exc:
            errors = _errors(exc)
        else:
            messages.success(request, "处理建议已记录。")
            return redirect("web:dispatch:absent")
    mark_absent()
    rows = absent_departments(user)
    return render(
        request,
        "web/dispatch/absent.html",
        {"rows": rows, "errors": errors, "can_propose": user.can("dispatch.discipline")},
    )


# ---- public tracking --------------------------------------------------------------------------------

PUBLIC_ACTIONS = {
    "intake",
    wf.ROUTE,
    wf.ACCEPT,
    wf.RETURN,
    wf.REASSIGN,
    wf.START_JOINT,
    wf.FINISH,
    wf.VERIFY,
    wf.CLOSE,
    wf.ARCHIVE,
    wf.HOLD,
    wf.RESUME,
    wf.REOPEN,
    wf.MERGE,
    wf.SPLIT_ACTION,
    wf.URGE,
}


@never_cache
def track(request):
    """No login: the reporter follows the status by tracking code. No names, no phone, no staff."""
    code = (request.GET.get("code") or "").strip().upper()
    report = None
    error = ""
    if code:
        report = Report.objects.select_related("township").filter(tracking_code=code).first()
        if report is None:
            error = f"查询码“{code}”不存在，请核对后重新输入。"
    events = []
    if report is not None:
        for t in report.transitions.all():
            if t.action in PUBLIC_ACTIONS:
                events.append({"at": t.at, "label": t.action_label})
    return render(
        request, "web/dispatch/track.html", {"code": code, "r": report, "error": error, "events": events}
    )


# ---- mobile app ------------------------------------------------------------------------------------------


@login_required
def mobile(request):
    if not request.user.can("dispatch.report"):
        raise PermissionDenied("您没有上报事件的权限。")
    return render(
        request,
        "web/dispatch/mobile.html",
        {"api_url": reverse("dispatch-report-list"), "crs_choices": Report.CRS_CHOICES},
    )


def _with_static(name: str) -> str:
    return (STATIC_DIR / name).read_text(encoding="utf-8").replace("__STATIC__", settings.STATIC_URL)


def manifest(request):
    body = _with_static("manifest.webmanifest")
    return HttpResponse(body, content_type="application/manifest+json")


def service_worker(request):
    # Served from /dispatch/m/ so that its scope covers the mobile app.
    body = _with_static("sw.js")
    response = HttpResponse(body, content_type="application/javascript")
    response["Cache-Control"] = "no-cache"
    return response


# ---- boards ---------------------------------------------------------------------------------------------


def _day(value: str | None, default: dt.date) -> dt.date:
    try:
        return dt.date.fromisoformat(value) if value else default
    except ValueError:
        return default


@login_required
def board(request):
    """On-time rates per township and department, and the map of open reports."""
    from zhifa.dispatch import boards

    now = timezone.now()
    today = timezone.localdate(now)
    start = _day(request.GET.get("from"), today - dt.timedelta(days=30))
    end = _day(request.GET.get("to"), today) + dt.timedelta(days=1)
    errors = []
    if end <= start:
        errors.append("结束日期不能早于开始日期")
        start, end = today - dt.timedelta(days=30), today + dt.timedelta(days=1)
    reports = Report.objects.restrict(request.user)
    from zhifa.dispatch.models import Step

    result = boards.on_time_rates(Step.objects.restrict(request.user), start, end, now)
    return render(
        request,
        "web/dispatch/board.html",
        {
            "board": result,
            "errors": errors,
            "start": start,
            "last": end - dt.timedelta(days=1),
            "points": boards.open_points(reports, now),
            "routing": boards.routing_quality(reports, start, end),
            "week": boards.week_of(today)[0],
        },
    )


@login_required
def weekly_export(request):
    from zhifa.dispatch import boards

    now = timezone.now()
    start = _day(request.GET.get("week"), timezone.localdate(now))
    monday = boards.week_of(start)[0]
    data = boards.weekly_workbook(request.user, Report.objects.restrict(request.user), monday, now)
    response = HttpResponse(
        data, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    name = f"dispatch-weekly-{monday:%Y-%m-%d}.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


# ---- playbooks ---------------------------------------------------------------------------------------------


@login_required
def playbook_list(request):
    from zhifa.dispatch import playbooks
    from zhifa.dispatch.models import Playbook

    user = request.user
    county = _county(user)
    errors: list[str] = []
    data = request.POST if request.method == "POST" else {}
    can_edit = user.can("dispatch.playbooks")
    if request.method == "POST":
        if not can_edit:
            raise PermissionDenied("只有县级调度员或管理员可以维护智能预案。")
        try:
            steps = playbooks.parse_steps(data.get("steps", ""))
            pb = playbooks.save_playbook(
                user,
                county=county,
                code=data.get("code", ""),
                name=data.get("name", ""),
                item_codes=data.getlist("item_codes"),
                steps=steps,
                priority=data.get("priority", ""),
                call_departments=data.getlist("call_departments"),
            )
        except ValidationError as exc:
            errors = _errors(exc)
        else:
            messages.success(request, f"智能预案“{pb.name}”已保存。")
            return redirect("web:dispatch:playbooks")
    return render(
        request,
        "web/dispatch/playbooks.html",
        {
            "playbooks": Playbook.objects.restrict(user).filter(county=county),
            "errors": errors,
            "data": data,
            "can_edit": can_edit,
            "items": Item.objects.filter(county=county).only("code", "name"),
            "departments": Department.objects.filter(county=county),
            "priorities": wf.PRIORITY_CHOICES,
            "names": dict(Item.objects.filter(county=county).values_list("code", "name")),
        },
    )


# ---- time limits -------------------------------------------------------------------------------------------


@login_required
def limit_list(request):
    from zhifa.dispatch import limits
    from zhifa.dispatch.models import TimeLimit

    user = request.user
    county = _county(user)
    errors: list[str] = []
    data = request.POST if request.method == "POST" else {}
    if request.method == "POST":
        try:
            if data.get("delete"):
                limits.delete_limit(user, county, int(data["delete"]))
                messages.success(request, "已删除该时限设置。")
            else:
                limits.save_limit(
                    user,
                    county=county,
                    step=data.get("step", ""),
                    amount=data.get("amount"),
                    unit=data.get("unit", ""),
                    item_code=data.get("item_code", ""),
                    priority=data.get("priority", ""),
                )
                messages.success(request, "时限已保存，此后开始的环节按新时限计算。")
        except ValidationError as exc:
            errors = _errors(exc)
        except ValueError:
            errors = ["要删除的时限设置编号无效"]
        else:
            return redirect("web:dispatch:limits")
    steps = [(s, wf.STATE_LABELS[s]) for s in (wf.RECEIVED, wf.ROUTED, wf.HANDLING, wf.JOINT, wf.VERIFYING)]
    return render(
        request,
        "web/dispatch/limits.html",
        {
            "rows": TimeLimit.objects.restrict(user)
            .filter(county=county)
            .order_by("item_code", "priority", "step"),
            "defaults": limits.defaults_table(),
            "steps": steps,
            "units": list(limits.UNITS.items()),
            "priorities": wf.PRIORITY_CHOICES,
            "items": Item.objects.filter(county=county).only("code", "name"),
            "errors": errors,
            "data": data,
            "can_edit": user.can("dispatch.limits"),
        },
    )
