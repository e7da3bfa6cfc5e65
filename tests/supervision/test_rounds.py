"""Case-file review rounds: sampling, pre-scored sheets, results per township, rectification."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from zhifa.org import roles
from zhifa.rules import scoring
from zhifa.rules.review import RULES

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared"
if not SHARED.exists():
    SHARED = Path("/work/shared")
DEV = SHARED / "benchmark" / "casefiles" / "cases-dev.jsonl"

TODAY = dt.date(2026, 11, 20)


def test_every_review_rule_has_a_checklist_line():
    assert set(RULES) <= set(scoring.RULE_LINE)
    assert sum(line.points for line in scoring.CHECKLIST) == 100


def test_prefill_and_grades():
    scores = scoring.prefill(
        [
            {"rule": "PEN-PRIOR-NOTICE", "severity": "defect"},
            {"rule": "PEN-DISCLOSE-7WD", "severity": "warning"},
            {"rule": "OFF-MIN-TWO", "severity": "defect"},
            {"rule": "OFF-CERT-VALID", "severity": "defect"},
            {"rule": "AUTH-NOT-HELD", "severity": "defect"},
        ]
    )
    assert scores["procedure"] == 25 and scores["execution"] == 8 and scores["subject"] == 0
    assert scoring.total(scores) == 25 + 8 + 0 + 20 + 15 + 15
    assert scoring.grade(90) == "优秀" and scoring.grade(75) == "合格" and scoring.grade(74) == "不合格"
    clean, errors = scoring.validate_scores({"subject": "11", "facts": "x", "law": 1})
    assert clean["law"] == 1 and "subject" not in clean
    assert any("0至10" in e for e in errors) and any("整数" in e for e in errors)


def test_sample_is_reproducible_and_spread_over_procedures():
    cases = [(i, f"T0{i % 3}", ("simple", "general", "coercive")[i % 2]) for i in range(60)]
    a = scoring.sample(cases, 4, seed=7)
    assert a == scoring.sample(cases, 4, seed=7)
    assert a != scoring.sample(cases, 4, seed=8)
    by_t: dict[str, list[int]] = {}
    for case_id, township, _p in cases:
        if case_id in a:
            by_t.setdefault(township, []).append(case_id)
    assert all(len(v) == 4 for v in by_t.values()) and len(by_t) == 3
    procs = {p for case_id, _t, p in cases if case_id in a}
    assert procs == {"simple", "general"}
    only = scoring.sample(cases, 10, seed=1, procedures=["general"])
    assert all(cases[i][2] == "general" for i in only)


@pytest.fixture
def dev_cases(county):
    from zhifa.cases.services import import_casefiles
    from zhifa.org.models import Township

    for code, name in [("T03", "柳泉镇"), ("T04", "石岭乡"), ("T05", "五里镇"), ("T06", "六合街道")]:
        Township.objects.create(county=county, code=code, name=name, kind="镇")
    return import_casefiles(DEV.read_text(encoding="utf-8"))


@pytest.mark.django_db
def test_round_flow(dev_cases, make_user, client):
    from zhifa.cases.models import Case
    from zhifa.supervision import rounds
    from zhifa.supervision import services as letters
    from zhifa.supervision.models import Letter

    sup = make_user(roles.SUPERVISOR, username="sup")
    officer = make_user(roles.OFFICER, township="T01", username="o1")
    with pytest.raises(PermissionDenied):
        rounds.create_round(
            officer, name="x", period_start=dt.date(2025, 1, 1), period_end=TODAY, per_township=2
        )
    with pytest.raises(ValidationError, match="没有符合条件"):
        rounds.create_round(
            sup, name="空", period_start=dt.date(2020, 1, 1), period_end=dt.date(2020, 2, 1), per_township=2
        )
    rnd = rounds.create_round(
        sup,
        name="2026年第四季度案卷评查",
        period_start=dt.date(2025, 1, 1),
        period_end=TODAY,
        per_township=2,
        seed=3,
    )
    sheets = list(rnd.sheets.select_related("case"))
    closed = Case.objects.filter(status=Case.CLOSED)
    assert sheets and all(s.case.status == Case.CLOSED for s in sheets)
    per_t = {}
    for s in sheets:
        per_t[s.township_id] = per_t.get(s.township_id, 0) + 1
    assert max(per_t.values()) <= 2
    assert len(per_t) == len({c.township_id for c in closed})
    # a sheet of a case with automatic defects opens pre-deducted
    flawed = next((s for s in sheets if s.auto_findings), None)
    assert flawed is not None
    assert scoring.total(flawed.scores) < 100

    scores = dict(flawed.scores)
    scores["facts"] = 10
    sheet = rounds.score_sheet(sup, flawed.pk, scores, "证据不足", TODAY)
    assert sheet.total == scoring.total(scores) and sheet.grade == scoring.grade(sheet.total)
    with pytest.raises(ValidationError, match="未评查"):
        rounds.close_round(sup, rnd.pk)

    letter = rounds.send_rectification(sup, sheet.pk, TODAY)
    assert letter.kind == Letter.RECTIFICATION and letter.township_id == sheet.township_id
    assert sheet.case.number in letter.body and flawed.auto_findings[0]["message"] in letter.body
    with pytest.raises(ValidationError, match="已发出"):
        rounds.send_rectification(sup, sheet.pk, TODAY)
    sheet.refresh_from_db()
    assert sheet.rectification_state == "整改中"
    result = next(r for r in rounds.results(rnd) if r.township == sheet.township.name)
    assert result.scored == 1 and result.rectifying == 1

    head = make_user(roles.TOWNSHIP_ADMIN, township=sheet.township.code, username="head")
    letters.reply_letter(head, letter.pk, "已组织整改，补正了告知程序。", TODAY)
    letters.assess_letter(sup, letter.pk, Letter.ADOPTED, "整改到位", TODAY)
    sheet.refresh_from_db()
    assert sheet.rectification_state == "已整改"

    # pages: the supervisor sees the round; the township sees only its own sheets
    client.force_login(sup)
    page = client.get(reverse("web:supervision:round_detail", args=[rnd.pk])).content.decode()
    assert sheet.case.number in page and "已整改" in page
    client.force_login(head)
    own = client.get(reverse("web:supervision:sheet_detail", args=[sheet.pk]))
    assert own.status_code == 200 and "保存评分" not in own.content.decode()
    other = next((s for s in sheets if s.township_id != sheet.township_id), None)
    if other is not None:
        assert client.get(reverse("web:supervision:sheet_detail", args=[other.pk])).status_code == 404
