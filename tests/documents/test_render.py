"""Every document kind renders to DOCX and PDF from a dev case file, in the standard format."""

from __future__ import annotations

import io
import shutil
import subprocess
import sys
import zipfile

import pytest
from conftest import require
from docx import Document as open_docx
from PIL import Image

from zhifa.documents import kinds
from zhifa.documents.context import ContextError, context_from_casefile
from zhifa.documents.render import render, render_both, text

from . import samples

# Which dev case each kind is drawn from, and extra data the exchange format does not hold.
CASE_FOR = {
    "filing_approval": ("T04-2025-0014", {}),
    "inspection_record": ("T01-2025-0030", {"findings": "货架上有过期食品三件，消防通道堆放纸箱。"}),
    "inquiry_record": (
        "T04-2025-0014",
        {"qa": [{"q": "工地渣土为什么没有覆盖？", "a": "防尘网被风刮开，还没来得及重新覆盖。"}]},
    ),
    "rectification_order": ("T01-2025-0030", {"rectify_requirements": "下架过期食品，清理消防通道"}),
    "prior_notice": ("T04-2025-0014", {}),
    "hearing_notice": (
        "T04-2025-0014",
        {"hearing_at": "2025年6月23日上午9时", "hearing_place": "河西镇人民政府三楼会议室"},
    ),
    "penalty_decision": ("T04-2025-0014", {}),
    "no_penalty_decision": ("T05-2025-0009", {}),
    "service_receipt": ("T04-2025-0014", {"served_doc_no": "河西综执罚决字〔2025〕第14号"}),
    "seizure_decision": (
        "T06-2025-0020",
        {"seized_items": [{"name": "电动三轮车", "quantity": "1", "unit": "辆", "note": "八成新"}]},
    ),
    "demolition_notice": ("T03-2025-0004", {"structure": "二层砖混房屋", "area": "约120平方米"}),
    "demolition_announcement": ("T03-2025-0004", {"structure": "二层砖混房屋"}),
    "reminder": ("T01-2025-0015", {}),
    "closing_report": ("T04-2025-0014", {}),
}
# Documents that rest on a procedural article rather than on the item's own legal basis.
PROCEDURAL_BASIS = {
    "hearing_notice": "第六十四条",
    "service_receipt": "第六十一条",
    "reminder": "第三十五条",
}


def doc_no(kind: str) -> str:
    return kinds.format_doc_no("河西镇", kind, 2025, 7)


def ctx_for(kind: str) -> dict:
    case_id, extra = CASE_FOR[kind]
    return samples.context(case_id, doc_no=doc_no(kind), **extra)


def docx_text(data: bytes) -> str:
    d = open_docx(io.BytesIO(data))
    parts = [p.text for p in d.paragraphs]
    for table in d.tables:
        for row in table.rows:
            parts.extend(c.text for c in row.cells)
    return "\n".join(parts)


def test_kind_table_covers_the_issue():
    titles = {k.title for k in kinds.KINDS}
    for title in (
        "立案审批表 现场检查笔录 询问笔录 责令改正通知书 行政处罚事先告知书 听证通知书 行政处罚决定书 "
        "送达回证 查封扣押决定书 限期拆除通知书 限期拆除公告 催告书 结案报告"
    ).split():
        assert title in titles
    assert len({k.abbr for k in kinds.KINDS}) == len(kinds.KINDS), "文号简称 must be unique"
    assert set(CASE_FOR) == set(kinds.BY_CODE)


def test_doc_no_format():
    assert kinds.format_doc_no("东城街道", "penalty_decision", 2026, 7) == "东城综执罚决字〔2026〕第7号"
    assert kinds.format_doc_no("柳林乡", "prior_notice", 2025, 12) == "柳林综执罚告字〔2025〕第12号"
    with pytest.raises(ValueError, match="未知的文书种类"):
        kinds.format_doc_no("东城街道", "nope", 2026, 1)


@pytest.fixture(scope="module")
def rendered() -> dict[str, tuple[bytes, bytes, dict]]:
    out = {}
    for kind in kinds.BY_CODE:
        ctx = ctx_for(kind)
        docx, pdf = render_both(kind, ctx)
        out[kind] = (docx, pdf, ctx)
    return out


@pytest.mark.parametrize("kind", list(kinds.BY_CODE))
def test_docx_has_party_doc_no_and_basis(rendered, kind):
    data, _, ctx = rendered[kind]
    body = docx_text(data)
    assert ctx["party"]["name"] in body
    assert doc_no(kind) in body
    assert ctx["agency_name"] in body
    basis = PROCEDURAL_BASIS.get(kind) or samples.catalogue()[ctx["item_code"]]["legal_basis"]
    assert basis in body, f"{kind}: legal basis {basis} missing"
    # Word and WPS pick the Chinese face from w:eastAsia; without it Chinese falls back to a Latin font.
    xml = zipfile.ZipFile(io.BytesIO(data)).read("word/document.xml").decode()
    assert 'w:eastAsia="仿宋"' in xml
    # Word refuses a file whose table properties are out of schema order.
    for table in open_docx(io.BytesIO(data)).tables:
        tags = [c.tag.rsplit("}", 1)[1] for c in table._tbl.tblPr]
        assert tags.index("tblBorders") < tags.index("tblLook"), tags


def test_every_pdf_is_a_chinese_document(rendered, tmp_path):
    for name in ("pdftotext", "pdffonts"):
        require(shutil.which(name) is not None, name)
    for kind, (_, pdf, ctx) in rendered.items():
        assert pdf.startswith(b"%PDF")
        path = tmp_path / f"{kind}.pdf"
        path.write_bytes(pdf)
        extracted = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, check=True).stdout
        words = extracted.decode().replace("\n", "")
        assert text(kind, ctx).splitlines()[1] in words  # the title, as Chinese text
        assert ctx["party"]["name"] in words
        fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, check=True).stdout.decode()
        assert "WenQuanYi" in fonts and " yes " in fonts  # the vendored font, embedded


def page_one(pdf: bytes, tmp_path) -> Image.Image:
    path = tmp_path / "doc.pdf"
    path.write_bytes(pdf)
    png = subprocess.run(
        ["pdftoppm", "-r", "50", "-png", "-f", "1", "-l", "1", str(path)], capture_output=True, check=True
    ).stdout
    return Image.open(io.BytesIO(png)).convert("L")


def ink(img: Image.Image) -> int:
    return sum(img.histogram()[:128])


@pytest.mark.parametrize("kind", list(kinds.BY_CODE))
def test_pdf_first_page_is_not_blank(rendered, kind, tmp_path):
    require(shutil.which("pdftoppm") is not None, "pdftoppm")
    img = page_one(rendered[kind][1], tmp_path)
    assert img.size == (414, 585)  # A4 at 50 dpi
    # A full page of text has over 9000 dark pixels at this size; a page with only a title < 1500.
    assert ink(img) > 4000
    # The band of the agency name and the title (Chinese characters only) is inked.
    assert ink(img.crop((0, 65, img.size[0], 130))) > 500


def test_font_has_every_character_printed(rendered):
    # A character missing from the vendored font would print as an empty box (豆腐块).
    from reportlab.pdfbase import pdfmetrics

    from zhifa.documents.writer_pdf import register_font

    face = pdfmetrics.getFont(register_font()).face
    for kind, (_, _, ctx) in rendered.items():
        missing = {ch for ch in text(kind, ctx) if not ch.isspace() and ord(ch) not in face.charToGlyph}
        assert not missing, f"{kind}: {''.join(sorted(missing))}"


def test_decision_states_remedies_payment_and_surcharge(rendered):
    body = docx_text(rendered["penalty_decision"][0]).replace("\n", "")
    assert "六十日内向测试县人民政府申请行政复议" in body
    assert "六个月内直接向测试县人民法院提起行政诉讼" in body
    assert "《中华人民共和国行政复议法》第二十条" in body
    assert "《中华人民共和国行政诉讼法》第四十六条" in body
    assert "十五日内" in body and "每日按罚款数额的百分之三加处罚款" in body
    assert "罚款人民币捌万元整（¥80000.00）" in body
    assert "属于较重情节，依照本县公布的行政处罚裁量基准，应处50000元以上100000元以下罚款" in body
    assert "经法制审核，经本机关负责人集体讨论，本机关决定" in body
    assert "依法举行了听证" in body
    # A 街道's decisions go to the county government too (复议法 第24条第1款第2项).
    ctx = samples.context("T01-2025-0024")
    assert "东城街道办事处" == ctx["agency_name"]
    assert "向测试县人民政府申请行政复议" in text("penalty_decision", ctx)


def test_decision_ignores_a_wrong_period_in_the_file():
    # T04-2025-0006's form stated three months for a suit; the document always prints the law's six.
    ctx = samples.context("T04-2025-0006", facts="当事人在镇中心路口占道摆放水果摊。")
    assert ctx["court"] == "测试县人民法院"
    words = text("penalty_decision", ctx)
    assert "六个月内" in words and "三个月" not in words


def test_prior_notice_rights():
    words = text("prior_notice", samples.context("T04-2025-0014"))
    assert "五个工作日内向本机关提出陈述、申辩意见" in words
    assert "有权要求举行听证" in words
    assert "罚款人民币捌万元整" in words
    no_hearing = samples.context("T01-2025-0024")
    assert no_hearing.get("hearing_right") is False
    assert "听证" not in text("prior_notice", no_hearing)


def test_seizure_term_and_inventory():
    ctx = samples.context("T06-2025-0020", seized_items=[{"name": "电动三轮车", "quantity": "1"}])
    words = text("seizure_decision", ctx)
    assert ctx["measure"] in ("sealing", "seizure")
    assert "三十日" in words and "电动三轮车" in words
    assert "《中华人民共和国行政强制法》第二十五条" in words


def test_every_dev_case_builds_every_kind():
    # Content only (no files): every case of the dev set gives every kind without an error.
    for case_id in samples.dev_cases():
        ctx = samples.context(case_id)
        for kind in kinds.BY_CODE:
            words = text(kind, ctx)
            assert ctx["party"]["name"] in words, (case_id, kind)
            assert "你当事人" not in words and "你单位当事人" not in words, (case_id, kind)


def test_missing_required_fields_are_named_in_chinese():
    with pytest.raises(ContextError) as err:
        render("penalty_decision", {"party": {}}, "pdf")
    message = str(err.value)
    assert "《行政处罚决定书》" in message
    assert "执法机关名称" in message and "当事人姓名或名称" in message and "行政复议机关" in message
    with pytest.raises(ValueError, match="不支持的文书格式"):
        render("penalty_decision", samples.context("T04-2025-0014"), "odt")


def test_reminder_states_due_date_and_capped_surcharge():
    # Served 2025-07-31: due 2025-08-15; by the reminder (2026-02-09) 178 days overdue, 3 % a day
    # would exceed the fine, so the surcharge is capped at the fine (处罚法 第72条).
    ctx = samples.context("T01-2025-0015")
    assert (ctx["payment_due"], ctx["overdue_days"], ctx["surcharge"]) == ("2025-08-15", 178, 6000.0)
    words = text("reminder", ctx)
    assert "缴纳罚款的期限已于2025年8月15日届满" in words
    assert "加处罚款6000元，合计人民币壹万贰仟元整（¥12000.00）" in words
    assert "十个工作日内履行" in words
    # Without a calendar nothing is guessed.
    plain = context_from_casefile(
        samples.dev_cases()["T01-2025-0015"], samples.extra_for(samples.dev_cases()["T01-2025-0015"])
    )
    assert "payment_due" not in plain and "加处罚款" not in text("reminder", plain)


def test_simple_procedure_gives_the_on_the_spot_form():
    # 处罚法 第52条: the form states the conduct, penalty and basis, remedies, and the officers sign.
    ctx = samples.context("T01-2025-0003", doc_no="东城综执罚决字〔2025〕第3号")
    words = text("penalty_decision", ctx)
    assert words.splitlines()[1] == "当场行政处罚决定书"
    assert "王秀兰" in words and "第五十一条" in words and "当场收缴" in words
    assert "六十日内向测试县人民政府申请行政复议" in words and "六个月内" in words
    for officer in ctx["officers"]:
        assert f"{officer['name']}（执法证号：{officer['cert_no']}）" in words
    assert "事先告知书" not in words


def test_checklist_follows_the_case_record():
    from zhifa.documents.checklist import expected_kinds

    dev = samples.dev_cases()
    assert [k for k, _ in expected_kinds(dev["T04-2025-0014"])] == [
        "filing_approval",
        "inspection_record",
        "inquiry_record",
        "prior_notice",
        "hearing_notice",
        "penalty_decision",
        "service_receipt",
        "closing_report",
    ]
    assert [k for k, _ in expected_kinds(dev["T03-2025-0004"])] == [
        "filing_approval",
        "inspection_record",
        "inquiry_record",
        "demolition_notice",
        "service_receipt",
        "demolition_announcement",
        "reminder",
        "closing_report",
    ]
    assert dict(expected_kinds(dev["T06-2025-0020"])) == {
        "seizure_decision": "已实施查封扣押",
        "closing_report": "已结案",
    }
    assert dict(expected_kinds(dev["T05-2025-0009"]))["no_penalty_decision"] == "已作出不予行政处罚决定"


def test_case_cause_names_the_party_and_the_conduct():
    from zhifa.documents.context import complete

    def cause(item: str) -> str:
        return complete({"party": {"name": "甲公司"}, "item_name": item})["case_cause"]

    assert cause("对建筑施工企业未采取扬尘防治措施的处罚") == "甲公司未采取扬尘防治措施案"
    assert cause("对排放油烟的餐饮服务业经营者未安装油烟净化设施或者超标排放油烟的处罚") == (
        "甲公司未安装油烟净化设施或者超标排放油烟案"
    )
    assert cause("对擅自占用、挖掘城市道路的处罚") == "甲公司擅自占用、挖掘城市道路案"


def test_renderer_is_pure():
    # `zhifa.documents.render` works from a plain dict without Django (e.g. in a worker or a script).
    code = (
        "import sys; from zhifa.documents import render, context, checklist; "
        "assert not [m for m in sys.modules if m == 'django' or m.startswith('django.')], 'django imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_a_control_character_in_stored_text_does_not_break_the_docx():
    import io

    import docx

    from zhifa.documents import content as c
    from zhifa.documents.writer_docx import write_docx

    bad = "违法\u001d事实"
    doc = c.Document(
        kind="test",
        agency="某某街道\u0007办事处",
        title="行政处罚决定书",
        doc_no="某综执罚〔2026〕1号",
        addressee="张三\u000b",
        blocks=[
            c.Heading("一、" + bad),
            c.Para(bad, label="事实："),
            c.FormTable(rows=[[c.Cell("当事人", label=True), c.Cell(bad)]], widths=[1, 3]),
            c.DataTable(headers=["物品"], rows=[[bad]], widths=[1]),
            c.Signature(agency="某某街道办事处", date="二〇二六年十二月六日"),
        ],
        footer="第一行\r\n第二行\r第三行",
    )
    opened = docx.Document(io.BytesIO(write_docx(doc)))
    words = "\n".join(p.text for p in opened.paragraphs) + "".join(
        cell.text for t in opened.tables for row in t.rows for cell in row.cells
    )
    assert "违法\ufffd事实" in words and "\u001d" not in words
    assert "第三行" in words
