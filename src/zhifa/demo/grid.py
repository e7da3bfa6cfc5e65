"""Demo step: the demo county's grid map (data/grid/demo.geojson), grid staff, enforcement grids, elements.

The map is made by `python -m zhifa.grid.generate demo` (committed, so every load is identical).
The townships T01–T04 are created here if the catalogue step has not made them yet.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from zhifa.grid import index
from zhifa.grid.importer import GridImportError, import_features, parse
from zhifa.grid.models import Element, EnforcementGrid, GridStaff, GridUnit

DATA = Path(__file__).parent / "data" / "grid" / "demo.geojson"
TOWNSHIPS = [  # the same as data/catalogue/townships.csv
    ("T01", "城关街道", "街道", "城区"),
    ("T02", "新华街道", "街道", "城区"),
    ("T03", "柳泉镇", "镇", "农村"),
    ("T04", "石岭乡", "乡", "农村"),
]
# username, role, unit codes (demo accounts from accounts.py)
STAFF = [
    (
        "t01_grid",
        GridStaff.WORKER,
        ["T01-C01-G01-M01", "T01-C01-G01-M02", "T01-C01-G01-M03", "T01-C01-G01-M04"],
    ),
    ("t01_patrol", GridStaff.ASSISTANT, ["T01-C01-G01-M01", "T01-C01-G01-M02"]),
    ("t01_admin", GridStaff.LEADER, ["T01-C01"]),
]
# code, name, township, community prefix whose micro grids it covers, officers
ENFORCEMENT = [
    ("T01-E01", "城关街道第一执法网格", "T01", "T01-C01-", ["t01_officer1", "t01_officer2"]),
    ("T01-E02", "城关街道第二执法网格", "T01", "T01-C02-", ["t01_seconded", "t01_officer1"]),
    ("T02-E01", "新华街道第一执法网格", "T02", "T02-C01-", ["t02_officer1"]),
]
# kind, name, address, unit whose representative point places it
ELEMENTS = [
    (Element.SHOP, "东关便民超市", "东关路12号", "T01-C01-G01-M01"),
    (Element.CONSTRUCTION, "西关棚户区改造工地", "西关大街北段", "T01-C02-G01-M02"),
    (Element.RISK, "南街燃气调压站", "南街38号", "T01-C03-G02-M01"),
    (Element.PUBLIC_PLACE, "城关人民广场", "人民路与解放路交叉口", "T01-C01-G02-M03"),
    (Element.SHOP, "新华路餐饮一条街", "新华路", "T02-C01-G01-M02"),
    (Element.RISK, "柳泉河堤险工段", "柳泉村东", "T03-C01-G02-M04"),
]


def step(county, log: Callable[[str], None]) -> None:
    from zhifa.demo.accounts import ensure_accounts
    from zhifa.org.models import Township, User

    for code, name, kind, setting in TOWNSHIPS:
        Township.objects.get_or_create(
            code=code, defaults={"county": county, "name": name, "kind": kind, "setting": setting}
        )
    errors: list[str] = []
    features = parse(DATA.read_bytes(), DATA.name, errors)
    try:
        result = import_features(features, source=DATA.name, county=county, parse_errors=errors)
    except GridImportError as exc:  # the shipped file is ours: an error here is a bug in it
        raise RuntimeError("演示网格数据有误：\n" + "\n".join(exc.errors))
    log(f"网格地图：{result.summary()}")

    # The accounts step runs last; staff need the accounts now (ensure_accounts is idempotent).
    ensure_accounts(county)
    users = {u.username: u for u in User.objects.filter(county=county)}
    units = {u.code: u for u in GridUnit.objects.filter(county=county)}
    posts = 0
    for username, role, codes in STAFF:
        if username not in users:
            continue
        for code in codes:
            _, created = GridStaff.objects.get_or_create(unit=units[code], user=users[username], role=role)
            posts += created
    for code, name, tcode, prefix, officers in ENFORCEMENT:
        eg, _ = EnforcementGrid.objects.get_or_create(
            county=county, code=code, defaults={"name": name, "township": units[tcode].township}
        )
        eg.micro_grids.set([u for c, u in units.items() if c.startswith(prefix) and u.level == "micro"])
        eg.officers.set([users[o] for o in officers if o in users])
    idx = index.get_index(force_check=True)
    added = 0
    for kind, name, address, code in ELEMENTS:
        if Element.objects.filter(county=county, name=name).exists():
            continue
        p = _inside(units[code])
        loc = idx.locate(p.x, p.y)
        unit = units[loc.dedicated or loc.micro] if loc else units[code]
        Element.objects.create(
            county=county,
            township=unit.township,
            unit=unit,
            kind=kind,
            name=name,
            address=address,
            lon=round(p.x, 6),
            lat=round(p.y, 6),
        )
        added += 1
    log(f"网格人员：新任命{posts}人次；执法网格{len(ENFORCEMENT)}个；网格要素：新增{added}个")


def _inside(unit: GridUnit):
    from shapely.geometry import shape

    return shape(json.loads(unit.geometry)).representative_point()
