"""Inspection plans, joint inspections and their registration (综合查一次、扫码入企).

Every inspection visit is registered before the officers go in: the enterprise scans the QR
code of the visit to see who is inspecting and under which powers, reads the inspection
notice, and rates the visit afterwards. Registration checks the powers (the township's
catalogue, or the participating departments' own items for a joint visit) and the credit-grade
frequency rules of `zhifa.rules.inspections`; alerts reach the county supervisors' list.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from zhifa.org import roles
from zhifa.org.models import Department, Township, User
from zhifa.rules.inspections import CREDIT_LIMITS, PastVisit, check_visit, uscc_error
from zhifa.supervision.models import Enterprise, InspectionPlan, InspectionVisit, PlanTask

SCENES = ["沿街商铺", "餐饮服务", "建筑工地", "农贸市场", "学校周边", "小微企业", "娱乐场所", "其他"]
INSPECTING_ROLES = frozenset({roles.OFFICER, roles.SECONDED_OFFICER})


def _require(user, capability: str) -> None:
    if not user.can(capability):
        raise PermissionDenied("您没有该操作的权限。")


def _township_of(user, township: Township | None) -> Township:
    """Township staff act for their own township; county roles must name one."""
    if user.township_id:
        if township is not None and township.pk != user.township_id:
            raise PermissionDenied("只能办理本乡镇（街道）的事务。")
        return user.township
    if township is None:
        raise ValidationError({"township": "请选择乡镇（街道）。"})
    if township.county_id != user.county_id and not user.is_superuser:
        raise PermissionDenied("只能办理本县的事务。")
    return township


@transaction.atomic
def register_enterprise(
    user,
    *,
    name: str,
    credit_code: str,
    township: Township | None = None,
    address: str = "",
    scene: str = "",
    credit_grade: str = "B",
    contact: str = "",
) -> Enterprise:
    _require(user, "supervision.inspect")
    township = _township_of(user, township)
    errors: dict[str, str] = {}
    if not name.strip():
        errors["name"] = "请填写名称。"
    code = credit_code.strip().upper()
    if (msg := uscc_error(code)) is not None:
        errors["credit_code"] = msg + "。"
    if credit_grade not in CREDIT_LIMITS:
        errors["credit_grade"] = "信用等级应为A、B、C或D。"
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            return Enterprise.objects.create(
                county=township.county,
                township=township,
                name=name.strip(),
                credit_code=code,
                address=address.strip(),
                scene=scene.strip(),
                credit_grade=credit_grade,
                contact=contact.strip(),
            )
    except IntegrityError:
        raise ValidationError({"credit_code": f"统一社会信用代码{code}已登记。"}) from None


# ---- plans -----------------------------------------------------------------------------------


def _item_departments(county_id: int, codes: Iterable[str]) -> tuple[dict[str, str], list[str]]:
    """Item code → owning department code, and the codes that are not in the catalogue."""
    from zhifa.catalogue.models import Item

    codes = [c.strip().upper() for c in codes if c.strip()]
    found = dict(
        Item.objects.filter(county_id=county_id, code__in=codes).values_list("code", "department__code")
    )
    return found, [c for c in codes if c not in found]


@transaction.atomic
def create_plan(user, year: int, township: Township | None = None) -> InspectionPlan:
    _require(user, "supervision.plan")
    township = _township_of(user, township)
    if not 2000 <= year <= 2100:
        raise ValidationError({"year": "年度无效。"})
    plan, _ = InspectionPlan.objects.get_or_create(township=township, year=year)
    return plan


@transaction.atomic
def add_plan_task(
    user, plan_id: int, *, scene: str, month: int, item_codes: list[str], note: str = ""
) -> PlanTask:
    _require(user, "supervision.plan")
    plan = InspectionPlan.objects.restrict(user, "change").select_for_update().get(pk=plan_id)
    if plan.status == InspectionPlan.APPROVED:
        raise ValidationError("计划已批准，不能再修改。")
    errors: dict[str, str] = {}
    if scene not in SCENES:
        errors["scene"] = "请选择检查场景。"
    if not 1 <= month <= 12:
        errors["month"] = "计划月份应为1至12。"
    departments, unknown = _item_departments(plan.township.county_id, item_codes)
    if unknown:
        errors["item_codes"] = f"事项编码{'、'.join(unknown)}不在本县执法事项清单中。"
    elif not departments:
        errors["item_codes"] = "请至少填写一个检查事项。"
    if errors:
        raise ValidationError(errors)
    return PlanTask.objects.create(
        plan=plan,
        scene=scene,
        month=month,
        item_codes=sorted(departments),
        department_codes=sorted(set(departments.values())),
        note=note.strip(),
    )


@transaction.atomic
def approve_plan(user, plan_id: int, on: dt.date) -> InspectionPlan:
    _require(user, "supervision.plan")
    plan = InspectionPlan.objects.restrict(user, "change").select_for_update().get(pk=plan_id)
    if plan.status == InspectionPlan.APPROVED:
        raise ValidationError("计划已经批准。")
    if not plan.tasks.exists():
        raise ValidationError("计划中没有检查任务，不能批准。")
    plan.status = InspectionPlan.APPROVED
    plan.approved_by = user
    plan.approved_on = on
    plan.save()
    return plan


# ---- visits ----------------------------------------------------------------------------------


def enterprise_history(enterprise: Enterprise, before: dt.date | None = None) -> list[PastVisit]:
    qs = enterprise.visits.all()
    if before is not None:
        qs = qs.filter(visited_on__lte=before)
    return [PastVisit(v, tuple(codes)) for v, codes in qs.values_list("visited_on", "item_codes")]


def _check_powers(
    township: Township, on: dt.date, item_codes: list[str], department_codes: list[str]
) -> tuple[list[str], list[str], list[str]]:
    """Check each item: the township holds it on `on`, or a participating department owns it.

    Returns (items, departments, errors); departments are those whose items are checked.
    """
    from zhifa.catalogue.services import holding_on

    owners, unknown = _item_departments(township.county_id, item_codes)
    errors = [f"事项编码{c}不在本县执法事项清单中" for c in unknown]
    joined = set(department_codes)
    known_depts = set(
        Department.objects.filter(county_id=township.county_id, code__in=joined).values_list(
            "code", flat=True
        )
    )
    errors += [f"部门代码{c}不存在" for c in sorted(joined - known_depts)]
    for code, dept in owners.items():
        if dept in joined:
            continue  # the department's own officers check their own item in the joint visit
        authority = holding_on(township, code, on)
        if not authority.held:
            errors.append(
                f"事项{code}：{authority.reason or '本乡镇未持有该事项'}，且其实施部门{dept}未参与检查"
            )
    return sorted(owners), sorted({owners[c] for c in owners} | (joined & known_depts)), errors


@dataclass
class VisitResult:
    visit: InspectionVisit
    alerts: list[dict]


@transaction.atomic
def register_visit(
    user,
    *,
    enterprise_id: int,
    visited_on: dt.date,
    officer_ids: list[int],
    item_codes: list[str],
    department_codes: list[str] | None = None,
    notice: str = "",
    task_id: int | None = None,
) -> VisitResult:
    """Register an inspection before it starts; refuses an unlawful one, flags a too-frequent one."""
    _require(user, "supervision.inspect")
    enterprise = Enterprise.objects.restrict(user, "change").select_for_update().get(pk=enterprise_id)
    township = enterprise.township
    errors: dict[str, str] = {}

    officers = list(
        User.objects.filter(
            pk__in=set(officer_ids), township=township, role__in=INSPECTING_ROLES, is_active=True
        )
    )
    if len(officers) < 2:
        errors["officer_ids"] = (
            "行政检查应由两名以上具有行政执法资格的本乡镇执法人员实施（《行政处罚法》第四十二条、"
            "《行政强制法》第十八条）。"
        )
    else:
        from zhifa.supervision.credentials import certificate_problem

        problems = [p for o in officers if (p := certificate_problem(o, visited_on))]
        if problems:
            errors["officer_ids"] = "；".join(problems) + "。"

    task = None
    if task_id:
        task = PlanTask.objects.filter(pk=task_id, plan__township=township).first()
        if task is None:
            errors["task_id"] = "所选计划任务不属于该乡镇。"
        elif not item_codes:
            item_codes = list(task.item_codes)
            department_codes = list(task.department_codes) if department_codes is None else department_codes
    items, departments, power_errors = _check_powers(township, visited_on, item_codes, department_codes or [])
    if power_errors:
        errors["item_codes"] = "；".join(power_errors) + "。"
    elif not items:
        errors["item_codes"] = "请至少填写一个检查事项。"
    if visited_on > timezone.localdate() + dt.timedelta(days=30):
        errors["visited_on"] = "检查日期不能晚于今后30日。"
    if errors:
        raise ValidationError(errors)

    alerts = [
        a.as_dict()
        for a in check_visit(enterprise.credit_grade, enterprise_history(enterprise), visited_on, items)
    ]
    visit = InspectionVisit.objects.create(
        county=township.county,
        township=township,
        enterprise=enterprise,
        task=task,
        visited_on=visited_on,
        item_codes=items,
        department_codes=departments,
        notice=notice.strip() or default_notice(enterprise, items),
        token=secrets.token_urlsafe(18),
        registered_by=user,
        alerts=alerts,
    )
    visit.officers.set(officers)
    return VisitResult(visit, alerts)


def default_notice(enterprise: Enterprise, items: list[str]) -> str:
    return (
        f"{enterprise.name}：依据有关法律法规，执法人员将对你单位开展行政检查，检查事项见下方清单。"
        "执法人员不少于两人并出示执法证件；你单位有权核验执法人员身份和检查依据，"
        "对检查人员少于两人或未出示执法证件的，有权拒绝检查；对检查行为可在检查结束后进行评价。"
    )


@transaction.atomic
def record_result(user, visit_id: int, result: str, findings: str) -> InspectionVisit:
    _require(user, "supervision.inspect")
    visit = InspectionVisit.objects.restrict(user, "change").select_for_update().get(pk=visit_id)
    if result not in (InspectionVisit.COMPLIANT, InspectionVisit.NON_COMPLIANT):
        raise ValidationError({"result": "请选择检查结果。"})
    if result == InspectionVisit.NON_COMPLIANT and not findings.strip():
        raise ValidationError({"findings": "发现问题时应写明检查情况。"})
    visit.result = result
    visit.findings = findings.strip()
    visit.save()
    return visit


@transaction.atomic
def mark_scanned(token: str) -> InspectionVisit:
    visit = InspectionVisit.objects.select_for_update().get(token=token)
    if visit.scanned_at is None:
        visit.scanned_at = timezone.now()
        visit.save(update_fields=["scanned_at"])
    return visit


@transaction.atomic
def rate_visit(token: str, rating: int, comment: str = "") -> InspectionVisit:
    """The enterprise rates the visit once, through the link it scanned."""
    visit = InspectionVisit.objects.select_for_update().get(token=token)
    if visit.rated_at is not None:
        raise ValidationError("本次检查已经评价，不能重复评价。")
    if not 1 <= rating <= 5:
        raise ValidationError({"rating": "评价应为1至5星。"})
    if len(comment) > 500:
        raise ValidationError({"rating_comment": "评价意见不超过500字。"})
    visit.rating = rating
    visit.rating_comment = comment.strip()
    visit.rated_at = timezone.now()
    visit.save(update_fields=["rating", "rating_comment", "rated_at"])
    return visit


def enterprise_year_counts(enterprise: Enterprise, year: int) -> tuple[int, int | None]:
    """Inspections of `enterprise` in `year`, and the limit its credit grade allows."""
    return enterprise.visits.filter(visited_on__year=year).count(), CREDIT_LIMITS.get(enterprise.credit_grade)
