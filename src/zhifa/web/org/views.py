from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from zhifa.core import calendar
from zhifa.core.models import AuditEntry, CalendarDay, HolidayYear
from zhifa.core.paging import CappedPaginator, Key, keyset_page
from zhifa.org import auth, roles, services
from zhifa.org.models import County, Department, Township, User
from zhifa.org.scoping import restrict


def _need(request, capability: str) -> None:
    if not request.user.can(capability):
        raise PermissionDenied("您没有访问此页面的权限。")


@login_required
def user_list(request):
    _need(request, "org.manage_users")
    qs = User.objects.restrict(request.user).select_related("township", "department").order_by("username")
    q = request.GET.get("q", "").strip()
    if q:
        qs = qs.filter(Q(username__icontains=q) | Q(full_name__icontains=q))
    if request.GET.get("role"):
        qs = qs.filter(role=request.GET["role"])
    page = CappedPaginator(qs, 50).get_page(request.GET.get("page"))
    locks = auth.active_locks(u.username for u in page)
    for u in page:
        u.locked_addresses = locks.get(u.username, 0)
    return render(request, "web/org/users.html", {"page": page, "q": q, "role_choices": roles.CHOICES})


@login_required
def user_create(request):
    _need(request, "org.manage_users")
    townships = Township.objects.restrict(request.user)
    departments = Department.objects.restrict(request.user)
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        data = request.POST
        try:
            services.create_user(
                request.user,
                username=data.get("username", "").strip(),
                full_name=data.get("full_name", "").strip(),
                role=data.get("role", ""),
                password=data.get("password", ""),
                township=townships.filter(pk=data.get("township") or None).first(),
                department=departments.filter(pk=data.get("department") or None).first(),
                phone=data.get("phone", "").strip(),
            )
        except ValidationError as exc:
            errors = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
        else:
            messages.success(request, f"账号 {data.get('username')} 已创建。")
            return redirect("web:org:users")
    return render(
        request,
        "web/org/user_form.html",
        {
            "townships": townships,
            "departments": departments,
            "role_choices": roles.CHOICES,
            "errors": errors,
            "data": request.POST,
        },
    )


@login_required
@require_POST
def user_action(request, pk: int):
    _need(request, "org.manage_users")
    action = request.POST.get("action")
    try:
        if action == "unlock":
            u = services.unlock_user(request.user, pk)
            messages.success(request, f"{u} 已解锁。")
        elif action in ("activate", "deactivate"):
            u = services.set_active(request.user, pk, action == "activate")
            messages.success(request, f"{u} 已{'启用' if u.is_active else '停用'}。")
        elif action == "password":
            u = services.reset_password(request.user, pk, request.POST.get("password", ""))
            messages.success(request, f"{u} 的密码已重置。")
        else:
            messages.error(request, "未知操作。")
    except User.DoesNotExist as exc:
        raise Http404("账号不存在") from exc
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    return redirect("web:org:users")


@login_required
def calendar_index(request):
    can_edit = request.user.can("core.manage_calendar")
    form = {"year": "", "source": "", "holidays": "", "workdays": ""}
    errors: list[str] = []
    if request.method == "POST":
        _need(request, "core.manage_calendar")
        form = {k: request.POST.get(k, "") for k in form}
        try:
            year = int(form["year"])
        except ValueError:
            errors = ["年份必须是四位数字"]
        else:
            try:
                n = calendar.save_year(year, form["holidays"], form["workdays"], form["source"])
            except calendar.CalendarInputError as exc:
                errors = exc.errors
            else:
                messages.success(request, f"{year}年节假日安排已保存（{n}个特殊日期）。")
                return redirect("web:org:calendar_year", year=year)
    years = HolidayYear.objects.all()
    last = years.last()
    return render(
        request,
        "web/org/calendar.html",
        {
            "years": years,
            "can_edit": can_edit,
            "form": form,
            "errors": errors,
            "next_year": (last.year + 1) if last else dt.date.today().year,
        },
    )


@login_required
def calendar_year(request, year: int):
    y = HolidayYear.objects.filter(year=year).first()
    if y is None:
        raise Http404("没有该年度的节假日安排")
    can_edit = request.user.can("core.manage_calendar")
    errors: list[str] = []
    hol, work = calendar.year_lines(year)
    form = {"source": y.source, "holidays": hol, "workdays": work}
    if request.method == "POST":
        _need(request, "core.manage_calendar")
        form = {k: request.POST.get(k, "") for k in form}
        try:
            calendar.save_year(year, form["holidays"], form["workdays"], form["source"], replace=True)
        except calendar.CalendarInputError as exc:
            errors = exc.errors
        else:
            messages.success(request, f"{year}年节假日安排已更新。")
            return redirect("web:org:calendar_year", year=year)
    days = CalendarDay.objects.filter(date__year=year).order_by("date")
    return render(
        request,
        "web/org/calendar_year.html",
        {"year": y, "days": days, "can_edit": can_edit, "form": form, "errors": errors},
    )


@login_required
def audit_log(request):
    _need(request, "org.manage_users")
    # Each county's administrator reads their own county's entries (and installation-wide ones).
    qs = restrict(AuditEntry.objects.all(), request.user).order_by("-id")
    if request.GET.get("model"):
        qs = qs.filter(model=request.GET["model"])
    if request.GET.get("actor"):
        qs = qs.filter(actor__icontains=request.GET["actor"])
    # Newest first by the primary key, page by keyset: the chain grows by every change.
    page = keyset_page(qs, [Key("id", desc=True)], request.GET.get("after"), 50)
    return render(request, "web/org/audit.html", {"page": page})


@login_required
def structure(request):
    counties = County.objects.restrict(request.user).prefetch_related("townships", "departments")
    return render(request, "web/org/structure.html", {"counties": counties})
