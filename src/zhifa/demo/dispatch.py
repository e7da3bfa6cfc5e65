"""Demo reports in several states of the loop, a likely duplicate and a whistle.

Idempotent: every demo report has the client id `demo:<n>`; one that exists is left alone
(its transitions were applied when it was made). Locations are points inside the demo grid's
micro grids, so the real grid lookup and the real router decide township and item.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable

from django.utils import timezone

# n, township, text, how far through the loop ("received", "routed", "handling", "verifying", "closed")
REPORTS: list[tuple[int, str, str, str]] = [
    (1, "T01", "幸福路与人民路交叉口早上七点有十几个流动菜摊占道经营，行人只能走机动车道", "received"),
    (2, "T01", "建设街东段有人往路边倾倒建筑垃圾，堆了两三车，没有任何遮盖", "routed"),
    (3, "T01", "城关街道文化路一处工地晚上十一点还在打桩施工，噪音很大，居民睡不着", "handling"),
    (4, "T02", "新华街道某小区一楼住户在公共绿地上私自搭建彩钢板房", "verifying"),
    (5, "T01", "文化路一家饭店把桌椅摆到人行道上经营，晚上油烟和噪音都很大", "closed"),
    (8, "T03", "柳泉镇有人在承包的耕地里挖土烧砖，已经挖了好几亩", "routed"),
    (6, "T01", "小区门口路灯坏了一个多星期，晚上出行不安全，请维修", "routed"),
    (7, "T01", "幸福路人民路口流动菜摊占道经营，堵住了人行道", "received"),  # likely duplicate of 1
]

HANDLER_ACCOUNT = {
    "township:T01": "t01_officer1",
    "township:T02": "t02_officer1",
    "department:D01": "d01_staff",
}


def _points(county) -> dict[str, list[tuple[float, float]]]:
    """A few points inside micro grids of each township (representative points of the polygons)."""
    from shapely.geometry import shape

    from zhifa.grid.models import MICRO, GridUnit

    out: dict[str, list[tuple[float, float]]] = {}
    for unit in (
        GridUnit.objects.filter(county=county, level=MICRO).select_related("township").order_by("code")
    ):
        pts = out.setdefault(unit.township.code, [])
        if len(pts) < 6:
            p = shape(json.loads(unit.geometry)).representative_point()
            pts.append((round(p.x, 6), round(p.y, 6)))
    return out


def step(county, log: Callable[[str], None]) -> None:
    from zhifa.demo.accounts import ensure_accounts
    from zhifa.dispatch.actions.intake import do_intake
    from zhifa.dispatch.actions.whistle import do_whistle
    from zhifa.dispatch.models import Report, Whistle
    from zhifa.org.models import Township, User

    ensure_accounts(county)  # idempotent; the accounts step runs last but dispatch needs actors now
    users = {u.username: u for u in User.objects.filter(county=county)}
    points = _points(county)
    if not points:
        log("事件调度：网格地图为空，跳过演示事件")
        return
    _playbook(county, users)
    created = 0
    now = timezone.now()
    for n, tcode, text, stage in REPORTS:
        if Report.objects.filter(client_id=f"demo:{n}").exists():
            continue
        pts = points.get(tcode) or next(iter(points.values()))
        lon, lat = pts[(n - 1) % len(pts)] if n != 7 else pts[0]
        if n == 7:  # a few metres from report 1: the duplicate check flags it
            lon += 0.0001
        reporter = users.get("t01_grid") if tcode == "T01" else None
        result = do_intake(
            reporter,
            county=county,
            text=text,
            lon=lon,
            lat=lat,
            channel=Report.MOBILE if reporter else Report.HOTLINE,
            client_id=f"demo:{n}",
            reporter_name="" if reporter else "市民张先生",
            reporter_phone="" if reporter else "13800000000",
            anonymous=not reporter,
            reported_at=now - dt.timedelta(hours=30 - 3 * n),
            now=now - dt.timedelta(hours=30 - 3 * n),
        )
        created += 1
        _advance(result.report, stage, users)
    t01 = Township.objects.filter(code="T01").first()
    if t01 and users.get("t01_dispatch") and not Whistle.objects.filter(township=t01).exists():
        r = Report.objects.filter(client_id="demo:2").first()
        do_whistle(
            users["t01_dispatch"],
            township=t01,
            department_codes=[d for d in ("D01", "D02") if county.departments.filter(code=d).exists()],
            subject="建设街建筑垃圾倾倒联合整治",
            detail="请自然资源、住建部门派员到场，查明渣土来源。",
            respond_by=now + dt.timedelta(days=2),
            report_id=r.pk if r else None,
        )
    log(f"事件调度：新建演示事件{created}件")


def _playbook(county, users) -> None:
    """One plan for the demo: street vending on roads (the demo catalogue's S024), if present."""
    from zhifa.catalogue.models import Item
    from zhifa.dispatch import playbooks

    if users.get("county_dispatch") is None or not Item.objects.filter(county=county, code="S024").exists():
        return
    playbooks.save_playbook(
        users["county_dispatch"],
        county=county,
        code="YA-01",
        name="流动摊贩占道经营整治预案",
        item_codes=["S024"],
        steps=playbooks.parse_steps(
            "现场劝离并登记摊主信息|乡镇（街道）执法队|1\n"
            "引导入市或设置便民疏导点|乡镇（街道）|3\n"
            "连续三日复查，防止反弹|网格员|5"
        ),
        priority="urgent",
    )


def _advance(report, stage: str, users) -> None:
    from zhifa.dispatch.actions.loop import do_accept, do_callback, do_close, do_finish, do_verify
    from zhifa.dispatch.actions.route import do_route, handler_ref

    if stage == "received":
        return
    dispatcher = users.get("county_dispatch")
    if dispatcher is None:
        return
    do_route(dispatcher, report.pk)
    report.refresh_from_db()
    if stage == "routed":
        return
    handler = users.get(HANDLER_ACCOUNT.get(handler_ref(report), ""))
    if handler is None:
        return  # no demo account for that unit: it waits to be signed for
    do_accept(handler, report.pk)
    if stage == "handling":
        return
    do_finish(handler, report.pk, result="已责令当事人停止违法行为并限期整改，现场已恢复原状")
    if stage == "verifying":
        return
    do_verify(dispatcher, report.pk, passed=True, note="现场复核已整改到位")
    do_callback(dispatcher, report.pk, result="satisfied", note="举报人对处理结果满意")
    do_close(dispatcher, report.pk)
