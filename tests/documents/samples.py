"""Contexts built from the benchmark's dev case files, with the county data the format lacks."""

from __future__ import annotations

import csv
import functools
import json
from pathlib import Path

from zhifa.documents.context import context_from_casefile

SHARED = Path(__file__).resolve().parents[3] / "shared"
if not SHARED.exists():  # pragma: no cover - the checkout layout of the shared benchmark
    SHARED = Path("/work/shared")
CASES = SHARED / "benchmark" / "casefiles" / "cases-dev.jsonl"
COUNTY = SHARED / "benchmark" / "county"


@functools.cache
def dev_cases() -> dict[str, dict]:
    with CASES.open(encoding="utf-8") as f:
        return {c["case_id"]: c for c in map(json.loads, f)}


@functools.cache
def townships() -> dict[str, dict]:
    with (COUNTY / "townships.csv").open(encoding="utf-8") as f:
        return {row["code"]: row for row in csv.DictReader(f)}


@functools.cache
def catalogue() -> dict[str, dict]:
    with (COUNTY / "catalog.csv").open(encoding="utf-8") as f:
        return {row["code"]: row for row in csv.DictReader(f)}


def extra_for(case: dict, **more) -> dict:
    """What the township and catalogue tables add to a case file: names, legal basis."""
    t = townships()[case["township"]]
    item = catalogue()[case["item"]]
    return {
        "township_name": t["name"],
        "township_kind": t["kind"],
        "county_name": "测试县",
        "legal_basis": item["legal_basis"],
        "violation": item["violation"],
        **more,
    }


@functools.cache
def calendar():
    from zhifa.rules.workdays import from_chinese_calendar

    return from_chinese_calendar(2020)


def context(case_id: str, **more) -> dict:
    case = dev_cases()[case_id]
    return context_from_casefile(case, extra_for(case, **more), calendar())
