"""`zhifa import-county`: the benchmark county's counts, idempotence, all-or-nothing errors, Excel."""

from __future__ import annotations

import csv
import io
import shutil
from collections import Counter

import pytest
from django.core.management import CommandError, call_command
from openpyxl import Workbook, load_workbook

from catalogue.helpers import BENCH_COUNTY
from zhifa.catalogue import importer, services
from zhifa.catalogue.models import CatalogueVersion, DiscretionTier, Entrustment, Entry, Item
from zhifa.core.models import AuditEntry
from zhifa.org.models import County, Department, Township

pytestmark = pytest.mark.django_db


def _import(path, *args) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("import_county", str(path), *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def _counts() -> dict:
    return {
        "departments": Department.objects.count(),
        "townships": Township.objects.count(),
        "items": Item.objects.count(),
        "entries": Entry.objects.count(),
        "versions": CatalogueVersion.objects.count(),
        "entrustments": Entrustment.objects.count(),
        "tiers": DiscretionTier.objects.count(),
    }


def _assert_benchmark_counts(county_code: str | None = None) -> None:
    assert Department.objects.count() == 14
    assert Township.objects.count() == 6
    items = Item.objects.all()
    assert Counter(items.values_list("source", flat=True)) == {
        "statutory": 14,
        "empowered": 42,
        "entrusted": 39,
    }
    assert Counter(items.values_list("action_type", flat=True)) == {
        "penalty": 77,
        "coercive": 8,
        "inspection": 10,
    }
    on = services.timezone.localdate()
    per_township = {t.code: services.version_in_force(t, on).entries.count() for t in Township.objects.all()}
    assert per_township == {"T01": 62, "T02": 61, "T03": 64, "T04": 60, "T05": 55, "T06": 58}
    assert sum(e.items.count() for e in Entrustment.objects.all()) == 148
    assert DiscretionTier.objects.count() == 44
    assert DiscretionTier.objects.values("item").distinct().count() == 11
    statutory = set(Item.objects.filter(source="statutory").values_list("code", flat=True))
    for t in Township.objects.all():
        assert statutory <= set(services.version_in_force(t, on).entries.values_list("code", flat=True))


def test_benchmark_county_counts_and_second_import_changes_nothing():
    out, _ = _import(BENCH_COUNTY)
    assert "执法事项新增95条" in out
    _assert_benchmark_counts()
    assert County.objects.get().code == "C01"
    before, audit_rows = _counts(), AuditEntry.objects.count()
    out, _ = _import(BENCH_COUNTY)
    assert "未作任何修改" in out
    assert _counts() == before
    assert AuditEntry.objects.count() == audit_rows
    call_command("audit", "verify", stdout=io.StringIO())


def _rewrite(path, row: int, column: str, value: str) -> None:
    with open(path, encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    rows[row - 1][rows[0].index(column)] = value
    with open(path, "w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows(rows)


def test_bad_rows_in_several_files_import_nothing_and_name_file_row_column(tmp_path):
    bad = tmp_path / "county"
    shutil.copytree(BENCH_COUNTY, bad)
    for f in bad.iterdir():
        f.chmod(0o644)
    _rewrite(bad / "townships.csv", 3, "kind", "区")
    _rewrite(bad / "catalog.csv", 5, "action_type", "罚款")
    _rewrite(bad / "catalog.csv", 7, "legal_basis", "")
    _rewrite(bad / "entrustments.csv", 4, "valid_to", "2027-13-01")
    _rewrite(bad / "discretion.csv", 2, "fine_min", "五百")
    _rewrite(bad / "township_items.csv", 10, "item_code", "Z999")
    with pytest.raises(CommandError, match="未写入任何数据"):
        _import(bad)
    assert _counts() == dict.fromkeys(_counts(), 0)
    assert County.objects.count() == 0
    tables, read_errors = importer.read_dir(bad)
    assert read_errors == []
    with pytest.raises(importer.CatalogueImportError) as exc:
        importer.import_tables(tables)
    messages = exc.value.errors
    expected = [
        "townships.csv:3:kind：",
        "catalog.csv:5:action_type：",
        "catalog.csv:7:legal_basis：不能为空",
        "entrustments.csv:4:valid_to：",
        "discretion.csv:2:fine_min：",
        "township_items.csv:10:item_code：事项编码Z999不存在",
    ]
    for prefix in expected:
        assert any(m.startswith(prefix) for m in messages), (prefix, messages)
    # The township refused on row 3 (T02) is reported once, not again for each row naming it.
    assert not any("乡镇代码T02不存在" in m for m in messages)


def test_command_prints_every_error(tmp_path, capsys):
    bad = tmp_path / "county"
    shutil.copytree(BENCH_COUNTY, bad)
    for f in bad.iterdir():
        f.chmod(0o644)
    _rewrite(bad / "departments.csv", 2, "name", "")
    _rewrite(bad / "discretion.csv", 3, "tier", "特别严重")
    err = io.StringIO()
    with pytest.raises(CommandError, match="共2处错误"):
        call_command("import_county", str(bad), stdout=io.StringIO(), stderr=err)
    assert "departments.csv:2:name：不能为空" in err.getvalue()
    assert "discretion.csv:3:tier：裁量阶次“特别严重”无效" in err.getvalue()
    assert Department.objects.count() == 0


def _workbook_of_benchmark(path) -> None:
    wb = Workbook()
    wb.remove(wb.active)
    for name in importer.TABLES:
        ws = wb.create_sheet(name)
        with open(BENCH_COUNTY / f"{name}.csv", encoding="utf-8") as f:
            for row in csv.reader(f):
                ws.append(row)
    wb.save(path)


def test_xlsx_import_and_export_round_trip(tmp_path):
    src = tmp_path / "xlsx"
    src.mkdir()
    _workbook_of_benchmark(src / "本县清单.xlsx")
    _import(src)
    _assert_benchmark_counts()
    county = County.objects.get()
    data = importer.export_xlsx(county)
    wb = load_workbook(io.BytesIO(data), read_only=True)
    assert wb.sheetnames == list(importer.TABLES)
    for name in importer.TABLES:
        with open(BENCH_COUNTY / f"{name}.csv", encoding="utf-8") as f:
            expected = sorted(tuple(r) for r in csv.reader(f))
        exported = sorted(
            tuple("" if v is None else str(v) for v in row) for row in wb[name].iter_rows(values_only=True)
        )
        assert exported == expected, name
    again = tmp_path / "again"
    again.mkdir()
    (again / "export.xlsx").write_bytes(data)
    out, _ = _import(again)
    assert "未作任何修改" in out


def test_default_county(tmp_path):
    County.objects.create(code="DEMO", name="示范县")
    with pytest.raises(CommandError):
        _import(BENCH_COUNTY)
    with pytest.raises(importer.CatalogueImportError, match="--county-code"):
        importer.import_dir(BENCH_COUNTY)
    assert Item.objects.count() == 0
    # An explicit new county code creates that county.
    _import(BENCH_COUNTY, "--county-code", "C09", "--county-name", "第九县")
    assert Item.objects.filter(county__code="C09").count() == 95
    assert County.objects.get(code="C09").name == "第九县"
    # Two counties: the code is required.
    with pytest.raises(importer.CatalogueImportError, match="多个区县"):
        importer.import_dir(BENCH_COUNTY)


def test_codes_of_another_county_are_refused(county):
    County.objects.create(code="C02", name="邻县")
    with pytest.raises(importer.CatalogueImportError) as exc:
        importer.import_dir(BENCH_COUNTY, county_code="C02")
    assert "departments.csv:2:code：部门代码D01已属于其他区县（测试县）" in exc.value.errors
    assert "townships.csv:2:code：乡镇代码T01已属于其他区县（测试县）" in exc.value.errors
    # Rows referring to a refused code are not reported once more each.
    assert len(exc.value.errors) == 4
    assert Item.objects.count() == 0


def test_import_into_the_only_county_updates_it(county):
    importer.import_dir(BENCH_COUNTY)
    assert Township.objects.filter(county=county).count() == 6
    assert Item.objects.filter(county=county).count() == 95
