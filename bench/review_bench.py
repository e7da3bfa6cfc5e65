"""Benchmark of the automatic case-file review (`zhifa review`, issue 6 item 1).

1. Quality: precision and recall per rule on ../shared/benchmark/casefiles/cases-dev.jsonl against
   expected-dev.jsonl (must be 1.0 everywhere), plus the same review with three wrong calendars
   (weekends only; holidays without 调休 days; plain calendar days) as a baseline.
2. Speed: >= 100,000 generated case files (the dev cases with every date shifted by 0–150 days,
   so that all dates stay in 2025–2026, and new case ids), validate + review:
   in-process (median of several runs) and the `zhifa review` command end to end; baseline in the
   same run: the same calendar walked day by day, without `WorkCalendar`'s ordinal index.

Usage: .venv/bin/python bench/review_bench.py [--copies 1700] [--runs 3]
Writes the "## Review" section of BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

import benchmarks_md  # noqa: E402  (bench/ is on sys.path when a bench script runs)

from zhifa.rules import review as rv  # noqa: E402
from zhifa.rules.casefile import iter_checked, parse_lines, read_text, split_lines  # noqa: E402
from zhifa.rules.workdays import CalendarGapError, WorkCalendar, from_chinese_calendar  # noqa: E402


def shared_dir() -> Path:
    for cand in (ROOT.parent / "shared", Path("/work/shared")):
        if (cand / "benchmark" / "casefiles").is_dir():
            return cand
    raise SystemExit("../shared/benchmark/casefiles not found")


CASEFILES = shared_dir() / "benchmark" / "casefiles"
DATE = re.compile(r'"(\d{4}-\d{2}-\d{2})"')
CASE_ID = re.compile(r'"case_id": "(T\d\d)-(\d{4})-\d{4}"')


# ---------------------------------------------------------------------------------------------
# Calendars


def wrong_calendars(cal: WorkCalendar) -> dict[str, WorkCalendar]:
    years = sorted(cal.years)
    no_tiaoxiu = WorkCalendar.build(years, cal.holidays, [])
    weekends = WorkCalendar.build(years, [], [])
    every_day = []
    d = dt.date(years[0], 1, 1)
    while d.year <= years[-1]:
        if d.weekday() >= 5:
            every_day.append(d)
        d += dt.timedelta(days=1)
    calendar_days = WorkCalendar.build(years, [], every_day)
    return {
        "只跳过周末（不知节假日和调休）": weekends,
        "知节假日、不知调休上班日": no_tiaoxiu,
        "按自然日计算": calendar_days,
    }


class DayByDay:
    """Baseline: the same calendar walked day by day, without `WorkCalendar`'s ordinal index."""

    def __init__(self, cal: WorkCalendar) -> None:
        self.cal = cal
        self.years = cal.years

    def is_workday(self, d: dt.date) -> bool:
        if d.year not in self.cal.years:
            raise CalendarGapError(d.year)
        if d in self.cal.workdays:
            return True
        return d not in self.cal.holidays and d.weekday() < 5

    def add_workdays(self, start: dt.date, n: int) -> dt.date:
        if n < 1:
            raise ValueError("工作日数必须为正整数")
        d, counted = start, 0
        while counted < n:
            d += dt.timedelta(days=1)
            counted += self.is_workday(d)
        return d

    def roll_forward(self, d: dt.date) -> dt.date:
        while not self.is_workday(d):
            d += dt.timedelta(days=1)
        return d

    def workdays_between(self, start: dt.date, end: dt.date) -> int:
        n, d = 0, start
        while d < end:
            d += dt.timedelta(days=1)
            n += self.is_workday(d)
        return n


# ---------------------------------------------------------------------------------------------
# Quality


def score(cases, expected, cal):
    got = {(f.case_id, f.rule) for f in rv.review_cases(cases, cal)}
    want = {(cid, r) for cid, rules in expected.items() for r in rules}
    per_rule = {}
    for code in sorted(rv.RULES):
        g = {x for x in got if x[1] == code}
        w = {x for x in want if x[1] == code}
        tp = len(g & w)
        per_rule[code] = (
            tp,
            len(g - w),
            len(w - g),
            tp / len(g) if g else 1.0,
            tp / len(w) if w else 1.0,
        )
    wrong_cases = {cid for cid, _ in got ^ want}
    return per_rule, got ^ want, wrong_cases


# ---------------------------------------------------------------------------------------------
# Speed


def generate(lines: list[str], copies: int) -> list[str]:
    out = []
    n = 0
    for k in range(copies):
        shift = dt.timedelta(days=k % 151)
        for line in lines:
            n += 1
            s = DATE.sub(lambda m: f'"{dt.date.fromisoformat(m.group(1)) + shift}"', line)  # noqa: B023
            s = CASE_ID.sub(lambda m: f'"case_id": "{m.group(1)}-{m.group(2)}-{n:06d}"', s, count=1)  # noqa: B023
            out.append(s)
    return out


def validate_and_review(path: Path, cal) -> tuple[int, int]:
    cases = findings = 0
    for _lineno, case, errs in iter_checked(split_lines(read_text(path))):
        if errs:
            raise SystemExit(errs[:5])
        cases += 1
        findings += len(rv.review_case(case, cal))
    return cases, findings


def timed(fn, runs: int) -> tuple[float, list[float], object]:
    times, result = [], None
    for _ in range(runs):
        t = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), times, result


def findings_of(lines: list[str], cal) -> set[tuple[str, str]]:
    return {(f.case_id, f.rule) for f in rv.review_cases(parse_lines(lines), cal)}


def run_command(path: Path, out: Path, var_dir: str) -> float:
    env = dict(os.environ, ZHIFA_VAR_DIR=var_dir)
    exe = str(ROOT / ".venv" / "bin" / "zhifa")
    t = time.perf_counter()
    subprocess.run([exe, "review", str(path), "-o", str(out)], check=True, env=env, capture_output=True)
    return time.perf_counter() - t


def machine() -> str:
    cpu = platform.processor() or "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        kb = int(
            next(
                x for x in Path("/proc/meminfo").read_text().splitlines() if x.startswith("MemTotal")
            ).split()[1]
        )
        mem = f", {kb / 1024 / 1024:.0f} GiB RAM"
    except (OSError, StopIteration):
        pass
    return (
        f"nproc = {os.cpu_count()}, CPU {cpu}{mem}, {platform.machine()}, CPython {platform.python_version()}"
    )


# ---------------------------------------------------------------------------------------------


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--copies", type=int, default=1700, help="copies of the 61 dev cases (1700 → 103,700)")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--no-command", action="store_true", help="skip the end-to-end command timing")
    ap.add_argument("--no-write", action="store_true", help="do not update BENCHMARKS.md")
    args = ap.parse_args(argv)

    cal = from_chinese_calendar(2020)
    dev_lines = split_lines(read_text(CASEFILES / "cases-dev.jsonl"))
    expected = {}
    for line in read_text(CASEFILES / "expected-dev.jsonl").splitlines():
        o = json.loads(line)
        expected[o["case_id"]] = o["findings"]
    cases = parse_lines(dev_lines)

    per_rule, diff, _wrong = score(cases, expected, cal)
    exact = not diff
    print(f"dev set: {len(cases)} cases, reproduced exactly: {exact}")
    baselines = []
    for name, bad_cal in wrong_calendars(cal).items():
        _pr, bdiff, bwrong = score(cases, expected, bad_cal)
        baselines.append((name, len(bwrong), len(bdiff)))
        print(f"  baseline {name}: {len(bwrong)} cases wrong, {len(bdiff)} wrong (case, rule) pairs")

    # speed
    big = generate(dev_lines, args.copies)
    n_cases = len(big)
    tmp = Path(tempfile.mkdtemp(prefix="review-bench-"))
    path = tmp / "cases.jsonl"
    path.write_text("\n".join(big) + "\n", encoding="utf-8")
    size_mb = path.stat().st_size / 1e6
    print(f"generated {n_cases} cases ({size_mb:.0f} MB)")

    med, times, (_n, n_find) = timed(lambda: validate_and_review(path, cal), args.runs)
    print(
        f"validate+review in-process: median {med:.2f} s over {args.runs} runs {[round(t, 2) for t in times]}"
    )

    # baseline 1: the same review with the day-by-day WorkCalendar (no ordinal index), on a sample
    sample = big[: max(n_cases // 10, 1000)]
    sample_path = tmp / "sample.jsonl"
    sample_path.write_text("\n".join(sample) + "\n", encoding="utf-8")
    fast_sample, _t, _r = timed(lambda: validate_and_review(sample_path, cal), args.runs)
    slow_sample, _t, _r = timed(lambda: validate_and_review(sample_path, DayByDay(cal)), args.runs)
    print(f"sample {len(sample)}: with index {fast_sample:.2f} s, day-by-day {slow_sample:.2f} s")

    # baseline 2: wrong findings a weekends-only calendar gives on the generated set
    weekends = wrong_calendars(cal)["只跳过周末（不知节假日和调休）"]
    right = findings_of(big, cal)
    naive = findings_of(big, weekends)
    naive_wrong = len(right ^ naive)
    print(f"weekends-only calendar on the generated set: {naive_wrong} wrong findings of {len(right)}")

    cmd_times: list[float] = []
    if not args.no_command:
        var_dir = tempfile.mkdtemp(prefix="review-bench-var-")
        env = dict(os.environ, ZHIFA_VAR_DIR=var_dir)
        subprocess.run(
            [str(ROOT / ".venv" / "bin" / "zhifa"), "migrate", "--noinput", "-v0"], check=True, env=env
        )
        cmd_times = [run_command(path, tmp / "out.jsonl", var_dir) for _ in range(args.runs)]
        out_lines = (tmp / "out.jsonl").read_text(encoding="utf-8").count("\n")
        assert out_lines == len(right), (out_lines, len(right))
        print(
            f"zhifa review end to end: median {statistics.median(cmd_times):.2f} s",
            [round(t, 2) for t in cmd_times],
        )

    if not args.no_write:
        write_section(
            render(
                per_rule, exact, baselines, n_cases, size_mb, med, times, n_find,
                len(sample), fast_sample, slow_sample, naive_wrong, len(right), cmd_times, args,
            )
        )  # fmt: skip
    return 0 if exact and med < 60 else 1


def render(per_rule, exact, baselines, n_cases, size_mb, med, times, n_find, n_sample, fast_s, slow_s,
           naive_wrong, n_right, cmd_times, args) -> str:  # fmt: skip
    today = dt.date.today().isoformat()
    lines = [
        "## Review",
        "",
        f"`zhifa review` (automatic case-file review, issue 6 item 1). Measured {today} by "
        f"`.venv/bin/python bench/review_bench.py --copies {args.copies} --runs {args.runs}` "
        f"on: {machine()}.",
        "",
        "### Quality on the dev set (61 cases, 60 expected findings)",
        "",
        f"Reproduced exactly: **{'yes' if exact else 'NO'}**.",
        "",
        "| rule | TP | FP | FN | precision | recall |",
        "|---|---|---|---|---|---|",
    ]
    for code, (tp, fp, fn, p, r) in per_rule.items():
        lines.append(f"| {code} | {tp} | {fp} | {fn} | {p:.2f} | {r:.2f} |")
    lines += [
        "",
        "Baseline in the same run — the same rules with a wrong working-day calendar "
        "(FORMAT.md predicts 8 / 7 / 10 cases wrong):",
        "",
        "| calendar | cases wrong | wrong (case, rule) pairs |",
        "|---|---|---|",
    ]
    for name, cases_wrong, pairs in baselines:
        lines.append(f"| {name} | {cases_wrong} | {pairs} |")
    per_case_fast = fast_s / n_sample * 1e6
    per_case_slow = slow_s / n_sample * 1e6
    lines += [
        "",
        f"### Speed: {n_cases:,} case files ({size_mb:.0f} MB)",
        "",
        "Generated from the dev cases: every date shifted by 0–150 days (all event dates stay in "
        "2025–2026), case ids renumbered. Target: under 60 s.",
        "",
        "| what | median | runs |",
        "|---|---|---|",
        f"| validate + review, in process (`iter_checked` + `review_case`), {n_find:,} findings | "
        f"**{med:.1f} s** ({med / n_cases * 1e6:.0f} µs/case) | {', '.join(f'{t:.1f}' for t in times)} |",
    ]
    if cmd_times:
        lines.append(
            f"| `zhifa review cases.jsonl -o out.jsonl` end to end (Django start, DB calendar, writing) | "
            f"**{statistics.median(cmd_times):.1f} s** | {', '.join(f'{t:.1f}' for t in cmd_times)} |"
        )
    lines += [
        "",
        f"Baseline in the same run, on the first {n_sample:,} generated cases: with the precomputed "
        f"working-day ordinal index (`zhifa.rules.workdays.WorkCalendar`) {per_case_fast:.0f} µs/case; "
        f"with a day-by-day walk of the same calendar {per_case_slow:.0f} µs/case "
        f"({slow_s / fast_s:.2f}×). Most of the time is JSON parsing and validation; the review itself "
        "is a minority share.",
        "",
        f"A checker with a weekends-only calendar gives {naive_wrong:,} wrong findings (missed or spurious) "
        f"on the generated set, against {n_right:,} correct ones.",
        "",
    ]
    return "\n".join(lines)


def write_section(text: str) -> None:
    benchmarks_md.write_section("Review", text)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
