"""The zhifa.casefile/1 parser, validator and serialiser (FORMAT.md "Validation", "Round trip")."""

from __future__ import annotations

import json
import random

import pytest

from zhifa.rules import casefile as cf


def _errors(lines: list[str]) -> list[str]:
    with pytest.raises(cf.CaseFileError) as exc:
        cf.parse_lines(lines)
    return exc.value.errors


def _line(case: dict) -> str:
    return json.dumps(case, ensure_ascii=False)


def _bad(dev_cases, mutate, index: int = 2) -> list[str]:
    """Mutate case `index` of the dev set, return the errors of the whole file."""
    mutate(dev_cases[index])
    return _errors([_line(c) for c in dev_cases])


def test_every_dev_line_parses_and_reserialises_byte_identical(dev_lines, dev_path):
    cases = cf.parse_lines(dev_lines)
    assert len(cases) == len(dev_lines) == 61
    for case, line in zip(cases, dev_lines, strict=True):
        assert cf.dumps(case) == line
    assert cf.load(dev_path) == cases


def test_serialiser_restores_table_key_order(dev_lines):
    rnd = random.Random(7)

    def shuffle(o):
        if isinstance(o, dict):
            items = [(k, shuffle(v)) for k, v in o.items()]
            rnd.shuffle(items)
            return dict(items)
        if isinstance(o, list):
            return [shuffle(x) for x in o]
        return o

    for line in dev_lines:
        scrambled = shuffle(json.loads(line))
        assert cf.dumps(scrambled) == line
    compact = cf.dumps(json.loads(dev_lines[0]), compact=True)
    assert compact.startswith('{"schema":"zhifa.casefile/1","case_id":"T01-2025-0003"')
    assert "\\u" not in compact and "王秀兰" in compact


def test_dump_lines_and_parse_text_round_trip(dev_lines):
    text = "\n".join(dev_lines) + "\n"
    assert cf.dump_lines(cf.parse_text(text)) == text


def test_impossible_date_names_line_and_field(dev_cases):
    errs = _bad(dev_cases, lambda c: c["events"][2].update(date="2025-02-30"))
    assert errs == ["第3行 events[2].date：日期“2025-02-30”不存在"]


def test_malformed_date(dev_cases):
    errs = _bad(dev_cases, lambda c: c.update(as_of="2026/06/30"))
    assert errs == ["第3行 as_of：日期“2026/06/30”格式错误，应为YYYY-MM-DD"]


def test_not_a_json_object_and_not_json(dev_cases):
    lines = [_line(c) for c in dev_cases]
    lines[0] = "[1, 2]"
    lines[4] = '{"schema": "zhifa.casefile/1",'
    errs = _errors(lines)
    assert errs[0] == "第1行：不是JSON对象（实际为数组）"
    assert errs[1].startswith("第5行：不是有效的JSON")
    assert len(errs) == 2


def test_blank_line_and_bom(dev_cases):
    lines = [_line(c) for c in dev_cases[:3]]
    errs = _errors(["\ufeff" + lines[0], "", lines[1]])
    assert errs == ["第1行：文件不得以BOM开头（应为无BOM的UTF-8）", "第2行：空行（每行应为一个JSON对象）"]


def test_missing_and_unknown_fields(dev_cases):
    def mutate(c):
        del c["as_of"]
        c["authority"]["note"] = "x"
        del c["events"][1]["actors"]
        c["events"][0]["actors"] = ["T01-O1"]

    errs = _bad(dev_cases, mutate)
    assert "第3行 as_of：缺少必填字段" in errs
    assert "第3行 authority.note：未知字段（zhifa.casefile/1 不允许）" in errs
    assert "第3行 events[1].actors：缺少必填字段" in errs
    assert "第3行 events[0].actors：未知字段（“discovered”事件没有此字段）" in errs


def test_optional_fields_may_be_absent(dev_cases):
    c = dev_cases[0]
    del c["item_name"], c["summary"], c["party"]["address"]
    assert cf.parse_lines([_line(c)])[0]["case_id"] == c["case_id"]


def test_wrong_schema(dev_cases):
    errs = _bad(dev_cases, lambda c: c.update(schema="zhifa.casefile/2"))
    assert errs == ["第3行 schema：格式版本“zhifa.casefile/2”错误，应为“zhifa.casefile/1”"]


def test_bad_enum_and_event_type(dev_cases):
    def mutate(c):
        c["procedure"] = "summary"
        c["events"][3]["type"] = "appealed"
        c["decision"]["penalties"] = ["fine", "jail"]

    errs = _bad(dev_cases, mutate)
    assert any(e.startswith("第3行 procedure：取值“summary”无效") for e in errs)
    assert "第3行 events[3].type：事件类型“appealed”不在格式规定的类型中" in errs
    assert any(e.startswith("第3行 decision.penalties[1]：取值“jail”无效") for e in errs)


def test_wrong_value_types(dev_cases):
    def mutate(c):
        c["violation"]["grave_harm"] = "no"
        c["decision"]["fine"] = "100"
        c["decision"]["major"] = 1

    errs = _bad(dev_cases, mutate)
    assert "第3行 violation.grave_harm：应为true或false，实际为“no”" in errs
    assert "第3行 decision.fine：应为非负金额（元），实际为“100”" in errs
    assert "第3行 decision.major：应为true或false，实际为1" in errs


def test_money_with_more_than_two_decimals(dev_cases):
    errs = _bad(dev_cases, lambda c: c["decision"].update(fine=100.125))
    assert "第3行 decision.fine：金额100.125超过两位小数" in errs


def test_event_after_as_of(dev_cases):
    def mutate(c):
        c["as_of"] = c["events"][-2]["date"]
        c["events"][-1]["date"] = "2026-07-01"

    errs = _bad(dev_cases, mutate)
    assert len(errs) == 1 and errs[0].startswith("第3行 events[")
    assert "晚于导出日期as_of" in errs[0]


def test_events_out_of_order(dev_cases):
    def mutate(c):
        c["events"][1]["date"], c["events"][2]["date"] = "2025-06-20", "2025-06-10"

    errs = _bad(dev_cases, mutate)
    assert "第3行 events[2].date：事件未按日期排序：2025-06-10早于前一事件的2025-06-20" in errs


def test_unknown_and_duplicate_officer_ids(dev_cases):
    def mutate(c):
        c["roles"]["handler"] = "T99-O1"
        c["events"][1]["actors"] = ["T01-O1", "ghost"]
        c["officers"].append(dict(c["officers"][0]))

    errs = _bad(dev_cases, mutate)
    n = len(dev_cases[2]["officers"]) - 1
    assert f"第3行 officers[{n}].id：执法人员编号“{dev_cases[2]['officers'][0]['id']}”重复" in errs
    assert "第3行 roles.handler：执法人员编号“T99-O1”不在officers中" in errs
    assert "第3行 events[1].actors[1]：执法人员编号“ghost”不在officers中" in errs


def test_approved_by_must_be_an_officer(dev_by_id):
    c = dev_by_id["T06-2025-0020"]
    ext = next(i for i, e in enumerate(c["events"]) if e["type"] == "seizure_extended")
    c["events"][ext]["approved_by"] = "nobody"
    errs = _errors([_line(c)])
    assert errs == [f"第1行 events[{ext}].approved_by：执法人员编号“nobody”不在officers中"]


def test_how_many_limit(dev_cases):
    def mutate(c):
        i = next(i for i, e in enumerate(c["events"]) if e["type"] == "decided")
        c["events"].insert(i + 1, dict(c["events"][i]))

    errs = _bad(dev_cases, mutate)
    assert len(errs) == 1 and "“decided”事件每案最多一个" in errs[0]


def test_entrustment_missing_for_entrusted_item(dev_by_id):
    c = dev_by_id["T02-2025-0023"]
    assert c["authority"]["source"] == "entrusted"
    c["authority"]["entrustment"] = None
    errs = _errors([_line(c)])
    assert errs == ["第1行 authority.entrustment：委托执法事项（source为entrusted）必须载明委托书entrustment"]


def test_penalties_must_match_kind_and_fine(dev_by_id):
    pen = dev_by_id["T01-2025-0003"]
    pen["decision"]["penalties"] = []
    pen["decision"]["fine"] = 0
    nop = dev_by_id["T05-2025-0009"]
    assert nop["decision"]["kind"] == "no_penalty"
    nop["decision"]["penalties"] = ["warning"]
    fine = dev_by_id["T06-2025-0011"]
    fine["decision"]["fine"] = 50
    errs = _errors([_line(pen), _line(nop), _line(fine)])
    assert errs == [
        "第1行 decision.penalties：行政处罚决定（penalty）的处罚种类penalties不能为空",
        "第2行 decision.penalties：决定种类为no_penalty时处罚种类penalties应为空",
        "第3行 decision.fine：罚款金额为50元，但penalties中没有罚款（fine）",
    ]


def test_repeated_case_id(dev_lines):
    errs = _errors([*dev_lines[:3], dev_lines[1]])
    assert errs == ["第4行 case_id：案件编号“T01-2025-0008”与第2行重复"]


def test_all_errors_of_a_file_are_collected(dev_cases, tmp_path):
    dev_cases[0]["schema"] = "x"
    dev_cases[10]["events"][0]["date"] = "2025-13-01"
    dev_cases[20]["party"]["kind"] = "company"
    path = tmp_path / "in.jsonl"
    path.write_text("".join(_line(c) + "\n" for c in dev_cases), encoding="utf-8")
    with pytest.raises(cf.CaseFileError) as exc:
        cf.load(path)
    lines = [e.split(" ")[0] for e in exc.value.errors]
    assert lines == ["第1行", "第11行", "第21行"]


def test_invalid_utf8(tmp_path):
    path = tmp_path / "in.jsonl"
    path.write_bytes(b'{"a": 1}\n{"b": "\xff"}\n')
    with pytest.raises(cf.CaseFileError) as exc:
        cf.load(path)
    assert exc.value.errors == ["第2行：不是有效的UTF-8编码"]


def test_validate_case_for_engine_built_dicts(dev_cases):
    assert cf.validate_case(dev_cases[5]) == []
    dev_cases[5]["roles"]["decider"] = "nobody"
    assert cf.validate_case(dev_cases[5]) == [("roles.decider", "执法人员编号“nobody”不在officers中")]
