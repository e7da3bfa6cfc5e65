"""The error bodies the schema documents (zhifa.api.schema): Chinese, JSON, fields as lists."""

from __future__ import annotations


def test_unknown_api_path_is_a_json_404_in_chinese(client, make_user):
    client.force_login(make_user("county_dispatcher", username="cd"))
    r = client.get("/api/cases/cases/abc/")
    assert r.status_code == 404 and r["Content-Type"].startswith("application/json")
    assert "接口地址不存在" in r.json()["error"]
    page = client.get("/no-such-page/")
    assert page.status_code == 404 and not page["Content-Type"].startswith("application/json")


def test_get_object_or_404_speaks_chinese(client, make_user):
    client.force_login(make_user("officer", township="T01", username="o1"))
    body = {"case": 999, "kind": "reminder"}
    r = client.post("/api/documents/documents/generate/", body, "application/json")
    assert r.status_code == 404 and r.json() == {"error": "对象不存在，或不在您的管辖范围内。"}


def test_a_field_error_is_always_a_list(client, make_user):
    client.force_login(make_user("county_dispatcher", username="cd"))
    r = client.get("/api/grid/geojson/?level=nonsense")
    assert r.status_code == 400
    assert isinstance(r.json()["fields"]["level"], list) and "层级" in r.json()["fields"]["level"][0]
