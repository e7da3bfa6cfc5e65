"""Letters (监督建议书/整改建议书/检察建议) and citizen supervisors: one function per change."""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from zhifa.org import roles
from zhifa.org.models import Township
from zhifa.rules.workdays import add_days, add_months
from zhifa.supervision.models import CitizenSupervisor, Letter, Observation

# Who may issue (and assess) which kind: a capability of the role table per kind.
ISSUE_CAPABILITY = {kind: f"supervision.issue_letter.{kind}" for kind, _ in Letter.KIND_CHOICES}
DOC_PREFIX = {
    Letter.SUPERVISION: "司法监督",
    Letter.RECTIFICATION: "司法整改",
    Letter.PROCURATORIAL: "检行建",
}


def default_reply_due(kind: str, issued_on: dt.date) -> dt.date:
    """Two months for a procuratorial recommendation (人民检察院检察建议工作规定 第十九条), else 30 days."""
    if kind == Letter.PROCURATORIAL:
        return add_months(issued_on, 2)
    return add_days(issued_on, 30)


def issue_letter(
    actor,
    *,
    township: Township,
    kind: str,
    subject: str,
    body: str,
    issued_on: dt.date,
    reply_due: dt.date | None = None,
    case_ref: str = "",
) -> Letter:
    if kind not in ISSUE_CAPABILITY:
        raise ValidationError({"kind": "文书类型无效"})
    if not actor.can(ISSUE_CAPABILITY[kind]):
        issuers = "、".join(roles.LABELS[r] for r in roles.holders(ISSUE_CAPABILITY[kind]))
        raise PermissionDenied(f"只有{issuers}可以发出{dict(Letter.KIND_CHOICES)[kind]}。")
    if township.county_id != actor.county_id and not actor.is_superuser:
        raise PermissionDenied("只能向本县乡镇（街道）发出监督文书。")
    errors = {}
    if not subject.strip():
        errors["subject"] = "请填写事由"
    if not body.strip():
        errors["body"] = "请填写发现的问题与建议"
    due = reply_due or default_reply_due(kind, issued_on)
    if due <= issued_on:
        errors["reply_due"] = "答复期限必须晚于发出日期"
    if errors:
        raise ValidationError(errors)
    for _ in range(5):  # two issuers at once: the unique doc_no makes the loser retry
        n = (
            Letter.objects.filter(county=township.county, kind=kind, issued_on__year=issued_on.year).count()
            + 1
        )
        doc_no = f"{township.county.name}{DOC_PREFIX[kind]}〔{issued_on.year}〕{n}号"
        try:
            with transaction.atomic():
                return Letter.objects.create(
                    county=township.county,
                    township=township,
                    kind=kind,
                    doc_no=doc_no,
                    subject=subject.strip(),
                    body=body.strip(),
                    case_ref=case_ref.strip(),
                    issued_on=issued_on,
                    reply_due=due,
                    issued_by=actor,
                )
        except IntegrityError:
            continue
    raise ValidationError("文号分配冲突，请重试")


def reply_letter(actor, letter_id: int, reply: str, replied_on: dt.date) -> Letter:
    if not roles.has_capability(actor, "supervision.reply"):
        raise PermissionDenied("只有乡镇（街道）负责人或管理员可以答复监督文书。")
    with transaction.atomic():
        letter = Letter.objects.restrict(actor, "change").select_for_update().get(pk=letter_id)
        if letter.status != Letter.ISSUED:
            raise ValidationError("该文书已答复，不能重复答复")
        if not reply.strip():
            raise ValidationError({"reply": "请填写答复内容（整改措施和结果）"})
        if replied_on < letter.issued_on:
            raise ValidationError({"replied_on": "答复日期不能早于发出日期"})
        letter.reply, letter.replied_on, letter.replied_by = reply.strip(), replied_on, actor
        letter.status = Letter.ANSWERED
        letter.save()
        return letter


def assess_letter(actor, letter_id: int, status: str, assessment: str, on: dt.date) -> Letter:
    if status not in (Letter.ADOPTED, Letter.PARTLY, Letter.REJECTED):
        raise ValidationError({"status": "评定结果应为已采纳、部分采纳或未采纳"})
    with transaction.atomic():
        letter = Letter.objects.restrict(actor, "change").select_for_update().get(pk=letter_id)
        if not actor.can(ISSUE_CAPABILITY[letter.kind]):
            raise PermissionDenied("只有发文机关可以评定采纳情况。")
        if letter.status != Letter.ANSWERED:
            raise ValidationError("乡镇（街道）尚未答复，不能评定")
        letter.status, letter.assessment, letter.assessed_on = status, assessment.strip(), on
        letter.save()
        return letter


@dataclass
class AdoptionRate:
    issued: int
    answered: int
    adopted: int
    overdue: int

    @property
    def rate(self) -> float | None:
        """Adopted (fully or partly) among those assessed; None before any assessment."""
        return self.adopted / self.answered if self.answered else None


def adoption_rate(letters, today: dt.date) -> AdoptionRate:
    rows = list(letters.values_list("status", "reply_due"))
    assessed = [s for s, _ in rows if s in (Letter.ADOPTED, Letter.PARTLY, Letter.REJECTED)]
    return AdoptionRate(
        issued=len(rows),
        answered=len(assessed),
        adopted=sum(1 for s in assessed if s in (Letter.ADOPTED, Letter.PARTLY)),
        overdue=sum(1 for s, due in rows if s == Letter.ISSUED and due < today),
    )


def appoint_citizen_supervisor(
    actor, *, name: str, phone: str, organisation: str, appointed_on: dt.date
) -> CitizenSupervisor:
    if not roles.has_capability(actor, "supervision.citizen"):
        raise PermissionDenied("只有司法局监督人员可以聘任执法监督员。")
    if not name.strip():
        raise ValidationError({"name": "请填写姓名"})
    return CitizenSupervisor.objects.create(
        county=actor.county,
        name=name.strip(),
        phone=phone.strip(),
        organisation=organisation.strip(),
        appointed_on=appointed_on,
        token=secrets.token_urlsafe(24),
    )


def file_observation(
    token: str,
    *,
    township_id: int | None,
    observed_on: dt.date | None,
    place: str,
    content: str,
    today: dt.date,
) -> Observation:
    """Called from the public link of a citizen supervisor; no login."""
    supervisor = CitizenSupervisor.objects.filter(token=token, active=True).first()
    if supervisor is None:
        raise PermissionDenied("该监督链接无效或监督员已离任。")
    errors = {}
    township = (
        Township.objects.filter(pk=township_id, county=supervisor.county).first() if township_id else None
    )
    if township is None:
        errors["township"] = "请选择乡镇（街道）"
    if observed_on is None:
        errors["observed_on"] = "请填写发现日期（格式 YYYY-MM-DD）"
    elif observed_on > today:
        errors["observed_on"] = "发现日期不能晚于今天"
    if len(content.strip()) < 5:
        errors["content"] = "请具体描述监督意见（至少5个字）"
    if errors:
        raise ValidationError(errors)
    return Observation.objects.create(
        supervisor=supervisor,
        township=township,
        observed_on=observed_on,
        place=place.strip(),
        content=content.strip(),
    )


def handle_observation(actor, observation_id: int, note: str) -> Observation:
    with transaction.atomic():
        obs = Observation.objects.restrict(actor, "change").select_for_update().get(pk=observation_id)
        if not note.strip():
            raise ValidationError({"handling_note": "请填写处理情况"})
        obs.handled, obs.handling_note = True, note.strip()
        obs.save()
        return obs
