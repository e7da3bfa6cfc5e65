"""Demo step: the 城关街道 (T01) team with certificates and training, and a few cases in various
states, each built through the same `do_*` actions an officer uses (so every step is checked)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal

D = dt.date

# username -> (kind, certificate number, valid to, home department code)
PROFILES = {
    "t01_officer1": ("officer", "示执1101001", D(2028, 12, 31), None),
    "t01_officer2": ("officer", "示执1101002", D(2028, 12, 31), None),
    "t01_seconded": ("seconded", "示执1101003", D(2027, 12, 31), "D01"),
    "t01_aux": ("auxiliary", "", None, None),
    "t01_reviewer": ("officer", "示执1101009", D(2029, 6, 30), None),
    "t02_officer1": ("officer", "示执1102001", D(2028, 12, 31), None),
}
TRAININGS = [
    ("t01_officer1", D(2026, 3, 12), "《行政处罚法》专题培训", Decimal("8")),
    ("t01_officer1", D(2026, 6, 18), "执法记录仪使用与全过程记录", Decimal("4")),
    ("t01_officer2", D(2026, 3, 12), "《行政处罚法》专题培训", Decimal("8")),
    ("t01_seconded", D(2026, 5, 20), "自然资源执法业务培训", Decimal("6")),
]
SHOP = {"kind": "organisation", "name": "城关老街餐饮有限公司", "address": "城关街道解放路18号"}
SITE = {"kind": "organisation", "name": "示范县宏达建筑工程有限公司", "address": "城关街道新城路工地"}
PERSON = {"kind": "individual", "name": "王某某", "address": "城关街道东关村"}
VENDOR = {"kind": "individual", "name": "赵某某（流动摊贩）", "address": "城关街道南关村"}


def _team(county) -> dict:
    from zhifa.cases.models import Officer, Squad, Training
    from zhifa.demo.accounts import ensure_accounts
    from zhifa.org.models import Department, Township, User

    ensure_accounts(county)
    users = {
        u.username: u for u in User.objects.filter(username__in=[*PROFILES, "t01_decider", "t01_decider2"])
    }
    t01 = Township.objects.filter(county=county, code="T01").first()
    if t01 is None:
        return users
    squad, _ = Squad.objects.get_or_create(
        township=t01, name="综合执法一中队", defaults={"domain": "市容环境"}
    )
    for username, (kind, cert, valid_to, dept) in PROFILES.items():
        u = users.get(username)
        if u is None or hasattr(u, "officer"):
            continue
        Officer.objects.create(
            user=u,
            township=u.township,
            kind=kind,
            cert_no=cert,
            cert_valid_from=D(2024, 1, 1) if cert else None,
            cert_valid_to=valid_to,
            home_department=Department.objects.filter(county=county, code=dept).first() if dept else None,
            squad=squad if u.township_id == t01.pk else None,
        )
    for username, day, title, hours in TRAININGS:
        u = users.get(username)
        if u is not None and not Training.objects.filter(officer__user=u, date=day, title=title).exists():
            Training.objects.create(officer=u.officer, date=day, title=title, hours=hours)
    return users


def _cases(users: dict, log: Callable[[str], None]) -> int:
    from zhifa.cases import actions as A
    from zhifa.cases.models import Case

    o1, o2, sec = users["t01_officer1"], users["t01_officer2"], users["t01_seconded"]
    rev, boss = users["t01_reviewer"], users["t01_decider"]
    made = 0

    def new(key: str, **kw) -> Case | None:
        nonlocal made
        if Case.objects.filter(source_report=key).exists():
            return None
        made += 1
        return A.do_open_case(o1, source_report=key, **kw)

    # 1. A major general-procedure case done right, closed.
    c = new(
        "DEMO-1",
        item_code="S019",
        procedure="general",
        party=SHOP,
        opened_on=D(2026, 9, 1),
        source="群众举报",
        violation={"began": "2026-08-20", "ended": None, "grave_harm": False},
        summary="居民楼底商新开餐馆无专用烟道排放油烟，群众多次举报。",
    )
    if c:
        A.do_file(boss, c, D(2026, 9, 1))
        A.do_add_event(o1, c, "investigated", D(2026, 9, 2), actors=[o1, o2])
        A.do_add_event(
            o1,
            c,
            "notice_served",
            D(2026, 9, 7),
            fields={"proposed_fine": 40000, "statement_days": 5, "hearing_right": True},
        )
        A.do_add_event(o1, c, "statement_received", D(2026, 9, 9), fields={"waived": False})
        A.do_legal_review(rev, c, D(2026, 9, 15), passed=True)
        # 负责人集体讨论: at least two leaders (处罚法 第57条第2款).
        A.do_add_event(boss, c, "collective_discussion", D(2026, 9, 15), actors=[users["t01_decider2"]])
        A.do_decide(boss, c, D(2026, 9, 16), fine=40000, circumstance="general", major=True)
        A.do_add_event(o1, c, "served", D(2026, 9, 17), fields={"method": "in_person"})
        A.do_add_event(o1, c, "disclosed", D(2026, 9, 18))
        A.do_add_event(o2, c, "paid", D(2026, 9, 28), fields={"amount": 40000, "surcharge": 0})
        A.do_close(o1, c, D(2026, 9, 29))

    # 2. In progress: notice served, waiting for the statement period to end.
    c = new(
        "DEMO-2",
        item_code="S021",
        procedure="general",
        party=SITE,
        opened_on=D(2026, 11, 16),
        source="网格员上报",
        violation={"began": "2026-11-14", "ended": "2026-11-16", "grave_harm": False},
        summary="工地夜间施工噪声扰民，网格员上报后转办。",
    )
    if c:
        A.do_file(boss, c, D(2026, 11, 16))
        A.do_add_event(o1, c, "investigated", D(2026, 11, 17), actors=[o1, sec])
        A.do_add_event(
            o1,
            c,
            "notice_served",
            D(2026, 11, 24),
            fields={"proposed_fine": 35000, "statement_days": 5, "hearing_right": True},
        )

    # 3. Decided but the decision was never served: a defect the supervisors see.
    c = new(
        "DEMO-3",
        item_code="S021",
        procedure="general",
        party={"kind": "organisation", "name": "示范县兴业建设有限公司"},
        opened_on=D(2026, 10, 9),
        source="巡查发现",
        violation={"began": "2026-10-08", "ended": "2026-10-09", "grave_harm": False},
    )
    if c:
        A.do_file(boss, c, D(2026, 10, 9))
        A.do_add_event(o1, c, "investigated", D(2026, 10, 9), actors=[o1, o2])
        A.do_add_event(
            o1,
            c,
            "notice_served",
            D(2026, 10, 12),
            fields={"proposed_fine": 33000, "statement_days": 3, "hearing_right": False},
        )
        A.do_decide(boss, c, D(2026, 10, 20), fine=33000, circumstance="general")

    # 4. Simple procedure on the spot: warning, handed over at once.
    c = new("DEMO-4", item_code="S018", procedure="simple", party=PERSON, opened_on=D(2026, 11, 3))
    if c:
        A.do_decide(
            o1,
            c,
            D(2026, 11, 3),
            kind="penalty",
            penalties=["warning"],
            fine=0,
            circumstance=None,
            on_spot_officers=[o1, o2],
        )
        A.do_close(o1, c, D(2026, 11, 3))

    # 5. Inspection with a rectification order and re-inspection.
    c = new("DEMO-5", item_code="S037", procedure="inspection", party=SHOP, opened_on=D(2026, 11, 2))
    if c:
        A.do_add_event(
            o1, c, "inspected", D(2026, 11, 2), actors=[o1, o2], fields={"result": "non_compliant"}
        )
        A.do_add_event(o1, c, "rectification_ordered", D(2026, 11, 2), fields={"deadline": "2026-11-16"})
        A.do_add_event(
            o1, c, "reinspected", D(2026, 11, 17), actors=[o1, sec], fields={"result": "compliant"}
        )
        A.do_close(o1, c, D(2026, 11, 17))

    # 6. Seizure running (30 days), on an item the township holds by 赋权: coercive measures
    # cannot be entrusted (《行政强制法》第十七条第一款), so never on an entrusted item.
    c = new(
        "DEMO-6",
        item_code="S027",
        procedure="coercive",
        party=VENDOR,
        opened_on=D(2026, 11, 10),
        violation={"began": "2026-10-01", "ended": None, "grave_harm": False},
        summary="在解放路人行道占道经营，经责令改正拒不改正，扣押经营用三轮车一辆。",
    )
    if c:
        A.do_file(boss, c, D(2026, 11, 10))
        A.do_add_event(
            o1,
            c,
            "seizure_started",
            D(2026, 11, 11),
            actors=[o1, o2],
            fields={"measure": "seizure", "term_days": 30, "items": "经营用三轮车1辆及货物"},
        )
    return made


def step(county, log: Callable[[str], None]) -> None:
    users = _team(county)
    needed = {"t01_officer1", "t01_officer2", "t01_seconded", "t01_reviewer", "t01_decider", "t01_decider2"}
    if not needed <= set(users):
        log("执法办案：缺少城关街道演示账号，跳过演示案件")
        return
    log(f"执法办案：新建演示案件{_cases(users, log)}件")
