"""List pages at province scale (issue 11): how long each page takes with N reports in PostgreSQL.

One run:
  - starts a throw-away PostgreSQL server, migrates, and writes a province with
    `zhifa generate-province` (COPY; counties × townships, N reports with their steps);
  - signs in as a county dispatcher, a township dispatcher, a township officer and a supervisor
    of the first generated county and times each page in process (Django's test client against
    the real server: the server's time without the network), `--runs` times after one warm-up,
    with its query count: the dispatcher's queue (first page, and 20 keyset pages deep), the API
    report list (first page, and 20 cursor pages deep), the dispatch board, the supervision
    metrics page, a township's queue and its case list;
  - baseline in the same run: GET /api/org/me/ (authentication and one query).

Usage: .venv/bin/python bench/scale_bench.py [--reports 1000000 --counties 20 --townships 150]
       [--runs 5] [--no-write] [--keep DIR [--generate-only]]
Writes the "## Province scale" section of BENCHMARKS.md (one row set per --reports value run).
"""

from __future__ import annotations

import argparse
import json
import os
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
import html, json, re, statistics, sys, time
import django
django.setup()
from django.db import connection
from django.test import Client
from zhifa.org.models import County, User

runs = int(sys.argv[1])
county = County.objects.get(code="P000")
town = county.townships.order_by("code").first()
def user(name, role, **kw):
    u, _ = User.objects.get_or_create(username=name, defaults={"role": role, "county": county, **kw})
    return u
people = {
    "cd": user("scale-cd", "county_dispatcher"),
    "td": user("scale-td", "township_dispatcher", township=town),
    "of": user("scale-of", "officer", township=town),
    "sup": user("scale-sup", "supervisor"),
}
clients = {}
for k, u in people.items():
    c = Client()
    c.force_login(u)
    clients[k] = c
NEXT = re.compile(r'href="\?([^"]*after=[^"]+)" rel="next"')

def deep_queue(c, depth=20):
    url = "/dispatch/?status=all"
    for _ in range(depth):
        m = NEXT.search(c.get(url).content.decode())
        url = "/dispatch/?" + html.unescape(m.group(1))
    return url

def deep_api(c, depth=20):
    url = "/api/dispatch/reports/"
    for _ in range(depth):
        url = c.get(url).json()["next"]
    return url.replace("http://testserver", "")

pages = [
    ("baseline: GET /api/org/me/", "cd", "/api/org/me/"),
    ("dispatcher queue, open reports (first page)", "cd", "/dispatch/"),
    ("dispatcher queue, all reports, 20 pages deep (keyset)", "cd", deep_queue(clients["cd"])),
    ("API report list, first page", "cd", "/api/dispatch/reports/"),
    ("API report list, 20 cursor pages deep", "cd", deep_api(clients["cd"])),
    ("dispatch board", "cd", "/dispatch/board/"),
    ("supervision metrics", "sup", "/supervision/metrics/"),
    ("township dispatcher's queue", "td", "/dispatch/"),
    ("township officer's case list", "of", "/cases/"),
]
out = []
for label, who, url in pages:
    c = clients[who]
    r = c.get(url)
    status = r.status_code
    times, cpu = [], []
    seen = []
    def count(execute, sql, params, many, context):
        seen.append(sql)
        return execute(sql, params, many, context)
    with connection.execute_wrapper(count):
        c.get(url)
    for _ in range(runs):
        t, p = time.perf_counter(), time.process_time()
        c.get(url)
        times.append((time.perf_counter() - t) * 1000)
        cpu.append((time.process_time() - p) * 1000)
    times.sort()
    out.append({
        "page": label, "status": status, "queries": len(seen),
        "median_ms": statistics.median(times),
        "p95_ms": times[min(len(times) - 1, round(0.95 * (len(times) - 1)))],
        "max_ms": times[-1], "cpu_ms": statistics.median(cpu),
    })
    print(json.dumps(out[-1], ensure_ascii=False), file=sys.stderr, flush=True)
print(json.dumps(out, ensure_ascii=False))
"""


def _generate(args, env: dict[str, str]) -> float:
    subprocess.run([str(VENV / "zhifa"), "migrate", "-v0"], check=True, env=env)
    t = time.perf_counter()
    subprocess.run(
        [
            str(VENV / "zhifa"),
            "generate-province",
            "--reports",
            str(args.reports),
            "--counties",
            str(args.counties),
            "--townships",
            str(args.townships),
            "--bulk",
        ],
        check=True,
        env=env,
        stdout=subprocess.DEVNULL,
    )
    return time.perf_counter() - t


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reports", type=int, default=1_000_000)
    ap.add_argument("--counties", type=int, default=20)
    ap.add_argument("--townships", type=int, default=150)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--no-write", action="store_true")
    ap.add_argument(
        "--keep",
        type=Path,
        help="keep the PostgreSQL cluster in this directory, and reuse the data set generated there "
        "by an earlier run with the same sizes (generate once, measure when the machine is quiet)",
    )
    ap.add_argument("--generate-only", action="store_true", help="with --keep: generate, measure nothing")
    args = ap.parse_args(argv)

    from zhifa.testing.pgserver import temporary_server

    var = Path(tempfile.mkdtemp(prefix="zhifa-scale-"))
    conf = {"shared_buffers": "'1GB'", "work_mem": "'32MB'", "max_wal_size": "'4GB'"}
    sizes = {"reports": args.reports, "counties": args.counties, "townships": args.townships}
    stamp = args.keep / "generated.json" if args.keep else None
    earlier = json.loads(stamp.read_text()) if stamp and stamp.exists() else None
    if earlier and {k: earlier.get(k) for k in sizes} != sizes:
        print(f"{args.keep} holds another data set ({earlier}); use another directory", file=sys.stderr)
        return 2
    with temporary_server(conf, keep=args.keep) as url:
        env = {
            **os.environ,
            "DATABASE_URL": url,
            "ZHIFA_VAR_DIR": str(var),
            "ZHIFA_DEBUG": "0",
            "DJANGO_SETTINGS_MODULE": "zhifa.settings",
            "PYTHONPATH": str(ROOT / "src"),
            "ZHIFA_ALLOWED_HOSTS": "testserver",
        }
        if earlier:
            generate_s = earlier["generate_s"]
        else:
            generate_s = _generate(args, env)
            if stamp:
                stamp.write_text(json.dumps({**sizes, "generate_s": generate_s}))
        if args.generate_only:
            print(f"generated in {generate_s:.0f} s; kept in {args.keep}")
            return 0
        size = subprocess.run(
            [
                str(VENV / "python"),
                "-c",
                "import django;django.setup();from django.db import connection as c;"
                'cur=c.cursor();cur.execute("select pg_size_pretty(pg_database_size(current_database()))");'
                "print(cur.fetchone()[0])",
            ],
            check=True,
            env=env,
            capture_output=True,
            text=True,
        ).stdout.strip()
        out = subprocess.run(
            [str(VENV / "python"), "-c", MEASURE, str(args.runs)],
            check=True,
            env=env,
            stdout=subprocess.PIPE,
            text=True,
        )
    pages = json.loads(out.stdout.strip().splitlines()[-1])
    result = {"reports": args.reports, "generate_s": generate_s, "db_size": size, "pages": pages}
    print(json.dumps(result, ensure_ascii=False, indent=1))
    text = render(args, result)
    print(text)
    if not args.no_write:
        write_section(args, text)
    return 0


def render(args, r: dict) -> str:
    n = f"{r['reports']:,}"
    lines = [
        f"### {n} reports",
        "",
        f"Measured {time.strftime('%Y-%m-%d')} by `.venv/bin/python bench/scale_bench.py --reports "
        f"{args.reports} --counties {args.counties} --townships {args.townships} --runs {args.runs}` on: "
        f"{machine()}. Generated in {r['generate_s']:.0f} s ({r['reports'] / r['generate_s']:,.0f} reports/s "
        "with their steps, `--bulk`: indexes built after the load); "
        f"database {r['db_size']}. Times are the server's (in process, Django's "
        "test client on the real PostgreSQL server), median and p95 of the runs after one warm-up.",
        "",
        "| page | status | queries | median ms | p95 ms | CPU ms (median) |",
        "|---|---|---|---|---|---|",
    ]
    for p in r["pages"]:
        lines.append(
            f"| {p['page']} | {p['status']} | {p['queries']} | {p['median_ms']:.1f} | {p['p95_ms']:.1f} | "
            f"{p['cpu_ms']:.1f} |"
        )
    return "\n".join(lines) + "\n"


HEAD = (
    "## Province scale\n\n"
    "List pages with a province's reports in PostgreSQL (issue 11), written by `zhifa generate-province` "
    "(`bench/scale_bench.py`). Target at 10 million reports: each page p95 < 300 ms, queries per page "
    "constant (pinned by query-count tests at small scale).\n\n"
)


def write_section(args, text: str) -> None:
    path = ROOT / "BENCHMARKS.md"
    body = path.read_text(encoding="utf-8")
    start = body.find("## Province scale")
    if start == -1:
        body = body.rstrip("\n") + "\n\n" + HEAD + text
    else:
        end = body.find("\n## ", start + 3)
        section = body[start : end + 1 if end != -1 else len(body)]
        heading = text.splitlines()[0]
        if heading in section:  # replace this size's rows, keep the others
            s = section.index(heading)
            e = section.find("\n### ", s + 4)
            section = section[:s] + text + (section[e + 1 :] if e != -1 else "")
        else:
            section = section.rstrip("\n") + "\n\n" + text
        body = body[:start] + section + (body[end + 1 :] if end != -1 else "")
    path.write_text(body, encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
