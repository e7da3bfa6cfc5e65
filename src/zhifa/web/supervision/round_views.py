"""Pages of the case-file review rounds (案卷评查)."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone

from zhifa.rules import scoring
from zhifa.supervision import rounds as svc
from zhifa.supervision.models import ReviewRound, ReviewSheet
from zhifa.web.forms import error_messages as _errors
from zhifa.web.forms import parse_date as _date


@login_required
def round_list(request):
    data = request.POST if request.method == "POST" else {}
    errors: list[str] = []
    if request.method == "POST":
        start, end = _date(data.get("period_start")), _date(data.get("period_end"))
        if start is None or end is None:
            errors.append("结案日期应为 YYYY-MM-DD 格式。")
        try:
            per = int(data.get("per_township") or 0)
        except ValueError:
            per = 0
        if not errors:
            try:
                rnd = svc.create_round(
                    request.user,
                    name=data.get("name", ""),
                    period_start=start,
                    period_end=end,
                    per_township=per,
                    procedures=data.getlist("procedures"),
                )
            except ValidationError as exc:
                errors = _errors(exc)
            else:
                messages.success(request, f"已抽取{rnd.sheets.count()}份案卷。")
                return redirect("web:supervision:round_detail", rnd.pk)
    today = timezone.localdate()
    quarter_start = dt.date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
    return render(
        request,
        "web/supervision/rounds.html",
        {
            "rounds": ReviewRound.objects.restrict(request.user),
            "can_create": request.user.can("supervision.review"),
            "errors": errors,
            "data": data,
            "procedures": svc.PROCEDURE_LABELS.items(),
            "default_start": quarter_start,
            "today": today,
        },
    )


@login_required
def round_detail(request, pk: int):
    rnd = get_object_or_404(ReviewRound.objects.restrict(request.user), pk=pk)
    sheets = (
        ReviewSheet.objects.restrict(request.user)
        .filter(round=rnd)
        .select_related("township", "case", "letter")
    )
    if request.method == "POST" and request.POST.get("action") == "close":
        try:
            svc.close_round(request.user, rnd.pk)
        except ValidationError as exc:
            for e in _errors(exc):
                messages.error(request, e)
        else:
            messages.success(request, "本批次评查已结束。")
        return redirect("web:supervision:round_detail", rnd.pk)
    sheets = list(sheets)
    return render(
        request,
        "web/supervision/round_detail.html",
        {
            "round": rnd,
            "sheets": sheets,
            "results": svc.results(rnd, sheets),
            "can_review": request.user.can("supervision.review"),
            "pass_mark": scoring.PASS_MARK,
        },
    )


@login_required
def sheet_detail(request, pk: int):
    sheet = get_object_or_404(
        ReviewSheet.objects.restrict(request.user).select_related("round", "case", "township", "letter"),
        pk=pk,
    )
    errors: list[str] = []
    can_review = request.user.can("supervision.review") and sheet.round.status == ReviewRound.OPEN
    if request.method == "POST" and can_review:
        try:
            if request.POST.get("action") == "rectify":
                letter = svc.send_rectification(request.user, sheet.pk, timezone.localdate())
                messages.success(request, f"已发出整改建议书{letter.doc_no}。")
            else:
                scores = {line.code: request.POST.get(f"score_{line.code}") for line in scoring.CHECKLIST}
                svc.score_sheet(
                    request.user, sheet.pk, scores, request.POST.get("comments", ""), timezone.localdate()
                )
                messages.success(request, "评分已保存。")
        except ValidationError as exc:
            errors = _errors(exc)
        else:
            return redirect("web:supervision:sheet_detail", sheet.pk)
    lines = [
        (
            line,
            sheet.scores.get(line.code, line.points),
            [f for f in sheet.auto_findings if scoring.RULE_LINE.get(f.get("rule")) == line.code],
        )
        for line in scoring.CHECKLIST
    ]
    return render(
        request,
        "web/supervision/sheet_detail.html",
        {"sheet": sheet, "lines": lines, "errors": errors, "can_review": can_review},
    )
