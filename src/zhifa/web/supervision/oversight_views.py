"""Pages: remedies on cases, public evaluation, and the procuratorate's view with clue transfer."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone

from zhifa.org import roles
from zhifa.org.models import Township
from zhifa.supervision import oversight as svc
from zhifa.supervision.models import Clue, Evaluation, RemedyRecord
from zhifa.web.forms import error_messages as _errors
from zhifa.web.forms import parse_date as _date


def _case_by_number(user, number: str):
    from zhifa.cases.models import Case

    return Case.objects.restrict(user).filter(number=number.strip()).first()


@login_required
def remedies(request):
    errors: list[str] = []
    data = request.POST if request.method == "POST" else {}
    today = timezone.localdate()
    if request.method == "POST":
        try:
            if data.get("action") == "outcome":
                svc.set_remedy_outcome(
                    request.user,
                    int(data.get("remedy") or 0),
                    data.get("outcome", ""),
                    _date(data.get("decided_on")) or today,
                    data.get("note", ""),
                )
                messages.success(request, "结果已登记。")
            else:
                case = _case_by_number(request.user, data.get("case_number", ""))
                if case is None:
                    raise ValidationError({"case_number": f"案件编号“{data.get('case_number', '')}”不存在。"})
                filed_on = _date(data.get("filed_on"))
                if filed_on is None:
                    raise ValidationError({"filed_on": "申请/起诉日期格式应为YYYY-MM-DD。"})
                svc.record_remedy(
                    request.user,
                    case.pk,
                    kind=data.get("kind", ""),
                    body=data.get("body", ""),
                    filed_on=filed_on,
                    note=data.get("note", ""),
                )
                messages.success(request, "已登记。")
        except RemedyRecord.DoesNotExist:
            raise PermissionDenied("无权操作该记录。") from None
        except ValidationError as exc:
            errors = _errors(exc)
        else:
            return redirect("web:supervision:remedies")
    return render(
        request,
        "web/supervision/remedies.html",
        {
            "records": RemedyRecord.objects.restrict(request.user).select_related("case", "township")[:300],
            "kinds": RemedyRecord.KIND_CHOICES,
            "outcomes": RemedyRecord.OUTCOME_CHOICES[1:],
            "errors": errors,
            "data": data,
            "today": today,
        },
    )


@login_required
def evaluations(request):
    from zhifa.dispatch.models import Report

    errors: list[str] = []
    link = None
    if request.method == "POST":
        try:
            number = request.POST.get("number", "").strip()
            case = _case_by_number(request.user, number)
            if case is not None:
                ev = svc.evaluation_link(case=case, role=Evaluation.PARTY)
            else:
                report = Report.objects.restrict(request.user).filter(tracking_code=number).first()
                if report is None:
                    raise ValidationError(f"没有编号为“{number}”的案件或事件。")
                ev = svc.evaluation_link(report=report, role=Evaluation.REPORTER)
        except ValidationError as exc:
            errors = _errors(exc)
        else:
            link = request.build_absolute_uri(reverse("web:supervision:rate", args=[ev.token]))
    evs = Evaluation.objects.restrict(request.user).select_related("case", "report", "township")[:300]
    rated = [e.rating for e in evs if e.rating]
    return render(
        request,
        "web/supervision/evaluations.html",
        {
            "evaluations": evs,
            "errors": errors,
            "link": link,
            "average": round(sum(rated) / len(rated), 2) if rated else None,
        },
    )


def rate(request, token: str):
    """Public: the party or reporter rates a closed matter (no login)."""
    ev = get_object_or_404(Evaluation.objects.select_related("township", "case", "report"), token=token)
    errors: list[str] = []
    if request.method == "POST":
        try:
            svc.rate(token, int(request.POST.get("rating") or 0), request.POST.get("comment", ""))
        except ValueError:
            errors = ["请选择1至5星的满意度。"]
        except ValidationError as exc:
            errors = _errors(exc)
        else:
            return redirect("web:supervision:rate", token)
        ev.refresh_from_db()
    return render(
        request, "web/supervision/rate.html", {"ev": ev, "errors": errors, "stars": range(5, 0, -1)}
    )


@login_required
def procuratorate(request):
    """Read-only view of the county's decisions for the procuratorate, and the clue exchange."""
    from zhifa.cases.models import Case

    user = request.user
    # A superuser account sends and answers clues as its own role: the procuratorate's side only
    # when its role is the procuratorate's.
    is_procurator = roles.has_capability(user, "supervision.procuratorate_clues", role_only=True)
    if not (user.can("supervision.procuratorate_page") or user.township_id):
        raise PermissionDenied("您没有访问检察监督页面的权限。")
    errors: list[str] = []
    data = request.POST if request.method == "POST" else {}
    today = timezone.localdate()
    if request.method == "POST":
        try:
            if data.get("action") == "respond":
                svc.respond_clue(
                    user,
                    int(data.get("clue") or 0),
                    status=data.get("status", ""),
                    response=data.get("response", ""),
                    on=today,
                )
                messages.success(request, "办理情况已登记。")
            else:
                township = Township.objects.restrict(user).filter(pk=data.get("township") or None).first()
                if township is None:
                    raise ValidationError({"township": "请选择乡镇（街道）。"})
                case = _case_by_number(user, data.get("case_number", "")) if data.get("case_number") else None
                if data.get("case_number") and case is None:
                    raise ValidationError({"case": f"案件编号“{data['case_number']}”不存在。"})
                direction = Clue.FROM_PROCURATORATE if is_procurator else Clue.TO_PROCURATORATE
                svc.send_clue(
                    user,
                    direction=direction,
                    township=township,
                    subject=data.get("subject", ""),
                    content=data.get("content", ""),
                    on=today,
                    case_id=case.pk if case else None,
                )
                messages.success(request, "线索已移送。")
        except Clue.DoesNotExist:
            raise PermissionDenied("无权办理该线索。") from None
        except ValidationError as exc:
            errors = _errors(exc)
        else:
            return redirect("web:supervision:procuratorate")
    decided = (
        Case.objects.restrict(user)
        .exclude(decision=None)
        .select_related("township")
        .order_by("-created_at")[:300]
    )
    transfers = Case.objects.restrict(user).exclude(transfer=None).select_related("township")[:100]
    return render(
        request,
        "web/supervision/procuratorate.html",
        {
            "decided": decided,
            "transfers": transfers,
            "clues": Clue.objects.restrict(user).select_related("township", "case")[:300],
            "townships": Township.objects.restrict(user) if not user.township_id else [user.township],
            "errors": errors,
            "data": data,
            "is_procurator": is_procurator,
            "can_send": is_procurator
            or roles.has_capability(user, "supervision.clue_to_procuratorate", role_only=True),
        },
    )
