"""The live gate's further rules (docs/case-gate.md): unlawful steps that LEGAL-RULES.md §5 does
not name (or names only as part of a broader finding). They are registered in `GATE_RULES`, run
by the review like every other rule, and refused by `check_step` before a step is stored.

Some read facts that the exchange format does not carry; the caller passes them as `context`
(`CaseView.ctx`), and without them the rule stays silent:

- ``has_benchmark`` (bool): the item has a published discretion benchmark with fines;
- ``statutory_fine`` (``{"min": …, "max": …}``): the fine range of the item's legal basis;
- ``leaders`` (collection of officer ids): the people named in the file who may decide
  (负责人), for collective discussions.

A rule with ``covered_by`` reports a fault that the named broader rule already reports in the
review (for example an invalid seizure extension is part of COE-SEIZURE-30D); the review then
shows only the broader finding, while the live gate refuses the step citing this rule.
"""

from __future__ import annotations

import datetime as dt

from zhifa.rules import deadlines as dl
from zhifa.rules import periods as P
from zhifa.rules import procedure
from zhifa.rules.casefile import parse_date
from zhifa.rules.holdings import ENTRUSTED
from zhifa.rules.review._base import DEFECT, CaseView, money, rule, yuan

MEASURE_ZH = {"seizure": "扣押", "sealing": "查封"}
# The statement period a notice may give, in working days (choice, docs/case-gate.md).
STATEMENT_DAYS_MIN, STATEMENT_DAYS_MAX = P.STATEMENT_DAYS_MIN, P.STATEMENT_DAYS_MAX


def _pos(v: CaseView) -> dict[int, int]:
    return {id(e): i for i, (_t, _d, e) in enumerate(v.events)}


def _date_or_none(x) -> dt.date | None:
    try:
        return parse_date(x) if x else None
    except (TypeError, ValueError):
        return None


@rule("COE-EXTENSION-INVALID", DEFECT, "查封、扣押延长无效", gate=True, covered_by=("COE-SEIZURE-30D",))
def coe_extension_invalid(v: CaseView) -> str | None:
    """强制法 第25条: an extension is decided before the 30 days run out, approved by the head,
    for at most 30 days; after the term the only lawful step is to lift the measure."""
    started, ext = v.first("seizure_started"), v.first("seizure_extended")
    if started is None or ext is None:
        return None
    start, (ed, e) = started[0], ext
    what = MEASURE_ZH.get(started[1].get("measure"), "查封、扣押")
    end = dl.seizure_allowed_end(start)
    days = e.get("days")
    if ed > end:
        return (
            f"依据《中华人民共和国行政强制法》第二十五条，查封、扣押期限届满后不得延长，应当解除：{what}自{start}起，"
            f"三十日期限至{end}届满，{ed}才决定延长，延长无效。"
        )
    if not e.get("approved_by"):
        return (
            f"{what}期限的延长未经行政机关负责人批准，延长无效，"
            "违反《中华人民共和国行政强制法》第二十五条第一款。"
        )
    if not isinstance(days, int) or isinstance(days, bool) or days < 1 or days > P.SEIZURE_EXTENSION_MAX_DAYS:
        return (
            f"{what}期限延长{days}日，延长期限应为一至三十日，"
            "违反《中华人民共和国行政强制法》第二十五条第一款。"
        )
    return None


@rule("COE-ENTRUSTED-MEASURE", DEFECT, "受委托实施行政强制措施", gate=True)
def coe_entrusted_measure(v: CaseView) -> str | None:
    """强制法 第17条第1款: the power to impose coercive measures cannot be entrusted."""
    started = v.first("seizure_started")
    auth = v.case.get("authority") or {}
    if started is None or auth.get("source") != ENTRUSTED:
        return None
    what = MEASURE_ZH.get(started[1].get("measure"), "查封、扣押")
    return (
        f"本案执法事项系受委托实施，{started[0]}实施{what}；行政强制措施权不得委托，"
        "违反《中华人民共和国行政强制法》第十七条第一款。"
    )


@rule("COE-NOTICE-DEADLINE", DEFECT, "强制拆除公告期限不当", gate=True)
def coe_notice_deadline(v: CaseView) -> str | None:
    """强制法 第44条: the notice gives the party a time limit, after its own date, to demolish."""
    for nd, e in v.every("demolition_notice"):
        deadline = _date_or_none(e.get("deadline"))
        if deadline is not None and deadline <= nd:
            return (
                f"强制拆除公告于{nd}发布，限期自行拆除的期限{deadline}不晚于公告日期，未给予当事人自行拆除的期限，"
                "违反《中华人民共和国行政强制法》第四十四条。"
            )
    return None


@rule("COE-REMINDER-EARLY", DEFECT, "履行期限届满前催告", gate=True)
def coe_reminder_early(v: CaseView) -> str | None:
    """强制法 第54条; 处罚法 第67条第3款: a reminder only once the party failed to comply in time —
    after the decision was served and, for a fine, after the 15-day payment period."""
    for rd, _e in v.every("reminder_served"):
        if v.served_date is None or v.served_date > rd:
            return (
                f"决定书尚未送达当事人，{rd}即送达催告书；当事人逾期不履行决定的方可催告，"
                "违反《中华人民共和国行政强制法》第五十四条；履行期限自决定书送达之日起计算（《中华人民共和国行政处罚法》第六十七条第三款）。"
            )
        dec = v.decision or {}
        if dec.get("kind") == "penalty" and money(dec.get("fine")) > 0:
            try:
                due = dl.payment_due(v.served_date, v.cal)
            except dl.CalendarGapError:
                continue
            if rd <= due:
                return (
                    f"处罚决定于{v.served_date}送达，缴纳罚款的期限至{due}届满，{rd}即送达催告书；当事人逾期不履行的"
                    "方可催告，违反《中华人民共和国行政强制法》第五十四条、《中华人民共和国行政处罚法》第六十七条第三款。"
                )
    return None


@rule("PEN-SURCHARGE-UNSERVED", DEFECT, "决定书未送达即加处罚款", gate=True)
def pen_surcharge_unserved(v: CaseView) -> str | None:
    """处罚法 第67条第3款, 第72条: the payment period runs from service; no service, no surcharge."""
    for t, d, e in v.events:
        if t not in ("paid", "court_application") or money(e.get("surcharge")) <= 0:
            continue
        if v.served_date is None or v.served_date > d:
            return (
                f"处罚决定书尚未送达当事人，缴纳罚款的期限尚未起算，{d}即加处罚款{yuan(money(e.get('surcharge')))}元，"
                "违反《中华人民共和国行政处罚法》第六十七条第三款、第七十二条。"
            )
    return None


@rule("PEN-DISCRETION-TIER", DEFECT, "罚款未认定裁量阶次", gate=True)
def pen_discretion_tier(v: CaseView) -> str | None:
    """处罚法 第5条, 第34条: a fine on an item with a discretion benchmark states the tier found."""
    dec = v.decision or {}
    if dec.get("kind") != "penalty" or "fine" not in (dec.get("penalties") or ()):
        return None
    if dec.get("circumstance") or not v.ctx.get("has_benchmark"):
        return None
    return (
        f"本事项已公布行政处罚裁量基准，罚款{yuan(money(dec.get('fine')))}元未认定违法情节（裁量阶次），"
        "无法适用裁量基准，违反《中华人民共和国行政处罚法》第五条、第三十四条及裁量基准规定。"
    )


@rule("PEN-STATUTORY-MAX", DEFECT, "罚款超出法定幅度", gate=True)
def pen_statutory_max(v: CaseView) -> str | None:
    """处罚法 第4条, 第76条第1款第2项: never above the maximum the legal basis allows."""
    dec = v.decision or {}
    rng = v.ctx.get("statutory_fine") or {}
    if dec.get("kind") != "penalty" or rng.get("max") is None:
        return None
    fine, hi = money(dec.get("fine")), money(rng.get("max"))
    if fine <= hi:
        return None
    lo = rng.get("min")
    span = f"（法定幅度{yuan(money(lo))}至{yuan(hi)}元）" if lo is not None else ""
    return (
        f"罚款{yuan(fine)}元超过法律依据规定的罚款上限{yuan(hi)}元{span}；说明理由只能偏离裁量基准，不能突破法定幅度，"
        "违反《中华人民共和国行政处罚法》第四条、第七十六条第一款第二项。"
    )


@rule("PEN-HEAVIER-THAN-NOTICE", DEFECT, "决定重于事先告知", gate=True)
def pen_heavier_than_notice(v: CaseView) -> str | None:
    """处罚法 第44条, 第45条第2款: no fine heavier than the notice proposed without a new notice
    (and its own statement period); never heavier because the party stated its case."""
    dec = v.decision or {}
    if dec.get("kind") != "penalty" or v.proc != "general" or v.decided is None:
        return None
    pos = _pos(v)
    hi = pos.get(id(v.decided), len(v.events))
    notices = [(d, e) for d, e in v.every("notice_served") if pos[id(e)] < hi]
    if not notices:
        return None
    nd, notice = notices[-1]
    fine, proposed = money(dec.get("fine")), money(notice.get("proposed_fine"))
    if fine <= proposed:
        return None
    return (
        f"处罚决定罚款{yuan(fine)}元，重于{nd}事先告知书拟作出的罚款{yuan(proposed)}元；加重处罚须重新告知并给予陈述、"
        "申辩期限，且不得因当事人陈述、申辩而给予更重的处罚，违反《中华人民共和国行政处罚法》第四十四条、第四十五条第二款。"
    )


@rule("PEN-NOTICE-PERIOD", DEFECT, "事先告知的陈述申辩期限不当", gate=True)
def pen_notice_period(v: CaseView) -> str | None:
    """处罚法 第44条, 第45条, 第64条: the notice gives a real period for statement and defence
    (1 to 30 working days, choice); a hearing may be asked for within 5 working days."""
    for nd, e in v.every("notice_served"):
        n = e.get("statement_days")
        if not isinstance(n, int) or isinstance(n, bool):
            continue  # a format error, reported by validation
        if n < STATEMENT_DAYS_MIN:
            return (
                f"事先告知书于{nd}送达，给予的陈述、申辩期限为{n}个工作日，未给予当事人陈述、申辩的期限"
                "（要求听证的期限为告知后五个工作日），违反《中华人民共和国行政处罚法》第四十四条、第四十五条、第六十四条。"
            )
        if n > STATEMENT_DAYS_MAX:
            return (
                f"事先告知书于{nd}送达，给予的陈述、申辩期限为{n}个工作日，明显不合理（应为{STATEMENT_DAYS_MIN}至"
                f"{STATEMENT_DAYS_MAX}个工作日，且须在立案之日起九十日内作出决定），违反《中华人民共和国行政处罚法》"
                "第四十五条、第六十条。"
            )
    return None


@rule("DEC-REVIEW-FAILED", DEFECT, "法制审核未通过即作出决定", gate=True, covered_by=("DEC-LEGAL-REVIEW",))
def dec_review_failed(v: CaseView) -> str | None:
    """处罚法 第58条: when the latest legal review before the decision failed, no decision."""
    if v.decided is None or v.proc not in procedure.FULL_PROCEDURES:
        return None
    pos = _pos(v)
    hi = pos.get(id(v.decided), len(v.events))
    reviews = [(d, e) for d, e in v.every("legal_review") if pos[id(e)] < hi]
    if not reviews or reviews[-1][1].get("passed") is True:
        return None
    return (
        f"法制审核于{reviews[-1][0]}未通过，未经重新审核通过即于{v.decided_date}作出决定，"
        "违反《中华人民共和国行政处罚法》第五十八条（未经法制审核或者审核未通过的，不得作出决定）。"
    )


@rule("DEC-COLLECTIVE-MEMBERS", DEFECT, "集体讨论参加人员不合法", gate=True)
def dec_collective_members(v: CaseView) -> str | None:
    """处罚法 第57条第2款: a collective discussion is by the heads (负责人), at least two of them."""
    leaders = v.ctx.get("leaders")
    for d, e in v.every("collective_discussion"):
        actors = list(dict.fromkeys(e.get("actors") or ()))
        if leaders is not None:
            others = [a for a in actors if a not in leaders]
            if others:
                names = "、".join(v.officer_name(a) for a in others)
                return (
                    f"{d}负责人集体讨论的参加人员{names}不是本机关负责人，不能参加集体讨论决定，"
                    "违反《中华人民共和国行政处罚法》第五十七条第二款。"
                )
        if len(actors) < procedure.MIN_COLLECTIVE_LEADERS:
            return (
                f"{d}负责人集体讨论仅有{len(actors)}名负责人参加，不构成集体讨论，"
                "违反《中华人民共和国行政处罚法》第五十七条第二款。"
            )
    return None


@rule(
    "PEN-SIMPLE-SAMEDAY", DEFECT, "简易程序未在发现当日当场决定", gate=True, covered_by=("PEN-SIMPLE-ONSPOT",)
)
def pen_simple_sameday(v: CaseView) -> str | None:
    """处罚法 第51–52条: the on-the-spot decision is made at the scene, the day the violation is found."""
    if v.proc != "simple" or v.decided is None or (v.decision or {}).get("kind") != "penalty":
        return None
    found = v.first("discovered")
    if found is None or found[0] >= v.decided_date:
        return None
    return (
        f"违法行为于{found[0]}发现，{v.decided_date}才适用简易程序作出处罚决定；当场处罚须在现场当即作出并交付，"
        "否则应当适用普通程序，违反《中华人民共和国行政处罚法》第五十一条、第五十二条。"
    )
