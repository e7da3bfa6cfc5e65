"""Memory of one gunicorn worker under mixed requests (issue 11): RSS after 10,000 requests.

One run, on a throw-away PostgreSQL server with the demo county's catalogue and grid map: one
gunicorn sync worker serves `--requests` requests from 8 client threads, a mix of intake
(POST /api/dispatch/reports/, each located in the grid map), the dispatcher's queue page, the
API report list, one report's detail page, the dispatch board and GET /api/org/me/. The worker's
resident set size (VmRSS, and its peak VmHWM) is read from /proc after start-up, after the
warm-up and after every 1,000 requests, so growth (a leak) shows as a slope, not only as the end.

Baseline in the same run: the same worker's RSS after start-up and warm-up (what the code,
the grid index and the stored routing model take before any load). The routing model is stored
before the server starts, as `zhifa load-demo` or `zhifa train-router` leave it in production;
a worker that has to train one itself loads jieba and the training data (about 200 MB more,
which the allocator keeps).

Usage: .venv/bin/python bench/rss_bench.py [--requests 10000] [--no-write]
Writes the "## Memory" section of BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))
VENV = ROOT / ".venv" / "bin"

from dispatch_intake_bench import SETUP, Client, free_port, machine, texts  # noqa: E402

TARGET_MB = 250


def rss_mb(pid: int) -> tuple[float, float]:
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        fields[key] = value.strip()
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--requests", type=int, default=10_000)
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args(argv)

    from zhifa.testing.pgserver import temporary_server

    var = Path(tempfile.mkdtemp(prefix="zhifa-rss-"))
    pool_texts = texts()
    samples: list[tuple[int, float, float]] = []
    codes: dict[int, int] = {}
    with temporary_server() as url:
        env = {
            **os.environ,
            "DATABASE_URL": url,
            "ZHIFA_VAR_DIR": str(var),
            "ZHIFA_DEBUG": "0",
            "DJANGO_SETTINGS_MODULE": "zhifa.settings",
            "PYTHONPATH": str(ROOT / "src"),
        }
        subprocess.run([str(VENV / "zhifa"), "migrate", "-v0"], check=True, env=env)
        out = subprocess.run(
            [str(VENV / "python"), "-c", SETUP], check=True, env=env, capture_output=True, text=True
        )
        points = json.loads(out.stdout.strip().splitlines()[-1])
        # The bench account is a grid worker; the pages need a dispatcher of the same county.
        subprocess.run(
            [
                str(VENV / "python"),
                "-c",
                "import django;django.setup();from zhifa.org.models import User;"
                "u=User.objects.get(username='bench');u.role='county_dispatcher';u.township=None;u.save();"
                # A stored routing model, as `zhifa load-demo` and `zhifa train-router` leave it:
                # a production worker loads it instead of training in the request.
                "from zhifa.core import audit;from zhifa.dispatch import routing;"
                "exec('with audit.acting_as(\\'基准测试\\'):\\n routing.refresh_stale_models()')",
            ],
            check=True,
            env=env,
        )
        port = free_port()
        server = subprocess.Popen(
            [
                str(VENV / "gunicorn"),
                "zhifa.wsgi:application",
                "--workers",
                "1",
                "--bind",
                f"127.0.0.1:{port}",
                "--log-level",
                "warning",
            ],
            env=env,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            time.sleep(3)
            worker = int(
                subprocess.run(
                    ["pgrep", "-P", str(server.pid)], capture_output=True, text=True
                ).stdout.split()[0]
            )
            client = Client(base)
            samples.append((0, *rss_mb(worker)))
            rng = random.Random(20261207)
            lock = threading.Lock()
            ids: list[int] = []

            def one(i: int) -> None:
                s = client.session()
                with lock:
                    kind = rng.random()
                    lon, lat = rng.choice(points)
                    text = rng.choice(pool_texts)
                    rid = rng.choice(ids) if ids else None
                if kind < 0.4:
                    r = s.post(
                        base + "/api/dispatch/reports/",
                        json={
                            "client_id": f"rss-{i}",
                            "text": text,
                            "lon": lon,
                            "lat": lat,
                            "channel": "mobile",
                        },
                        timeout=60,
                    )
                    if r.status_code == 201:
                        with lock:
                            ids.append(r.json()["id"])
                elif kind < 0.6:
                    r = s.get(base + "/dispatch/", timeout=60)
                elif kind < 0.75:
                    r = s.get(base + "/api/dispatch/reports/", timeout=60)
                elif kind < 0.85 and rid:
                    r = s.get(base + f"/dispatch/{rid}/", timeout=60)
                elif kind < 0.9:
                    r = s.get(base + "/dispatch/board/", timeout=60)
                else:
                    r = s.get(base + "/api/org/me/", timeout=60)
                with lock:
                    codes[r.status_code] = codes.get(r.status_code, 0) + 1

            with ThreadPoolExecutor(max_workers=8) as pool:
                list(pool.map(one, range(200)))  # warm-up
            samples.append((200, *rss_mb(worker)))
            done = 200
            t0 = time.perf_counter()
            while done < args.requests + 200:
                n = min(1000, args.requests + 200 - done)
                with ThreadPoolExecutor(max_workers=8) as pool:
                    list(pool.map(one, range(done, done + n)))
                done += n
                samples.append((done, *rss_mb(worker)))
                print(f"{done} requests: RSS {samples[-1][1]:.0f} MB", flush=True)
            wall = time.perf_counter() - t0
        finally:
            server.terminate()
            server.wait(timeout=30)
    result = {"samples": samples, "codes": codes, "wall": wall, "requests": args.requests}
    print(json.dumps(result))
    text = render(result)
    print(text)
    if not args.no_write:
        write_section(text)
    return 0 if samples[-1][1] < TARGET_MB else 1


def render(r: dict) -> str:
    s = r["samples"]
    start, warm, end = s[0], s[1], s[-1]
    slope = (end[1] - s[2][1]) / max(1, (end[0] - s[2][0]) / 1000) if len(s) > 2 else 0.0
    codes = ", ".join(f"{k}: {v}" for k, v in sorted(r["codes"].items()))
    lines = [
        "## Memory",
        "",
        "One gunicorn sync worker under mixed requests (issue 11). Measured "
        f"{time.strftime('%Y-%m-%d')} by `.venv/bin/python bench/rss_bench.py "
        f"--requests {r['requests']}` on: "
        f"{machine()}. PostgreSQL, the demo county's catalogue and grid map; 8 client threads; 40 % intake, "
        "20 % the dispatcher's queue, 15 % the API report list, 10 % a report's page, 5 % the board, "
        f"10 % GET /api/org/me/. Statuses: {codes}; {r['requests']} requests in {r['wall']:.0f} s.",
        "",
        f"Target: under {TARGET_MB} MB RSS after 10,000 requests. "
        + ("**Met.**" if end[1] < TARGET_MB else "**Not met.**"),
        "",
        "| after | RSS MB | peak (VmHWM) MB |",
        "|---|---|---|",
        f"| start-up (baseline) | {start[1]:.0f} | {start[2]:.0f} |",
        f"| warm-up (200 requests: grid index and router loaded; baseline) | {warm[1]:.0f} | {warm[2]:.0f} |",
    ]
    for n, rss, peak in s[2:]:
        lines.append(f"| {n - 200:,} requests | {rss:.0f} | {peak:.0f} |")
    lines += ["", f"Growth after the first 1,000 requests: {slope:+.1f} MB per 1,000 requests."]
    return "\n".join(lines) + "\n"


def write_section(text: str) -> None:
    path = ROOT / "BENCHMARKS.md"
    body = path.read_text(encoding="utf-8")
    start = body.find("## Memory")
    if start == -1:
        body = body.rstrip("\n") + "\n\n" + text
    else:
        nxt = body.find("\n## ", start + 3)
        body = body[:start] + text + (body[nxt + 1 :] if nxt != -1 else "")
    path.write_text(body, encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
