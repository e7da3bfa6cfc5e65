"""Pages of the catalogue (一张清单明权责): browse, versions and drafts, entrustments, import, public lists.

Views are thin: every state change is a call into `zhifa.catalogue.services` (or the importer);
every queryset goes through `restrict(user, action)` so another township's rows give 404.
"""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q, Sum
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from zhifa.catalogue import importer, services
from zhifa.catalogue.models import (
    ACTION_TYPE_CHOICES,
    PENALTY,
    SOURCE_CHOICES,
    TIER_CHOICES,
    CatalogueVersion,
    DiscretionTier,
    Entrustment,
    Item,
    UsageCount,
)
from zhifa.core.paging import CappedPaginator
from zhifa.org.models import County, Township
from zhifa.org.services import county_of
from zhifa.web.forms import error_messages as _errors
from zhifa.web.forms import error_messages as _field_errors
from zhifa.web.forms import parse_date as _date

PAGE_SIZE = 30
MAX_UPLOAD_BYTES = 20 * 1024 * 1024


def _int(value: str | None) -> int:
    """A posted id; anything else becomes 0, which matches no row (→ 404 or a clear message)."""
    return int(value) if value and value.isdigit() else 0


# ---- items ---------------------------------------------------------------------------------------


@login_required
def index(request):
    """Browse and search the county's items."""
    user, today = request.user, timezone.localdate()
    county = county_of(user)
    items = Item.objects.restrict(user).select_related("department")
    if county is not None:
        items = items.filter(county=county)
    g = request.GET
    if g.get("q"):
        q = g["q"].strip()
        items = items.filter(
            Q(name__icontains=q) | Q(code__icontains=q) | Q(violation__icontains=q) | Q(penalty__icontains=q)
        )
    if g.get("basis"):
        items = items.filter(legal_basis__icontains=g["basis"].strip())
    for key in ("domain", "source", "action_type"):
        if g.get(key):
            items = items.filter(**{key: g[key]})
    if g.get("department"):
        items = items.filter(department__code=g["department"])
    if g.get("revoked") == "1":
        items = items.filter(revoked_on__isnull=False)
    elif g.get("revoked") != "all":
        items = items.filter(Q(revoked_on__isnull=True) | Q(revoked_on__gt=today))
    townships = Township.objects.restrict(user).filter(county=county).order_by("code")
    holder = townships.filter(code=g.get("township")).first() if g.get("township") else None
    if holder is not None:
        items = items.filter(code__in=services.held_item_codes(holder.code, today))
    page = CappedPaginator(items.order_by("code"), PAGE_SIZE).get_page(g.get("page"))
    base = Item.objects.filter(county=county)
    return render(
        request,
        "web/catalogue/index.html",
        {
            "page": page,
            "townships": townships,
            "holder": holder,
            "domains": base.exclude(domain="").values_list("domain", flat=True).distinct().order_by("domain"),
            "departments": county.departments.order_by("code") if county else [],
            "sources": SOURCE_CHOICES,
            "action_types": ACTION_TYPE_CHOICES,
            "can_edit_county": user.can("catalogue.edit_county"),
            "expiring": services.expiring_entrustments(Entrustment.objects.restrict(user), today).count(),
            "warning_days": services.EXPIRY_WARNING_DAYS,
        },
    )


@login_required
def item_detail(request, pk: int):
    user = request.user
    item = get_object_or_404(Item.objects.restrict(user).select_related("department", "county"), pk=pk)
    errors: list[str] = []
    if request.method == "POST":
        try:
            on = _date(request.POST.get("revoked_on"))
            services.revoke_item(user, item.pk, on, request.POST.get("reason", ""))
        except Item.DoesNotExist as exc:
            raise PermissionDenied("您不能收回该事项。") from exc
        except ValidationError as exc:
            errors = _errors(exc)
        else:
            messages.success(request, f"事项{item.code}已收回，自{on:%Y-%m-%d}起各乡镇不再行使。")
            return redirect("web:catalogue:item", pk=item.pk)
    return _item_page(request, item, errors=errors, data=request.POST if request.method == "POST" else {})


def _tier_form(tiers: list[DiscretionTier], posted=None) -> list[dict[str, str]]:
    """The four tiers as form rows: what was posted, else what is stored."""
    stored = {d.tier: d for d in tiers}
    rows = []
    for code, label in TIER_CHOICES:
        d = stored.get(code)
        if posted is not None:
            values = {k: posted.get(f"{code}_{k}", "") for k in ("condition", "fine_min", "fine_max")}
        else:
            values = {
                "condition": d.condition if d else "",
                "fine_min": _plain(d.fine_min) if d else "",
                "fine_max": _plain(d.fine_max) if d else "",
            }
        rows.append({"code": code, "label": label, **values})
    return rows


def _plain(amount) -> str:
    """An amount as typed by a person: 5000 rather than 5000.00, 12.5 rather than 12.50."""
    if amount is None:
        return ""
    text = f"{amount:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _item_page(request, item: Item, *, errors=(), data=None, tier_errors=(), tier_posted=None):
    user, today = request.user, timezone.localdate()
    since = (today.replace(day=1) - dt.timedelta(days=335)).replace(day=1)
    usage = dict(
        UsageCount.objects.filter(item=item, month__gte=since)
        .values("township_id")
        .annotate(n=Sum("count"))
        .values_list("township_id", "n")
    )
    holdings = [
        (t, services.holding_on(t, item, today), usage.get(t.pk, 0))
        for t in Township.objects.filter(county=item.county).order_by("code")
    ]
    tiers = sorted(DiscretionTier.objects.filter(item=item), key=lambda d: d.order)
    entrustments = (
        Entrustment.objects.restrict(user).filter(items=item).select_related("township", "department")
    )
    return render(
        request,
        "web/catalogue/item_detail.html",
        {
            "item": item,
            "tiers": tiers,
            "holdings": holdings,
            "entrustments": [(e, services.entrustment_state(e, today)) for e in entrustments],
            "can_revoke": user.can("catalogue.edit_county") and item.revoked_on is None,
            "can_edit": user.can("catalogue.edit_county"),
            "can_edit_tiers": user.can("catalogue.edit_county") and item.action_type == PENALTY,
            "tier_form": _tier_form(tiers, tier_posted),
            "tier_errors": tier_errors,
            "errors": errors,
            "data": data or {},
            "today": today,
        },
    )


@login_required
@require_POST
def item_tiers(request, pk: int):
    """Save the four tiers of the discretion benchmark; errors come back on the item page."""
    user = request.user
    if not user.can("catalogue.edit_county"):
        raise PermissionDenied("只有县级系统管理员可以修改裁量基准。")
    item = get_object_or_404(
        Item.objects.restrict(user, "change").select_related("department", "county"), pk=pk
    )
    posted = {
        code: {k: request.POST.get(f"{code}_{k}", "") for k in ("condition", "fine_min", "fine_max")}
        for code, _ in TIER_CHOICES
    }
    try:
        services.save_tiers(user, item.pk, posted)
    except ValidationError as exc:
        return _item_page(request, item, tier_errors=_errors(exc), tier_posted=request.POST)
    messages.success(request, f"事项{item.code}的裁量基准已保存，公示页面即时更新。")
    return redirect("web:catalogue:item", pk=item.pk)


# ---- versions -------------------------------------------------------------------------------------


@login_required
def versions(request):
    user, today = request.user, timezone.localdate()
    qs = (
        CatalogueVersion.objects.restrict(user)
        .select_related("township")
        .annotate(n_entries=Count("entries"))
        .order_by("township__code", "-number")
    )
    township_code = request.GET.get("township", "")
    if township_code:
        qs = qs.filter(township__code=township_code)
    rows = [(v, services.version_state(v, today)) for v in qs[:500]]
    editable = Township.objects.restrict(user, "change").order_by("code")
    return render(
        request,
        "web/catalogue/versions.html",
        {
            "rows": rows,
            "townships": Township.objects.restrict(user).filter(
                pk__in=CatalogueVersion.objects.restrict(user).values("township")
            ),
            "editable": editable if user.can("catalogue.pick_items") else [],
            "township_code": township_code,
        },
    )


@login_required
@require_POST
def draft_create(request):
    user = request.user
    township = get_object_or_404(
        Township.objects.restrict(user, "change"),
        pk=_int(request.POST.get("township")) or user.township_id or 0,
    )
    draft = services.create_draft(user, township)
    messages.success(request, f"已打开草稿：{draft}。")
    return redirect("web:catalogue:version", pk=draft.pk)


@login_required
def version_detail(request, pk: int):
    user, today = request.user, timezone.localdate()
    version = get_object_or_404(CatalogueVersion.objects.restrict(user).select_related("township"), pk=pk)
    ents = services.entrustments_by_item(version.township, today)
    entries = [(e, ents.get(e.item_id)) for e in version.entries.order_by("code")]
    can_edit = (
        not version.is_published
        and user.can("catalogue.pick_items")
        and CatalogueVersion.objects.restrict(user, "change").filter(pk=pk).exists()
    )
    offered = None
    if can_edit:
        offered = services.offered_items(version.township.county, today).exclude(entries__version=version)
        q = request.GET.get("q", "").strip()
        if q:
            offered = offered.filter(
                Q(name__icontains=q) | Q(code__icontains=q) | Q(legal_basis__icontains=q)
            )
        for key in ("domain", "source"):
            if request.GET.get(key):
                offered = offered.filter(**{key: request.GET[key]})
        offered = offered.select_related("department").order_by("code")
    others = CatalogueVersion.objects.restrict(user).filter(township=version.township).exclude(pk=pk)
    return render(
        request,
        "web/catalogue/version_detail.html",
        {
            "version": version,
            "state": services.version_state(version, today),
            "entries": entries,
            "offered": offered,
            "can_edit": can_edit,
            "can_publish": can_edit and user.can("catalogue.publish"),
            "others": others.order_by("-number"),
            "domains": Item.objects.filter(county=version.township.county)
            .exclude(domain="")
            .values_list("domain", flat=True)
            .distinct()
            .order_by("domain"),
            "sources": SOURCE_CHOICES,
            "today": today,
            "errors": request.session.pop("catalogue_errors", []),
        },
    )


def _draft_action(request, pk: int, action) -> HttpResponse | None:
    """Run one service call on a version; errors come back to the version page."""
    get_object_or_404(CatalogueVersion.objects.restrict(request.user, "change"), pk=pk)
    try:
        message = action()
    except CatalogueVersion.DoesNotExist as exc:
        raise PermissionDenied("您不能修改该清单版本。") from exc
    except ValidationError as exc:
        request.session["catalogue_errors"] = _errors(exc)
        return redirect("web:catalogue:version", pk=pk)
    if message:
        messages.success(request, message)
    return None


@login_required
@require_POST
def version_pick(request, pk: int):
    item_id = _int(request.POST.get("item"))

    def act():
        entry = services.pick(request.user, pk, item_id)
        return f"已点选：{entry.code} {entry.name}"

    return _draft_action(request, pk, act) or redirect(_back(request, pk))


@login_required
@require_POST
def version_unpick(request, pk: int):
    item_id = _int(request.POST.get("item"))

    def act():
        services.unpick(request.user, pk, item_id)
        return "已从草稿中移除该事项。"

    return _draft_action(request, pk, act) or redirect(_back(request, pk))


@login_required
@require_POST
def version_publish(request, pk: int):
    def act():
        on = _date(request.POST.get("effective_date"))
        if on is None:
            raise ValidationError("生效日期：请填写有效日期（格式 YYYY-MM-DD）。")
        v = services.publish(
            request.user, pk, on, request.POST.get("note", ""), expected_revision=request.POST.get("revision")
        )
        return f"{v}已发布，自{on:%Y-%m-%d}起生效。"

    return _draft_action(request, pk, act) or redirect("web:catalogue:version", pk=pk)


@login_required
@require_POST
def version_discard(request, pk: int):
    def act():
        services.discard_draft(request.user, pk, expected_revision=request.POST.get("revision"))
        return "草稿已删除。"

    return _draft_action(request, pk, act) or redirect("web:catalogue:versions")


def _back(request, pk: int) -> str:
    from django.urls import reverse

    url = reverse("web:catalogue:version", kwargs={"pk": pk})
    query = request.POST.get("back_query", "")
    return f"{url}?{query}" if query and "\n" not in query else url


@login_required
def compare(request):
    user = request.user
    qs = CatalogueVersion.objects.restrict(user).select_related("township")
    old = get_object_or_404(qs, pk=request.GET["a"]) if request.GET.get("a", "").isdigit() else None
    new = get_object_or_404(qs, pk=request.GET["b"]) if request.GET.get("b", "").isdigit() else None
    result = services.compare(old, new) if old and new else None
    return render(
        request,
        "web/catalogue/compare.html",
        {
            "versions": qs.order_by("township__code", "-number")[:500],
            "old": old,
            "new": new,
            "result": result,
        },
    )


# ---- entrustments --------------------------------------------------------------------------------


@login_required
def entrustments(request):
    user, today = request.user, timezone.localdate()
    qs = (
        Entrustment.objects.restrict(user)
        .select_related("township", "department")
        .prefetch_related("items")
        .order_by("valid_to", "doc_no")
    )
    if request.GET.get("township"):
        qs = qs.filter(township__code=request.GET["township"])
    rows = [(e, services.entrustment_state(e, today)) for e in qs]
    state = request.GET.get("state", "")
    if state:
        rows = [r for r in rows if r[1] == state]
    return render(
        request,
        "web/catalogue/entrustments.html",
        {
            "rows": rows,
            "expiring": services.expiring_entrustments(Entrustment.objects.restrict(user), today).count(),
            "townships": Township.objects.restrict(user).order_by("code"),
            "states": ["即将到期", "已过期", "有效", "未生效", "即将终止", "已终止"],
            "state": state,
            "today": today,
            "warning_days": services.EXPIRY_WARNING_DAYS,
            "can_manage": user.can("catalogue.manage_entrustments"),
        },
    )


# ---- import and export ---------------------------------------------------------------------------


@login_required
def import_page(request):
    user = request.user
    if not user.can("catalogue.edit_county"):
        raise PermissionDenied("只有县级系统管理员可以导入执法事项清单。")
    county = county_of(user)
    errors: list[str] = []
    result = None
    if request.method == "POST":
        uploads = request.FILES.getlist("files")
        effective = _date(request.POST.get("effective_date")) or timezone.localdate()
        if request.POST.get("effective_date") and _date(request.POST.get("effective_date")) is None:
            errors.append("生效日期：格式应为 YYYY-MM-DD")
        if not uploads:
            errors.append("请选择要导入的文件（CSV 或 .xlsx）")
        too_big = [f.name for f in uploads if f.size > MAX_UPLOAD_BYTES]
        errors += [f"{name}：文件超过20MB" for name in too_big]
        if not errors:
            tables, errors = importer.read_files([(f.name, f.read()) for f in uploads])
        if not errors:
            try:
                result = importer.import_tables(tables, county=county, effective_date=effective, actor=user)
            except importer.CatalogueImportError as exc:
                errors = exc.errors
    return render(
        request,
        "web/catalogue/import.html",
        {
            "county": county,
            "errors": errors,
            "result": result,
            "tables": importer.TABLES,
            "labels": importer.TABLE_LABELS,
            "today": timezone.localdate(),
        },
    )


@login_required
def export(request):
    county = county_of(request.user)
    if county is None or not County.objects.restrict(request.user).filter(pk=county.pk).exists():
        raise PermissionDenied("没有可导出的区县。")
    data = importer.export_xlsx(county)
    response = HttpResponse(
        data, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    name = f"catalogue-{county.code}-{timezone.localdate():%Y%m%d}.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


# ---- public pages (no login: the law requires the lists to be published) --------------------------


def public_index(request):
    today = timezone.localdate()
    rows = []
    for t in Township.objects.select_related("county").order_by("county__code", "code"):
        v = services.version_in_force(t, today)
        rows.append((t, v))
    return render(request, "web/catalogue/public_index.html", {"rows": rows, "today": today})


def public_township(request, code: str):
    today = timezone.localdate()
    township = get_object_or_404(Township.objects.select_related("county"), code=code)
    version = services.version_in_force(township, today)
    upcoming = (
        CatalogueVersion.objects.filter(
            township=township, status=CatalogueVersion.PUBLISHED, effective_date__gt=today
        )
        .order_by("effective_date", "number")
        .first()
    )
    entries = services.held_items(township, today)
    tiers: dict[int, list[DiscretionTier]] = {}
    for d in DiscretionTier.objects.filter(item_id__in=[e.item_id for e in entries]):
        tiers.setdefault(d.item_id, []).append(d)
    rows = [(e, sorted(tiers.get(e.item_id, []), key=lambda d: d.order)) for e in entries]
    return render(
        request,
        "web/catalogue/public_township.html",
        {"township": township, "version": version, "upcoming": upcoming, "rows": rows, "today": today},
    )


# ---- maintenance by the county administrator -------------------------------------------------------


@login_required
def item_form(request, pk: int | None = None):
    user = request.user
    if not user.can("catalogue.edit_county"):
        raise PermissionDenied("只有县级系统管理员可以维护执法事项。")
    county = county_of(user)
    item = get_object_or_404(Item.objects.restrict(user, "change"), pk=pk) if pk else None
    errors: list[str] = []
    if request.method == "POST":
        data = request.POST
        try:
            saved = services.save_item(user, item.county if item else county, data, item.pk if item else None)
        except ValidationError as exc:
            errors = _field_errors(exc)
        else:
            messages.success(request, f"已保存事项{saved.code}。新内容将随各乡镇下一次发布的清单版本生效。")
            return redirect("web:catalogue:item", pk=saved.pk)
    else:
        data = (
            {k: getattr(item, k) for k, _ in services.ITEM_FIELDS if k != "department"}
            | {"department": item.department.code}
            if item
            else {}
        )
    return render(
        request,
        "web/catalogue/item_form.html",
        {
            "item": item,
            "data": data,
            "errors": errors,
            "departments": (item.county if item else county).departments.order_by("code") if county else [],
            "sources": SOURCE_CHOICES,
            "action_types": ACTION_TYPE_CHOICES,
        },
    )


@login_required
def entrustment_form(request):
    user = request.user
    if not user.can("catalogue.manage_entrustments"):
        raise PermissionDenied("只有县级系统管理员可以登记委托书。")
    county = county_of(user)
    errors: list[str] = []
    data = request.POST if request.method == "POST" else request.GET
    if request.method == "POST":
        try:
            e = services.create_entrustment(
                user,
                county,
                doc_no=data.get("doc_no", ""),
                department_code=data.get("department", ""),
                township_code=data.get("township", ""),
                item_codes=data.getlist("items"),
                valid_from=_date(data.get("valid_from")),
                valid_to=_date(data.get("valid_to")),
            )
        except ValidationError as exc:
            errors = _field_errors(exc)
        else:
            messages.success(request, f"委托书{e.doc_no}已登记，有效期至{e.valid_to:%Y-%m-%d}。")
            return redirect("web:catalogue:entrustments")
    entrusted = Item.objects.filter(county=county, source="entrusted").select_related("department")
    return render(
        request,
        "web/catalogue/entrustment_form.html",
        {
            "data": data,
            "chosen": set(data.getlist("items")),
            "errors": errors,
            "departments": county.departments.order_by("code") if county else [],
            "townships": county.townships.order_by("code") if county else [],
            "items": entrusted.order_by("department__code", "code"),
        },
    )


def _manageable_entrustment(request, pk: int) -> Entrustment:
    if not request.user.can("catalogue.manage_entrustments"):
        raise PermissionDenied("只有县级系统管理员可以修改或终止委托书。")
    return get_object_or_404(
        Entrustment.objects.restrict(request.user, "change").select_related("township", "department"), pk=pk
    )


@login_required
def entrustment_detail(request, pk: int):
    """One entrustment: its items and term, its history from the audit log, and early ending."""
    user, today = request.user, timezone.localdate()
    e = get_object_or_404(Entrustment.objects.restrict(user).select_related("township", "department"), pk=pk)
    errors: list[str] = []
    if request.method == "POST":
        e = _manageable_entrustment(request, pk)
        on = _date(request.POST.get("ended_on"))
        try:
            services.end_entrustment(
                user,
                e.pk,
                on,
                request.POST.get("end_reason", ""),
                expected_revision=request.POST.get("revision"),
            )
        except ValidationError as exc:
            errors = _errors(exc)
        else:
            messages.success(request, f"委托书{e.doc_no}自{on:%Y-%m-%d}起提前终止。")
            return redirect("web:catalogue:entrustment", pk=e.pk)
    state = services.entrustment_state(e, today)
    open_ = e.ended_on is None and e.valid_to >= today
    return render(
        request,
        "web/catalogue/entrustment_detail.html",
        {
            "e": e,
            "state": state,
            "items": e.items.select_related("department").order_by("code"),
            "history": services.entrustment_history(e),
            "can_change": user.can("catalogue.manage_entrustments") and open_,
            "errors": errors,
            "data": request.POST if request.method == "POST" else {},
            "today": today,
        },
    )


@login_required
def entrustment_edit(request, pk: int):
    """Correct document number, term and items of an entrustment that has not yet run out."""
    user = request.user
    e = _manageable_entrustment(request, pk)
    errors: list[str] = []
    if request.method == "POST":
        data = request.POST
        try:
            services.update_entrustment(
                user,
                e.pk,
                doc_no=data.get("doc_no", ""),
                item_codes=data.getlist("items"),
                valid_from=_date(data.get("valid_from")),
                valid_to=_date(data.get("valid_to")),
                expected_revision=data.get("revision"),
            )
        except ValidationError as exc:
            errors = _field_errors(exc)
        else:
            messages.success(request, "委托书已修改，修改记录见下方变更历史。")
            return redirect("web:catalogue:entrustment", pk=e.pk)
        chosen = set(data.getlist("items"))
    else:
        data = {
            "doc_no": e.doc_no,
            "department": e.department.code,
            "township": e.township.code,
            "valid_from": f"{e.valid_from:%Y-%m-%d}",
            "valid_to": f"{e.valid_to:%Y-%m-%d}",
        }
        chosen = set(e.items.values_list("code", flat=True))
    entrusted = Item.objects.filter(county=e.county_id, source="entrusted", department=e.department)
    return render(
        request,
        "web/catalogue/entrustment_form.html",
        {
            "entrustment": e,
            "data": data,
            "chosen": chosen,
            "errors": errors,
            "departments": [e.department],
            "townships": [e.township],
            "items": entrusted.select_related("department").order_by("code"),
        },
    )
