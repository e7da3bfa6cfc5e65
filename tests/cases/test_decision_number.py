"""One 文号 for a decision: taken from the documents counter when the decision is made, carried by
the decision, its disclosure and its document (also when the document is regenerated after voiding)."""

from __future__ import annotations

import datetime as dt

import pytest

from cases.fixtures import build_team
from zhifa.cases import actions as A
from zhifa.cases.models import Case
from zhifa.cases.services import to_casefile
from zhifa.documents import services as docs
from zhifa.documents.models import Document, DocumentCounter

D = dt.date
pytestmark = pytest.mark.django_db
SHOP = {"kind": "organisation", "name": "顺意餐饮有限公司", "address": "城关镇解放路12号"}


@pytest.fixture
def team(county):
    return build_team(county)


def ready(team) -> Case:
    """A general-procedure case whose statement period has run and legal review passed (decidable 09-11)."""
    opened = D(2026, 9, 1)
    case = A.do_open_case(team.o1, item_code="Z028", procedure="general", party=SHOP, opened_on=opened)
    A.do_file(team.decider, case, opened)
    A.do_add_event(team.o1, case, "investigated", D(2026, 9, 2), actors=[team.o1, team.o2])
    A.do_add_event(
        team.o1,
        case,
        "notice_served",
        D(2026, 9, 7),
        fields={"proposed_fine": 1000, "statement_days": 3, "hearing_right": False},
    )
    A.do_legal_review(team.reviewer, case, D(2026, 9, 11), passed=True)
    return case


def counter(kind: str = "penalty_decision", year: int = 2026) -> int | None:
    row = DocumentCounter.objects.filter(township__code="T01", kind=kind, year=year).first()
    return row.last if row else None


def decide(team, case: Case) -> str:
    A.do_decide(team.decider, case, D(2026, 9, 11), fine=1000, circumstance="general")
    case.refresh_from_db()
    return case.decision["doc_no"]


def test_decision_number_is_the_later_documents_number(team):
    case = ready(team)
    no = decide(team, case)
    assert no == "东城综执罚决字〔2026〕第1号" and counter() == 1
    assert to_casefile(case)["decision"]["doc_no"] == no
    doc = docs.generate(case, "penalty_decision", team.o1)
    assert (doc.doc_no, doc.year, doc.seq) == (no, 2026, 1)
    assert no in doc.content["doc_no"] and counter() == 1  # generating took no second number
    # The documents that cite the decision cite that number.
    receipt = docs.generate(case, "service_receipt", team.o1)
    assert receipt.content["served_doc_no"] == no and receipt.doc_no == "东城综执送回字〔2026〕第1号"
    # One live document per decision: a second one is refused, naming the number and the way out.
    with pytest.raises(docs.DocumentError, match="已生成；如需重新生成，请先作废原文书") as exc:
        docs.generate(case, "penalty_decision", team.o1)
    assert no in str(exc.value) and Document.objects.filter(kind="penalty_decision").count() == 1


def test_refused_decision_takes_no_number(team):
    case = ready(team)
    # A fine above the benchmark without a reason is refused (处罚法 第三十四条) …
    with pytest.raises(A.StepRefused, match="第三十四条"):
        A.do_decide(team.decider, case, D(2026, 9, 11), fine=5000, circumstance="general")
    # … and so is a decision by the handler, refused after the benchmark check passed.
    with pytest.raises(A.StepRefused):
        A.do_decide(team.o1, case, D(2026, 9, 11), fine=1000, circumstance="general")
    case.refresh_from_db()
    assert case.decision is None and not counter()
    assert decide(team, case) == "东城综执罚决字〔2026〕第1号"


def test_decisions_of_a_township_and_year_are_sequential(team):
    a, b = ready(team), ready(team)
    assert [decide(team, a), decide(team, b)] == [f"东城综执罚决字〔2026〕第{n}号" for n in (1, 2)]
    # A document generated for another case in between keeps its own kind's counter.
    notice = docs.generate(a, "prior_notice", team.o1)
    assert notice.doc_no == "东城综执罚告字〔2026〕第1号"
    # Documents generated out of order still carry their decision's number; nothing is skipped.
    assert docs.generate(b, "penalty_decision", team.o1).seq == 2
    assert docs.generate(a, "penalty_decision", team.o1).seq == 1
    c = ready(team)
    assert decide(team, c) == "东城综执罚决字〔2026〕第3号" and counter() == 3
    # Another township's counter is its own.
    assert not DocumentCounter.objects.filter(township__code="T02").exists()


def test_other_decision_kinds_use_their_document_kinds_counter(team):
    case = A.do_open_case(
        team.o1, item_code="Z028", procedure="coercive", party=SHOP, opened_on=D(2026, 1, 5)
    )
    A.do_file(team.decider, case, D(2026, 1, 5))
    A.do_add_event(team.o1, case, "investigated", D(2026, 1, 6), actors=[team.o1, team.o2])
    A.do_legal_review(team.reviewer, case, D(2026, 1, 15))
    A.do_add_event(team.decider, case, "collective_discussion", D(2026, 1, 16), actors=[team.decider2])
    A.do_decide(
        team.decider,
        case,
        D(2026, 1, 20),
        kind="demolition_order",
        penalties=[],
        circumstance=None,
        major=True,
    )
    case.refresh_from_db()
    assert case.decision["doc_no"] == "东城综执拆通字〔2026〕第1号"
    assert counter("demolition_notice") == 1 and counter() is None
    assert docs.generate(case, "demolition_notice", team.o1).doc_no == case.decision["doc_no"]


def test_regenerating_after_void_keeps_the_number(team):
    case = ready(team)
    no = decide(team, case)
    first = docs.generate(case, "penalty_decision", team.o1)
    docs.void(first, team.o1, "罚款金额笔误")
    second = docs.generate(case, "penalty_decision", team.o1)
    first.refresh_from_db()
    assert second.pk != first.pk and (second.doc_no, second.seq) == (no, 1)
    assert first.voided and first.doc_no == no  # the voided one keeps its number, marked void
    assert counter() == 1
    assert docs.read_file(second, "pdf").startswith(b"%PDF")
    assert docs.read_file(first, "pdf").startswith(b"%PDF")  # both files kept, neither overwritten
    assert second.pdf_path != first.pdf_path
    receipt = docs.generate(case, "service_receipt", team.o1)
    assert receipt.content["served_doc_no"] == no
    assert to_casefile(case)["decision"]["doc_no"] == no
    # The database itself refuses a second live document with the same number.
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        Document.objects.create(
            case=case,
            township=case.township,
            kind="penalty_decision",
            title="行政处罚决定书",
            year=2026,
            seq=1,
            doc_no=no,
            generated_by=team.o1,
        )


def test_disclosure_shows_the_decisions_number_before_and_after_the_document(team):
    from zhifa.supervision import disclosure

    case = ready(team)
    no = decide(team, case)
    published = disclosure.publish_decision(team.o1, case.pk, D(2026, 9, 15))
    assert published.doc_no == published.content["doc_no"] == no
    assert docs.generate(case, "penalty_decision", team.o1).doc_no == published.doc_no


def test_legacy_provisional_number_takes_the_documents(team):
    """A decision recorded with the old provisional number is numbered by its document as before."""
    case = ready(team)
    decide(team, case)
    Case.objects.filter(pk=case.pk).update(
        decision={**case.decision, "doc_no": "东城街道综执罚决〔2026〕1号"}
    )
    case.refresh_from_db()
    doc = docs.generate(case, "penalty_decision", team.o1)
    assert doc.doc_no == "东城综执罚决字〔2026〕第2号"  # a new number: the legacy one is not the counter's
    assert to_casefile(case)["decision"]["doc_no"] == doc.doc_no
