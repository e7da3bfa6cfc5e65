"""Catalogue pages: browse, drafts and publishing, scoping (404 for other townships), import, public list."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from catalogue.helpers import BENCH_COUNTY
from zhifa.catalogue import services
from zhifa.catalogue.models import CatalogueVersion, Entry, Item

pytestmark = pytest.mark.django_db


@pytest.fixture
def t1_admin(make_user):
    return make_user("township_admin", township="T01", username="t1admin")


@pytest.fixture
def t2_admin(make_user):
    return make_user("township_admin", township="T02", username="t2admin")


@pytest.fixture
def admin(make_user):
    return make_user("admin", username="countyadmin")


def _as(client, user):
    client.force_login(user)
    return client


def test_browse_and_search(client, small, t1_admin):
    _as(client, t1_admin)
    page = client.get("/catalogue/").content.decode()
    assert "执法事项清单" in page and "A001" in page and "A004" in page
    assert "A001" not in client.get("/catalogue/", {"q": "采砂"}).content.decode()
    assert "A002" in client.get("/catalogue/", {"q": "采砂"}).content.decode()
    by_basis = client.get("/catalogue/", {"basis": "第4条"}).content.decode()
    assert "A004" in by_basis and "A001" not in by_basis
    entrusted = client.get("/catalogue/", {"source": "entrusted"}).content.decode()
    assert "A003" in entrusted and "A002" not in entrusted
    inspections = client.get("/catalogue/", {"action_type": "inspection"}).content.decode()
    assert "A004" in inspections and "A001" not in inspections
    forest = client.get("/catalogue/", {"domain": "林业"}).content.decode()
    assert "A003" in forest and "A001" not in forest
    held_by_t2 = client.get("/catalogue/", {"township": "T02"}).content.decode()
    # On the day of the test T02's entrustment for A003 has expired: only A001 is exercisable.
    assert "A001" in held_by_t2 and "A002" not in held_by_t2 and "A003" not in held_by_t2


def test_paging(client, small, t1_admin, county):
    d = small["items"]["A001"].department
    for n in range(40):
        Item.objects.create(
            county=county,
            code=f"B{n:03d}",
            name=f"事项{n}",
            action_type="penalty",
            source="empowered",
            department=d,
            legal_basis="《测试法》",
        )
    _as(client, t1_admin)
    first = client.get("/catalogue/").content.decode()
    assert "第1/2页，共44条" in first
    second = client.get("/catalogue/", {"page": 2}).content.decode()
    assert "B039" in second and "B039" not in first


def test_item_detail_shows_tiers_and_holdings_and_county_admin_revokes(client, small, admin, t1_admin):
    a2 = small["items"]["A002"]
    _as(client, t1_admin)
    page = client.get(f"/catalogue/items/{a2.pk}/").content.decode()
    assert "裁量基准" in page and "1000～5000" in page and "东城街道" in page
    assert "收回理由" not in page  # no revoke form for a township
    today = timezone.localdate()
    services.record_usage("T01", "A002", today)
    services.record_usage("T01", "A002", today)
    page = client.get(f"/catalogue/items/{a2.pk}/").content.decode()
    assert "<td>东城街道</td>" in page and "<td>2</td>" in page
    assert (
        client.post(f"/catalogue/items/{a2.pk}/", {"revoked_on": "2026-07-01", "reason": "x"}).status_code
        == 403
    )
    _as(client, admin)
    page = client.post(f"/catalogue/items/{a2.pk}/", {"revoked_on": "", "reason": ""}).content.decode()
    assert "请填写收回理由" in page
    r = client.post(f"/catalogue/items/{a2.pk}/", {"revoked_on": "2026-07-01", "reason": "承接能力不足"})
    assert r.status_code == 302
    a2.refresh_from_db()
    assert a2.revoked_on == dt.date(2026, 7, 1) and a2.revoke_reason == "承接能力不足"


def test_township_admin_edits_and_publishes_a_draft(client, small, t1_admin):
    _as(client, t1_admin)
    r = client.post("/catalogue/versions/new/")
    draft = CatalogueVersion.objects.get(township__code="T01", status="draft")
    assert r.status_code == 302 and r["Location"] == f"/catalogue/versions/{draft.pk}/"
    page = client.get(r["Location"]).content.decode()
    assert "县直部门提供的事项" in page and 'data-code="A004"' in page
    a4 = small["items"]["A004"]
    client.post(f"/catalogue/versions/{draft.pk}/pick/", {"item": a4.pk})
    client.post(f"/catalogue/versions/{draft.pk}/unpick/", {"item": small["items"]["A002"].pk})
    assert set(draft.entries.values_list("code", flat=True)) == {"A001", "A003", "A004"}
    r = client.post(f"/catalogue/versions/{draft.pk}/publish/", {"effective_date": "bad"})
    assert "生效日期" in client.get(r["Location"]).content.decode()
    # A date after today, whenever the suite runs: the listing must show it as pending.
    later = dt.date.today() + dt.timedelta(days=30)
    client.post(
        f"/catalogue/versions/{draft.pk}/publish/", {"effective_date": later.isoformat(), "note": "调整"}
    )
    draft.refresh_from_db()
    assert draft.is_published and draft.effective_date == later
    listing = client.get("/catalogue/versions/").content.decode()
    assert "待生效" in listing and "现行有效" in listing
    cmp = client.get(
        "/catalogue/compare/", {"a": small["versions"]["T01"].pk, "b": draft.pk}
    ).content.decode()
    assert "新增1项，删除1项，变更0项" in cmp and "A004" in cmp


def test_published_version_cannot_be_edited_through_the_web(client, small, t1_admin):
    _as(client, t1_admin)
    v1 = small["versions"]["T01"]
    page = client.get(f"/catalogue/versions/{v1.pk}/").content.decode()
    assert "已发布的版本不可修改" in page and "点选</button>" not in page
    assert "委托书林委〔2026〕1号" in page  # the entrustment behind the entrusted item A003
    r = client.post(f"/catalogue/versions/{v1.pk}/pick/", {"item": small["items"]["A004"].pk})
    assert "已发布的清单版本不可修改" in client.get(r["Location"]).content.decode()
    client.post(f"/catalogue/versions/{v1.pk}/unpick/", {"item": small["items"]["A001"].pk})
    client.post(f"/catalogue/versions/{v1.pk}/publish/", {"effective_date": "2026-12-01"})
    client.post(f"/catalogue/versions/{v1.pk}/discard/")
    v1.refresh_from_db()
    assert v1.effective_date == dt.date(2026, 1, 1)
    assert set(Entry.objects.filter(version=v1).values_list("code", flat=True)) == {"A001", "A002", "A003"}


def test_other_townships_versions_give_404(client, small, t1_admin, t2_admin):
    draft = services.create_draft(t2_admin, small["t2"])
    v2 = small["versions"]["T02"]
    _as(client, t1_admin)
    for pk in (draft.pk, v2.pk):
        assert client.get(f"/catalogue/versions/{pk}/").status_code == 404
        assert (
            client.get("/catalogue/compare/", {"a": small["versions"]["T01"].pk, "b": pk}).status_code == 404
        )
    for action in ("pick", "unpick", "publish", "discard"):
        r = client.post(
            f"/catalogue/versions/{draft.pk}/{action}/",
            {"item": small["items"]["A004"].pk, "effective_date": "2026-12-01"},
        )
        assert r.status_code == 404, action
    assert client.post("/catalogue/versions/new/", {"township": small["t2"].pk}).status_code == 404
    assert "北关街道" not in client.get("/catalogue/versions/").content.decode()
    draft.refresh_from_db()
    assert draft.status == "draft" and draft.entries.count() == 2
    assert CatalogueVersion.objects.filter(township__code="T01", status="draft").count() == 0


def test_officer_cannot_create_or_change_drafts(client, small, make_user):
    officer = make_user("officer", township="T01")
    _as(client, officer)
    assert "新建草稿" not in client.get("/catalogue/versions/").content.decode()
    assert client.post("/catalogue/versions/new/").status_code == 403


def test_entrustments_page_marks_expiring_and_expired(client, small, admin, t1_admin):
    _as(client, admin)
    page = client.get("/catalogue/entrustments/").content.decode()
    # States are relative to today; the page must show what the service computes.
    current = small["t1"].entrustments.get()
    state = services.entrustment_state(current)
    assert state in page
    assert ('class="row-warn"' in page) == (state == "即将到期")
    banner = "件委托书将在60日内到期" in client.get("/catalogue/").content.decode()
    assert banner == (state == "即将到期")
    _as(client, t1_admin)
    mine = client.get("/catalogue/entrustments/").content.decode()
    assert "林委〔2026〕1号" in mine and "林委〔2025〕2号" not in mine


def test_import_page_all_or_nothing_and_export(client, county, admin, t1_admin, tmp_path):
    _as(client, t1_admin)
    assert client.get("/catalogue/import/").status_code == 403
    _as(client, admin)
    assert "校验并导入" in client.get("/catalogue/import/").content.decode()
    bad = (
        (BENCH_COUNTY / "catalog.csv")
        .read_text(encoding="utf-8")
        .replace(",行政处罚,法定,", ",处罚,法定,", 1)
    )
    files = [io.BytesIO((BENCH_COUNTY / name).read_bytes()) for name in ("departments.csv", "townships.csv")]
    files[0].name, files[1].name = "departments.csv", "townships.csv"
    bad_file = io.BytesIO(bad.encode())
    bad_file.name = "catalog.csv"
    page = client.post("/catalogue/import/", {"files": [*files, bad_file], "effective_date": "2026-01-01"})
    text = page.content.decode()
    assert "导入失败，未写入任何数据" in text and "catalog.csv:2:action_type" in text
    assert Item.objects.count() == 0
    uploads = []
    for f in sorted(BENCH_COUNTY.glob("*.csv")):
        b = io.BytesIO(f.read_bytes())
        b.name = f.name
        uploads.append(b)
    text = client.post(
        "/catalogue/import/", {"files": uploads, "effective_date": "2026-01-01"}
    ).content.decode()
    assert "导入完成" in text and Item.objects.count() == 95
    r = client.get("/catalogue/export.xlsx")
    assert r.status_code == 200 and r["Content-Type"].startswith("application/vnd.openxmlformats")
    wb = load_workbook(io.BytesIO(r.content), read_only=True)
    assert wb["catalog"].max_row == 96


def test_public_pages_need_no_login(client, small):
    index = client.get("/catalogue/public/").content.decode()
    assert "东城街道" in index and "第1版" in index
    page = client.get("/catalogue/public/T01/").content.decode()
    assert "东城街道综合行政执法事项清单" in page
    assert "A001" in page and "《测试法》第1条" in page and "罚款1000～5000元" in page
    assert "A004" not in page
    t2 = client.get("/catalogue/public/T02/").content.decode()
    assert "A003" not in t2  # its entrustment expired: not exercisable, not listed
    assert client.get("/catalogue/public/T99/").status_code == 404
    draft = services.create_draft(None, small["t1"])
    services.publish_version(draft, timezone.localdate() + dt.timedelta(days=10), actor="测试")
    page = client.get("/catalogue/public/T01/").content.decode()
    assert "新清单第2版已公布" in page and "现行清单：第1版" in page
    assert client.get("/catalogue/").status_code == 302  # the rest needs a login


def test_import_page_accepts_an_exported_workbook(client, small, admin):
    _as(client, admin)
    exported = client.get("/catalogue/export.xlsx").content
    upload = io.BytesIO(exported)
    upload.name = "清单.xlsx"
    text = client.post("/catalogue/import/", {"files": [upload]}).content.decode()
    assert "导入完成" in text and "未作任何修改" in text
    broken = io.BytesIO(b"not a workbook")
    broken.name = "坏文件.xlsx"
    text = client.post("/catalogue/import/", {"files": [broken]}).content.decode()
    assert "坏文件.xlsx:1:-：无法读取Excel文件" in text


def test_garbage_ids_are_refused_cleanly(client, small, t1_admin):
    _as(client, t1_admin)
    assert client.post("/catalogue/versions/new/", {"township": "abc"}).status_code == 302  # own township
    draft = CatalogueVersion.objects.get(township__code="T01", status="draft")
    r = client.post(f"/catalogue/versions/{draft.pk}/pick/", {"item": "x"})
    assert "该事项不存在或已收回" in client.get(r["Location"]).content.decode()
    assert client.get("/catalogue/compare/", {"a": "x", "b": "y"}).status_code == 200


def test_county_admin_adds_and_edits_items(client, small, admin, t1_admin):
    _as(client, t1_admin)
    assert client.get("/catalogue/items/new/").status_code == 403
    _as(client, admin)
    assert "新增事项" in client.get("/catalogue/").content.decode()
    text = client.post("/catalogue/items/new/", {"code": "A001", "name": ""}).content.decode()
    for message in (
        "事项编码：A001已存在",
        "事项名称：不能为空",
        "法律依据：不能为空",
        "事项类型：请选择",
        "实施部门：请选择",
    ):
        assert message in text
    assert Item.objects.count() == 4
    data = {
        "code": "A005",
        "name": "对占用河道堆放物料的处罚",
        "action_type": "penalty",
        "source": "empowered",
        "department": "D01",
        "domain": "水利",
        "legal_basis": "《中华人民共和国河道管理条例》第四十四条",
    }
    r = client.post("/catalogue/items/new/", data)
    new = Item.objects.get(code="A005")
    assert r.status_code == 302 and new.department.code == "D01"
    a1 = small["items"]["A001"]
    r = client.post(
        f"/catalogue/items/{a1.pk}/edit/", {**data, "code": "ZZZ", "legal_basis": "《测试法》第一条（修订）"}
    )
    a1.refresh_from_db()
    assert a1.code == "A001" and a1.legal_basis == "《测试法》第一条（修订）" and a1.name == data["name"]
    # The published version keeps its snapshot.
    assert small["versions"]["T01"].entries.get(code="A001").legal_basis == "《测试法》第1条"


def test_county_admin_registers_a_renewed_entrustment(client, small, admin, t1_admin):
    _as(client, t1_admin)
    assert client.get("/catalogue/entrustments/new/").status_code == 403
    _as(client, admin)
    page = client.get("/catalogue/entrustments/").content.decode()
    assert "续签" in page  # the expired one of T02
    form = client.get(
        "/catalogue/entrustments/new/", {"township": "T02", "department": "D02", "items": "A003"}
    )
    assert 'value="A003" checked' in form.content.decode()
    bad = {"doc_no": "林委〔2025〕2号", "department": "D01", "township": "T02", "items": ["A001", "A003"]}
    text = client.post("/catalogue/entrustments/new/", {**bad, "valid_from": "2026-01-01"}).content.decode()
    for message in ("已登记", "有效期至：请填写日期", "A001不是委托事项", "A003的实施部门不是县自然资源局"):
        assert message in text
    good = {"doc_no": "林委〔2026〕9号", "department": "D02", "township": "T02", "items": ["A003"]}
    r = client.post(
        "/catalogue/entrustments/new/", {**good, "valid_from": "2026-01-01", "valid_to": "2028-12-31"}
    )
    assert r.status_code == 302
    assert services.holding_on("T02", "A003", timezone.localdate()).held
