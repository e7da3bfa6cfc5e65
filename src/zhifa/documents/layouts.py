"""Each legal document kind, described once as structured content (`content.Document`).

`build(kind, ctx)` completes the context, checks the required fields and returns the Document
that both writers render. The wording follows the statutes cited in LEGAL-RULES.md; the periods
printed are always the statutory ones: reconsideration 六十日 (复议法 第20条) to the county
government (第24条), suit 六个月 (诉讼法 第46条), payment 十五日 and the surcharge of 3 % a day
(处罚法 第67条, 第72条), statement/defence in working days and the hearing request within 五个工作日
(处罚法 第44–45条, 第63–64条, 第85条), reminder 十个工作日 (强制法 第35条, 第54条, 第69条), sealing or
seizure 三十日 (强制法 第24–25条). Pure: no Django import.
"""

from __future__ import annotations

import datetime as dt

from zhifa.documents import kinds
from zhifa.documents.content import (
    Cell,
    DataTable,
    Document,
    FormTable,
    Heading,
    Para,
    Signature,
    SignLines,
    Spacer,
)
from zhifa.documents.context import check, complete, penalty_text
from zhifa.documents.textfmt import as_date, cn_date, cn_number, fine_text, short_date, yuan
from zhifa.rules.periods import (
    HEARING_REQUEST_WORKDAYS,
    LITIGATION_MONTHS,
    PAYMENT_DAYS,
    RECONSIDERATION_DAYS,
    REMINDER_WORKDAYS,
    SEIZURE_DAYS,
    STATEMENT_DAYS_DEFAULT,
    SURCHARGE_PERCENT,
)

BLANK = "__________"
LAWS = {
    "处罚法": "《中华人民共和国行政处罚法》",
    "强制法": "《中华人民共和国行政强制法》",
    "复议法": "《中华人民共和国行政复议法》",
    "诉讼法": "《中华人民共和国行政诉讼法》",
}
CPF, QZF, FYF, SSF = (LAWS[k] for k in ("处罚法", "强制法", "复议法", "诉讼法"))

# The statutory periods, printed in words (tests look for them); defined in zhifa.rules.periods.
SEIZURE_MAX_DAYS = SEIZURE_DAYS  # 强制法 第25条
PAY_DEFAULT = "指定的银行或者通过电子支付系统缴纳"


def v(ctx: dict, key: str, default: str = BLANK) -> str:
    value = ctx.get(key)
    if value in (None, "", []):
        return default
    return str(value)


def you(ctx: dict) -> str:
    """你 for a citizen, 你单位 for an organisation, 你（单位） when unknown."""
    kind = (ctx.get("party") or {}).get("kind")
    return {"individual": "你", "organisation": "你单位"}.get(kind, "你（单位）")


def officer_text(o: dict) -> str:
    cert = o.get("cert_no")
    return f"{o.get('name', '')}（执法证号：{cert}）" if cert else o.get("name", "")


def officers_text(ctx: dict, key: str = "officers") -> str:
    people = ctx.get(key) or []
    return "、".join(officer_text(o) for o in people) or BLANK


def issue_date(ctx: dict, *keys: str) -> str:
    for key in ("issue_date", *keys):
        if ctx.get(key):
            return cn_date(ctx[key])
    return cn_date(None)


def conduct(ctx: dict) -> str:
    """The facts as a predicate after 你/你单位: case summaries often open with 当事人 or the party's name."""
    text = v(ctx, "facts").strip()
    name = (ctx.get("party") or {}).get("name") or ""
    for head in ("当事人", name):
        if head and text.startswith(head):
            return text[len(head) :].lstrip("，,")
    return text


def sentence(text: str) -> str:
    text = (text or "").strip()
    return text if not text or text[-1] in "。；！？」”）)" else text + "。"


def header(kind: str, ctx: dict, title: str | None = None, addressee: bool = True) -> Document:
    name = (ctx.get("party") or {}).get("name", "")
    return Document(
        kind=kind,
        agency=ctx["agency_name"],
        title=title or kinds.get(kind).title,
        doc_no=ctx.get("doc_no") or "",
        addressee=f"{name}：" if addressee and name else "",
    )


def party_block(ctx: dict) -> list:
    p = ctx.get("party") or {}
    org = p.get("kind") == "organisation"
    out = [Para(p.get("name", BLANK), label="当事人：", indent=False)]
    if p.get("id_number"):
        out.append(
            Para(p["id_number"], label="统一社会信用代码：" if org else "公民身份号码：", indent=False)
        )
    if org and p.get("legal_rep"):
        out.append(Para(p["legal_rep"], label="法定代表人（负责人）：", indent=False))
    if p.get("address"):
        out.append(Para(p["address"], label="住所（地址）：", indent=False))
    return out


def evidence_paras(ctx: dict, lead: str = "上述事实，有以下证据证明：") -> list:
    items = ctx.get("evidence") or []
    if not items:
        return []
    out = [Para(lead)]
    for i, e in enumerate(items, 1):
        out.append(Para(f"{i}．{sentence(e).rstrip('。')}；" if i < len(items) else f"{i}．{sentence(e)}"))
    return out


def remedy_para(ctx: dict, what: str = "本决定", doc: str = "本决定书") -> Para:
    """Remedies (处罚法 第59条第1款第5项): 60 days to the county government, 6 months to the court."""
    return Para(
        f"{you(ctx)}如不服{what}，可以依照{FYF}第二十条、第二十四条的规定，自收到{doc}之日起"
        f"{cn_number(RECONSIDERATION_DAYS)}日内向{ctx['reconsideration_body']}申请行政复议；"
        f"也可以依照{SSF}第四十六条的规定，自收到{doc}之日起{cn_number(LITIGATION_MONTHS)}个月内"
        f"直接向{ctx['court']}提起行政诉讼。"
    )


def contact_para(ctx: dict) -> Para | None:
    parts = []
    if ctx.get("agency_contact"):
        parts.append(f"联系人：{ctx['agency_contact']}")
    if ctx.get("agency_phone"):
        parts.append(f"联系电话：{ctx['agency_phone']}")
    if ctx.get("agency_address"):
        parts.append(f"地址：{ctx['agency_address']}")
    return Para("    ".join(parts), indent=True) if parts else None


def signature(ctx: dict, *date_keys: str) -> Signature:
    return Signature(agency=ctx["agency_name"], date=issue_date(ctx, *date_keys))


def _add(doc: Document, *blocks) -> None:
    doc.blocks.extend(b for b in blocks if b is not None)


# --- the kinds ------------------------------------------------------------------------------


def filing_approval(ctx: dict) -> Document:
    doc = header("filing_approval", ctx, addressee=False)
    p = ctx["party"]
    kind = {"individual": "公民", "organisation": "法人或者其他组织"}.get(p.get("kind"), "")
    handlers = "、".join(o.get("name", "") for o in ctx.get("officers") or []) or v(ctx, "handler")
    handler_opinion = ctx.get("handler_opinion") or (
        f"经初步核实，当事人涉嫌{v(ctx, 'item_name', '违法行为').removeprefix('对').removesuffix('的处罚')}，"
        f"有违法事实，属于本机关管辖，依照{CPF}第五十四条第二款的规定，建议立案调查，由{handlers}承办。"
    )
    approver_opinion = ctx.get("approver_opinion") or "同意立案。"
    doc.blocks.append(
        FormTable(
            widths=[2.2, 3.3, 2.2, 3.3],
            rows=[
                [Cell("案由", label=True), Cell(v(ctx, "case_cause"), span=3)],
                [
                    Cell("案件来源", label=True),
                    Cell(v(ctx, "source", "")),
                    Cell("发现（受理）时间", label=True),
                    Cell(short_date(ctx.get("discovered_date"))),
                ],
                [
                    Cell("当事人", label=True),
                    Cell(p.get("name", "")),
                    Cell("当事人类型", label=True),
                    Cell(kind),
                ],
                [
                    Cell("身份证号码或统一社会信用代码", label=True),
                    Cell(p.get("id_number", "")),
                    Cell("联系电话", label=True),
                    Cell(p.get("phone", "")),
                ],
                [Cell("住所（地址）", label=True), Cell(p.get("address", ""), span=3)],
                [Cell("执法事项", label=True), Cell(v(ctx, "item_name", ""), span=3)],
                [Cell("涉嫌违反的规定", label=True), Cell(v(ctx, "violated_provisions", ""), span=3)],
                [Cell("案情简介", label=True), Cell(v(ctx, "facts", ""), span=3, min_lines=5)],
                [
                    Cell("承办人意见", label=True),
                    Cell(
                        f"{handler_opinion}\n承办人（签名）：{handlers}        "
                        f"{short_date(ctx.get('filed_date'))}",
                        span=3,
                        min_lines=4,
                    ),
                ],
                [
                    Cell("负责人审批意见", label=True),
                    Cell(
                        f"{approver_opinion}\n负责人（签名）：{v(ctx, 'decider', '')}        "
                        f"{short_date(ctx.get('filed_date'))}",
                        span=3,
                        min_lines=3,
                    ),
                ],
                [Cell("备注", label=True), Cell(v(ctx, "case_id", ""), span=3)],
            ],
        )
    )
    return doc


def _basis(ctx: dict) -> str:
    """The provisions an inspection or inquiry rests on: the item's, and 处罚法 第55条 (showing the
    certificate, the party's duty to cooperate)."""
    own = ctx.get("legal_basis") or ctx.get("violated_provisions")
    return f"{own}和{CPF}第五十五条" if own else f"{CPF}第五十五条"


def _record_head(ctx: dict, doc: Document, start_label: str) -> None:
    doc.blocks.append(
        Para(
            f"{v(ctx, 'record_start', short_date(ctx.get('inspection_date')))} 至 "
            f"{v(ctx, 'record_end', BLANK)}",
            label=f"{start_label}时间：",
            indent=False,
        )
    )
    doc.blocks.append(
        Para(v(ctx, "place", (ctx["party"].get("address") or BLANK)), label="地点：", indent=False)
    )


def inspection_record(ctx: dict) -> Document:
    doc = header("inspection_record", ctx, addressee=False)
    p = ctx["party"]
    _record_head(ctx, doc, "检查")
    _add(
        doc,
        Para(p.get("name", BLANK), label="被检查人（当事人）：", indent=False),
        Para(p.get("legal_rep", ""), label="法定代表人（负责人）：", indent=False)
        if p.get("kind") == "organisation"
        else None,
        Para(p.get("address", BLANK), label="住所（地址）：", indent=False),
        Para(p.get("phone", BLANK), label="联系电话：", indent=False),
    )
    present = ctx.get("present_person") or {}
    if present:
        extra = "，".join(x for x in (present.get("relation"), present.get("id_number")) if x)
        doc.blocks.append(
            Para(present.get("name", "") + (f"（{extra}）" if extra else ""), label="在场人：", indent=False)
        )
    _add(
        doc,
        Para(officers_text(ctx), label="执法人员：", indent=False),
        Para(v(ctx, "recorder"), label="记录人：", indent=False),
        Para(
            f"执法人员向被检查人出示执法证件，表明身份：我们是{ctx['agency_name']}的执法人员，"
            f"现依据{_basis(ctx)}的规定进行现场检查，请予以配合。你有权进行陈述和申辩；如认为执法人员与本案有直接利害关系，有权申请回避。"
            "你是否申请回避？",
        ),
        Para(v(ctx, "recusal_answer", "不申请。"), label="被检查人：", indent=False),
        Heading("现场检查情况："),
        Para(v(ctx, "findings", v(ctx, "facts"))),
        Spacer(0.5),
        SignLines(
            [
                "被检查人（在场人）意见：以上笔录我已看过，与事实相符。",
                "被检查人（在场人）签名：                    年    月    日",
                "执法人员签名：                              年    月    日",
                "记录人签名：                                年    月    日",
            ]
        ),
    )
    doc.footer = "本笔录经被检查人核对无误后逐页签名（盖章）；拒绝签名的，由执法人员注明情况。"
    return doc


def inquiry_record(ctx: dict) -> Document:
    doc = header("inquiry_record", ctx, addressee=False)
    _record_head(ctx, doc, "询问")
    inquirers = ctx.get("inquirers") or ctx.get("officers") or []
    r = ctx.get("respondent") or {
        "name": ctx["party"].get("legal_rep") or ctx["party"].get("name", ""),
        "phone": ctx["party"].get("phone", ""),
        "address": ctx["party"].get("address", ""),
        "relation": "当事人"
        if ctx["party"].get("kind") != "organisation"
        else "当事人的法定代表人（负责人）",
    }
    _add(
        doc,
        Para(
            "、".join(officer_text(o) for o in inquirers) or BLANK,
            label="询问人：",
            indent=False,
        ),
        Para(v(ctx, "recorder"), label="记录人：", indent=False),
        Para(
            f"{r.get('name', BLANK)}    性别：{r.get('gender') or '____'}    年龄：{r.get('age') or '____'}",
            label="被询问人：",
            indent=False,
        ),
        Para(r.get("id_number") or BLANK, label="身份证号码：", indent=False),
        Para(r.get("work_unit") or BLANK, label="工作单位及职务：", indent=False),
        Para(r.get("address") or BLANK, label="住址：", indent=False),
        Para(r.get("phone") or BLANK, label="联系电话：", indent=False),
        Para(r.get("relation") or BLANK, label="与本案关系：", indent=False),
        Para(
            f"我们是{ctx['agency_name']}的执法人员（出示执法证件），现就{v(ctx, 'case_cause', '有关情况')}"
            f"依据{_basis(ctx)}的规定向你进行调查询问。你应当如实回答询问，协助调查，不得阻挠；你有权进行陈述和申辩；"
            "如认为执法人员与本案有直接利害关系，有权申请回避。你听清楚了吗？是否申请回避？",
            label="问：",
            indent=False,
        ),
        Para(v(ctx, "recusal_answer", "听清楚了，不申请回避。"), label="答：", indent=False),
    )
    for item in ctx.get("qa") or []:
        doc.blocks.append(Para(item.get("q", ""), label="问：", indent=False))
        doc.blocks.append(Para(item.get("a", ""), label="答：", indent=False))
    _add(
        doc,
        Para("以上笔录你看一下，是否与你所说的一致？", label="问：", indent=False),
        Para("以上笔录我已看过，与我说的一致。", label="答：", indent=False),
        Spacer(0.5),
        SignLines(
            [
                "被询问人签名：                              年    月    日",
                "询问人签名：                                年    月    日",
                "记录人签名：                                年    月    日",
            ]
        ),
    )
    doc.footer = "本笔录经被询问人核对无误后逐页签名并按指印；有修改的，由被询问人在修改处按指印。"
    return doc


def rectification_order(ctx: dict) -> Document:
    doc = header("rectification_order", ctx)
    basis = v(ctx, "rectify_basis", v(ctx, "penalty_basis", v(ctx, "violated_provisions")))
    _add(
        doc,
        Para(f"经查，{you(ctx)}{sentence(conduct(ctx))}"),
        Para(f"上述行为违反了{v(ctx, 'violated_provisions')}的规定。"),
        Para(
            f"依据{basis}和{CPF}第二十八条第一款的规定，本机关责令{you(ctx)}于"
            f"{short_date(ctx.get('rectify_deadline'))}前改正上述违法行为"
            + (
                f"，具体要求：{sentence(ctx['rectify_requirements'])}"
                if ctx.get("rectify_requirements")
                else "。"
            )
        ),
        Para(f"{you(ctx)}改正后，请及时告知本机关；本机关将进行复查。逾期不改正的，本机关将依法处理。"),
        remedy_para(ctx, "本通知", "本通知书"),
        contact_para(ctx),
        Spacer(1),
        signature(ctx, "rectify_date"),
    )
    doc.footer = "本通知书一式两份，一份送达当事人，一份归档。"
    return doc


def prior_notice(ctx: dict) -> Document:
    doc = header("prior_notice", ctx)
    days = int(ctx.get("statement_days") or STATEMENT_DAYS_DEFAULT)
    proposed = ctx.get("proposed_penalty") or (
        penalty_text(ctx.get("penalties") or ["fine"], ctx.get("proposed_fine") or ctx.get("fine") or 0)
        if ctx.get("penalties") or ctx.get("proposed_fine") or ctx.get("fine")
        else BLANK
    )
    filed = f"本机关于{short_date(ctx['filed_date'])}立案调查。" if ctx.get("filed_date") else ""
    _add(
        doc,
        Para(f"经查，{you(ctx)}{sentence(conduct(ctx))}{filed}"),
        *evidence_paras(ctx),
        Para(
            f"{you(ctx)}的上述行为违反了{v(ctx, 'violated_provisions')}的规定。依据"
            f"{v(ctx, 'penalty_basis')}的规定，"
            + (sentence(ctx["discretion"]).rstrip("。") + "，" if ctx.get("discretion") else "")
            + f"本机关拟对{you(ctx)}作出如下行政处罚：{sentence(proposed)}"
        ),
        Para(
            f"根据{CPF}第四十四条、第四十五条的规定，{you(ctx)}享有陈述、申辩的权利。"
            f"{you(ctx)}可以自收到本告知书之日起{cn_number(days)}个工作日内向本机关提出陈述、申辩意见；"
            "逾期未提出的，视为放弃陈述、申辩的权利。"
        ),
    )
    if ctx.get("hearing_right"):
        doc.blocks.append(
            Para(
                f"根据{CPF}第六十三条、第六十四条的规定，{you(ctx)}有权要求举行听证。"
                f"如要求听证，应当自收到本告知书之日起{cn_number(HEARING_REQUEST_WORKDAYS)}个工作日内"
                "向本机关提出；逾期未提出的，视为放弃听证的权利。"
            )
        )
    _add(doc, contact_para(ctx), Spacer(1), signature(ctx, "notice_date"))
    doc.footer = "本告知书一式两份，一份送达当事人，一份归档。"
    return doc


def hearing_notice(ctx: dict) -> Document:
    doc = header("hearing_notice", ctx)
    public = "公开" if ctx.get("hearing_public", True) else "不公开"
    requested = (
        f"根据{you(ctx)}于{short_date(ctx['hearing_requested_date'])}提出的听证要求，"
        if ctx.get("hearing_requested_date")
        else f"根据{you(ctx)}提出的听证要求，"
    )
    _add(
        doc,
        Para(
            f"{requested}本机关决定于{v(ctx, 'hearing_at')}在{v(ctx, 'hearing_place')}"
            f"对{v(ctx, 'case_cause', '你（单位）涉嫌违法一案')}{public}举行听证。"
        ),
        Para(
            f"本次听证由{v(ctx, 'hearing_host')}担任主持人，{v(ctx, 'hearing_clerk')}担任书记员。"
            f"根据{CPF}第六十四条的规定，{you(ctx)}认为主持人与本案有直接利害关系的，有权申请回避；"
            "申请回避的，应当在听证开始前提出并说明理由。"
        ),
        Para(
            f"{you(ctx)}可以亲自参加听证，也可以委托一至二人代理。委托代理人参加听证的，"
            "应当在听证开始前向本机关提交由委托人签名或者盖章的授权委托书。"
        ),
        Para(
            f"请{you(ctx)}携带身份证明及有关证据材料按时出席。无正当理由拒不出席听证或者未经许可中途退出听证的，"
            "视为放弃听证权利，本机关终止听证。"
        ),
        contact_para(ctx),
        Spacer(1),
        signature(ctx, "hearing_notice_date"),
    )
    doc.footer = "本通知书应当在举行听证的七日前送达当事人（《中华人民共和国行政处罚法》第六十四条）。"
    return doc


def _procedure_paras(ctx: dict) -> list:
    out = []
    if ctx.get("notice_date"):
        rights = "陈述、申辩和要求听证的权利" if ctx.get("hearing_right") else "陈述、申辩的权利"
        out.append(
            Para(
                f"本机关于{short_date(ctx['notice_date'])}向{you(ctx)}送达了《行政处罚事先告知书》，"
                f"告知拟作出行政处罚的内容及事实、理由、依据，并告知{you(ctx)}依法享有{rights}。"
                + (
                    f"本机关于{short_date(ctx['hearing_date'])}依法举行了听证。"
                    if ctx.get("hearing_date")
                    else ""
                )
                + sentence(v(ctx, "statement_result", ""))
            )
        )
    return out


def on_the_spot_decision(ctx: dict) -> Document:
    """当场行政处罚决定书 (simple procedure): what 处罚法 第52条第2款 requires the form to state, the
    officers' names and certificates, payment on the spot (第68条) or at the bank within 15 days."""
    doc = header("penalty_decision", ctx, title="当场行政处罚决定书", addressee=False)
    fine = ctx.get("fine") or 0
    place = f"在{ctx['place']}" if ctx.get("place") else ""
    _add(
        doc,
        *party_block(ctx),
        Para(
            f"{you(ctx)}于{short_date(ctx.get('decision_date'))}{place}"
            f"{sentence(conduct(ctx)).rstrip('。')}，违反了{v(ctx, 'violated_provisions')}的规定。"
            "以上事实有现场检查笔录、现场照片等证据证明。"
        ),
        Para(
            f"依据{v(ctx, 'penalty_basis')}和{CPF}第五十一条的规定，本机关执法人员当场决定对{you(ctx)}"
            f"作出如下行政处罚："
        ),
        Para(sentence(v(ctx, "penalty_text")), bold=True),
    )
    if fine:
        _add(
            doc,
            Para(
                f"罚款依照{CPF}第六十八条、第六十九条的规定当场收缴的，执法人员应当向{you(ctx)}出具专用票据；"
                f"未当场收缴的，{you(ctx)}应当自收到本决定书之日起{cn_number(PAYMENT_DAYS)}日内，将罚款缴至"
                f"{v(ctx, 'payment_place', PAY_DEFAULT)}。到期不缴纳罚款的，每日按罚款数额的百分之"
                f"{cn_number(SURCHARGE_PERCENT)}加处罚款（{CPF}第七十二条第一款第一项）。"
            ),
        )
    _add(
        doc,
        remedy_para(ctx, "本处罚决定"),
        Para(officers_text(ctx), label="执法人员（签名）：", indent=False),
        Spacer(0.5),
        SignLines(["当事人（签名）：                    年    月    日"]),
        signature(ctx, "decision_date"),
    )
    doc.footer = (
        f"本决定书当场交付当事人（{CPF}第五十二条）；执法人员应当在作出决定之日起七日内报所属行政机关备案。"
    )
    return doc


def penalty_decision(ctx: dict) -> Document:
    if ctx.get("procedure") == "simple":
        return on_the_spot_decision(ctx)
    doc = header("penalty_decision", ctx, addressee=False)
    filed = f"本机关于{short_date(ctx['filed_date'])}立案调查。" if ctx.get("filed_date") else ""
    collective = (
        "经法制审核，" if ctx.get("legal_review_date") and ctx.get("procedure") != "simple" else ""
    ) + ("经本机关负责人集体讨论，" if ctx.get("collective_discussion") else "")
    penalty = v(ctx, "penalty_text")
    _add(
        doc,
        *party_block(ctx),
        Para(f"{v(ctx, 'case_cause', '当事人违法')}一案，{filed}经查明："),
        Para(sentence(v(ctx, "facts"))),
        *evidence_paras(ctx, "以上事实有下列证据证明："),
        *_procedure_paras(ctx),
        Para(
            f"本机关认为，{you(ctx)}的上述行为违反了{v(ctx, 'violated_provisions')}的规定。依据"
            f"{v(ctx, 'penalty_basis')}的规定，"
            + (sentence(ctx["discretion"]).rstrip("。") + "，" if ctx.get("discretion") else "")
            + f"{collective}本机关决定对{you(ctx)}作出如下行政处罚："
        ),
        Para(sentence(penalty), bold=True),
    )
    if "fine" in (ctx.get("penalties") or []) or ctx.get("fine"):
        _add(
            doc,
            Para(
                f"依照{CPF}第六十七条第三款的规定，{you(ctx)}应当自收到本决定书之日起"
                f"{cn_number(PAYMENT_DAYS)}日内，将罚款缴至{v(ctx, 'payment_place', PAY_DEFAULT)}"
                "。到期不缴纳罚款的，本机关依照"
                f"{CPF}第七十二条第一款第一项的规定，每日按罚款数额的百分之{cn_number(SURCHARGE_PERCENT)}"
                "加处罚款，加处罚款的数额不超出罚款的数额。"
            ),
        )
    _add(
        doc,
        remedy_para(ctx, "本处罚决定"),
        Para(
            "行政复议或者行政诉讼期间，本处罚决定不停止执行，法律另有规定的除外。"
            f"{you(ctx)}逾期不申请行政复议、不提起行政诉讼，又不履行本处罚决定的，本机关将依照"
            f"{QZF}第五十三条的规定申请人民法院强制执行。"
        ),
        Spacer(1),
        signature(ctx, "decision_date"),
    )
    doc.footer = "本决定书一式两份，一份送达当事人，一份归档。"
    return doc


def no_penalty_decision(ctx: dict) -> Document:
    doc = header("no_penalty_decision", ctx, addressee=False)
    filed = f"本机关于{short_date(ctx['filed_date'])}立案调查。" if ctx.get("filed_date") else ""
    _add(
        doc,
        *party_block(ctx),
        Para(f"{v(ctx, 'case_cause', '当事人违法')}一案，{filed}经查明："),
        Para(sentence(v(ctx, "facts"))),
        *evidence_paras(ctx, "以上事实有下列证据证明："),
        Para(
            f"本机关认为，{you(ctx)}的上述行为违反了{v(ctx, 'violated_provisions')}的规定，"
            + sentence(v(ctx, "no_penalty_reason", "违法行为轻微并及时改正，没有造成危害后果")).rstrip("。")
            + f"。依据{v(ctx, 'no_penalty_basis', CPF + '第三十三条第一款')}的规定，"
            + f"本机关决定对{you(ctx)}不予行政处罚。"
        ),
        Para(
            sentence(
                v(ctx, "education", f"本机关已对{you(ctx)}进行批评教育，{you(ctx)}应当引以为戒，依法经营")
            )
        ),
        remedy_para(ctx),
        Spacer(1),
        signature(ctx, "decision_date"),
    )
    doc.footer = "本决定书一式两份，一份送达当事人，一份归档。"
    return doc


def service_receipt(ctx: dict) -> Document:
    doc = header("service_receipt", ctx, addressee=False)
    served = ctx.get("served_doc_name") or "行政处罚决定书"
    served_no = ctx.get("served_doc_no") or ctx.get("decision_doc_no") or ""
    servers = ctx.get("servers") or [o.get("name", "") for o in ctx.get("officers") or []]
    doc.blocks.append(
        FormTable(
            widths=[2.4, 3.2, 2.2, 3.2],
            rows=[
                [
                    Cell("送达文书名称及文号", label=True),
                    Cell(f"《{served}》" + (f"（{served_no}）" if served_no else ""), span=3),
                ],
                [
                    Cell("受送达人", label=True),
                    Cell(v(ctx, "recipient", ctx["party"].get("name", "")), span=3),
                ],
                [
                    Cell("送达地点", label=True),
                    Cell(v(ctx, "service_place", ctx["party"].get("address", "")), span=3),
                ],
                [
                    Cell("送达方式", label=True),
                    Cell(v(ctx, "service_method", "")),
                    Cell("送达时间", label=True),
                    Cell(short_date(ctx.get("service_date"))),
                ],
                [
                    Cell("受送达人签名或盖章", label=True),
                    Cell("", min_lines=2),
                    Cell("签收时间", label=True),
                    Cell("    年  月  日"),
                ],
                [Cell("代收人及代收理由", label=True), Cell("", span=3, min_lines=2)],
                [
                    Cell("送达人（签名）", label=True),
                    Cell("、".join(servers)),
                    Cell("见证人（签名）", label=True),
                    Cell(v(ctx, "witness", "")),
                ],
                [Cell("备注", label=True), Cell(v(ctx, "remarks", ""), span=3, min_lines=3)],
            ],
        )
    )
    doc.footer = (
        "注：受送达人拒绝签收的，送达人可以邀请有关基层组织或者所在单位的代表到场，说明情况，在本回证上"
        "记明拒收事由和日期，由送达人、见证人签名或者盖章，把文书留在受送达人的住所，即视为送达"
        "（依照《中华人民共和国民事诉讼法》关于留置送达的规定，《中华人民共和国行政处罚法》第六十一条）。"
    )
    return doc


def seizure_decision(ctx: dict) -> Document:
    measure = "查封" if ctx.get("measure") == "sealing" else "扣押"
    doc = header("seizure_decision", ctx, title=f"{measure}决定书")
    days = min(int(ctx.get("term_days") or SEIZURE_MAX_DAYS), SEIZURE_MAX_DAYS)
    start = as_date(ctx.get("seizure_date"))
    term = f"自{short_date(start)}起{cn_number(days)}日" if start else f"{cn_number(days)}日"
    if start:
        term += f"（至{short_date(start + dt.timedelta(days=days))}）"
    rows = [
        [
            str(i),
            it.get("name", ""),
            it.get("spec", ""),
            it.get("quantity", ""),
            it.get("unit", ""),
            it.get("note", ""),
        ]
        for i, it in enumerate(ctx.get("seized_items") or [], 1)
    ] or [["", "", "", "", "", ""]]
    _add(
        doc,
        Para(
            f"经查，{you(ctx)}{sentence(conduct(ctx)).rstrip('。')}，"
            f"涉嫌违反{v(ctx, 'violated_provisions')}的规定。" + sentence(v(ctx, "seizure_reason", ""))
        ),
        Para(
            f"为{v(ctx, 'seizure_purpose', '制止违法行为、防止证据损毁')}，"
            f"依据{QZF}第九条、第二十二条、第二十三条、"
            f"第二十四条及{v(ctx, 'seizure_basis', v(ctx, 'legal_basis'))}的规定，"
            f"本机关决定对{you(ctx)}的下列场所、设施或者财物"
            f"予以{measure}（详见下列清单）："
        ),
        DataTable(
            headers=["序号", "名称", "规格型号", "数量", "单位", "备注"],
            rows=rows,
            widths=[0.8, 3.2, 2.0, 1.2, 1.0, 2.0],
        ),
        Para(f"{measure}地点（存放地点）：{v(ctx, 'seizure_place', ctx['party'].get('address') or BLANK)}。"),
        Para(
            f"{measure}期限为{term}。情况复杂的，经本机关负责人批准，可以延长，但延长期限不得超过三十日；"
            f"延长{measure}的决定将及时书面告知{you(ctx)}并说明理由。对物品需要进行检测、检验、检疫或者技术鉴定的，"
            f"{measure}的期间不包括检测、检验、检疫或者技术鉴定的期间（{QZF}第二十五条）。"
        ),
        Para(
            f"对{measure}的场所、设施或者财物，本机关将妥善保管，不得使用或者损毁（{QZF}第二十六条）；"
            f"{you(ctx)}不得擅自启封、转移、隐匿、损毁。"
        ),
        remedy_para(ctx),
        Spacer(1),
        signature(ctx, "seizure_date"),
        SignLines(["当事人（签名）：                              年    月    日"]),
    )
    doc.footer = f"本决定书一式两份，一份送达当事人，一份归档；所附{measure}清单经当事人核对签名。"
    return doc


def _structure(ctx: dict) -> str:
    where = f"在{ctx['location']}" if ctx.get("location") else ""
    area = f"（{ctx['area']}）" if ctx.get("area") else ""
    return f"{where}建设的{v(ctx, 'structure', '建筑物、构筑物')}{area}"


def demolition_notice(ctx: dict) -> Document:
    doc = header("demolition_notice", ctx)
    _add(
        doc,
        Para(f"经查，{you(ctx)}{_structure(ctx)}，{sentence(conduct(ctx))}"),
        Para(f"上述行为违反了{v(ctx, 'violated_provisions')}的规定。"),
        Para(
            f"依据{v(ctx, 'demolition_basis', v(ctx, 'penalty_basis'))}的规定，本机关责令{you(ctx)}于"
            f"{short_date(ctx.get('demolition_deadline'))}前自行拆除上述违法建筑物、构筑物、设施，恢复原状。"
        ),
        Para(
            f"逾期不拆除的，本机关将依照{QZF}第四十四条的规定予以公告，限期{you(ctx)}自行拆除；"
            f"{you(ctx)}在法定期限内不申请行政复议或者提起行政诉讼，又不拆除的，本机关将依法强制拆除，"
            "费用由当事人承担。"
        ),
        remedy_para(ctx, "本决定", "本通知书"),
        contact_para(ctx),
        Spacer(1),
        signature(ctx, "decision_date"),
    )
    doc.footer = "本通知书一式两份，一份送达当事人，一份归档。"
    return doc


def demolition_announcement(ctx: dict) -> Document:
    doc = header("demolition_announcement", ctx, addressee=False)
    name = ctx["party"].get("name", BLANK)
    ref = f"（{ctx['decision_doc_no']}）" if ctx.get("decision_doc_no") else ""
    served = f"，并于{short_date(ctx['service_date'])}依法送达" if ctx.get("service_date") else "并依法送达"
    _add(
        doc,
        Para(
            f"{name}{_structure(ctx)}，{sentence(v(ctx, 'facts')).rstrip('。')}，违反了"
            f"{v(ctx, 'violated_provisions')}的规定，属于违法建筑物、构筑物、设施。本机关已于"
            f"{short_date(ctx.get('decision_date'))}作出《限期拆除通知书》{ref}{served}，当事人至今未自行拆除。"
        ),
        Para(
            f"根据{QZF}第四十四条的规定，现予公告：限{name}于{short_date(ctx.get('demolition_deadline'))}前"
            "自行拆除上述违法建筑物、构筑物、设施。当事人在法定期限内不申请行政复议或者提起行政诉讼，"
            "又不拆除的，本机关将依法强制拆除，由此产生的费用由当事人承担。"
        ),
        Para("特此公告。"),
        contact_para(ctx),
        Spacer(1),
        signature(ctx, "announcement_date"),
    )
    doc.footer = "本公告张贴于违法建筑物、构筑物、设施所在地及本机关公告栏。"
    return doc


def reminder(ctx: dict) -> Document:
    doc = header("reminder", ctx)
    title = ctx.get("decision_title") or "行政处罚决定书"
    ref = f"（{ctx['decision_doc_no']}）" if ctx.get("decision_doc_no") else ""
    amount = ctx.get("amount", ctx.get("fine")) or 0
    surcharge = ctx.get("surcharge") or 0
    obligation = ctx.get("obligation") or (
        v(ctx, "penalty_text") if title == "行政处罚决定书" else "自行拆除违法建筑物、构筑物、设施"
    )
    served = f"，并于{short_date(ctx['service_date'])}送达{you(ctx)}" if ctx.get("service_date") else ""
    due = (
        f"缴纳罚款的期限已于{short_date(ctx['payment_due'])}届满，"
        if ctx.get("payment_due") and title == "行政处罚决定书"
        else ""
    )
    surcharge_basis = (
        f"依照{CPF}第七十二条第一款第一项的规定，自{short_date(ctx['payment_due'])}次日起每日按罚款数额的"
        f"百分之{cn_number(SURCHARGE_PERCENT)}加处罚款，至本催告书作出之日共{ctx['overdue_days']}日，"
        f"加处罚款{yuan(surcharge)}（加处罚款的数额不超出罚款的数额）。"
        if surcharge and ctx.get("payment_due") and ctx.get("overdue_days")
        else ""
    )
    _add(
        doc,
        Para(
            f"本机关于{short_date(ctx.get('decision_date'))}对{you(ctx)}作出《{title}》{ref}，"
            f"决定{sentence(obligation).rstrip('。')}{served}。{due}{you(ctx)}在法定期限内未申请行政复议、"
            "未提起行政诉讼，至今未履行上述决定。" + surcharge_basis
        ),
        Para(
            f"根据{QZF}第三十五条、第五十四条的规定，现催告{you(ctx)}自收到本催告书之日起"
            f"{cn_number(REMINDER_WORKDAYS)}个工作日内履行下列义务："
        ),
    )
    n = 1
    if amount:
        total = float(amount) + float(surcharge)
        doc.blocks.append(
            Para(
                f"（{cn_number(n)}）缴纳罚款{yuan(amount)}"
                + (
                    f"、加处罚款{yuan(surcharge)}，合计{fine_text(total)}"
                    if surcharge
                    else f"（{fine_text(amount)}）"
                )
                + f"，缴至{v(ctx, 'payment_place', PAY_DEFAULT)}。"
            )
        )
        n += 1
    else:
        doc.blocks.append(Para(f"（{cn_number(n)}）{sentence(obligation)}"))
        n += 1
    doc.blocks.append(
        Para(f"（{cn_number(n)}）履行方式：{sentence(v(ctx, 'performance_method', '由当事人自行履行'))}")
    )
    _add(
        doc,
        Para(
            f"根据{QZF}第三十六条的规定，{you(ctx)}收到本催告书后有权进行陈述和申辩，可以自收到本催告书之日起"
            f"{cn_number(REMINDER_WORKDAYS)}个工作日内向本机关提出。"
        ),
        Para(
            f"{you(ctx)}逾期仍不履行的，本机关将依照{QZF}第五十三条、第五十四条的规定申请"
            f"{v(ctx, 'court', '人民法院')}强制执行。"
        ),
        contact_para(ctx),
        Spacer(1),
        signature(ctx, "reminder_date"),
    )
    doc.footer = "本催告书一式两份，一份送达当事人，一份归档。"
    return doc


def closing_report(ctx: dict) -> Document:
    doc = header("closing_report", ctx, addressee=False)
    p = ctx["party"]
    outcome = ctx.get("outcome") or (
        (
            f"本机关于{short_date(ctx.get('decision_date'))}作出"
            + (
                f"《行政处罚决定书》（{ctx['decision_doc_no']}）"
                if ctx.get("decision_doc_no")
                else "处理决定"
            )
            + (f"，给予{ctx['penalty_text']}。" if ctx.get("penalty_text") else "。")
        )
        if ctx.get("decision_date")
        else ""
    )
    execution = ctx.get("execution") or (
        f"当事人已于{short_date(ctx['paid_date'])}缴纳罚款{yuan(ctx.get('paid_amount') or 0)}"
        + (f"及加处罚款{yuan(ctx['paid_surcharge'])}" if ctx.get("paid_surcharge") else "")
        + "。"
        if ctx.get("paid_date")
        else ""
    )
    reason = ctx.get("closing_reason") or (
        "行政处罚决定已执行完毕，建议结案。" if ctx.get("paid_date") else ""
    )
    handlers = "、".join(o.get("name", "") for o in ctx.get("officers") or []) or v(ctx, "handler", "")
    doc.blocks.append(
        FormTable(
            widths=[2.2, 3.3, 2.2, 3.3],
            rows=[
                [Cell("案由", label=True), Cell(v(ctx, "case_cause", ""), span=3)],
                [
                    Cell("当事人", label=True),
                    Cell(p.get("name", "")),
                    Cell("案件编号", label=True),
                    Cell(v(ctx, "case_id", "")),
                ],
                [
                    Cell("立案日期", label=True),
                    Cell(short_date(ctx.get("filed_date"))),
                    Cell("结案日期", label=True),
                    Cell(short_date(ctx.get("closing_date"))),
                ],
                [Cell("案情摘要", label=True), Cell(v(ctx, "facts", ""), span=3, min_lines=3)],
                [Cell("处理依据", label=True), Cell(v(ctx, "penalty_basis", ""), span=3)],
                [Cell("处理结果", label=True), Cell(outcome, span=3, min_lines=3)],
                [Cell("执行情况", label=True), Cell(execution, span=3, min_lines=2)],
                [Cell("结案理由", label=True), Cell(reason, span=3, min_lines=2)],
                [
                    Cell("承办人意见", label=True),
                    Cell(
                        f"{ctx.get('handler_opinion') or '建议结案。'}\n承办人（签名）：{handlers}        "
                        f"{short_date(ctx.get('closing_date'))}",
                        span=3,
                        min_lines=3,
                    ),
                ],
                [
                    Cell("负责人审批意见", label=True),
                    Cell(
                        f"{ctx.get('approver_opinion') or '同意结案。'}\n"
                        f"负责人（签名）：{v(ctx, 'decider', '')}"
                        f"        {short_date(ctx.get('closing_date'))}",
                        span=3,
                        min_lines=3,
                    ),
                ],
            ],
        )
    )
    return doc


BUILDERS = {
    "filing_approval": filing_approval,
    "inspection_record": inspection_record,
    "inquiry_record": inquiry_record,
    "rectification_order": rectification_order,
    "prior_notice": prior_notice,
    "hearing_notice": hearing_notice,
    "penalty_decision": penalty_decision,
    "no_penalty_decision": no_penalty_decision,
    "service_receipt": service_receipt,
    "seizure_decision": seizure_decision,
    "demolition_notice": demolition_notice,
    "demolition_announcement": demolition_announcement,
    "reminder": reminder,
    "closing_report": closing_report,
}
assert set(BUILDERS) == set(kinds.BY_CODE)


def build(kind: str, ctx: dict) -> Document:
    """The structured content of document `kind` for context `ctx` (raises ContextError if incomplete)."""
    kinds.get(kind)
    full = complete(ctx)
    check(kind, full)
    return BUILDERS[kind](full)
