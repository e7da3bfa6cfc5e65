"""The decision document on the documents page and API carries the decision's 文号: a second live one
is refused with a Chinese message, one regenerated after voiding gets the same number again."""

from __future__ import annotations

import datetime as dt

import pytest
from cases.fixtures import build_team

from zhifa.cases import actions as A
from zhifa.documents.models import Document

D = dt.date
pytestmark = pytest.mark.django_db


@pytest.fixture
def decided(county):
    team = build_team(county)
    party = {"kind": "organisation", "name": "顺意餐饮有限公司", "address": "城关镇解放路12号"}
    case = A.do_open_case(
        team.o1, item_code="Z028", procedure="general", party=party, opened_on=D(2026, 9, 1)
    )
    A.do_file(team.decider, case, D(2026, 9, 1))
    A.do_add_event(team.o1, case, "investigated", D(2026, 9, 2), actors=[team.o1, team.o2])
    A.do_add_event(
        team.o1,
        case,
        "notice_served",
        D(2026, 9, 7),
        fields={"proposed_fine": 1000, "statement_days": 3, "hearing_right": False},
    )
    A.do_legal_review(team.reviewer, case, D(2026, 9, 11), passed=True)
    A.do_decide(team.decider, case, D(2026, 9, 11), fine=1000, circumstance="general")
    case.refresh_from_db()
    return team, case


def test_page_generates_with_the_decisions_number_and_refuses_a_second(client, decided):
    team, case = decided
    no = case.decision["doc_no"]
    assert no == "东城综执罚决字〔2026〕第1号"
    client.force_login(team.o1)
    url = f"/documents/case/{case.pk}/"
    done = client.post(url, {"kind": "penalty_decision"}, follow=True).content.decode()
    assert f"已生成《行政处罚决定书》，文号{no}。" in done
    again = client.post(url, {"kind": "penalty_decision"}).content.decode()
    assert f"本案的行政处罚决定书{no}已生成；如需重新生成，请先作废原文书" in again
    first = Document.objects.get()
    client.post(url, {"action": "void", "document": first.pk, "reason": "当事人名称笔误"})
    response = client.post(
        "/api/documents/documents/generate/", {"case": case.pk, "kind": "penalty_decision"}
    )
    assert response.status_code == 201 and response.json()["doc_no"] == no
    refused = client.post(
        "/api/documents/documents/generate/",
        {"case": case.pk, "kind": "penalty_decision"},
        content_type="application/json",
    )
    assert refused.status_code == 400 and "请先作废原文书" in refused.content.decode(), (
        refused.content.decode()
    )
    assert sorted((d.doc_no, d.voided) for d in Document.objects.all()) == [(no, False), (no, True)]


@pytest.mark.django_db(transaction=True)
def test_concurrent_regeneration_after_void_gives_one_live_document(decided):
    import threading
    import time

    from django.db import connection

    from zhifa.documents import services

    team, case = decided
    no = case.decision["doc_no"]
    services.void(services.generate(case, "penalty_decision", team.o1), team.o1, "罚款金额笔误")
    made: list[str] = []
    refused: list[str] = []
    failures: list[BaseException] = []

    def work():
        try:
            for attempt in range(200):
                try:
                    made.append(services.generate(case, "penalty_decision", team.o1).doc_no)
                    return
                except services.DocumentError as err:
                    refused.append(str(err))
                    return
                except Exception as err:  # SQLite's shared-cache test database: table locked, retry
                    if connection.vendor != "sqlite" or "locked" not in str(err) or attempt == 199:
                        raise
                    time.sleep(0.01 * (1 + attempt % 5))
        except BaseException as err:
            failures.append(err)
        finally:
            connection.close()

    threads = [threading.Thread(target=work) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not failures, failures
    assert made == [no] and len(refused) == 2 and all(no in m for m in refused)
    assert Document.objects.filter(voided_at__isnull=True).count() == 1


def test_preview_of_the_decision_shows_its_number_and_takes_none(decided, tmp_path):
    import subprocess

    from zhifa.documents import services

    team, case = decided
    pdf = services.preview(case, "penalty_decision", team.o1)
    path = tmp_path / "p.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    assert case.decision["doc_no"] in text.replace(" ", "").replace("\n", "")
    other = services.preview(case, "prior_notice", team.o1)
    path.write_bytes(other)
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    assert "未编号" in text.replace(" ", "").replace("\n", "")
    assert not Document.objects.exists()
