"""Routing glue (一键转办): the pure router of `zhifa.rules.routing` on the county's data.

- `suggest(text, lon, lat, crs, on, county)` → `Suggestion`: where the report lies (grid), the top
  three catalogue items with scores and deciding words, and the handler under the holding rule.
- `route_reports(rows, county)`: the same for a batch (one grid lookup pass, held items cached
  per township and day), used by `zhifa route`.
- `record_confirmation(text, item_codes, county)`: a dispatcher's confirmed or corrected routing
  becomes a training example; `train(county)` builds and stores a new model from the catalogue and
  every example. The newest stored model is used at once by every process (web app, commands).
"""

from __future__ import annotations

import datetime as dt
import threading
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import Count, Max, Sum
from django.db.models.functions import Length
from django.utils import timezone

from zhifa.catalogue.models import Item
from zhifa.catalogue.services import holding_facts, items_for_routing
from zhifa.core import audit
from zhifa.dispatch import llm_voter
from zhifa.dispatch.models_router import RouterModel, RoutingExample
from zhifa.org.models import County
from zhifa.rules import holdings
from zhifa.rules.routing import Example, Router, decide_handler
from zhifa.rules.routing.model import REVIEW_BELOW, Candidate, Ranking, confidence

KEEP_MODELS = 5


@dataclass
class Suggestion:
    """The router's answer for one report."""

    township: str | None
    grid: str | None
    micro: str | None
    candidates: list[tuple[str | None, float, list[str]]]  # (item code or None, score, words)
    item: str | None
    handler: str  # "township:T01" | "department:D03" | "none"
    community: str | None = None
    department: str | None = None  # the item's department (assigned when the township does not hold it)
    domain: str | None = None  # the item's domain: which squad of the township team
    extra: dict[str, Any] = field(default_factory=dict)
    confidence: float = 0.0  # calibrated probability that `item` is right
    # Other matters named in the report: (item code, score, words, the clause it was found in).
    also: list[tuple[str, float, list[str], str]] = field(default_factory=list)

    @property
    def needs_review(self) -> bool:
        """Below the threshold a dispatcher confirms the routing (待人工确认) before it is sent."""
        return self.confidence < review_threshold()

    def as_dict(self) -> dict[str, Any]:
        return {
            "township": self.township,
            "grid": self.grid,
            "micro": self.micro,
            "item": self.item,
            "candidates": [{"item": c, "score": s, "words": w} for c, s, w in self.candidates],
            "handler": self.handler,
            "confidence": self.confidence,
            "needs_review": self.needs_review,
            "also": [{"item": c, "score": s, "words": w, "clause": t} for c, s, w, t in self.also],
        }


def review_threshold() -> float:
    """Confidence below which a suggestion waits for a dispatcher (env ZHIFA_ROUTING_REVIEW_BELOW)."""
    import os

    try:
        return min(1.0, max(0.0, float(os.environ.get("ZHIFA_ROUTING_REVIEW_BELOW", DEFAULT_REVIEW_BELOW))))
    except ValueError:
        return DEFAULT_REVIEW_BELOW


# The rules' threshold: suggestions above it were right about 97 times in 100 on held-out wording
# (BENCHMARKS.md, "Routing", shows the share above it and their accuracy).
DEFAULT_REVIEW_BELOW = REVIEW_BELOW


# ---- the county's router -------------------------------------------------------------------------


@dataclass
class _Loaded:
    key: tuple
    router: Router
    departments: dict[str, str]
    domains: dict[str, str] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)
    last_example: int = 0  # the newest RoutingExample id the in-memory router has learned
    trained_here: bool = False  # trained at load because no stored model fitted


_cache: dict[int, _Loaded] = {}
_lock = threading.Lock()


def resolve_county(county: County | str | int | None = None) -> County:
    """The county meant: a County, its code or id, or the only county there is."""
    if isinstance(county, County):
        return county
    if isinstance(county, int):
        return County.objects.get(pk=county)
    if isinstance(county, str):
        found = County.objects.filter(code=county).first()
        if found is None:
            raise County.DoesNotExist(f"区县代码“{county}”不存在")
        return found
    counties = list(County.objects.order_by("id")[:2])
    if not counties:
        raise County.DoesNotExist("尚未导入任何区县，请先运行 zhifa import-county")
    if len(counties) > 1:
        raise County.MultipleObjectsReturned("有多个区县，请指定区县代码（--county-code）")
    return counties[0]


def _catalogue_key(county: County) -> tuple:
    """A cheap fingerprint of what the router reads from the catalogue: items added or removed,
    revoked, or their texts or departments edited (the lengths and department ids change)."""
    agg = Item.objects.filter(county=county).aggregate(
        n=Count("id"),
        m=Max("id"),
        r=Max("revoked_on"),
        t=Sum(Length("name") + Length("violation") + Length("domain") + Length("legal_basis")),
        d=Sum("department_id"),
    )
    return (agg["n"], agg["m"], str(agg["r"]), agg["t"], agg["d"])


def _state_key(county: County) -> tuple:
    latest = RouterModel.objects.filter(county=county).order_by("-id").values_list("id", "note").first()
    last_example = RoutingExample.objects.filter(county=county).aggregate(m=Max("id"))["m"]
    return (latest[0] if latest else None, last_example, *_catalogue_key(county), knowledge_fingerprint())


def knowledge_fingerprint() -> str:
    """A short hash of the shipped routing knowledge and lexicon: a model built from other
    knowledge (an older release) is rebuilt."""
    global _knowledge_fp
    if _knowledge_fp is None:
        import hashlib

        from zhifa.rules.routing.knowledge import KNOWLEDGE_DIR
        from zhifa.rules.routing.text import LEXICON_PATH

        h = hashlib.sha256()
        for p in [LEXICON_PATH, *sorted(KNOWLEDGE_DIR.glob("*.jsonl"))]:
            h.update(p.name.encode())
            h.update(p.read_bytes())
        _knowledge_fp = h.hexdigest()[:12]
    return _knowledge_fp


_knowledge_fp: str | None = None


def _load(county: County | str | int | None) -> _Loaded:
    c = resolve_county(county)
    # Two small queries per call (newest model id, catalogue fingerprint) instead of a time-based
    # cache: a model trained by `zhifa train-router` in another process is used on the next call.
    key = _state_key(c)
    with _lock:
        loaded = _cache.get(c.id)
        if loaded is not None and loaded.key[0] == key[0] and loaded.key[2:] == key[2:]:
            if loaded.key[1] != key[1]:
                # Only new confirmations since this process loaded the model: learn them in place.
                new = _stored_examples(c, after=loaded.last_example)
                loaded.router.learn(new, loaded.departments.keys())
                loaded.last_example = key[1] or 0
                loaded.key = key
            return loaded
        items = items_for_routing(c)
        departments = {i["code"]: i["department_code"] for i in items}
        stored = RouterModel.objects.filter(county=c).order_by("-id").first()
        router = None
        learned_up_to = 0
        if stored is not None and stored.note.endswith(_fingerprint_note(key[2:])):
            try:
                router = Router.from_json(stored.data)
                learned_up_to = stored.last_example or 0
            except ValueError:
                router = None  # a model of an older format: rebuilt below
        trained_here = router is None
        if router is None:
            router = Router.train(items, _stored_examples(c))
        else:
            router.learn(_stored_examples(c, after=learned_up_to), departments.keys())
        loaded = _Loaded(
            key,
            router,
            departments,
            {i["code"]: i["domain"] for i in items},
            {i["code"]: f"{i['name']}（{i['violation']}）" if i["violation"] else i["name"] for i in items},
        )
        loaded.last_example = key[1] or 0
        loaded.trained_here = trained_here
        _cache[c.id] = loaded
    return loaded


def invalidate(county: County | None = None) -> None:
    with _lock:
        if county is None:
            _cache.clear()
        else:
            _cache.pop(county.id, None)


def _fingerprint_note(catalogue_key: tuple) -> str:
    return "［清单" + "/".join(str(k) for k in catalogue_key) + "］"


def _stored_examples(county: County, after: int = 0) -> list[Example]:
    qs = RoutingExample.objects.filter(county=county)
    if after:
        qs = qs.filter(id__gt=after)
    return [Example(t, list(i)) for t, i in qs.order_by("id").values_list("text", "items")]


# ---- learning ------------------------------------------------------------------------------------


@transaction.atomic
def record_confirmation(
    report_text: str,
    item_codes: Sequence[str],
    county: County | str | int | None = None,
    source: str = RoutingExample.CONFIRMED,
    reference: str = "",
) -> RoutingExample:
    """Store a dispatcher's confirmed or corrected routing as a training example.

    `item_codes`: the correct items, best first; empty when the matter is not enforcement.
    Unknown codes raise ValueError (a typo must not teach the router a class that does not exist).
    """
    c = resolve_county(county)
    text = (report_text or "").strip()
    if not text:
        raise ValueError("事件描述为空，不能作为转办训练样本")
    codes = [str(x).strip() for x in item_codes if str(x).strip()]
    known = set(Item.objects.filter(county=c, code__in=codes).values_list("code", flat=True))
    unknown = [x for x in codes if x not in known]
    if unknown:
        raise ValueError(f"执法事项编码{'、'.join(unknown)}在{c.name}的清单中不存在")
    return RoutingExample.objects.create(county=c, text=text, items=codes, source=source, reference=reference)


@transaction.atomic
def train(county: County | str | int | None = None, note: str = "") -> RouterModel:
    """Train on the catalogue plus every stored example and store the model (used at once)."""
    c = resolve_county(county)
    items = items_for_routing(c)
    last_example = RoutingExample.objects.filter(county=c).aggregate(m=Max("id"))["m"] or 0
    router = Router.train(items, _stored_examples(c))
    return _store(c, router, len(items), last_example, note or "重新训练转办路由模型", note)


def _store(c: County, router: Router, n_items: int, last_example: int, reason: str, note: str) -> RouterModel:
    key = (*_catalogue_key(c), knowledge_fingerprint())
    model = RouterModel.objects.create(
        county=c,
        data=router.to_json(),
        n_items=n_items,
        n_examples=router.n_examples,
        last_example=last_example,
        note=(note + _fingerprint_note(key))[-300:],
    )
    # Older models are kept for a rollback by hand, but not forever (each is a few hundred kB).
    old = RouterModel.objects.filter(county=c).order_by("-id").values_list("id", flat=True)[KEEP_MODELS:]
    RouterModel.objects.filter(id__in=list(old)).delete()
    audit.record(
        "train",
        model,
        after={"county": c.code, "items": n_items, "examples": router.n_examples},
        reason=reason,
    )
    transaction.on_commit(lambda: invalidate(c))
    invalidate(c)
    return model


@transaction.atomic
def store_trained_in_memory() -> list[str]:
    """Store the models this process trained at load time (no stored one fitted), so the next
    process starts without training. Returns the county codes stored."""
    with _lock:
        trained = {cid: loaded for cid, loaded in _cache.items() if loaded.trained_here}
    stored = []
    for c in County.objects.filter(id__in=list(trained)).order_by("id"):
        loaded = trained[c.id]
        if not has_current_model(c):
            _store(
                c,
                loaded.router,
                len(loaded.departments),
                loaded.last_example,
                "首次转办时训练的模型",
                "首次转办时训练",
            )
            stored.append(c.code)
        loaded.trained_here = False
    return stored


def has_current_model(county: County | str | int | None = None) -> bool:
    """Whether the county's newest stored model was built from today's catalogue and knowledge."""
    c = resolve_county(county)
    note = RouterModel.objects.filter(county=c).order_by("-id").values_list("note", flat=True).first()
    return note is not None and note.endswith(
        _fingerprint_note((*_catalogue_key(c), knowledge_fingerprint()))
    )


def refresh_stale_models(counties=None) -> list[str]:
    """Train and store a model for every county whose stored one is missing or stale.

    The dispatch worker runs this each pass, so a process that starts (a web worker, `zhifa
    route`) loads a stored model instead of training for seconds first.
    """
    done = []
    for c in counties if counties is not None else County.objects.order_by("id"):
        if has_current_model(c):
            continue
        with transaction.atomic():
            # Two workers must not both train the same county: the one that locks the county's
            # row trains, the other skips it this pass (and finds the model current next time).
            if not County.objects.select_for_update(skip_locked=True).filter(pk=c.pk).exists():
                continue
            if has_current_model(c):
                continue
            train(c, note="后台自动训练（清单或知识库已变化）")
            done.append(c.code)
    return done


@dataclass
class LabelledRow:
    line: int
    id: str
    text: str
    items: list[str]


@transaction.atomic
def learn_file(rows: Iterable[LabelledRow], county: County | str | int | None = None) -> tuple[int, int]:
    """Store labelled rows as examples (skipping ones already stored); returns (added, skipped)."""
    c = resolve_county(county)
    have = {(t, tuple(i)) for t, i in RoutingExample.objects.filter(county=c).values_list("text", "items")}
    new = []
    skipped = 0
    for r in rows:
        k = (r.text, tuple(r.items))
        if k in have:
            skipped += 1
            continue
        have.add(k)
        new.append(
            RoutingExample(county=c, text=r.text, items=r.items, source=RoutingExample.FILE, reference=r.id)
        )
    for ex in new:
        ex.save()  # one by one so that the audit log has each example
    return len(new), skipped


# ---- routing -------------------------------------------------------------------------------------


class HeldItems:
    """`zhifa.rules.holdings.held_codes` per township and day, memoised over the days on which it
    cannot change.

    Each township's facts (versions, items, entrustments) are read once; what a township holds
    changes only on a version's effective date, an item's revocation date, and an entrustment's
    first day, the day after its term or its early end (`holdings.breakpoints`). Between two
    such days the answer is the same, so a year of reports costs one load per township.

    Reports are routed under the `FIRST_VERSION` policy: before a township's first published
    version the first version's items count (an imported list was in force before the import
    day), each entrusted item only on days an entrustment covers (see `zhifa.rules.holdings`).
    """

    def __init__(self) -> None:
        self._facts: dict[str, holdings.HoldingFacts] = {}
        self._breaks: dict[str, list[dt.date]] = {}
        self._held: dict[tuple[str, dt.date | None], set[str]] = {}

    def on(self, township: str, day: dt.date) -> set[str]:
        if township not in self._facts:
            self._facts[township] = holding_facts(township)
            self._breaks[township] = holdings.breakpoints(self._facts[township])
        breaks = self._breaks[township]
        i = bisect_right(breaks, day)
        key = (township, breaks[i - 1] if i else None)
        if key not in self._held:
            self._held[key] = holdings.held_codes(self._facts[township], day, holdings.FIRST_VERSION)
        return self._held[key]


def _with_vote(router: Router, text: str, voter: llm_voter.Config, names: dict[str, str]) -> Ranking:
    """The router's ranking after the county's language model voted among its top eight."""
    wide = router.rank(text, k=8)
    choices = [
        llm_voter.Choice(c.item, names.get(c.item, "") if c.item else "非执法事项（维修、纠纷、咨询等）")
        for c in wide.candidates
    ]
    if all(c.item for c in wide.candidates):
        choices.append(llm_voter.Choice(None, "非执法事项（维修、纠纷、咨询等）"))
    voted = llm_voter.vote(text, choices, voter)
    if voted is None:  # no vote: the router's own answer (its top three of the same ranking)
        return Ranking(wide.candidates[:3], wide.confidence, wide.also)
    cands = llm_voter.rerank([(c.item, c.score, c.words) for c in wide.candidates], voted, voter.weight)
    if voted == llm_voter.NONE_CODE and all(c is not None for c, _, _ in cands):
        cands = [(None, voter.weight, []), *cands]
    return Ranking(
        [Candidate(c, s, w) for c, s, w in cands[:3]],
        confidence(cands[0][1], cands[0][1] - (cands[1][1] if len(cands) > 1 else 0.0)),
        wide.also,
    )


def _locate_many(points: list[tuple[float, float, str]]):
    from zhifa.grid.services import locate_many

    return locate_many(points)


def suggest(
    text: str,
    lon: float,
    lat: float,
    crs: str = "wgs84",
    on: dt.date | None = None,
    county: County | str | int | None = None,
) -> Suggestion:
    """Route one report: the location decides the township, the text the item, both the handler."""
    return route_many([(text, lon, lat, crs, on)], county)[0]


def route_many(
    reports: Sequence[tuple[str, float, float, str, dt.date | None]],
    county: County | str | int | None = None,
    with_also: bool = True,
) -> list[Suggestion]:
    """Route (text, lon, lat, crs, on) tuples; `on` None means today. Bad coordinates raise ValueError.

    `with_also=False` leaves out the other matters of multi-matter reports (a batch that prints
    only the candidates): the same candidates, found faster."""
    if not reports:
        return []
    locations = _locate_many([(lon, lat, crs) for _, lon, lat, crs, _ in reports])
    if county is None:
        ids = {loc.county_id for loc in locations if loc is not None and loc.county_id}
        county = ids.pop() if len(ids) == 1 else None
    loaded = _load(county)
    router, departments, domains = loaded.router, loaded.departments, loaded.domains
    today = timezone.localdate()
    held = HeldItems()
    voter = llm_voter.config()
    threshold = review_threshold()
    out = []
    for (text, _, _, _, on), loc in zip(reports, locations, strict=True):
        ranking = router.rank(text, also=with_also)
        if voter is not None and (voter.ask_all or ranking.confidence < threshold):
            ranking = _with_vote(router, text, voter, loaded.names)
        item = ranking.item
        township = loc.township if loc is not None else None
        held_codes = held.on(township, on or today) if item and township else set()
        out.append(
            Suggestion(
                township=township,
                grid=loc.grid if loc is not None else None,
                micro=loc.micro if loc is not None else None,
                community=loc.community if loc is not None else None,
                candidates=[(c.item, c.score, c.words) for c in ranking.candidates],
                item=item,
                handler=decide_handler(item, township, held_codes, departments),
                department=departments.get(item) if item else None,
                domain=domains.get(item) if item else None,
                confidence=ranking.confidence,
                also=[(c.item, c.score, c.words, clause) for c, clause in ranking.also],
            )
        )
    return out
