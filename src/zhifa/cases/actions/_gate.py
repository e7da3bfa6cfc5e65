"""What every case action shares: the refusal, the people, the item held, the procedure's order
(the table of `zhifa.rules.procedure`) and storing one event through the review's gate.

Django glue only: each check itself is a pure function of `zhifa.rules.procedure` or
`zhifa.rules.review`; this module reads the database into their plain data and raises
`StepRefused` with the refusal they return.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any, NoReturn

from django.core.exceptions import ValidationError
from django.utils import timezone

from zhifa.cases.models import Case, CaseEvent, CaseOfficer, Officer
from zhifa.cases.services import refresh_findings, rule_context, to_casefile
from zhifa.catalogue.services import holding_on
from zhifa.core.calendar import work_calendar
from zhifa.rules import casefile as cf
from zhifa.rules import holdings
from zhifa.rules import procedure as P
from zhifa.rules.review import DEFECT, check_step, with_step
from zhifa.rules.workdays import CalendarGapError

ZH = cf.EVENT_NAMES_ZH


class StepRefused(ValidationError):
    """The step is unlawful or not allowed; `messages` say why (Chinese, citing the article) and
    `rules` name the rules that refused it (ids of the procedure table or of the review) where
    known, so a caller can tell a live refusal from the review's finding of the same rule."""

    def __init__(self, message: Any, *args: Any, rules: Iterable[str] = (), **kwargs: Any) -> None:
        super().__init__(message, *args, **kwargs)
        self.rules = list(rules)


class StaleState(StepRefused):
    """The step was made from an older state of the case: someone recorded a step in between
    (the API answers 409)."""


def state_of(case: Case) -> str:
    """The case's state as a client sees it: the sequence number of its last recorded step.
    A step form or API call carries it back as `expected_state`."""
    return str(case.events.order_by("-seq").values_list("seq", flat=True).first() or 0)


def refuse(*messages: str) -> NoReturn:
    raise StepRefused(list(messages))


def refuse_if(refusal: P.Refusal | None) -> None:
    """Raise the table's refusal, if there is one."""
    if refusal is not None:
        raise StepRefused([refusal.message], rules=[refusal.rule])


# ---- people ----------------------------------------------------------------------------------


def capabilities(user) -> frozenset[str]:
    """The case capabilities the user holds (what `zhifa.rules.procedure.Who` asks for)."""
    return frozenset(c for c in P.CAPABILITIES if user.can(c))


def _profile(user) -> Officer | None:
    return Officer.objects.filter(user=user).first()


def certified(user, day: dt.date, what: str) -> Officer:
    """The user's officer profile, refusing anyone who may not act as an officer on `day`."""
    off = _profile(user)
    holds = off is not None and off.kind != Officer.AUXILIARY and bool(off.cert_no)
    valid = holds and off.cert_valid_on(day)
    cert_no, valid_to = (off.cert_no, off.cert_valid_to) if off is not None else (None, None)
    refuse_if(P.certificate_refusal(user.display_name, holds, valid, cert_no, valid_to, day, what))
    return off  # type: ignore[return-value]  # refused above when None


def person(case: Case, user) -> str:
    """The user's id in the case file; the name and certificate are refreshed as of now."""
    off = _profile(user)
    cert_no = (off.cert_no or None) if off and off.kind != Officer.AUXILIARY else None
    valid_to = off.cert_valid_to if cert_no else None
    row = CaseOfficer.objects.filter(case=case, user=user).first()
    if row is None:
        pos = CaseOfficer.objects.filter(case=case).count()
        row = CaseOfficer(case=case, user=user, key=user.username, position=pos)
    if row.pk is None or (row.name, row.cert_no, row.cert_valid_to) != (user.display_name, cert_no, valid_to):
        row.name, row.cert_no, row.cert_valid_to = user.display_name, cert_no, valid_to
        row.save()
    return row.key


def same_township(case: Case, users) -> None:
    for u in users:
        if not u.is_superuser and u.township_id != case.township_id:
            refuse(f"{u.display_name}不属于{case.township}，不能办理本案。")


def same_township_obj(user, township) -> None:
    if not user.is_superuser and user.township_id != township.pk:
        refuse(f"您不属于{township}，不能为其办理案件。")


def separate(case: Case, role: str, key: str) -> None:
    """办、审、定分离: handler, legal reviewer and decider are three different people."""
    roles = {r: getattr(case, r) for r in P.SEPARATED_ROLES}
    refuse_if(P.separation_refusal(roles, role, key))


def field_actors(case: Case, user, actors, on: dt.date, etype: str) -> list[str]:
    """Two or more certified officers of the township (处罚法 第42条; 强制法 第18条)."""
    people = list({u.pk: u for u in actors or []}.values())
    refuse_if(P.field_officers_refusal(etype, len(people)))
    same_township(case, people)
    for u in people:
        certified(u, on, ZH[etype])
    return [person(case, u) for u in people]


# ---- authority ---------------------------------------------------------------------------------


def authority(township, item_code: str, day: dt.date) -> dict[str, Any]:
    """The holding on `day` in exchange shape, refusing when the township does not hold the item."""
    # A case needs the list in force on the day: no first-version allowance (holdings.STRICT).
    auth = holding_on(township, item_code, day, holdings.STRICT)
    if not auth.held:
        entrusted = auth.source == holdings.ENTRUSTED
        article = "《行政处罚法》第二十条" if entrusted else "《行政处罚法》第二十四条、第三十八条"
        refuse(f"{township}在{day}无权办理执法事项{item_code}：{auth.reason}（{article}）。")
    ent = auth.entrustment
    return {
        "source": auth.source,
        "held_from": auth.held_from.isoformat() if auth.held_from else day.isoformat(),
        "held_until": auth.held_until.isoformat() if auth.held_until else None,
        "entrustment": (
            None
            if ent is None
            else {k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in ent.items()}
        ),
    }


# ---- the exchange format's field rules ----------------------------------------------------------

_FIELD_ZH = {
    "name": "当事人名称",
    "kind": "当事人类型",
    "began": "违法行为开始日期",
    "ended": "违法行为结束日期",
    "source": "线索来源",
    "procedure": "程序",
    "deadline": "期限",
    "result": "检查结果",
    "proposed_fine": "拟罚款金额",
    "statement_days": "陈述申辩期限",
    "method": "送达方式",
    "amount": "金额",
    "surcharge": "加处罚款",
    "measure": "强制措施种类",
    "term_days": "期限（日）",
    "items": "物品清单",
    "days": "延长天数",
    "outcome": "处理结果",
    "court": "法院",
}


def check_dict(obj: dict, prefix: str = "") -> None:
    errors = [(p, m) for p, m in cf.validate_case(obj) if p.startswith(prefix)]
    if errors:
        refuse(*(f"{_FIELD_ZH.get(p.split('.')[-1], p)}（{p}）：{m}" for p, m in errors))


# ---- the procedure's order -----------------------------------------------------------------------


def load(user, case: Case | int, expected_state: str | None = None) -> Case:
    """The case, locked for this transaction, loaded through the one write scope
    (`Case.objects.restrict(user, "change")`): a case outside what the user may change is
    refused as if it did not exist. Refused too when it changed since `expected_state`."""
    pk = case.pk if isinstance(case, Case) else case
    scoped = Case.objects.restrict(user, "change").select_for_update()
    locked = scoped.select_related("township__county").filter(pk=pk).first()
    if locked is None:
        refuse("未找到该案件，或该案件不在您可办理的范围内。")
    if expected_state is not None and str(expected_state) != state_of(locked):
        raise StaleState(
            "本案已被他人更新（有人先登记了新的办案步骤），本次登记未保存。请刷新页面，查看最新记录后重新办理。"
        )
    return locked


def case_state(case: Case) -> P.CaseState:
    """What the procedure table reads from a case: its steps so far and the last one's date."""
    rows = list(case.events.order_by("seq").values_list("type", "date"))
    return P.CaseState(
        procedure=case.procedure,
        status=case.status,
        events=tuple(t for t, _d in rows),
        last_date=rows[-1][1] if rows else None,
        imported=case.imported,
    )


def check_order(case: Case, etype: str, on: dt.date) -> None:
    """The procedure's order of steps (what must come before what), by the table."""
    refuse_if(P.check_order(case_state(case), etype, on, timezone.localdate()))


# ---- recording a step ------------------------------------------------------------------------


def record(
    user,
    case: Case,
    etype: str,
    on: dt.date,
    *,
    actors: list | None = None,
    fields: dict[str, Any] | None = None,
    decision: dict[str, Any] | None = None,
    note: str = "",
) -> CaseEvent:
    """Check and store one exchange event (inside the caller's transaction)."""
    fields = dict(fields or {})
    has_actors = cf.EVENTS[etype][0]
    event: dict[str, Any] = {"type": etype, "date": on.isoformat()}
    if has_actors:
        event["actors"] = list(actors or [])
    event.update(fields)
    if etype in P.ACTING_STEPS:
        case.authority = authority(case.township, case.item_code, on)
        case.save(update_fields=["authority"])
    current = to_casefile(case, as_of=on)
    candidate = with_step(current, event, decision)
    idx = len(candidate["events"]) - 1
    check_dict(candidate, f"events[{idx}]")
    if decision is not None:
        check_dict(candidate, "decision")
    try:
        problems = check_step(current, event, work_calendar(), decision, rule_context(case))
    except CalendarGapError as exc:
        refuse(str(exc))
    defects = [f for f in problems if f.severity == DEFECT]
    if defects:
        raise StepRefused([f.message for f in defects], rules=[f.rule for f in defects])
    seq = (case.events.order_by("-seq").values_list("seq", flat=True).first() or 0) + 1
    payload = {k: v for k, v in event.items() if k not in ("type", "date", "actors")}
    return CaseEvent.objects.create(
        case=case,
        seq=seq,
        type=etype,
        date=on,
        actors=event.get("actors"),
        payload=payload,
        note=note,
        recorded_by=user,
    )


def done(case: Case, etype: str, ev: CaseEvent) -> CaseEvent:
    """After the step: the status the table gives it, and the case's live findings."""
    new_status = P.status_after(etype, case.status)
    if new_status != case.status:
        case.status = new_status
        case.save(update_fields=["status"])
    refresh_findings(case)
    return ev
