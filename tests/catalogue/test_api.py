"""Catalogue API: filters, scoping (404 for another township's versions), holdings, fine ranges, publish."""

from __future__ import annotations

import pytest

from zhifa.catalogue import services
from zhifa.catalogue.models import CatalogueVersion

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(client, make_user):
    def as_user(role="township_admin", township="T01", **kw):
        client.force_login(make_user(role, township=township, **kw))
        return client

    return as_user


def test_items_filters(api, small):
    c = api()
    data = c.get("/api/catalogue/items/").json()
    assert data["count"] == 4
    assert [i["code"] for i in c.get("/api/catalogue/items/?source=entrusted").json()["results"]] == ["A003"]
    assert [i["code"] for i in c.get("/api/catalogue/items/?action_type=inspection").json()["results"]] == [
        "A004"
    ]
    assert [i["code"] for i in c.get("/api/catalogue/items/?q=采砂").json()["results"]] == ["A002"]
    assert [i["code"] for i in c.get("/api/catalogue/items/?domain=林业").json()["results"]] == [
        "A003",
        "A004",
    ]
    one = c.get("/api/catalogue/items/?code=A002").json()["results"][0]
    assert one["source_label"] == "赋权" and one["department"] == "D01"
    assert {t["tier"] for t in one["tiers"]} == {"minor", "general", "severe"}


def test_versions_are_scoped(api, small, make_user):
    t2_draft = services.create_draft(None, small["t2"])
    c = api()
    listed = c.get("/api/catalogue/versions/").json()["results"]
    assert [v["township"] for v in listed] == ["T01"]
    mine = c.get(f"/api/catalogue/versions/{small['versions']['T01'].pk}/").json()
    assert mine["state"] == "现行有效" and [e["code"] for e in mine["entries"]] == ["A001", "A002", "A003"]
    assert c.get(f"/api/catalogue/versions/{small['versions']['T02'].pk}/").status_code == 404
    assert c.get(f"/api/catalogue/versions/{t2_draft.pk}/").status_code == 404
    r = c.post(f"/api/catalogue/versions/{t2_draft.pk}/publish/", {"effective_date": "2026-12-01"})
    assert r.status_code == 404
    assert CatalogueVersion.objects.get(pk=t2_draft.pk).status == "draft"
    supervisor = api("supervisor", township=None, username="sup")
    assert len(supervisor.get("/api/catalogue/versions/").json()["results"]) == 3


def test_publish_through_the_api(api, small):
    c = api()
    draft = services.create_draft(None, small["t1"])
    r = c.post(f"/api/catalogue/versions/{draft.pk}/publish/", {"effective_date": "2025-01-01"})
    assert r.status_code == 400 and "早于现行版本" in str(r.json())
    r = c.post(f"/api/catalogue/versions/{draft.pk}/publish/", {})
    assert r.status_code == 400 and "请填写生效日期" in str(r.json())
    r = c.post(f"/api/catalogue/versions/{draft.pk}/publish/", {"effective_date": "2026-12-01"})
    assert r.status_code == 200 and r.json()["status"] == "published"
    r = c.post(f"/api/catalogue/versions/{draft.pk}/publish/", {"effective_date": "2026-12-02"})
    assert r.status_code == 400
    officer = api("officer", username="o1")
    other = services.create_draft(None, small["t1"])
    assert (
        officer.post(
            f"/api/catalogue/versions/{other.pk}/publish/", {"effective_date": "2026-12-05"}
        ).status_code
        == 403
    )


def test_holdings_on_a_date(api, small):
    c = api()
    data = c.get("/api/catalogue/townships/T01/holdings/?on=2026-06-01").json()
    assert data["version"] == 1 and [i["code"] for i in data["items"]] == ["A001", "A002", "A003"]
    assert data["items"][2]["entrustment"]["doc_no"] == "林委〔2026〕1号"
    t2 = c.get("/api/catalogue/townships/T02/holdings/?on=2026-06-01").json()
    assert [i["code"] for i in t2["items"]] == ["A001"]  # entrustment expired
    assert c.get("/api/catalogue/townships/T01/holdings/?on=2025-06-01").json()["items"] == []
    bad = c.get("/api/catalogue/townships/T01/holdings/?on=2026-13-01")
    assert bad.status_code == 400 and "格式应为YYYY-MM-DD" in str(bad.json())
    assert c.get("/api/catalogue/townships/T99/holdings/").status_code == 404


def test_fine_range(api, small):
    c = api()
    data = c.get("/api/catalogue/fine-range/?item=A002&tier=一般").json()
    assert (data["fine_min"], data["fine_max"]) == ("5000.00", "20000.00")
    assert c.get("/api/catalogue/fine-range/?item=A002&tier=serious").json()["fine_min"] is None
    r = c.get("/api/catalogue/fine-range/?item=A002&tier=特别")
    assert r.status_code == 400 and "裁量阶次" in str(r.json())
    assert c.get("/api/catalogue/fine-range/?item=A999&tier=minor").status_code == 404
    assert c.get("/api/catalogue/fine-range/").status_code == 400


def test_entrustments_scoped(api, small):
    c = api()
    rows = c.get("/api/catalogue/entrustments/").json()["results"]
    assert [(r["doc_no"], r["township"], r["items"]) for r in rows] == [("林委〔2026〕1号", "T01", ["A003"])]
    assert (
        api("admin", township=None, username="adm").get("/api/catalogue/entrustments/").json()["count"] == 2
    )


def test_api_needs_login(client, small):
    assert client.get("/api/catalogue/items/").status_code in (401, 403)
