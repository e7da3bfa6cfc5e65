"""The county import may carry the statutory fine range per item (optional columns
fine_statutory_min / fine_statutory_max of catalog.csv), which the case gate checks
(PEN-STATUTORY-MAX, docs/case-gate.md)."""

from __future__ import annotations

import csv
import io
import shutil
from decimal import Decimal

import pytest
from catalogue.helpers import BENCH_COUNTY
from django.core.management import CommandError, call_command

from zhifa.catalogue.models import Item

pytestmark = pytest.mark.django_db


def _with_range(tmp_path, lo: str, hi: str):
    county = tmp_path / "county"
    shutil.copytree(BENCH_COUNTY, county)
    path = county / "catalog.csv"
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
    rows[0] += ["fine_statutory_min", "fine_statutory_max"]
    rows[1] += [lo, hi]
    for r in rows[2:]:
        r += ["", ""]
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    path.write_text(out.getvalue(), encoding="utf-8")
    return county, rows[1][0]


def test_statutory_range_is_imported(tmp_path):
    county, code = _with_range(tmp_path, "1000", "10000")
    call_command("import_county", str(county), stdout=io.StringIO(), stderr=io.StringIO())
    item = Item.objects.get(code=code)
    assert (item.fine_statutory_min, item.fine_statutory_max) == (Decimal(1000), Decimal(10000))
    other = Item.objects.exclude(code=code).first()
    assert other.fine_statutory_max is None


def test_bad_statutory_range_imports_nothing(tmp_path):
    county, _code = _with_range(tmp_path, "5000", "abc")
    err = io.StringIO()
    with pytest.raises(CommandError) as exc:
        call_command("import_county", str(county), stdout=io.StringIO(), stderr=err)
    assert "fine_statutory_max" in str(exc.value) + err.getvalue()
    assert Item.objects.count() == 0
