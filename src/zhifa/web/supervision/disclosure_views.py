"""Disclosure pages: the public list of penalty decisions, and the staff page that publishes them."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Min, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone

from zhifa.core.calendar import work_calendar
from zhifa.core.paging import CappedPaginator
from zhifa.org.models import Township
from zhifa.supervision import disclosure as svc
from zhifa.supervision.models import Disclosure
from zhifa.web.forms import error_messages as _errors
from zhifa.web.forms import parse_date as _date


def public_list(request):
    """No login: every published, not withdrawn decision, newest first."""
    qs = svc.public_queryset()
    if request.GET.get("township"):
        qs = qs.filter(township__code=request.GET["township"])
    if request.GET.get("q"):
        qs = qs.filter(doc_no__icontains=request.GET["q"].strip())
    page = CappedPaginator(qs, 30).get_page(request.GET.get("page"))
    return render(
        request,
        "web/supervision/public_decisions.html",
        {"page": page, "townships": Township.objects.order_by("code")},
    )


def public_detail(request, pk: int):
    d = get_object_or_404(svc.public_queryset(), pk=pk)
    return render(request, "web/supervision/public_decision.html", {"d": d})


@login_required
def staff_page(request):
    from zhifa.cases.models import Case

    today = timezone.localdate()
    errors: list[str] = []
    if request.method == "POST":
        try:
            if request.POST.get("action") == "withdraw":
                svc.withdraw(
                    request.user,
                    int(request.POST.get("disclosure") or 0),
                    revoked_on=_date(request.POST.get("revoked_on")) or today,
                    reason=request.POST.get("reason", ""),
                    on=today,
                )
                messages.success(request, "公示已撤回。")
            else:
                d = svc.publish_decision(request.user, int(request.POST.get("case") or 0), today)
                messages.success(request, f"处罚决定{d.doc_no}已公示。")
        except (Case.DoesNotExist, Disclosure.DoesNotExist):
            raise PermissionDenied("无权操作该案件。") from None
        except ValidationError as exc:
            errors = _errors(exc)
        else:
            return redirect("web:supervision:disclosures")
    pending = (
        Case.objects.restrict(request.user)
        .filter(decision__kind="penalty", disclosure__isnull=True)
        .exclude(events__type="disclosed")
        .annotate(decided_on=Min("events__date", filter=Q(events__type="decided")))
        .filter(decided_on__isnull=False)
        .select_related("township")
    )
    cal = work_calendar()
    rows = []
    for case in pending[:200]:
        due = cal.add_workdays(case.decided_on, svc.DISCLOSE_WORKDAYS)
        rows.append((case, case.decided_on, due, due < today))
    return render(
        request,
        "web/supervision/disclosures.html",
        {
            "pending": rows,
            "published": Disclosure.objects.restrict(request.user).select_related("township")[:200],
            "errors": errors,
            "today": today,
            "can_publish": request.user.can("cases.assist") or request.user.can("cases.decide"),
        },
    )
