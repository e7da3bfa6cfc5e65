"""Pages for inspection plans, registered inspection visits and the enterprise's scan page."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone

from zhifa.org.models import Department, Township, User
from zhifa.rules.inspections import CREDIT_LABELS, CREDIT_LIMITS
from zhifa.supervision import credentials
from zhifa.supervision import inspections as svc
from zhifa.supervision.models import Enterprise, InspectionPlan, InspectionVisit, PlanTask
from zhifa.web.forms import error_messages as _errors
from zhifa.web.forms import parse_date as _date


def _codes(text: str) -> list[str]:
    return [c for c in text.replace("，", ",").replace("、", ",").replace(" ", ",").split(",") if c.strip()]


@login_required
def visit_list(request):
    visits = (
        InspectionVisit.objects.restrict(request.user)
        .select_related("enterprise", "township")
        .prefetch_related("officers")
    )
    if request.GET.get("alerts"):
        visits = visits.exclude(alerts=[])
    if request.GET.get("township"):
        visits = visits.filter(township__code=request.GET["township"])
    return render(
        request,
        "web/supervision/inspections.html",
        {
            "visits": visits[:300],
            "townships": Township.objects.restrict(request.user),
            "can_inspect": request.user.can("supervision.inspect"),
        },
    )


@login_required
def visit_create(request):
    if not request.user.can("supervision.inspect"):
        raise PermissionDenied("您没有登记行政检查的权限。")
    enterprises = Enterprise.objects.restrict(request.user, "change").select_related("township")
    township_ids = set(enterprises.values_list("township_id", flat=True))
    officers = User.objects.filter(
        township_id__in=township_ids, role__in=svc.INSPECTING_ROLES, is_active=True
    ).order_by("township_id", "username")
    tasks = PlanTask.objects.restrict(request.user).filter(plan__year=timezone.localdate().year)
    departments = Department.objects.restrict(request.user)
    data = request.POST if request.method == "POST" else {}
    errors: list[str] = []
    if request.method == "POST":
        visited_on = _date(data.get("visited_on"))
        enterprise = enterprises.filter(pk=data.get("enterprise") or None).first()
        if visited_on is None:
            errors.append("检查日期格式应为 YYYY-MM-DD。")
        if enterprise is None:
            errors.append("请选择检查对象。")
        if not errors:
            try:
                result = svc.register_visit(
                    request.user,
                    enterprise_id=enterprise.pk,
                    visited_on=visited_on,
                    officer_ids=[int(x) for x in data.getlist("officers") if x.isdigit()],
                    item_codes=_codes(data.get("item_codes", "")),
                    department_codes=data.getlist("departments"),
                    notice=data.get("notice", ""),
                    task_id=int(data["task"]) if data.get("task", "").isdigit() else None,
                )
            except ValidationError as exc:
                errors = _errors(exc)
            else:
                for alert in result.alerts:
                    messages.warning(request, alert["message"])
                messages.success(request, "检查已登记，请企业扫描二维码核验。")
                return redirect("web:supervision:inspection_detail", result.visit.pk)
    return render(
        request,
        "web/supervision/inspection_form.html",
        {
            "enterprises": enterprises,
            "officers": officers,
            "tasks": tasks,
            "departments": departments,
            "errors": errors,
            "data": data,
            "selected_officers": data.getlist("officers") if data else [],
            "today": timezone.localdate(),
        },
    )


@login_required
def visit_detail(request, pk: int):
    visit = get_object_or_404(
        InspectionVisit.objects.restrict(request.user).select_related("enterprise", "township"), pk=pk
    )
    errors: list[str] = []
    if request.method == "POST":
        try:
            svc.record_result(
                request.user, visit.pk, request.POST.get("result", ""), request.POST.get("findings", "")
            )
        except PermissionDenied:
            raise
        except ValidationError as exc:
            errors = _errors(exc)
        else:
            messages.success(request, "检查结果已保存。")
            return redirect("web:supervision:inspection_detail", visit.pk)
    scan_url = request.build_absolute_uri(reverse("web:supervision:scan", args=[visit.token]))
    can_change = InspectionVisit.objects.restrict(request.user, "change").filter(pk=visit.pk).exists()
    return render(
        request,
        "web/supervision/inspection_detail.html",
        {
            "visit": visit,
            "officers": [credentials.credential(o, visit.visited_on) for o in visit.officers.all()],
            "items": _items(visit),
            "scan_url": scan_url,
            "qr": credentials.qr_svg(scan_url),
            "can_record": can_change and request.user.can("supervision.inspect"),
            "errors": errors,
            "results": InspectionVisit.RESULT_CHOICES[1:],
            "year_count": svc.enterprise_year_counts(visit.enterprise, visit.visited_on.year),
        },
    )


def _items(visit: InspectionVisit) -> list:
    from zhifa.catalogue.models import Item

    return list(
        Item.objects.filter(county_id=visit.county_id, code__in=visit.item_codes)
        .select_related("department")
        .order_by("code")
    )


def scan(request, token: str):
    """Public page the enterprise opens by scanning the visit's QR code (no login)."""
    visit = get_object_or_404(InspectionVisit.objects.select_related("enterprise", "township"), token=token)
    if request.method == "GET":
        svc.mark_scanned(token)
    errors: list[str] = []
    if request.method == "POST":
        try:
            rating = int(request.POST.get("rating", "0"))
        except ValueError:
            rating = 0
        try:
            svc.rate_visit(token, rating, request.POST.get("comment", ""))
        except ValidationError as exc:
            errors = _errors(exc)
        else:
            return redirect("web:supervision:scan", token)
        visit.refresh_from_db()
    return render(
        request,
        "web/supervision/scan.html",
        {
            "visit": visit,
            "officers": [credentials.credential(o, visit.visited_on) for o in visit.officers.all()],
            "items": _items(visit),
            "errors": errors,
            "stars": range(5, 0, -1),
        },
    )


@login_required
def enterprise_list(request):
    enterprises = Enterprise.objects.restrict(request.user).select_related("township")
    data = request.POST if request.method == "POST" else {}
    errors: list[str] = []
    if request.method == "POST":
        township = Township.objects.restrict(request.user).filter(pk=data.get("township") or None).first()
        try:
            svc.register_enterprise(
                request.user,
                name=data.get("name", ""),
                credit_code=data.get("credit_code", ""),
                township=township,
                address=data.get("address", ""),
                scene=data.get("scene", ""),
                credit_grade=data.get("credit_grade", ""),
                contact=data.get("contact", ""),
            )
        except ValidationError as exc:
            errors = _errors(exc)
        else:
            messages.success(request, "检查对象已登记。")
            return redirect("web:supervision:enterprises")
    year = timezone.localdate().year
    annotated = enterprises.annotate(n_year=Count("visits", filter=Q(visits__visited_on__year=year)))
    counts = {e: (e.n_year, CREDIT_LIMITS.get(e.credit_grade)) for e in annotated[:500]}
    return render(
        request,
        "web/supervision/enterprises.html",
        {
            "rows": counts.items(),
            "year": year,
            "errors": errors,
            "data": data,
            "scenes": svc.SCENES,
            "grades": CREDIT_LABELS.items(),
            "townships": Township.objects.restrict(request.user),
            "can_register": request.user.can("supervision.inspect"),
        },
    )


@login_required
def plan_list(request):
    plans = InspectionPlan.objects.restrict(request.user).select_related("township")
    errors: list[str] = []
    if request.method == "POST":
        township = (
            Township.objects.restrict(request.user).filter(pk=request.POST.get("township") or None).first()
        )
        try:
            plan = svc.create_plan(request.user, int(request.POST.get("year") or 0), township)
        except ValidationError as exc:
            errors = _errors(exc)
        else:
            return redirect("web:supervision:plan_detail", plan.pk)
    return render(
        request,
        "web/supervision/plans.html",
        {
            "plans": plans,
            "errors": errors,
            "year": timezone.localdate().year,
            "townships": Township.objects.restrict(request.user),
            "can_plan": request.user.can("supervision.plan"),
        },
    )


@login_required
def plan_detail(request, pk: int):
    plan = get_object_or_404(InspectionPlan.objects.restrict(request.user).select_related("township"), pk=pk)
    errors: list[str] = []
    data = request.POST if request.method == "POST" else {}
    if request.method == "POST":
        try:
            if data.get("action") == "approve":
                svc.approve_plan(request.user, plan.pk, timezone.localdate())
                messages.success(request, "计划已批准。")
            else:
                svc.add_plan_task(
                    request.user,
                    plan.pk,
                    scene=data.get("scene", ""),
                    month=int(data.get("month") or 0),
                    item_codes=_codes(data.get("item_codes", "")),
                    note=data.get("note", ""),
                )
                messages.success(request, "检查任务已加入计划。")
        except InspectionPlan.DoesNotExist:
            raise PermissionDenied("您不能修改该计划。") from None
        except ValidationError as exc:
            errors = _errors(exc)
        else:
            return redirect("web:supervision:plan_detail", plan.pk)
    tasks = list(plan.tasks.annotate(n_visits=Count("visits")))
    done = {t.pk: t.n_visits for t in tasks}
    return render(
        request,
        "web/supervision/plan_detail.html",
        {
            "plan": plan,
            "tasks": [(t, done[t.pk]) for t in tasks],
            "errors": errors,
            "data": data,
            "scenes": svc.SCENES,
            "months": range(1, 13),
            "can_plan": request.user.can("supervision.plan")
            and InspectionPlan.objects.restrict(request.user, "change").filter(pk=plan.pk).exists(),
        },
    )
