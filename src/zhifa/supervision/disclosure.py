"""Public disclosure of penalty decisions (行政执法公示).

A general-procedure penalty decision is published within 7 working days of the decision
(国办发〔2018〕118号; 处罚法 第48条), and withdrawn within 3 working days when it is changed or
revoked (处罚法 第48条第2款). Publishing records the case's `disclosed` step through the case
engine, so the automatic review sees it like any other step. The published content is a
redacted snapshot (zhifa.rules.redaction): an individual's ID number, phone and address never
leave the case, and the name is masked (张某).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from zhifa.core.calendar import work_calendar
from zhifa.rules.casefile import PENALTY_NAMES_ZH
from zhifa.rules.periods import DISCLOSURE_WORKDAYS
from zhifa.rules.redaction import redact_party, redact_text_for_party
from zhifa.supervision.models import Disclosure

PENALTY_LABELS = PENALTY_NAMES_ZH
DISCLOSE_WORKDAYS = DISCLOSURE_WORKDAYS  # 国办发〔2018〕118号, defined in zhifa.rules.periods
WITHDRAW_WORKDAYS = 3


def agency_name(township) -> str:
    suffix = "办事处" if township.kind == "街道" else "人民政府"
    return f"{township.name}{suffix}"


def _decided_event(case):
    return case.events.filter(type="decided").order_by("seq").first()


def disclosure_content(case) -> dict[str, Any]:
    """The redacted public record of a decided case."""
    from zhifa.cases.services import decision_with_document_no
    from zhifa.catalogue.models import Item

    # The number of the generated decision document, when there is one, is the decision's 文号.
    decision = decision_with_document_no(case) or {}
    party = case.party or {}
    item = Item.objects.filter(county_id=case.township.county_id, code=case.item_code).first()
    penalties = [PENALTY_LABELS.get(p, p) for p in decision.get("penalties") or []]
    fine = decision.get("fine")
    result = "、".join(penalties)
    if fine:
        result += f"（罚款{fine}元）"
    return {
        "agency": agency_name(case.township),
        "doc_no": decision.get("doc_no", ""),
        "party": redact_party(party),
        "item": case.item_name or (item.name if item else case.item_code),
        "facts": redact_text_for_party(case.summary or "", party),
        "legal_basis": item.legal_basis if item else "",
        "result": result,
    }


@transaction.atomic
def publish_decision(user, case_id: int, on: dt.date) -> Disclosure:
    """Publish a case's penalty decision and record the `disclosed` step on the case."""
    from zhifa.cases.actions import do_add_event
    from zhifa.cases.models import Case

    case = Case.objects.restrict(user, "change").select_related("township").get(pk=case_id)
    if Disclosure.objects.filter(case=case).exists():
        raise ValidationError("该案件的处罚决定已经公示。")
    decided = _decided_event(case)
    decision = case.decision or {}
    if decided is None or decision.get("kind") != "penalty":
        raise ValidationError("只有已作出行政处罚决定的案件才能公示。")
    if on < decided.date:
        raise ValidationError("公示日期不能早于决定日期。")
    content = disclosure_content(case)
    if not (user.can("cases.assist") or user.can("cases.decide")):
        raise PermissionDenied("您没有公示处罚决定的权限。")
    do_add_event(user, case, "disclosed", on)
    return Disclosure.objects.create(
        case=case,
        county=case.township.county,
        township=case.township,
        doc_no=content["doc_no"],
        decided_on=decided.date,
        due_on=work_calendar().add_workdays(decided.date, DISCLOSE_WORKDAYS),
        published_on=on,
        content=content,
        published_by=user,
    )


@transaction.atomic
def withdraw(user, disclosure_id: int, *, revoked_on: dt.date, reason: str, on: dt.date) -> Disclosure:
    """Take a decision off the public page after it was changed or revoked."""
    d = Disclosure.objects.restrict(user, "change").select_for_update().get(pk=disclosure_id)
    if not (user.can("cases.decide") or user.can("cases.assist")):
        raise PermissionDenied("您没有撤回公示的权限。")
    if d.withdrawn_on is not None:
        raise ValidationError("该公示已经撤回。")
    errors = {}
    if not reason.strip():
        errors["withdraw_reason"] = "请写明撤回原因（如：复议决定撤销、诉讼判决撤销、自行纠正）。"
    if revoked_on < d.decided_on:
        errors["revoked_on"] = "变更或撤销日期不能早于原决定日期。"
    if on < revoked_on:
        errors["withdrawn_on"] = "撤回日期不能早于变更或撤销日期。"
    if errors:
        raise ValidationError(errors)
    d.revoked_on = revoked_on
    d.withdraw_due = work_calendar().add_workdays(revoked_on, WITHDRAW_WORKDAYS)
    d.withdrawn_on = on
    d.withdraw_reason = reason.strip()
    d.save()
    return d


def public_queryset():
    return Disclosure.objects.filter(withdrawn_on__isnull=True).select_related("township")
