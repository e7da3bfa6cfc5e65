"""Routing fixtures: the benchmark county's catalogue and dev reports (read from ../shared)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
BENCH = (SHARED if SHARED.exists() else Path("/work/shared")) / "benchmark"
COUNTY_DIR = BENCH / "county"
GRIDS = BENCH / "grids" / "county.geojson"
DEV = BENCH / "reports" / "reports-dev.jsonl"


@pytest.fixture(scope="session")
def catalogue_rows() -> list[dict]:
    with (COUNTY_DIR / "catalog.csv").open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="session")
def dev_reports() -> list[dict]:
    return [json.loads(line) for line in DEV.read_text(encoding="utf-8").splitlines() if line.strip()]
