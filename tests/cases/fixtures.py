"""A small township team and catalogue for case tests (plain function, used by the browser test too)."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

D = dt.date
_HASH: list[str] = []


def _password_hash() -> str:
    """The hash of the test password "Zhifa-test-2026", computed once per process."""
    if not _HASH:
        from django.contrib.auth.hashers import make_password

        _HASH.append(make_password("Zhifa-test-2026"))
    return _HASH[0]


def build_team(county) -> SimpleNamespace:
    """T01 holds Z028 (empowered) from 2026-01-01 and Z099 entrusted by D01 for 2026-01-01…06-30;
    Z100 is not in its catalogue. Officers o1, o2 (valid certificates), o3 (expired 2026-06-30),
    an auxiliary, a legal reviewer, a decider; one officer of T02."""
    from zhifa.cases.models import Officer, Squad
    from zhifa.catalogue.models import (
        CatalogueVersion,
        DiscretionTier,
        Entrustment,
        EntrustmentItem,
        Entry,
        Item,
    )
    from zhifa.catalogue.services import publish_version
    from zhifa.org import roles
    from zhifa.org.models import Department, Township, User

    t1 = Township.objects.get(code="T01")
    t2 = Township.objects.get(code="T02")
    d1 = Department.objects.get(code="D01")
    items = {}
    for code, name, source in [
        ("Z028", "对擅自占用城市道路、人行道摆摊设点的处罚", "empowered"),
        ("Z099", "对滥伐林木的处罚", "entrusted"),
        ("Z100", "对未取得建设工程规划许可证进行建设的处罚", "statutory"),
    ]:
        items[code] = Item.objects.create(
            county=county,
            code=code,
            name=name,
            action_type="penalty",
            source=source,
            department=d1,
            legal_basis="《城市道路管理条例》第二十七条",
        )
    DiscretionTier.objects.create(
        item=items["Z028"], tier="general", condition="一般", fine_min=500, fine_max=3000
    )
    DiscretionTier.objects.create(
        item=items["Z028"], tier="minor", condition="轻微", fine_min=0, fine_max=500
    )
    for t in (t1, t2):
        v = CatalogueVersion.objects.create(township=t, number=1)
        for code in ("Z028", "Z099"):
            e = Entry(version=v)
            e.fill_from(items[code])
            e.save()
        publish_version(v, D(2026, 1, 1), actor="测试")
    ent = Entrustment.objects.create(
        county=county,
        doc_no="林委〔2026〕1号",
        department=d1,
        township=t1,
        valid_from=D(2026, 1, 1),
        valid_to=D(2026, 6, 30),
    )
    EntrustmentItem.objects.create(entrustment=ent, item=items["Z099"])
    squad = Squad.objects.create(township=t1, name="市容中队", domain="市容环卫")

    def user(username, role, township=t1, full_name=None):
        # One password hash for every account: hashing is slow on purpose, a dozen of them per
        # test would dominate the suite's time.
        return User.objects.create(
            username=username,
            password=_password_hash(),
            role=role,
            township=township,
            county=county,
            full_name=full_name or username,
        )

    def officer(u, cert_no, valid_to, kind=Officer.OFFICER, **kw):
        Officer.objects.create(
            user=u,
            township=u.township,
            kind=kind,
            cert_no=cert_no,
            cert_valid_from=D(2024, 1, 1),
            cert_valid_to=valid_to,
            squad=squad if u.township == t1 else None,
            **kw,
        )
        return u

    ns = SimpleNamespace(county=county, t1=t1, t2=t2, items=items, squad=squad)
    ns.o1 = officer(user("o1", roles.OFFICER, full_name="王建军"), "晋执0001", D(2028, 12, 31))
    ns.o2 = officer(user("o2", roles.OFFICER, full_name="李春梅"), "晋执0002", D(2028, 12, 31))
    ns.o3 = officer(user("o3", roles.OFFICER, full_name="张过期"), "晋执0003", D(2026, 6, 30))
    ns.sec = officer(
        user("sec", roles.SECONDED_OFFICER, full_name="赵派驻"),
        "晋执0004",
        D(2028, 12, 31),
        kind=Officer.SECONDED,
        home_department=d1,
    )
    ns.aux = officer(user("aux", roles.AUXILIARY, full_name="孙辅助"), "", None, kind=Officer.AUXILIARY)
    ns.reviewer = officer(user("rev", roles.LEGAL_REVIEWER, full_name="周法审"), "晋执0009", D(2028, 12, 31))
    ns.decider = user("boss", roles.DECIDER, full_name="陈队长")
    ns.decider2 = user("boss2", roles.DECIDER, full_name="刘副队长")
    ns.other = officer(
        user("t2o", roles.OFFICER, township=t2, full_name="北关队员"), "晋执2001", D(2028, 12, 31)
    )
    ns.other2 = officer(
        user("t2o2", roles.OFFICER, township=t2, full_name="北关队员二"), "晋执2002", D(2028, 12, 31)
    )
    ns.procurator = user("proc", roles.PROCURATOR, township=None)
    return ns
