"""The plain-data context of a legal document, and how to build it from a case file.

A context is a dict. `CommonContext` holds what every document of a case shares (agency, party,
officers, facts...); each kind adds its own fields (`FilingApprovalContext`...). One context
built for a case can render every kind: a layout reads only the keys it needs, and prints a blank
line (to fill in by hand in Word/WPS) for an optional key that is missing.
`context_from_casefile(case, extra)` fills what it can from a case in the exchange format
`zhifa.casefile/1` (shared/benchmark/casefiles/FORMAT.md); `extra` adds or overrides the rest.

Dates may be `datetime.date` or "YYYY-MM-DD" strings; amounts are numbers in yuan.
No Django import: this module is pure.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import TypedDict

from zhifa.documents import kinds
from zhifa.rules.casefile import PENALTY_NAMES_ZH


class Party(TypedDict, total=False):
    kind: str  # 当事人类型："individual"（公民，含个体工商户）或 "organisation"（法人或者其他组织）
    name: str  # 姓名或名称（必填）
    address: str  # 住所、地址
    id_number: str  # 公民身份号码或统一社会信用代码
    phone: str  # 联系电话
    legal_rep: str  # 法定代表人（负责人），单位当事人
    gender: str  # 性别，公民
    age: str  # 年龄，公民
    work_unit: str  # 工作单位，公民


class Officer(TypedDict, total=False):
    id: str  # 人员编号（交换格式中的 officer id）
    name: str  # 姓名
    cert_no: str | None  # 执法证号


class QA(TypedDict):
    q: str  # 问
    a: str  # 答


class SeizedItem(TypedDict, total=False):
    name: str  # 物品（场所、设施）名称
    spec: str  # 规格型号
    quantity: str  # 数量
    unit: str  # 单位
    note: str  # 备注（成色、状态）


class Person(TypedDict, total=False):
    name: str  # 姓名
    gender: str  # 性别
    age: str  # 年龄
    id_number: str  # 身份证号码
    phone: str  # 联系电话
    address: str  # 住址
    work_unit: str  # 工作单位及职务
    relation: str  # 与本案关系（当事人、法定代表人、证人、在场人…）


class CommonContext(TypedDict, total=False):
    agency_name: str  # 执法机关名称（文书抬头、落款），如“城关街道办事处”“柳泉镇人民政府”
    township_name: str  # 乡镇（街道）名称，如“城关街道”
    township_kind: str  # 乡镇类型：“街道”“镇”“乡”
    county_name: str  # 所属县（区）名称，如“测试县”：推定行政复议机关、管辖法院
    reconsideration_body: str  # 行政复议机关，缺省为“{county_name}人民政府”（《行政复议法》第二十四条）
    court: str  # 管辖人民法院，缺省为“{county_name}人民法院”
    agency_address: str  # 执法机关地址
    agency_phone: str  # 执法机关联系电话
    agency_contact: str  # 联系人
    payment_place: str  # 罚款缴纳银行或方式，如“××银行××支行（代收罚款）或通过非税收入缴款平台”
    doc_no: str  # 本文书文号（generate() 分配；render() 中缺省留空）
    issue_date: dt.date | str  # 文书落款日期（缺省取与文书种类对应的案件事件日期）
    case_id: str  # 案件编号
    case_cause: str  # 案由，如“中泰置业有限公司未采取扬尘污染防治措施案”
    item_code: str  # 执法事项编码
    item_name: str  # 执法事项名称
    procedure: str  # 程序：simple/general/coercive/inspection
    party: Party  # 当事人
    officers: list[Officer]  # 执法人员（现场执法、调查取证人员，至少两名）
    handler: str  # 承办人姓名
    legal_reviewer: str  # 法制审核人员姓名
    decider: str  # 负责人姓名
    facts: str  # 违法事实（经查明的事实），一段或多段文字
    evidence: list[str]  # 证据清单，每项一句
    legal_basis: str  # 执法事项清单的法律依据；缺省作 violated_provisions 和 penalty_basis
    violation: str  # 执法事项清单对违法行为的描述；缺省作 facts
    violated_provisions: str  # 所违反的法律条款，如“《中华人民共和国大气污染防治法》第六十九条第三款”
    penalty_basis: str  # 处罚（处理）依据，如“《中华人民共和国大气污染防治法》第一百一十五条第一款第一项”
    discretion: str  # 裁量理由（情节、裁量基准档次）
    penalties: list[str]  # 处罚种类代码（交换格式 decision.penalties）
    fine: float  # 罚款金额（元）
    penalty_text: str  # 处罚内容文字；缺省由 penalties 和 fine 生成
    summary: str  # 案情摘要
    # Case events used by several documents
    source: str  # 案件来源（网格员上报、巡查发现、群众举报…）
    discovered_date: dt.date | str  # 发现（受理）日期
    filed_date: dt.date | str  # 立案日期
    inspection_date: dt.date | str  # 现场检查（调查）日期
    notice_date: dt.date | str  # 事先告知书送达日期
    decision_date: dt.date | str  # 决定日期
    decision_doc_no: str  # 处罚（处理）决定书文号
    service_date: dt.date | str  # 决定书送达日期
    closing_date: dt.date | str  # 结案日期


class FilingApprovalContext(CommonContext, total=False):
    """立案审批表"""

    handler_opinion: str  # 承办人意见（缺省：建议立案调查）
    approver_opinion: str  # 负责人审批意见（缺省：同意立案）


class InspectionRecordContext(CommonContext, total=False):
    """现场检查笔录"""

    record_start: str  # 检查开始时间，如“2026年5月21日9时10分”
    record_end: str  # 检查结束时间
    place: str  # 检查地点
    present_person: Person  # 在场人（当事人或其代理人、见证人）
    findings: str  # 现场检查情况
    recorder: str  # 记录人


class InquiryRecordContext(CommonContext, total=False):
    """询问笔录"""

    record_start: str  # 询问开始时间
    record_end: str  # 询问结束时间
    place: str  # 询问地点
    respondent: Person  # 被询问人
    inquirers: list[Officer]  # 询问人（缺省为 officers）
    recorder: str  # 记录人
    qa: list[QA]  # 问答


class RectificationOrderContext(CommonContext, total=False):
    """责令改正通知书"""

    rectify_basis: str  # 责令改正的依据（缺省为 penalty_basis 或 violated_provisions）
    rectify_deadline: dt.date | str  # 改正期限
    rectify_requirements: str  # 改正要求（如“拆除占道设施，恢复道路原状”）
    rectify_date: dt.date | str  # 发出日期


class PriorNoticeContext(CommonContext, total=False):
    """行政处罚事先告知书"""

    proposed_fine: float  # 拟罚款金额（元），缺省为 fine
    proposed_penalty: str  # 拟处罚内容文字，缺省由 penalties 和 proposed_fine 生成
    statement_days: int  # 陈述申辩期限（工作日），缺省5
    hearing_right: bool  # 是否告知听证权利（较大数额罚款等，《行政处罚法》第六十三条）


class HearingNoticeContext(CommonContext, total=False):
    """听证通知书"""

    hearing_requested_date: dt.date | str  # 当事人要求听证的日期
    hearing_at: str  # 听证时间，如“2026年6月23日上午9时”
    hearing_place: str  # 听证地点
    hearing_host: str  # 听证主持人
    hearing_clerk: str  # 书记员
    hearing_public: bool  # 是否公开举行（缺省公开）
    hearing_notice_date: dt.date | str  # 通知书落款日期


class PenaltyDecisionContext(CommonContext, total=False):
    """行政处罚决定书；不予行政处罚决定书另用 no_penalty_basis、education"""

    statement_result: str  # 陈述、申辩（听证）情况及采纳意见
    hearing_right: bool  # 事先告知时是否告知了听证权利
    hearing_date: dt.date | str  # 听证日期（举行了听证时）
    collective_discussion: bool  # 是否经负责人集体讨论
    legal_review_date: dt.date | str  # 法制审核通过日期（重大执法决定，《行政处罚法》第五十八条）
    no_penalty_basis: str  # 不予处罚依据，如“《中华人民共和国行政处罚法》第三十三条第一款”
    no_penalty_reason: str  # 不予处罚理由
    education: str  # 对当事人的批评教育内容


class ServiceReceiptContext(CommonContext, total=False):
    """送达回证"""

    served_doc_name: str  # 送达文书名称，如“行政处罚决定书”
    served_doc_no: str  # 送达文书文号
    recipient: str  # 受送达人（缺省为当事人）
    service_place: str  # 送达地点（缺省为当事人地址）
    service_method: str  # 送达方式：直接送达、留置送达、邮寄送达…
    servers: list[str]  # 送达人
    witness: str  # 见证人
    remarks: str  # 备注


class SeizureDecisionContext(CommonContext, total=False):
    """查封（扣押）决定书"""

    measure: str  # "sealing"（查封）或 "seizure"（扣押）
    seizure_reason: str  # 查封扣押的理由
    seizure_basis: str  # 查封扣押的法律依据（单行法条款）
    seized_items: list[SeizedItem]  # 查封扣押清单
    seizure_place: str  # 查封地点或扣押财物存放地点
    seizure_date: dt.date | str  # 实施日期（期限起算日）
    term_days: int  # 期限（日），不超过三十日（《行政强制法》第二十五条）


class DemolitionContext(CommonContext, total=False):
    """限期拆除通知书、限期拆除公告"""

    structure: str  # 违法建筑物、构筑物、设施的描述
    location: str  # 坐落位置
    area: str  # 面积，如“约120平方米”
    demolition_basis: str  # 责令限期拆除的依据，如“《中华人民共和国城乡规划法》第六十五条”
    demolition_deadline: dt.date | str  # 自行拆除期限
    announcement_date: dt.date | str  # 公告日期


class ReminderContext(CommonContext, total=False):
    """催告书"""

    decision_title: str  # 所催告履行的决定书名称（缺省“行政处罚决定书”）
    obligation: str  # 应履行的义务
    amount: float  # 应缴罚款（元）
    surcharge: float  # 加处罚款（元）
    performance_method: str  # 履行方式
    reminder_date: dt.date | str  # 催告书落款日期


class ClosingReportContext(CommonContext, total=False):
    """结案报告"""

    outcome: str  # 处理结果（缺省由决定书文号和处罚内容生成）
    execution: str  # 执行情况（缺省由缴款记录生成）
    closing_reason: str  # 结案理由
    handler_opinion: str  # 承办人意见
    approver_opinion: str  # 负责人审批意见


CONTEXT_TYPES: dict[str, type] = {
    "filing_approval": FilingApprovalContext,
    "inspection_record": InspectionRecordContext,
    "inquiry_record": InquiryRecordContext,
    "rectification_order": RectificationOrderContext,
    "prior_notice": PriorNoticeContext,
    "hearing_notice": HearingNoticeContext,
    "penalty_decision": PenaltyDecisionContext,
    "no_penalty_decision": PenaltyDecisionContext,
    "service_receipt": ServiceReceiptContext,
    "seizure_decision": SeizureDecisionContext,
    "demolition_notice": DemolitionContext,
    "demolition_announcement": DemolitionContext,
    "reminder": ReminderContext,
    "closing_report": ClosingReportContext,
}
assert set(CONTEXT_TYPES) == set(kinds.BY_CODE)

PENALTY_LABELS = PENALTY_NAMES_ZH

SERVICE_METHODS = {
    "in_person": "直接送达",
    "left_at_residence": "留置送达",
    "mail": "邮寄送达",
    "electronic": "电子送达",
    "public_notice": "公告送达",
    "entrusted": "委托送达",
}

# Fields every kind needs, with the Chinese name used in error messages.
FIELD_LABELS = {
    "agency_name": "执法机关名称",
    "party.name": "当事人姓名或名称",
    "reconsideration_body": "行政复议机关（或县区名称 county_name）",
    "court": "管辖人民法院（或县区名称 county_name）",
}
_WITH_REMEDIES = {
    "rectification_order",
    "penalty_decision",
    "no_penalty_decision",
    "seizure_decision",
    "demolition_notice",
}
REQUIRED: dict[str, tuple[str, ...]] = {
    code: ("agency_name", "party.name")
    + (("reconsideration_body", "court") if code in _WITH_REMEDIES else ())
    for code in kinds.BY_CODE
}


class ContextError(ValueError):
    """The context lacks what the document needs; the message is Chinese and names the fields."""


def complete(ctx: dict) -> dict:
    """A copy of `ctx` with the derivable defaults filled in (agency name, remedy bodies, cause)."""
    out = dict(ctx)
    out["party"] = dict(ctx.get("party") or {})
    township = out.get("township_name") or ""
    if not out.get("agency_name") and township:
        kind = out.get("township_kind") or ("街道" if township.endswith("街道") else "镇")
        out["agency_name"] = township + ("办事处" if kind == "街道" else "人民政府")
    # The catalogue gives one article for an item (it both forbids and sanctions the conduct); it
    # stands for either provision the staff did not write out themselves.
    for key in ("violated_provisions", "penalty_basis"):
        if not out.get(key) and out.get("legal_basis"):
            out[key] = out["legal_basis"]
    if not out.get("facts") and out.get("violation"):
        out["facts"] = out["violation"]
    county = out.get("county_name") or ""
    if county:
        # 复议法 第24条第1款: the county government reviews a township's decisions and those of a
        # 街道办事处 (its 派出机关); the basic court of the county hears the suit.
        out.setdefault("reconsideration_body", f"{county}人民政府")
        out.setdefault("court", f"{county}人民法院")
    if not out.get("case_cause") and out["party"].get("name") and out.get("item_name"):
        out["case_cause"] = out["party"]["name"] + _conduct(out["item_name"]) + "案"
    if not out.get("penalty_text") and out.get("penalties"):
        out["penalty_text"] = penalty_text(out.get("penalties") or [], out.get("fine") or 0)
    return out


def check(kind: str, ctx: dict) -> None:
    """Raise ContextError naming every required field that is missing for `kind`."""
    kinds.get(kind)
    missing = []
    for key in REQUIRED[kind]:
        if "." in key:
            head, tail = key.split(".", 1)
            value = (ctx.get(head) or {}).get(tail)
        else:
            value = ctx.get(key)
        if value in (None, ""):
            missing.append(f"{FIELD_LABELS[key]}（{key}）")
    if missing:
        raise ContextError(f"生成《{kinds.get(kind).title}》缺少必填内容：" + "、".join(missing))


def _conduct(item_name: str) -> str:
    """对擅自占用城市道路的处罚 -> 擅自占用城市道路 (the conduct, for the 案由)."""
    s = item_name.strip()
    if s.startswith("对"):
        s = s[1:]
    for tail in ("进行处罚", "的处罚", "的检查", "的行政强制"):
        if s.endswith(tail):
            s = s[: -len(tail)]
            break
    # The item names its subject (建筑施工企业未采取…); the 案由 puts the party in its place.
    return _SUBJECT.sub("", s, count=1)


_SUBJECT = re.compile(
    r"^[^，。；]*?(?:企业|单位|经营者|业主|村民|摊贩|提供者|商铺)(?=未|违规|擅自|不|超|拒|违反)"
)


def penalty_text(penalties: list[str], fine) -> str:
    from zhifa.documents.textfmt import fine_text

    parts = []
    for p in penalties:
        label = PENALTY_LABELS.get(p, p)
        parts.append(f"罚款{fine_text(fine)}" if p == "fine" else label)
    return "；".join(parts)


CIRCUMSTANCES = {"minor": "轻微", "general": "一般", "serious": "较重", "severe": "严重"}


def discretion_text(decision: dict) -> str:
    """The discretion reasoning from the tier found and the published benchmark range (处罚法 第34条)."""
    from zhifa.documents.textfmt import yuan

    tier = CIRCUMSTANCES.get(decision.get("circumstance") or "")
    if not tier:
        return ""
    text = f"当事人的违法行为属于{tier}情节"
    bench = decision.get("benchmark") or {}
    if bench.get("min") is not None and bench.get("max") is not None:
        text += f"，依照本县公布的行政处罚裁量基准，应处{yuan(bench['min'])}以上{yuan(bench['max'])}以下罚款"
    if decision.get("deviation_reason"):
        text += f"；{decision['deviation_reason'].rstrip('。')}"
    return text


def context_from_casefile(case: dict, extra: dict | None = None, cal=None) -> dict:
    """Build a context from a case dict in the exchange format, then apply `extra` on top.

    `extra` supplies what the exchange format does not hold: agency_name or township_name and
    township_kind, county_name, addresses, facts, evidence, legal provisions, the inventory of
    seized goods, Q&A of an inquiry, etc. A key of `extra` replaces the derived value, except
    `party`, which is merged field by field. With a working-day calendar `cal` (zhifa.rules.workdays),
    the payment due date of a fine and the surcharge accrued by the reminder are computed too.
    """
    # The steps fill one dict in a fixed order; the order of its keys is part of the output.
    extra = dict(extra or {})
    ctx = _case_fields(case)
    officers = {o["id"]: o for o in case.get("officers") or []}
    _role_fields(ctx, case.get("roles") or {}, officers)
    field_actors: list[str] = []
    for ev in case.get("events") or []:
        _event_fields(ctx, ev)
        if not field_actors and ev.get("type") in _FIELD_EVENTS:
            field_actors = [a for a in ev.get("actors") or [] if a in officers]
    ctx["officers"] = _document_officers(field_actors, officers)
    remedy = _decision_fields(ctx, case.get("decision"))
    if cal is not None:
        _payment(ctx, cal)
    return _with_extra(ctx, extra, remedy)


def _case_fields(case: dict) -> dict:
    """The case's own identity: id, item, procedure, summary (also the default facts), party."""
    ctx: dict = {
        "case_id": case.get("case_id", ""),
        "item_code": case.get("item", ""),
        "item_name": case.get("item_name") or "",
        "procedure": case.get("procedure", ""),
    }
    if case.get("summary"):
        ctx["summary"] = case["summary"]
        ctx["facts"] = case["summary"]
    # Empty party fields are dropped so that `extra` or a blank line fills them, not "None".
    ctx["party"] = {k: v for k, v in (case.get("party") or {}).items() if v not in (None, "")}
    return ctx


def _role_fields(ctx: dict, roles: dict, officers: dict[str, dict]) -> None:
    """The names of the handler, legal reviewer and decider, where the file names known officers."""
    for role in ("handler", "legal_reviewer", "decider"):
        if roles.get(role) in officers:
            ctx[role] = officers[roles[role]]["name"]


# Events on site: their actors are the officers the field records (inspection, seizure) name.
_FIELD_EVENTS = ("investigated", "inspected", "seizure_started")


def _event_fields(ctx: dict, ev: dict) -> None:
    """The dates and details one event gives the documents; a later event of a type overrides an
    earlier one, except the inspection date, which is the first investigation or inspection."""
    t, d = ev.get("type"), ev.get("date")
    if t == "discovered":
        ctx["discovered_date"] = d
        if ev.get("source"):
            ctx["source"] = ev["source"]
    elif t == "filed":
        ctx["filed_date"] = d
    elif t in ("investigated", "inspected"):
        ctx.setdefault("inspection_date", d)
    elif t == "rectification_ordered":
        ctx["rectify_date"] = d
        ctx["rectify_deadline"] = ev.get("deadline")
    elif t == "notice_served":
        ctx["notice_date"] = d
        for key in ("proposed_fine", "statement_days", "hearing_right"):
            if ev.get(key) is not None:
                ctx[key] = ev[key]
    elif t == "hearing_requested":
        ctx["hearing_requested_date"] = d
    elif t == "hearing_held":
        ctx["hearing_date"] = d
    elif t == "legal_review" and ev.get("passed"):
        ctx["legal_review_date"] = d
    elif t == "collective_discussion":
        ctx["collective_discussion"] = True
    elif t == "decided":
        ctx["decision_date"] = d
    elif t == "served":
        ctx["service_date"] = d
        ctx["service_method"] = SERVICE_METHODS.get(ev.get("method"), ev.get("method") or "")
    elif t == "seizure_started":
        ctx["seizure_date"] = d
        ctx["measure"] = ev.get("measure") or "seizure"
        if ev.get("term_days"):
            ctx["term_days"] = ev["term_days"]
        if ev.get("items"):
            ctx["seized_items"] = [{"name": ev["items"]}]
    elif t == "demolition_notice":
        ctx["announcement_date"] = d
        if ev.get("deadline"):
            ctx["demolition_deadline"] = ev["deadline"]
    elif t == "reminder_served":
        ctx["reminder_date"] = d
    elif t == "paid":
        ctx["paid_date"] = d
        ctx["paid_amount"] = ev.get("amount")
        ctx["paid_surcharge"] = ev.get("surcharge") or 0
    elif t == "closed":
        ctx["closing_date"] = d


def _officer(o: dict) -> Officer:
    return {"id": o["id"], "name": o["name"], "cert_no": o.get("cert_no")}


def _document_officers(field_actors: list[str], officers: dict[str, dict]) -> list[Officer]:
    """The officers a record names: those who acted on site, else the first two with a
    certificate (处罚法 第42条: at least two certified officers)."""
    if field_actors:
        return [_officer(officers[i]) for i in field_actors]
    return [_officer(officers[i]) for i in officers if officers[i].get("cert_no")][:2]


def _decision_fields(ctx: dict, decision: dict | None) -> dict:
    """The decision's kind, number, penalties and reasoning; returns its remedy notice (or {}),
    whose bodies `_with_extra` uses as a last resort."""
    if decision:
        ctx["decision_kind"] = decision.get("kind")
        if decision.get("doc_no"):
            ctx["decision_doc_no"] = decision["doc_no"]
        ctx["penalties"] = list(decision.get("penalties") or [])
        ctx["fine"] = decision.get("fine") or 0
        if decision.get("kind") == "demolition_order":
            ctx["decision_title"] = "限期拆除通知书"
        remedy = decision.get("remedy_notice") or {}
        if ctx["penalties"]:
            ctx["penalty_text"] = penalty_text(ctx["penalties"], ctx["fine"])
        if discretion_text(decision):
            ctx["discretion"] = discretion_text(decision)
        if decision.get("kind") == "no_penalty" and decision.get("first_violation"):
            ctx["no_penalty_reason"] = "当事人初次违法且危害后果轻微并及时改正"
            ctx["no_penalty_basis"] = "《中华人民共和国行政处罚法》第三十三条第一款"
    else:
        remedy = {}
    # The prior notice states the fine proposed; without one in the file, the decided fine stands.
    if ctx.get("fine") and not ctx.get("proposed_fine"):
        ctx["proposed_fine"] = ctx["fine"]
    return remedy


def _with_extra(ctx: dict, extra: dict, remedy: dict) -> dict:
    """`extra` over the derived context (`party` merged field by field), then the defaults."""
    party_extra = extra.pop("party", None) or {}
    ctx.update(extra)
    ctx["party"] = {**ctx["party"], **party_extra}
    out = complete(ctx)
    # The bodies named in the case file serve only when neither `extra` nor the county name gives
    # them; the periods are always the statutory ones (60 days, 6 months), whatever the file says.
    for key in ("reconsideration_body", "court"):
        if not out.get(key) and remedy.get(key):
            out[key] = remedy[key]
    return out


def _payment(ctx: dict, cal) -> None:
    """payment_due (served + 15 days, rolled forward) and, for a reminder, the surcharge of 3 % a
    day accrued by then, capped at the fine (处罚法 第67条第3款, 第72条第1款第1项)."""
    from zhifa.documents.textfmt import as_date
    from zhifa.rules.deadlines import allowed_surcharge, payment_due
    from zhifa.rules.workdays import CalendarGapError

    served = as_date(ctx.get("service_date"))
    if not served or not ctx.get("fine"):
        return
    try:
        due = payment_due(served, cal)
    except CalendarGapError:
        return  # the document leaves the date to fill in rather than guess it
    ctx["payment_due"] = due.isoformat()
    reminded = as_date(ctx.get("reminder_date"))
    if reminded and reminded > due:
        overdue, amount = allowed_surcharge(ctx["fine"], due, reminded)
        ctx["overdue_days"] = overdue
        ctx["surcharge"] = float(amount)
