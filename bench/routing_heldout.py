"""Routing quality on held-out wording (issue 10): the batches of bench/data/routing/heldout/.

Each batch was written by someone who saw neither the router nor its knowledge, in one voice
(hotline transcripts, dialect, typos, sensor alerts, department letters, several matters in one
report, requests for inspections and coercive measures, service matters that look like
enforcement). A batch's first score, the first time this script ever ran on it, is kept in
bench/data/routing/first_runs.json and never overwritten: that is the honest figure for wording
nobody has seen. Later runs (after any tuning) are reported beside it.

Also here: the baselines in the same run (char 1–3-gram TF-IDF nearest item over name + conduct
with scikit-learn; the same over the shipped knowledge's situations too), the learning curve
(top-1 after 0, 50, 150, 300 confirmations from bench/data/routing/confirmations.jsonl, a set
written apart from the batches), and the calibration of the confidence.

Importable (bench/routing_bench.py writes BENCHMARKS.md from it) and runnable:
    .venv/bin/python bench/routing_heldout.py [--record-first-run]
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import random
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from zhifa.rules.routing import Example, Router, decide_handler  # noqa: E402
from zhifa.rules.routing import knowledge as kb  # noqa: E402

DATA = ROOT / "bench" / "data" / "routing"
HELDOUT = DATA / "heldout"
CONFIRMATIONS = DATA / "confirmations.jsonl"
FIRST_RUNS = DATA / "first_runs.json"
from zhifa.rules.routing.model import REVIEW_BELOW as THRESHOLD  # noqa: E402


def shared_dir() -> Path:
    for cand in (ROOT.parent / "shared", Path("/work/shared")):
        if (cand / "benchmark" / "county").is_dir():
            return cand
    raise SystemExit("../shared/benchmark not found")


COUNTY = shared_dir() / "benchmark" / "county"


def catalogue() -> list[dict]:
    with (COUNTY / "catalog.csv").open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


def read_jsonl(p: Path) -> list[dict]:
    return [json.loads(x) for x in p.read_text(encoding="utf-8").splitlines() if x.strip()]


def batches() -> dict[str, list[dict]]:
    return {p.stem: read_jsonl(p) for p in sorted(HELDOUT.glob("*.jsonl"))}


class Holdings:
    """The benchmark county README's rule from its CSV files (entrusted items while valid)."""

    def __init__(self) -> None:
        with (COUNTY / "township_items.csv").open(encoding="utf-8") as f:
            self.pairs = {(r["township_code"], r["item_code"]) for r in csv.DictReader(f)}
        self.ents: dict[tuple[str, str], list[tuple[str, str]]] = {}
        with (COUNTY / "entrustments.csv").open(encoding="utf-8") as f:
            for r in csv.DictReader(f):
                self.ents.setdefault((r["township_code"], r["item_code"]), []).append(
                    (r["valid_from"], r["valid_to"])
                )
        rows = catalogue()
        self.source = {r["code"]: r["source"] for r in rows}
        self.dept = {r["code"]: r["department_code"] for r in rows}

    def handler(self, item: str | None, township: str, day: str) -> str:
        held = {
            i
            for (t, i) in self.pairs
            if t == township
            and (self.source[i] != "委托" or any(a <= day <= b for a, b in self.ents.get((t, i), [])))
        }
        return decide_handler(item, township, held, self.dept)


@dataclass
class Score:
    n: int = 0
    top1: int = 0
    top3: int = 0
    handler: int = 0
    service_n: int = 0
    service_right: int = 0  # not-enforcement reports sent to the service queue
    enforcement_n: int = 0
    enforcement_to_service: int = 0
    also_n: int = 0  # other matters expected (F batch)
    also_found: int = 0  # … named by the router among its other matters or its top 3
    confident: int = 0
    confident_right: int = 0
    bins: dict[int, list[int]] = field(default_factory=dict)  # decile → [n, right]

    def add(self, other: Score) -> None:
        for k, v in vars(other).items():
            if k == "bins":
                for b, (n, r) in v.items():
                    cur = self.bins.setdefault(b, [0, 0])
                    cur[0] += n
                    cur[1] += r
            else:
                setattr(self, k, getattr(self, k) + v)

    def pct(self, a: int, b: int | None = None) -> float:
        b = self.n if b is None else b
        return round(100 * a / b, 1) if b else 0.0


def score_rows(rank, rows: list[dict], holdings: Holdings) -> Score:
    """`rank(text)` → (first three codes or None, confidence or None, other matters)."""
    s = Score()
    for r in rows:
        exp = r["expected"]["items"]
        cands, conf, also = rank(r["text"])
        first = cands[0] if cands else None
        right = (first in exp) if exp else first is None
        s.n += 1
        s.top1 += right
        s.top3 += any(c in exp for c in cands[:3]) if exp else first is None
        day = r["reported_at"][:10]
        expected_handler = r["expected"].get("handler") or holdings.handler(
            exp[0] if exp else None, r["township"], day
        )
        s.handler += holdings.handler(first, r["township"], day) == expected_handler
        if exp:
            s.enforcement_n += 1
            s.enforcement_to_service += first is None
        else:
            s.service_n += 1
            s.service_right += first is None
        for code in r["expected"].get("also", []):
            s.also_n += 1
            s.also_found += code in set(also) | set(cands[1:3])
        if conf is not None:
            b = min(9, int(conf * 10))
            cur = s.bins.setdefault(b, [0, 0])
            cur[0] += 1
            cur[1] += right
            if conf >= THRESHOLD:
                s.confident += 1
                s.confident_right += right
    return s


def router_rank(router: Router):
    def rank(text: str):
        r = router.rank(text)
        return [c.item for c in r.candidates], r.confidence, [c.item for c, _ in r.also]

    return rank


class TfidfBaseline:
    """Nearest item by cosine of char 1–3-gram TF-IDF (scikit-learn) over the item's name and
    conduct, optionally with the shipped knowledge's situations as more documents of the item.
    No not-enforcement class: it always names an item."""

    def __init__(self, items: list[dict], with_knowledge: bool = False) -> None:
        from sklearn.feature_extraction.text import TfidfVectorizer

        docs, labels = [], []
        for it in items:
            docs.append(it["name"] + "。" + it["violation"])
            labels.append(it["code"])
        if with_knowledge:
            attached = kb.attach(
                [
                    kb.ItemText(i["code"], i["name"], i["violation"], i["legal_basis"], i["action_type"])
                    for i in items
                ],
                kb.load(),
            )
            for code, entries in attached.items():
                for e in entries:
                    for t in e.situations:
                        docs.append(t)
                        labels.append(code)
        self.vec = TfidfVectorizer(analyzer="char", ngram_range=(1, 3), sublinear_tf=True)
        self.m = self.vec.fit_transform(docs)
        self.labels = labels

    def rank(self, text: str):
        sims = (self.m @ self.vec.transform([text]).T).toarray().ravel()
        out: list[str] = []
        for i in sims.argsort()[::-1]:
            if self.labels[i] not in out:
                out.append(self.labels[i])
            if len(out) == 3:
                break
        return out, None, []


def learning_curve(items: list[dict], test: list[dict], holdings: Holdings, steps=(0, 50, 150, 300)):
    """top-1 on `test` after learning the first n confirmations (shuffled with a fixed seed), both
    as the live system learns (in place, no retraining) and after a full retraining."""
    conf = read_jsonl(CONFIRMATIONS)
    random.Random(20261204).shuffle(conf)
    examples = [Example(r["text"], r["expected"]["items"]) for r in conf]
    out = []
    for n in steps:
        live = Router.train(items)
        live.learn(examples[:n])
        retrained = Router.train(items, examples[:n])
        out.append(
            (
                n,
                score_rows(router_rank(live), test, holdings),
                score_rows(router_rank(retrained), test, holdings),
            )
        )
    return out


def git_head() -> str:
    try:
        return subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "?"


def first_runs() -> dict:
    return json.loads(FIRST_RUNS.read_text(encoding="utf-8")) if FIRST_RUNS.exists() else {}


def record_first_runs(results: dict[str, Score], note: str) -> list[str]:
    """Record the score of every batch that has none yet; returns the batches recorded now."""
    runs = first_runs()
    new = []
    for name, s in results.items():
        if name in runs:
            continue
        runs[name] = {
            "date": f"{dt.date.today():%Y-%m-%d}",
            "commit": git_head(),
            "note": note,
            "n": s.n,
            "top1": s.pct(s.top1),
            "top3": s.pct(s.top3),
            "handler": s.pct(s.handler),
        }
        new.append(name)
    FIRST_RUNS.write_text(json.dumps(runs, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return new


def evaluate(router: Router | None = None) -> tuple[dict[str, Score], Score]:
    items = catalogue()
    router = router or Router.train(items)
    holdings = Holdings()
    per = {name: score_rows(router_rank(router), rows, holdings) for name, rows in batches().items()}
    total = Score()
    for s in per.values():
        total.add(s)
    return per, total


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--record-first-run", metavar="NOTE", help="record batches seen for the first time")
    args = ap.parse_args(argv)
    per, total = evaluate()
    for name, s in per.items():
        print(
            f"{name:14} n={s.n:3} top1={s.pct(s.top1):5.1f} top3={s.pct(s.top3):5.1f} "
            f"handler={s.pct(s.handler):5.1f} service={s.service_right}/{s.service_n} "
            f"enf→service={s.enforcement_to_service}/{s.enforcement_n}"
            + (f" also={s.also_found}/{s.also_n}" if s.also_n else "")
        )
    t = total
    print(
        f"{'ALL':14} n={t.n:3} top1={t.pct(t.top1):5.1f} top3={t.pct(t.top3):5.1f} "
        f"handler={t.pct(t.handler):5.1f} service recall={t.pct(t.service_right, t.service_n)} "
        f"enf→service={t.pct(t.enforcement_to_service, t.enforcement_n)} "
        f"confident={t.pct(t.confident)} right={t.pct(t.confident_right, t.confident)}"
    )
    if args.record_first_run:
        print("recorded first runs:", record_first_runs(per, args.record_first_run) or "none new")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
