"""Ending a case: 结案 (`do_close`) and 移送 (`do_transfer`, to another agency or the police)."""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from zhifa.cases.actions import _gate as G
from zhifa.cases.models import Case, CaseEvent
from zhifa.cases.services import refresh_findings
from zhifa.core import audit
from zhifa.rules import procedure as P


def do_close(
    user, case: Case | int, on: dt.date, *, note: str = "", expected_state: str | None = None
) -> CaseEvent:
    with transaction.atomic():
        case = G.load(user, case, expected_state)
        G.check_order(case, "closed", on)
        G.refuse_if(P.actor_refusal("closed", case.procedure, G.capabilities(user)))
        G.same_township(case, [user])
        ev = G.record(user, case, "closed", on, note=note)
        return G.done(case, "closed", ev)


def do_transfer(
    user,
    case: Case | int,
    on: dt.date,
    *,
    to: str,
    police: bool = False,
    reason: str = "",
    expected_state: str | None = None,
) -> CaseEvent:
    """移送: to another agency, or to the police when the facts suggest a crime (行刑衔接,
    《行政处罚法》第二十七条). The exchange format has no such event; it stays in our record."""
    G.refuse_if(P.transfer_input_refusal(to, reason))
    with transaction.atomic():
        case = G.load(user, case, expected_state)
        state = G.case_state(case)
        G.refuse_if(P.transfer_state_refusal(state))
        G.refuse_if(P.transfer_actor_refusal(G.capabilities(user)))
        G.same_township(case, [user])
        G.refuse_if(P.transfer_date_refusal(state, on))
        seq = (case.events.order_by("-seq").values_list("seq", flat=True).first() or 0) + 1
        ev = CaseEvent.objects.create(
            case=case,
            seq=seq,
            type="transferred",
            date=on,
            payload={"to": to.strip(), "police": bool(police), "reason": reason.strip()},
            recorded_by=user,
        )
        case.transfer = {
            "to": to.strip(),
            "police": bool(police),
            "reason": reason.strip(),
            "date": on.isoformat(),
        }
        case.status = Case.TRANSFERRED
        case.save(update_fields=["transfer", "status"])
        audit.record("transfer", case, reason=f"移送{to}：{reason}")
        refresh_findings(case)
        return ev
