"""Reliability under faults (issue 12): intake under load while processes and the database die.

One run, on a throw-away PostgreSQL server with production durability (fsync, synchronous
commit and full-page writes on, unlike the test server's defaults):
  - gunicorn (`--workers`, sync workers, `--reuse-port` so a new master can take over the port)
    and the long-running worker (`zhifa dispatch-worker`, which seals the audit chain with
    ZHIFA_AUDIT_SEAL=worker, the production default);
  - an open-loop generator sends intake reports at `--rate` per second for `--duration` seconds,
    each with its own client id; a report that gets no 200/201 (refused connection, 5xx, time-out)
    is resent with the same id after a pause, as the phone app does, until accepted or
    `--give-up` seconds have passed;
  - faults on a schedule: kill -9 of one gunicorn worker, of the dispatch worker (restarted),
    of the gunicorn master (a new one started), and a crash restart of PostgreSQL
    (`pg_ctl restart -m immediate`: no checkpoint, recovery from the WAL);
  - afterwards: every id the server accepted must be stored exactly once (lost = accepted but not
    stored, duplicated = stored twice), every id must end up accepted, and `zhifa audit verify`
    must pass over the whole chain once the worker has sealed it;
  - the schema fuzz pass of `make test` (tests/api/test_schema_fuzz.py) with its request count
    and status histogram, on SQLite and on PostgreSQL: 5xx must be 0.

Usage: .venv/bin/python bench/reliability_bench.py [--rate 100 --duration 80 --workers 2]
       [--no-fuzz] [--no-write]
Writes the "## Reliability" section of BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import random
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import parse_qs, urlparse

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))
VENV = ROOT / ".venv" / "bin"

from dispatch_intake_bench import SETUP, Client, free_port, machine, pct, texts  # noqa: E402

COUNT = r"""
import django, json
django.setup()
from django.db.models import Count
from zhifa.dispatch.models import Report
qs = Report.objects.filter(client_id__startswith="rel-")
dup = qs.values("client_id").annotate(n=Count("id")).filter(n__gt=1).count()
print(json.dumps({"ids": sorted(qs.values_list("client_id", flat=True)), "duplicated": dup}))
"""

DURABLE = {"fsync": "on", "synchronous_commit": "on", "full_page_writes": "on"}


class Stack:
    """The served application: gunicorn master + workers and the dispatch worker."""

    def __init__(self, env: dict, port: int, workers: int, log: Path):
        self.env, self.port, self.workers, self.log = env, port, workers, log
        self.gunicorn: subprocess.Popen | None = None
        self.worker: subprocess.Popen | None = None

    def start_gunicorn(self) -> None:
        self.gunicorn = subprocess.Popen(
            [
                str(VENV / "gunicorn"),
                "zhifa.wsgi:application",
                "--workers",
                str(self.workers),
                "--bind",
                f"127.0.0.1:{self.port}",
                "--reuse-port",
                "--backlog",
                "2048",
                "--log-level",
                "warning",
            ],
            env=self.env,
            stdout=self.log.open("a"),
            stderr=subprocess.STDOUT,
        )

    def start_worker(self) -> None:
        self.worker = subprocess.Popen(
            [str(VENV / "zhifa"), "dispatch-worker", "--interval", "5"],
            env=self.env,
            stdout=self.log.open("a"),
            stderr=subprocess.STDOUT,
        )

    def gunicorn_children(self) -> list[int]:
        assert self.gunicorn is not None
        out = subprocess.run(["pgrep", "-P", str(self.gunicorn.pid)], capture_output=True, text=True)
        return [int(p) for p in out.stdout.split()]

    def wait_ready(self, timeout: float = 60) -> None:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("gunicorn 未能启动")

    def stop(self) -> None:
        for proc in (self.gunicorn, self.worker):
            if proc and proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    proc.kill()


def pg_restart(url: str) -> float:
    """Crash-restart the server behind `url` (immediate mode: recovery from the WAL). Seconds taken."""
    from zhifa.testing.pgserver import _run_as, find_binary

    sock = Path(parse_qs(urlparse(url).query)["host"][0])
    data = sock.parent / "data"
    user = "postgres" if os.geteuid() == 0 else None
    t = time.perf_counter()
    subprocess.run(
        [
            find_binary("pg_ctl"),
            "-D",
            str(data),
            "-l",
            str(sock.parent / "log"),
            "-m",
            "immediate",
            "-w",
            "restart",
        ],
        check=True,
        stdout=subprocess.DEVNULL,
        preexec_fn=_run_as(user),
        env={**os.environ, "LC_ALL": "C.UTF-8"},
    )
    return time.perf_counter() - t


def faults(stack: Stack, url: str, at: dict[str, float], t0: float, record: list[dict]) -> None:
    """Inject the faults at their times (seconds after t0); what was done goes into `record`."""

    def wait_until(t: float) -> None:
        delay = t0 + t - time.perf_counter()
        if delay > 0:
            time.sleep(delay)

    def note(what: str, **extra) -> None:
        record.append({"t": round(time.perf_counter() - t0, 1), "what": what, **extra})

    for name, t in sorted(at.items(), key=lambda kv: kv[1]):
        wait_until(t)
        if name == "gunicorn_worker":
            victim = stack.gunicorn_children()[0]
            os.kill(victim, signal.SIGKILL)
            note("kill -9 一个 gunicorn 工作进程", pid=victim)
        elif name == "dispatch_worker":
            assert stack.worker is not None
            os.kill(stack.worker.pid, signal.SIGKILL)
            stack.worker.wait()
            note("kill -9 后台工作进程（dispatch-worker）", pid=stack.worker.pid)
            time.sleep(2)
            stack.start_worker()
            note("后台工作进程重新启动")
        elif name == "gunicorn_master":
            assert stack.gunicorn is not None
            os.kill(stack.gunicorn.pid, signal.SIGKILL)
            stack.gunicorn.wait()
            note("kill -9 gunicorn 主进程", pid=stack.gunicorn.pid)
            time.sleep(1)
            stack.start_gunicorn()
            stack.wait_ready()
            note("新的 gunicorn 主进程接管端口")
        elif name == "database":
            took = pg_restart(url)
            note("PostgreSQL 崩溃重启（immediate）", seconds=round(took, 2))


def run_load(client: Client, base: str, rate: float, duration: float, give_up: float, points, pool_texts):
    """Open loop with resends: report i is due at t0 + i/rate; it is resent until accepted."""
    n = int(rate * duration)
    rng = random.Random(20261207)
    plan = []
    for i in range(n):
        lon, lat = rng.choice(points)
        plan.append(
            {
                "client_id": f"rel-{i}",
                "text": rng.choice(pool_texts),
                "lon": lon + rng.uniform(-0.0015, 0.0015),
                "lat": lat + rng.uniform(-0.0012, 0.0012),
                "channel": "mobile",
            }
        )
    first_lat = [0.0] * n
    first_status = [0] * n
    final_status = [0] * n
    tries = [0] * n
    accepted_at = [0.0] * n
    t0 = time.perf_counter() + 0.5

    def job(i: int, due: float) -> None:
        session = client.session()
        while True:
            tries[i] += 1
            try:
                r = session.post(base + "/api/dispatch/reports/", json=plan[i], timeout=15)
                code = r.status_code
            except Exception:  # refused, reset or timed out: the phone keeps it and resends
                code = -1
            if tries[i] == 1:
                first_lat[i] = (time.perf_counter() - due) * 1000
                first_status[i] = code
            if code in (200, 201):
                final_status[i] = code
                accepted_at[i] = time.perf_counter() - t0
                return
            if time.perf_counter() - due > give_up:
                final_status[i] = code
                return
            time.sleep(0.5 + rng.random())

    with ThreadPoolExecutor(max_workers=160) as pool:
        for i in range(n):
            due = t0 + i / rate
            delay = due - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            pool.submit(job, i, due)
    return t0, {
        "n": n,
        "first_lat": first_lat,
        "first_status": first_status,
        "final_status": final_status,
        "tries": tries,
        "due": [i / rate for i in range(n)],
    }


def fuzz(on_postgres: bool) -> dict:
    """The schema fuzz test of `make test`, with its request count and status histogram."""
    cmd = [str(VENV / "pytest"), "-p", "no:xdist", "-s", "tests/api/test_schema_fuzz.py"]
    if on_postgres:
        cmd = [str(VENV / "python"), "-m", "zhifa.testing.pgserver", "--", *cmd]
    env = {**os.environ, "ZHIFA_FUZZ_STATS": "1", "ZHIFA_VAR_DIR": tempfile.mkdtemp(prefix="zhifa-fuzz-")}
    t = time.perf_counter()
    out = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - t
    m = re.search(r"schema fuzz: (\d+) requests (\{.*\})", out.stdout)
    stats = {}
    if m:
        stats = ast.literal_eval(m.group(2))  # {(method, status): count}
    passed = re.search(r"(\d+) passed", out.stdout + out.stderr)
    failed = re.search(r"(\d+) failed", out.stdout + out.stderr)
    return {
        "requests": int(m.group(1)) if m else 0,
        "5xx": sum(v for (_method, code), v in stats.items() if code.startswith("5")),
        "statuses": sorted({code for (_m, code) in stats}),
        "tests_passed": int(passed.group(1)) if passed else 0,
        "tests_failed": int(failed.group(1)) if failed else 0,
        "rc": out.returncode,
        "wall": wall,
    }


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rate", type=float, default=100.0)
    ap.add_argument("--duration", type=float, default=80.0)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--give-up", type=float, default=120.0, help="seconds after which a report is given up")
    ap.add_argument("--no-fuzz", action="store_true")
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args(argv)

    from zhifa.testing.pgserver import temporary_server

    schedule = {
        "gunicorn_worker": args.duration * 0.2,
        "dispatch_worker": args.duration * 0.35,
        "gunicorn_master": args.duration * 0.5,
        "database": args.duration * 0.7,
    }
    pool_texts = texts()
    var = Path(tempfile.mkdtemp(prefix="zhifa-reliability-"))
    record: list[dict] = []
    with temporary_server(DURABLE) as url:
        env = {
            **os.environ,
            "DATABASE_URL": url,
            "ZHIFA_VAR_DIR": str(var),
            "ZHIFA_DEBUG": "0",
            "ZHIFA_AUDIT_SEAL": "worker",
            "DJANGO_SETTINGS_MODULE": "zhifa.settings",
            "PYTHONPATH": str(ROOT / "src"),
        }
        subprocess.run([str(VENV / "zhifa"), "migrate", "-v0"], check=True, env=env)
        out = subprocess.run(
            [str(VENV / "python"), "-c", SETUP], check=True, env=env, capture_output=True, text=True
        )
        points = json.loads(out.stdout.strip().splitlines()[-1])
        stack = Stack(env, free_port(), args.workers, var / "server.log")
        stack.start_gunicorn()
        stack.start_worker()
        base = f"http://127.0.0.1:{stack.port}"
        try:
            stack.wait_ready()
            client = Client(base)
            for _ in range(20):  # warm-up: every worker loads its grid index
                client.session().get(base + "/api/org/me/", timeout=30)
            t0_box: list[float] = []

            def start_faults() -> None:
                while not t0_box:
                    time.sleep(0.05)
                faults(stack, url, schedule, t0_box[0], record)

            injector = threading.Thread(target=start_faults)
            injector.start()
            t_start = time.perf_counter() + 0.5
            t0_box.append(t_start)
            _t0, res = run_load(client, base, args.rate, args.duration, args.give_up, points, pool_texts)
            injector.join()
            time.sleep(12)  # the worker's next passes seal what the last requests appended
            verify = subprocess.run(
                [str(VENV / "zhifa"), "audit", "verify"], env=env, capture_output=True, text=True
            )
            counted = json.loads(
                subprocess.run(
                    [str(VENV / "python"), "-c", COUNT], check=True, env=env, capture_output=True, text=True
                ).stdout.strip()
            )
        finally:
            stack.stop()
    stored = set(counted["ids"])
    accepted = {f"rel-{i}" for i, s in enumerate(res["final_status"]) if s in (200, 201)}
    quiet_end = schedule["gunicorn_worker"]
    quiet = [lat for lat, due in zip(res["first_lat"], res["due"], strict=True) if due < quiet_end - 1]
    first_fail = [s for s in res["first_status"] if s not in (200, 201)]
    result = {
        "sent": res["n"],
        "accepted": len(accepted),
        "never_accepted": res["n"] - len(accepted),
        "stored": len(stored),
        "lost": len(accepted - stored),
        "stored_not_accepted": len(stored - accepted),
        "duplicated": counted["duplicated"],
        "first_try_failures": len(first_fail),
        "first_try_5xx": sum(1 for s in first_fail if s >= 500),
        "first_try_codes": {str(c): first_fail.count(c) for c in sorted(set(first_fail))},
        "first_try_refused": sum(1 for s in first_fail if s < 0),
        "resends": sum(res["tries"]) - res["n"],
        "max_tries": max(res["tries"]),
        "p50_all": pct(res["first_lat"], 50),
        "p95_all": pct(res["first_lat"], 95),
        "p95_quiet": pct(quiet, 95),
        "quiet_requests": len(quiet),
        "verify_rc": verify.returncode,
        "verify_out": (verify.stdout + verify.stderr).strip().splitlines()[-3:],
        "faults": record,
    }
    if not args.no_fuzz:
        result["fuzz_sqlite"] = fuzz(False)
        result["fuzz_postgres"] = fuzz(True)
    print(json.dumps(result, ensure_ascii=False, indent=1))
    text = render(args, result)
    print(text)
    if not args.no_write:
        write_section(text)
    ok = not (result["lost"] or result["duplicated"] or result["never_accepted"] or verify.returncode)
    return 0 if ok else 1


def render(args, r: dict) -> str:
    lines = [
        "## Reliability",
        "",
        "Intake under load while processes and the database are killed (issue 12). Measured "
        f"{time.strftime('%Y-%m-%d')} by `.venv/bin/python bench/reliability_bench.py --rate {args.rate:g} "
        f"--duration {args.duration:g} --workers {args.workers}` on: {machine()}. PostgreSQL with fsync, "
        "synchronous commit and full-page writes on; gunicorn with sync workers and `--reuse-port`; the "
        "dispatch worker sealing the audit chain (ZHIFA_AUDIT_SEAL=worker). The load generator runs on the "
        "same machine; a report not answered 200/201 is resent with the same client id after 0.5–1.5 s, "
        "as the phone app does.",
        "",
        "| fault | at s |",
        "|---|---|",
    ]
    for f in r["faults"]:
        extra = f" ({f['seconds']} s)" if "seconds" in f else ""
        lines.append(f"| {f['what']}{extra} | {f['t']} |")
    lines += [
        "",
        "| what | value |",
        "|---|---|",
        f"| reports sent (distinct client ids) | {r['sent']} |",
        f"| accepted in the end | {r['accepted']} |",
        f"| never accepted | **{r['never_accepted']}** |",
        f"| stored | {r['stored']} |",
        f"| **lost** (accepted, not stored) | **{r['lost']}** |",
        f"| stored twice | **{r['duplicated']}** |",
        "| stored but never answered (answer lost in a fault; the resend found it) | "
        f"{r['stored_not_accepted']} |",
        f"| first tries that failed (5xx / refused or reset) | {r['first_try_failures']} "
        f"({r['first_try_5xx']} / {r['first_try_refused']}; by status: "
        + ", ".join(f"{k}: {v}" for k, v in r["first_try_codes"].items() if k != "-1")
        + ") |",
        f"| resends | {r['resends']} (at most {r['max_tries']} tries for one report) |",
        f"| first-try latency p50 / p95, whole run | {r['p50_all']:.1f} / {r['p95_all']:.1f} ms |",
        f"| first-try latency p95 before the first fault ({r['quiet_requests']} requests) | "
        f"{r['p95_quiet']:.1f} ms |",
        f"| `zhifa audit verify` after the run | {'passed' if r['verify_rc'] == 0 else 'FAILED'} |",
        "",
    ]
    for key, name in (("fuzz_sqlite", "SQLite"), ("fuzz_postgres", "PostgreSQL")):
        fz = r.get(key)
        if fz:
            lines.append(
                f"Schema fuzz on {name} (`tests/api/test_schema_fuzz.py`, fixed seed, as in `make test`): "
                f"{fz['requests']} requests, **{fz['5xx']} answered 5xx**, "
                f"statuses seen {', '.join(fz['statuses'])}; "
                f"{fz['tests_passed']} tests passed, {fz['tests_failed']} failed; {fz['wall']:.0f} s."
            )
    lines += [
        "",
        "Failed first tries are the requests in flight when a process or the database died (a killed "
        "worker's connections are reset; during the database restart a request gets 503 with "
        "Retry-After and its transaction is rolled back). None of them is lost: the resend carries "
        "the same client id, and intake stores a client id once.",
    ]
    return "\n".join(lines) + "\n"


def write_section(text: str) -> None:
    path = ROOT / "BENCHMARKS.md"
    body = path.read_text(encoding="utf-8")
    start = body.find("## Reliability")
    if start == -1:
        body = body.rstrip("\n") + "\n\n" + text
    else:
        nxt = body.find("\n## ", start + 3)
        body = body[:start] + text + (body[nxt + 1 :] if nxt != -1 else "")
    path.write_text(body, encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
