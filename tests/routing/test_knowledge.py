"""Shipped knowledge keyed by legal basis, requested measures, several matters, confidence, learning."""

from __future__ import annotations

import json

import pytest

from zhifa.rules.routing import Example, Router
from zhifa.rules.routing import knowledge as kb
from zhifa.rules.routing.model import (
    REVIEW_BELOW,
    confidence,
    item_measure,
    requested_measures,
    split_clauses,
)


@pytest.fixture(scope="module")
def router(catalogue_rows) -> Router:
    return Router.train(catalogue_rows)


def test_citations_parse_statute_article_and_paragraph():
    assert kb.citations("《中华人民共和国大气污染防治法》第一百一十九条第一款") == [
        kb.Citation("大气污染防治法", 119, 1)
    ]
    assert kb.citations("《中华人民共和国消防法》第六十条第一款第三项") == [kb.Citation("消防法", 60, 1)]
    assert kb.citations("《城乡规划法》第64条、第六十八条") == [
        kb.Citation("城乡规划法", 64, 0),
        kb.Citation("城乡规划法", 68, 0),
    ]
    assert kb.citations("《殡葬管理条例》") == [kb.Citation("殡葬管理条例", 0, 0)]
    assert kb.citations("没有书名号的依据") == []
    assert kb.chinese_number("十") == 10 and kb.chinese_number("一百零二") == 102


def test_bad_knowledge_lines_are_named():
    with pytest.raises(kb.KnowledgeError) as e:
        kb.parse(
            [
                '{"basis": "无书名号", "situations": []}',
                "not json",
                '{"basis": "《森林法》第七十六条", "situations": [1]}',
            ]
        )
    msg = str(e.value)
    assert "第1行" in msg and "第2行" in msg and "第3行" in msg


def _items(**names):
    return [
        kb.ItemText(code, name, violation, basis, action)
        for code, (name, violation, basis, action) in names.items()
    ]


def test_an_entry_goes_to_the_item_citing_its_article_with_the_closest_conduct():
    def line(conduct: str, situation: str) -> str:
        basis = "《中华人民共和国森林法》第七十六条"
        obj = {"basis": basis, "action": "行政处罚", "conduct": conduct, "situations": [situation]}
        return json.dumps(obj, ensure_ascii=False)

    entries, _ = kb.parse(
        [
            line("盗伐他人或集体所有的林木", "半夜有人偷砍集体的杨树"),
            line("林木所有者无采伐许可证滥伐自有林木", "自家的树没办证全砍了"),
        ]
    )
    items = _items(
        X7=("盗伐林木行为的行政处罚", "偷砍他人林木", "《森林法》第76条", "行政处罚"),
        X8=("滥伐林木行为的行政处罚", "未办采伐证砍伐自有林木", "《森林法》第76条", "行政处罚"),
        X9=("毁林开垦的处罚", "毁坏林地开垦", "《森林法》第七十四条", "行政处罚"),
    )
    got = kb.attach(items, kb.Knowledge(entries))
    assert [e.conduct for e in got["X7"]] == ["盗伐他人或集体所有的林木"]
    assert [e.conduct for e in got["X8"]] == ["林木所有者无采伐许可证滥伐自有林木"]
    assert "X9" not in got


def test_shipped_knowledge_routes_another_countys_catalogue():
    # A county that numbers and words its items its own way, citing the same articles as the
    # shipped knowledge: colloquial reports route by the knowledge, not by shared item wording.
    def item(code: str, name: str, basis: str, violation: str) -> dict:
        return {"code": code, "name": name, "action_type": "行政处罚", "domain": "", "legal_basis": basis,
                "violation": violation}  # fmt: skip

    items = [
        item(
            "A-17",
            "露天焚烧秸秆行为处罚",
            "《中华人民共和国大气污染防治法》第一百一十九条第一款",
            "禁烧区焚烧秸秆",
        ),
        item(
            "A-31",
            "室内装修变动建筑主体和承重结构处罚",
            "《住宅室内装饰装修管理办法》第三十八条",
            "拆改承重结构",
        ),
        item("A-52", "违规停放充电电动自行车处罚", "《中华人民共和国消防法》第六十条", "楼道停放充电"),
    ]
    with_kb = Router.train(items)
    without = Router.train(items, knowledge=kb.Knowledge())
    reports = {
        "地里冒黑烟，有人把麦茬点了，呛得人睁不开眼": "A-17",
        "楼上邻居叮叮咣咣砸了好几天墙，我家天花板都裂了缝": "A-31",
        "楼梯间天天晚上拉着插线板给电瓶车充电，吓死人了": "A-52",
    }
    assert all(with_kb.rank(t).item == code for t, code in reports.items())
    # the knowledge is what does it: the catalogue text alone misses at least one of these
    assert sum(without.rank(t).item == code for t, code in reports.items()) < len(reports)


def test_item_measures_and_requests():
    assert item_measure("违法建筑物、构筑物所在场所实施查封", "行政强制") == "查封"
    assert item_measure("扣押违法占道经营的物品", "行政强制") == "扣押"
    assert item_measure("消防安全检查", "行政检查") == "检查"
    assert item_measure("对盗伐林木的处罚", "行政处罚") == ""
    assert requested_measures("责令停工了还在干，请把工地查封") == {"查封"}
    assert "扣押" in requested_measures("流动摊贩屡教不改，建议暂扣三轮车")
    assert requested_measures("有人在河边钓鱼") == set()


def test_a_request_for_sealing_ranks_the_sealing_item_first(router):
    r = router.rank("村里那栋违建，镇里已经下了停工通知，他们晚上还在偷偷施工，请求依法查封施工现场")
    assert r.item == "Z043"
    plain = router.rank("村里有人没办规划许可证就在盖两层楼")
    assert plain.item in ("Z001", "Z008")


def test_several_matters_name_the_main_one_first_and_offer_the_others(router):
    text = "小区门口那家烧烤店每天晚上把桌子摆到人行道上经营，另外后厨油烟直接往居民楼排，没有装净化器"
    r = router.rank(text)
    found = {r.item, *(c.item for c, _ in r.also)}
    assert {"Z029", "Z021"} <= found
    assert all(clause in text for _, clause in r.also)
    assert split_clauses("甲；乙，另外丙") == ["甲", "乙", "丙"]


def test_leaving_out_the_other_matters_keeps_the_candidates(router):
    # `zhifa route` asks for no "also": clauses are then ranked only where they can change the
    # first candidate, and the answer must not change.
    texts = [
        "小区门口那家烧烤店每天晚上把桌子摆到人行道上经营，另外后厨油烟直接往居民楼排，没有装净化器",
        "工地晚上十一点还在打桩，吵得睡不着；主要是渣土车撒了一路泥",
        "河里有人电鱼",
        "楼道里停满电动车在充电，还有人把垃圾堆在消防通道，物业不管",
    ]
    for text in texts:
        full, short = router.rank(text), router.rank(text, also=False)
        assert [(c.item, c.score, c.words) for c in short.candidates] == [
            (c.item, c.score, c.words) for c in full.candidates
        ]
        assert short.confidence == full.confidence and short.also == []
    assert router.rank(texts[0]).also


def test_confidence_is_calibrated_monotonic_and_marks_unsure_reports(router):
    assert confidence(0.1, 0.0) < confidence(0.3, 0.05) < confidence(0.5, 0.2)
    clear = router.rank("河西镇麦田里有人在烧秸秆，浓烟滚滚")
    assert clear.item in ("Z019", "Z069") and clear.confidence >= REVIEW_BELOW
    # two items fit equally (a stall on the pavement or a shop's goods outside): unsure
    torn = router.rank("门口人行道上摆满了东西在卖")
    assert torn.confidence < clear.confidence


def test_learning_in_place_moves_look_alikes_and_survives_one_bad_correction(catalogue_rows):
    r = Router.train(catalogue_rows)
    assert r.rank("有人在水库边上用电瓶电鱼").item == "Z074"
    # one wrong correction does not spoil the item for other wording of it
    r.learn([Example("有人在水库边上用电瓶电鱼", ["Z024"])])
    assert r.rank("河沟里有人拿电瓶电鱼，鱼都翻白了").item == "Z074"
    # a county's own wording, confirmed, routes its look-alikes as the dispatchers did
    fresh = Router.train(catalogue_rows)
    odd = "后山那片又有人在弄黑作坊熬东西，味道很冲"
    before = fresh.rank(odd).item
    target = "Z047" if before != "Z047" else "Z048"
    fresh.learn([Example(odd, [target])])
    assert fresh.rank("后山那片又有人在弄黑作坊熬东西，味道冲").item == target
    # what was learned in place survives storing and loading the model
    again = Router.from_json(fresh.to_json())
    assert again.rank(odd).item == fresh.rank(odd).item == target
