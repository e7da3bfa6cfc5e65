"""Legal documents: the list, a case's documents with the generate form, downloads (DOCX/PDF)."""

from __future__ import annotations

import io

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from zhifa.core.paging import CappedPaginator
from zhifa.documents import forms, kinds, services
from zhifa.documents.render import CONTENT_TYPES
from zhifa.org.models import Township


def _require_view(user) -> None:
    if not user.can("documents.view"):
        raise PermissionDenied("您没有查阅法律文书的权限。")


@login_required
def index(request):
    _require_view(request.user)
    from zhifa.cases.models import Case

    docs = services.visible(request.user)
    q = (request.GET.get("q") or "").strip()
    if q:
        docs = docs.filter(Q(case__number__icontains=q) | Q(doc_no__icontains=q))
    if request.GET.get("kind") in kinds.BY_CODE:
        docs = docs.filter(kind=request.GET["kind"])
    townships = Township.objects.restrict(request.user).filter(documents__isnull=False).distinct()
    if request.GET.get("township"):
        docs = docs.filter(township__code=request.GET["township"])
    errors = []
    number = (request.GET.get("case") or "").strip()
    if number:
        case = Case.objects.restrict(request.user).filter(number=number).first()
        if case is not None:
            return redirect("web:documents:case", case_pk=case.pk)
        errors.append(f"案件编号“{number}”不存在或不在您的管辖范围内")
    page = CappedPaginator(docs.order_by("-generated_at", "-id"), 50).get_page(request.GET.get("page"))
    return render(
        request,
        "web/documents/index.html",
        {
            "page": page,
            "kinds": kinds.CHOICES,
            "townships": townships if request.user.township_id is None else [],
            "errors": errors,
            "q": q,
            "number": number,
            "can_settings": request.user.can("documents.settings"),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def case_documents(request, case_pk: int):
    _require_view(request.user)
    from zhifa.cases.models import Case

    case = get_object_or_404(Case.objects.restrict(request.user).select_related("township"), pk=case_pk)
    can_generate = services.can_generate(request.user, case)
    errors: list[str] = []
    kind = request.POST.get("kind") or request.GET.get("kind") or "penalty_decision"
    if request.method == "POST" and request.POST.get("action") == "void":
        doc = get_object_or_404(
            services.visible(request.user).filter(case=case), pk=request.POST.get("document") or 0
        )
        try:
            services.void(doc, request.user, request.POST.get("reason", ""))
        except services.DocumentError as err:
            messages.error(request, str(err))
        else:
            if services.decision_number(case, doc.kind):
                # A decision keeps its 文号: the replacement document carries it again.
                messages.success(
                    request, f"已作废《{doc.title}》{doc.doc_no}；重新生成的决定文书沿用该文号。"
                )
            else:
                messages.success(request, f"已作废《{doc.title}》{doc.doc_no}，该文号不再使用。")
        return redirect("web:documents:case", case_pk=case.pk)
    if request.method == "POST":
        if not can_generate:
            raise PermissionDenied("您无权为该案件生成法律文书。")
        if kind not in kinds.BY_CODE:
            errors.append("请选择文书种类")
        else:
            extra, errors = forms.extra_from_post(kind, request.POST)
        if not errors and request.POST.get("preview"):
            try:
                pdf = services.preview(case, kind, request.user, extra)
            except services.DocumentError as err:
                errors.append(str(err))
            else:
                return FileResponse(
                    io.BytesIO(pdf),
                    filename=f"{kinds.get(kind).title}（草稿）.pdf",
                    content_type=CONTENT_TYPES["pdf"],
                )
        elif not errors:
            try:
                doc = services.generate(case, kind, request.user, extra)
            except services.DocumentError as err:
                errors.append(str(err))
            else:
                messages.success(request, f"已生成《{doc.title}》，文号{doc.doc_no}。")
                return redirect("web:documents:case", case_pk=case.pk)
    docs = list(services.visible(request.user).filter(case=case).order_by("kind", "year", "seq"))
    done: dict[str, list] = {}
    for d in docs:
        if not d.voided:
            done.setdefault(d.kind, []).append(d)
    checklist = [
        {"kind": k, "title": kinds.get(k).title, "why": why, "docs": done.get(k, [])}
        for k, why in services.expected_for(case)
    ]
    return render(
        request,
        "web/documents/case.html",
        {
            "case": case,
            "docs": docs,
            "checklist": checklist,
            "can_generate": can_generate,
            "kinds": kinds.CHOICES,
            "kind": kind,
            "fields": [
                {
                    "key": f.key,
                    "label": f.label,
                    "widget": f.widget,
                    "help": f.help,
                    "kinds": " ".join(f.kinds or ()),
                    "value": request.POST.get(f.key, "") if request.method == "POST" else "",
                }
                for f in forms.FIELDS
            ],
            "errors": errors,
            "data": request.method == "POST",
        },
    )


@login_required
def download(request, pk: int, fmt: str):
    _require_view(request.user)
    if fmt not in CONTENT_TYPES:
        raise Http404("不支持的文书格式")
    doc = get_object_or_404(services.visible(request.user), pk=pk)
    try:
        data = services.read_file(doc, fmt)
    except services.DocumentError as err:
        messages.error(request, str(err))
        return redirect("web:documents:case", case_pk=doc.case_id)
    return FileResponse(
        io.BytesIO(data), as_attachment=True, filename=doc.filename(fmt), content_type=CONTENT_TYPES[fmt]
    )


@login_required
@require_http_methods(["GET", "POST"])
def settings(request):
    if not request.user.can("documents.settings"):
        raise PermissionDenied("您没有设置文书落款信息的权限。")
    from zhifa.documents.context import complete
    from zhifa.documents.models import AgencyProfile

    townships = [
        t for t in Township.objects.restrict(request.user) if services.can_edit_profile(request.user, t)
    ]
    if not townships:
        raise Http404("没有可设置的乡镇（街道）")
    code = request.POST.get("township") or request.GET.get("township")
    township = next((t for t in townships if t.code == code), None) if code else townships[0]
    if township is None:
        raise Http404("该乡镇（街道）不存在或不在您的管辖范围内")
    errors: list[str] = []
    if request.method == "POST":
        try:
            services.save_profile(request.user, township, request.POST)
        except ValidationError as err:
            errors = [
                f"{AgencyProfile._meta.get_field(f).verbose_name}：{m}"
                for f, ms in err.message_dict.items()
                for m in ms
            ]
        else:
            messages.success(request, f"已保存{township.name}的文书落款信息。")
            return redirect(f"{request.path}?township={township.code}")
    profile = AgencyProfile.objects.filter(township=township).first() or AgencyProfile(township=township)
    fields = []
    for name in AgencyProfile.CONTEXT_KEYS:
        f = AgencyProfile._meta.get_field(name)
        value = request.POST.get(name, "") if errors else getattr(profile, name)
        fields.append(
            {
                "name": name,
                "label": f.verbose_name,
                "help": f.help_text,
                "value": value,
                "max_length": f.max_length,
            }
        )
    preview = complete(services.township_extra(township, None))
    return render(
        request,
        "web/documents/settings.html",
        {
            "township": township,
            "townships": townships,
            "fields": fields,
            "errors": errors,
            "preview": preview,
        },
    )
