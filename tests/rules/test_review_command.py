"""`zhifa review` end to end, with the database calendar (seeded by the migration)."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import CommandError, call_command


def _run(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command("review", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_review_command_reproduces_expected_dev(db, dev_path, expected, tmp_path):
    target = tmp_path / "findings.jsonl"
    out, _err = _run(str(dev_path), "-o", str(target))
    assert "已评查61件案卷，发现60个问题" in out
    lines = target.read_text(encoding="utf-8").splitlines()
    rows = [json.loads(line) for line in lines]
    assert all(list(r) == ["case_id", "rule", "severity", "message"] for r in rows)
    assert rows == sorted(rows, key=lambda r: (r["case_id"], r["rule"]))
    got = {cid: [] for cid in expected}
    for r in rows:
        got[r["case_id"]].append(r["rule"])
    assert got == expected
    assert "\\u" not in lines[0] and "违反" in lines[0]  # ensure_ascii=False


def test_review_command_to_stdout(db, dev_path, tmp_path):
    out, err = _run(str(dev_path))
    assert len(out.splitlines()) == 60
    assert "发现60个问题" in err


def test_invalid_file_writes_nothing(db, dev_lines, tmp_path):
    lines = list(dev_lines)
    lines[2] = lines[2].replace('"procedure": "general"', '"procedure": "normal"')
    lines.append(lines[0])
    src = tmp_path / "in.jsonl"
    src.write_text("\n".join(lines) + "\n", encoding="utf-8")
    target = tmp_path / "out.jsonl"
    err = io.StringIO()
    with pytest.raises(CommandError) as exc:
        call_command("review", str(src), "-o", str(target), stdout=io.StringIO(), stderr=err)
    assert "共2处错误" in str(exc.value)
    assert "第3行 procedure：取值“normal”无效" in err.getvalue()
    assert "第62行 case_id：案件编号“T01-2025-0003”与第1行重复" in err.getvalue()
    assert not target.exists()


def test_missing_input_file(db, tmp_path):
    with pytest.raises(CommandError, match="找不到案卷文件"):
        _run(str(tmp_path / "nope.jsonl"))


def test_year_without_holiday_data_is_a_clear_error(db, dev_lines, tmp_path):
    line = next(x for x in dev_lines if '"T01-2025-0021"' in x)
    shifted = line.replace("2026-", "2028-").replace("2025-", "2027-")
    src = tmp_path / "future.jsonl"
    src.write_text(shifted + "\n", encoding="utf-8")
    target = tmp_path / "out.jsonl"
    with pytest.raises(CommandError) as exc:
        _run(str(src), "-o", str(target))
    assert "第1行 案件T01-2027-0021：缺少2027年节假日安排，无法计算工作日期限" in str(exc.value)
    assert not target.exists()
