"""The reviewer never crashes on a valid-format file and always gives the same answer.

Variants of the dev cases are generated with a fixed seed: every date shifted, the later part of
the timeline stretched or squeezed, optional events removed, flags flipped. Every valid variant
is reviewed twice (and step-checked event by event as the live engine would); the findings must
be identical, well-formed and cite their basis.
"""

from __future__ import annotations

import copy
import datetime as dt
import io
import json
import random
import re

import pytest
from django.core.management import call_command

from rules.test_review_spec import all_spec_rules, assert_cites_like_spec
from zhifa.rules import review as rv
from zhifa.rules.casefile import dumps, parse_lines, validate_case

N_VARIANTS = 400
LAST_KNOWN = dt.date(2026, 12, 31)  # last year of the test calendar
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
REMOVABLE = (
    "discovered",
    "filed",
    "notice_served",
    "statement_received",
    "hearing_requested",
    "hearing_held",
    "legal_review",
    "collective_discussion",
    "decided",
    "served",
    "paid",
    "disclosed",
    "seizure_extended",
    "seizure_ended",
    "demolition_notice",
    "reminder_served",
    "closed",
)


def _shift_dates(obj, days: int):
    if isinstance(obj, dict):
        return {k: _shift_dates(v, days) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_shift_dates(v, days) for v in obj]
    if isinstance(obj, str) and _DATE.match(obj):
        return (dt.date.fromisoformat(obj) + dt.timedelta(days=days)).isoformat()
    return obj


def _variant(base: dict, rnd: random.Random) -> dict:
    c = copy.deepcopy(base)
    dates = [dt.date.fromisoformat(e["date"]) for e in c["events"]]
    as_of = dt.date.fromisoformat(c["as_of"])
    last = max(dates, default=as_of)
    # the whole file moves, staying inside the calendar's known years; a third of the variants end
    # in the last month of the calendar, where deadlines reach into a year without holiday data
    if rnd.random() < 0.35:
        shift = (LAST_KNOWN - last).days - rnd.randint(0, 30)
    else:
        shift = rnd.randint(-300, (LAST_KNOWN - as_of).days)
    c = _shift_dates(c, shift)
    events = c["events"]
    # stretch or squeeze everything from a pivot on (keeps the date order)
    if events and rnd.random() < 0.7:
        p = rnd.randrange(len(events))
        prev = dt.date.fromisoformat(events[p - 1]["date"]) if p else dt.date.min
        first = dt.date.fromisoformat(events[p]["date"])
        s = max(rnd.randint(-10, 40), (prev - first).days if p else -10)
        for e in events[p:]:
            e["date"] = (dt.date.fromisoformat(e["date"]) + dt.timedelta(days=s)).isoformat()
    # drop some optional events
    c["events"] = [e for e in events if not (e["type"] in REMOVABLE and rnd.random() < 0.15)]
    # flip a few facts the rules read
    for e in c["events"]:
        if e["type"] == "decided" and rnd.random() < 0.2:
            e["party_present"] = not e.get("party_present")
        if e["type"] == "statement_received" and rnd.random() < 0.3:
            e["waived"] = not e.get("waived")
        if e["type"] == "notice_served" and rnd.random() < 0.3:
            e["hearing_right"] = not e.get("hearing_right")
    if c.get("decision") and rnd.random() < 0.15:
        c["decision"]["remedy_notice"] = None
    # export day: anywhere from the last event to the end of the known years
    last = max((dt.date.fromisoformat(e["date"]) for e in c["events"]), default=last)
    if last <= LAST_KNOWN:
        c["as_of"] = (last + dt.timedelta(days=rnd.randint(0, (LAST_KNOWN - last).days))).isoformat()
    else:  # events pushed past the known years: as_of before them makes the file invalid (skipped)
        c["as_of"] = LAST_KNOWN.isoformat()
    return c


@pytest.fixture(scope="module")
def variants(dev_lines) -> list[dict]:
    rnd = random.Random(20261130)
    bases = parse_lines(dev_lines)
    out = []
    for i in range(N_VARIANTS):
        v = _variant(bases[i % len(bases)], rnd)
        v["case_id"] = f"{v['case_id']}-{i:03d}"
        if not validate_case(v):
            out.append(v)
    return out


def test_most_variants_are_valid_files(variants):
    assert len(variants) >= N_VARIANTS * 0.8


def test_review_never_crashes_and_is_deterministic(variants, cal):
    snapshot = json.dumps(variants, sort_keys=True)
    first = [rv.review_case(v, cal) for v in variants]
    second = [rv.review_case(copy.deepcopy(v), cal) for v in variants]
    assert first == second
    assert json.dumps(variants, sort_keys=True) == snapshot  # the review never mutates its input
    fired = set()
    spec = all_spec_rules()
    for v, findings in zip(variants, first, strict=True):
        assert [f.rule for f in findings] == sorted({f.rule for f in findings})  # ≤ 1 per rule, sorted
        for f in findings:
            assert f.case_id == v["case_id"]
            assert f.severity == rv.ALL_RULES[f.rule].severity
            assert f.message and ("《" in f.message or "国办发" in f.message)
            assert_cites_like_spec(f, spec)
            fired.add(f.rule)
    assert len(fired) >= 20  # the variants exercise nearly every rule
    assert rv.review_cases(variants, cal) == rv.review_cases(list(reversed(variants)), cal)


def test_step_check_never_crashes(variants, cal):
    for v in variants[::4]:
        events = v["events"]
        for k in range(len(events)):
            now = dict(v, events=events[:k], as_of=events[k]["date"])
            dec = v.get("decision") if events[k]["type"] == "decided" else None
            problems = rv.check_step(now, events[k], cal, decision=dec)
            assert all(p.rule in rv.ALL_RULES for p in problems)


def test_review_command_on_the_variants(db, variants, cal, tmp_path):
    """`zhifa review` end to end (database calendar): no error, same output twice, and the same
    findings as the pure review with the package calendar."""
    src = tmp_path / "variants.jsonl"
    src.write_text("".join(dumps(v) + "\n" for v in variants), encoding="utf-8")
    outputs = []
    for k in range(2):
        target = tmp_path / f"out{k}.jsonl"
        call_command("review", str(src), "-o", str(target), stdout=io.StringIO(), stderr=io.StringIO())
        outputs.append(target.read_text(encoding="utf-8"))
    assert outputs[0] == outputs[1]
    got = [json.loads(line) for line in outputs[0].splitlines()]
    assert got == [f.as_dict() for f in rv.review_cases(variants, cal)]
