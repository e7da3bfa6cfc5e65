"""Benchmark of grid lookup (issue 3): a province-sized map of ~100,000 micro grids.

Measured in one run, on one map:
  - `zhifa import-grids` of the map into a fresh SQLite database (validation + write + audit),
    `--import-runs` times, each in its own process under `/usr/bin/time -v`;
  - the in-process index (`zhifa.grid.index`): build time from the DB (median of runs), its memory
    (resident-set growth while building it), batch rate of `locate_many` on random points, and the
    latency of single lookups after warm-up (p50/p99, through the public `services.locate`);
  - baseline: a naive loop over every polygon (`polygon.contains(point)`) on a sample of points;
  - PostGIS (when the extension is installed): the same map in a table with a GiST index,
    `ST_Contains` single lookups (p50/p99 over a Unix socket) and one batched query.

Usage: .venv/bin/python bench/grid_bench.py [--communities 20 --grids 10 --micro 85]
       [--points 1000000] [--runs 3] [--no-postgis] [--no-write] [--map FILE.geojson]
The map is made by ../shared/benchmark/grids/make_grids.py (or zhifa.grid.generate) and cached
under the system temp directory. Writes the "## Grid" section of BENCHMARKS.md, with the import's
target status (met / not met) computed from the medians of `--import-runs` imports, a stage trace of
one more import and a plain load baseline; the section's hand-written notes (after NOTES_MARK) are
kept as they are.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import benchmarks_md
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
CACHE = Path(tempfile.gettempdir()) / "zhifa-grid-bench"


def shared_dir() -> Path | None:
    for cand in (ROOT.parent / "shared", Path("/work/shared")):
        if (cand / "benchmark" / "grids" / "make_grids.py").exists():
            return cand
    return None


def make_map(communities: int, grids: int, micro: int) -> Path:
    CACHE.mkdir(exist_ok=True)
    out = CACHE / f"grids-{communities}x{grids}x{micro}.geojson"
    if out.exists():
        return out
    shared = shared_dir()
    args = ["--communities", str(communities), "--grids", str(grids), "--micro", str(micro)]
    if shared is not None:
        cmd = [sys.executable, str(shared / "benchmark/grids/make_grids.py"), str(out), *args]
    else:
        cmd = [sys.executable, "-m", "zhifa.grid.generate", "bench", str(out), *args]
    print("generating", out.name, "…", flush=True)
    subprocess.run(cmd, check=True, env={**os.environ, "PYTHONPATH": str(ROOT / "src")})
    return out


def rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q))


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def setup_django(var_dir: str) -> None:
    os.environ["ZHIFA_VAR_DIR"] = var_dir
    os.environ.pop("DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhifa.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def random_points(doc_bounds: tuple[float, float, float, float], n: int, seed: int) -> tuple:
    rng = np.random.default_rng(seed)
    minx, miny, maxx, maxy = doc_bounds
    return rng.uniform(minx, maxx, n), rng.uniform(miny, maxy, n)


def bench_postgis(path: Path, xs: np.ndarray, ys: np.ndarray, n_single: int, n_batch: int) -> dict | None:
    from zhifa.testing.pgserver import PostgresUnavailable, temporary_server

    try:
        import psycopg
    except ImportError:
        return None
    try:
        server = temporary_server()
        url = server.__enter__()
    except (PostgresUnavailable, subprocess.CalledProcessError) as exc:
        print("PostGIS: no PostgreSQL server:", exc)
        return None
    try:
        with psycopg.connect(url, autocommit=True) as conn:
            try:
                conn.execute("CREATE EXTENSION postgis")
            except psycopg.Error as exc:
                print("PostGIS: extension not available:", exc)
                return None
            version = conn.execute("SELECT postgis_lib_version()").fetchone()[0]
            feats = json.loads(path.read_text(encoding="utf-8"))["features"]
            t0 = time.perf_counter()
            conn.execute("CREATE TABLE units (code text, level text, geom geometry(Geometry, 4326))")
            with conn.cursor().copy("COPY units (code, level, geom) FROM STDIN") as cp:
                for f in feats:
                    p = f["properties"]
                    if p["level"] in ("micro", "dedicated"):
                        gj = json.dumps(f["geometry"], separators=(",", ":"))
                        cp.write_row((p["code"], p["level"], _ewkt(gj)))
            t_load = time.perf_counter() - t0
            t0 = time.perf_counter()
            conn.execute("CREATE INDEX units_geom ON units USING gist (geom)")
            conn.execute("ANALYZE units")
            t_index = time.perf_counter() - t0
            q = (
                "SELECT code, level FROM units"
                " WHERE ST_Contains(geom, ST_SetSRID(ST_MakePoint(%s, %s), 4326)) "
                "ORDER BY level = 'dedicated' DESC LIMIT 1"
            )
            cur = conn.cursor()
            for i in range(200):  # warm-up
                cur.execute(q, (float(xs[i]), float(ys[i])), prepare=True).fetchall()
            lat = []
            for i in range(n_single):
                t = time.perf_counter_ns()
                cur.execute(q, (float(xs[i]), float(ys[i])), prepare=True).fetchall()
                lat.append((time.perf_counter_ns() - t) / 1e6)
            bq = (
                "SELECT p.i, u.code FROM unnest(%s::float8[], %s::float8[]) WITH ORDINALITY AS p(x, y, i) "
                "LEFT JOIN LATERAL (SELECT code FROM units WHERE ST_Contains(geom, "
                "ST_SetSRID(ST_MakePoint(p.x, p.y), 4326))"
                " ORDER BY level = 'dedicated' DESC LIMIT 1) u ON true"
            )
            t0 = time.perf_counter()
            rows = cur.execute(bq, (xs[:n_batch].tolist(), ys[:n_batch].tolist())).fetchall()
            t_batch = time.perf_counter() - t0
            assert len(rows) == n_batch
            return {
                "version": version,
                "load_s": t_load,
                "index_s": t_index,
                "p50_ms": pct(lat, 50),
                "p99_ms": pct(lat, 99),
                "batch_rate": n_batch / t_batch,
                "n_batch": n_batch,
                "n_single": n_single,
            }
    finally:
        server.__exit__(None, None, None)


def _ewkt(geojson: str) -> str:
    import shapely

    return "SRID=4326;" + shapely.to_wkt(shapely.from_geojson(geojson), rounding_precision=-1)


def plain_strtree(idx, xs: np.ndarray, ys: np.ndarray) -> list[str | None]:
    """The plain script: one STRtree per level over the index's own polygons, a bulk
    `query(points, predicate="intersects")`, and per point the same rule as the index: a dedicated
    grid first, then the micro grid, else grid, community, township; on a shared edge the lowest
    code (the level's polygons are in code order). The STRtrees are built in the timed part,
    as a script would; the polygons are the loaded and prepared ones of the index."""
    import shapely

    from zhifa.grid.models import COMMUNITY, DEDICATED, GRID, MICRO, TOWNSHIP

    pts = shapely.points(xs, ys)
    n = len(xs)
    answer = np.full(n, -1, dtype=np.int64)
    codes: list[str] = []
    todo = np.arange(n)

    def first_hit(level: str, where: np.ndarray) -> np.ndarray:
        tree = idx.levels[level]
        offset = len(codes)
        codes.extend(loc_code(loc, level) for loc in tree.locations)
        hit = np.full(len(where), np.iinfo(np.int64).max, dtype=np.int64)
        p, g = shapely.STRtree(tree.polygons).query(pts[where], predicate="intersects")
        np.minimum.at(hit, p, g)
        return np.where(hit == np.iinfo(np.int64).max, -1, hit + offset)

    in_township = None
    for level in (DEDICATED, MICRO, TOWNSHIP, GRID, COMMUNITY):
        if level not in idx.levels or not len(todo):
            continue
        found = first_hit(level, todo)
        if level == TOWNSHIP:
            in_township = np.full(n, -1, dtype=np.int64)
            in_township[todo] = found
            todo = todo[found >= 0]
            continue
        answer[todo[found >= 0]] = found[found >= 0]
        todo = todo[found < 0]
    if in_township is not None:
        answer[todo] = in_township[todo]
    out = np.array([*codes, None], dtype=object)
    return out[answer].tolist()  # -1 picks the None at the end


def _time_v(text: str) -> tuple[float, float, float]:
    """Wall seconds, CPU seconds and peak RSS in MB from `/usr/bin/time -v`."""
    fields = dict(line.strip().rsplit(": ", 1) for line in text.splitlines() if ": " in line)
    parts = [float(p) for p in fields["Elapsed (wall clock) time (h:mm:ss or m:ss)"].split(":")]
    wall = sum(p * 60**i for i, p in enumerate(reversed(parts)))
    cpu = float(fields["User time (seconds)"]) + float(fields["System time (seconds)"])
    return wall, cpu, int(fields["Maximum resident set size (kbytes)"]) / 1024


def shapely_version() -> str:
    import shapely

    return shapely.__version__


def loc_code(loc, level: str) -> str:
    return getattr(loc, level)


IMPORT_TARGET_S, IMPORT_TARGET_MB = 30.0, 400.0  # issue 11
PLAIN_IMPORT = """
import json, sqlite3, sys
import shapely
path, db = sys.argv[1], sys.argv[2]
with open(path, "rb") as f:
    doc = json.load(f)
feats = doc["features"]
texts = [json.dumps(f["geometry"], separators=(",", ":")) for f in feats]
geoms = shapely.from_geojson(texts)
wkbs = shapely.to_wkb(geoms)
bounds = shapely.bounds(geoms).tolist()
con = sqlite3.connect(db)
con.execute("CREATE TABLE unit (id INTEGER PRIMARY KEY, code TEXT UNIQUE, level TEXT, parent TEXT,"
            " geometry TEXT, geometry_wkb BLOB, minx REAL, miny REAL, maxx REAL, maxy REAL)")
with con:
    con.executemany("INSERT INTO unit (code, level, parent, geometry, geometry_wkb, minx, miny, maxx, maxy)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    ((f["properties"]["code"], f["properties"]["level"], f["properties"].get("parent"),
                      t, w, *b) for f, t, w, b in zip(feats, texts, wkbs, bounds)))
"""


def plain_import(path: Path) -> tuple[float, float, float]:
    """Baseline: a plain script that only loads the map (json.load, shapely.from_geojson, WKB,
    one executemany into a bare SQLite table): no checks, no tree, no audit. Wall, CPU, MB."""
    with tempfile.TemporaryDirectory() as tmp:
        proc = subprocess.run(
            [
                "/usr/bin/time",
                "-v",
                sys.executable,
                "-c",
                PLAIN_IMPORT,
                str(path),
                str(Path(tmp) / "plain.db"),
            ],
            capture_output=True,
            text=True,
            check=True,
        )
    return _time_v(proc.stderr)


def stage_trace(path: Path) -> dict[str, tuple[float, float]]:
    """One more import, in its own process (`--stage-trace`): seconds and peak RSS per stage."""
    var_dir = tempfile.mkdtemp(prefix="zhifa-grid-trace-")
    try:
        subprocess.run(
            [str(ROOT / ".venv/bin/zhifa"), "migrate", "-v0"],
            env={**os.environ, "ZHIFA_VAR_DIR": var_dir},
            check=True,
        )
        proc = subprocess.run(
            [sys.executable, __file__, "--stage-trace", str(path)],
            env={**os.environ, "ZHIFA_VAR_DIR": var_dir},
            capture_output=True,
            text=True,
            check=True,
        )
    finally:
        shutil.rmtree(var_dir, ignore_errors=True)
    return {k: tuple(v) for k, v in json.loads(proc.stdout.splitlines()[-1]).items()}


def _hwm_mb(reset: bool) -> float:
    """Peak RSS since the last reset (VmHWM), then reset it (`5` to clear_refs, Linux)."""
    with open("/proc/self/status") as f:
        hwm = next(int(line.split()[1]) for line in f if line.startswith("VmHWM:")) / 1024
    if reset:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    return hwm


def run_stage_trace(path: str) -> None:
    """The import of `zhifa import-grids`, with each stage timed and its peak RSS taken."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhifa.settings")
    import django

    django.setup()
    from zhifa.core import audit
    from zhifa.grid import importer

    times: dict[str, float] = {}  # each stage's own time, without the stages run inside it
    peaks: dict[str, float] = {}
    stack: list[list] = [["other", 0.0]]  # [stage, seconds spent in stages inside it]

    def timed(name, fn):
        def wrapper(*args, **kwargs):
            top = stack[-1][0]
            peaks[top] = max(peaks.get(top, 0.0), _hwm_mb(reset=True))
            stack.append([name, 0.0])
            t0 = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                elapsed = time.perf_counter() - t0
                _, inner = stack.pop()
                times[name] = times.get(name, 0.0) + elapsed - inner
                stack[-1][1] += elapsed
                peaks[name] = max(peaks.get(name, 0.0), _hwm_mb(reset=True))

        return wrapper

    importer.parse_file = timed("read and parse", importer.parse_file)
    importer._Checker.run = timed("checks", importer._Checker.run)
    importer._write = timed("write rows", importer._write)
    audit.record_many = timed("audit entries", audit.record_many)
    audit.seal_pending = timed("seal", audit.seal_pending)
    _hwm_mb(reset=True)
    t0 = time.perf_counter()
    with audit.acting_as("命令行"):
        importer.import_file(path)
    total = time.perf_counter() - t0
    peaks["other"] = max(peaks.get("other", 0.0), _hwm_mb(reset=False))
    times["other"] = total - sum(times.values())
    out = {k: (times.get(k, 0.0), peaks.get(k, 0.0)) for k in
           ("read and parse", "checks", "write rows", "audit entries", "seal", "other")}  # fmt: skip
    out["total"] = (total, max(peaks.values()))
    print(json.dumps(out))


def main(argv: list[str]) -> int:
    if argv[:1] == ["--stage-trace"]:
        run_stage_trace(argv[1])
        return 0
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--communities", type=int, default=20)
    ap.add_argument("--grids", type=int, default=10)
    ap.add_argument("--micro", type=int, default=85)
    ap.add_argument("--map", default=None, help="use this GeoJSON instead of generating one")
    ap.add_argument("--points", type=int, default=1_000_000)
    ap.add_argument("--single", type=int, default=20_000)
    ap.add_argument("--naive", type=int, default=20, help="points for the naive baseline")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--import-runs", type=int, default=3, help="`zhifa import-grids` runs (median)")
    ap.add_argument("--no-postgis", action="store_true")
    ap.add_argument("--no-write", action="store_true", help="do not update BENCHMARKS.md")
    a = ap.parse_args(argv)

    load_before = os.getloadavg()[0]
    path = Path(a.map) if a.map else make_map(a.communities, a.grids, a.micro)
    var_dir = tempfile.mkdtemp(prefix="zhifa-grid-bench-")
    setup_django(var_dir)
    from zhifa.core import audit
    from zhifa.grid import index, services
    from zhifa.grid.importer import import_file
    from zhifa.grid.models import GridUnit

    print("importing", path.name, "…", flush=True)
    a.imports = a.plain_import = a.trace = None
    if Path("/usr/bin/time").exists():
        # `zhifa import-grids` as a user runs it, in its own process, each run into a fresh
        # database (the last one is kept for the lookups): wall, CPU and peak RSS per run.
        from django.db import connection

        connection.close()
        a.imports = []
        for i in range(a.import_runs):
            run_dir = var_dir if i == a.import_runs - 1 else tempfile.mkdtemp(prefix="zhifa-grid-bench-")
            if run_dir != var_dir:
                subprocess.run(
                    [str(ROOT / ".venv/bin/zhifa"), "migrate", "-v0"],
                    env={**os.environ, "ZHIFA_VAR_DIR": run_dir},
                    check=True,
                )
            proc = subprocess.run(
                ["/usr/bin/time", "-v", str(ROOT / ".venv/bin/zhifa"), "import-grids", str(path)],
                env={**os.environ, "ZHIFA_VAR_DIR": run_dir},
                capture_output=True,
                text=True,
                check=True,
            )
            if run_dir != var_dir:
                shutil.rmtree(run_dir, ignore_errors=True)
            a.imports.append(_time_v(proc.stderr))
            print(
                "import: {:.1f} s wall, {:.1f} s CPU, peak RSS {:.0f} MB".format(*a.imports[-1]), flush=True
            )
        t_import = statistics.median(r[0] for r in a.imports)
        counts = {
            lv: GridUnit.objects.filter(level=lv).count()
            for lv in ("township", "community", "grid", "micro", "dedicated")
        }
        a.plain_import = plain_import(path)
        print("plain load: {:.1f} s wall, {:.1f} s CPU, peak RSS {:.0f} MB".format(*a.plain_import))
        a.trace = stage_trace(path)
        print("stages:", ", ".join(f"{k} {v[0]:.1f} s / {v[1]:.0f} MB" for k, v in a.trace.items()))
    else:
        t0 = time.perf_counter()
        with audit.acting_as("基准测试"):
            result = import_file(path)
        t_import = time.perf_counter() - t0
        counts = result.by_level
        print(f"import: {t_import:.1f} s ({result.summary()})", flush=True)
    n_units = sum(counts.values())

    # memory first, in a clean heap: resident-set growth while building one index
    gc.collect()
    rss0 = rss_mb()
    idx = index.build_from_db()
    rss1 = rss_mb()
    mem_mb = rss1 - rss0
    del idx
    gc.collect()

    t_db, t_build = [], []
    for _ in range(a.runs):
        t0 = time.perf_counter()
        rows = index.load_rows()
        t_db.append(time.perf_counter() - t0)
        del rows
        gc.collect()
        t0 = time.perf_counter()
        idx = index.build_from_db()  # what a process does on first use: DB read + build
        t_build.append(time.perf_counter() - t0)
        del idx
        gc.collect()
    t_total = t_build
    print(f"index build: {statistics.median(t_total):.2f} s (DB read {statistics.median(t_db):.2f} s)")

    idx = index.get_index(force_check=True)
    agg = GridUnit.objects.filter(level="township").values_list("minx", "miny", "maxx", "maxy")
    bounds = (
        min(r[0] for r in agg),
        min(r[1] for r in agg),
        max(r[2] for r in agg),
        max(r[3] for r in agg),
    )
    xs, ys = random_points(bounds, a.points, seed=3)
    batch = []
    found = dedicated = 0
    for _ in range(a.runs):
        t0 = time.perf_counter()
        locs = idx.locate_many(xs, ys)
        batch.append(time.perf_counter() - t0)
        found = sum(1 for loc in locs if loc is not None)
        dedicated = sum(1 for loc in locs if loc is not None and loc.dedicated)
        del locs
    rate = a.points / statistics.median(batch)
    print(f"batch: {rate:,.0f} points/s ({found:,} of {a.points:,} inside, {dedicated:,} in dedicated grids)")

    # plain baseline in the same run, on the same points: a straightforward shapely 2 script
    plain_runs, plain_cpu, batch_cpu = [], [], []
    plain_codes = None
    for _ in range(a.runs):
        c0, t0 = time.process_time(), time.perf_counter()
        plain_codes = plain_strtree(idx, xs, ys)
        plain_runs.append(time.perf_counter() - t0)
        plain_cpu.append(time.process_time() - c0)
        c0 = time.process_time()
        idx.locate_many(xs, ys)
        batch_cpu.append(time.process_time() - c0)
    locs = idx.locate_many(xs, ys)
    ours = [None if loc is None else (loc.dedicated or loc.micro or loc.grid or loc.community or loc.township)
            for loc in locs]  # fmt: skip
    plain_agree = sum(1 for p, o in zip(plain_codes, ours, strict=True) if p == o)
    del locs, ours
    plain_rate = a.points / statistics.median(plain_runs)
    a.plain = (plain_runs, plain_cpu, batch_cpu, plain_agree)
    print(
        f"plain STRtree: {plain_rate:,.0f} points/s; index/plain = {rate / plain_rate:.2f}×; "
        f"{plain_agree:,}/{a.points:,} answers equal"
    )

    for i in range(2000):  # warm-up
        services.locate(xs[i], ys[i])
    lat = []
    for i in range(a.single):
        x, y = float(xs[i]), float(ys[i])
        t = time.perf_counter_ns()
        services.locate(x, y)
        lat.append((time.perf_counter_ns() - t) / 1e6)
    lat_gcj = []
    for i in range(a.single // 4):
        x, y = float(xs[i]), float(ys[i])
        t = time.perf_counter_ns()
        services.locate(x, y, "gcj02")
        lat_gcj.append((time.perf_counter_ns() - t) / 1e6)
    print(f"single: p50 {pct(lat, 50) * 1000:.0f} µs, p99 {pct(lat, 99) * 1000:.0f} µs")

    # baseline: every polygon tested in turn, no index at all
    import shapely

    leaves = [
        (u.code, u.level, shapely.from_geojson(u.geometry))
        for u in GridUnit.objects.filter(level__in=("micro", "dedicated")).only("code", "level", "geometry")
    ]
    leaves.sort(key=lambda r: r[1] != "dedicated")  # dedicated first, as the precedence rule wants
    t0 = time.perf_counter()
    agree = 0
    for i in range(a.naive):
        p = shapely.Point(xs[i], ys[i])
        hit = None
        for code, _, poly in leaves:
            if poly.contains(p):
                hit = code
                break
        loc = idx.locate(xs[i], ys[i])
        agree += hit == (loc.dedicated or loc.micro if loc else None)
    naive_s = (time.perf_counter() - t0) / a.naive
    print(f"naive: {1 / naive_s:,.1f} points/s ({agree}/{a.naive} agree with the index)")
    del leaves

    # end to end: `zhifa locate` on a JSON Lines file (process start, index build, parse, write)
    n_cli = min(a.points, 300_000)
    src = Path(var_dir) / "points.jsonl"
    with src.open("w", encoding="utf-8") as f:
        for i in range(n_cli):
            f.write(json.dumps({"id": i, "lon": float(xs[i]), "lat": float(ys[i])}) + "\n")
    t0 = time.perf_counter()
    subprocess.run(
        [str(ROOT / ".venv/bin/zhifa"), "locate", str(src), "-o", str(Path(var_dir) / "out.jsonl")],
        check=True,
        env={**os.environ, "ZHIFA_VAR_DIR": var_dir},
        stderr=subprocess.DEVNULL,
    )
    cli_s = time.perf_counter() - t0
    print(f"zhifa locate: {n_cli:,} lines in {cli_s:.1f} s")
    a.cli = (n_cli, cli_s)

    pg = None if a.no_postgis else bench_postgis(path, xs, ys, n_single=min(a.single, 5000), n_batch=100_000)
    if pg:
        print(
            f"PostGIS {pg['version']}: load {pg['load_s']:.1f} s, GiST {pg['index_s']:.1f} s, "
            f"single p99 {pg['p99_ms']:.2f} ms, batch {pg['batch_rate']:,.0f} points/s"
        )

    a.load = (load_before, os.getloadavg()[0])
    text = section(
        a,
        path,
        counts,
        n_units,
        t_import,
        t_db,
        t_build,
        mem_mb,
        rate,
        batch,
        found,
        dedicated,
        lat,
        lat_gcj,
        naive_s,
        agree,
        pg,
    )
    if not a.no_write:
        write_section(text)
    else:
        print(text)
    from django.db import connection

    connection.close()
    shutil.rmtree(var_dir, ignore_errors=True)  # the map cache in CACHE is kept for the next run
    return 0


def section(a, path, counts, n_units, t_import, t_db, t_build, mem_mb, rate, batch, found, dedicated,
            lat, lat_gcj, naive_s, agree, pg) -> str:  # fmt: skip
    med = statistics.median
    map_args = (
        f"--map {path.name}"
        if a.map
        else f"--communities {a.communities} --grids {a.grids} --micro {a.micro}"
    )
    total = t_build
    machine = (
        f"nproc = {os.cpu_count()}, {cpu_name()}, {platform.machine()}, CPython {platform.python_version()}"
    )
    lines = [
        "## Grid",
        "",
        f"Point → grid lookup (issue 3). Measured {time.strftime('%Y-%m-%d')} by "
        f"`.venv/bin/python bench/grid_bench.py {map_args} "
        f"--points {a.points} --runs {a.runs}` on: {machine}. The machine is shared: "
        f"1-minute load average {a.load[0]:.1f} at the start and {a.load[1]:.1f} at the end of the run, so "
        "times are pessimistic.",
        "",
        f"Map: `{path.name}` from `make_grids.py` — "
        + "，".join(f"{k} {v:,}" for k, v in counts.items())
        + f" ({n_units:,} units). "
        + (
            import_text(a)
            if a.imports
            else f"Imported in {t_import:.0f} s (one run, in the bench's process)."
        ),
        "",
        "| what | target | median | runs |",
        "|---|---|---|---|",
        f"| index build (read {counts.get('micro', 0) + counts.get('dedicated', 0):,} leaf + coarser "
        f"polygons from the DB, parse, STRtrees) | < 10 s | **{med(total):.2f} s** "
        f"(DB read {med(t_db):.2f} s) | {', '.join(f'{t:.2f}' for t in total)} |",
        f"| index memory (resident-set growth while building) | stated | **{mem_mb:.0f} MB** | 1 |",
        f"| batch `locate_many`, {a.points:,} random points in the county's box "
        f"({found:,} inside, {dedicated:,} in dedicated grids) | ≥ 100,000 points/s | "
        f"**{rate:,.0f} points/s** | "
        f"{', '.join(f'{a.points / t:,.0f}' for t in batch)} |",
        f"| single `services.locate(lon, lat)` after warm-up, {len(lat):,} lookups | p99 < 1 ms | "
        f"**p99 {pct(lat, 99) * 1000:.0f} µs** (p50 {pct(lat, 50) * 1000:.0f} µs, "
        f"max {max(lat):.1f} ms) | 1 |",
        f'| single `services.locate(lon, lat, "gcj02")` (iterative GCJ-02 inverse first), '
        f"{len(lat_gcj):,} lookups | — | p99 {pct(lat_gcj, 99) * 1000:.0f} µs "
        f"(p50 {pct(lat_gcj, 50) * 1000:.0f} µs) | 1 |",
        f"| `zhifa locate points.jsonl -o out.jsonl`, {a.cli[0]:,} lines end to end (process start, "
        f"index build, JSON in and out) | — | {a.cli[1]:.1f} s = {a.cli[0] / a.cli[1]:,.0f} lines/s | 1 |",
        "",
        "Baselines in the same run:",
        "",
        f"- **plain shapely {shapely_version()} script** (`plain_strtree` in the bench: "
        "an STRtree per level over "
        "the same loaded, prepared polygons, built inside the timed part, one bulk "
        '`tree.query(points, predicate="intersects")`, then per point the index\'s rule — dedicated first, '
        "then micro, else grid, community, township; on a shared edge the lowest code), on the same "
        f"{a.points:,} points: **{a.points / med(a.plain[0]):,.0f} points/s** "
        f"(wall median {med(a.plain[0]):.2f} s, runs {', '.join(f'{t:.2f}' for t in a.plain[0])}; "
        f"CPU median {med(a.plain[1]):.2f} s against {med(a.plain[2]):.2f} s for `locate_many`); "
        f"{a.plain[3]:,}/{a.points:,} answers equal the index's. "
        f"**`locate_many` / plain = {rate * med(a.plain[0]) / a.points:.2f}×** (wall medians).",
        f"- naive loop over all {counts.get('micro', 0) + counts.get('dedicated', 0):,} micro and dedicated "
        f"polygons (`polygon.contains(point)` until one matches), on {a.naive} points: "
        f"**{1 / naive_s:,.1f} points/s** ({naive_s * 1000:.0f} ms per point; "
        f"{agree}/{a.naive} answers equal "
        f"the index's) — {rate * naive_s:,.0f}× slower than the index in batch.",
    ]
    if pg:
        lines.append(
            f"- PostGIS {pg['version']} on a throw-away PostgreSQL 15 "
            "(Unix socket, `zhifa.testing.pgserver`): "
            f"loading the leaf polygons {pg['load_s']:.1f} s + GiST index {pg['index_s']:.1f} s; "
            f"single `ST_Contains` query (prepared) p50 {pg['p50_ms']:.2f} ms, **p99 {pg['p99_ms']:.2f} ms** "
            f"over {pg['n_single']:,} lookups; one batched query over {pg['n_batch']:,} points "
            f"(`unnest … LEFT JOIN LATERAL … ST_Contains`): **{pg['batch_rate']:,.0f} points/s**."
        )
    else:
        lines.append("- PostGIS: not measured in this run (extension or server not available).")
    lines += [
        "",
        "Why in-process rather than PostGIS: see docs/architecture.md, “Grid lookup”.",
        "",
    ]
    return "\n".join(lines)


def import_status(wall_s: float, rss_mb: float) -> str:
    """The import-target line of the section, met or not as measured."""
    ok = wall_s < IMPORT_TARGET_S and rss_mb < IMPORT_TARGET_MB
    return (
        f"Import target (issue 11: < {IMPORT_TARGET_S:.0f} s wall and < {IMPORT_TARGET_MB:.0f} MB peak RSS): "
        f"**{'met' if ok else 'not met'}** — {wall_s:.1f} s and {rss_mb:.0f} MB (medians)."
    )


def import_text(a) -> str:
    med = statistics.median
    walls, cpus, rss = zip(*a.imports, strict=True)
    lines = [
        f"Imported with `zhifa import-grids` (own process, `/usr/bin/time -v`; all validation checks, "
        f"write, audit entries and their sealing after commit) into a fresh SQLite database each run: "
        f"**{med(walls):.1f} s** wall median (runs {', '.join(f'{t:.1f}' for t in walls)}), "
        f"{med(cpus):.1f} s CPU, **peak RSS {med(rss):.0f} MB** median "
        f"(runs {', '.join(f'{m:.0f}' for m in rss)}).",
        "",
        import_status(med(walls), med(rss)),
    ]
    if a.trace:
        stages = [k for k in a.trace if k != "total"]
        lines += [
            "",
            "Stage trace of one more import (in-process, each stage's own seconds / its peak RSS; "
            "`--stage-trace`): "
            + "; ".join(f"{k} {a.trace[k][0]:.1f} s / {a.trace[k][1]:.0f} MB" for k in stages)
            + f"; total {a.trace['total'][0]:.1f} s / {a.trace['total'][1]:.0f} MB.",
        ]
    if a.plain_import:
        wall, cpu, mb = a.plain_import
        lines += [
            "",
            f"Plain baseline for the import in the same run (`PLAIN_IMPORT` in the bench: `json.load`, "
            f"`shapely.from_geojson`, WKB, one `executemany` into a bare SQLite table — no checks, no tree, "
            f"no audit): {wall:.1f} s wall, {cpu:.1f} s CPU, peak RSS {mb:.0f} MB; "
            f"import / plain = {med(walls) / wall:.2f}× wall.",
        ]
    return "\n".join(lines)


# Everything after this line in the section is hand-written and kept as it is by the next run.
NOTES_MARK = "Notes (hand-written; kept by bench/grid_bench.py when it rewrites this section):"


def kept_notes(path: Path | None = None) -> str:
    path = path or ROOT / "BENCHMARKS.md"
    doc = path.read_text(encoding="utf-8") if path.exists() else ""
    start = doc.find("\n## Grid\n")
    if start < 0:
        return ""
    end = doc.find("\n## ", start + 1)
    body = doc[start : end if end >= 0 else len(doc)]
    at = body.find(NOTES_MARK)
    return body[at:].strip("\n") if at >= 0 else ""


def write_section(text: str, path: Path | None = None) -> None:
    notes = kept_notes(path)
    if notes:
        text = text.rstrip("\n") + "\n\n" + notes + "\n"
    benchmarks_md.write_section("Grid", text, path)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
