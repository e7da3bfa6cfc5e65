"""`zhifa audit verify` compares business rows with their last audited image: a row changed,
inserted or deleted by SQL behind the application's back is named by table, row and field."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from dispatch.test_stale_writes import _act, _report, people  # noqa: F401  (fixture)
from zhifa.cases.models import Case, CaseEvent
from zhifa.cases.services import import_casefiles
from zhifa.core import audit
from zhifa.dispatch.models import Step
from zhifa.rules import dispatch_workflow as wf

SHARED = Path(__file__).resolve().parents[3] / "shared"
if not SHARED.exists():
    SHARED = Path("/work/shared")
DEV = SHARED / "benchmark" / "casefiles" / "cases-dev.jsonl"


def _routed(people, county, client):  # noqa: F811
    r = _report(people, county)
    client.force_login(people["td1"])
    assert _act(client, r, action="route", expected_state=wf.RECEIVED).status_code == 200
    client.force_login(people["o1"])
    assert _act(client, r, action="accept", expected_state=wf.ROUTED).status_code == 200
    return r


def test_reports_and_steps_changed_through_the_application_verify(people, county, client):  # noqa: F811
    _routed(people, county, client)
    result = audit.verify()
    assert result.ok, result.problems


def test_report_text_edited_in_the_database_is_named(people, county, client):  # noqa: F811
    r = _routed(people, county, client)
    with connection.cursor() as cur:
        cur.execute("UPDATE dispatch_report SET text = %s WHERE id = %s", ["已被改写", r.pk])
    result = audit.verify()
    assert not result.ok
    named = [p for p in result.problems if "dispatch_report" in p and f"dispatch.Report#{r.pk}" in p]
    assert len(named) == 1 and "事件描述（text）" in named[0] and "数据被直接修改" in named[0]
    with pytest.raises(CommandError):
        call_command("audit", "verify", stdout=open("/dev/null", "w"))


def test_a_step_deleted_in_the_database_is_named(people, county, client):  # noqa: F811
    r = _routed(people, county, client)
    step = Step.objects.filter(report=r).order_by("id").first()
    with connection.cursor() as cur:
        cur.execute("DELETE FROM dispatch_step WHERE id = %s", [step.pk])
    problems = audit.verify().problems
    assert any(f"dispatch.Step#{step.pk}" in p and "没有删除的审计记录" in p for p in problems), problems


def test_imported_case_files_verify_and_an_inserted_event_is_named(county):
    from zhifa.org.models import Township

    for code, name in [("T03", "柳泉镇"), ("T04", "石岭乡"), ("T05", "五里镇"), ("T06", "六合街道")]:
        Township.objects.create(county=county, code=code, name=name, kind="镇")
    lines = DEV.read_text(encoding="utf-8").splitlines()[:5]
    import_casefiles("\n".join(lines) + "\n")
    result = audit.verify()
    assert result.ok, result.problems
    case = Case.objects.order_by("id").first()
    event = CaseEvent.objects.filter(case=case).order_by("id").first()
    with connection.cursor() as cur:
        cur.execute("UPDATE cases_case SET party = %s WHERE id = %s", [json.dumps({"name": "某某"}), case.pk])
        cur.execute(
            "INSERT INTO cases_caseevent (case_id, seq, type, date, actors, payload, note, recorded_at)"
            " SELECT case_id, seq + 1000, type, date, actors, payload, note, recorded_at"
            " FROM cases_caseevent WHERE id = %s",
            [event.pk],
        )
    problems = audit.verify().problems
    assert any(f"cases.Case#{case.pk}" in p and "（party）" in p for p in problems), problems
    inserted = CaseEvent.objects.order_by("-id").first()
    label = f"cases.CaseEvent#{inserted.pk}"
    assert any(label in p and "没有对应的审计记录" in p for p in problems), problems
