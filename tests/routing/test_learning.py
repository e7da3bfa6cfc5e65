"""Learning from dispatchers (issue 10): `Router.learn` folds confirmations into the running model.

A county whose catalogue the shipped knowledge does not cover learns its own wording from what its
dispatchers confirm: each item's confirmed reports form a learned profile that counts fully only
from LEARNED_SUPPORT confirmations on, so that one bad correction cannot take an item's reports
elsewhere; the catalogue profiles stay as trained.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import numpy as np
import pytest

from zhifa.rules.routing import Example, Router
from zhifa.rules.routing import knowledge as kb
from zhifa.rules.routing.model import LEARNED_SUPPORT, LEARNED_WEIGHT, NEIGHBOUR_MIN

PARAPHRASES = Path(__file__).with_name("data") / "paraphrases.txt"

# A county's own word for a suction dredger (吸沙船), which neither the catalogue nor the lexicon
# knows: two confirmations of illegal sand mining in the river (Z076) that use it.
LOCAL = [
    Example("东坝那边吸沙船又来了，轰隆隆响一夜", ["Z076"]),
    Example("有条吸沙船停在老渡口，天天往岸上卸沙", ["Z076"]),
]
LOOK_ALIKE = "吸沙船天天半夜来，岸上全是沙"


@pytest.fixture(scope="module")
def plain(catalogue_rows) -> str:
    """A county without shipped knowledge: the catalogue and the lexicon alone (as JSON, so that
    each test learns on its own copy)."""
    return Router.train(catalogue_rows, knowledge=kb.Knowledge()).to_json()


@pytest.fixture(scope="module")
def paraphrases() -> dict[str, list[str]]:
    out: dict[str, list[str]] = defaultdict(list)
    for line in PARAPHRASES.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#") and "|" in line:
            code, text = line.split("|", 1)
            if code != "-":
                out[code].append(text)
    return out


def test_look_alikes_of_confirmed_reports_follow_them(plain):
    router = Router.from_json(plain)
    assert router.rank(LOOK_ALIKE).item != "Z076"
    assert router.learn(LOCAL) == 2
    # Not a near-duplicate of either confirmation (the memory does not decide it) …
    q, _ = router.query_vector(LOOK_ALIKE)
    for _, vec in router.memory:
        assert sum(v * vec.get(k, 0.0) for k, v in q.items()) < NEIGHBOUR_MIN
    # … yet it follows them: the county's word is in the item's learned profile.
    assert router.rank(LOOK_ALIKE).item == "Z076"
    assert "吸沙船" in router.learned["Z076"][1]
    # A report of another matter does not.
    assert router.rank("饭店油烟直排，熏得楼上没法开窗").item != "Z076"


def test_a_learned_profile_counts_fully_only_with_support(plain):
    one = Router.from_json(plain)
    one.learn(LOCAL[:1])
    two = Router.from_json(plain)
    two.learn(LOCAL)
    pos = one._label_pos["Z076"]
    for router, n in ((one, 1), (two, 2)):
        rows, bonus = router._learned_scores(LOOK_ALIKE)
        got = dict(zip(rows.tolist(), bonus.tolist(), strict=True))
        assert set(got) == {pos}
        assert 0 < got[pos] <= LEARNED_WEIGHT * min(1, n / LEARNED_SUPPORT) + 1e-12
    # A report that repeats a single confirmation word for word gets at most the capped weight.
    rows, bonus = one._learned_scores(LOCAL[0].text)
    assert bonus.max() == pytest.approx(LEARNED_WEIGHT / LEARNED_SUPPORT)


def test_one_bad_correction_does_not_spoil_an_item(plain, paraphrases):
    """A dispatcher sends one report of an item to the wrong item: the item's other reports still
    go to it (all but the wrong one's near-duplicates, which the memory sends where it was told)."""
    base = Router.from_json(plain)
    checked = 0
    for code in sorted(paraphrases, key=lambda c: (-len(paraphrases[c]), c))[:12]:
        texts = [t for t in paraphrases[code] if base.rank(t).item == code]
        bad_text = texts[0]
        wrong = next(c.item for c in base.rank(bad_text).candidates[1:] if c.item and c.item != code)
        router = Router.from_json(plain)
        assert router.learn([Example(bad_text, [wrong])]) == 1
        assert router.rank(bad_text).item == wrong  # the correction is followed where it was made
        bad_vec = router.memory[-1][1]
        for t in texts[1:]:
            q, _ = router.query_vector(t)
            if sum(v * bad_vec.get(k, 0.0) for k, v in q.items()) >= NEIGHBOUR_MIN:
                continue
            assert router.rank(t).item == code, (code, wrong, t)
            checked += 1
    assert checked >= 100


def test_a_run_of_confirmations_outweighs_one_bad_correction(plain):
    router = Router.from_json(plain)
    router.learn([Example(LOCAL[0].text, ["Z045"]), *LOCAL, Example("吸沙船又在河里抽沙了", ["Z076"])])
    assert router.rank(LOOK_ALIKE).item == "Z076"


def test_learning_survives_storing_the_model(plain):
    router = Router.from_json(plain)
    router.learn([*LOCAL, Example("楼下棋牌室天天半夜打麻将吵得睡不着", [])])
    again = Router.from_json(router.to_json())
    assert again.learned == router.learned
    for text in (LOOK_ALIKE, "吸沙船", "楼下又在打麻将", "", "东坝"):
        a, b = router.rank(text), again.rank(text)
        assert [(c.item, c.score, c.words) for c in a.candidates] == [
            (c.item, c.score, c.words) for c in b.candidates
        ], text


def test_retraining_keeps_what_was_learned(catalogue_rows):
    """A model retrained on the confirmations has the same learned profiles as one that learned
    them live."""
    none = kb.Knowledge()
    live = Router.train(catalogue_rows, knowledge=none)
    live.learn(LOCAL)
    retrained = Router.train(catalogue_rows, LOCAL, knowledge=none)
    assert retrained.learned == live.learned
    assert retrained.rank(LOOK_ALIKE).item == "Z076"
    rows_a, bonus_a = live._learned_scores(LOOK_ALIKE)
    rows_b, bonus_b = retrained._learned_scores(LOOK_ALIKE)
    assert np.allclose(bonus_a, bonus_b) and rows_a.tolist() == rows_b.tolist()
