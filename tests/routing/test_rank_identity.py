"""The router's fast scoring paths give exactly what the plain definitions give.

`Router.rank` scores a report with `KnownFeatures` (features as model ids), dense profile columns
and the linear voter's counted grams; training and `learn` still use `features` and dict vectors.
These tests compute the plain definitions beside them, on the project's paraphrases and on the same
texts with odd characters put in, so a faster path that changed a score, a word or an order fails.
"""

from __future__ import annotations

import math
import random
import re
import sys
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from zhifa.rules.routing import Example, Router
from zhifa.rules.routing.linear import analyse
from zhifa.rules.routing.model import _UNSHARED
from zhifa.rules.routing.text import _NFKC_UNSAFE, features, normalise, place_spans

PARAPHRASES = Path(__file__).with_name("data") / "paraphrases.txt"
ODD = [" ", "\u3000", "Ａ", "１２", "e\u0301", "\u0301", "ﬁ", "①", "，", "。", "！", "\n", "ABC",
       "3号楼", "东关村", "建设路23号", "北关街道", "五组", "…", "\u200b", "한", "ｶ", "\U0001f600", "另外",
       "主要是", "查封", "拆掉", "检查", "村民", "公路边"]  # fmt: skip


@pytest.fixture(scope="module")
def texts() -> list[str]:
    lines = PARAPHRASES.read_text(encoding="utf-8").splitlines()
    base = [x.split("|", 1)[1] for x in lines if x.strip() and not x.startswith("#") and "|" in x]
    rng = random.Random(7)
    odd = []
    for t in base[::3]:
        chars = list(t)
        for _ in range(rng.randint(1, 4)):
            chars[rng.randint(0, len(chars)) : 0] = list(rng.choice(ODD))
        odd.append("".join(chars))
    return base[::2] + odd + ["", "a", "查", "另外另外"]


@pytest.fixture(scope="module")
def router(catalogue_rows) -> Router:
    return Router.train(catalogue_rows)


def plain_linear(model, text: str):
    """The voter's decision values as defined: tf-idf of the known grams in order of first
    occurrence, L2-normalised, times the weights, plus the intercepts (float32 throughout)."""
    counts = Counter(g for g in analyse(text) if g in model.index)
    if not counts:
        return model.intercepts
    idx = np.array([model.index[g] for g in counts], dtype=np.int64)
    tf = np.array(list(counts.values()), dtype=np.float32)
    vals = (1.0 + np.log(tf)) * model.idf[idx]
    vals /= float(np.sqrt(vals @ vals)) or 1.0
    return vals @ model.weights[idx] + model.intercepts


def test_known_features_are_the_model_features_in_order(router, texts):
    keys = list(router.idf)
    for text in texts:
        f, surf = features(text, router.lexicon, vocabulary=router.vocabulary)
        want = [(k, v, surf[k]) for k, v in f.items() if k in router.idf]
        ids, id_surf = router._known(text)
        got = [(keys[j], v, id_surf[j]) for j, v in ids.items()]
        assert got == want, text


def test_linear_decisions_equal_the_definition(router, texts):
    model = router.linear
    for text in texts:
        got = model.score_array(text)
        want = plain_linear(model, text).astype(np.float64)
        assert got.dtype == np.float64 and np.array_equal(got, want), text


def test_profile_cosines_equal_the_query_vector_dot_products(router, texts):
    for text in texts:
        q, _ = router.query_vector(text)
        query = router._query(text)
        for label_pos, doc in enumerate(router._label_doc.tolist()):
            if doc < 0:
                continue
            want = 0.0
            for k, v in q.items():  # summed in the report's order, as the cosine is
                want += v * router.docs[doc].vec.get(k, 0.0)
            got = float(query.sums[router._dense_col_list[doc]])
            assert got == want or math.isclose(got, want, abs_tol=1e-12), (text, label_pos)


def test_fast_and_general_scoring_paths_rank_alike(router, texts):
    """The fast path (one profile per label, no memory) against the general one, forced."""
    general = Router.from_json(router.to_json())
    general._lin_identity = False  # takes the path that also serves learned models
    assert router._lin_identity and not router.memory
    for text in texts:
        a, b = router.rank(text, also=False), general.rank(text, also=False)
        assert [(c.item, c.score, c.words) for c in a.candidates] == [
            (c.item, c.score, c.words) for c in b.candidates
        ], text
        assert a.confidence == b.confidence


def test_learning_keeps_the_fast_features_in_step(router, texts):
    live = Router.from_json(router.to_json())
    codes = sorted(d.label for d in live.docs if d.label)
    assert live.learn([Example(texts[0], [codes[0]]), Example(texts[1], [])]) == 2
    keys = list(live.idf)
    for text in texts[:50]:
        f, _ = features(text, live.lexicon, vocabulary=live.vocabulary)
        ids, _ = live._known(text)
        assert [keys[j] for j in ids] == [k for k in f if k in live.idf]
    # The first learned report is now remembered and routes to its item.
    assert live.rank(texts[0]).item == codes[0]


def plain_learned(router, text: str) -> dict[str, float]:
    """The learned profiles' bonus as defined: each label's confirmed grams (sublinear counts) times
    log((L + 1) / (l + 1)) over the model's L labels, l of which have confirmations that hold the
    gram, L2-normalised; the report's grams weighted alike; their cosine × LEARNED_WEIGHT ×
    min(1, confirmations / LEARNED_SUPPORT)."""
    from zhifa.rules.routing.model import LEARNED_SUPPORT, LEARNED_WEIGHT, learned_grams

    n_labels = max(len(router._labels), len(router.learned))
    df = Counter(g for _, grams in router.learned.values() for g in grams)
    idf = {g: math.log((n_labels + 1) / (c + 1)) for g, c in df.items()}

    def unit(vec: dict[str, float]) -> dict[str, float]:
        norm = math.sqrt(sum(v * v for v in vec.values()))
        return {k: v / norm for k, v in vec.items()} if norm else {}

    def tf(v: float) -> float:
        return 1.0 + math.log(v) if v >= 1 else v

    q = unit({g: tf(v) * idf[g] for g, v in learned_grams(text).items() if idf.get(g)})
    out = {}
    for label, (n, grams) in router.learned.items():
        p = unit({g: tf(v) * idf[g] for g, v in grams.items()})
        cos = sum(v * p.get(g, 0.0) for g, v in q.items())
        out[label] = LEARNED_WEIGHT * min(1.0, n / LEARNED_SUPPORT) * cos
    return out


def test_learned_profiles_equal_the_definition(router, texts):
    live = Router.from_json(router.to_json())
    codes = sorted(d.label for d in live.docs if d.label)
    live.learn([Example(t, [codes[i % 7]] if i % 5 else []) for i, t in enumerate(texts[:40])])
    assert live.learned
    checked = 0
    for text in texts[40:140]:
        want = plain_learned(live, text)
        got = live._learned_scores(text)
        if got is None:
            assert not any(want.values()), text
            continue
        checked += 1
        rows, bonus = got
        by_label = {live._labels[j]: b for j, b in zip(rows.tolist(), bonus.tolist(), strict=True)}
        assert set(by_label) == set(want)
        for label, b in want.items():
            assert math.isclose(by_label[label], b, abs_tol=1e-12), (text, label)
    assert checked >= 50


def test_remembered_and_learned_from_one_gather_equal_the_definitions(router, texts):
    """`_side_scores` (the remembered reports and the learned profiles in one matrix) against the
    plain definitions: each remembered report's cosine with the report summed in the report's
    order, the closest of each label at NEIGHBOUR_MIN or more; the learned bonus as
    `_learned_scores` gives it."""
    from zhifa.rules.routing.model import NEIGHBOUR_MIN

    live = Router.from_json(router.to_json())
    codes = sorted(d.label for d in live.docs if d.label)
    live.learn([Example(t, [codes[i % 9]] if i % 6 else []) for i, t in enumerate(texts[:60])])
    assert live.memory and live.learned
    near_seen = learned_seen = 0
    # The learned texts themselves (their own neighbours), others, and variants with odd characters.
    for text in texts[:30] + texts[60:160]:
        q, _ = live.query_vector(text)
        want_near: dict[str, float] = {}
        for label, vec in live.memory:
            sim = 0.0
            for k, v in q.items():
                sim += v * vec.get(k, 0.0)
            if sim >= NEIGHBOUR_MIN:
                want_near[label] = max(want_near.get(label, 0.0), sim)
        near, learned = live._side_scores(text, live._query(text))
        got_near = {live._labels[j]: sim for j, sim in near}
        assert set(got_near) == set(want_near), text
        for label, sim in want_near.items():
            assert math.isclose(got_near[label], sim, abs_tol=1e-12), (text, label)
        near_seen += bool(near)
        want_learned = live._learned_scores(text)
        if want_learned is None:
            assert learned is None, text
            continue
        learned_seen += 1
        # Every label's bonus: the learned profiles' where a label has one, 0 elsewhere.
        want_all = np.zeros(len(live._labels))
        want_all[want_learned[0]] = want_learned[1]
        assert np.array_equal(learned, want_all), text
    assert near_seen >= 20 and learned_seen >= 100


def test_characters_the_shared_grams_keep_normalise_alike():
    """`_learned_query_shared` reads the learned grams off the linear voter's text for a report
    without any character of `_UNSHARED`: every other character must normalise (and lower-case) on
    its own, to itself where it is a Chinese character, else to characters none of which is one,
    a digit exactly where it is a digit, so that both texts have the same runs of Chinese
    characters and the same place names (whose patterns read only those and digits)."""
    cjk = re.compile(r"[\u4e00-\u9fff]")
    digit = re.compile(r"\d")
    kept = 0
    for cp in range(sys.maxunicode + 1):
        c = chr(cp)
        if _UNSHARED.match(c) or 0xD800 <= cp <= 0xDFFF:
            continue
        kept += 1
        assert _NFKC_UNSAFE.match(c) is None, hex(cp)
        n, low = normalise(c), c.lower()
        if cjk.match(c):
            assert n == c == low, hex(cp)
            continue
        for out in (n, low):
            assert out and not cjk.search(out), hex(cp)
            if digit.match(c):
                assert len(out) == 1 and digit.match(out), hex(cp)
            else:
                assert not digit.search(out), hex(cp)
    assert kept > 20_000


def test_grams_found_once_give_the_voter_and_the_learned_profiles_alike(router, texts):
    """The report's grams looked up once (`_gram_decisions`, `_learned_query_shared`) against the
    voter's own lookup and `_learned_query`, exactly; and whole rankings against a router that
    looks them up twice."""

    def learned() -> Router:
        live = Router.from_json(router.to_json())
        codes = sorted(d.label for d in live.docs if d.label)
        live.learn([Example(t, [codes[i % 11]] if i % 7 else []) for i, t in enumerate(texts[:80])])
        return live

    live = learned()
    assert live._gram_id is not None and live._gram_extra  # learned grams the voter has no row for
    odd = [
        "东关村３号楼门口有人占道经营，建设路２３号也有〸几家",
        "北关街道　幸福路边有人烧垃圾\n\n五组村民反映油烟扰民",
        "石门镇后沟村 有人 砍树，二组的林子",
        "ﬁ公路边①倾倒渣土，临街商铺油烟",
        "建设路23号楼下，南湖路烧烤一条街晚上油烟特别大",
    ]
    shared = cut = 0
    for text in texts + odd:
        decisions, grams = live._gram_decisions(text)
        assert np.array_equal(decisions, live.linear._decisions(text)), text
        got, want = live._learned_query_shared(text, *grams), live._learned_query(text)
        assert (got is None) == (want is None), text
        if want is not None:
            assert np.array_equal(got[0], want[0] + live._side_offset), text
            assert np.array_equal(got[1], want[1]), text
        if _UNSHARED.search(text) is None:
            shared += 1
            cut += bool(place_spans(grams[0]))
    assert shared >= 100 and cut >= 30
    twice = learned()
    twice._gram_id = None  # the voter and the learned profiles look their grams up apart
    for text in texts[80:] + odd:
        a, b = live.rank(text), twice.rank(text)
        assert [(c.item, c.score, c.words) for c in a.candidates] == [
            (c.item, c.score, c.words) for c in b.candidates
        ], text
        assert a.confidence == b.confidence and a.also == b.also, text
        assert np.array_equal(live._scores(text)[0], twice._scores(text)[0]), text
