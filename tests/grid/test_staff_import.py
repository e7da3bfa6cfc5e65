"""`zhifa import-grid-staff`: bulk posting of grid staff, all-or-nothing, one worker per grid."""

from __future__ import annotations

import json

import pytest
from django.core.management import CommandError, call_command

from zhifa.grid.importer import import_features, parse
from zhifa.grid.models import GridStaff

pytestmark = pytest.mark.django_db


@pytest.fixture
def t01_map(county, county_doc):
    doc = {
        **county_doc,
        "features": [f for f in county_doc["features"] if f["properties"]["township"] == "T01"],
    }
    import_features(parse(json.dumps(doc), "t01.geojson", []), county=county)
    return county


def test_staff_csv_posts_and_replaces_workers(t01_map, make_user, tmp_path, capsys):
    make_user("grid_worker", township="T01", username="liu")
    make_user("grid_worker", township="T01", username="chen")
    make_user("township_admin", township="T01", username="boss")
    path = tmp_path / "staff.csv"
    path.write_text(
        "grid_code,username,role\nT01-C01-G01-M01,liu,网格员\nT01-C01-G01-M02,liu,worker\nT01-C01,boss,网格长\n",
        encoding="utf-8",
    )
    call_command("import_grid_staff", str(path))
    assert "新任命3人次" in capsys.readouterr().out
    call_command("import_grid_staff", str(path))
    assert "与现有内容一致" in capsys.readouterr().out
    path.write_text("grid_code,username,role\nT01-C01-G01-M01,chen,网格员\n", encoding="utf-8")
    call_command("import_grid_staff", str(path))
    workers = GridStaff.objects.filter(unit__code="T01-C01-G01-M01", role="worker")
    assert [p.user.username for p in workers] == ["chen"]
    assert GridStaff.objects.count() == 3


def test_staff_csv_errors_by_row_and_column(t01_map, make_user, tmp_path, capsys):
    make_user("grid_worker", township="T01", username="liu")
    make_user("grid_worker", township="T02", username="far")
    path = tmp_path / "bad.csv"
    path.write_text(
        "grid_code,username,role\n"
        "T01-C09-G01-M01,liu,网格员\n"
        "T01-C01-G01-M01,nobody,网格员\n"
        "T01-C01-G01-M01,liu,组长\n"
        "T01-C01-G01-M02,far,网格员\n"
        "T01-C01-G01-M03,liu,网格员\n"
        "T01-C01-G01-M03,liu,网格员\n"
        "T01,liu,网格长\n",
        encoding="utf-8",
    )
    with pytest.raises(CommandError, match="共6处错误"):
        call_command("import_grid_staff", str(path))
    err = capsys.readouterr().err
    assert "bad.csv:2:grid_code：本县没有网格“T01-C09-G01-M01”" in err
    assert "bad.csv:3:username：本县没有账号“nobody”" in err
    assert "bad.csv:4:role：岗位“组长”无效" in err
    assert "bad.csv:5:username：far属于北关街道，不能到东城街道的网格任职" in err
    assert "bad.csv:7:grid_code：网格“T01-C01-G01-M03”已在第6行安排网格员（一格一员）" in err
    assert "bad.csv:8:grid_code：“T01”是乡镇（街道），不设网格人员" in err
    assert not GridStaff.objects.exists()
