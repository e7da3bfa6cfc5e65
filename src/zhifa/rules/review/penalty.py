"""PEN-*: the penalty procedure (处罚法) — simple procedure, notice and hearing, time limits,
discretion, limitation, remedies, service, disclosure, surcharge."""

from __future__ import annotations

import datetime as dt

from zhifa.rules import deadlines as dl
from zhifa.rules import periods as P
from zhifa.rules import procedure
from zhifa.rules.casefile import parse_date
from zhifa.rules.review._base import (
    CIRCUMSTANCE_ZH,
    DEFECT,
    PARTY_KIND_ZH,
    WARNING,
    CaseView,
    money,
    penalties_zh,
    rule,
    yuan,
)

# What must precede a penalty decision: the procedure table's entries (`zhifa.rules.procedure`).
_PRIOR_NOTICE = procedure.need("PEN-PRIOR-NOTICE")
_HEARING = procedure.need("PEN-HEARING")


def _penalty(v: CaseView, *procedures: str) -> bool:
    return v.kind == "penalty" and (not procedures or v.proc in procedures)


@rule("PEN-SIMPLE-LIMIT", DEFECT, "简易程序超出适用范围")
def pen_simple_limit(v: CaseView) -> str | None:
    """处罚法 第51条: on the spot only a warning and/or a fine ≤ 200 (citizen) / 3000 yuan."""
    if not _penalty(v, "simple"):
        return None
    dec = v.decision
    kind = (v.case.get("party") or {}).get("kind")
    limit = 200 if kind == "individual" else 3000
    other = [p for p in dec.get("penalties") or () if p not in ("warning", "fine")]
    if not other and money(dec.get("fine")) <= limit:
        return None
    return (
        f"当场处罚决定对{PARTY_KIND_ZH.get(kind, '当事人')}处以{penalties_zh(dec)}，"
        "超出《行政处罚法》第五十一条规定的简易程序适用范围（公民二百元、法人或其他组织三千元以下罚款或警告）。"
    )


@rule("PEN-SIMPLE-ONSPOT", DEFECT, "简易程序未当场作出并交付")
def pen_simple_onspot(v: CaseView) -> str | None:
    """处罚法 第51–52条: decided on the spot, announced to the party and handed over that day."""
    if not _penalty(v, "simple") or v.decided is None:
        return None
    dd, served = v.decided_date, v.served_date
    ok = v.decided.get("on_spot") is True and v.decided.get("party_present") is True
    if served is not None:
        ok = ok and served == dd
    elif v.as_of > dd:
        ok = False
    if ok:
        return None
    return (
        f"适用简易程序的处罚决定未当场作出并当场交付当事人（决定{dd}，送达{served or '无记录'}），"
        "违反《行政处罚法》第五十一条、第五十二条。"
    )


@rule("PEN-PRIOR-NOTICE", DEFECT, "未履行事先告知")
def pen_prior_notice(v: CaseView) -> str | None:
    """处罚法 第44条, 第62条: a notice of the proposed penalty and rights before the decision."""
    if not _penalty(v, *_PRIOR_NOTICE.procedures) or v.decided_date is None:
        return None
    if v.latest_before(_PRIOR_NOTICE.before, v.decided_date) is not None:
        return None
    return "作出行政处罚决定前未向当事人送达行政处罚事先告知书，违反《行政处罚法》第四十四条、第六十二条。"


@rule("PEN-STATEMENT-PERIOD", DEFECT, "陈述申辩（听证申请）期限未届满即作出决定")
def pen_statement_period(v: CaseView) -> str | None:
    """处罚法 第45条, 第62条, 第64条, 第85条: decide only after the statement (and hearing-request)
    period of the latest notice has ended, unless the party waived in writing."""
    if not _penalty(v, "general") or v.decided_date is None:
        return None
    dd = v.decided_date
    latest = v.latest_before("notice_served", dd)
    if latest is None:
        return None
    nd, notice = latest
    hearing = bool(notice.get("hearing_right"))
    days = int(notice.get("statement_days") or 0)

    def end():
        return dl.statement_period_end(nd, days, hearing, v.cal)

    if dl.later_than(dd, end):
        return None
    if _waived_between(v, notice, v.decided):
        return None
    label = "陈述申辩（听证申请）" if hearing else "陈述申辩"
    return (
        f"事先告知书于{nd}送达，{label}期限至{_date_or_gap(end)}届满，{dd}即作出处罚决定，"
        "违反《行政处罚法》第四十五条、第六十二条、第六十四条、第八十五条。"
    )


def _waived_between(v: CaseView, notice: dict, decided: dict | None) -> bool:
    """A written waiver (`statement_received` with `waived: true`) after the notice and before the
    decision in the file's order; events of one day keep the order in which they happened, so a
    waiver recorded after the decision on the same day does not count."""
    pos = {id(e): i for i, (_t, _d, e) in enumerate(v.events)}
    lo, hi = pos.get(id(notice), -1), pos.get(id(decided), len(v.events))
    return any(lo < pos[id(e)] < hi and e.get("waived") is True for _d, e in v.every("statement_received"))


def _date_or_gap(deadline) -> str:
    """A deadline as text; one reaching into a year without holiday data names that year."""
    try:
        return str(deadline())
    except dl.CalendarGapError as exc:
        return f"{exc.year}年（该年度节假日安排尚未录入）"


@rule("PEN-HEARING", DEFECT, "应当组织听证而未组织")
def pen_hearing(v: CaseView) -> str | None:
    """处罚法 第63–65条, 第85条: a hearing requested within 5 working days is held before deciding."""
    if not _penalty(v, *_HEARING.procedures) or v.decided_date is None:
        return None
    dd = v.decided_date
    latest = v.latest_before("notice_served", dd)
    if latest is None or not latest[1].get("hearing_right"):
        return None
    nd = latest[0]
    if any(d <= dd for d, _e in v.every(_HEARING.before)):
        return None
    for rd, _e in v.every("hearing_requested"):
        if rd < nd or dl.later_than(rd, lambda: dl.hearing_request_end(nd, v.cal)):
            continue
        k = v.cal.workdays_between(nd, rd)
        return (
            f"当事人于{rd}（告知后第{k}个工作日，在法定五日内）要求听证，行政机关未组织听证即作出处罚决定，"
            "违反《行政处罚法》第六十三条、第六十四条。"
        )
    return None


@rule("PEN-DECISION-90D", DEFECT, "超过九十日作出处罚决定")
def pen_decision_90d(v: CaseView) -> str | None:
    """处罚法 第60条: decided within 90 calendar days of filing (no roll-forward)."""
    if v.proc != "general":
        return None
    filed = v.first("filed")
    if filed is None:
        return None
    fd = filed[0]
    limit = dl.decision_limit(fd)
    if v.decided_date is not None:
        if v.decided_date <= limit:
            return None
        what = f"{v.decided_date}作出决定"
    elif v.has("closed") or v.as_of <= limit:
        return None
    else:
        what = f"至{v.as_of}仍未作出决定"
    return f"案件于{fd}立案，{what}，超过立案之日起九十日（{limit}届满），违反《行政处罚法》第六十条。"


@rule("PEN-DISCRETION", DEFECT, "罚款超出裁量基准")
def pen_discretion(v: CaseView) -> str | None:
    """处罚法 第5条, 第34条: a fine outside the benchmark range needs a recorded reason."""
    if not _penalty(v):
        return None
    dec = v.decision
    bench = dec.get("benchmark")
    if "fine" not in (dec.get("penalties") or ()) or not bench:
        return None
    fine, lo, hi = money(dec.get("fine")), money(bench.get("min")), money(bench.get("max"))
    if lo <= fine <= hi or (dec.get("deviation_reason") or "").strip():
        return None
    tier = CIRCUMSTANCE_ZH.get(dec.get("circumstance"), dec.get("circumstance") or "")
    return (
        f"罚款{yuan(fine)}元超出裁量基准“{tier}”档{yuan(lo)}至{yuan(hi)}元的幅度，且未说明理由，"
        "违反《行政处罚法》第三十四条及裁量基准规定。"
    )


@rule("PEN-FIRST-VIOLATION", WARNING, "首违不罚情形仍予处罚")
def pen_first_violation(v: CaseView) -> str | None:
    """处罚法 第33条: a first minor violation corrected in time may go unpunished."""
    if not _penalty(v, "simple", "general"):
        return None
    dec = v.decision
    first_minor = procedure.first_minor_corrected(
        dec.get("first_violation") is True, dec.get("corrected_in_time") is True, dec.get("circumstance")
    )
    if not (first_minor and dec.get("penalties")):
        return None
    return (
        "当事人系初次违法、情节轻微并及时改正，依照《行政处罚法》第三十三条可以（应当）不予行政处罚，"
        f"本案仍给予{penalties_zh(dec)}。"
    )


@rule("PEN-LIMITATION", DEFECT, "超过追责时效")
def pen_limitation(v: CaseView) -> str | None:
    """处罚法 第36条: discovered within 2 years (5 with grave harm) of the violation's end."""
    if not _penalty(v):
        return None
    viol = v.case.get("violation") or {}
    found = v.first("discovered")
    if not viol.get("ended") or found is None:
        return None
    ended = parse_date(viol["ended"])
    years = P.LIMITATION_YEARS_GRAVE if viol.get("grave_harm") else P.LIMITATION_YEARS
    if found[0] <= dl.limitation_end(ended, bool(viol.get("grave_harm"))):
        return None
    return (
        f"违法行为于{ended}终了，{found[0]}才被发现，已超过《行政处罚法》第三十六条规定的{years}年追责时效，"
        "不应再给予行政处罚。"
    )


@rule("PEN-REMEDY-NOTICE", DEFECT, "未告知或错误告知救济途径和期限")
def pen_remedy_notice(v: CaseView) -> str | None:
    """处罚法 第52条, 第59条; 复议法 第20条; 诉讼法 第46条: routes and periods stated correctly."""
    if not _penalty(v, "simple", "general"):
        return None
    rn = v.decision.get("remedy_notice")
    if dl.remedy_notice_complete(rn):
        return None
    article = "第五十二条" if v.proc == "simple" else "第五十九条"
    if not rn:
        what = "未载明"
    else:
        wrong = []
        if not rn.get("reconsideration_body"):
            wrong.append("未写明复议机关")
        if not rn.get("court"):
            wrong.append("未写明管辖法院")
        if (rn.get("reconsideration_days") or 0) < P.RECONSIDERATION_DAYS:
            wrong.append(f"复议期限写为{rn.get('reconsideration_days')}日")
        if (rn.get("litigation_months") or 0) < P.LITIGATION_MONTHS:
            wrong.append(f"起诉期限写为{rn.get('litigation_months')}个月")
        what = f"错误载明（{'，'.join(wrong)}）"
    return (
        f"行政处罚决定书{what}申请行政复议、提起行政诉讼的途径和期限，违反《行政处罚法》{article}；"
        "复议期限为六十日（《行政复议法》第二十条），起诉期限为六个月（《行政诉讼法》第四十六条）。"
    )


@rule("PEN-SERVICE-7WD", DEFECT, "处罚决定书送达超期")
def pen_service_7wd(v: CaseView) -> str | None:
    """处罚法 第61条, 第85条: handed over at once to a present party, else served in 7 working days."""
    if v.proc != "general" or v.kind not in ("penalty", "no_penalty") or v.decided is None:
        return None
    dd, served = v.decided_date, v.served_date
    if v.decided.get("party_present") is True:
        if served == dd or (served is None and v.as_of <= dd):
            return None
        return (
            f"处罚决定于{dd}作出，当事人在场，应当场交付决定书，"
            f"实际{f'于{served}送达' if served else '至今未送达'}，违反《行政处罚法》第六十一条。"
        )

    def deadline():
        return dl.service_deadline(dd, v.cal)

    if not dl.later_than(served or v.as_of, deadline):
        return None
    return (
        f"处罚决定于{dd}作出，当事人不在场，应于{deadline()}前（七个工作日）送达，"
        f"实际{f'于{served}送达' if served else '至今未送达'}，违反《行政处罚法》第六十一条、第八十五条。"
    )


@rule("PEN-DISCLOSE-7WD", WARNING, "处罚决定未按时公示")
def pen_disclose_7wd(v: CaseView) -> str | None:
    """国办发〔2018〕118号: general-procedure penalty decisions published within 7 working days."""
    if not _penalty(v, "general") or v.decided_date is None:
        return None
    dd = v.decided_date
    disclosed = v.first("disclosed")
    when = disclosed[0] if disclosed else None

    def deadline():
        return dl.disclosure_deadline(dd, v.cal)

    if not dl.later_than(when or v.as_of, deadline):
        return None
    return (
        f"处罚决定于{dd}作出，应于{deadline()}前公示，实际{when or '至今未'}公示，"
        "不符合国办发〔2018〕118号关于7个工作日内公开的要求。"
    )


@rule("PEN-SURCHARGE", DEFECT, "加处罚款超标")
def pen_surcharge(v: CaseView) -> str | None:
    """处罚法 第67条, 第72条; 强制法 第45条: at most 3 % a day after the due date, capped at the fine."""
    if not _penalty(v) or v.served_date is None:
        return None
    fine = money(v.decision.get("fine"))
    if fine <= 0:
        return None
    due = None
    for t, d, e in v.events:
        if t not in ("paid", "court_application"):
            continue
        surcharge = money(e.get("surcharge"))
        if surcharge <= 0:
            continue
        if due is None:
            try:
                due = dl.payment_due(v.served_date, v.cal)
            except dl.CalendarGapError as exc:
                # the due date lies in a year without data, so on or after its 1 January
                if d >= dt.date(exc.year, 1, 1):
                    raise
                due = v.served_date + dt.timedelta(days=P.PAYMENT_DAYS)  # not yet due on `d` either way
        overdue, allowed = dl.allowed_surcharge(fine, due, d)
        if surcharge > allowed:
            return (
                f"罚款{yuan(fine)}元，缴款期限{due}届满，至{d}逾期{max(overdue, 0)}日，依法加处罚款最多"
                f"{yuan(allowed)}元，实际加处{yuan(surcharge)}元，违反《行政处罚法》第七十二条、《行政强制法》第四十五条。"
            )
    return None
