"""Benchmark of the legal-document renderer (`zhifa.documents.render`, issue 5 "Legal documents").

Renders every document kind for a sample of the dev case files (../shared/benchmark/casefiles)
to DOCX and PDF, several runs, and reports the median time per document and per format.
Target: a clerk waits well under a second — median DOCX + PDF of one document <= 200 ms.
Baseline in the same run: a minimal document of each kind (agency, party and county only), which
measures the fixed cost (font subset embedding, DOCX package) apart from the layout of the text.

Usage: .venv/bin/python bench/documents_bench.py [--cases 10] [--runs 3] [--no-write]
Writes the "## Documents" section of BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

import benchmarks_md  # noqa: E402  (bench/ is on sys.path when a bench script runs)
from review_bench import machine  # noqa: E402

from zhifa.documents import kinds, layouts  # noqa: E402
from zhifa.documents.context import context_from_casefile  # noqa: E402
from zhifa.documents.writer_docx import write_docx  # noqa: E402
from zhifa.documents.writer_pdf import register_font, write_pdf  # noqa: E402
from zhifa.rules.workdays import from_chinese_calendar  # noqa: E402


def shared_dir() -> Path:
    for cand in (ROOT.parent / "shared", Path("/work/shared")):
        if (cand / "benchmark" / "casefiles").is_dir():
            return cand
    raise SystemExit("../shared/benchmark not found")


def contexts(n: int) -> list[dict]:
    shared = shared_dir() / "benchmark"
    with (shared / "county" / "townships.csv").open(encoding="utf-8") as f:
        townships = {r["code"]: r for r in csv.DictReader(f)}
    with (shared / "county" / "catalog.csv").open(encoding="utf-8") as f:
        items = {r["code"]: r for r in csv.DictReader(f)}
    with (shared / "casefiles" / "cases-dev.jsonl").open(encoding="utf-8") as f:
        cases = [json.loads(line) for line in f]
    cal = from_chinese_calendar(2020)
    step = max(1, len(cases) // n)
    out = []
    for case in cases[::step][:n]:
        t, item = townships[case["township"]], items[case["item"]]
        extra = {
            "township_name": t["name"],
            "township_kind": t["kind"],
            "county_name": "测试县",
            "legal_basis": item["legal_basis"],
            "doc_no": "东城综执罚决字〔2026〕第7号",
        }
        out.append(context_from_casefile(case, extra, cal))
    return out


def run(ctxs: list[dict]) -> dict[str, list[float]]:
    times: dict[str, list[float]] = {"content": [], "docx": [], "pdf": [], "both": []}
    for ctx in ctxs:
        for k in kinds.KINDS:
            t0 = time.perf_counter()
            doc = layouts.build(k.code, ctx)
            t1 = time.perf_counter()
            write_docx(doc)
            t2 = time.perf_counter()
            write_pdf(doc)
            t3 = time.perf_counter()
            times["content"].append(t1 - t0)
            times["docx"].append(t2 - t1)
            times["pdf"].append(t3 - t2)
            times["both"].append(t3 - t0)
    return times


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cases", type=int, default=10)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--no-write", action="store_true", help="do not update BENCHMARKS.md")
    args = ap.parse_args(argv)
    ctxs = contexts(args.cases)
    minimal = [{"agency_name": "东城街道办事处", "party": {"name": "某某"}, "county_name": "测试县"}]
    t0 = time.perf_counter()
    register_font()
    font_load = time.perf_counter() - t0
    runs, base_runs = [], []
    for _ in range(args.runs):
        runs.append(run(ctxs))
        base_runs.append(run(minimal))

    def med(rs: list[dict[str, list[float]]], key: str) -> float:
        return statistics.median(statistics.median(r[key]) for r in rs) * 1000

    def p95(rs: list[dict[str, list[float]]], key: str) -> float:
        values = sorted(v for r in rs for v in r[key])
        return values[int(0.95 * (len(values) - 1))] * 1000

    per_run = len(ctxs) * len(kinds.KINDS)
    rate = statistics.median(per_run / sum(r["both"]) for r in runs)
    rows = [
        ("content (layouts.build)", med(runs, "content"), p95(runs, "content"), med(base_runs, "content")),
        ("DOCX (python-docx)", med(runs, "docx"), p95(runs, "docx"), med(base_runs, "docx")),
        ("PDF (reportlab, font subset)", med(runs, "pdf"), p95(runs, "pdf"), med(base_runs, "pdf")),
        ("DOCX + PDF", med(runs, "both"), p95(runs, "both"), med(base_runs, "both")),
    ]
    lines = [
        "## Documents",
        "",
        "Legal-document renderer (`zhifa.documents.render`, issue 5). Measured "
        f"{dt.date.today().isoformat()} by `.venv/bin/python bench/documents_bench.py --cases {args.cases} "
        f"--runs {args.runs}` on: {machine()}.",
        "",
        f"{len(ctxs)} dev cases × {len(kinds.KINDS)} kinds = {per_run} documents per run, {args.runs} runs; "
        "times per document in ms (median of the per-run medians; p95 over all runs). Target: median "
        "DOCX + PDF ≤ 200 ms. Baseline in the same run: a minimal document of each kind (agency, party, "
        "county only). Loading and registering the vendored font once per process: "
        f"{font_load * 1000:.0f} ms.",
        "",
        "| step | median ms | p95 ms | baseline median ms |",
        "|---|---|---|---|",
        *[f"| {name} | {m:.1f} | {p:.1f} | {b:.1f} |" for name, m, p, b in rows],
        "",
        f"Throughput: {rate:.1f} documents (DOCX + PDF) per second on one core. "
        f"Target met: **{'yes' if rows[3][1] <= 200 else 'no'}**.",
        "",
    ]
    text = "\n".join(lines)
    print(text)
    if not args.no_write:
        write_section(text)
    return 0


def write_section(text: str) -> None:
    benchmarks_md.write_section("Documents", text)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
