"""Remedies on a case (复议、诉讼、争议化解), public evaluation links, and clues exchanged with the
procuratorate (线索移送)."""

from __future__ import annotations

import datetime as dt
import secrets

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from zhifa.core.calendar import work_calendar
from zhifa.org import roles
from zhifa.supervision.disclosure import WITHDRAW_WORKDAYS
from zhifa.supervision.models import Clue, Disclosure, Evaluation, RemedyRecord

# ---- remedies --------------------------------------------------------------------------------


@transaction.atomic
def record_remedy(
    user, case_id: int, *, kind: str, body: str, filed_on: dt.date, note: str = ""
) -> RemedyRecord:
    from zhifa.cases.models import Case

    if not user.can("supervision.remedies"):
        raise PermissionDenied("您没有登记复议、诉讼或争议化解的权限。")
    case = Case.objects.restrict(user, "change" if user.township_id else "view").get(pk=case_id)
    errors = {}
    if kind not in dict(RemedyRecord.KIND_CHOICES):
        errors["kind"] = "请选择类型：行政复议、行政诉讼或行政争议化解。"
    if not body.strip():
        errors["body"] = "请填写复议机关、法院或化解组织。"
    if filed_on > timezone.localdate():
        errors["filed_on"] = "申请/起诉日期不能晚于今天。"
    if errors:
        raise ValidationError(errors)
    return RemedyRecord.objects.create(
        case=case,
        township=case.township,
        kind=kind,
        body=body.strip(),
        filed_on=filed_on,
        note=note.strip(),
        recorded_by=user,
    )


@transaction.atomic
def set_remedy_outcome(
    user, remedy_id: int, outcome: str, decided_on: dt.date, note: str = ""
) -> RemedyRecord:
    """Record the outcome; a decision revoked or changed is taken off the public page the same
    day, so the 3-working-day withdrawal rule (处罚法 第48条第2款) cannot be missed."""
    if not user.can("supervision.remedies"):
        raise PermissionDenied("您没有登记复议、诉讼结果的权限。")
    remedy = RemedyRecord.objects.restrict(user, "change" if user.township_id else "view").get(pk=remedy_id)
    if outcome not in dict(RemedyRecord.OUTCOME_CHOICES) or outcome == RemedyRecord.PENDING:
        raise ValidationError({"outcome": "请选择结果。"})
    if decided_on < remedy.filed_on:
        raise ValidationError({"decided_on": "结果日期不能早于申请/起诉日期。"})
    if decided_on > timezone.localdate():
        raise ValidationError({"decided_on": "结果日期不能晚于今天。"})
    remedy.outcome = outcome
    remedy.decided_on = decided_on
    if note.strip():
        remedy.note = (remedy.note + "\n" + note.strip()).strip()
    remedy.save()
    if outcome in (RemedyRecord.REVOKED, RemedyRecord.CHANGED):
        disclosure = Disclosure.objects.filter(case_id=remedy.case_id, withdrawn_on__isnull=True).first()
        if disclosure is not None:
            disclosure.revoked_on = decided_on
            disclosure.withdraw_due = work_calendar().add_workdays(decided_on, WITHDRAW_WORKDAYS)
            disclosure.withdrawn_on = timezone.localdate()
            disclosure.withdraw_reason = f"{remedy.get_kind_display()}结果：{remedy.get_outcome_display()}"
            disclosure.save()
    return remedy


# ---- public evaluation -----------------------------------------------------------------------


@transaction.atomic
def evaluation_link(*, case=None, report=None, role: str) -> Evaluation:
    """The (one) evaluation invitation for a closed case (party) or a closed report (reporter)."""
    if (case is None) == (report is None):
        raise ValueError("exactly one of case or report")
    if role not in dict(Evaluation.ROLE_CHOICES):
        raise ValidationError("评价人类型无效。")
    if case is not None:
        if case.status != case.CLOSED:
            raise ValidationError("案件尚未结案，不能邀请评价。")
        existing = Evaluation.objects.filter(case=case, role=role).first()
        county, township = case.township.county, case.township
    else:
        if report.closed_at is None:
            raise ValidationError("事件尚未办结，不能邀请评价。")
        existing = Evaluation.objects.filter(report=report, role=role).first()
        county, township = report.county, report.township
    if existing is not None:
        return existing
    return Evaluation.objects.create(
        county=county, township=township, case=case, report=report, role=role, token=secrets.token_urlsafe(18)
    )


@transaction.atomic
def rate(token: str, rating: int, comment: str = "") -> Evaluation:
    ev = Evaluation.objects.select_for_update().get(token=token)
    if ev.rated_at is not None:
        raise ValidationError("已经评价过，感谢您的参与。")
    if not 1 <= rating <= 5:
        raise ValidationError({"rating": "请选择1至5星的满意度。"})
    if len(comment) > 500:
        raise ValidationError({"comment": "意见不超过500字。"})
    ev.rating = rating
    ev.comment = comment.strip()
    ev.rated_at = timezone.now()
    ev.save()
    return ev


# ---- clues -----------------------------------------------------------------------------------


@transaction.atomic
def send_clue(
    user, *, direction: str, township, subject: str, content: str, on: dt.date, case_id: int | None = None
) -> Clue:
    from zhifa.cases.models import Case

    if direction == Clue.FROM_PROCURATORATE:
        if not user.can("supervision.procuratorate_clues"):
            raise PermissionDenied("只有检察院人员可以向乡镇移送线索。")
    elif direction == Clue.TO_PROCURATORATE:
        if not user.can("supervision.clue_to_procuratorate"):
            raise PermissionDenied("只有乡镇（街道）负责人或司法局监督人员可以向检察院移送线索。")
        if user.township_id and township.pk != user.township_id:
            raise PermissionDenied("只能移送本乡镇（街道）的线索。")
    else:
        raise ValidationError({"direction": "移送方向无效。"})
    if township.county_id != user.county_id and not user.is_superuser:
        raise PermissionDenied("只能在本县范围内移送线索。")
    errors = {}
    if not subject.strip():
        errors["subject"] = "请填写线索名称。"
    if not content.strip():
        errors["content"] = "请填写线索内容。"
    case = None
    if case_id:
        case = Case.objects.filter(pk=case_id, township=township).first()
        if case is None:
            errors["case"] = "关联案件不存在或不属于该乡镇（街道）。"
    if errors:
        raise ValidationError(errors)
    return Clue.objects.create(
        county=township.county,
        township=township,
        direction=direction,
        case=case,
        subject=subject.strip(),
        content=content.strip(),
        sent_on=on,
        sent_by=user,
    )


def clue_answer_refusal(user, receiver_is_procuratorate: bool) -> str | None:
    """Why the user may not answer a clue sent to the procuratorate (or to a township), or None.

    The receiver answers. A superuser account answers for the procuratorate, but a township's
    answer is its leader's: there it speaks only for its own role."""
    as_procuratorate = roles.has_capability(user, "supervision.procuratorate_clues", role_only=True)
    if receiver_is_procuratorate != as_procuratorate and not user.is_superuser:
        return "只有接收方可以登记线索办理情况。"
    if not receiver_is_procuratorate and not roles.has_capability(
        user, "supervision.answer_clue", role_only=True
    ):
        return "只有乡镇（街道）负责人可以登记线索办理情况。"
    return None


@transaction.atomic
def respond_clue(user, clue_id: int, *, status: str, response: str, on: dt.date) -> Clue:
    clue = Clue.objects.restrict(user, "change").select_for_update().get(pk=clue_id)
    receiver_is_procuratorate = clue.direction == Clue.TO_PROCURATORATE
    refusal = clue_answer_refusal(user, receiver_is_procuratorate)
    if refusal:
        raise PermissionDenied(refusal)
    if status not in (Clue.RECEIVED, Clue.HANDLED):
        raise ValidationError({"status": "请选择“已接收”或“已办结”。"})
    if status == Clue.HANDLED and not response.strip():
        raise ValidationError({"response": "办结时请填写办理情况。"})
    clue.status = status
    clue.response = response.strip()
    clue.responded_on = on
    clue.save()
    return clue
