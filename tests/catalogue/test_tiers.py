"""Editing discretion benchmarks (裁量基准): validation, scoping, fine_range, public page, API."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from zhifa.catalogue import services
from zhifa.catalogue.models import DiscretionTier
from zhifa.core.models import AuditEntry

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(make_user):
    return make_user("admin", username="countyadmin")


@pytest.fixture
def t1_admin(make_user):
    return make_user("township_admin", township="T01", username="t1admin")


def _row(condition="", fine_min="", fine_max=""):
    return {"condition": condition, "fine_min": fine_min, "fine_max": fine_max}


def _all(**rows):
    return {code: rows.get(code, _row()) for code in ("minor", "general", "serious", "severe")}


def _messages(exc: ValidationError) -> list[str]:
    return [m for ms in exc.message_dict.values() for m in ms] if hasattr(exc, "error_dict") else exc.messages


def test_save_replaces_the_benchmark_and_fine_range_follows(small, admin):
    a2 = small["items"]["A002"]
    before = AuditEntry.objects.filter(model="catalogue.DiscretionTier").count()
    services.save_tiers(
        admin,
        a2.pk,
        _all(
            minor=_row("初次违法", "", ""),
            general=_row("一般情形", "2000", "8000.5"),
            serious=_row("较重情形", "8000", "30000"),
            severe=_row("严重情形", "30000", "50000"),
        ),
    )
    assert services.fine_range("A002", "minor") is None  # warning only: no fine
    assert services.fine_range("A002", "一般") == (Decimal("2000.00"), Decimal("8000.50"))
    assert services.fine_range(a2, "serious") == (Decimal("8000"), Decimal("30000"))
    assert services.fine_range(a2, "严重") == (Decimal("30000"), Decimal("50000"))
    # Every change is audited (minor and general updated, serious created, severe updated).
    assert AuditEntry.objects.filter(model="catalogue.DiscretionTier").count() - before == 4
    # Leaving a tier empty removes it.
    services.save_tiers(admin, a2.pk, _all(general=_row("一般情形", "2000", "8000.5")))
    assert list(DiscretionTier.objects.filter(item=a2).values_list("tier", flat=True)) == ["general"]
    assert services.fine_range(a2, "serious") is None


def test_saving_the_same_values_writes_nothing(small, admin):
    a2 = small["items"]["A002"]
    same = {
        "minor": _row("初次", "1000", "5000"),
        "general": _row("一般", "5000.00", "20000"),
        "severe": _row("严重"),
    }
    before = AuditEntry.objects.count()
    services.save_tiers(admin, a2.pk, same)
    assert AuditEntry.objects.count() == before


@pytest.mark.parametrize(
    "rows, message",
    [
        ({"general": _row("一般", "9000", "100")}, "一般档：罚款下限9000元大于上限100元"),
        ({"general": _row("一般", "-1", "100")}, "一般档罚款下限：不能为负数"),
        ({"general": _row("一般", "1.005", "100")}, "一般档罚款下限：金额最多保留两位小数（到分）"),
        ({"general": _row("一般", "abc", "100")}, "一般档罚款下限：“abc”不是有效金额，请填写数字（元）"),
        ({"general": _row("一般", "100", "")}, "一般档：罚款下限和上限应同时填写，或同时留空（该档不罚款）"),
        ({"general": _row("", "100", "200")}, "一般档适用情形：不能为空（不设该档请将适用情形和金额都留空）"),
        (
            {"minor": _row("轻微", "1000", "5000"), "serious": _row("较重", "500", "8000")},
            "较重档：罚款下限500元低于较轻的“轻微”档下限1000元，情节越重罚款幅度不能越低",
        ),
        (
            {"minor": _row("轻微", "1000", "5000"), "severe": _row("严重", "2000", "4000")},
            "严重档：罚款上限4000元低于较轻的“轻微”档上限5000元，情节越重罚款幅度不能越低",
        ),
    ],
)
def test_validation_messages_in_chinese(small, admin, rows, message):
    a2 = small["items"]["A002"]
    stored = list(DiscretionTier.objects.filter(item=a2).order_by("tier").values())
    with pytest.raises(ValidationError) as exc:
        services.save_tiers(admin, a2.pk, _all(**rows))
    assert message in _messages(exc.value)
    assert list(DiscretionTier.objects.filter(item=a2).order_by("tier").values()) == stored  # nothing written


def test_all_errors_at_once_and_touching_ranges_allowed(small, admin):
    a2 = small["items"]["A002"]
    with pytest.raises(ValidationError) as exc:
        services.save_tiers(admin, a2.pk, _all(minor=_row("", "x", "1"), severe=_row("严重", "5", "1")))
    msgs = _messages(exc.value)
    assert any("轻微档罚款下限" in m for m in msgs) and any(
        "严重档：罚款下限5元大于上限1元" in m for m in msgs
    )
    # A graver tier may start where the lighter one ends (the benchmark county's ranges do).
    services.save_tiers(admin, a2.pk, _all(minor=_row("a", "0", "100"), general=_row("b", "100", "100")))
    assert services.fine_range(a2, "general") == (Decimal("100"), Decimal("100"))


def test_only_penalty_items_and_only_county_admins(small, admin, t1_admin):
    a4 = small["items"]["A004"]  # an inspection item
    with pytest.raises(ValidationError, match="不是行政处罚事项"):
        services.save_tiers(admin, a4.pk, _all(general=_row("一般", "1", "2")))
    with pytest.raises(PermissionDenied):
        services.save_tiers(t1_admin, small["items"]["A002"].pk, _all())
    assert DiscretionTier.objects.filter(item=small["items"]["A002"]).count() == 3


def test_web_form_saves_and_public_page_shows_new_range(client, small, admin, t1_admin):
    a2 = small["items"]["A002"]
    client.force_login(t1_admin)
    page = client.get(f"/catalogue/items/{a2.pk}/").content.decode()
    assert "保存裁量基准" not in page
    form = {"general_condition": "一般情形", "general_fine_min": "3000", "general_fine_max": "12000"}
    assert client.post(f"/catalogue/items/{a2.pk}/tiers/", form).status_code == 403
    assert services.fine_range(a2, "general") == (Decimal("5000"), Decimal("20000"))

    client.force_login(admin)
    page = client.get(f"/catalogue/items/{a2.pk}/").content.decode()
    assert "保存裁量基准" in page and 'name="general_fine_max" value="20000"' in page
    bad = client.post(f"/catalogue/items/{a2.pk}/tiers/", {**form, "general_fine_min": "30000"})
    assert "一般档：罚款下限30000元大于上限12000元" in bad.content.decode()
    assert 'value="30000"' in bad.content.decode()  # the posted values stay in the form
    r = client.post(f"/catalogue/items/{a2.pk}/tiers/", form)
    assert r.status_code == 302
    assert services.fine_range(a2, "general") == (Decimal("3000"), Decimal("12000"))
    assert services.fine_range(a2, "minor") is None  # left empty in the form: removed

    client.logout()
    public = client.get("/catalogue/public/T01/").content.decode()
    assert "3000～12000" in public and "5000～20000" not in public


def test_web_tier_form_is_absent_for_other_action_types(client, small, admin):
    client.force_login(admin)
    page = client.get(f"/catalogue/items/{small['items']['A004'].pk}/").content.decode()
    assert "保存裁量基准" not in page


def test_api_reads_and_writes_tiers(client, small, admin, t1_admin):
    a2 = small["items"]["A002"]
    url = f"/api/catalogue/items/{a2.pk}/tiers/"
    client.force_login(t1_admin)
    got = client.get(url).json()
    assert [t["tier"] for t in got["tiers"]] == ["minor", "general", "severe"]
    body = {"tiers": [{"tier": "一般", "condition": "一般", "fine_min": "1", "fine_max": "2"}]}
    denied = client.patch(url, body, content_type="application/json")
    assert denied.status_code == 403 and denied.json()["error"] == "只有县级系统管理员可以修改裁量基准。"
    assert client.put(url, body, content_type="application/json").status_code == 403
    assert services.fine_range(a2, "general") == (Decimal("5000"), Decimal("20000"))

    client.force_login(admin)
    r = client.patch(
        url,
        {"tiers": [{"tier": "serious", "condition": "较重", "fine_min": 20000, "fine_max": "40000"}]},
        content_type="application/json",
    )
    assert r.status_code == 200, r.content
    assert [t["tier"] for t in r.json()["tiers"]] == ["minor", "general", "serious", "severe"]
    assert services.fine_range(a2, "较重") == (Decimal("20000"), Decimal("40000"))
    r = client.put(url, body, content_type="application/json")
    assert r.status_code == 200 and [t["tier"] for t in r.json()["tiers"]] == ["general"]
    assert services.fine_range(a2, "一般") == (Decimal("1"), Decimal("2"))
    bad = client.patch(
        url,
        {"tiers": [{"tier": "general", "condition": "一般", "fine_min": "5", "fine_max": "1"}]},
        content_type="application/json",
    )
    assert bad.status_code == 400 and "一般档：罚款下限5元大于上限1元" in bad.json()["fields"]["tiers"]
    wrong = client.put(url, {"tiers": [{"tier": "极重"}]}, content_type="application/json")
    assert wrong.status_code == 400 and "裁量阶次“极重”无效" in wrong.json()["fields"]["tiers"][0]
    item = client.get(f"/api/catalogue/items/{a2.pk}/").json()
    assert item["tiers"] == [
        {"tier": "general", "tier_label": "一般", "condition": "一般", "fine_min": "1.00", "fine_max": "2.00"}
    ]
