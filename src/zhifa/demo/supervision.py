"""Demo supervision data: enterprises, an inspection plan and visits, letters, a citizen supervisor.

Idempotent: every object is looked up by a natural key before it is created. Runs after the
catalogue, grid, cases and dispatch steps (officers with certificates come from the cases step).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from django.utils import timezone

ENTERPRISES = [
    # township, name, first 17 chars of the credit code, scene, grade
    ("T01", "城关街道顺意餐饮店", "92410100MA1D00001", "餐饮服务", "B"),
    ("T01", "城关街道鑫源建材商行", "92410100MA1D00002", "沿街商铺", "A"),
    ("T01", "城关安居花园二期工地", "91410100MA1D00003", "建筑工地", "C"),
    ("T02", "新华街道便民超市", "92410100MA1D00004", "沿街商铺", "B"),
]


def step(county, log: Callable[[str], None]) -> None:
    from zhifa.demo.accounts import ensure_accounts
    from zhifa.org import roles
    from zhifa.org.models import Township, User
    from zhifa.rules.inspections import uscc_with_check
    from zhifa.supervision import inspections, services
    from zhifa.supervision.models import (
        CitizenSupervisor,
        Enterprise,
        InspectionPlan,
        InspectionVisit,
        Letter,
    )

    ensure_accounts(county)
    made = 0
    for tcode, name, first17, scene, grade in ENTERPRISES:
        township = Township.objects.filter(code=tcode, county=county).first()
        if township is None:
            continue
        _, created = Enterprise.objects.get_or_create(
            county=county,
            credit_code=uscc_with_check(first17),
            defaults={"township": township, "name": name, "scene": scene, "credit_grade": grade},
        )
        made += created

    today = timezone.localdate()
    t01 = Township.objects.filter(code="T01", county=county).first()
    admin = User.objects.filter(username="t01_admin").first()
    officers = list(User.objects.filter(username__in=["t01_officer1", "t01_officer2"]).order_by("username"))
    from zhifa.catalogue.services import held_item_codes

    held = sorted(held_item_codes("T01", today)) if t01 else []
    if t01 and admin and held and not InspectionPlan.objects.filter(township=t01, year=today.year).exists():
        plan = inspections.create_plan(admin, today.year)
        inspections.add_plan_task(admin, plan.pk, scene="沿街商铺", month=today.month, item_codes=held[:3])
        inspections.approve_plan(admin, plan.pk, today)
    shop = Enterprise.objects.filter(county=county, name="城关街道顺意餐饮店").first()
    if shop and len(officers) == 2 and held and not InspectionVisit.objects.filter(enterprise=shop).exists():
        try:
            inspections.register_visit(
                officers[0],
                enterprise_id=shop.pk,
                visited_on=today - dt.timedelta(days=3),
                officer_ids=[o.pk for o in officers],
                item_codes=held[:2],
            )
        except Exception as exc:  # demo data must never stop `make serve`
            log(f"演示检查登记未创建：{exc}")

    supervisor = User.objects.filter(username="supervisor", role=roles.SUPERVISOR).first()
    if supervisor and t01 and not Letter.objects.filter(county=county).exists():
        services.issue_letter(
            supervisor,
            township=t01,
            kind=Letter.SUPERVISION,
            subject="占道经营案件处罚决定公示不及时",
            body="经平台自动审查，你街道部分普通程序处罚决定未在7个工作日内公示，请依法整改并书面答复。",
            issued_on=today - dt.timedelta(days=10),
        )
    if supervisor and not CitizenSupervisor.objects.filter(county=county).exists():
        services.appoint_citizen_supervisor(
            supervisor, name="周明", phone="", organisation="县人大代表", appointed_on=today
        )
    log(f"监督演示数据：检查对象新增{made}个")
