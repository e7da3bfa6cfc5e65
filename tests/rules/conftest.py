"""Shared data for the pure rule tests: the dev case files and the package calendar."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from zhifa.rules.workdays import from_chinese_calendar


def _shared() -> Path:
    here = Path(__file__).resolve()
    for cand in (here.parents[2].parent / "shared", Path("/work/shared")):
        if (cand / "benchmark" / "casefiles").is_dir():
            return cand
    raise FileNotFoundError("../shared/benchmark/casefiles not found")


CASEFILES = _shared() / "benchmark" / "casefiles"
DEV = CASEFILES / "cases-dev.jsonl"
EXPECTED = CASEFILES / "expected-dev.jsonl"


@pytest.fixture(scope="session")
def cal():
    return from_chinese_calendar(2020)


@pytest.fixture(scope="session")
def dev_path() -> Path:
    return DEV


@pytest.fixture(scope="session")
def dev_lines() -> list[str]:
    return DEV.read_text(encoding="utf-8").split("\n")[:-1]


@pytest.fixture(scope="session")
def expected() -> dict[str, list[str]]:
    out = {}
    for line in EXPECTED.read_text(encoding="utf-8").splitlines():
        o = json.loads(line)
        out[o["case_id"]] = o["findings"]
    return out


@pytest.fixture
def dev_cases(dev_lines) -> list[dict]:
    """Fresh copies (tests may mutate them)."""
    return [json.loads(line) for line in dev_lines]


@pytest.fixture
def dev_by_id(dev_cases) -> dict[str, dict]:
    return {c["case_id"]: c for c in dev_cases}
