"""Correcting and ending entrustments early (提前终止): rules, holding_on, scoping, history page."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from zhifa.catalogue import services
from zhifa.catalogue.models import Entrustment, EntrustmentItem, Item
from zhifa.org.models import Department, Township

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(make_user):
    return make_user("admin", username="countyadmin")


@pytest.fixture
def t1_admin(make_user):
    return make_user("township_admin", township="T01", username="t1admin")


@pytest.fixture
def current(small, county):
    """T01's A003 entrustment moved around today, plus a second entrusted item A005 of D02."""
    today = timezone.localdate()
    e = Entrustment.objects.get(doc_no="林委〔2026〕1号")
    e.valid_from, e.valid_to = today - dt.timedelta(days=30), today + dt.timedelta(days=200)
    e.save()
    a5 = Item.objects.create(
        county=county,
        code="A005",
        name="对无证运输木材的处罚",
        action_type="penalty",
        source="entrusted",
        domain="林业",
        department=Department.objects.get(code="D02"),
        legal_basis="《森林法》",
    )
    return {"e": e, "today": today, "a5": a5}


def _messages(exc: ValidationError) -> list[str]:
    return [m for ms in exc.message_dict.values() for m in ms] if hasattr(exc, "error_dict") else exc.messages


def test_end_early_stops_the_entrusted_item_from_that_date(small, admin, current):
    e, today = current["e"], current["today"]
    on = today + dt.timedelta(days=10)
    assert services.holding_on("T01", "A003", on).held
    services.end_entrustment(admin, e.pk, on, "乡镇执法力量调整", today=today)
    e.refresh_from_db()
    assert e.ended_on == on and e.end_reason == "乡镇执法力量调整" and e.last_day == on - dt.timedelta(days=1)
    before = services.holding_on("T01", "A003", on - dt.timedelta(days=1))
    assert before.held and before.held_until == on - dt.timedelta(days=1)
    refused = services.holding_on("T01", "A003", on)
    assert not refused.held
    assert refused.reason == f"委托已提前终止：委托书林委〔2026〕1号自{on:%Y-%m-%d}起终止（乡镇执法力量调整）"
    assert refused.entrustment["valid_to"] == on - dt.timedelta(days=1)  # last day covered
    assert "A003" not in services.held_item_codes("T01", on)
    assert "A003" in services.held_item_codes("T01", on - dt.timedelta(days=1))
    assert services.entrustment_state(e, today) == "即将终止"
    assert services.entrustment_state(e, on) == "已终止"
    # An ended entrustment no longer warns of expiry.
    assert e not in services.expiring_entrustments(today=e.valid_to - dt.timedelta(days=5))


def test_end_rules(small, admin, current, t1_admin):
    e, today = current["e"], current["today"]
    with pytest.raises(ValidationError) as exc:
        services.end_entrustment(admin, e.pk, today - dt.timedelta(days=1), "", today=today)
    msgs = _messages(exc.value)
    assert "终止理由：不能为空" in msgs
    assert any(m.startswith("终止日期：不能早于今天") for m in msgs)
    with pytest.raises(ValidationError, match="晚于有效期届满日"):
        services.end_entrustment(admin, e.pk, e.valid_to + dt.timedelta(days=1), "x", today=today)
    with pytest.raises(ValidationError, match="请填写日期"):
        services.end_entrustment(admin, e.pk, None, "x", today=today)
    with pytest.raises(PermissionDenied):
        services.end_entrustment(t1_admin, e.pk, today, "x", today=today)
    services.end_entrustment(admin, e.pk, today, "撤回", today=today)
    with pytest.raises(ValidationError, match=r"已提前终止（自.*起），不能再终止"):
        services.end_entrustment(admin, e.pk, today, "again", today=today)
    with pytest.raises(ValidationError, match="不能再修改"):
        services.update_entrustment(
            admin, e.pk, doc_no="x", item_codes=["A003"], valid_from=today, valid_to=today, today=today
        )
    expired = Entrustment.objects.get(doc_no="林委〔2025〕2号")
    with pytest.raises(ValidationError, match="已于2025-12-31到期"):
        services.end_entrustment(admin, expired.pk, today, "x", today=today)


def test_update_doc_no_term_and_items(small, admin, current, t1_admin):
    e, today = current["e"], current["today"]
    new_to = today + dt.timedelta(days=400)
    services.update_entrustment(
        admin,
        e.pk,
        doc_no="林委〔2026〕1号（更正）",
        item_codes=["A003", "A005"],
        valid_from=e.valid_from,
        valid_to=new_to,
        today=today,
    )
    e.refresh_from_db()
    assert e.doc_no == "林委〔2026〕1号（更正）" and e.valid_to == new_to
    assert sorted(e.items.values_list("code", flat=True)) == ["A003", "A005"]
    assert services.holding_on("T01", "A003", new_to).held_until == new_to
    services.update_entrustment(
        admin,
        e.pk,
        doc_no=e.doc_no,
        item_codes=["A005"],
        valid_from=e.valid_from,
        valid_to=new_to,
        today=today,
    )
    assert list(EntrustmentItem.objects.filter(entrustment=e).values_list("item__code", flat=True)) == [
        "A005"
    ]
    assert services.holding_on("T01", "A003", today).reason == "无有效委托：该委托事项没有委托书"
    with pytest.raises(ValidationError) as exc:
        services.update_entrustment(
            admin,
            e.pk,
            doc_no="林委〔2025〕2号",
            item_codes=["A001", "NOPE"],
            valid_from=today,
            valid_to=today - dt.timedelta(days=1),
            today=today,
        )
    msgs = _messages(exc.value)
    assert "委托书文号：林委〔2025〕2号已登记" in msgs
    assert "委托事项：A001不是委托事项" in msgs and "委托事项：NOPE不存在" in msgs
    assert "有效期至：不能早于有效期起始日期" in msgs
    with pytest.raises(ValidationError, match="有效期至：不能早于今天"):
        services.update_entrustment(
            admin,
            e.pk,
            doc_no=e.doc_no,
            item_codes=["A005"],
            valid_from=e.valid_from,
            valid_to=today - dt.timedelta(days=1),
            today=today,
        )
    with pytest.raises(PermissionDenied):
        services.update_entrustment(
            t1_admin, e.pk, doc_no="x", item_codes=["A005"], valid_from=today, valid_to=today, today=today
        )


def test_pages_edit_end_and_show_history(client, small, admin, current, t1_admin, make_user):
    e, today = current["e"], current["today"]
    client.force_login(t1_admin)
    page = client.get(f"/catalogue/entrustments/{e.pk}/").content.decode()
    assert "林委〔2026〕1号" in page and "提前终止</button>" not in page and "修改委托书</a>" not in page
    assert client.get(f"/catalogue/entrustments/{e.pk}/edit/").status_code == 403
    assert (
        client.post(
            f"/catalogue/entrustments/{e.pk}/", {"ended_on": f"{today}", "end_reason": "x"}
        ).status_code
        == 403
    )
    # Another township's entrustment: 404 even to read.
    other = Entrustment.objects.get(doc_no="林委〔2025〕2号")
    assert client.get(f"/catalogue/entrustments/{other.pk}/").status_code == 404

    client.force_login(admin)
    form = client.get(f"/catalogue/entrustments/{e.pk}/edit/").content.decode()
    assert 'value="林委〔2026〕1号"' in form and "A005" in form and "A001" not in form
    bad = client.post(
        f"/catalogue/entrustments/{e.pk}/edit/",
        {"doc_no": "", "valid_from": f"{e.valid_from}", "valid_to": f"{e.valid_to}", "items": ["A003"]},
    )
    assert "委托书文号：不能为空" in bad.content.decode()
    r = client.post(
        f"/catalogue/entrustments/{e.pk}/edit/",
        {
            "doc_no": "林委〔2026〕9号",
            "valid_from": f"{e.valid_from}",
            "valid_to": f"{e.valid_to}",
            "items": ["A003", "A005"],
        },
    )
    assert r.status_code == 302
    end = today + dt.timedelta(days=3)
    bad = client.post(f"/catalogue/entrustments/{e.pk}/", {"ended_on": "", "end_reason": ""}).content.decode()
    assert "终止理由：不能为空" in bad and "终止日期：请填写日期（YYYY-MM-DD）" in bad
    r = client.post(f"/catalogue/entrustments/{e.pk}/", {"ended_on": f"{end}", "end_reason": "机构改革"})
    assert r.status_code == 302
    page = client.get(f"/catalogue/entrustments/{e.pk}/").content.decode()
    assert "即将终止" in page and "机构改革" in page
    history = page.split('id="history"')[1]
    assert (
        "登记委托书" in history
        and "修改委托书" in history
        and "委托书文号：林委〔2026〕1号 → 林委〔2026〕9号" in history
    )
    assert "加入委托事项A005" in history and "提前终止" in history and "countyadmin" in history
    assert "修改委托书</a>" not in page  # ended: no more changes
    listing = client.get("/catalogue/entrustments/").content.decode()
    assert f"/catalogue/entrustments/{e.pk}/" in listing and "起提前终止" in listing
    t1 = Township.objects.get(code="T01")
    assert services.holding_on(t1, "A003", end - dt.timedelta(days=1)).held
    assert services.holding_on(t1, "A003", end).reason.startswith("委托已提前终止：委托书林委〔2026〕9号")


def test_api_shows_early_end(client, small, admin, current):
    e, today = current["e"], current["today"]
    services.end_entrustment(admin, e.pk, today + dt.timedelta(days=1), "调整", today=today)
    client.force_login(admin)
    row = next(r for r in client.get("/api/catalogue/entrustments/").json()["results"] if r["id"] == e.pk)
    assert row["ended_on"] == f"{today + dt.timedelta(days=1)}" and row["end_reason"] == "调整"
    assert row["state"] == "即将终止"


def test_rows_logged_before_the_early_end_columns_still_verify(small, admin, current):
    """Entrustments audited before migration 0002 have no ended_on/end_reason in their image."""
    from zhifa.catalogue import integrity
    from zhifa.core.models import AuditEntry

    e = current["e"]
    last = (
        AuditEntry.objects.filter(model="catalogue.Entrustment", object_id=str(e.pk)).order_by("-id").first()
    )
    old_image = {k: v for k, v in last.after.items() if k not in ("ended_on", "end_reason")}
    AuditEntry.objects.filter(pk=last.pk).update(after=old_image)
    assert integrity.check_rows() == []
    # A value in the new column that the log never saw is still found.
    Entrustment.objects.filter(pk=e.pk).update(end_reason="私改")
    assert any("终止理由" in p for p in integrity.check_rows())
