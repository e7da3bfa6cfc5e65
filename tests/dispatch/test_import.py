"""`zhifa import-reports`: all or nothing, line-numbered Chinese errors, idempotent."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from dispatch.helpers import fake_locate
from zhifa.dispatch import importer
from zhifa.dispatch.actions import geocoding, suggestions
from zhifa.dispatch.models import Report


def _shared() -> Path:
    here = Path(__file__).resolve()
    for cand in (here.parents[2].parent / "shared", Path("/work/shared")):
        if (cand / "benchmark" / "reports").is_dir():
            return cand
    raise FileNotFoundError("../shared/benchmark/reports not found")


DEV = _shared() / "benchmark" / "reports" / "reports-dev.jsonl"


def test_the_benchmark_report_set_is_accepted():
    rows = importer.parse(DEV)
    assert len(rows) == sum(1 for line in DEV.read_text(encoding="utf-8").splitlines() if line.strip())
    assert rows[0][1]["id"] == "R-0001" and rows[0][1]["reported_at"].utcoffset() is not None


@pytest.fixture
def stubbed(county, monkeypatch):
    monkeypatch.setattr(geocoding, "locate", fake_locate)
    monkeypatch.setattr(
        suggestions, "suggest_many", lambda reports: [suggestions.suggest(r) for r in reports]
    )
    monkeypatch.setattr(suggestions, "suggest", lambda report: None)
    return county


def test_import_is_all_or_nothing_and_idempotent(stubbed, tmp_path, capsys):
    lines = DEV.read_text(encoding="utf-8").splitlines()[:3]
    good = tmp_path / "good.jsonl"
    good.write_text("\n".join(lines) + "\n", encoding="utf-8")
    call_command("import_reports", str(good))
    assert "导入3件" in capsys.readouterr().out
    assert Report.objects.filter(channel=Report.IMPORT).count() == 3
    r = Report.objects.get(external_id="R-0001")
    assert r.source == "网格员上报" and r.client_id == "import:R-0001"
    assert r.reported_at.isoformat().startswith("2026-04-19T03:23")
    call_command("import_reports", str(good))
    assert "导入0件，已存在3件" in capsys.readouterr().out
    assert Report.objects.count() == 3

    bad = tmp_path / "bad.jsonl"
    rows = [json.loads(x) for x in lines]
    rows[0]["id"] = "N-1"
    rows[1] = {**rows[1], "id": "N-2", "lon": 512.0}
    rows[2] = {**rows[2], "id": "N-1", "text": ""}
    bad.write_text("\n".join(json.dumps(x, ensure_ascii=False) for x in rows) + "\n{oops\n", encoding="utf-8")
    with pytest.raises(CommandError, match="共4处错误，未导入任何事件"):
        call_command("import_reports", str(bad))
    err = capsys.readouterr().err
    assert "bad.jsonl第2行：字段lon（经度）：经度512.0超出范围" in err
    assert "bad.jsonl第3行：id“N-1”与第1行重复" in err
    assert "bad.jsonl第3行：字段text（事件描述）：请填写事件描述" in err
    assert "bad.jsonl第4行第2列：不是有效的JSON" in err
    assert Report.objects.count() == 3
    with pytest.raises(CommandError, match="找不到事件文件"):
        call_command("import_reports", str(tmp_path / "none.jsonl"))
