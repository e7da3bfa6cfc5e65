"""The documents pages, the REST API and the render-doc command."""

from __future__ import annotations

import io
import json
from urllib.parse import unquote

import pytest
from django.core.management import CommandError, call_command
from docx import Document as open_docx

from zhifa.documents import services
from zhifa.documents.models import Document
from zhifa.org import roles

from . import samples


@pytest.fixture
def case(county):
    from zhifa.cases.services import from_casefile

    return from_casefile(samples.dev_cases()["T01-2025-0024"])


@pytest.fixture
def officer(make_user):
    return make_user(roles.OFFICER, township="T01")


def test_case_page_generates_and_downloads(client, case, officer):
    client.force_login(officer)
    url = f"/documents/case/{case.pk}/"
    page = client.get(url)
    assert page.status_code == 200
    body = page.content.decode()
    assert "该案件尚未生成法律文书" in body and "生成并编号" in body and "庞志勇" in body
    assert "本案应有文书" in body and "行政处罚事先告知书" in body and "未生成" in body
    assert f'href="/cases/{case.pk}/"' in body
    response = client.post(
        url,
        {
            "kind": "penalty_decision",
            "facts": "当事人在东城街道文化路随意倾倒生活垃圾约两立方米。",
            "evidence": "现场检查笔录\n现场照片6张",
            "hearing_at": "not for this kind: ignored",
        },
        follow=True,
    )
    body = response.content.decode()
    assert "已生成《行政处罚决定书》，文号东城综执罚决字〔2025〕第1号。" in body
    assert "已生成 东城综执罚决字〔2025〕第1号" in body  # ticked in the checklist
    doc = Document.objects.get()
    assert "hearing_at" not in doc.content and doc.content["evidence"] == ["现场检查笔录", "现场照片6张"]
    pdf = client.get(f"/documents/{doc.pk}/pdf/")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert "行政处罚决定书（东城综执罚决字〔2025〕第1号）.pdf" in unquote(pdf["Content-Disposition"])
    assert b"".join(pdf.streaming_content).startswith(b"%PDF")
    docx = client.get(f"/documents/{doc.pk}/docx/")
    words = "\n".join(p.text for p in open_docx(io.BytesIO(b"".join(docx.streaming_content))).paragraphs)
    assert "随意倾倒生活垃圾约两立方米" in words and "现场照片6张" in words
    listing = client.get("/documents/?q=T01-2025-0024").content.decode()
    assert "东城综执罚决字〔2025〕第1号" in listing
    assert client.get("/documents/?case=T01-2025-0024").url == url


def test_form_errors_are_chinese_and_use_no_number(client, case, officer):
    client.force_login(officer)
    response = client.post(
        f"/documents/case/{case.pk}/",
        {"kind": "inquiry_record", "qa": "问：为什么倾倒垃圾？\n垃圾桶满了", "issue_date": "2025-02-30"},
    )
    body = response.content.decode()
    assert "“询问问答”第2行应以“问：”或“答：”开头" in body
    assert "“落款日期”应为日期（YYYY-MM-DD），收到“2025-02-30”" in body
    assert not Document.objects.exists()
    assert "不存在或不在您的管辖范围内" in client.get("/documents/?case=T09-2025-0001").content.decode()


def test_scoping_of_pages_and_downloads(client, case, officer, make_user):
    doc = services.generate(case, "penalty_decision", officer)
    client.force_login(make_user(roles.OFFICER, township="T02"))
    assert client.get(f"/documents/case/{case.pk}/").status_code == 404
    assert client.get(f"/documents/{doc.pk}/pdf/").status_code == 404
    assert "东城综执罚决" not in client.get("/documents/").content.decode()
    client.force_login(make_user(roles.PROCURATOR))
    page = client.get(f"/documents/case/{case.pk}/").content.decode()
    assert doc.doc_no in page and "生成并编号" not in page
    assert client.post(f"/documents/case/{case.pk}/", {"kind": "reminder"}).status_code == 403
    assert client.get(f"/documents/{doc.pk}/docx/").status_code == 200
    client.force_login(make_user(roles.SUPERVISOR))
    assert client.get(f"/documents/{doc.pk}/pdf/").status_code == 200
    listing = client.get("/documents/?township=T01").content.decode()
    assert doc.doc_no in listing and '<option value="T01"' in listing
    assert doc.doc_no not in client.get("/documents/?township=T02").content.decode()
    client.force_login(make_user(roles.GRID_WORKER, township="T01"))
    assert client.get(f"/documents/{doc.pk}/pdf/").status_code == 403
    assert Document.objects.count() == 1


def test_api_list_download_generate(client, case, officer, make_user):
    client.force_login(officer)
    created = client.post(
        "/api/documents/documents/generate/",
        {"case": case.pk, "kind": "prior_notice", "extra": {"evidence": ["现场照片"]}},
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    data = created.json()
    assert data["doc_no"] == "东城综执罚告字〔2025〕第1号" and data["case_number"] == "T01-2025-0024"
    listing = client.get(f"/api/documents/documents/?case={case.pk}").json()
    assert [d["doc_no"] for d in listing["results"]] == [data["doc_no"]]
    pdf = client.get(f"/api/documents/documents/{data['id']}/pdf/")
    assert pdf.status_code == 200 and b"".join(pdf.streaming_content).startswith(b"%PDF")
    bad = client.post(
        "/api/documents/documents/generate/",
        {"case": case.pk, "kind": "prior_notice", "extra": {"doc_no": "伪造文号"}},
        content_type="application/json",
    )
    assert bad.status_code == 400 and "extra.doc_no：不能补充该项" in json.dumps(
        bad.json(), ensure_ascii=False
    )
    client.force_login(make_user(roles.OFFICER, township="T02"))
    assert client.get(f"/api/documents/documents/{data['id']}/pdf/").status_code == 404
    denied = client.post(
        "/api/documents/documents/generate/",
        {"case": case.pk, "kind": "prior_notice"},
        content_type="application/json",
    )
    assert denied.status_code == 404
    voided = client.post(
        f"/api/documents/documents/{data['id']}/void/", {"reason": "x"}, content_type="application/json"
    )
    assert voided.status_code == 404  # another township's document
    client.force_login(make_user(roles.PROCURATOR))
    assert client.get("/api/documents/documents/").json()["count"] == 1
    refused_void = client.post(
        f"/api/documents/documents/{data['id']}/void/", {"reason": "x"}, content_type="application/json"
    )
    # The API looks writes up in the change scope, which is empty for a procurator.
    assert refused_void.status_code == 404
    refused = client.post(
        "/api/documents/documents/generate/",
        {"case": case.pk, "kind": "prior_notice"},
        content_type="application/json",
    )
    assert refused.status_code == 403
    assert Document.objects.count() == 1
    client.force_login(officer)
    done = client.post(
        f"/api/documents/documents/{data['id']}/void/",
        {"reason": "当事人名称有误"},
        content_type="application/json",
    )
    assert done.status_code == 200 and done.json()["void_reason"] == "当事人名称有误"


def test_render_doc_command(db, tmp_path, capsys):
    out = tmp_path / "decision.pdf"
    call_command(
        "render_doc",
        str(samples.CASES),
        case="T04-2025-0014",
        kind="行政处罚决定书",
        output=str(out),
        township_name="河西镇",
        county_name="测试县",
    )
    assert out.read_bytes().startswith(b"%PDF")
    assert "已生成《行政处罚决定书》（案件T04-2025-0014）" in capsys.readouterr().out
    docx = tmp_path / "notice.docx"
    extra = tmp_path / "extra.json"
    extra.write_text(json.dumps({"township_name": "河西镇", "county_name": "测试县"}), encoding="utf-8")
    call_command(
        "render_doc",
        str(samples.CASES),
        case="T04-2025-0014",
        kind="prior_notice",
        output=str(docx),
        extra=str(extra),
    )
    words = "\n".join(p.text for p in open_docx(str(docx)).paragraphs)
    assert "中泰置业有限公司" in words and "河西镇人民政府" in words
    with pytest.raises(CommandError, match="没有案件编号为“T09-2025-0001”的案卷"):
        call_command("render_doc", str(samples.CASES), case="T09-2025-0001", kind="催告书", output=str(out))
    with pytest.raises(CommandError, match="未知的文书种类“通知”"):
        call_command("render_doc", str(samples.CASES), case="T04-2025-0014", kind="通知", output=str(out))
    with pytest.raises(CommandError, match="缺少必填内容：执法机关名称"):
        call_command("render_doc", str(samples.CASES), case="T04-2025-0014", kind="催告书", output=str(out))
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"schema": "zhifa.casefile/1"}\n', encoding="utf-8")
    with pytest.raises(CommandError, match="案卷文件校验未通过"):
        call_command("render_doc", str(bad), kind="催告书", output=str(out))


def test_service_receipt_for_another_document(client, case, officer):
    client.force_login(officer)
    notice = services.generate(case, "prior_notice", officer)
    client.post(
        f"/documents/case/{case.pk}/",
        {"kind": "service_receipt", "served_doc_name": "行政处罚事先告知书", "served_doc_no": notice.doc_no},
    )
    receipt = Document.objects.get(kind="service_receipt")
    words = "\n".join(
        c.text
        for t in open_docx(io.BytesIO(services.read_file(receipt, "docx"))).tables
        for r in t.rows
        for c in r.cells
    )
    assert f"《行政处罚事先告知书》（{notice.doc_no}）" in words


def test_agency_profile_is_printed_on_new_documents(client, case, officer, make_user):
    admin = make_user(roles.TOWNSHIP_ADMIN, township="T01")
    client.force_login(admin)
    assert "设置文书落款信息" in client.get("/documents/").content.decode()
    page = client.get("/documents/settings/").content.decode()
    assert "文书落款信息 · 东城街道" in page and "当前文书抬头：<strong>东城街道办事处</strong>" in page
    response = client.post(
        "/documents/settings/",
        {
            "township": "T01",
            "phone": "0351-1234567",
            "payment_place": "示范银行东城支行（代收罚款）",
            "court": "",
        },
        follow=True,
    )
    assert "已保存东城街道的文书落款信息" in response.content.decode()
    too_long = client.post("/documents/settings/", {"township": "T01", "phone": "1" * 41})
    assert "联系电话：" in too_long.content.decode()
    assert client.post("/documents/settings/", {"township": "T02", "phone": "x"}).status_code == 404
    doc = services.generate(case, "penalty_decision", officer)
    words = "\n".join(p.text for p in open_docx(io.BytesIO(services.read_file(doc, "docx"))).paragraphs)
    assert "示范银行东城支行（代收罚款）" in words and "测试县人民法院" in words
    assert doc.content["agency_phone"] == "0351-1234567"
    client.force_login(officer)
    assert client.get("/documents/settings/").status_code == 403
    client.force_login(make_user(roles.ADMIN))
    assert "北关街道" in client.get("/documents/settings/?township=T02").content.decode()


def test_preview_takes_no_number(client, case, officer, tmp_path):
    import subprocess

    client.force_login(officer)
    response = client.post(f"/documents/case/{case.pk}/", {"kind": "prior_notice", "preview": "1"})
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert "inline" in response["Content-Disposition"]
    path = tmp_path / "draft.pdf"
    path.write_bytes(b"".join(response.streaming_content))
    words = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, check=True).stdout.decode()
    assert "（草稿，未编号）" in words and "庞志勇" in words
    assert not Document.objects.exists()
    assert services.generate(case, "prior_notice", officer).seq == 1


def test_void_keeps_the_number_used(client, case, officer, make_user):
    client.force_login(officer)
    first = services.generate(case, "penalty_decision", officer)
    url = f"/documents/case/{case.pk}/"
    missing = client.post(url, {"action": "void", "document": first.pk, "reason": " "}, follow=True)
    assert "请填写作废理由" in missing.content.decode()
    done = client.post(url, {"action": "void", "document": first.pk, "reason": "罚款金额笔误"}, follow=True)
    body = done.content.decode()
    assert (
        f"已作废《行政处罚决定书》{first.doc_no}，该文号不再使用。" in body and "已作废：罚款金额笔误" in body
    )
    second = services.generate(case, "penalty_decision", officer)
    assert second.seq == 2  # the voided number is not reused
    receipt = services.generate(case, "service_receipt", officer)
    assert receipt.content["served_doc_no"] == second.doc_no  # the voided decision is not cited
    again = client.post(url, {"action": "void", "document": first.pk, "reason": "再次"}, follow=True)
    assert "已于" in again.content.decode() and "作废" in again.content.decode()
    client.force_login(make_user(roles.PROCURATOR))
    assert client.post(url, {"action": "void", "document": second.pk, "reason": "x"}).status_code == 403
    client.force_login(make_user(roles.OFFICER, township="T02"))
    assert client.post(url, {"action": "void", "document": second.pk, "reason": "x"}).status_code == 404
    second.refresh_from_db()
    assert not second.voided
