"""The grid import reads a file's features one at a time; its results and messages are those of
reading the file whole, and its audit entries are the rows' images."""

from __future__ import annotations

import json

import pytest

from zhifa.grid import importer
from zhifa.grid.importer import GridImportError, import_file, parse, parse_file
from zhifa.grid.models import GridUnit


def _fields(features):
    return [tuple(getattr(f, k) for k in importer.Feature.__slots__) for f in features]


def _both(tmp_path, data: bytes):
    path = tmp_path / "map.geojson"
    path.write_bytes(data)
    whole, streamed = [], []
    a = parse(data, "map.geojson", whole)
    b = parse_file(path, "map.geojson", streamed)
    assert _fields(a) == _fields(b)
    assert whole == streamed
    return b, streamed


def _small(county_doc, n=40):
    return {"type": "FeatureCollection", "features": county_doc["features"][:n]}


@pytest.mark.parametrize("block", [3, 50, 4096])
def test_streamed_features_equal_the_whole_file_across_block_boundaries(
    tmp_path, county_doc, block, monkeypatch
):
    monkeypatch.setattr(importer, "_BLOCK", block)
    doc = _small(county_doc)
    features, errors = _both(tmp_path, json.dumps(doc).encode())
    assert len(features) == 40 and not errors
    assert features[0].code == doc["features"][0]["properties"]["code"]
    # other layouts of the same collection: indented, keys in another order, a BOM, extra members
    _both(tmp_path, json.dumps(doc, indent=2, ensure_ascii=False).encode())
    _both(tmp_path, json.dumps({"features": doc["features"], "bbox": [1, 2.5, 3e2, 4], **doc}).encode())
    assert len(_both(tmp_path, b"\xef\xbb\xbf" + json.dumps(doc).encode())[0]) == 40


def test_a_problem_in_one_feature_is_reported_as_when_read_whole(tmp_path, county_doc, monkeypatch):
    monkeypatch.setattr(importer, "_BLOCK", 64)
    doc = _small(county_doc)
    doc["features"][5]["properties"]["level"] = "block"
    doc["features"][7] = "not a feature"
    _, errors = _both(tmp_path, json.dumps(doc).encode())
    assert errors[0].startswith("map.geojson:第6个要素（") and "层级level“block”无效" in errors[0]
    assert errors[1] == "map.geojson:第8个要素：缺少properties"


@pytest.mark.parametrize(
    "data, message",
    [
        (b"{oops", "不是有效的JSON"),
        (b"", "不是有效的JSON"),
        (b'{"type": "FeatureCollection", "features": []}', "features为空"),
        (b'{"type": "FeatureCollection", "features": {}}', "features为空"),
        (b'{"type": "Feature", "features": [{}]}', "应为GeoJSON FeatureCollection"),
        (b'{"features": [{}], "type": "FeatureCollection", "type": "X"}', "应为GeoJSON FeatureCollection"),
        (b'[{"type": "FeatureCollection"}]', "应为GeoJSON FeatureCollection"),
        (b'{"type": "FeatureCollection", "features": [{}]} trailing', "不是有效的JSON"),
        (b'{"type": "FeatureCollection", "features": [{"a": "\xe4"}]}', "不是有效的JSON"),
    ],
)
def test_a_file_of_another_shape_gets_the_whole_file_message(tmp_path, data, message, monkeypatch):
    monkeypatch.setattr(importer, "_BLOCK", 8)
    features, errors = _both(tmp_path, data)
    assert not features and len(errors) == 1 and message in errors[0]


def test_a_file_cut_short_is_refused_and_nothing_is_written(tmp_path, county, county_doc):
    text = json.dumps(_small(county_doc))
    path = tmp_path / "cut.geojson"
    path.write_text(text[: len(text) // 2], encoding="utf-8")
    with pytest.raises(GridImportError) as exc:
        import_file(path, county_code="C01")
    assert len(exc.value.errors) == 1 and exc.value.errors[0].startswith("cut.geojson：不是有效的JSON（")
    assert not GridUnit.objects.exists()
    with pytest.raises(GridImportError, match="文件不存在"):
        import_file(tmp_path / "missing.geojson")
    with pytest.raises(GridImportError, match="无法读取文件"):
        import_file(tmp_path)


def test_each_imported_unit_has_its_image_as_create_entry(tmp_path, county, county_doc):
    from zhifa.core import audit
    from zhifa.core.models import AuditEntry

    doc = {
        "type": "FeatureCollection",
        "features": [f for f in county_doc["features"] if f["properties"]["township"] == "T01"],
    }
    path = tmp_path / "t01.geojson"
    path.write_text(json.dumps(doc), encoding="utf-8")
    with audit.acting_as("导入测试"):
        result = import_file(path, county_code="C01")
    assert result.created == len(doc["features"]) == GridUnit.objects.count()
    entries = {e.object_id: e for e in AuditEntry.objects.filter(model="grid.GridUnit", action="create")}
    assert len(entries) == result.created
    for unit in GridUnit.objects.all():
        e = entries[str(unit.id)]
        assert e.after == audit.snapshot(unit)
        assert (e.object_repr, e.actor, e.county_id) == (str(unit), "导入测试", county.id)
    assert audit.verify().ok  # the chain and the live rows against their images


@pytest.mark.parametrize("tolerance", [0.0, 50.0, 400.0, 5000.0])
def test_skipping_the_union_for_small_gaps_finds_what_the_union_finds(county_doc, monkeypatch, tolerance):
    """Children shrunk a little (gaps), one grown (an overlap and a part outside its parent):
    the same messages with and without the area bound that skips the union."""
    from shapely.geometry import mapping, shape

    doc = {
        "type": "FeatureCollection",
        "features": [f for f in county_doc["features"] if f["properties"]["township"] == "T01"],
    }
    doc = json.loads(json.dumps(doc))
    micro = [f for f in doc["features"] if f["properties"]["level"] == "micro"]
    for f, d in zip(micro[:6], (-0.00002, -0.00005, -0.0001, 0.00003, -0.00001, -0.0002), strict=True):
        f["geometry"] = mapping(shape(f["geometry"]).buffer(d, join_style="mitre"))

    calls = []
    gaps = importer._Checker._gaps
    monkeypatch.setattr(importer._Checker, "_gaps", lambda self, *a: calls.append(1) or gaps(self, *a))

    def errors():
        found: list[str] = []
        features = parse(json.dumps(doc), "map.geojson", found)
        checker = importer._Checker(features, tolerance, "map.geojson")
        checker.run()
        return checker.errors, len(calls)

    bounded, bounded_calls = errors()
    calls.clear()
    monkeypatch.setattr(importer._Checker, "_no_gap_over_tolerance", lambda *args: False)
    unbounded, unbounded_calls = errors()
    assert bounded == unbounded
    assert any("空隙" in e for e in bounded)
    assert any("重叠" in e for e in bounded) or tolerance > 50.0
    if tolerance > 0:
        assert bounded_calls < unbounded_calls  # the bound did skip the union somewhere


def test_a_reimport_updates_changed_units_chunk_by_chunk_with_their_images(county, county_doc, monkeypatch):
    from zhifa.core import audit
    from zhifa.core.models import AuditEntry
    from zhifa.grid.importer import import_features

    monkeypatch.setattr(importer, "_INSERT_CHUNK", 7)
    doc = {
        "type": "FeatureCollection",
        "features": [f for f in county_doc["features"] if f["properties"]["township"] == "T01"],
    }
    doc = json.loads(json.dumps(doc))
    first = import_features(parse(json.dumps(doc), "map.geojson", []), source="map.geojson", county=county)
    assert first.created == len(doc["features"])
    before = {u.code: audit.snapshot(u) for u in GridUnit.objects.all()}
    micro = [f for f in doc["features"] if f["properties"]["level"] == "micro"]
    for i, f in enumerate(micro[:30]):
        f["properties"]["households"] = 1000 + i
    entries = AuditEntry.objects.count()
    result = import_features(parse(json.dumps(doc), "map.geojson", []), source="map.geojson", county=county)
    assert (result.created, result.updated) == (0, 30)
    updates = list(AuditEntry.objects.filter(action="update", model="grid.GridUnit").order_by("id"))
    assert len(updates) == 30 and AuditEntry.objects.count() == entries + 30
    for e in updates:
        unit = GridUnit.objects.get(id=int(e.object_id))
        assert e.before == before[unit.code] and e.after == audit.snapshot(unit)
        assert unit.households == 1000 + next(
            i for i, f in enumerate(micro) if f["properties"]["code"] == unit.code
        )
    again = import_features(parse(json.dumps(doc), "map.geojson", []), source="map.geojson", county=county)
    assert (again.created, again.updated, again.changed) == (0, 0, False)
    assert AuditEntry.objects.count() == entries + 30
    assert audit.verify().ok
