"""The router: report text → catalogue items, top three with scores and the words that decided.

A vector-space model that can explain itself. Every item is a document built from the
catalogue's own text (name, conduct in plain words, domain, the statute's name); each labelled
example (a report a dispatcher confirmed) is one more document of its items. A report is scored
against every document by TF-IDF cosine; an item's score is its best document's score, so one
confirmed report with unusual wording is enough to route its look-alikes, while the catalogue
document keeps every item reachable. "Not an enforcement matter" (repairs, disputes, questions)
is one more class, `NONE`, seeded from the lexicon's service wording and learned like the others.

The model is plain data (`to_json` / `from_json`): no pickle, so a stored model cannot run code.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from zhifa.rules.routing.text import Lexicon, LexiconEntry, add_words, features, parse_lexicon

NONE = ""  # the class of matters that are not enforcement (service queue)
FORMAT = "zhifa.router/1"

# Weights of the catalogue fields in an item's document: name and conduct describe the matter,
# the domain and statute name only nudge (they are shared by many items).
FIELD_WEIGHTS = {"name": 1.0, "violation": 1.5, "domain": 0.6, "law": 0.4}
# An example's share in its item's profile, relative to the catalogue document (tuned by
# cross-validation on the benchmark reports); a label's second and third items learn less.
EXAMPLE_WEIGHT = 0.3
SECONDARY_EXAMPLE_WEIGHT = 0.2
# Service matters have nothing in common but being service matters: their examples' words
# (邻居, 楼上, 小区) are incidental, so they teach the NONE class less than an item's examples do.
NONE_EXAMPLE_WEIGHT = 0.15
# Inspections and coercive measures follow from a violation; a report describes the violation,
# so penalty items go first when both match equally.
ACTION_PRIOR = {"行政处罚": 1.0, "行政强制": 0.88, "行政检查": 0.85}
# Below this cosine the best item shares no more than an incidental word with the report (the
# lowest correct top score on the dev and test reports is about 0.17).
MIN_ITEM_SCORE = 0.1
# Service wording the NONE class starts from, before any example teaches it more.
NONE_SEED = "@报修 @纠纷 @咨询 @服务"

_LAW = re.compile(r"《([^》]+)》")


@dataclass
class CatalogueItem:
    code: str
    name: str
    violation: str = ""
    domain: str = ""
    legal_basis: str = ""
    department_code: str = ""
    action_type: str = "行政处罚"

    @classmethod
    def from_dict(cls, d: dict) -> CatalogueItem:
        return cls(
            code=d["code"],
            name=d.get("name", ""),
            violation=d.get("violation", "") or "",
            domain=d.get("domain", "") or "",
            legal_basis=d.get("legal_basis", "") or "",
            department_code=d.get("department_code", "") or "",
            action_type=d.get("action_type", "行政处罚") or "行政处罚",
        )


@dataclass
class Example:
    """A labelled report: its text and the correct item codes (best first; empty = not enforcement)."""

    text: str
    items: list[str]


@dataclass
class Candidate:
    item: str | None  # None: not an enforcement matter
    score: float
    words: list[str]


@dataclass
class Ranking:
    candidates: list[Candidate]

    @property
    def item(self) -> str | None:
        return self.candidates[0].item if self.candidates else None


@dataclass
class _Doc:
    label: str
    weight: float
    vec: dict[str, float]  # L2-normalised tf-idf


@dataclass
class Router:
    lexicon_lines: list[str]
    idf: dict[str, float]
    docs: list[_Doc]
    priors: dict[str, float] = field(default_factory=dict)
    n_examples: int = 0

    def __post_init__(self) -> None:
        self.lexicon = parse_lexicon("\n".join(self.lexicon_lines))
        add_words(sorted({t for e in self.lexicon.entries for t in e.terms if not t.startswith("@")}))
        self._index: dict[str, list[tuple[int, float]]] = {}
        for i, d in enumerate(self.docs):
            for k, v in d.vec.items():
                self._index.setdefault(k, []).append((i, v))
        self._default_idf = max(self.idf.values(), default=1.0)

    # ---- training -------------------------------------------------------------------------------

    @classmethod
    def train(
        cls,
        items: Iterable[CatalogueItem | dict],
        examples: Iterable[Example] = (),
        lexicon_lines: Sequence[str] | None = None,
    ) -> Router:
        """Build the model from the catalogue and any labelled examples."""
        from zhifa.rules.routing.text import default_lexicon_lines

        lines = list(lexicon_lines) if lexicon_lines is not None else default_lexicon_lines()
        lexicon = parse_lexicon("\n".join(lines))
        add_words(sorted({t for e in lexicon.entries for t in e.terms if not t.startswith("@")}))
        items = [i if isinstance(i, CatalogueItem) else CatalogueItem.from_dict(i) for i in items]
        known = {i.code for i in items}
        raw: list[tuple[str, float, dict[str, float], bool]] = []  # label, weight, features, catalogue?
        for it in items:
            raw.append((it.code, 1.0, _item_features(it, lexicon), True))
        none_feats = {t: 1.0 for t in NONE_SEED.split()}
        raw.append((NONE, 1.0, none_feats, True))
        n_examples = 0
        for ex in examples:
            codes = [c for c in ex.items if c in known]
            if ex.items and not codes:
                continue  # an example for items this county does not have teaches nothing here
            f, _ = features(ex.text, lexicon)
            if not f:
                continue
            n_examples += 1
            for rank, code in enumerate(codes or [NONE]):
                weight = EXAMPLE_WEIGHT if rank == 0 else SECONDARY_EXAMPLE_WEIGHT
                if code == NONE:
                    weight = NONE_EXAMPLE_WEIGHT
                raw.append((code, weight, f, False))
        # idf over the catalogue documents only: examples repeat common report wording and would
        # otherwise make every colloquial word look rare.
        n = sum(1 for _, _, f, cat in raw if cat)
        df: dict[str, int] = {}
        for _, _, f, cat in raw:
            if cat:
                for k in f:
                    df[k] = df.get(k, 0) + 1
        idf = {k: math.log((n + 1) / (c + 1)) + 1.0 for k, c in df.items()}
        unseen = math.log(n + 1) + 1.0
        # One profile per item (Rocchio): the catalogue document plus every example, each example
        # at EXAMPLE_WEIGHT of the catalogue. A single short example must not decide alone: its
        # incidental words ("晚上", "邻居") would pull unrelated reports; many examples do decide.
        prof: dict[str, dict[str, float]] = {}
        for label, weight, f, _ in raw:
            vec = _normalise({k: _tf(v) * idf.get(k, unseen) for k, v in f.items()})
            p = prof.setdefault(label, {})
            for k, v in vec.items():
                p[k] = p.get(k, 0.0) + weight * v
        docs = [_Doc(label, 1.0, _normalise(p)) for label, p in prof.items()]
        priors = {it.code: ACTION_PRIOR.get(it.action_type, 1.0) for it in items}
        # Words only examples use (never in the catalogue) get the rare-word idf.
        for d in docs:
            for k in d.vec:
                idf.setdefault(k, unseen)
        return cls(list(lines), idf, docs, priors, n_examples)

    # ---- scoring --------------------------------------------------------------------------------

    def query_vector(self, text: str) -> tuple[dict[str, float], dict[str, str]]:
        f, surf = features(text, self.lexicon)
        vec = {}
        for k, v in f.items():
            idf = self.idf.get(k)
            if idf is None:
                continue  # a word no document has cannot decide anything
            vec[k] = _tf(v) * idf
        return _normalise(vec), surf

    def rank(self, text: str, k: int = 3) -> Ranking:
        q, surf = self.query_vector(text)
        scores: dict[int, float] = {}
        for key, qv in q.items():
            for i, dv in self._index.get(key, ()):
                scores[i] = scores.get(i, 0.0) + qv * dv
        best: dict[str, tuple[float, int]] = {}
        for i, s in scores.items():
            d = self.docs[i]
            s = s * d.weight * self.priors.get(d.label, 1.0)
            if d.label not in best or s > best[d.label][0]:
                best[d.label] = (s, i)
        order = sorted(best.items(), key=lambda kv: (-kv[1][0], kv[0]))[:k]
        if order and order[0][0] != NONE and order[0][1][0] < MIN_ITEM_SCORE:
            # Nothing in the report resembles any item: the service queue, where a person reads it,
            # is a better first answer than a guess; the weak guesses stay as the next candidates.
            order = [(NONE, (0.0, -1)), *[kv for kv in order if kv[0] != NONE]][:k]
        cands = []
        for label, (s, i) in order:
            words = self._why(q, surf, self.docs[i]) if i >= 0 else []
            cands.append(Candidate(label or None, round(s, 4), words))
        if not cands:
            cands = [Candidate(None, 0.0, [])]
        return Ranking(cands)

    def _why(self, q: dict[str, float], surf: dict[str, str], doc: _Doc, n: int = 4) -> list[str]:
        """The report's words that contributed most to this document's score."""
        contrib: dict[str, float] = {}
        bigrams: dict[str, float] = {}
        for key, qv in q.items():
            dv = doc.vec.get(key)
            if dv:
                s = surf.get(key, key)
                into = bigrams if key.startswith("c:") else contrib
                into[s] = into.get(s, 0.0) + qv * dv
        # Character bigrams ("竹的") explain nothing to a dispatcher: shown only when no word matched.
        for s, v in bigrams.items():
            if s in contrib or any(s in w for w in contrib):
                continue
            if not contrib:
                contrib[s] = v
        ordered = sorted(contrib.items(), key=lambda kv: -kv[1])
        if sum(len(w) > 1 for w, _ in ordered) >= 2:
            ordered = [(w, v) for w, v in ordered if len(w) > 1]  # "小", "往" explain nothing
        out: list[str] = []
        for s, _ in ordered:
            # A bigram inside a word already shown adds nothing for the reader.
            if any(s in o for o in out):
                continue
            out = [o for o in out if o not in s]
            out.append(s)
            if len(out) == n:
                break
        return out

    # ---- serialisation ---------------------------------------------------------------------------

    def to_json(self) -> str:
        return json.dumps(
            {
                "format": FORMAT,
                "lexicon": self.lexicon_lines,
                "idf": self.idf,
                "priors": self.priors,
                "n_examples": self.n_examples,
                "docs": [[d.label, d.weight, d.vec] for d in self.docs],
            },
            ensure_ascii=False,
            separators=(",", ":"),
        )

    @classmethod
    def from_json(cls, data: str | bytes) -> Router:
        obj = json.loads(data)
        if obj.get("format") != FORMAT:
            raise ValueError(f"路由模型格式“{obj.get('format')}”无法识别，应为{FORMAT}，请重新训练")
        docs = [_Doc(label, float(w), {k: float(v) for k, v in vec.items()}) for label, w, vec in obj["docs"]]
        return cls(obj["lexicon"], obj["idf"], docs, obj.get("priors", {}), int(obj.get("n_examples", 0)))


def _item_features(it: CatalogueItem, lexicon: Lexicon) -> dict[str, float]:
    """An item's document: its fields, weighted; the catalogue's wording is not expanded."""
    out: dict[str, float] = {}
    laws = " ".join(_LAW.findall(it.legal_basis)).replace("中华人民共和国", "")
    for text, weight in (
        (it.name, FIELD_WEIGHTS["name"]),
        (it.violation, FIELD_WEIGHTS["violation"]),
        (it.domain, FIELD_WEIGHTS["domain"]),
        (laws, FIELD_WEIGHTS["law"]),
    ):
        f, _ = features(text, lexicon, expand=False)
        for k, v in f.items():
            out[k] = out.get(k, 0.0) + v * weight
    return out


def _tf(v: float) -> float:
    """Sublinear term frequency: a word repeated in a long report should not swamp the rest."""
    return 1.0 + math.log(v) if v >= 1 else v


def _normalise(vec: dict[str, float]) -> dict[str, float]:
    norm = math.sqrt(sum(v * v for v in vec.values()))
    if norm == 0:
        return {}
    return {k: v / norm for k, v in vec.items()}


__all__ = ["NONE", "Candidate", "CatalogueItem", "Example", "LexiconEntry", "Ranking", "Router"]
