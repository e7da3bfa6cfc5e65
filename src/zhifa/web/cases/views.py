"""Case pages: list, opening a case, the case page (timeline, deadlines, findings, step forms,
evidence, documents), my deadlines, the team and the personal enforcement record."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone

from zhifa.cases import actions as A
from zhifa.cases import evidence as E
from zhifa.cases import services, steps
from zhifa.cases.models import Case, Evidence, Officer, Squad
from zhifa.core.paging import CappedPaginator
from zhifa.org.models import Township, User
from zhifa.rules import casefile as cf
from zhifa.rules.review._base import RULES
from zhifa.web.forms import error_messages as _messages
from zhifa.web.forms import parse_date as _date


@login_required
def case_list(request):
    qs = Case.objects.restrict(request.user).select_related("township")
    g = request.GET
    if g.get("status"):
        qs = qs.filter(status=g["status"])
    if g.get("procedure"):
        qs = qs.filter(procedure=g["procedure"])
    if g.get("township"):
        qs = qs.filter(township__code=g["township"])
    if g.get("q"):
        q = g["q"].strip()
        qs = qs.filter(Q(number__icontains=q) | Q(party__name__icontains=q) | Q(item_code__icontains=q))
    if g.get("defects"):
        qs = qs.exclude(findings=[])
    page = CappedPaginator(qs, 50).get_page(g.get("page"))
    return render(
        request,
        "web/cases/list.html",
        {
            "page": page,
            "statuses": Case.STATUS_CHOICES,
            "procedures": Case.PROCEDURE_CHOICES,
            "townships": Township.objects.restrict(request.user).filter(
                pk__in=Case.objects.restrict(request.user).values("township")
            ),
            "can_open": request.user.can("cases.handle"),
            "can_exchange": _can_exchange(request.user),
            "q": g,
        },
    )


@login_required
def case_new(request):
    user = request.user
    if not user.can("cases.handle") or user.township is None:
        raise PermissionDenied("只有乡镇（街道）持证执法人员可以办理案件。")
    from zhifa.catalogue.services import held_items

    today = timezone.localdate()
    errors: list[str] = []
    data = request.POST if request.method == "POST" else {"source_report": request.GET.get("report", "")}
    if request.method == "POST":
        opened_on = _date(data.get("opened_on"))
        if opened_on is None:
            errors.append("受理日期：请填写有效日期（YYYY-MM-DD）。")
        violation = None
        if data.get("began"):
            began, ended = _date(data.get("began")), _date(data.get("ended"))
            if began is None or (data.get("ended") and ended is None):
                errors.append("违法行为日期：格式应为YYYY-MM-DD。")
            else:
                violation = {
                    "began": began.isoformat(),
                    "ended": ended.isoformat() if ended else None,
                    "grave_harm": bool(data.get("grave_harm")),
                }
        if not errors:
            party = {
                "kind": data.get("party_kind", ""),
                "name": data.get("party_name", "").strip(),
                "address": data.get("party_address", "").strip(),
                "id_number": data.get("party_id_number", "").strip(),
                "phone": data.get("party_phone", "").strip(),
            }
            common = {
                "procedure": data.get("procedure", ""),
                "party": party,
                "opened_on": opened_on,
                "violation": violation,
                "summary": data.get("summary", "").strip() or None,
            }
            try:
                if data.get("source_report", "").strip():
                    # From a routed report: its item, source and description carry over.
                    case = A.do_open_case_from_report(
                        user,
                        data["source_report"].strip(),
                        item_code=data.get("item_code") or None,
                        **common,
                    )
                else:
                    case = A.do_open_case(
                        user, item_code=data.get("item_code", ""), source=data.get("source", ""), **common
                    )
            except ValidationError as exc:
                errors = _messages(exc)
            else:
                messages.success(request, f"已受理案件{case.number}。")
                return redirect("web:cases:detail", pk=case.pk)
    return render(
        request,
        "web/cases/new.html",
        {
            "items": held_items(user.township, today),
            "procedures": Case.PROCEDURE_CHOICES,
            "sources": cf.DISCOVERY_SOURCES,
            "errors": errors,
            "data": data,
            "today": today,
        },
    )


def _document_kinds() -> list[tuple[str, str]]:
    from zhifa.documents import kinds

    return list(kinds.CHOICES)


@login_required
def case_detail(request, pk: int):
    case = get_object_or_404(Case.objects.restrict(request.user).select_related("township__county"), pk=pk)
    user = request.user
    errors: list[str] = []
    stale = False
    action = request.POST.get("action", "") if request.method == "POST" else ""
    if request.method == "POST":
        if not Case.objects.restrict(user, "change").filter(pk=pk).exists():
            raise PermissionDenied("您只能查看本案，不能办理。")
        try:
            if action == "evidence":
                upload = request.FILES.get("file")
                if upload is None:
                    raise A.StepRefused("请选择要上传的证据文件。")
                on = _date(request.POST.get("date"))
                if on is None:
                    raise A.StepRefused("取证日期：请填写有效日期（YYYY-MM-DD）。")
                ev = E.do_add_evidence(
                    user,
                    case,
                    upload,
                    name=upload.name,
                    date=on,
                    description=request.POST.get("description", ""),
                    event=case.events.filter(pk=request.POST.get("event") or 0).first(),
                )
                messages.success(request, f"证据“{ev.original_name}”已保存，SHA-256：{ev.sha256}。")
            elif action == "document":
                return _generate_document(request, case)
            else:
                _ev, msg = steps.perform(user, case, action, request.POST)
                case.refresh_from_db()
                warnings = [f["message"] for f in case.findings if f["severity"] == "warning"]
                messages.success(request, msg)
                for w in warnings[:3]:
                    messages.warning(request, w)
            return redirect("web:cases:detail", pk=pk)
        except A.StaleState as exc:
            errors = _messages(exc)
            stale = True
        except ValidationError as exc:
            errors = _messages(exc)
    today = timezone.localdate()
    can_act = (
        not case.imported
        and Case.objects.restrict(user, "change").filter(pk=pk).exists()
        and any(user.can(c) for c in ("cases.assist", "cases.decide", "cases.legal_review"))
    )
    team = Officer.objects.filter(township=case.township, active=True).select_related("user")
    field_officers = [o for o in team if o.kind != Officer.AUXILIARY]
    leaders = User.objects.filter(township=case.township, role="decider", is_active=True)
    obj = services.to_casefile(case)
    officers = {o["id"]: o["name"] for o in obj["officers"]}
    record = E.full_record(case)
    for row in record:
        if row["kind"] == "event":
            row["actors"], row["details"] = steps.describe(row["event"], officers)
    return render(
        request,
        "web/cases/detail.html",
        {
            "case": case,
            "casefile": obj,
            "record": record,
            "officer_names": officers,
            "deadlines": services.case_deadlines(case, today),
            "findings": case.findings,
            "rules": RULES,
            "steps": steps.available(case, user),
            "case_state": A.state_of(case),
            "hints": _step_hints(case, today),
            "open_action": action,
            "field_officers": field_officers,
            "leaders": leaders,
            "errors": errors,
            "stale": stale,
            "post": request.POST if errors else {},
            "today": today,
            "choices": {
                "kinds": steps.DECISION_KIND_CHOICES,
                "penalties": steps.PENALTY_CHOICES,
                "circumstances": steps.CIRCUMSTANCE_CHOICES,
            },
            "document_kinds": _document_kinds() if can_act else None,
            "documents": _documents(case),
            "can_upload": bool(steps.available(case, user)),
        },
    )


# The late facts each step may record (docs/case-gate.md, "Late facts"): the deadline rule whose
# running period the step form shows before submit.
_HINT_RULES = {"served": "PEN-SERVICE-7WD", "disclosed": "PEN-DISCLOSE-7WD", "decide": "PEN-DECISION-90D"}


def _step_hints(case: Case, today) -> dict[str, str]:
    """action -> a line shown on the step form: the running deadline, or that it has passed and
    the step will be recorded with a finding."""
    out: dict[str, str] = {}
    if case.imported or case.status in (Case.CLOSED, Case.TRANSFERRED):
        return out
    running = {d.rule: d for d in services.case_deadlines(case, today)}
    fired = {f.get("rule") for f in case.findings or () if f.get("kind") == "finding"}
    for action, rule in _HINT_RULES.items():
        d = running.get(rule)
        if rule in fired:
            out[action] = f"已超过法定期限（{RULES[rule].title}），仍可如实登记，登记后本案将记为问题" + (
                "；须填写超期理由。" if action == "decide" else "。"
            )
        elif d is not None and d.due is not None:
            out[action] = f"{d.label}：{d.due:%Y-%m-%d}前（{d.article}）；晚于该日登记的，将记为问题。"
    return out


def _documents(case: Case) -> list:
    try:
        from zhifa.documents.models import Document
    except ImportError:
        return []
    try:
        return list(Document.objects.filter(case=case).order_by("-id")[:50])
    except Exception:  # the other module's model may not have a `case` field yet
        return []


def _generate_document(request, case: Case):
    kinds = _document_kinds()
    from zhifa.documents import services as docs

    kind = request.POST.get("kind", "")
    if kind not in dict(kinds):
        messages.error(request, f"文书种类“{kind}”无效。")
        return redirect("web:cases:detail", pk=case.pk)
    try:
        doc = docs.generate(case, kind, request.user)
    except ValidationError as exc:
        for m in _messages(exc):
            messages.error(request, m)
        return redirect("web:cases:detail", pk=case.pk)
    messages.success(request, f"已生成{dict(kinds)[kind]}{('：' + str(doc)) if doc else ''}。")
    url = getattr(doc, "get_absolute_url", None)
    return redirect(url()) if callable(url) else redirect("web:cases:detail", pk=case.pk)


@login_required
def evidence_file(request, pk: int):
    ev = get_object_or_404(Evidence.objects.restrict(request.user), pk=pk)
    path = E.evidence_path(ev)
    if not path.exists():
        raise Http404("证据文件不存在")
    return FileResponse(open(path, "rb"), as_attachment=True, filename=ev.original_name, content_type=ev.mime)


@login_required
def my_deadlines(request):
    today = timezone.localdate()
    return render(
        request,
        "web/cases/deadlines.html",
        {"deadlines": services.my_deadlines(request.user, today), "today": today},
    )


@login_required
def team(request):
    from zhifa.cases import team as T
    from zhifa.org.models import Department

    user = request.user
    today = timezone.localdate()
    errors: list[str] = []
    manage = user.can("cases.manage_team")
    if request.method == "POST":
        if not manage:
            raise PermissionDenied("您没有管理执法队伍的权限。")
        p = request.POST
        try:
            if p.get("action") == "squad":
                township = get_object_or_404(
                    Township.objects.restrict(user, "change"), pk=p.get("township") or 0
                )
                sq = T.do_create_squad(user, township, p.get("name", ""), p.get("domain", ""))
                messages.success(request, f"已新建{sq}。")
            else:
                member = get_object_or_404(User.objects.restrict(user, "change"), pk=p.get("member") or 0)
                valid_from, valid_to = _date(p.get("cert_valid_from")), _date(p.get("cert_valid_to"))
                if (p.get("cert_valid_from") and valid_from is None) or (
                    p.get("cert_valid_to") and valid_to is None
                ):
                    raise ValidationError("证件有效期：日期格式应为YYYY-MM-DD。")
                off = T.do_save_officer(
                    user,
                    member,
                    kind=p.get("kind", ""),
                    cert_no=p.get("cert_no", ""),
                    cert_valid_from=valid_from,
                    cert_valid_to=valid_to,
                    home_department=Department.objects.filter(pk=p.get("home_department") or 0).first(),
                    squad=Squad.objects.restrict(user).filter(pk=p.get("squad") or 0).first(),
                    active=bool(p.get("active")),
                )
                messages.success(request, f"已保存{off}的执法队员信息。")
            return redirect(request.get_full_path())
        except ValidationError as exc:
            errors = _messages(exc)
    month = _date((request.GET.get("month") or "") + "-01") or today.replace(day=1)
    officers = Officer.objects.restrict(user).select_related("user", "township", "squad", "home_department")
    townships = Township.objects.restrict(user).filter(pk__in=officers.values("township"))
    rates = [(t, services.activity_rate(t, month)) for t in townships]
    ctx = {
        "officers": officers,
        "rates": rates,
        "month": month,
        "today": today,
        "errors": errors,
        "manage": manage,
    }
    if manage:
        ctx.update(
            members=User.objects.restrict(user, "change")
            .filter(role__in=["officer", "seconded_officer", "auxiliary", "legal_reviewer", "decider"])
            .exclude(township=None)
            .order_by("township__code", "username"),
            kinds=Officer.KIND_CHOICES,
            departments=Department.objects.restrict(user).order_by("code"),
            squads=Squad.objects.restrict(user).select_related("township"),
            manage_townships=Township.objects.restrict(user, "change"),
        )
    return render(request, "web/cases/team.html", ctx)


@login_required
def officer_detail(request, pk: int):
    from zhifa.cases import team as T

    officer = get_object_or_404(
        Officer.objects.restrict(request.user).select_related("user", "township", "squad"), pk=pk
    )
    errors: list[str] = []
    if request.method == "POST":
        try:
            on = _date(request.POST.get("date"))
            if on is None:
                raise ValidationError("培训日期：格式应为YYYY-MM-DD。")
            T.do_add_training(
                request.user,
                officer,
                date=on,
                title=request.POST.get("title", ""),
                hours=request.POST.get("hours", ""),
            )
            messages.success(request, "已登记培训记录。")
            return redirect("web:cases:officer", pk=pk)
        except ValidationError as exc:
            errors = _messages(exc)
    return render(
        request,
        "web/cases/officer.html",
        {
            "rec": services.officer_record(officer),
            "today": timezone.localdate(),
            "errors": errors,
            "manage": request.user.can("cases.manage_team"),
        },
    )


def _can_exchange(user) -> bool:
    return any(user.can(c) for c in ("supervision.review", "supervision.procuratorate", "cases.decide"))


@login_required
def exchange(request):
    """案卷交换: export the cases in scope as zhifa.casefile/1; import external files (supervisors)."""
    user = request.user
    if not _can_exchange(user):
        raise PermissionDenied("您没有导入或导出案卷的权限。")
    can_import = user.can("supervision.review")
    errors: list[str] = []
    if request.method == "POST":
        if not can_import:
            raise PermissionDenied("只有执法监督人员和管理员可以导入案卷。")
        upload = request.FILES.get("file")
        if upload is None:
            errors = ["请选择案卷文件（.jsonl）。"]
        else:
            try:
                text = upload.read().decode("utf-8")
            except UnicodeDecodeError:
                errors = [f"{upload.name}：不是有效的UTF-8编码。"]
            else:
                allowed = set(Township.objects.restrict(user).values_list("code", flat=True))
                try:
                    made = services.import_casefiles(text, townships=allowed)
                except services.ImportError_ as exc:
                    errors = [f"{upload.name}：{e}" for e in exc.errors[:200]]
                    if len(exc.errors) > 200:
                        errors.append(f"……共{len(exc.errors)}处错误")
                else:
                    messages.success(request, f"已导入{len(made)}件案卷。")
                    return redirect("web:cases:list")
    if request.method == "GET" and request.GET.get("download"):
        qs = Case.objects.restrict(user).order_by("id")
        if request.GET.get("township"):
            qs = qs.filter(township__code=request.GET["township"])
        text = services.export_casefiles(services.with_related(qs))
        resp = HttpResponse(text, content_type="application/x-ndjson; charset=utf-8")
        resp["Content-Disposition"] = 'attachment; filename="cases.jsonl"'
        return resp
    return render(
        request,
        "web/cases/exchange.html",
        {"errors": errors, "can_import": can_import, "townships": Township.objects.restrict(user)},
    )
