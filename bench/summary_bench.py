"""The board and the metrics page at province scale, read from the rows and from the summaries
(issue 11), in one run on one database.

One run: a throw-away PostgreSQL server, `zhifa generate-province --bulk` with N reports (which
builds the summaries at its end; its time includes that), then as the first county's dispatcher
(board) and a supervisor (metrics page), in process with Django's test client, `--runs` timed
requests after one warm-up each:
  1. before: the summaries marked not built (the pages read the steps and reports, as before
     issue 11);
  2. `zhifa rebuild-summaries`, `--rebuilds` times (wall of the command, and of the three plain
     SELECT … GROUP BY it inserts from, run alone: the baseline), then the pages from the summaries;
  3. `--passes` worker passes (`fold_summaries`), each after 200 recent reports of the county
     were saved (its watermark set as if the last pass had run after the bulk load, so it sees
     those, and the generated reports of the last two hours, whose updated_at lies ahead).
Prints JSON; writes nothing (the numbers go into BENCHMARKS.md by hand).

Usage: .venv/bin/python bench/summary_bench.py [--reports 1000000 --counties 20 --townships 150 --runs 7
       --rebuilds 3 --passes 3]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))
VENV = ROOT / ".venv" / "bin"

from dispatch_intake_bench import machine  # noqa: E402

MEASURE = r"""
import json, statistics, sys, time
import django
django.setup()
from django.db import connection
from django.test import Client
from zhifa.org.models import County, User

runs, label = int(sys.argv[1]), sys.argv[2]
county = County.objects.get(code="P000")
def user(name, role):
    u, _ = User.objects.get_or_create(username=name, defaults={"role": role, "county": county})
    return u
clients = {}
for k, role in (("cd", "county_dispatcher"), ("sup", "supervisor")):
    c = Client()
    c.force_login(user("sum-" + k, role))
    clients[k] = c
out = []
PAGES = [("dispatch board", "cd", "/dispatch/board/"),
         ("supervision metrics", "sup", "/supervision/metrics/")]
for page, who, url in PAGES:
    c = clients[who]
    status = c.get(url).status_code
    seen = []
    def count(execute, sql, params, many, context):
        seen.append(sql)
        return execute(sql, params, many, context)
    with connection.execute_wrapper(count):
        c.get(url)
    times, cpu = [], []
    for _ in range(runs):
        t, p = time.perf_counter(), time.process_time()
        c.get(url)
        times.append((time.perf_counter() - t) * 1000)
        cpu.append((time.process_time() - p) * 1000)
    times.sort()
    out.append({"page": page, "read": label, "status": status, "queries": len(seen),
                "median_ms": statistics.median(times),
                "p95_ms": times[min(len(times) - 1, round(0.95 * (len(times) - 1)))],
                "cpu_ms": statistics.median(cpu)})
    print(json.dumps(out[-1], ensure_ascii=False), file=sys.stderr, flush=True)
print(json.dumps(out, ensure_ascii=False))
"""

FOLD = r"""
import json, time
import django
django.setup()
from django.utils import timezone
from zhifa.dispatch.models import Report, SummaryState
from zhifa.dispatch.summaries import MARGIN, NAME, fold_summaries
recent = Report.objects.filter(county__code="P000").order_by("-reported_at")
ids = list(recent.values_list("id", flat=True)[:200])
t0 = timezone.now()
for r in Report.objects.filter(id__in=ids):
    r.save(update_fields=["updated_at"])
# As if the last pass had run well after the bulk load: this pass sees only the 200 changed reports.
SummaryState.objects.filter(name=NAME).update(folded_to=t0 + MARGIN)
t, p = time.perf_counter(), time.process_time()
n = fold_summaries()
wall, cpu = (time.perf_counter() - t) * 1000, (time.process_time() - p) * 1000
print(json.dumps({"fold_rows": n, "fold_ms": wall, "fold_cpu_ms": cpu}))
"""


UNBUILD = r"""
import json
import django
django.setup()
from zhifa.dispatch.models import SummaryState
print(json.dumps({"unbuilt": SummaryState.objects.update(folded_to=None, folded_at=None)}))
"""

SELECTS = r"""
import json, time
import django
django.setup()
from django.db import connection
from zhifa.dispatch.summaries import TABLES
t = time.perf_counter()
for _model, select, _cols in TABLES:
    sql, params = select(None).query.get_compiler(using="default").as_sql()
    with connection.cursor() as cur:
        cur.execute(f"SELECT count(*) FROM ({sql}) s", params)
print(json.dumps({"selects_s": time.perf_counter() - t}))
"""


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reports", type=int, default=1_000_000)
    ap.add_argument("--counties", type=int, default=20)
    ap.add_argument("--townships", type=int, default=150)
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--rebuilds", type=int, default=3)
    ap.add_argument("--passes", type=int, default=3)
    args = ap.parse_args(argv)

    from zhifa.testing.pgserver import temporary_server

    load = [os.getloadavg()]
    var = Path(tempfile.mkdtemp(prefix="zhifa-summary-"))
    conf = {"shared_buffers": "'1GB'", "work_mem": "'32MB'", "max_wal_size": "'4GB'"}
    result: dict = {"machine": machine(), "reports": args.reports}
    with temporary_server(conf) as url:
        env = {
            **os.environ,
            "DATABASE_URL": url,
            "ZHIFA_VAR_DIR": str(var),
            "ZHIFA_DEBUG": "0",
            "DJANGO_SETTINGS_MODULE": "zhifa.settings",
            "PYTHONPATH": str(ROOT / "src"),
            "ZHIFA_ALLOWED_HOSTS": "testserver",
        }
        zhifa = str(VENV / "zhifa")
        subprocess.run([zhifa, "migrate", "-v0"], check=True, env=env)
        t = time.perf_counter()
        cmd = [zhifa, "generate-province", "--reports", str(args.reports), "--counties", str(args.counties)]
        cmd += ["--townships", str(args.townships), "--bulk"]
        subprocess.run(cmd, check=True, env=env, stdout=subprocess.DEVNULL)
        result["generate_s"] = time.perf_counter() - t

        def measure(label: str) -> list[dict]:
            py = [str(VENV / "python"), "-c", MEASURE, str(args.runs), label]
            out = subprocess.run(py, check=True, env=env, stdout=subprocess.PIPE, text=True).stdout
            return json.loads(out.strip().splitlines()[-1])

        def py(script: str) -> dict:
            out = subprocess.run(
                [str(VENV / "python"), "-c", script], check=True, env=env, stdout=subprocess.PIPE, text=True
            )
            return json.loads(out.stdout.strip().splitlines()[-1])

        py(UNBUILD)
        result["pages"] = measure("rows (before)")
        rebuilds = []
        for _ in range(args.rebuilds):
            t = time.perf_counter()
            subprocess.run([zhifa, "rebuild-summaries"], check=True, env=env)
            rebuilds.append(time.perf_counter() - t)
        result["rebuild_s"] = rebuilds
        result["rebuild_median_s"] = statistics.median(rebuilds)
        result["selects_only_s"] = py(SELECTS)["selects_s"]
        result["pages"] += measure("summaries (after)")
        passes = [py(FOLD) for _ in range(args.passes)]
        result["passes"] = passes
        result["fold_median_ms"] = statistics.median(p["fold_ms"] for p in passes)
        result["fold_cpu_median_ms"] = statistics.median(p["fold_cpu_ms"] for p in passes)
    load.append(os.getloadavg())
    result["load_start_end"] = load
    print(json.dumps(result, ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
