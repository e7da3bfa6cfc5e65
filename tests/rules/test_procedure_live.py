"""The live engine applies the procedure table: its refusals carry the table's rule ids, the same
ids the review gives an imported file with the same history (one Django test; the table's own
tests are in test_procedure.py)."""

from __future__ import annotations

import datetime as dt

import pytest
from cases.fixtures import build_team

from rules.builders import general
from zhifa.cases import actions as A
from zhifa.rules import procedure as P
from zhifa.rules import review as rv

D = dt.date
pytestmark = pytest.mark.django_db
SHOP = {"kind": "organisation", "name": "顺意餐饮有限公司"}


def refused(fn, *args, **kwargs) -> A.StepRefused:
    with pytest.raises(A.StepRefused) as exc:
        fn(*args, **kwargs)
    return exc.value


def test_live_refusals_cite_the_tables_rules(county, cal):
    team = build_team(county)
    case = A.do_open_case(team.o1, item_code="Z028", procedure="general", party=SHOP, opened_on=D(2026, 9, 1))
    # An engine need: its id and its message come from the table.
    exc = refused(A.do_add_event, team.o1, case, "hearing_held", D(2026, 9, 2))
    assert exc.rules == [P.NEEDS_FILING.rule]
    assert exc.messages == [P.NEEDS_FILING.message.format(step="举行听证")]
    A.do_file(team.decider, case, D(2026, 9, 1))
    A.do_add_event(team.o1, case, "investigated", D(2026, 9, 2), actors=[team.o1, team.o2])
    # A review need: refused live through the review gate, found in an imported file, one id.
    exc = refused(A.do_decide, team.decider, case, D(2026, 9, 11), fine=1000, circumstance="general")
    rule = P.need("PEN-PRIOR-NOTICE").rule
    assert rule in exc.rules and len(exc.rules) == len(exc.messages)
    assert rule in {f.rule for f in rv.review_case(general(notice=None), cal)}
    # A check of the people: the review's id for the same fault in an imported file.
    exc = refused(A.do_add_event, team.o1, case, "investigated", D(2026, 9, 3), actors=[team.o1])
    assert exc.rules == ["OFF-MIN-TWO"]
