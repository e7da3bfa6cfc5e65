"""The case procedure (执法办案程序) as one table, in the style of `zhifa.rules.dispatch_workflow`.

Pure: no Django, no database; imports only `zhifa.rules`. The case engine (`zhifa.cases.actions`)
looks a step up here before it stores anything, the step forms (`zhifa.cases.steps`) offer what
the table offers, and the review rules (`zhifa.rules.review`) read the same entries where they
check the same thing in an imported file, so the procedure is written in exactly one place.

Per step (an event type of the exchange format, `zhifa.rules.casefile.EVENTS`), in the order of
the procedure, `STEPS` says:

- ``procedures``: which procedures have the step (a simple case only the on-the-spot steps, an
  inspection its own; general and coercive cases every step) and where a form offers it;
- ``needs``: the steps that must be on file before it (`Need`), each with its rule id, message
  and article, and who enforces it: the engine itself (`ENGINE`, refused by `check_order` before
  anything else) or a review rule (`REVIEW`: the review reports it in an imported file and the
  live gate refuses it through `zhifa.rules.review.check_step`, both with that rule's message);
- ``who``: the capability (`zhifa.org.roles.CAPABILITIES` names) needed to record it (`Who`);
- ``checks``: the named pure checks of the step's own fields;
- ``status_after``: the case status the step moves the case to;
- ``cites``: the article the step rests on.

Every refusal is a `Refusal(rule, message)`; the message is the Chinese text the user reads,
citing the article where the rule has one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from zhifa.rules import deadlines as dl
from zhifa.rules import periods
from zhifa.rules.casefile import EVENT_NAMES_ZH, EVENTS

ZH = EVENT_NAMES_ZH

# ---- procedures ---------------------------------------------------------------------------------

SIMPLE = "simple"
GENERAL = "general"
COERCIVE = "coercive"
INSPECTION = "inspection"

PROCEDURE_LABELS: dict[str, str] = {
    SIMPLE: "简易程序",
    GENERAL: "普通程序",
    COERCIVE: "行政强制",
    INSPECTION: "行政检查",
}
PROCEDURES = tuple(PROCEDURE_LABELS)
# Filed, legally reviewed and decided by a leader (处罚法 第54条, 第57–58条).
FULL_PROCEDURES = (GENERAL, COERCIVE)

# ---- case statuses --------------------------------------------------------------------------------

OPEN = "open"
FILED = "filed"
DECIDED = "decided"
ENFORCING = "enforcing"
CLOSED = "closed"
TRANSFERRED = "transferred"

STATUS_LABELS: dict[str, str] = {
    OPEN: "办理中",
    FILED: "已立案",
    DECIDED: "已决定",
    ENFORCING: "执行中",
    CLOSED: "已结案",
    TRANSFERRED: "已移送",
}
# No step can be recorded any more.
FINISHED = frozenset({CLOSED, TRANSFERRED})

# ---- who may act: capabilities as `zhifa.org.roles.CAPABILITIES` names them ------------------------

HANDLE = "cases.handle"  # certified officers (执法人员, 派驻人员)
ASSIST = "cases.assist"  # officers and auxiliary workers
LEGAL_REVIEW = "cases.legal_review"  # legal reviewers (法制审核员)
DECIDE = "cases.decide"  # leaders (负责人)
CAPABILITIES = (HANDLE, ASSIST, LEGAL_REVIEW, DECIDE)

# How the people of a step are recorded.
LEADER = "leader"  # a leader in person (the collective discussion: two or more leaders)
FIELD_OFFICERS = "field"  # two or more certified officers in the field
LEGAL_REVIEWER = "legal_reviewer"  # the legal reviewer in person
CASE_STAFF = "staff"  # anyone working on the case; no actors recorded

# Handler, legal reviewer and decider are three different people (办、审、定分离).
SEPARATED_ROLES = ("handler", "legal_reviewer", "decider")
ROLE_LABELS = {"handler": "承办人", "legal_reviewer": "法制审核人员", "decider": "负责人"}
MIN_FIELD_OFFICERS = 2  # 处罚法 第42条; 强制法 第18条
MIN_COLLECTIVE_LEADERS = 2  # 处罚法 第57条第2款


class Refusal(NamedTuple):
    """Why a step may not be recorded: the rule's id and the Chinese message."""

    rule: str
    message: str


@dataclass(frozen=True)
class Who:
    """Who may record a step: one of `capabilities`, recorded as `kind` says."""

    kind: str  # LEADER, FIELD_OFFICERS, LEGAL_REVIEWER or CASE_STAFF
    capabilities: frozenset[str]  # any one of them
    refusal: str  # the message, "{step}" = the step's name


# ---- what must come before ------------------------------------------------------------------------

ENGINE = "engine"  # refused by the case engine (`check_order`); the review does not report it
REVIEW = "review"  # a review rule: reported in imported files, refused live by `check_step`


@dataclass(frozen=True)
class Need:
    """A step that must be on file before another, in the procedures named."""

    rule: str
    before: str  # the step that must be on file first
    by: str  # ENGINE or REVIEW
    procedures: tuple[str, ...] | None = None  # None: every procedure
    message: str = ""  # ENGINE needs: the refusal, "{step}" = the step's name
    cites: str = ""


def _engine(
    rule: str, before: str, message: str, procedures: tuple[str, ...] | None = None, cites: str = ""
) -> Need:
    return Need(rule, before, ENGINE, procedures, message, cites)


def _review(rule: str, before: str, procedures: tuple[str, ...] | None, cites: str) -> Need:
    return Need(rule, before, REVIEW, procedures, "", cites)


NEEDS_FILING = _engine(
    "PROC-NOT-FILED",
    "filed",
    "本案尚未立案，不能{step}（《行政处罚法》第五十四条）。",
    FULL_PROCEDURES,
    "《行政处罚法》第五十四条",
)
NEEDS_DECISION = _engine("PROC-NOT-DECIDED", "decided", "尚未作出决定，不能记录“{step}”。")
NEEDS_SEIZURE = _engine("PROC-NO-SEIZURE", "seizure_started", "没有实施查封、扣押，不能记录“{step}”。")
NEEDS_HEARING_REQUEST = _engine(
    "PROC-NO-HEARING-REQUEST", "hearing_requested", "当事人未要求听证，不能记录“举行听证”。"
)
NEEDS_RECTIFICATION = _engine("PROC-NO-RECTIFICATION", "rectification_ordered", "尚未责令改正，不能复查。")
CLOSE_NEEDS_DECISION = _engine(
    "PROC-CLOSE-UNDECIDED",
    "decided",
    "尚未作出决定，不能结案；不需处罚的，请作出不予行政处罚决定或移送。",
    (GENERAL, COERCIVE, SIMPLE),
)
# The review rules that find a missing earlier step; each rule reads its `before` from here.
PRIOR_NOTICE = _review(
    "PEN-PRIOR-NOTICE", "notice_served", (GENERAL,), "《行政处罚法》第四十四条、第六十二条"
)
HEARING = _review("PEN-HEARING", "hearing_held", (GENERAL,), "《行政处罚法》第六十三条、第六十四条")
LEGAL_REVIEW_FIRST = _review("DEC-LEGAL-REVIEW", "legal_review", FULL_PROCEDURES, "《行政处罚法》第五十八条")
COLLECTIVE_FIRST = _review(
    "DEC-COLLECTIVE", "collective_discussion", FULL_PROCEDURES, "《行政处罚法》第五十七条第二款"
)
DEMOLITION_NOTICE_FIRST = _review(
    "COE-DEMOLITION-NOTICE", "demolition_notice", None, "《行政强制法》第四十四条"
)
REMINDER_FIRST = _review(
    "COE-COURT-REMINDER", "reminder_served", None, "《行政强制法》第五十四条、第六十九条"
)


# ---- the step's own checks (plain field values in, a refusal or None out) -------------------------

FieldCheck = Callable[[Mapping[str, Any]], "Refusal | None"]


def seizure_items_listed(fields: Mapping[str, Any]) -> Refusal | None:
    """强制法 第24条: a sealing or seizure comes with the list of the goods."""
    if (fields.get("items") or "").strip():
        return None
    return Refusal("PROC-SEIZURE-ITEMS", "查封、扣押须附财物清单（《行政强制法》第二十四条）。")


def seizure_term_within_limit(fields: Mapping[str, Any]) -> Refusal | None:
    """强制法 第25条: the term of a sealing or seizure is at most 30 days (COE-SEIZURE-30D)."""
    if int(fields.get("term_days") or 0) <= periods.SEIZURE_DAYS:
        return None
    return Refusal("COE-SEIZURE-30D", "查封、扣押的期限不得超过三十日（《行政强制法》第二十五条）。")


def extension_within_limit(fields: Mapping[str, Any]) -> Refusal | None:
    """强制法 第25条: one extension of at most 30 days (COE-EXTENSION-INVALID)."""
    if int(fields.get("days") or 0) <= periods.SEIZURE_EXTENSION_MAX_DAYS:
        return None
    return Refusal(
        "COE-EXTENSION-INVALID", "查封、扣押的延长期限不得超过三十日（《行政强制法》第二十五条）。"
    )


def electronic_service_consented(fields: Mapping[str, Any]) -> Refusal | None:
    """处罚法 第61条第2款: electronic service only with the party's written consent (`consent`)."""
    if fields.get("method") != "electronic" or fields.get("consent", False):
        return None
    return Refusal(
        "PROC-SERVICE-CONSENT",
        "当事人书面同意并签订确认书的，方可采用电子方式送达（《行政处罚法》第六十一条第二款）。",
    )


# ---- the table ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    """One row of the table: a step of the procedure and everything the engine checks for it."""

    event: str
    procedures: frozenset[str]  # where the engine accepts the step
    who: Who
    cites: str
    needs: tuple[Need, ...] = ()
    checks: tuple[FieldCheck, ...] = ()
    status_after: str | None = None  # None: the status does not change
    acting: bool = False  # the township exercises its power (LEGAL-RULES.md §4): the item must be held
    offered: frozenset[str] | None = None  # where a step form offers it (None: as `procedures`)
    who_by_procedure: Mapping[str, Who] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return ZH[self.event]


_ALL = frozenset(PROCEDURES)
_FULL = frozenset(FULL_PROCEDURES)
_PENALTY = frozenset({SIMPLE, *FULL_PROCEDURES})
_INSPECTING = frozenset({INSPECTION, *FULL_PROCEDURES})
_ON_THE_SPOT = frozenset({SIMPLE, *FULL_PROCEDURES})

_AS_LEADER = Who(LEADER, frozenset({DECIDE}), "“{step}”须由负责人办理。")
_IN_THE_FIELD = Who(FIELD_OFFICERS, frozenset({HANDLE}), "“{step}”须由执法人员办理。")
_ON_THE_CASE = Who(CASE_STAFF, frozenset({ASSIST, DECIDE}), "您没有办理案件的权限。")
# Opening a case (the `discovered` step): its handler, who must hold a certificate.
OPENING = Who(CASE_STAFF, frozenset({HANDLE}), "只有持证执法人员可以办理案件。")
# 移送 (not an exchange event: it stays in our record).
TRANSFER = Who(CASE_STAFF, frozenset({HANDLE, DECIDE}), "移送须由承办人或负责人办理。")

_FILING_NEEDED = (NEEDS_FILING,)

# THE table, in the order of the procedure. A step not listed for a procedure is refused.
STEPS: dict[str, Step] = {
    s.event: s
    for s in (
        Step("discovered", _ALL, OPENING, "《行政处罚法》第五十四条"),
        Step(
            "filed",
            _FULL,
            Who(LEADER, frozenset({DECIDE}), "立案须由负责人审批（《行政处罚法》第五十四条）。"),
            "《行政处罚法》第五十四条",
            status_after=FILED,
            acting=True,
        ),
        Step(
            "investigated",
            _INSPECTING,
            _IN_THE_FIELD,
            "《行政处罚法》第四十二条、第五十五条",
            _FILING_NEEDED,
            acting=True,
        ),
        Step(
            "inspected",
            _INSPECTING,
            _IN_THE_FIELD,
            "《行政处罚法》第四十二条、第五十五条",
            acting=True,
            offered=frozenset({INSPECTION}),
        ),
        Step("rectification_ordered", _INSPECTING, _ON_THE_CASE, "《行政处罚法》第二十八条", acting=True),
        Step(
            "reinspected",
            _INSPECTING,
            _IN_THE_FIELD,
            "《行政处罚法》第四十二条、第五十五条",
            (NEEDS_RECTIFICATION,),
            acting=True,
            offered=frozenset({INSPECTION}),
        ),
        Step(
            "notice_served",
            _FULL,
            _ON_THE_CASE,
            "《行政处罚法》第四十四条、第六十二条",
            _FILING_NEEDED,
            acting=True,
        ),
        Step("statement_received", _FULL, _ON_THE_CASE, "《行政处罚法》第四十五条", _FILING_NEEDED),
        Step(
            "hearing_requested", _FULL, _ON_THE_CASE, "《行政处罚法》第六十三条、第六十四条", _FILING_NEEDED
        ),
        Step(
            "hearing_held",
            _FULL,
            _ON_THE_CASE,
            "《行政处罚法》第六十四条",
            (NEEDS_FILING, NEEDS_HEARING_REQUEST),
            acting=True,
        ),
        Step(
            "legal_review",
            _FULL,
            Who(
                LEGAL_REVIEWER,
                frozenset({LEGAL_REVIEW}),
                "法制审核须由法制审核人员办理（《行政处罚法》第五十八条）。",
            ),
            "《行政处罚法》第五十八条",
            _FILING_NEEDED,
        ),
        Step(
            "collective_discussion",
            _FULL,
            _AS_LEADER,
            "《行政处罚法》第五十七条第二款",
            _FILING_NEEDED,
        ),
        Step(
            "decided",
            _ON_THE_SPOT,
            Who(LEADER, frozenset({DECIDE}), "处罚决定须由负责人作出（《行政处罚法》第五十七条）。"),
            "《行政处罚法》第五十一条、第五十七条",
            (NEEDS_FILING, PRIOR_NOTICE, HEARING, LEGAL_REVIEW_FIRST, COLLECTIVE_FIRST),
            status_after=DECIDED,
            acting=True,
            who_by_procedure={
                SIMPLE: Who(FIELD_OFFICERS, frozenset({HANDLE}), "当场处罚决定须由执法人员作出。")
            },
        ),
        Step(
            "served",
            _PENALTY,
            _ON_THE_CASE,
            "《行政处罚法》第六十一条",
            (NEEDS_DECISION,),
            (electronic_service_consented,),
        ),
        Step("paid", _PENALTY, _ON_THE_CASE, "《行政处罚法》第六十七条", (NEEDS_DECISION,)),
        Step(
            "disclosed",
            _PENALTY,
            _ON_THE_CASE,
            "国办发〔2018〕118号；《行政处罚法》第四十八条",
            (NEEDS_DECISION,),
        ),
        Step(
            "seizure_started",
            _FULL,
            _IN_THE_FIELD,
            "《行政强制法》第十八条、第二十四条、第二十五条",
            _FILING_NEEDED,
            (seizure_items_listed, seizure_term_within_limit),
            status_after=ENFORCING,
            acting=True,
        ),
        Step(
            "seizure_extended",
            _FULL,
            _AS_LEADER,
            "《行政强制法》第二十五条",
            (NEEDS_SEIZURE,),
            (extension_within_limit,),
            acting=True,
        ),
        Step("seizure_ended", _FULL, _ON_THE_CASE, "《行政强制法》第二十八条", (NEEDS_SEIZURE,), acting=True),
        Step(
            "demolition_notice",
            _FULL,
            _ON_THE_CASE,
            "《行政强制法》第四十四条",
            _FILING_NEEDED,
            status_after=ENFORCING,
            acting=True,
        ),
        Step(
            "reminder_served",
            _FULL,
            _ON_THE_CASE,
            "《行政强制法》第五十四条",
            (NEEDS_DECISION,),
            status_after=ENFORCING,
            acting=True,
        ),
        Step(
            "demolition_executed",
            _FULL,
            _IN_THE_FIELD,
            "《行政强制法》第四十四条",
            (NEEDS_FILING, DEMOLITION_NOTICE_FIRST),
            acting=True,
        ),
        Step(
            "court_application",
            _FULL,
            _ON_THE_CASE,
            "《行政强制法》第五十三条、第五十四条",
            (NEEDS_DECISION, REMINDER_FIRST),
            status_after=ENFORCING,
            acting=True,
        ),
        Step(
            "closed",
            _ALL,
            Who(CASE_STAFF, frozenset({HANDLE, DECIDE}), "结案须由承办人或负责人办理。"),
            "《行政处罚法》第五十七条",
            (CLOSE_NEEDS_DECISION,),
            status_after=CLOSED,
        ),
    )
}
ORDER: tuple[str, ...] = tuple(STEPS)

# Derived sets, for the review rules (LEGAL-RULES.md §4) and the engine.
ACTING_STEPS = frozenset(e for e, s in STEPS.items() if s.acting)
FIELD_STEPS = frozenset(e for e, s in STEPS.items() if s.who.kind == FIELD_OFFICERS)


def steps_of(procedure: str) -> frozenset[str]:
    """The steps the engine accepts in `procedure`."""
    return frozenset(e for e, s in STEPS.items() if procedure in s.procedures)


def offered_in(step: str, procedure: str) -> bool:
    """Whether a step form offers `step` in `procedure` (the engine still checks it)."""
    s = STEPS.get(step)
    return s is not None and procedure in (s.offered if s.offered is not None else s.procedures)


def who(step: str, procedure: str | None) -> Who:
    """Who may record `step` in a case of `procedure`."""
    s = STEPS[step]
    return s.who_by_procedure.get(procedure, s.who) if procedure else s.who


def _field_steps_in(procedure: str | None) -> frozenset[str]:
    return frozenset(e for e in STEPS if who(e, procedure).kind == FIELD_OFFICERS)


# Per procedure, computed once: the review asks for every event of every file.
_FIELD_BY_PROCEDURE = {p: _field_steps_in(p) for p in PROCEDURES}


def field_steps(procedure: str | None) -> frozenset[str]:
    """The steps done in the field by two or more certified officers (OFF-MIN-TWO, OFF-CERT-VALID)
    in `procedure`: the on-the-spot decision of a simple case besides `FIELD_STEPS`."""
    if not isinstance(procedure, str):  # None, or anything an unchecked file holds
        return FIELD_STEPS
    return _FIELD_BY_PROCEDURE.get(procedure, FIELD_STEPS)


def is_field_step(step: str, procedure: str | None) -> bool:
    return step in field_steps(procedure)


def status_after(step: str, status: str) -> str:
    """The case status once `step` is recorded on a case in `status`."""
    s = STEPS.get(step)
    return s.status_after if s is not None and s.status_after else status


def need(rule: str) -> Need:
    """The table's entry for a rule that requires an earlier step."""
    for s in STEPS.values():
        for n in s.needs:
            if n.rule == rule:
                return n
    raise KeyError(rule)


def _applies(n: Need, procedure: str) -> bool:
    return n.procedures is None or procedure in n.procedures


# ---- the state of a case, and the order checks --------------------------------------------------


@dataclass(frozen=True)
class CaseState:
    """What the order of the procedure reads from a case."""

    procedure: str
    status: str = OPEN
    events: tuple[str, ...] = ()  # the types recorded so far, in order
    last_date: dt.date | None = None  # the date of the last recorded step
    imported: bool = False


OrderCheck = Callable[[CaseState, str], "Refusal | None"]


def not_imported(state: CaseState, step: str) -> Refusal | None:
    """An imported file is a historical record, never continued here."""
    if not state.imported:
        return None
    return Refusal("PROC-IMPORTED", "导入的案卷是历史记录，不能在本系统中继续办理。")


def not_finished(state: CaseState, step: str) -> Refusal | None:
    """A closed or transferred case takes no more steps."""
    if state.status not in FINISHED:
        return None
    return Refusal("PROC-FINISHED", f"本案{STATUS_LABELS[state.status]}，不能再记录办案步骤。")


def known_step(state: CaseState, step: str) -> Refusal | None:
    """Only the exchange format's event types are steps."""
    if step in EVENTS and step in STEPS:
        return None
    return Refusal("PROC-UNKNOWN-STEP", f"办案步骤“{step}”无效。")


def in_procedure(state: CaseState, step: str) -> Refusal | None:
    """Each procedure has its own steps (`Step.procedures`)."""
    # A procedure outside the table is refused when the case is opened, not here.
    if state.procedure not in (SIMPLE, INSPECTION) or state.procedure in STEPS[step].procedures:
        return None
    if state.procedure == SIMPLE:
        return Refusal("PROC-NOT-IN-PROCEDURE", f"简易程序案件没有“{ZH[step]}”步骤。")
    return Refusal(
        "PROC-NOT-IN-PROCEDURE", f"行政检查没有“{ZH[step]}”步骤；发现违法行为需要处罚的，请另行立案。"
    )


def once_per_case(state: CaseState, step: str) -> Refusal | None:
    """Steps the exchange format allows at most once (`EVENTS[step][2]`)."""
    if not (EVENTS[step][2] and step in state.events):
        return None
    return Refusal("PROC-ONCE", f"“{ZH[step]}”每案只能记录一次。")


# Checks of the case's state, in the order the engine runs them.
STATE_CHECKS: tuple[OrderCheck, ...] = (not_imported, not_finished, known_step, in_procedure, once_per_case)


def date_refusal(state: CaseState, on: dt.date, today: dt.date) -> Refusal | None:
    """A step is dated no later than today and no earlier than the case's last step."""
    if on > today:
        return Refusal("PROC-FUTURE-DATE", f"日期{on}不能晚于今天。")
    if state.last_date is not None and on < state.last_date:
        return Refusal(
            "PROC-DATE-ORDER", f"日期{on}早于本案上一步骤的日期{state.last_date}，办案记录须按时间顺序登记。"
        )
    return None


def missing_step(state: CaseState, step: str) -> Refusal | None:
    """The first earlier step the engine requires (`ENGINE` needs) that is not on file."""
    for n in STEPS[step].needs:
        if n.by == ENGINE and _applies(n, state.procedure) and n.before not in state.events:
            return Refusal(n.rule, n.message.format(step=ZH[step]))
    return None


def check_order(state: CaseState, step: str, on: dt.date, today: dt.date) -> Refusal | None:
    """The first refusal of the procedure's order for recording `step` on day `on`, or None.

    The order is the engine's: the case's state, the date, then the earlier steps required.
    (The `REVIEW` needs are refused later, by the review rules through `check_step`.)"""
    for check in STATE_CHECKS:
        refusal = check(state, step)
        if refusal is not None:
            return refusal
    return date_refusal(state, on, today) or missing_step(state, step)


def allowed_steps(state: CaseState) -> list[str]:
    """The steps the engine's order allows next, whatever the date, in table order."""
    return [s for s in ORDER if not any(c(state, s) for c in STATE_CHECKS) and missing_step(state, s) is None]


def checks_of(step: str, procedure: str) -> list[str]:
    """The names of every check the engine runs for `step`, in order (who may act, then the step's
    own checks; the review rules follow through `check_step`)."""
    names = [c.__name__ for c in STATE_CHECKS] + [date_refusal.__name__]
    names += [n.rule for n in STEPS[step].needs if n.by == ENGINE and _applies(n, procedure)]
    names.append(f"who:{who(step, procedure).kind}")
    names += [c.__name__ for c in STEPS[step].checks]
    return names


def actor_refusal(step: str, procedure: str | None, capabilities: Iterable[str]) -> Refusal | None:
    """Refused unless the user holds one of the capabilities the step needs."""
    w = who(step, procedure)
    return _who_refusal(w, capabilities, ZH.get(step, step))


def _who_refusal(w: Who, capabilities: Iterable[str], step_name: str) -> Refusal | None:
    if w.capabilities & set(capabilities):
        return None
    return Refusal("PROC-ACTOR", w.refusal.format(step=step_name))


def transfer_actor_refusal(capabilities: Iterable[str]) -> Refusal | None:
    return _who_refusal(TRANSFER, capabilities, "移送")


def field_refusal(step: str, fields: Mapping[str, Any]) -> Refusal | None:
    """The first of the step's own checks that refuses its fields."""
    for check in STEPS[step].checks:
        refusal = check(fields)
        if refusal is not None:
            return refusal
    return None


# ---- checks of the people ---------------------------------------------------------------------------


def cert_valid_on(auxiliary: bool, cert_no: str | None, valid_from, valid_to, day: dt.date) -> bool:
    """An enforcement certificate valid on `day` (an auxiliary worker holds none)."""
    if auxiliary or not cert_no or valid_to is None:
        return False
    if valid_from is not None and day < valid_from:
        return False
    return day <= valid_to


def certificate_refusal(
    name: str, holds_certificate: bool, valid: bool, cert_no, valid_to, day: dt.date, what: str
) -> Refusal | None:
    """处罚法 第42条, 第55条: only an officer with a certificate valid that day acts (OFF-CERT-VALID)."""
    if not holds_certificate:
        return Refusal(
            "OFF-CERT-VALID",
            f"{name}未持有执法证件，不能以执法人员身份{what}（《行政处罚法》第四十二条、第五十五条）。",
        )
    if not valid:
        return Refusal(
            "OFF-CERT-VALID",
            f"{name}的执法证件（证号{cert_no}）有效期至{valid_to}，"
            f"{day}不能以执法人员身份{what}（《行政处罚法》第四十二条、第五十五条）。",
        )
    return None


def field_officers_refusal(step: str, people: int) -> Refusal | None:
    """处罚法 第42条; 强制法 第18条: two or more officers in the field (OFF-MIN-TWO)."""
    if people >= MIN_FIELD_OFFICERS:
        return None
    return Refusal(
        "OFF-MIN-TWO",
        f"{ZH[step]}须由两名以上持有有效执法证件的执法人员实施，本次仅{people}人"
        "（《行政处罚法》第四十二条、《行政强制法》第十八条）。",
    )


def collective_refusal(not_leaders: list[str], others: int) -> Refusal | None:
    """处罚法 第57条第2款: the heads discuss, at least two of them (DEC-COLLECTIVE-MEMBERS).
    `not_leaders`: the names of the participants who may not decide; `others`: how many people
    take part besides the leader recording the step."""
    if not_leaders:
        return Refusal(
            "DEC-COLLECTIVE-MEMBERS",
            f"{'、'.join(not_leaders)}不是本机关负责人，不能参加负责人集体讨论（《行政处罚法》第五十七条第二款）。",
        )
    if others + 1 < MIN_COLLECTIVE_LEADERS:
        return Refusal(
            "DEC-COLLECTIVE-MEMBERS",
            "负责人集体讨论须由两名以上负责人参加，请选择参加讨论的其他负责人（《行政处罚法》第五十七条第二款）。",
        )
    return None


def separation_refusal(roles: Mapping[str, str | None], role: str, key: str) -> Refusal | None:
    """处罚法 第57–58条: handler, legal reviewer and decider are three people (DEC-SEPARATION)."""
    for other in SEPARATED_ROLES:
        if other != role and roles.get(other) == key:
            return Refusal(
                "DEC-SEPARATION",
                f"承办人、法制审核人员和负责人必须为三个不同的人：{key}已是本案的{ROLE_LABELS[other]}，"
                f"不能再担任{ROLE_LABELS[role]}（《行政处罚法》第五十七条、第五十八条）。",
            )
    return None


# ---- checks of the decision -------------------------------------------------------------------------


def first_minor_corrected(first_violation: bool, corrected_in_time: bool, circumstance: str | None) -> bool:
    """处罚法 第33条: a first violation, minor and corrected in time (首违不罚, PEN-FIRST-VIOLATION)."""
    return bool(first_violation and corrected_in_time and circumstance == "minor")


def first_violation_refusal(
    kind: str, first_violation: bool, corrected_in_time: bool, circumstance: str | None
) -> Refusal | None:
    """The engine decides such a case as 不予处罚 instead of penalising it."""
    if kind != "penalty" or not first_minor_corrected(first_violation, corrected_in_time, circumstance):
        return None
    return Refusal(
        "PEN-FIRST-VIOLATION",
        "当事人初次违法、危害后果轻微并及时改正，依照《行政处罚法》第三十三条可以不予行政处罚，"
        "请作出不予行政处罚决定并进行教育（首违不罚）。",
    )


def late_decision_refusal(
    procedure: str, filed: dt.date | None, on: dt.date, late_reason: str | None
) -> Refusal | None:
    """处罚法 第60条 (PEN-DECISION-90D): a general-procedure decision after day 90 is recordable,
    but only with its reason (a late fact, not hidden by a refusal)."""
    if procedure != GENERAL or filed is None:
        return None
    limit = dl.decision_limit(filed)
    if on <= limit or (late_reason or "").strip():
        return None
    return Refusal(
        "PEN-DECISION-90D",
        f"本案于{filed}立案，{on}作出决定已超过立案之日起九十日（{limit}届满），"
        "须记录超期作出决定的理由（或经批准延长办案期限的情况）后方可登记（《行政处罚法》第六十条）。",
    )


def is_late_decision(procedure: str, filed: dt.date | None, on: dt.date) -> bool:
    return procedure == GENERAL and filed is not None and on > dl.decision_limit(filed)


# ---- 移送 (transfer) -----------------------------------------------------------------------------------


def transfer_input_refusal(to: str | None, reason: str | None) -> Refusal | None:
    """处罚法 第27条: a transfer names the receiving agency and the reason."""
    if not (to or "").strip():
        return Refusal("PROC-TRANSFER-INPUT", "请填写移送机关。")
    if not (reason or "").strip():
        return Refusal("PROC-TRANSFER-INPUT", "请填写移送理由。")
    return None


def transfer_state_refusal(state: CaseState) -> Refusal | None:
    """Only a live case still being handled can be transferred."""
    if state.imported or state.status in FINISHED:
        return Refusal("PROC-FINISHED", "本案已结案或已移送，不能移送。")
    return None


def transfer_date_refusal(state: CaseState, on: dt.date) -> Refusal | None:
    if state.last_date is not None and on < state.last_date:
        return Refusal("PROC-DATE-ORDER", f"日期{on}早于本案上一步骤的日期{state.last_date}。")
    return None
