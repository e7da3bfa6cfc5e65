"""Benchmark of the intake API (issue 4): POST /api/dispatch/reports/ on PostgreSQL under load.

Target: p95 under 100 ms at 100 requests per second for 60 s, no errors, every report stored
exactly once (counted afterwards).

What it does, in one run:
  - starts a throw-away PostgreSQL server (`zhifa.testing.pgserver`), migrates, loads the demo
    county's catalogue and grid map (every request is really located; the API defers the
    routing suggestion to batches), makes a grid worker account;
  - serves the app with gunicorn (`--workers`, sync workers, as in docs/deploy.md);
  - signs in once (session cookie + CSRF token, as the mobile app does);
  - baseline in the same run: GET /api/org/me/ (authentication + one query) at the same rate;
  - load: an open-loop generator sends intake requests at `--rate` per second for `--duration`
    seconds (latency counted from each request's scheduled time, so queueing is not hidden);
    a share `--resend` of the requests resend an earlier client id, as a phone does when an answer
    was lost, and must get 200 with the same tracking code;
  - afterwards counts the stored reports: exactly the distinct client ids sent.

Issue 11 adds: the production setting `ZHIFA_AUDIT_SEAL=worker` (the requests only append audit
entries; `zhifa dispatch-worker`, running beside gunicorn, seals them), the CPU each intake costs
(gunicorn workers, PostgreSQL and the dispatch worker, read from /proc before and after each
run), and a table already holding reports: `--prefill N` generates N reports into the same
database first (`zhifa generate-province`, other counties than the demo one the requests go
to), or `--keep DIR` reuses the cluster `bench/scale_bench.py --keep DIR` generated.

Usage: .venv/bin/python bench/dispatch_intake_bench.py [--rate 100 --duration 60 --runs 3]
       [--workers 3] [--seal worker|commit] [--prefill N | --keep DIR] [--no-write]
Writes a subsection of "## Dispatch intake" in BENCHMARKS.md, one per rate, workers, seal mode and
table size (the others are kept).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
VENV = ROOT / ".venv" / "bin"

SETUP = r"""
import json, django
django.setup()
from shapely.geometry import shape
from zhifa.core import audit
from zhifa.demo import loader
from zhifa.grid.models import MICRO, GridUnit
from zhifa.org.models import User
with audit.acting_as("基准测试"):
  county = loader._county()
  if not User.objects.filter(username="bench").exists():  # a kept cluster: loaded by an earlier run
    loader._catalogue(county, lambda m: None)
    loader._grid(county, lambda m: None)
    t01 = county.townships.get(code="T01")
    User.objects.create_user(username="bench", password="Bench-2026-pass", role="grid_worker",
                             county=county, township=t01)
points = []
for u in GridUnit.objects.filter(county=county, level=MICRO).order_by("code"):
    p = shape(json.loads(u.geometry)).representative_point()
    points.append([round(p.x, 6), round(p.y, 6)])
print(json.dumps(points))
"""

COUNT = r"""
import django, json, sys
django.setup()
from zhifa.dispatch.models import Report
qs = Report.objects.filter(client_id__startswith=sys.argv[1])
print(json.dumps({"reports": qs.count(), "distinct": qs.values("client_id").distinct().count()}))
"""


def shared_dir() -> Path | None:
    for cand in (ROOT.parent / "shared", Path("/work/shared")):
        if (cand / "benchmark" / "reports" / "reports-dev.jsonl").exists():
            return cand
    return None


def texts() -> list[str]:
    shared = shared_dir()
    if shared is None:
        return ["小区门口有人占道摆摊卖菜", "工地夜间施工噪音扰民", "有人往路边倾倒建筑垃圾"]
    path = shared / "benchmark" / "reports" / "reports-dev.jsonl"
    return [
        json.loads(line)["text"] for line in path.read_text(encoding="utf-8").splitlines() if line.strip()
    ]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    v = sorted(values)
    k = max(0, min(len(v) - 1, round(p / 100 * (len(v) - 1))))
    return v[k]


class Client:
    """One signed-in session shared by the generator's threads (each thread has its own socket)."""

    def __init__(self, base: str):
        import requests

        self.base = base
        self._local = threading.local()
        s = requests.Session()
        s.get(base + "/login/", timeout=30)
        token = s.cookies["csrftoken"]
        r = s.post(
            base + "/login/",
            data={"username": "bench", "password": "Bench-2026-pass", "csrfmiddlewaretoken": token},
            headers={"Referer": base + "/login/"},
            timeout=30,
            allow_redirects=False,
        )
        if r.status_code != 302 or "sessionid" not in s.cookies:
            raise RuntimeError(f"登录失败：HTTP {r.status_code}")
        self.cookies = s.cookies.get_dict()

    def session(self) -> _Session:
        s = getattr(self._local, "s", None)
        if s is None:
            s = self._local.s = _Session(self.base, self.cookies)
        return s


class _Answer:
    def __init__(self, status_code: int, body: bytes):
        self.status_code = status_code
        self._body = body

    def json(self):
        return json.loads(self._body)


class _Session:
    """The generator's HTTP client: the standard library's, one connection per thread.

    `requests` cost the generator about as much CPU per request as a light endpoint costs the
    server, on the same two cores; http.client does the same exchange for a fraction of it.
    (gunicorn's sync workers close each connection, so each request connects anew either way.)
    """

    def __init__(self, base: str, cookies: dict[str, str]):
        import http.client
        import urllib.parse

        u = urllib.parse.urlsplit(base)
        self._new = lambda timeout: http.client.HTTPConnection(u.hostname, u.port, timeout=timeout)
        self._headers = {
            "Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items()),
            "X-CSRFToken": cookies["csrftoken"],
            "Referer": base + "/",
        }
        self._base = base

    def _send(self, method: str, url: str, body: bytes | None, headers: dict, timeout: float) -> _Answer:
        conn = self._new(timeout)
        try:
            conn.request(method, url.removeprefix(self._base), body=body, headers=headers)
            r = conn.getresponse()
            return _Answer(r.status, r.read())
        finally:
            conn.close()

    def post(self, url: str, json: dict, timeout: float) -> _Answer:
        import json as _json

        body = _json.dumps(json, ensure_ascii=False).encode()
        return self._send("POST", url, body, {**self._headers, "Content-Type": "application/json"}, timeout)

    def get(self, url: str, timeout: float) -> _Answer:
        return self._send("GET", url, None, self._headers, timeout)


MAX_LAG = 15.0  # seconds behind schedule after which a request is not sent any more


def run_load(client: Client, rate: float, duration: float, make_request, threads: int = 96) -> dict:
    """Open loop: request i is due at t0 + i/rate; latency runs from that moment to the answer."""
    n = int(rate * duration)
    lat: list[float] = [0.0] * n
    status: list[int] = [0] * n
    extra: list[object] = [None] * n
    t0 = time.perf_counter() + 0.2

    def job(i: int, due: float) -> None:
        if time.perf_counter() - due > MAX_LAG:
            # The server is so far behind that this request would only pile up: count it as
            # failed (not sent) so that a saturated run ends instead of draining for minutes.
            code, info = -2, "not sent"
        else:
            try:
                code, info = make_request(client.session(), i)
            except Exception as exc:  # a refused or broken connection counts as an error
                code, info = -1, repr(exc)
        lat[i] = (time.perf_counter() - due) * 1000
        status[i] = code
        extra[i] = info

    with ThreadPoolExecutor(max_workers=threads) as pool:
        for i in range(n):
            due = t0 + i / rate
            delay = due - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            pool.submit(job, i, due)
    wall = time.perf_counter() - t0
    return {"lat": lat, "status": status, "extra": extra, "n": n, "wall": wall}


ROWS = r"""
import django
django.setup()
from django.db import connection
with connection.cursor() as cur:
    cur.execute("SELECT count(*) FROM dispatch_report")
    print(cur.fetchone()[0])
"""

TICK = os.sysconf("SC_CLK_TCK")


def _children(pid: int) -> list[int]:
    out = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            out += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            pass
    return out


def _cpu_tree(pid: int) -> float:
    """CPU seconds of a process, of its children that ended (reaped: cutime, cstime) and of the
    live ones, recursively."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    own = sum(int(x) for x in fields[11:15]) / TICK  # utime stime cutime cstime
    return own + sum(_cpu_tree(c) for c in _children(pid))


def cpu_of(gunicorn: int, postmaster: int, worker: int | None) -> dict[str, float]:
    got = {"gunicorn": _cpu_tree(gunicorn), "postgres": _cpu_tree(postmaster)}
    if worker is not None:
        got["worker"] = _cpu_tree(worker)
    return got


def summary(res: dict, ok: set[int]) -> dict:
    errors = sum(1 for s in res["status"] if s not in ok)
    return {
        "n": res["n"],
        "errors": errors,
        "not_sent": sum(1 for s in res["status"] if s == -2),
        "p50": pct(res["lat"], 50),
        "p95": pct(res["lat"], 95),
        "p99": pct(res["lat"], 99),
        "max": max(res["lat"]) if res["lat"] else float("nan"),
        "achieved": sum(1 for s in res["status"] if s in ok) / res["wall"],
    }


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rate", type=float, default=100.0)
    ap.add_argument("--duration", type=float, default=60.0)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--workers", type=int, default=3, help="gunicorn worker processes")
    ap.add_argument("--resend", type=float, default=0.05, help="share of requests that resend an id")
    ap.add_argument("--baseline-duration", type=float, default=20.0)
    ap.add_argument(
        "--also-rate", type=float, default=0.0, help="one more intake run at this lower rate (capacity)"
    )
    ap.add_argument("--no-write", action="store_true", help="do not update BENCHMARKS.md")
    ap.add_argument("--seal", choices=("worker", "commit"), default="worker", help="ZHIFA_AUDIT_SEAL")
    ap.add_argument("--prefill", type=int, default=0, help="reports generated into the table first")
    ap.add_argument("--keep", type=Path, help="reuse the cluster kept by bench/scale_bench.py --keep")
    args = ap.parse_args(argv)

    from zhifa.testing.pgserver import temporary_server

    pool_texts = texts()
    load_start = os.getloadavg()[0]
    var = Path(tempfile.mkdtemp(prefix="zhifa-intake-bench-"))
    conf = {"shared_buffers": "'1GB'", "work_mem": "'32MB'", "max_wal_size": "'4GB'"}
    with temporary_server(conf, keep=args.keep) as url:
        env = {
            **os.environ,
            "DATABASE_URL": url,
            "ZHIFA_VAR_DIR": str(var),
            "ZHIFA_DEBUG": "0",
            "ZHIFA_AUDIT_SEAL": args.seal,
            "DJANGO_SETTINGS_MODULE": "zhifa.settings",
            "PYTHONPATH": str(ROOT / "src"),
        }
        postmaster = int(
            (Path(url.split("host=", 1)[1]).parent / "data" / "postmaster.pid").read_text().split()[0]
        )
        subprocess.run([str(VENV / "zhifa"), "migrate", "-v0"], check=True, env=env)
        if args.prefill:
            subprocess.run(
                [str(VENV / "zhifa"), "generate-province", "--reports", str(args.prefill), "--counties", "2",
                 "--townships", "100", "--bulk"],
                check=True, env=env, stdout=subprocess.DEVNULL,
            )  # fmt: skip
        in_table = int(
            subprocess.run(
                [str(VENV / "python"), "-c", ROWS], check=True, env=env, capture_output=True, text=True
            ).stdout.split()[-1]
        )
        out = subprocess.run(
            [str(VENV / "python"), "-c", SETUP], check=True, env=env, capture_output=True, text=True
        )
        points = json.loads(out.stdout.strip().splitlines()[-1])
        port = free_port()
        server = subprocess.Popen(
            [
                str(VENV / "gunicorn"),
                "zhifa.wsgi:application",
                "--workers",
                str(args.workers),
                "--bind",
                f"127.0.0.1:{port}",
                "--backlog",
                "2048",
                "--log-level",
                "warning",
            ],
            env=env,
        )
        base = f"http://127.0.0.1:{port}"
        sealer = None
        if args.seal == "worker":
            sealer = subprocess.Popen(
                # As deployed: the default interval between passes (60 s); the audit entries
                # are sealed every half second in between whatever the interval.
                [str(VENV / "zhifa"), "dispatch-worker"],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        try:
            for _ in range(100):
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    break
                except OSError:
                    time.sleep(0.2)
            client = Client(base)
            rng = random.Random(20261130)
            sent: list[str] = []
            codes: dict[str, str] = {}
            resend_checks: list[bool] = []
            lock = threading.Lock()
            counter = iter(range(10**9))
            prefix = f"bench-{int(time.time())}-"  # this run's reports, apart from a kept cluster's

            def intake(session, i: int):
                with lock:
                    resend = bool(sent) and rng.random() < args.resend
                    cid = rng.choice(sent[: max(1, len(sent) - 50)]) if resend else f"{prefix}{next(counter)}"
                    lon, lat = rng.choice(points)
                    # Spread around the micro grids' centres (about ±150 m), as real reports are.
                    lon += rng.uniform(-0.0015, 0.0015)
                    lat += rng.uniform(-0.0012, 0.0012)
                    text = rng.choice(pool_texts)
                r = session.post(
                    base + "/api/dispatch/reports/",
                    json={"client_id": cid, "text": text, "lon": lon, "lat": lat, "channel": "mobile"},
                    timeout=MAX_LAG,
                )
                if r.status_code in (200, 201):
                    code = r.json()["tracking_code"]
                    with lock:
                        if r.status_code == 201:
                            sent.append(cid)
                            codes[cid] = code
                        else:
                            resend_checks.append(codes.get(cid, code) == code)
                return r.status_code, None

            def me(session, i: int):
                return session.get(base + "/api/org/me/", timeout=30).status_code, None

            run_load(client, 10, 3, intake)  # warm-up: every worker loads router and grid index
            base_res = summary(run_load(client, args.rate, args.baseline_duration, me), {200})
            runs = []
            for k in range(args.runs):
                before = cpu_of(server.pid, postmaster, sealer.pid if sealer else None)
                own = time.process_time()
                res = run_load(client, args.rate, args.duration, intake)
                own = time.process_time() - own  # the load generator's threads, apart from the server
                time.sleep(1.5)  # the worker's seal of this run's entries counts with it
                after = cpu_of(server.pid, postmaster, sealer.pid if sealer else None)
                runs.append(summary(res, {200, 201}))
                done = sum(1 for s in res["status"] if s in (200, 201)) or 1
                runs[-1]["cpu_ms"] = {k: (after[k] - before[k]) * 1000 / done for k in after}
                runs[-1]["generator_cpu_ms"] = own * 1000 / max(1, len(res["status"]))
                print(f"run {k + 1}: {json.dumps(runs[-1])}", flush=True)
            extra_run = None
            if args.also_rate:
                time.sleep(5)
                extra_run = summary(run_load(client, args.also_rate, args.duration, intake), {200, 201})
                print(f"run at {args.also_rate:g}/s: {json.dumps(extra_run)}", flush=True)
            counted = json.loads(
                subprocess.run(
                    [str(VENV / "python"), "-c", COUNT, prefix],
                    check=True,
                    env=env,
                    capture_output=True,
                    text=True,
                ).stdout.strip()
            )
        finally:
            if sealer is not None:
                sealer.terminate()
                sealer.wait(timeout=30)
            server.terminate()
            server.wait(timeout=30)
    result = {
        "load_start": load_start,
        "load_end": os.getloadavg()[0],
        "in_table": in_table,
        "baseline": base_res,
        "runs": runs,
        "extra": extra_run,
        "sent_distinct": len(sent),
        "stored": counted,
        "resends": len(resend_checks),
        "resends_same_code": sum(resend_checks),
    }
    print(json.dumps(result, ensure_ascii=False))
    text = render(args, result)
    print(text)
    if not args.no_write:
        write_section(text)
    return 0


def machine() -> str:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f"{kb / 1024 / 1024:.0f} GiB RAM"
    except (OSError, ValueError, IndexError):
        pass
    return (
        f"nproc = {os.cpu_count()}, {cpu}, {mem}, {platform.machine()}, CPython {platform.python_version()}"
    )


def heading(args, r: dict) -> str:
    return (
        f"### {args.rate:g} requests/s, {args.workers} workers, ZHIFA_AUDIT_SEAL={args.seal}, "
        f"{r['in_table']:,} reports in the table"
    )


def render(args, r: dict) -> str:
    runs = r["runs"]
    med = {k: statistics.median(x[k] for x in runs) for k in ("p50", "p95", "p99", "max", "achieved")}
    cpu = {k: statistics.median(x["cpu_ms"][k] for x in runs) for k in runs[0]["cpu_ms"]}
    errors = sum(x["errors"] for x in runs)
    once = r["stored"]["reports"] == r["sent_distinct"] == r["stored"]["distinct"]
    sustained = med["achieved"] >= 0.98 * args.rate
    met4 = med["p95"] < 100 and errors == 0 and once and args.rate >= 100 and sustained
    met11 = med["p95"] < 50 and errors == 0 and once and args.rate >= 250 and sustained
    b = r["baseline"]
    cmd = (
        f"`.venv/bin/python bench/dispatch_intake_bench.py --rate {args.rate:g} --duration {args.duration:g} "
        f"--runs {args.runs} --workers {args.workers} --seal {args.seal}"
        + (f" --prefill {args.prefill}" if args.prefill else "")
        + (" --keep DIR" if args.keep else "")
        + "`"
    )
    where = f"{r['in_table']:,} reports already in `dispatch_report` when the runs began" + (
        " (generated by `zhifa generate-province` into other counties than the demo one)"
        if r["in_table"]
        else ""
    )
    lines = [
        heading(args, r),
        "",
        f"`POST /api/dispatch/reports/` on PostgreSQL behind gunicorn ({args.workers} sync workers), each "
        "request located in the demo grid map, checked for likely duplicates and written with its step "
        "and transition (three audited rows)"
        + (
            ", the audit entries sealed by `zhifa dispatch-worker` running beside it"
            if args.seal == "worker"
            else ""
        )
        + f"; {where}. Measured {time.strftime('%Y-%m-%d')} by {cmd} on: {machine()}. "
        f"Load average {r['load_start']:.1f} at the start and {r['load_end']:.1f} at the end (1 minute). "
        "The load generator runs on the same machine and shares its cores.",
        "",
        "Targets: issue 4, p95 < 100 ms at 100 requests/s: "
        + (f"**{'met' if met4 else 'not met'}**" if args.rate == 100 else "not what this run measures")
        + "; issue 11, "
        f"250 requests/s sustained with p95 < 50 ms and no errors: **{'met' if met11 else 'not met'}** "
        f"(this run: {args.rate:g} requests/s).",
        "",
        "| what | requests | errors | achieved req/s | p50 ms | p95 ms | p99 ms | max ms "
        "| CPU ms per intake |",
        "|---|---|---|---|---|---|---|---|---|",
        f"| baseline: GET /api/org/me/ ({args.baseline_duration:g} s) | {b['n']} | {b['errors']} | "
        f"{b['achieved']:.1f} | {b['p50']:.1f} | {b['p95']:.1f} | {b['p99']:.1f} | {b['max']:.1f} | |",
    ]

    def cpu_cell(c: dict) -> str:
        return f"{sum(c.values()):.1f} (" + ", ".join(f"{k} {v:.1f}" for k, v in c.items()) + ")"

    for i, x in enumerate(runs, 1):
        lines.append(
            f"| intake run {i} ({args.duration:g} s) | {x['n']} | {x['errors']} | {x['achieved']:.1f} | "
            f"{x['p50']:.1f} | {x['p95']:.1f} | {x['p99']:.1f} | {x['max']:.1f} | {cpu_cell(x['cpu_ms'])} |"
        )
    if r.get("extra"):
        x = r["extra"]
        lines.append(
            f"| intake at {args.also_rate:g} req/s ({args.duration:g} s) | {x['n']} | {x['errors']} | "
            f"{x['achieved']:.1f} | {x['p50']:.1f} | {x['p95']:.1f} | {x['p99']:.1f} | {x['max']:.1f} | |"
        )
    lines += [
        f"| **intake at {args.rate:g} req/s, median of {len(runs)} runs** | | {errors} | "
        f"{med['achieved']:.1f} | {med['p50']:.1f} | "
        f"**{med['p95']:.1f}** | {med['p99']:.1f} | {med['max']:.1f} | {cpu_cell(cpu)} |",
        "",
        f"Exactly once: {r['sent_distinct']} distinct client ids accepted, {r['stored']['reports']} reports "
        f"stored ({r['stored']['distinct']} distinct ids); {r['resends']} resends of an earlier id, "
        f"{r['resends_same_code']} of them answered 200 with the original tracking code. "
        f"{'Every report stored exactly once.' if once else 'MISMATCH.'}",
        "",
        "Latency counts from each request's scheduled send time (open loop), so a slow server shows "
        "as queueing instead of a lower request rate. A request more than "
        f"{MAX_LAG:g} s behind schedule is not sent and counts as an error (errors include these: "
        f"{sum(x['not_sent'] for x in runs)} in the main runs). CPU per intake: the CPU time of the "
        "gunicorn processes, the PostgreSQL server's processes and the dispatch worker during the run "
        "(and 1.5 s after it, for the last seal), divided by the intakes answered; the load generator's "
        "own CPU is not in it: it took "
        f"{statistics.median(x.get('generator_cpu_ms', 0.0) for x in runs):.1f} ms of CPU per request "
        "sent (median of the runs), on the same two cores.",
        "",
    ]
    return "\n".join(lines)


def write_section(text: str) -> None:
    """Replace this subsection of "## Dispatch intake" (same heading), keep the others."""
    path = ROOT / "BENCHMARKS.md"
    doc = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    start = doc.find("\n## Dispatch intake\n")
    if start < 0:
        doc = doc.rstrip("\n") + "\n\n## Dispatch intake\n\n" + text
    else:
        nxt = doc.find("\n## ", start + 1)
        end = nxt if nxt >= 0 else len(doc)
        section = doc[start:end]
        head = text.splitlines()[0]
        at = section.find("\n" + head + "\n")
        if at >= 0:
            stop = section.find("\n### ", at + 1)
            section = section[: at + 1] + text + (section[stop:] if stop >= 0 else "")
        else:
            section = section.rstrip("\n") + "\n\n" + text
        doc = doc[:start] + section.rstrip("\n") + "\n" + doc[end:]
    if not doc.endswith("\n"):
        doc += "\n"
    path.write_text(doc, encoding="utf-8")
    print(f"updated {path}")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
