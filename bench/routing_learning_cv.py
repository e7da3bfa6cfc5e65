"""Choosing how `Router.learn` learns, without the held-out batches (issue 10): 4-fold
cross-validation within bench/data/routing/confirmations.jsonl.

The confirmations are shuffled with the learning curves' seed and dealt into 4 folds (position mod
4). For each fold, a router without shipped knowledge (catalogue + lexicon, `knowledge=Knowledge()`)
learns live (`Router.learn`) the first 50, 150 and 240 confirmations of the other three folds, in
their shuffled order, and is scored (top-1) on the held-back fold; the figure is over all 320.

`--guard`: the one-bad-correction check of BENCHMARKS.md "Learning from dispatchers": for each of
the 30 items with most paraphrases (tests/routing/data/paraphrases.txt), one of its paraphrases that
the router routes right is confirmed as its runner-up; counted are the item's other paraphrases
(routed right before, not near-duplicates of the wrong one) that then go to the wrong item.

`--set NAME=VALUE` sets a module constant of zhifa.rules.routing.model first (a learner's
parameter), so that variants are compared on the same protocol:
    .venv/bin/python bench/routing_learning_cv.py [--guard] [--set LEARNED_WEIGHT=0.4 ...]
"""

from __future__ import annotations

import argparse
import random
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

import routing_heldout as ho  # noqa: E402

import zhifa.rules.routing.model as M  # noqa: E402
from zhifa.rules.routing import Example, Router  # noqa: E402
from zhifa.rules.routing import knowledge as kb  # noqa: E402

STEPS = (0, 50, 150, 240)
FOLDS = 4
PARAPHRASES = ROOT / "tests" / "routing" / "data" / "paraphrases.txt"


def right(router: Router, row: dict) -> bool:
    exp = row["expected"]["items"]
    first = router.rank(row["text"]).item
    return first in exp if exp else first is None


def cross_validate(items: list[dict]) -> dict[int, float]:
    conf = ho.read_jsonl(ho.CONFIRMATIONS)
    random.Random(20261204).shuffle(conf)
    base = Router.train(items, knowledge=kb.Knowledge()).to_json()
    hits = dict.fromkeys(STEPS, 0)
    for f in range(FOLDS):
        test = [r for i, r in enumerate(conf) if i % FOLDS == f]
        pool = [Example(r["text"], r["expected"]["items"]) for i, r in enumerate(conf) if i % FOLDS != f]
        router = Router.from_json(base)
        done = 0
        for n in STEPS:
            router.learn(pool[done:n])
            done = n
            hits[n] += sum(right(router, r) for r in test)
    return {n: 100 * h / len(conf) for n, h in hits.items()}


def bad_correction(items: list[dict]) -> tuple[int, int, int]:
    """(reports moved to the wrong item, reports checked, items where any moved)."""
    para: dict[str, list[str]] = defaultdict(list)
    for line in PARAPHRASES.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#") and "|" in line:
            code, text = line.split("|", 1)
            if code != "-":
                para[code].append(text)
    base_json = Router.train(items, knowledge=kb.Knowledge()).to_json()
    base = Router.from_json(base_json)
    moved = checked = spoiled = 0
    for code in sorted(para, key=lambda c: (-len(para[c]), c))[:30]:
        texts = [t for t in para[code] if base.rank(t).item == code]
        if len(texts) < 2:
            continue
        bad = texts[0]
        wrong = next((c.item for c in base.rank(bad, k=5).candidates[1:] if c.item and c.item != code), None)
        if wrong is None:
            continue
        router = Router.from_json(base_json)
        router.learn([Example(bad, [wrong])])
        bad_vec = router.memory[-1][1] if router.memory else {}
        m = 0
        for t in texts[1:]:
            q, _ = router.query_vector(t)
            if sum(v * bad_vec.get(k, 0.0) for k, v in q.items()) >= M.NEIGHBOUR_MIN:
                continue
            checked += 1
            m += router.rank(t).item == wrong
        moved += m
        spoiled += m > 0
    return moved, checked, spoiled


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--guard", action="store_true", help="also the one-bad-correction check")
    ap.add_argument("--set", action="append", default=[], metavar="NAME=VALUE")
    args = ap.parse_args(argv)
    for s in args.set:
        name, value = s.split("=", 1)
        if not hasattr(M, name):
            raise SystemExit(f"no constant {name} in {M.__name__}")
        setattr(M, name, type(getattr(M, name))(value))
    items = ho.catalogue()
    cv = cross_validate(items)
    figures = "  ".join(f"{n}: {v:.1f}%" for n, v in cv.items())
    print(" ".join(args.set) or "as shipped", "| CV top-1:", figures)
    if args.guard:
        moved, checked, spoiled = bad_correction(items)
        print(f"one bad correction: {moved} of {checked} moved to the wrong item, in {spoiled} of 30 items")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
