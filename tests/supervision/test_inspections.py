"""Inspection plans, registered joint inspections (扫码入企) and frequency alerts."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from zhifa.org import roles
from zhifa.rules.inspections import PastVisit, check_visit, uscc_error, uscc_with_check

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 11, 20)


# ---- pure rules ----------------------------------------------------------------------------


def test_uscc_check_character():
    assert uscc_error("91350100M000100Y43") is None
    assert "校验位" in uscc_error("91350100M000100Y44")
    assert "18位" in uscc_error("9135")
    assert "无效字符" in uscc_error("91350100M000100YO3")
    code = uscc_with_check("91410100MA12345678"[:17])
    assert uscc_error(code) is None


def test_credit_limit_repeat_and_burst():
    history = [PastVisit(dt.date(2026, 3, 1), ("Z001",))]
    assert check_visit("B", history, dt.date(2026, 9, 1), ["Z002"]) == []
    codes = [a.code for a in check_visit("A", history, dt.date(2026, 9, 1), ["Z002"])]
    assert codes == ["FREQ-CREDIT-LIMIT"]
    # the limit counts the calendar year only
    assert check_visit("A", history, dt.date(2027, 1, 5), ["Z002"]) == []
    repeat = check_visit("D", history, dt.date(2026, 5, 20), ["Z001", "Z009"])
    assert [a.code for a in repeat] == ["FREQ-REPEAT-ITEM"] and "Z001" in repeat[0].message
    assert "Z009" not in repeat[0].message
    burst = [PastVisit(dt.date(2026, 6, 1), ()), PastVisit(dt.date(2026, 6, 20), ())]
    assert [a.code for a in check_visit("D", burst, dt.date(2026, 6, 30), [])] == ["FREQ-HIGH"]
    assert check_visit("D", burst, dt.date(2026, 7, 2), []) == []


# ---- services ------------------------------------------------------------------------------


@pytest.fixture
def setup(county, make_user):
    from zhifa.cases.models import Officer
    from zhifa.catalogue.models import CatalogueVersion, Entry, Item
    from zhifa.catalogue.services import publish_version
    from zhifa.org.models import Department, Township
    from zhifa.supervision.models import Enterprise

    t1 = Township.objects.get(code="T01")
    d1, d2 = Department.objects.get(code="D01"), Department.objects.get(code="D02")
    held = Item.objects.create(
        county=county, code="Z021", name="对占道经营的检查", action_type="inspection", source="empowered",
        department=d1, legal_basis="《城市市容和环境卫生管理条例》第十四条",
    )  # fmt: skip
    other = Item.objects.create(
        county=county, code="Z030", name="林木采伐检查", action_type="inspection", source="statutory",
        department=d2, legal_basis="《中华人民共和国森林法》第七十四条",
    )  # fmt: skip
    version = CatalogueVersion.objects.create(township=t1, number=1)
    entry = Entry(version=version)
    entry.fill_from(held)
    entry.save()
    publish_version(version, dt.date(2026, 1, 1), actor="测试")

    officers = [make_user(roles.OFFICER, township="T01", username=f"o{i}") for i in range(3)]
    for i, o in enumerate(officers):
        Officer.objects.create(
            user=o, township=t1, cert_no=f"豫A{i:05d}", cert_valid_from=dt.date(2024, 1, 1),
            cert_valid_to=dt.date(2026, 6, 30) if i == 2 else dt.date(2028, 12, 31),
        )  # fmt: skip
    admin = make_user(roles.TOWNSHIP_ADMIN, township="T01", username="t1admin")
    shop = Enterprise.objects.create(
        county=county, township=t1, name="东城小吃店", credit_code="91350100M000100Y43", credit_grade="A"
    )
    other_shop = Enterprise.objects.create(
        county=county, township=Township.objects.get(code="T02"), name="北关超市",
        credit_code=uscc_with_check("91410100MA1234567"),
    )  # fmt: skip
    return {
        "officers": officers,
        "admin": admin,
        "shop": shop,
        "other_shop": other_shop,
        "items": (held, other),
    }


def test_register_visit_checks_officers_and_powers(setup):
    from zhifa.supervision import inspections as svc

    o1, o2, expired = setup["officers"]
    shop = setup["shop"]
    with pytest.raises(ValidationError) as exc:
        svc.register_visit(
            o1, enterprise_id=shop.pk, visited_on=TODAY, officer_ids=[o1.pk], item_codes=["Z021"]
        )
    assert "两名以上" in str(exc.value)
    with pytest.raises(ValidationError) as exc:
        svc.register_visit(
            o1, enterprise_id=shop.pk, visited_on=TODAY, officer_ids=[o1.pk, expired.pk], item_codes=["Z021"]
        )
    assert "不在有效期内" in str(exc.value)
    # an item the township does not hold needs its department in the joint visit
    with pytest.raises(ValidationError) as exc:
        svc.register_visit(
            o1,
            enterprise_id=shop.pk,
            visited_on=TODAY,
            officer_ids=[o1.pk, o2.pk],
            item_codes=["Z021", "Z030"],
        )
    assert "Z030" in str(exc.value) and "D02" in str(exc.value)
    result = svc.register_visit(
        o1,
        enterprise_id=shop.pk,
        visited_on=TODAY,
        officer_ids=[o1.pk, o2.pk],
        item_codes=["Z021", "z030"],
        department_codes=["D02"],
    )
    visit = result.visit
    assert visit.item_codes == ["Z021", "Z030"] and visit.department_codes == ["D01", "D02"]
    assert result.alerts == [] and len(visit.token) > 20
    # a second visit to the grade-A shop in the same year is over its limit and a repeat
    second = svc.register_visit(
        o1, enterprise_id=shop.pk, visited_on=TODAY, officer_ids=[o1.pk, o2.pk], item_codes=["Z021"]
    )
    assert {a["code"] for a in second.alerts} == {"FREQ-CREDIT-LIMIT", "FREQ-REPEAT-ITEM"}
    assert second.visit.has_alert


def test_township_officer_cannot_register_other_township(setup):
    from zhifa.supervision import inspections as svc
    from zhifa.supervision.models import Enterprise

    o1, o2, _ = setup["officers"]
    with pytest.raises(Enterprise.DoesNotExist):
        svc.register_visit(
            o1, enterprise_id=setup["other_shop"].pk, visited_on=TODAY, officer_ids=[o1.pk, o2.pk],
            item_codes=["Z021"],
        )  # fmt: skip


def test_plan_tasks_and_approval(setup):
    from zhifa.supervision import inspections as svc

    admin = setup["admin"]
    plan = svc.create_plan(admin, 2026)
    with pytest.raises(ValidationError, match="没有检查任务"):
        svc.approve_plan(admin, plan.pk, TODAY)
    with pytest.raises(ValidationError, match="Z999"):
        svc.add_plan_task(admin, plan.pk, scene="沿街商铺", month=5, item_codes=["Z021", "Z999"])
    task = svc.add_plan_task(admin, plan.pk, scene="沿街商铺", month=5, item_codes=["Z021", "Z030"])
    assert task.department_codes == ["D01", "D02"]
    svc.approve_plan(admin, plan.pk, TODAY)
    with pytest.raises(ValidationError, match="已批准"):
        svc.add_plan_task(admin, plan.pk, scene="沿街商铺", month=6, item_codes=["Z021"])


def test_enterprise_registration_validates_credit_code(setup):
    from zhifa.supervision import inspections as svc

    o1 = setup["officers"][0]
    with pytest.raises(ValidationError) as exc:
        svc.register_enterprise(o1, name="", credit_code="91350100M000100Y44", credit_grade="E")
    text = str(exc.value)
    assert "校验位" in text and "名称" in text and "信用等级" in text
    with pytest.raises(ValidationError, match="已登记"):
        svc.register_enterprise(o1, name="重复", credit_code="91350100M000100Y43")


def test_scan_page_shows_credentials_and_takes_one_rating(setup, client):
    from zhifa.supervision import inspections as svc

    o1, o2, _ = setup["officers"]
    visit = svc.register_visit(
        o1, enterprise_id=setup["shop"].pk, visited_on=TODAY, officer_ids=[o1.pk, o2.pk], item_codes=["Z021"]
    ).visit
    url = reverse("web:supervision:scan", args=[visit.token])
    page = client.get(url).content.decode()
    assert "豫A00000" in page and "证件有效" in page and "城市市容和环境卫生管理条例" in page
    visit.refresh_from_db()
    assert visit.scanned_at is not None
    bad = client.post(url, {"rating": "9"}).content.decode()
    assert "1至5星" in bad
    client.post(url, {"rating": "4", "comment": "态度好"})
    visit.refresh_from_db()
    assert visit.rating == 4
    again = client.post(url, {"rating": "1"}).content.decode()
    assert "不能重复评价" in again
    visit.refresh_from_db()
    assert visit.rating == 4
    assert client.get(reverse("web:supervision:scan", args=["no-such-token"])).status_code == 404


def test_visit_pages_scoped(setup, client, make_user):
    from zhifa.supervision import inspections as svc

    o1, o2, _ = setup["officers"]
    visit = svc.register_visit(
        o1, enterprise_id=setup["shop"].pk, visited_on=TODAY, officer_ids=[o1.pk, o2.pk], item_codes=["Z021"]
    ).visit
    detail = reverse("web:supervision:inspection_detail", args=[visit.pk])
    client.force_login(o1)
    page = client.get(detail).content.decode()
    assert "<svg" in page and visit.token in page
    client.force_login(make_user(roles.OFFICER, township="T02", username="t2o"))
    assert client.get(detail).status_code == 404
    assert "东城小吃店" not in client.get(reverse("web:supervision:inspections")).content.decode()
    client.force_login(make_user(roles.SUPERVISOR, username="sup"))
    assert client.get(detail).status_code == 200


def test_enterprise_list_queries_do_not_grow_with_rows(setup, client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from zhifa.supervision.models import Enterprise

    o1 = setup["officers"][0]
    client.force_login(o1)
    url = reverse("web:supervision:enterprises")
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for i in range(5):
        Enterprise.objects.create(
            county=setup["shop"].county, township=setup["shop"].township, name=f"店{i}",
            credit_code=uscc_with_check(f"9135010000000000{i}"),
        )  # fmt: skip
    with CaptureQueriesContext(connection) as many:
        page = client.get(url).content.decode()
    assert "店4" in page
    assert len(many.captured_queries) == len(few.captured_queries)
