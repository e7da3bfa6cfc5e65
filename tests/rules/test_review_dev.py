"""The dev set is reproduced exactly by the pure API; the live engine's step check."""

from __future__ import annotations

import copy
import json

from rules.builders import ev, general, penalty
from zhifa.rules import review as rv
from zhifa.rules.casefile import parse_lines


def test_dev_set_reproduced_exactly(cal, dev_lines, expected):
    cases = parse_lines(dev_lines)
    got: dict[str, list[str]] = {c["case_id"]: [] for c in cases}
    findings = rv.review_cases(cases, cal)
    for f in findings:
        got[f.case_id].append(f.rule)
    assert got == expected
    assert len(findings) == 60
    assert findings == sorted(findings, key=lambda f: (f.case_id, f.rule))
    for f in findings:
        assert f.severity == rv.RULES[f.rule].severity
        assert "《" in f.message or "国办发" in f.message  # every message cites its basis


def test_format_md_example_messages(cal, dev_lines):
    by_id = {c["case_id"]: c for c in parse_lines(dev_lines)}
    msgs = {(f.case_id, f.rule): f.message for f in rv.review_case(by_id["T01-2025-0024"], cal)}
    assert msgs[("T01-2025-0024", "PEN-STATEMENT-PERIOD")] == (
        "事先告知书于2025-09-26送达，陈述申辩期限至2025-10-10届满，2025-10-10即作出处罚决定，"
        "违反《行政处罚法》第四十五条、第六十二条、第六十四条、第八十五条。"
    )
    assert msgs[("T01-2025-0024", "PEN-SURCHARGE")] == (
        "罚款1000元，缴款期限2025-10-28届满，至2025-11-07逾期10日，依法加处罚款最多300元，实际加处1500元，"
        "违反《行政处罚法》第七十二条、《行政强制法》第四十五条。"
    )


def test_as_of_hides_deadlines_still_running(cal, dev_lines):
    """Cut every dev case at an earlier as_of: no finding may depend on a deadline after it."""
    for line in dev_lines:
        case = json.loads(line)
        for f in rv.review_case(case, cal):
            if f.rule in ("PEN-DISCLOSE-7WD", "PEN-SERVICE-7WD") and "至今未" in f.message:
                decided = next(e["date"] for e in case["events"] if e["type"] == "decided")
                case2 = dict(case, as_of=decided)
                case2["events"] = [e for e in case["events"] if e["date"] <= decided]
                assert f.rule not in {g.rule for g in rv.review_case(case2, cal)}


def _pending_decision():
    c = general(notice="2025-09-26", decided=None, served=None, filed="2025-09-01", as_of="2025-10-09")
    c["events"][3]["statement_days"] = 5
    return c


def test_check_step_refuses_a_decision_inside_the_statement_period(cal):
    c = _pending_decision()
    snapshot = copy.deepcopy(c)
    step = ev("decided", "2025-10-10")
    found = rv.check_step(c, step, cal, decision=penalty())
    assert [f.rule for f in found] == ["PEN-STATEMENT-PERIOD"]
    assert "第四十五条" in found[0].message
    assert c == snapshot  # the case is not modified
    assert rv.check_step(c, ev("decided", "2025-10-11"), cal, decision=penalty()) == []


def test_check_step_does_not_blame_a_late_but_necessary_step(cal):
    c = general(
        decided="2025-09-30", served=None, notice="2025-09-10", filed="2025-09-01", as_of="2025-10-20"
    )
    assert [f.rule for f in rv.review_case(c, cal)] == ["PEN-DISCLOSE-7WD", "PEN-SERVICE-7WD"]
    assert rv.check_step(c, ev("served", "2025-10-20"), cal) == []
    assert rv.check_step(c, ev("disclosed", "2025-10-20"), cal) == []


def test_check_step_field_act_and_court_application(cal):
    c = general(
        decided="2025-01-10", served="2025-01-14", notice="2025-01-06", filed="2025-01-02", as_of="2025-03-01"
    )
    found = rv.check_step(c, ev("investigated", "2025-03-02", actors=["O1"]), cal)
    assert [f.rule for f in found] == ["OFF-MIN-TWO"]
    found = rv.check_step(c, ev("court_application", "2025-06-02"), cal)
    assert [f.rule for f in found] == ["COE-COURT-REMINDER", "COE-COURT-WINDOW"]
    c["events"].append(ev("reminder_served", "2025-06-20"))
    c["as_of"] = "2025-07-01"
    assert rv.check_step(c, ev("court_application", "2025-07-15"), cal) == []
    found = rv.check_step(c, ev("court_application", "2025-07-14"), cal)
    assert {f.rule for f in found} == {"COE-COURT-WINDOW"}


def test_with_step_inserts_in_date_order():
    c = general(as_of="2025-03-25")
    out = rv.with_step(c, ev("hearing_requested", "2025-03-12"))
    dates = [e["date"] for e in out["events"]]
    assert dates == sorted(dates) and len(dates) == len(c["events"]) + 1
    assert out["as_of"] == "2025-03-25"
    assert rv.with_step(c, ev("closed", "2025-04-01"))["as_of"] == "2025-04-01"
