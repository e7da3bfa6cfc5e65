"""Generating, numbering, storing and reading back a case's documents (database, no browser)."""

from __future__ import annotations

import io
import threading
import time

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.storage import default_storage
from django.db import connection
from docx import Document as open_docx

from zhifa.documents import services
from zhifa.documents.models import Document, DocumentCounter
from zhifa.org import roles

from . import samples

Z037_BASIS = samples.catalogue()["Z037"]["legal_basis"]


@pytest.fixture
def cases(county):
    """Two T01 cases and one T02 case of the dev set, and the catalogue item of the T01 ones."""
    from zhifa.cases.services import from_casefile
    from zhifa.catalogue.models import Item
    from zhifa.org.models import Department

    Item.objects.create(
        county=county,
        code="Z037",
        name=samples.catalogue()["Z037"]["name"],
        action_type="penalty",
        source="empowered",
        department=Department.objects.get(code="D01"),
        legal_basis=Z037_BASIS,
        violation=samples.catalogue()["Z037"]["violation"],
    )
    dev = samples.dev_cases()
    return {cid: from_casefile(dev[cid]) for cid in ("T01-2025-0011", "T01-2025-0015", "T02-2025-0016")}


@pytest.fixture
def officer(make_user):
    return make_user(roles.OFFICER, township="T01", full_name="高鹏")


def docx_words(doc: Document) -> str:
    d = open_docx(io.BytesIO(services.read_file(doc, "docx")))
    return "\n".join(p.text for p in d.paragraphs)


def test_generate_stores_numbered_files_with_sha256(cases, officer):
    case = cases["T01-2025-0011"]
    doc = services.generate(case, "penalty_decision", officer)
    assert doc.doc_no == "东城综执罚决字〔2025〕第1号"  # the decision is dated 2025-06-17
    assert (doc.township.code, doc.year, doc.seq, doc.title) == ("T01", 2025, 1, "行政处罚决定书")
    assert doc.generated_by == officer and doc.generated_at is not None
    pdf = services.read_file(doc, "pdf")
    assert pdf.startswith(b"%PDF") and services.sha256(pdf) == doc.pdf_sha256
    words = docx_words(doc)
    assert "牛建国" in words and doc.doc_no in words
    assert Z037_BASIS in words  # from the county catalogue
    assert "东城街道办事处" in words and "测试县人民政府" in words and "二〇二五年六月十七日" in words
    assert doc.content["doc_no"] == doc.doc_no and doc.content["party"]["name"] == "牛建国"
    assert doc.filename("pdf") == "行政处罚决定书（东城综执罚决字〔2025〕第1号）.pdf"
    assert doc.get_absolute_url() == f"/documents/case/{case.pk}/#doc-{doc.pk}"


def test_numbers_are_sequential_per_township_kind_and_year(cases, officer, make_user):
    a, b = cases["T01-2025-0011"], cases["T01-2025-0015"]
    nos = [services.generate(c, "penalty_decision", officer).doc_no for c in (a, b, a)]
    assert nos == [f"东城综执罚决字〔2025〕第{n}号" for n in (1, 2, 3)]
    # Each kind has its own sequence.
    assert services.generate(a, "prior_notice", officer).doc_no == "东城综执罚告字〔2025〕第1号"
    # So has each township.
    t2 = make_user(roles.OFFICER, township="T02")
    assert (
        services.generate(cases["T02-2025-0016"], "penalty_decision", t2).doc_no
        == "北关综执罚决字〔2025〕第1号"
    )
    # A new year starts again at 1, and the old year goes on where it was.
    new_year = services.generate(a, "penalty_decision", officer, {"issue_date": "2026-01-05"})
    assert new_year.doc_no == "东城综执罚决字〔2026〕第1号"
    assert services.generate(b, "penalty_decision", officer).doc_no == "东城综执罚决字〔2025〕第4号"
    counters = {(c.township.code, c.kind, c.year): c.last for c in DocumentCounter.objects.all()}
    assert counters[("T01", "penalty_decision", 2025)] == 4
    assert counters[("T01", "penalty_decision", 2026)] == 1


def test_failed_render_uses_no_number_and_leaves_no_file(cases, officer, monkeypatch, settings):
    case = cases["T01-2025-0011"]

    def broken(kind, ctx):
        raise RuntimeError("renderer crashed")

    monkeypatch.setattr(services, "render_both", broken)
    with pytest.raises(RuntimeError):
        services.generate(case, "penalty_decision", officer)
    monkeypatch.undo()
    assert not Document.objects.exists()
    stored = settings.MEDIA_ROOT / "documents"
    assert not stored.exists() or not [p for p in stored.rglob("*") if p.is_file()]
    assert services.generate(case, "penalty_decision", officer).seq == 1


def test_later_documents_cite_the_generated_decision(cases, officer):
    case = cases["T01-2025-0015"]
    decision = services.generate(case, "penalty_decision", officer)
    receipt = services.generate(case, "service_receipt", officer)
    reminder = services.generate(case, "reminder", officer)
    assert decision.doc_no in docx_words(receipt) or decision.doc_no in receipt.content["served_doc_no"]
    assert receipt.content["served_doc_no"] == decision.doc_no
    assert decision.doc_no in docx_words(reminder)
    # Dated by the case's own events: served 2025-07-31, reminder served per the file.
    assert receipt.content["issue_date"] == "2025-07-31"


def test_who_may_generate_and_read(cases, officer, make_user):
    case = cases["T01-2025-0011"]
    doc = services.generate(case, "penalty_decision", officer)
    other_township = make_user(roles.OFFICER, township="T02")
    with pytest.raises(PermissionDenied):
        services.generate(case, "penalty_decision", other_township)
    procurator = make_user(roles.PROCURATOR)
    with pytest.raises(PermissionDenied):
        services.generate(case, "penalty_decision", procurator)
    grid_worker = make_user(roles.GRID_WORKER, township="T01")
    with pytest.raises(PermissionDenied):
        services.generate(case, "penalty_decision", grid_worker)
    assert list(services.visible(procurator)) == [doc]
    assert list(services.visible(make_user(roles.SUPERVISOR))) == [doc]
    assert list(services.visible(other_township)) == []
    assert list(services.visible(grid_worker)) == []  # township staff outside enforcement
    assert list(services.visible(make_user(roles.DEPARTMENT_STAFF, department="D01"))) == []


def test_bad_extra_and_kind_are_refused_in_chinese(cases, officer):
    case = cases["T01-2025-0011"]
    with pytest.raises(services.DocumentError, match="未知的文书种类"):
        services.generate(case, "notice", officer)
    with pytest.raises(services.DocumentError, match=r"extra\.agency_name：不能补充该项"):
        services.generate(case, "penalty_decision", officer, {"agency_name": "别的机关"})
    with pytest.raises(services.DocumentError, match=r"落款日期.*应为日期"):
        services.generate(case, "penalty_decision", officer, {"issue_date": "2025-13-01"})
    assert not DocumentCounter.objects.filter(last__gt=0).exists()


def test_errors_are_validation_errors_with_a_plain_message(cases, officer):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as err:
        services.generate(cases["T01-2025-0011"], "notice", officer)
    assert err.value.messages == [str(err.value)] and str(err.value).startswith("未知的文书种类“notice”")


def test_tampered_file_is_detected(cases, officer):
    doc = services.generate(cases["T01-2025-0011"], "penalty_decision", officer)
    with open(default_storage.path(doc.pdf_path), "ab") as f:
        f.write(b"%tampered")
    with pytest.raises(services.DocumentError, match="SHA-256不一致"):
        services.read_file(doc, "pdf")
    assert services.read_file(doc, "docx")  # the other file is intact


@pytest.mark.django_db(transaction=True)
def test_concurrent_generation_gives_distinct_gapless_numbers(county, make_user):
    from zhifa.cases.services import from_casefile

    case = from_casefile(samples.dev_cases()["T01-2025-0011"])
    users = [make_user(roles.OFFICER, township="T01", username=f"o{i}") for i in range(4)]
    got: list[str] = []
    failures: list[BaseException] = []

    def work(user):
        try:
            for _ in range(2):
                for attempt in range(200):
                    try:
                        got.append(services.generate(case, "penalty_decision", user).doc_no)
                        break
                    except Exception as err:  # SQLite's shared-cache test database: table locked, retry
                        if connection.vendor != "sqlite" or "locked" not in str(err) or attempt == 199:
                            raise
                        time.sleep(0.01 * (1 + attempt % 5))
        except BaseException as err:
            failures.append(err)
        finally:
            connection.close()  # each thread has its own connection: do not leave it open

    threads = [threading.Thread(target=work, args=(u,)) for u in users]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not failures, failures
    assert sorted(got, key=len) and sorted(int(n.split("第")[1][:-1]) for n in got) == list(range(1, 9))
    assert Document.objects.count() == 8


def test_hearing_notice_is_dated_by_the_request_and_unrecorded_steps_by_today(county, make_user):
    import datetime as dt

    from zhifa.cases.services import from_casefile

    case = from_casefile(samples.dev_cases()["T02-2025-0020"])
    user = make_user(roles.DECIDER, township="T02")
    assert services.context_for_case(case, "hearing_notice")["issue_date"] == "2025-08-20"
    notice = services.context_for_case(case, "rectification_order", today=dt.date(2026, 3, 2))
    assert notice["issue_date"] == "2026-03-02"  # the file records no rectification order
    doc = services.generate(case, "rectification_order", user, today=dt.date(2026, 3, 2))
    assert doc.doc_no == "北关综执责改字〔2026〕第1号"


def test_same_township_name_in_two_counties(cases, officer, make_user):
    from zhifa.cases.services import from_casefile
    from zhifa.org.models import County, Township

    other = County.objects.create(code="C02", name="邻县")
    Township.objects.create(county=other, code="T11", name="东城街道", kind="街道")
    case = dict(samples.dev_cases()["T01-2025-0015"], township="T11", case_id="T11-2025-0015")
    theirs = from_casefile(case)
    user = make_user(roles.OFFICER, township="T11")
    a = services.generate(cases["T01-2025-0015"], "penalty_decision", officer)
    b = services.generate(theirs, "penalty_decision", user)
    assert a.doc_no == b.doc_no == "东城综执罚决字〔2025〕第1号"
    assert "邻县人民政府" in b.content["reconsideration_body"]
