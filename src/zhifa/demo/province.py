"""A synthetic province for scale tests (issue 11): counties, thousands of townships, and
millions of reports with their steps, written straight into PostgreSQL.

Realistic in the ways that matter to the database: reports are spread over every township
(more in urban streets than in rural townships), over space (each township a box of its own,
points scattered inside it, not copies of a few points) and over time (the last `years` years,
weekday daytime peaks); most are closed, a few thousand per county are open, some of them late,
as a real queue is. Texts are drawn from a pool of report wordings with a varying place part, so
that text search and TOAST behave as with real data. Nothing here is audited: this is load data,
not records (the audit chain of a generated database covers only what happens afterwards).

The reports are drawn by the server itself (one INSERT … SELECT over generate_series per batch,
which is faster than COPY since no row crosses the connection; the township table it draws from
goes in by COPY); indexes stay in place (the generator pays what a live database pays), and
ANALYZE runs at the end so the planner sees the real distribution.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone

from zhifa.core import partitions
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
    # Bulk load: drop the secondary indexes of the report and step tables first and build them
    # again at the end (what a restore or a migration does; much faster than maintaining some
    # twenty B-trees row by row). Off by default: a live database keeps its indexes.
    bulk: bool = False


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


def _towns_table(towns: list[dict]) -> int:
    """A temporary table of townships to draw from, urban ones four times (more reports)."""
    with connection.cursor() as cur:
        cur.execute(
            "CREATE TEMP TABLE IF NOT EXISTS gen_towns (k int primary key, county_id bigint, "
            "township_id bigint, x0 float8, y0 float8, w float8, h float8) ON COMMIT DROP"
        )
        cur.execute("TRUNCATE gen_towns")
        rows, k = [], 0
        for t in towns:
            for _ in range(int(t["weight"])):
                rows.append((k, t["county"], t["township"], *t["box"]))
                k += 1
        with cur.cursor.copy("COPY gen_towns (k, county_id, township_id, x0, y0, w, h) FROM STDIN") as cp:
            for row in rows:
                cp.write_row(row)
    return k


def _literal(f) -> tuple[str, object]:
    """A column's default as a typed SQL parameter (Django keeps defaults in Python, not in the
    schema, so a server-side INSERT must name every column's value)."""
    v = f.get_default() if f.has_default() else (None if f.null else "")
    if isinstance(v, dict | list):
        v = json.dumps(v)
    return f"CAST(%s AS {f.db_type(connection)})", v


def _report_sql(plan: Plan, n_towns: int, first: int, last: int, now: dt.datetime) -> tuple[str, list]:
    """One INSERT … SELECT over generate_series: every row's randomness is drawn by the server
    (the inner SELECT keeps each random() to one value per row)."""
    span_s = plan.years * 365 * 86400
    cell = wf.DUPLICATE_CELL_DEG
    texts = "ARRAY[" + ",".join(f"'{t}'" for t in TEXTS) + "]"
    places = "ARRAY[" + ",".join(f"'{p}'" for p in PLACES) + "]"
    items = "ARRAY[" + ",".join(f"'{i}'" for i in ITEMS) + "]"
    channels = "ARRAY[" + ",".join(f"'{c}'" for c in CHANNELS) + "]"
    open_states = "ARRAY['" + "','".join([wf.RECEIVED, wf.ROUTED, wf.HANDLING, wf.VERIFYING]) + "']"
    at = (
        f"CASE WHEN g.open THEN %(now)s - g.r5 * interval '240 hours' "
        f"WHEN g.r7 < 0.6 THEN date_trunc('day', %(now)s - power(g.r5, 1.3) * {span_s} * interval '1 second')"
        f" + (9 + floor(g.r6 * 8)) * interval '1 hour' "
        f"ELSE %(now)s - power(g.r5, 1.3) * {span_s} * interval '1 second' END"
    )
    lon = "(t.x0 + g.r3 * t.w)"
    lat = "(t.y0 + g.r4 * t.h)"
    status = f"CASE WHEN g.open THEN ({open_states})[1 + floor(g.r8 * 4)::int] ELSE '{wf.ARCHIVED}' END"
    expr = {
        "county": "t.county_id",
        "township": "t.township_id",
        "tracking_code": f"'{plan.prefix}' || lpad(g.i::text, 11, '0')",
        "channel": f"({channels})[1 + floor(g.r1 * {len(CHANNELS)})::int]",
        "text": f"replace(({texts})[1 + floor(g.r2 * {len(TEXTS)})::int], '{{p}}', "
        f"({places})[1 + floor(g.r9 * {len(PLACES)})::int])",
        "lon": f"round({lon}::numeric, 6)",
        "lat": f"round({lat}::numeric, 6)",
        "wgs_lon": f"round({lon}::numeric, 6)",
        "wgs_lat": f"round({lat}::numeric, 6)",
        # The same float arithmetic as wf.duplicate_cell (a test compares them row by row).
        "dup_cell": f"floor((round({lat}::numeric, 6)::float8 + 90.0) / {cell!r}::float8)::bigint "
        f"* {wf._CELL_COLUMNS} "
        f"+ floor((round({lon}::numeric, 6)::float8 + 180.0) / {cell!r}::float8)::bigint",
        "reported_at": "g.at",
        "created_at": "g.at + interval '1 minute'",
        # Never ahead of the load: a report "changed later" would be folded by every worker pass.
        "updated_at": "LEAST(g.at + interval '2 hours', now())",
        "status": "g.status",
        "item_code": f"CASE WHEN g.status = '{wf.RECEIVED}' THEN '' ELSE g.item END",
        "handler_kind": (
            f"CASE WHEN g.status = '{wf.RECEIVED}' THEN '{Report.NONE}' ELSE '{Report.TOWNSHIP}' END"
        ),
        "handler_township": f"CASE WHEN g.status = '{wf.RECEIVED}' THEN NULL ELSE t.township_id END",
        "suggestion": (
            "jsonb_build_object('item', g.item, 'confidence', round((0.5 + g.r10 / 2)::numeric, 3))"
        ),
        "step_started_at": "CASE WHEN g.open THEN g.at END",
        "step_due_at": "CASE WHEN g.open THEN g.at + (1 + floor(g.r11 * 4)) * interval '1 day' END",
        "closed_at": "CASE WHEN g.open THEN NULL ELSE g.at + (1 + floor(g.r11 * 5)) * interval '1 day' END",
        "verified": "NOT g.open",
    }
    fields = [f for f in Report._meta.concrete_fields if not f.primary_key]
    columns, values, params = [], [], {"now": now}
    for f in fields:
        columns.append(f.column)
        if f.name in expr:
            values.append(expr[f.name])
        else:
            sql, v = _literal(f)
            key = f"d_{f.column}"
            values.append(sql.replace("%s", f"%({key})s"))
            params[key] = v
    inner = (
        "SELECT i, floor(random() * %(n_towns)s)::int AS k, random() AS r1, random() AS r2, "
        "random() AS r3, random() AS r4, random() AS r5, random() AS r6, random() AS r7, random() AS r8, "
        "random() AS r9, random() AS r10, random() AS r11, random() < %(open_share)s AS open, "
        f"({items})[1 + floor(random() * {len(ITEMS)})::int] AS item "
        "FROM generate_series(%(first)s, %(last)s) AS i"
    )
    middle = (
        f"SELECT s.*, {at.replace('g.', 's.')} AS at, {status.replace('g.', 's.')} AS status FROM ({inner}) s"
    )
    params.update(n_towns=n_towns, open_share=plan.open_share, first=first, last=last)
    sql = (
        f"INSERT INTO {Report._meta.db_table} ({', '.join(columns)}) "
        f"SELECT {', '.join(values)} FROM ({middle}) g JOIN gen_towns t ON t.k = g.k"
    )
    return sql, params


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


def _drop_indexes() -> list[str]:
    """Drop the report and step tables' indexes that back no constraint; their CREATE statements."""
    with connection.cursor() as cur:
        cur.execute(
            """
            SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
              FROM pg_index i
             WHERE i.indrelid IN ('dispatch_report'::regclass, 'dispatch_step'::regclass)
               AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
            """
        )
        found = cur.fetchall()
        for name, _ in found:
            cur.execute(f"DROP INDEX {name}")
    # A partitioned table's index reads "ON ONLY t" (the parent alone); built again on the
    # table, it reaches every partition.
    return [sql.replace(" ON ONLY ", " ON ") for _, sql in found]


def generate(plan: Plan, log: Callable[[str], None] = print) -> dict:
    """Write the province; returns counts and timings. PostgreSQL only."""
    if connection.vendor != "postgresql":
        raise RuntimeError("生成省级规模数据需要 PostgreSQL（由数据库服务器批量写入）")
    rng = random.Random(plan.seed)
    t0 = time.perf_counter()
    with transaction.atomic():
        towns = _org(plan, rng)
    log(f"区县{plan.counties}个，乡镇（街道）{len(towns)}个")
    done = Report.objects.filter(tracking_code__startswith=plan.prefix).count()
    target, steps = done + plan.reports, 0
    now = timezone.now().replace(microsecond=0)
    # Every month of the span gets its step partition before the rows come (PostgreSQL routes
    # each row to its month; none piles up in the default partition).
    partitions.ensure_months((now - dt.timedelta(days=366 * plan.years + 31)).date(), now.date())
    dropped = _drop_indexes() if plan.bulk else []
    while done < target:
        n = min(plan.batch, target - done)
        with transaction.atomic():
            n_towns = _towns_table(towns)
            with connection.cursor() as cur:
                cur.execute("SELECT COALESCE(MAX(id), 0) FROM dispatch_report")
                before = cur.fetchone()[0]
                sql, params = _report_sql(plan, n_towns, done, done + n - 1, now)
                cur.execute(sql, params)
                cur.execute("SELECT COALESCE(MAX(id), 0) FROM dispatch_report")
                after = cur.fetchone()[0]
                cur.execute(_step_rows(before + 1, after))
                steps += cur.rowcount
        done += n
        rate = (done - (target - plan.reports)) / (time.perf_counter() - t0)
        log(f"事件{done - (target - plan.reports)}/{plan.reports}（每秒{rate:,.0f}条）")
    if dropped:
        t = time.perf_counter()
        with connection.cursor() as cur:
            for sql in dropped:
                cur.execute(sql)
        log(f"重建索引{len(dropped)}个，用时{time.perf_counter() - t:.0f}秒")
    with connection.cursor() as cur:
        cur.execute("ANALYZE dispatch_report")
        cur.execute("ANALYZE dispatch_step")
    # The rows went in behind the worker's back: the board's and the metrics page's summaries
    # are built from them now (as `zhifa rebuild-summaries`), so the pages read them at once.
    from zhifa.dispatch.summaries import rebuild_summaries

    t = time.perf_counter()
    summary_rows = rebuild_summaries()
    log(f"统计表已重算：{summary_rows}行，用时{time.perf_counter() - t:.0f}秒")
    return {
        "counties": plan.counties,
        "townships": len(towns),
        "reports": plan.reports,
        "steps": steps,
        "seconds": round(time.perf_counter() - t0, 1),
    }
