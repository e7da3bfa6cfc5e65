"""Recording one step of the procedure (`do_add_event`): every step type but filing, legal review,
the decision and closing, which have their own actions."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction

from zhifa.cases.actions import _gate as G
from zhifa.cases.actions.closing import do_close
from zhifa.cases.actions.deciding import do_file, do_legal_review
from zhifa.cases.models import Case, CaseEvent
from zhifa.rules import procedure as P


def do_add_event(
    user,
    case: Case | int,
    etype: str,
    on: dt.date,
    *,
    actors: list | None = None,
    fields: dict[str, Any] | None = None,
    note: str = "",
    expected_state: str | None = None,
) -> CaseEvent:
    """Record one step of the procedure (every type except filing, legal review, the decision
    and closing, which have their own functions). `actors` are User objects: the officers in
    the field for investigations, inspections, seizures and demolitions; the participants of a
    collective discussion. Refused steps raise `StepRefused` and change nothing."""
    kw = {"note": note, "expected_state": expected_state}
    if etype == "filed":
        return do_file(user, case, on, **kw)
    if etype == "closed":
        return do_close(user, case, on, **kw)
    if etype == "legal_review":
        return do_legal_review(user, case, on, passed=bool((fields or {}).get("passed", True)), **kw)
    if etype == "decided":
        G.refuse("作出决定请使用“作出决定”（do_decide）。")
    with transaction.atomic():
        case = G.load(user, case, expected_state)
        G.check_order(case, etype, on)
        G.same_township(case, [user])
        fields = dict(fields or {})
        keys = _actors(user, case, etype, on, actors, fields)
        G.refuse_if(P.field_refusal(etype, fields))
        fields.pop("consent", None)  # the consent is checked, not stored
        ev = G.record(user, case, etype, on, actors=keys, fields=fields, note=note)
        return G.done(case, etype, ev)


def _actors(user, case: Case, etype: str, on: dt.date, actors, fields: dict[str, Any]) -> list[str] | None:
    """The people recorded with the step, as the table's `Who` of the step asks for them."""
    G.refuse_if(P.actor_refusal(etype, case.procedure, G.capabilities(user)))
    kind = P.who(etype, case.procedure).kind
    if kind == P.FIELD_OFFICERS:
        return G.field_actors(case, user, actors, on, etype)
    if kind != P.LEADER:
        return None
    keys = [G.person(case, user)]
    if etype == "collective_discussion":
        keys += _other_leaders(user, case, actors)
    if etype == "seizure_extended":
        fields["approved_by"] = keys[0]  # the leader recording it is the one who approves it
    return keys


def _other_leaders(user, case: Case, actors) -> list[str]:
    """The other leaders of a collective discussion (处罚法 第57条第2款)."""
    others = list({u.pk: u for u in actors or [] if u.pk != user.pk}.values())
    G.same_township(case, others)
    not_leaders = [u.display_name for u in others if not u.can(P.DECIDE)]
    G.refuse_if(P.collective_refusal(not_leaders, len(others)))
    return [G.person(case, u) for u in others]
