from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone

from zhifa.org.models import Township
from zhifa.supervision import services
from zhifa.supervision.models import CitizenSupervisor, Letter, Observation
from zhifa.web.forms import error_messages as _errors
from zhifa.web.forms import parse_date as _date


@login_required
def letter_list(request):
    letters = Letter.objects.restrict(request.user).select_related("township")
    if request.GET.get("kind"):
        letters = letters.filter(kind=request.GET["kind"])
    if request.GET.get("status"):
        letters = letters.filter(status=request.GET["status"])
    today = timezone.localdate()
    return render(
        request,
        "web/supervision/letters.html",
        {
            "letters": letters[:500],
            "summary": services.adoption_rate(letters, today),
            "today": today,
            "kinds": Letter.KIND_CHOICES,
            "statuses": Letter.STATUS_CHOICES,
            "can_issue": request.user.can("supervision.letters"),
        },
    )


@login_required
def letter_create(request):
    if not request.user.can("supervision.letters"):
        raise PermissionDenied("您没有发出监督文书的权限。")
    townships = Township.objects.restrict(request.user)
    kinds = [(k, label) for k, label in Letter.KIND_CHOICES if request.user.can(services.ISSUE_CAPABILITY[k])]
    errors: list[str] = []
    # GET parameters prefill the form (e.g. from the live findings page).
    data = request.POST if request.method == "POST" else request.GET
    if request.method == "POST":
        issued_on = _date(data.get("issued_on"))
        township = townships.filter(pk=data.get("township") or None).first()
        if issued_on is None:
            errors.append("发出日期格式应为 YYYY-MM-DD")
        if township is None:
            errors.append("请选择乡镇（街道）")
        if not errors:
            try:
                letter = services.issue_letter(
                    request.user,
                    township=township,
                    kind=data.get("kind", ""),
                    subject=data.get("subject", ""),
                    body=data.get("body", ""),
                    issued_on=issued_on,
                    reply_due=_date(data.get("reply_due")),
                    case_ref=data.get("case_ref", ""),
                )
            except ValidationError as exc:
                errors = _errors(exc)
            else:
                messages.success(request, f"{letter} 已发出，答复期限 {letter.reply_due}。")
                return redirect("web:supervision:letter_detail", pk=letter.pk)
    return render(
        request,
        "web/supervision/letter_form.html",
        {
            "townships": townships,
            "kinds": kinds,
            "errors": errors,
            "data": data,
            "today": timezone.localdate(),
        },
    )


@login_required
def letter_detail(request, pk: int):
    letter = get_object_or_404(Letter.objects.restrict(request.user).select_related("township"), pk=pk)
    errors: list[str] = []
    if request.method == "POST":
        try:
            if request.POST.get("action") == "reply":
                services.reply_letter(request.user, pk, request.POST.get("reply", ""), timezone.localdate())
                messages.success(request, "答复已提交。")
            elif request.POST.get("action") == "assess":
                services.assess_letter(
                    request.user,
                    pk,
                    request.POST.get("status", ""),
                    request.POST.get("assessment", ""),
                    timezone.localdate(),
                )
                messages.success(request, "采纳情况已评定。")
            return redirect("web:supervision:letter_detail", pk=pk)
        except Letter.DoesNotExist as exc:
            raise PermissionDenied("您不能处理该文书。") from exc
        except ValidationError as exc:
            errors = _errors(exc)
    user = request.user
    return render(
        request,
        "web/supervision/letter_detail.html",
        {
            "letter": letter,
            "errors": errors,
            "today": timezone.localdate(),
            "can_reply": letter.status == Letter.ISSUED
            and user.can("supervision.reply")
            and user.township_id == letter.township_id,
            "can_assess": letter.status == Letter.ANSWERED
            and user.can(services.ISSUE_CAPABILITY[letter.kind]),
            "outcomes": [
                c for c in Letter.STATUS_CHOICES if c[0] in (Letter.ADOPTED, Letter.PARTLY, Letter.REJECTED)
            ],
        },
    )


@login_required
def citizen_list(request):
    errors: list[str] = []
    if request.method == "POST":
        try:
            if request.POST.get("action") == "appoint":
                s = services.appoint_citizen_supervisor(
                    request.user,
                    name=request.POST.get("name", ""),
                    phone=request.POST.get("phone", ""),
                    organisation=request.POST.get("organisation", ""),
                    appointed_on=timezone.localdate(),
                )
                messages.success(request, f"已聘任执法监督员 {s.name}。")
            elif request.POST.get("action") == "handle":
                services.handle_observation(
                    request.user,
                    int(request.POST.get("observation", 0)),
                    request.POST.get("handling_note", ""),
                )
                messages.success(request, "处理情况已记录。")
            return redirect("web:supervision:citizens")
        except (Observation.DoesNotExist, ValueError) as exc:
            raise PermissionDenied("您不能处理该监督意见。") from exc
        except ValidationError as exc:
            errors = _errors(exc)
    return render(
        request,
        "web/supervision/citizens.html",
        {
            "supervisors": CitizenSupervisor.objects.restrict(request.user),
            "observations": Observation.objects.restrict(request.user).select_related(
                "supervisor", "township"
            )[:300],
            "can_appoint": request.user.can("supervision.citizen"),
            "errors": errors,
        },
    )


def observe(request, token: str):
    """Public page of a citizen supervisor's personal link: file an observation without login."""
    supervisor = CitizenSupervisor.objects.filter(token=token, active=True).select_related("county").first()
    if supervisor is None:
        return render(request, "web/supervision/observe.html", {"invalid": True}, status=404)
    errors: list[str] = []
    data = request.POST if request.method == "POST" else {}
    if request.method == "POST":
        try:
            services.file_observation(
                token,
                township_id=int(data.get("township") or 0) or None,
                observed_on=_date(data.get("observed_on")),
                place=data.get("place", ""),
                content=data.get("content", ""),
                today=timezone.localdate(),
            )
        except ValidationError as exc:
            errors = _errors(exc)
        else:
            return render(request, "web/supervision/observe.html", {"supervisor": supervisor, "done": True})
    return render(
        request,
        "web/supervision/observe.html",
        {
            "supervisor": supervisor,
            "townships": supervisor.county.townships.all(),
            "errors": errors,
            "data": data,
            "today": timezone.localdate(),
        },
    )
