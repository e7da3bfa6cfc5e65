"""Hostile and careless input to the API: a Chinese 400 (or 404) naming the field, never a 500,
and nothing stored (issue 12)."""

from __future__ import annotations

import json

import pytest
from dispatch.helpers import T01_POINT, fake_locate, fake_suggestion

from zhifa.dispatch import services as s
from zhifa.dispatch.actions import geocoding, suggestions
from zhifa.dispatch.models import Report


@pytest.fixture
def gw(make_user, county, monkeypatch):
    monkeypatch.setattr(geocoding, "locate", fake_locate)
    monkeypatch.setattr(suggestions, "suggest", lambda report: fake_suggestion("Z001"))
    return make_user("grid_worker", township="T01", username="gw")


def _post(client, body, raw: str | None = None):
    data = raw if raw is not None else json.dumps(body, ensure_ascii=False)
    return client.post("/api/dispatch/reports/", data, content_type="application/json")


def _ok_body(**kw):
    return {"text": "门口占道摆摊", "lon": T01_POINT[0], "lat": T01_POINT[1], **kw}


@pytest.mark.parametrize(
    "url",
    [
        "/api/dispatch/reports/99999999999999999999/",
        "/api/dispatch/reports/false/",
        "/api/cases/cases/99999999999999999999/",
        "/api/documents/documents/-1/",
        "/api/grid/units/1e9/",
    ],
)
def test_ids_that_are_not_ids_are_404(gw, client, url):
    client.force_login(gw)
    assert client.get(url).status_code == 404
    assert client.post("/api/cases/cases/false/evidence/", {}).status_code == 404


def test_an_id_filter_out_of_range_names_the_parameter(gw, client, make_user):
    client.force_login(make_user("officer", township="T01", username="o1"))
    r = client.get("/api/documents/documents/?case=99999999999999999999")
    assert r.status_code == 400 and "case" in r.json()["fields"]


@pytest.mark.parametrize(
    ("when", "phrase"),
    [("0001-01-01T00:00:00Z", "早于2000年"), ("2099-01-01T00:00:00+08:00", "晚于当前时间")],
)
def test_reported_at_outside_the_window_is_refused(gw, client, when, phrase):
    client.force_login(gw)
    r = _post(client, _ok_body(reported_at=when))
    assert r.status_code == 400, r.content
    assert phrase in "".join(r.json()["fields"]["reported_at"])
    assert not Report.objects.exists()


def test_a_body_nested_thousands_deep_is_a_400(gw, client):
    client.force_login(gw)
    r = _post(client, None, raw='{"text": ' + "[" * 5000 + "]" * 5000 + "}")
    assert r.status_code == 400 and "嵌套" in r.json()["error"]
    r = _post(client, None, raw='{"text": "x", "lon": NaN, "lat": 1}')
    assert r.status_code == 400
    assert not Report.objects.exists()


@pytest.mark.parametrize(
    ("field", "length"), [("address", 100_000), ("reporter_name", 5_000), ("reporter_phone", 5_000)]
)
def test_over_long_text_is_refused_not_cut(gw, client, field, length):
    client.force_login(gw)
    r = _post(client, _ok_body(**{field: "1" * length}))
    assert r.status_code == 400 and field in r.json()["fields"]
    assert "超过" in r.json()["fields"][field][0]
    assert not Report.objects.exists()


def test_a_number_where_text_belongs_is_refused(gw, client):
    client.force_login(gw)
    r = _post(client, _ok_body(text=12345))
    assert r.status_code == 400 and "应为文本" in r.json()["fields"]["text"][0]
    r = _post(client, _ok_body(lon=[1, 2]))
    assert r.status_code == 400 and "lon" in r.json()["fields"]
    assert not Report.objects.exists()
    # Numbers for coordinates are fine, and so is the same report sent properly.
    assert _post(client, _ok_body()).status_code == 201


def test_the_intake_service_refuses_over_long_fields_from_every_path(gw, county):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as exc:
        s.do_intake(gw, county=county, text="占道", lon=T01_POINT[0], lat=T01_POINT[1], address="路" * 201)
    assert "地址不能超过200个字符" in exc.value.message_dict["address"][0]
    assert not Report.objects.exists()


def test_control_characters_are_refused_where_they_are(client, make_user, county):
    from zhifa.dispatch import services as s
    from zhifa.rules import plaintext

    assert plaintext.first_control_char("占道\u001d经营") == 3
    assert plaintext.first_control_char("第一行\n第二行\t完") is None
    errors, *_ = s.validate_intake(
        text="门口\u0007有人摆摊", lon=113.1, lat=35.2, crs="wgs84", channel="web", priority="normal"
    )
    assert "第3个字符" in errors["text"] and "U+0007" in errors["text"]
    client.force_login(make_user("grid_worker", township="T01", username="gw-ctl"))
    r = client.post(
        "/api/dispatch/reports/",
        {"text": "门口有人摆摊", "address": "幸福路\u001b1号", "lon": 113.1, "lat": 35.2},
        content_type="application/json",
    )
    assert r.status_code == 400
    assert "控制字符" in r.json()["fields"]["address"][0]
