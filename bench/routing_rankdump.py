"""Every ranking detail for a fixed set of texts, with whichever zhifa is on PYTHONPATH: the check
that a faster router gives the same output as a reference commit (issue 10).

    git worktree add --detach /tmp/routing-ref <commit>
    PYTHONPATH=/tmp/routing-ref/src .venv/bin/python bench/routing_rankdump.py /tmp/ref.txt
    PYTHONPATH=src .venv/bin/python bench/routing_rankdump.py /tmp/new.txt
    cmp /tmp/ref.txt /tmp/new.txt

Texts: the held-out batches, ../shared/benchmark/reports, the paraphrases, the confirmations and
4,000 variants with odd characters put in. Per text: top 3 and top 5 with scores and words,
confidence, other matters (with and without `also`) and the eight best raw scores to 1e-9; then
the same after `Router.learn` (5, 40, 120 confirmations), after retraining on 30, and for a model
without shipped knowledge, with each model's JSON hashed. `--quick`: a third of the texts.
"""

import csv
import hashlib
import json
import random
import sys
from pathlib import Path

import zhifa.rules.routing.model as M
from zhifa.rules.routing import Example, Router

ROOT = Path(__file__).resolve().parents[1]
SHARED = next(
    p / "benchmark" for p in (ROOT.parent / "shared", Path("/work/shared")) if (p / "benchmark").is_dir()
)
out_path = sys.argv[1]
quick = "--quick" in sys.argv
print("using", M.__file__, file=sys.stderr)


def catalogue():
    with (SHARED / "county" / "catalog.csv").open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


def jsonl(p):
    return [json.loads(x) for x in p.read_text(encoding="utf-8").splitlines() if x.strip()]


texts: list[str] = []
for p in sorted((ROOT / "bench/data/routing/heldout").glob("*.jsonl")):
    texts += [r["text"] for r in jsonl(p)]
for p in sorted((SHARED / "reports").glob("*.jsonl")):
    texts += [r["text"] for r in jsonl(p)]
for line in (ROOT / "tests/routing/data/paraphrases.txt").read_text(encoding="utf-8").splitlines():
    if line.strip() and not line.startswith("#") and "|" in line:
        texts.append(line.split("|", 1)[1])
conf = jsonl(ROOT / "bench/data/routing/confirmations.jsonl")
texts += [r["text"] for r in conf]
base = list(texts)

# Fuzzed variants: odd characters, spacing, full-width forms, combining marks, Latin, places.
rng = random.Random(1234)
ODD = [
    " ",
    "\u3000",
    "  ",
    "Ａ",
    "ｂ",
    "１２",
    "e\u0301",
    "\u0301",
    "ﬁ",
    "①",
    "㈱",
    "Ⅻ",
    "，",
    "。",
    "！",
    "？",
    "；",
    "\n",
    "\t",
    "ABC",
    "x",
    "3号楼",
    "东关村",
    "建设路23号",
    "北关街道",
    "五组",
    "…",
    "——",
    "·",
    "\u200b",
    "\ufeff",
    "한",
    "カ",
    "ｶ",
    "\U0001f600",
    "（",
    "）",
    "【",
    "】",
    "«",
    "²",
    "½",
    "另外",
    "主要是",
    "查封",
    "拆掉",
    "检查",
    "村民",
    "公路边",
]
fuzz = []
for _ in range(1500 if quick else 4000):
    t = list(rng.choice(base))
    for _ in range(rng.randint(1, 6)):
        op = rng.random()
        i = rng.randint(0, len(t))
        if op < 0.5:
            t[i:i] = list(rng.choice(ODD))
        elif op < 0.7 and t:
            del t[min(i, len(t) - 1)]
        elif op < 0.85 and t:
            j = rng.randint(0, len(t) - 1)
            t[i:i] = t[j : j + rng.randint(1, 8)]
        else:
            t = t[: rng.randint(0, len(t))]
    fuzz.append("".join(t))
fuzz += ["", " ", "a", "查", "。。。", "另外另外", "\u0301\u0301", "ＡＢＣ１２３", "村村村村"]
texts += fuzz
if quick:
    texts = texts[::3]


def cand(c):
    return [c.item, repr(c.score), c.words]


def dump_rank(r: Router, t: str) -> list:
    a = r.rank(t)
    b = r.rank(t, also=False)
    res = [
        [cand(c) for c in a.candidates],
        repr(a.confidence),
        [[*cand(c), cl] for c, cl in a.also],
        [cand(c) for c in b.candidates],
        repr(b.confidence),
        [cand(c) for c in r.rank(t, k=5).candidates],
    ]
    sc = r._scores(t)
    best = sc[0]
    labels = r._labels
    pairs = sorted(
        ((labels[j], float(best[j])) for j in range(len(labels)) if best[j] > float("-inf")),
        key=lambda x: (-x[1], x[0]),
    )[:8]
    res.append([[lab, round(v, 9)] for lab, v in pairs])
    return res


items = catalogue()
out = open(out_path, "w", encoding="utf-8")
router = Router.train(items)
out.write("model " + hashlib.sha256(router.to_json().encode()).hexdigest() + "\n")
for t in texts:
    out.write(json.dumps([t, dump_rank(router, t)], ensure_ascii=False) + "\n")

# Learning: live (`learn`) and retrained, then rank again (memory and multi-document paths).
exs = [Example(r["text"], r["expected"]["items"]) for r in conf]
sub = texts[:: 7 if not quick else 21]
live = Router.from_json(router.to_json())
for chunk in (exs[:5], exs[5:40], exs[40:120]):
    used = live.learn(chunk, known={i["code"] for i in items})
    out.write(f"learn used {used} " + hashlib.sha256(live.to_json().encode()).hexdigest() + "\n")
    for t in sub:
        out.write(json.dumps([t, dump_rank(live, t)], ensure_ascii=False) + "\n")
    qv, surf = live.query_vector(sub[0])
    out.write(json.dumps([{k: round(v, 12) for k, v in qv.items()}, surf], ensure_ascii=False) + "\n")
retrained = Router.train(items, exs[:30])
out.write("retrained " + hashlib.sha256(retrained.to_json().encode()).hexdigest() + "\n")
for t in sub:
    out.write(json.dumps([t, dump_rank(retrained, t)], ensure_ascii=False) + "\n")
# A model without the linear voter (knowledge none) and a reloaded one.
plain = Router.train(items, exs[:10], knowledge=M.kb.Knowledge())
out.write("plain " + hashlib.sha256(plain.to_json().encode()).hexdigest() + "\n")
for t in sub:
    out.write(json.dumps([t, dump_rank(plain, t)], ensure_ascii=False) + "\n")
out.close()
print("texts", len(texts), file=sys.stderr)
