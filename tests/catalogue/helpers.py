"""Paths and dates shared by the catalogue tests."""

from __future__ import annotations

import datetime as dt
from pathlib import Path


def shared_dir() -> Path:
    here = Path(__file__).resolve()
    for cand in (here.parents[2].parent / "shared", Path("/work/shared")):
        if (cand / "benchmark" / "county").is_dir():
            return cand
    raise FileNotFoundError("../shared/benchmark/county not found")


BENCH_COUNTY = shared_dir() / "benchmark" / "county"
V1_DATE = dt.date(2026, 1, 1)
