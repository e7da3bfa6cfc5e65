"""Shared pieces of the review rules: `Finding`, the parsed `CaseView`, the rule registry."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any, NamedTuple

from zhifa.rules import procedure as P
from zhifa.rules.casefile import EVENT_NAMES_ZH, PENALTY_NAMES_ZH, parse_date

DEFECT = "defect"
WARNING = "warning"


class Finding(NamedTuple):
    case_id: str
    rule: str
    severity: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {
            "case_id": self.case_id,
            "rule": self.rule,
            "severity": self.severity,
            "message": self.message,
        }


class CaseView:
    """A case dict with its dates parsed once; what every rule reads.

    `events` is a list of (type, date, event dict) in file order; `first(type)` / `every(type)`
    give (date, event) pairs. `decided_date` / `served_date` are the dates of the (single)
    `decided` / `served` events or None.
    """

    __slots__ = (
        "_by_type",
        "_officers",
        "as_of",
        "cal",
        "case",
        "case_id",
        "ctx",
        "decided",
        "decided_date",
        "decision",
        "events",
        "proc",
        "served_date",
    )

    def __init__(self, case: dict, cal: Any, context: dict | None = None):
        self.case = case
        self.ctx = context or {}
        self.cal = cal  # a WorkCalendar (indexed) or anything with its methods
        self.case_id = case.get("case_id", "")
        self.proc = case.get("procedure")
        self.as_of = parse_date(case["as_of"])
        self.decision = case.get("decision")
        events = []
        by_type: dict[str, list[tuple[dt.date, dict]]] = {}
        for e in case.get("events") or ():
            d = parse_date(e["date"])
            events.append((e["type"], d, e))
            by_type.setdefault(e["type"], []).append((d, e))
        self.events = events
        self._by_type = by_type
        self._officers: dict[str, dict] | None = None
        dec = by_type.get("decided")
        self.decided = dec[0][1] if dec else None
        self.decided_date = dec[0][0] if dec else None
        srv = by_type.get("served")
        self.served_date = srv[0][0] if srv else None

    def first(self, etype: str) -> tuple[dt.date, dict] | None:
        lst = self._by_type.get(etype)
        return lst[0] if lst else None

    def every(self, etype: str) -> list[tuple[dt.date, dict]]:
        return self._by_type.get(etype, [])

    def has(self, etype: str) -> bool:
        return etype in self._by_type

    def officer(self, oid: str) -> dict | None:
        if self._officers is None:
            self._officers = {o.get("id"): o for o in self.case.get("officers") or ()}
        return self._officers.get(oid)

    def officer_name(self, oid: str) -> str:
        o = self.officer(oid)
        return (o or {}).get("name") or oid

    @property
    def kind(self) -> str | None:
        return self.decision.get("kind") if self.decision else None

    def latest_before(self, etype: str, day: dt.date) -> tuple[dt.date, dict] | None:
        """The last `etype` event dated on or before `day`."""
        best = None
        for d, e in self.every(etype):
            if d <= day:
                best = (d, e)
        return best


RuleFn = Callable[[CaseView], "str | None"]


class Rule(NamedTuple):
    code: str
    severity: str
    title: str
    check: RuleFn  # CaseView -> Chinese message, or None when the case is fine
    # Codes of broader rules that already report the same fault: when one of them fires on a
    # case, the review leaves this finding out (one fault, one finding); the live gate still
    # refuses the step with this rule's message.
    covered_by: tuple[str, ...] = ()


# The 25 rules of LEGAL-RULES.md §5.
RULES: dict[str, Rule] = {}
# The live gate's further rules (docs/case-gate.md): checked by the review as well.
GATE_RULES: dict[str, Rule] = {}
ALL_RULES: dict[str, Rule] = {}


def rule(code: str, severity: str, title: str, *, gate: bool = False, covered_by: tuple[str, ...] = ()):
    """Register a check `f(view) -> message | None`; the returned function also accepts
    `(case_dict, calendar[, context])` and then returns a `Finding` or None. `gate=True` puts it
    among the live gate's rules (GATE_RULES) instead of LEGAL-RULES §5 (RULES)."""

    def deco(f: RuleFn):
        r = Rule(code, severity, title, f, tuple(covered_by))
        (GATE_RULES if gate else RULES)[code] = r
        ALL_RULES[code] = r

        def run(case: dict | CaseView, cal: Any = None, context: dict | None = None) -> Finding | None:
            view = case if isinstance(case, CaseView) else CaseView(case, cal, context)
            msg = f(view)
            return None if msg is None else Finding(view.case_id, code, severity, msg)

        run.__name__ = f.__name__
        run.__doc__ = f.__doc__
        run.code = code  # type: ignore[attr-defined]
        run.check = f  # type: ignore[attr-defined]
        return run

    return deco


# ---------------------------------------------------------------------------------------------
# Wording helpers

PARTY_KIND_ZH = {"individual": "公民", "organisation": "法人或其他组织"}
PENALTY_ZH = PENALTY_NAMES_ZH
CIRCUMSTANCE_ZH = {"minor": "轻微", "general": "一般", "serious": "较重", "severe": "严重"}

# The procedure table's sets (LEGAL-RULES.md §4): acting steps need the item held; field steps
# two certified officers, the on-the-spot decision of a simple case included.
ACTING = P.ACTING_STEPS
FIELD = P.FIELD_STEPS


def field_events(v: CaseView) -> list[tuple[str, dt.date, dict]]:
    steps = P.field_steps(v.proc)
    return [x for x in v.events if x[0] in steps]


def event_zh(v: CaseView, etype: str) -> str:
    if etype == "decided" and v.proc == "simple":
        return "当场作出处罚决定"
    return EVENT_NAMES_ZH.get(etype, etype)


def yuan(x: Any) -> str:
    """Money as the dev set writes it: 1500, 1500.5, 1500.25."""
    if isinstance(x, Decimal):
        x = x.normalize()
        return f"{x:f}" if x != x.to_integral_value() else str(int(x))
    if isinstance(x, float) and x.is_integer():
        return str(int(x))
    if isinstance(x, float):
        return f"{x:.2f}".rstrip("0").rstrip(".")
    return str(x)


def penalties_zh(decision: dict) -> str:
    parts = []
    for p in decision.get("penalties") or ():
        parts.append(f"罚款{yuan(decision.get('fine') or 0)}元" if p == "fine" else PENALTY_ZH.get(p, p))
    return "、".join(parts)


def money(x: Any) -> Decimal:
    return Decimal(str(x or 0))
