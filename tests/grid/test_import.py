"""`zhifa import-grids`: counts, township links, idempotence, and refusal of broken maps by code."""

from __future__ import annotations

import copy
import json

import pytest
from django.core.management import CommandError, call_command
from shapely.geometry import mapping, shape

from zhifa.grid.importer import GridImportError, import_features, parse
from zhifa.grid.models import GridUnit


def _features(doc: dict):
    errors: list[str] = []
    feats = parse(json.dumps(doc), "map.geojson", errors)
    assert not errors
    return feats


def _township_only(doc: dict, code: str = "T01") -> dict:
    """One township and its descendants: a small map that is quick to validate."""
    feats = [f for f in doc["features"] if f["properties"]["township"] == code]
    return {"type": "FeatureCollection", "features": copy.deepcopy(feats)}


def _find(doc: dict, code: str) -> dict:
    return next(f for f in doc["features"] if f["properties"]["code"] == code)


def _refused(doc: dict, county) -> list[str]:
    with pytest.raises(GridImportError) as exc:
        import_features(_features(doc), source="map.geojson", county=county)
    assert GridUnit.objects.count() == 0
    return exc.value.errors


def test_county_map_counts_links_and_second_import_changes_nothing(county, county_doc, tmp_path, capsys):
    path = tmp_path / "county.geojson"
    path.write_text(json.dumps(county_doc), encoding="utf-8")
    call_command("import_grids", str(path))
    out = capsys.readouterr().out
    assert "新增1794个" in out
    counts = {lv: GridUnit.objects.filter(level=lv).count() for lv in ("township", "community", "grid")}
    counts |= {lv: GridUnit.objects.filter(level=lv).count() for lv in ("micro", "dedicated")}
    assert counts == {"township": 6, "community": 48, "grid": 192, "micro": 1536, "dedicated": 12}
    t01 = GridUnit.objects.get(code="T01")
    assert t01.township.name == "东城街道" and t01.name == "东城街道"  # linked to the existing township
    assert county.townships.filter(code="T06").exists()  # missing townships are created
    micro = GridUnit.objects.get(code="T01-C01-G01-M01")
    assert (micro.parent.code, micro.township.code, micro.households) == ("T01-C01-G01", "T01", 327)
    assert GridUnit.objects.filter(level="dedicated").exclude(kind="").count() == 12
    assert county.townships.get(code="T02").communities.count() == 8  # org.Community kept in step

    from zhifa.core.models import AuditEntry

    entries = AuditEntry.objects.count()
    call_command("import_grids", str(path))
    assert "数据与现有内容一致，未作任何修改" in capsys.readouterr().out
    assert AuditEntry.objects.count() == entries
    assert GridUnit.objects.count() == 1794


def test_gap_is_refused_naming_the_parent(county, county_doc):
    doc = _township_only(county_doc)
    doc["features"].remove(_find(doc, "T01-C01-G01-M02"))
    errors = _refused(doc, county)
    assert len(errors) == 1
    assert "（T01-C01-G01）" in errors[0] and "空隙" in errors[0] and "平方米" in errors[0]


def test_overlap_and_child_outside_parent_are_refused_by_code(county, county_doc):
    doc = _township_only(county_doc)
    grown = _find(doc, "T01-C02-G01-M01")
    grown["geometry"] = mapping(shape(grown["geometry"]).buffer(0.002))
    errors = _refused(doc, county)
    text = "\n".join(errors)
    assert "T01-C02-G01-M01" in text
    assert "超出上级网格“T01-C02-G01”的范围" in text
    assert "重叠" in text


def test_invalid_polygon_bad_parent_and_duplicate_reported_together(county, county_doc):
    doc = _township_only(county_doc)
    bowtie = _find(doc, "T01-C01-G01-M01")
    bowtie["geometry"] = {
        "type": "Polygon",
        "coordinates": [[[112.7, 35.8], [112.71, 35.81], [112.71, 35.8], [112.7, 35.81], [112.7, 35.8]]],
    }
    _find(doc, "T01-C01-G01-M03")["properties"]["parent"] = "T01-C01"  # a community, not a grid
    _find(doc, "T01-C01-G01-M04")["properties"]["parent"] = "T09-C01-G01"
    doc["features"].append(copy.deepcopy(_find(doc, "T01-C01-G01-M05")))
    errors: list[str] = []
    feats = parse(json.dumps(doc), "map.geojson", errors)
    with pytest.raises(GridImportError) as exc:
        import_features(feats, source="map.geojson", county=county, parse_errors=errors)
    text = "\n".join(exc.value.errors)
    assert "（T01-C01-G01-M01）：多边形无效：边界自相交" in text
    assert "（T01-C01-G01-M03）：上级网格“T01-C01”是一级网格（社区/村），微网格的上级应为二级网格" in text
    assert "（T01-C01-G01-M04）：上级网格“T09-C01-G01”不在文件中" in text
    assert "（T01-C01-G01-M05）：网格编码重复" in text
    assert GridUnit.objects.count() == 0


def test_command_reports_every_error_in_chinese(county, county_doc, tmp_path, capsys):
    path = tmp_path / "bad.geojson"
    doc = _township_only(county_doc)
    doc["features"][5]["properties"]["level"] = "block"
    doc["features"][6]["properties"]["households"] = -3
    path.write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(CommandError, match="未写入任何数据"):
        call_command("import_grids", str(path))
    err = capsys.readouterr().err
    assert "bad.geojson:第6个要素" in err and "层级level“block”无效" in err
    assert "households应为非负整数" in err
    (tmp_path / "x.geojson").write_text("{oops", encoding="utf-8")
    with pytest.raises(CommandError):
        call_command("import_grids", str(tmp_path / "x.geojson"))
    assert "不是有效的JSON" in capsys.readouterr().err
    with pytest.raises(CommandError):
        call_command("import_grids", str(tmp_path / "missing.geojson"))
    assert "missing.geojson：文件不存在" in capsys.readouterr().err


def test_never_imports_into_the_demo_county_implicitly(db, county_doc):
    from zhifa.org.models import County

    County.objects.create(code="DEMO", name="示范县")
    with pytest.raises(GridImportError, match="只有演示县"):
        import_features(_features(_township_only(county_doc, "T06")), source="map.geojson")
    assert GridUnit.objects.count() == 0


def test_townships_of_another_county_are_refused(county, county_doc):
    from zhifa.org.models import County

    other = County.objects.create(code="C02", name="邻县")
    errors = _refused(_township_only(county_doc, "T01"), other)
    assert errors == ["map.geojson:第1个要素（T01）：乡镇（街道）“T01”已属于其他区县（测试县）"]


def test_reimport_with_new_boundaries_relinks_elements(county, county_doc):
    from zhifa.grid.models import Element

    doc = _township_only(county_doc)
    import_features(_features(doc), source="map.geojson", county=county)
    m1, m2 = GridUnit.objects.get(code="T01-C01-G01-M01"), GridUnit.objects.get(code="T01-C01-G01-M02")
    p = shape(json.loads(m2.geometry)).representative_point()
    # linked to M01 as an older map had it; the point lies in M02 on the map being imported
    e = Element.objects.create(
        county=county, township=m1.township, unit=m1, kind="shop", name="便民超市", lon=p.x, lat=p.y
    )
    _find(doc, "T01-C01-G01-M01")["properties"]["households"] = 999  # any change of the map
    result = import_features(_features(doc), source="map.geojson", county=county)
    assert result.updated == 1 and result.elements_moved == 1
    assert "1个网格要素按新边界改归所在网格" in result.summary()
    e.refresh_from_db()
    assert e.unit_id == m2.id


def test_prune_deletes_units_missing_from_the_file_unless_an_element_is_left(county, county_doc, make_user):
    from zhifa.grid.models import Element, GridStaff

    both = {**county_doc, "features": copy.deepcopy(county_doc["features"][:0])}
    both["features"] = (
        _township_only(county_doc, "T01")["features"] + _township_only(county_doc, "T02")["features"]
    )
    import_features(_features(both), source="map.geojson", county=county)
    t02_micro = GridUnit.objects.get(code="T02-C01-G01-M01")
    GridStaff.objects.create(unit=t02_micro, user=make_user("grid_worker", township="T02"), role="worker")
    only_t01 = _township_only(county_doc, "T01")

    kept = import_features(_features(only_t01), source="map.geojson", county=county)
    assert kept.not_in_file == 297 and GridUnit.objects.filter(township__code="T02").count() == 297

    p = shape(json.loads(t02_micro.geometry)).representative_point()
    e = Element.objects.create(
        county=county,
        township=t02_micro.township,
        unit=t02_micro,
        kind="risk",
        name="河堤险段",
        lon=p.x,
        lat=p.y,
    )
    with pytest.raises(GridImportError, match="要素“河堤险段”仍在其内"):
        import_features(_features(only_t01), source="map.geojson", county=county, prune=True)
    assert GridUnit.objects.filter(township__code="T02").count() == 297  # nothing was changed

    e.delete()
    result = import_features(_features(only_t01), source="map.geojson", county=county, prune=True)
    assert (result.deleted, result.staff_removed) == (297, 1)
    assert not GridUnit.objects.filter(township__code="T02").exists()
    assert GridUnit.objects.count() == 299
