"""A synthetic province for scale tests (issue 11): counties, thousands of townships, and
millions of reports with their steps, written straight into PostgreSQL with COPY.

Realistic in the ways that matter to the database: reports are spread over every township
(more in urban streets than in rural townships), over space (each township a box of its own,
points scattered inside it, not copies of a few points) and over time (the last `years` years,
weekday daytime peaks); most are closed, a few thousand per county are open, some of them late,
as a real queue is. Texts are drawn from a pool of report wordings with a varying place part, so
that text search and TOAST behave as with real data. Nothing here is audited: this is load data,
not records (the audit chain of a generated database covers only what happens afterwards).

Every row goes through COPY in batches; indexes stay in place (the generator measures what a
live database pays), and ANALYZE runs at the end so the planner sees the real distribution.
"""

from __future__ import annotations

import bisect
import datetime as dt
import json
import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone

from zhifa.dispatch.models import Report
from zhifa.org.models import County, Township
from zhifa.rules import dispatch_workflow as wf

TEXTS = [
    "{p}有人占道摆摊卖菜，影响通行",
    "{p}工地夜间施工，噪音很大睡不着",
    "{p}有人往路边倾倒建筑垃圾",
    "{p}餐馆油烟直排，楼上住户意见很大",
    "{p}违规搭建彩钢棚，已经搭了一半",
    "{p}河道里有人电鱼",
    "{p}店铺门口乱堆放杂物占用人行道",
    "{p}有人在绿化带里种菜，毁坏草坪",
    "{p}露天焚烧秸秆，烟很大",
    "{p}广告牌没有审批，挂在楼外墙上",
    "{p}渣土车沿路抛洒，路面全是泥",
    "{p}有人在山上砍树",
]
PLACES = ["东街", "西关路口", "菜市场旁", "学校对面", "河堤边", "老街", "工业园", "村口", "小区门口", "桥下"]
ITEMS = [f"Z{n:03d}" for n in range(1, 96)]
CHANNELS = [Report.MOBILE, Report.MOBILE, Report.HOTLINE, Report.API, Report.WEB]


@dataclass(frozen=True)
class Plan:
    counties: int = 20
    townships_per_county: int = 150
    reports: int = 1_000_000
    years: int = 3
    open_share: float = 0.004
    seed: int = 20261207
    prefix: str = "P"  # codes of generated counties and townships start with it
    batch: int = 50_000


def _copy(table: str, columns: list[str], rows: Iterator[tuple]) -> int:
    n = 0
    with connection.cursor() as cur, cur.cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as cp:
        for row in rows:
            cp.write_row(row)
            n += 1
    return n


def _org(plan: Plan, rng: random.Random) -> list[dict]:
    """Counties and townships (ORM: thousands of rows); each township gets a box on the map."""
    towns: list[dict] = []
    for c in range(plan.counties):
        county, _ = County.objects.get_or_create(
            code=f"{plan.prefix}{c:03d}", defaults={"name": f"规模测试第{c + 1}县"}
        )
        lon0, lat0 = 110.0 + (c % 10) * 0.9, 28.0 + (c // 10) * 0.7
        existing = {t.code: t for t in Township.objects.filter(county=county)}
        new = []
        for t in range(plan.townships_per_county):
            code = f"{plan.prefix}{c:03d}{t:04d}"
            if code not in existing:
                urban = t < plan.townships_per_county // 5
                new.append(
                    Township(
                        county=county,
                        code=code,
                        name=f"第{c + 1}县第{t + 1}{'街道' if urban else '镇'}",
                        kind="街道" if urban else "镇",
                        setting="城区" if urban else "农村",
                    )
                )
        Township.objects.bulk_create(new, batch_size=2000)
        for i, town in enumerate(Township.objects.filter(county=county).order_by("code")):
            col, row = i % 15, i // 15
            towns.append(
                {
                    "county": county.pk,
                    "township": town.pk,
                    "weight": 4.0 if town.kind == "街道" else 1.0,
                    "box": (lon0 + col * 0.06, lat0 + row * 0.05, 0.06, 0.05),
                }
            )
    rng.shuffle(towns)
    return towns


def _report_columns() -> list[str]:
    return [f.column for f in Report._meta.concrete_fields if not f.primary_key]


def _report_rows(plan: Plan, towns: list[dict], first_code: int, rng: random.Random) -> Iterator[tuple]:
    """Report rows in the column order of `_report_columns`, with the fields a generator sets."""
    fields = [f for f in Report._meta.concrete_fields if not f.primary_key]
    now = timezone.now().replace(microsecond=0)
    span = plan.years * 365 * 86400
    cum, total = [], 0.0
    for t in towns:
        total += t["weight"]
        cum.append(total)
    for i in range(plan.reports):
        town = towns[min(len(towns) - 1, bisect.bisect_left(cum, rng.random() * total))]
        x0, y0, w, h = town["box"]
        lon, lat = x0 + rng.random() * w, y0 + rng.random() * h
        # Weekday daytime peaks: push a share of the times towards 9–17 o'clock.
        at = now - dt.timedelta(seconds=int(span * rng.random() ** 1.3))
        if rng.random() < 0.6:
            at = at.replace(hour=9 + int(rng.random() * 8))
        is_open = rng.random() < plan.open_share
        status = rng.choice([wf.RECEIVED, wf.ROUTED, wf.HANDLING, wf.VERIFYING]) if is_open else wf.ARCHIVED
        if is_open:
            at = now - dt.timedelta(hours=rng.random() * 240)
        due = at + dt.timedelta(days=rng.choice([1, 2, 3, 5])) if is_open else None
        item = rng.choice(ITEMS)
        values = {
            "county": town["county"],
            "tracking_code": f"{plan.prefix}{first_code + i:011d}",
            "channel": rng.choice(CHANNELS),
            "text": rng.choice(TEXTS).format(p=rng.choice(PLACES)),
            "lon": round(lon, 6),
            "lat": round(lat, 6),
            "wgs_lon": round(lon, 6),
            "wgs_lat": round(lat, 6),
            "dup_cell": wf.duplicate_cell(lon, lat),
            "township": town["township"],
            "reported_at": at,
            "created_at": at + dt.timedelta(minutes=1),
            "updated_at": at + dt.timedelta(hours=2),
            "status": status,
            "item_code": "" if status == wf.RECEIVED else item,
            "handler_kind": Report.TOWNSHIP if status != wf.RECEIVED else Report.NONE,
            "handler_township": town["township"] if status != wf.RECEIVED else None,
            "suggestion": {"item": item, "confidence": round(0.5 + rng.random() / 2, 3)},
            "step_started_at": at if is_open else None,
            "step_due_at": due,
            "closed_at": None if is_open else at + dt.timedelta(days=rng.choice([1, 2, 3, 6])),
            "verified": not is_open,
        }
        row = []
        for f in fields:
            if f.name in values:
                v = values[f.name]
            elif f.has_default():
                v = f.get_default()
            elif f.null:
                v = None
            else:
                v = ""
            if isinstance(v, dict | list):
                v = json.dumps(v, ensure_ascii=False)
            row.append(v)
        yield tuple(row)


def _step_rows(first_id: int, last_id: int) -> str:
    """Steps for the generated reports, by SQL from the reports themselves (one INSERT … SELECT
    per batch: two steps for a closed report, one running step for an open one)."""
    return f"""
        INSERT INTO dispatch_step (report_id, state, unit, limit_label, started_at, due_at, ended_at,
                                   overdue, urged)
        SELECT id, 'received', '指挥中心', '1个工作日', reported_at, reported_at + interval '1 day',
               created_at + interval '30 minutes', false, 0
          FROM dispatch_report WHERE id BETWEEN {first_id} AND {last_id}
        UNION ALL
        SELECT id, 'handling', '乡镇综合行政执法队', '3个工作日', created_at + interval '30 minutes',
               created_at + interval '3 days', closed_at, closed_at > created_at + interval '3 days', 0
          FROM dispatch_report WHERE id BETWEEN {first_id} AND {last_id} AND status = 'archived'
        UNION ALL
        SELECT id, status, '乡镇综合行政执法队', '3个工作日', step_started_at, step_due_at, NULL, false, 0
          FROM dispatch_report WHERE id BETWEEN {first_id} AND {last_id} AND status <> 'archived'
    """


def generate(plan: Plan, log: Callable[[str], None] = print) -> dict:
    """Write the province; returns counts and timings. PostgreSQL only (COPY)."""
    if connection.vendor != "postgresql":
        raise RuntimeError("生成省级规模数据需要 PostgreSQL（使用 COPY 写入）")
    rng = random.Random(plan.seed)
    t0 = time.perf_counter()
    with transaction.atomic():
        towns = _org(plan, rng)
    log(f"区县{plan.counties}个，乡镇（街道）{len(towns)}个")
    columns = _report_columns()
    done, first_code = 0, Report.objects.filter(tracking_code__startswith=plan.prefix).count()
    steps = 0
    while done < plan.reports:
        n = min(plan.batch, plan.reports - done)
        part = Plan(**{**plan.__dict__, "reports": n})
        with transaction.atomic():
            with connection.cursor() as cur:
                cur.execute("SELECT COALESCE(MAX(id), 0) FROM dispatch_report")
                before = cur.fetchone()[0]
            _copy(Report._meta.db_table, columns, _report_rows(part, towns, first_code + done, rng))
            with connection.cursor() as cur:
                cur.execute("SELECT COALESCE(MAX(id), 0) FROM dispatch_report")
                after = cur.fetchone()[0]
                cur.execute(_step_rows(before + 1, after))
                steps += cur.rowcount
        done += n
        rate = done / (time.perf_counter() - t0)
        log(f"事件{done}/{plan.reports}（每秒{rate:,.0f}条）")
    with connection.cursor() as cur:
        cur.execute("ANALYZE dispatch_report")
        cur.execute("ANALYZE dispatch_step")
    return {
        "counties": plan.counties,
        "townships": len(towns),
        "reports": done,
        "steps": steps,
        "seconds": round(time.perf_counter() - t0, 1),
    }
