"""From filing to the decision: 立案 (`do_file`), 法制审核 (`do_legal_review`) and 作出决定
(`do_decide`), each by its own person (办、审、定分离)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import transaction

from zhifa.cases.actions import _gate as G
from zhifa.cases.models import Case, CaseEvent
from zhifa.catalogue.services import fine_range, record_usage
from zhifa.documents.services import take_decision_number
from zhifa.rules import periods
from zhifa.rules import procedure as P


def do_file(
    user, case: Case | int, on: dt.date, *, note: str = "", expected_state: str | None = None
) -> CaseEvent:
    """立案: approved by a leader, who becomes the case's decider."""
    with transaction.atomic():
        case = G.load(user, case, expected_state)
        G.check_order(case, "filed", on)
        if case.procedure not in P.FULL_PROCEDURES:
            G.refuse("只有普通程序和行政强制案件需要立案审批。")
        G.refuse_if(P.actor_refusal("filed", case.procedure, G.capabilities(user)))
        G.same_township(case, [user])
        key = G.person(case, user)
        G.separate(case, "decider", key)
        case.decider = key
        case.save(update_fields=["decider"])
        ev = G.record(user, case, "filed", on, actors=[key], note=note)
        return G.done(case, "filed", ev)


def do_legal_review(
    user,
    case: Case | int,
    on: dt.date,
    *,
    passed: bool = True,
    note: str = "",
    expected_state: str | None = None,
) -> CaseEvent:
    """法制审核 by a legal reviewer who is neither the handler nor the decider."""
    with transaction.atomic():
        case = G.load(user, case, expected_state)
        G.check_order(case, "legal_review", on)
        G.refuse_if(P.actor_refusal("legal_review", case.procedure, G.capabilities(user)))
        G.same_township(case, [user])
        key = G.person(case, user)
        G.separate(case, "legal_reviewer", key)
        case.legal_reviewer = key
        case.save(update_fields=["legal_reviewer"])
        ev = G.record(
            user, case, "legal_review", on, actors=[key], fields={"passed": bool(passed)}, note=note
        )
        return G.done(case, "legal_review", ev)


def _num(x: Decimal | int | float) -> int | float:
    d = Decimal(str(x))
    return int(d) if d == d.to_integral_value() else float(d)


def standard_remedy(case: Case) -> dict[str, Any]:
    county = case.township.county.name
    return {
        "reconsideration_body": f"{county}人民政府",
        "reconsideration_days": periods.RECONSIDERATION_DAYS,
        "court": f"{county}人民法院",
        "litigation_months": periods.LITIGATION_MONTHS,
    }


def do_decide(
    user,
    case: Case | int,
    on: dt.date,
    *,
    kind: str = "penalty",
    penalties: list[str] | None = None,
    fine: Decimal | int | float = 0,
    circumstance: str | None = "general",
    deviation_reason: str | None = None,
    first_violation: bool = False,
    corrected_in_time: bool = False,
    major: bool = False,
    party_present: bool = False,
    on_spot_officers: list | None = None,
    late_reason: str | None = None,
    note: str = "",
    expected_state: str | None = None,
) -> CaseEvent:
    """作出决定. General and coercive cases: by the decider (not the handler or legal reviewer),
    fine within the discretion benchmark of the catalogue unless a reason is recorded, the
    standard remedy notice included. Simple procedure: on the spot by two certified officers,
    handed to the party at once (the service is recorded the same day)."""
    penalties = list(penalties or ([] if kind != "penalty" else ["fine"]))
    fine_d = Decimal(str(fine or 0))
    with transaction.atomic():
        case = G.load(user, case, expected_state)
        G.check_order(case, "decided", on)
        note = _late_decision_note(case, on, late_reason, note)
        G.refuse_if(
            P.first_violation_refusal(kind, bool(first_violation), bool(corrected_in_time), circumstance)
        )
        bench = fine_range(case.item_code, circumstance) if circumstance and "fine" in penalties else None
        benchmark = {"min": _num(bench[0]), "max": _num(bench[1])} if bench else None
        reason = (deviation_reason or "").strip() or None
        # A fine outside the tier without a reason is PEN-DISCRETION, refused below with every
        # other defect of the decision (a fine above the statute: PEN-STATUTORY-MAX).
        keys = _deciders(user, case, on, on_spot_officers)
        decision = {
            "kind": kind,
            # The 文号 from the documents counter, taken in this transaction (a refused decision
            # uses none); the decision document generated later carries the same number.
            "doc_no": take_decision_number(case, kind, on.year),
            "penalties": penalties if kind == "penalty" else [],
            "fine": _num(fine_d) if "fine" in penalties else 0,
            "circumstance": circumstance if kind != "demolition_order" else None,
            "benchmark": benchmark,
            "deviation_reason": reason,
            "first_violation": bool(first_violation),
            "corrected_in_time": bool(corrected_in_time),
            "major": bool(major),
            "remedy_notice": standard_remedy(case),
        }
        fields: dict[str, Any] = {}
        if case.procedure == P.SIMPLE:
            fields["on_spot"] = True
            party_present = True
        fields["party_present"] = bool(party_present)
        ev = G.record(user, case, "decided", on, actors=keys, fields=fields, decision=decision, note=note)
        case.decision = decision
        case.save(update_fields=["decision"])
        if case.procedure == P.SIMPLE or party_present:
            # 当场交付 (处罚法 第52条, 第61条): a decision announced to the party present is
            # handed over at once.
            G.record(user, case, "served", on, fields={"method": "in_person"}, note="当场宣告并交付")
        record_usage(case.township, case.item_code, on)
        return G.done(case, "decided", ev)


def _deciders(user, case: Case, on: dt.date, on_spot_officers) -> list[str]:
    """Who decides, as the table's `Who` of `decided` for the case's procedure says: the officers
    on the spot (simple procedure) or the leader, who becomes the case's decider."""
    G.refuse_if(P.actor_refusal("decided", case.procedure, G.capabilities(user)))
    if P.who("decided", case.procedure).kind == P.FIELD_OFFICERS:
        return G.field_actors(case, user, on_spot_officers, on, "decided")
    G.same_township(case, [user])
    keys = [G.person(case, user)]
    G.separate(case, "decider", keys[0])
    case.decider = keys[0]
    case.save(update_fields=["decider"])
    return keys


def _late_decision_note(case: Case, on: dt.date, late_reason: str | None, note: str) -> str:
    """A decision after day 90 (处罚法 第60条) is recordable, with its reason in the event's note."""
    filed = case.events.filter(type="filed").values_list("date", flat=True).first()
    G.refuse_if(P.late_decision_refusal(case.procedure, filed, on, late_reason))
    if not P.is_late_decision(case.procedure, filed, on):
        return note
    reason = (late_reason or "").strip()
    return f"超过九十日作出决定的理由：{reason}" + (f"；{note}" if note else "")
