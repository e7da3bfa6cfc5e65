"""Routing quality on the dev report set: catalogue alone and learned (5-fold cross-validation).

Floors, not targets: the measured numbers are in BENCHMARKS.md (bench/routing_bench.py). The
held set per (township, day) follows README's rule with entrustment validity, computed here from
the CSV files so that this test needs no database.
"""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import pytest

from routing.conftest import COUNTY_DIR
from zhifa.rules.routing import Example, Router, decide_handler


def _held() -> tuple[set[tuple[str, str]], dict[tuple[str, str], list[tuple[str, str]]], dict[str, str]]:
    with (COUNTY_DIR / "township_items.csv").open(encoding="utf-8") as f:
        holdings = {(r["township_code"], r["item_code"]) for r in csv.DictReader(f)}
    ents: dict[tuple[str, str], list[tuple[str, str]]] = {}
    with (COUNTY_DIR / "entrustments.csv").open(encoding="utf-8") as f:
        for r in csv.DictReader(f):
            ents.setdefault((r["township_code"], r["item_code"]), []).append((r["valid_from"], r["valid_to"]))
    with (COUNTY_DIR / "catalog.csv").open(encoding="utf-8") as f:
        sources = {r["code"]: r["source"] for r in csv.DictReader(f)}
    return holdings, ents, sources


def score(router: Router, reports: list[dict], depts: dict[str, str]) -> tuple[int, int, int]:
    holdings, ents, sources = _held()
    top1 = top3 = handler = 0
    for r in reports:
        expected = r["expected"]["items"]
        cands = [c.item for c in router.rank(r["text"]).candidates]
        if expected:
            top1 += cands[0] in expected
            top3 += any(c in expected for c in cands[:3])
        else:
            top1 += cands[0] is None
            top3 += cands[0] is None
        t, day = r["township"], dt.date.fromisoformat(r["reported_at"][:10]).isoformat()
        held = {
            i
            for (tt, i) in holdings
            if tt == t and (sources[i] != "委托" or any(a <= day <= b for a, b in ents.get((t, i), [])))
        }
        handler += decide_handler(cands[0], t, held, depts) == r["expected"]["handler"]
    return top1, top3, handler


@pytest.fixture(scope="module")
def depts(catalogue_rows) -> dict[str, str]:
    return {r["code"]: r["department_code"] for r in catalogue_rows}


def test_catalogue_alone(catalogue_rows, dev_reports, depts):
    n = len(dev_reports)
    top1, top3, handler = score(Router.train(catalogue_rows), dev_reports, depts)
    assert top3 / n >= 0.9
    assert top1 / n >= 0.85
    assert handler / n >= 0.85


def test_cross_validated(catalogue_rows, dev_reports, depts):
    k = 5
    totals = [0, 0, 0]
    for fold in range(k):
        train = [r for i, r in enumerate(dev_reports) if i % k != fold]
        test = [r for i, r in enumerate(dev_reports) if i % k == fold]
        router = Router.train(catalogue_rows, [Example(r["text"], r["expected"]["items"]) for r in train])
        for j, v in enumerate(score(router, test, depts)):
            totals[j] += v
    n = len(dev_reports)
    top1, top3, handler = (t / n for t in totals)
    assert top3 >= 0.9
    assert top1 >= 0.85
    assert handler >= 0.85


def paraphrases() -> list[tuple[str | None, str]]:
    path = Path(__file__).with_name("data") / "paraphrases.txt"
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            code, text = line.split("|", 1)
            rows.append((None if code == "-" else code, text))
    return rows


def test_reports_outside_the_dev_set(catalogue_rows):
    """Other wording, items the dev set never mentions, and service matters, from the catalogue alone."""
    router = Router.train(catalogue_rows)
    rows = paraphrases()
    top1 = top3 = 0
    for code, text in rows:
        cands = [c.item for c in router.rank(text).candidates]
        top1 += cands[0] == code
        top3 += (code in cands[:3]) if code else cands[0] is None
    assert top1 / len(rows) >= 0.9
    assert top3 / len(rows) >= 0.95
