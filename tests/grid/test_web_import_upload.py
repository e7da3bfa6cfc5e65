"""The web map upload reads the uploaded file through the importer's streaming reader (as the
CLI does), whether Django kept the upload in memory or on disk: same result, same messages,
nothing written for a bad file, and no temporary file left behind."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from zhifa.grid import importer
from zhifa.grid.models import GridUnit

pytestmark = pytest.mark.django_db


@pytest.fixture
def t02_doc(county_doc):
    return {
        **county_doc,
        "features": [f for f in county_doc["features"] if f["properties"]["township"] == "T02"],
    }


@pytest.fixture
def admin(client, make_user):
    client.force_login(make_user("admin", username="root"))
    return client


@pytest.fixture(params=["memory", "disk"])
def upload_dir(request, settings, tmp_path):
    """Uploads kept in memory (InMemoryUploadedFile) or spooled to disk (TemporaryUploadedFile)."""
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path)
    if request.param == "disk":
        settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 0
    return tmp_path


def _post(client, data: bytes):
    return client.post("/grid/import/", {"file": SimpleUploadedFile("t02.geojson", data)}, follow=True)


def test_a_good_upload_imports_through_the_streaming_reader(admin, t02_doc, upload_dir, monkeypatch):
    streamed = []
    stream = importer._stream_features

    def counted(f):
        for feature in stream(f):
            streamed.append(feature["properties"]["code"])
            yield feature

    monkeypatch.setattr(importer, "_stream_features", counted)
    r = _post(admin, json.dumps(t02_doc).encode())
    assert "网格地图导入完成" in r.content.decode()
    assert streamed == [f["properties"]["code"] for f in t02_doc["features"]]
    assert GridUnit.objects.filter(township__code="T02", level="micro").count() == 256
    assert list(upload_dir.iterdir()) == []


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"{not json", "t02.geojson：不是有效的JSON"),
        (b"\xff\xfe\x00garbage", "t02.geojson：不是有效的JSON"),
        (json.dumps({"type": "Feature", "features": []}).encode(), "应为GeoJSON FeatureCollection"),
        (json.dumps({"type": "FeatureCollection", "features": []}).encode(), "t02.geojson：features为空"),
    ],
)
def test_a_bad_upload_gets_a_chinese_message_and_writes_nothing(admin, upload_dir, data, message):
    r = _post(admin, data)
    assert r.status_code == 200
    page = r.content.decode()
    assert "导入失败：共1处问题，未写入任何数据" in page and message in page
    assert not GridUnit.objects.exists()
    assert list(upload_dir.iterdir()) == []


def test_one_bad_feature_in_a_streamed_upload_refuses_the_whole_map(admin, t02_doc, upload_dir):
    t02_doc["features"][5] = {**t02_doc["features"][5], "properties": {"level": "micro"}}
    page = _post(admin, json.dumps(t02_doc).encode()).content.decode()
    assert "导入失败" in page and "t02.geojson:第6个要素：缺少网格编码code" in page
    assert not GridUnit.objects.exists()
