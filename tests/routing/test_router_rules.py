"""The pure router (zhifa.rules.routing): ranking, explanation, learning, serialisation, handler rule."""

from __future__ import annotations

import pytest

from zhifa.rules.routing import NONE, Example, LexiconError, Router, decide_handler, parse_lexicon
from zhifa.rules.routing.knowledge import Knowledge
from zhifa.rules.routing.text import strip_places

ITEMS = [
    {
        "code": "A01",
        "name": "对在乡、村庄规划区内未取得乡村建设规划许可证进行建设的处罚",
        "violation": "在乡村规划区内未取得乡村建设规划许可证擅自建房",
        "domain": "城乡建设",
        "department_code": "D04",
        "action_type": "行政处罚",
    },
    {
        "code": "A02",
        "name": "对盗伐林木的处罚",
        "violation": "未经许可砍伐他人或者集体所有的林木",
        "domain": "林业",
        "department_code": "D02",
        "action_type": "行政处罚",
    },
    {
        "code": "A03",
        "name": "对露天焚烧秸秆的处罚",
        "violation": "在田间地头焚烧秸秆、树叶",
        "domain": "生态环境",
        "department_code": "D03",
        "action_type": "行政处罚",
    },
    {
        "code": "A04",
        "name": "对擅自占用城市道路摆摊设点的处罚",
        "violation": "流动摊贩在人行道摆摊卖水果蔬菜",
        "domain": "市容环卫",
        "department_code": "D05",
        "action_type": "行政处罚",
    },
]


@pytest.fixture(scope="module")
def router() -> Router:
    # The profile router alone (no shipped knowledge): what these rules are about.
    return Router.train(ITEMS, knowledge=Knowledge())


@pytest.mark.parametrize(
    ("text", "item"),
    [
        ("村东头老王家在承包地里盖房子，没办手续", "A01"),
        ("半夜有人偷偷砍山上的松树拉走了", "A02"),
        ("地里有人烧秸秆，浓烟很大", "A03"),
        ("小区门口好多菜摊占着人行道卖菜", "A04"),
    ],
)
def test_colloquial_reports_reach_the_catalogue_item(router, text, item):
    ranking = router.rank(text)
    assert ranking.item == item
    assert 1 <= len(ranking.candidates) <= 3
    scores = [c.score for c in ranking.candidates]
    assert scores == sorted(scores, reverse=True)


def test_words_that_decided_come_from_the_report(router):
    top = router.rank("半夜有人偷偷砍山上的松树拉走了").candidates[0]
    assert top.words, "a routing must say why"
    assert all(w in "半夜有人偷偷砍山上的松树拉走了" for w in top.words)
    assert any("松树" in w or "砍" in w for w in top.words)


@pytest.mark.parametrize(
    "text", ["和平路的路灯坏了三盏", "两家因为宅基地边界吵起来了", "咨询加装电梯的补贴政策怎么申请"]
)
def test_repairs_disputes_and_questions_are_not_enforcement(router, text):
    assert router.rank(text).item is None


def test_training_changes_predictions(router):
    text = "后山那片柏木被人偷运走了好几方"  # no lexicon word for 柏木/偷运: the catalogue alone misses it
    before = router.rank(text).item
    learned = Router.train(
        ITEMS,
        [Example("前山的柏木被人偷运走了", ["A02"]), Example("柏木让人偷运了", ["A02"])],
        knowledge=Knowledge(),
    )
    assert before != "A02"
    assert learned.rank(text).item == "A02"
    assert learned.n_examples == 2


def test_examples_for_not_enforcement_teach_the_service_queue(router):
    text = "小区暖气片不热，家里才十五度"
    learned = Router.train(ITEMS, [Example("暖气片不热", []), Example("家里暖气片冰凉", [])])
    assert learned.rank(text).item is None
    assert learned.rank(text).candidates[0].item is None


def test_examples_with_unknown_items_are_ignored():
    learned = Router.train(ITEMS, [Example("某事", ["ZZZ"])])
    assert learned.n_examples == 0


def test_model_round_trips_through_json(router):
    learned = Router.train(ITEMS, [Example("柏木让人偷运了", ["A02"])])
    data = learned.to_json()
    assert isinstance(data, str) and data.startswith("{")
    again = Router.from_json(data.encode())
    for text in ("盖房子没手续", "柏木让人偷运了", "路灯坏了", "人行道上摆摊"):
        a, b = learned.rank(text), again.rank(text)
        assert [(c.item, c.score, c.words) for c in a.candidates] == [
            (c.item, c.score, c.words) for c in b.candidates
        ]


def test_unknown_model_format_is_refused():
    with pytest.raises(ValueError, match="无法识别"):
        Router.from_json('{"format": "other/9"}')


def test_place_names_do_not_count():
    assert "北关" not in strip_places("北关街道建设路23号水果店")
    assert "公路" in strip_places("村民把玉米摊在公路上晒")


def test_common_typos_are_corrected_before_matching(router):
    ranking = router.rank("地里有人烧秸杆")  # 秸杆: the usual misspelling of 秸秆
    assert ranking.item == "A03"
    assert "烧秸秆" in ranking.candidates[0].words or "秸秆" in "".join(ranking.candidates[0].words)


def test_unrecognisable_reports_go_to_the_service_queue_first(router):
    ranking = router.rank("小区有只猫爬到树上下不来了")
    assert ranking.item is None


def test_lexicon_errors_name_the_line():
    with pytest.raises(LexiconError, match="第2行"):
        parse_lexicon("盖房子 => 建房\n砍树 建设\n")
    with pytest.raises(LexiconError, match="第1行：改错字"):
        parse_lexicon("秸杆 => =秸秆 焚烧")
    lex = parse_lexicon("砍…树 => 砍伐 林木")
    assert [s for s, _ in lex.matches("有人砍了山上的树")] == ["砍…树"]  # long spans shown as parts
    assert [s for s, _ in lex.matches("有人砍了树")] == ["砍了树"]


def test_none_label_is_empty_string():
    assert NONE == ""


# ---- handler rule ----------------------------------------------------------------------------------

DEPTS = {"A01": "D04", "A02": "D02"}


def test_handler_is_the_township_when_it_holds_the_item():
    assert decide_handler("A01", "T01", {"A01"}, DEPTS) == "township:T01"


def test_handler_is_the_department_when_the_township_does_not_hold_it():
    # an expired entrustment is simply absent from the held set the caller computes for the day
    assert decide_handler("A02", "T01", {"A01"}, DEPTS) == "department:D02"


def test_handler_outside_every_township_is_the_department():
    assert decide_handler("A01", None, {"A01"}, DEPTS) == "department:D04"


def test_no_item_means_no_handler():
    assert decide_handler(None, "T01", {"A01"}, DEPTS) == "none"


def test_item_without_department_is_an_error():
    with pytest.raises(ValueError, match="没有实施部门"):
        decide_handler("A09", "T02", set(), DEPTS)
