"""COE-*: coercive measures and enforcement (行政强制法) — seizure term, forced demolition,
applying to the court."""

from __future__ import annotations

import datetime as dt

from zhifa.rules import deadlines as dl
from zhifa.rules import periods as P
from zhifa.rules import procedure
from zhifa.rules.review._base import DEFECT, CaseView, rule
from zhifa.rules.workdays import CalendarGapError, add_months

# What must precede a forced demolition or a court application: the procedure table's entries.
_DEMOLITION_NOTICE = procedure.need("COE-DEMOLITION-NOTICE")
_REMINDER = procedure.need("COE-COURT-REMINDER")


@rule("COE-SEIZURE-30D", DEFECT, "查封、扣押超期")
def coe_seizure_30d(v: CaseView) -> str | None:
    """强制法 第25条: 30 days, one extension of at most 30 days approved before they run out."""
    started = v.first("seizure_started")
    if started is None:
        return None
    start = started[0]
    allowed_end = dl.seizure_allowed_end(start)
    ext = v.first("seizure_extended")
    if ext is not None:
        ed, e = ext
        days = e.get("days")
        problems = []
        if ed > allowed_end:
            problems.append(f"延长决定于{ed}作出，已超过三十日期限")
        if not e.get("approved_by"):
            problems.append("延长未经负责人批准")
        if not isinstance(days, int) or days > P.SEIZURE_EXTENSION_MAX_DAYS:
            problems.append(f"延长{days}日超过三十日")
        if problems:
            return (
                f"扣押自{start}起，{'，'.join(problems)}，延长无效，违反《行政强制法》第二十五条"
                "（延长须在三十日内经负责人批准且不超过三十日）。"
            )
        allowed_end = dl.seizure_allowed_end(start, days)
    ended = v.first("seizure_ended")
    end = ended[0] if ended else v.as_of
    if end <= allowed_end:
        return None
    n = (end - start).days
    still = "" if ended else "仍未解除，"
    return (
        f"扣押自{start}起，至{end}{still}共{n}日，超过《行政强制法》第二十五条规定的三十日期限"
        "（延长须经负责人批准且不超过三十日）。"
    )


@rule("COE-DEMOLITION-NOTICE", DEFECT, "强制拆除未公告")
def coe_demolition_notice(v: CaseView) -> str | None:
    """强制法 第44条: a public notice with a deadline that passed before the forced demolition."""
    executed = v.first("demolition_executed")
    if executed is None:
        return None
    xd = executed[0]
    for nd, e in v.every(_DEMOLITION_NOTICE.before):
        dl_s = e.get("deadline")
        # "dated before the execution" (strictly) with a deadline already past on that day
        if nd < xd and dl_s and dl_s < xd.isoformat():
            return None
    return "强制拆除前未予公告并限期当事人自行拆除（或公告期限未届满即拆除），违反《行政强制法》第四十四条。"


def _litigation_end(v: CaseView) -> tuple[bool, str]:
    """(complete remedy notice, L as text even when it reaches a year without holiday data)."""
    complete = dl.remedy_notice_complete((v.decision or {}).get("remedy_notice"))
    try:
        return complete, str(dl.litigation_end(v.served_date, complete, v.cal))
    except CalendarGapError:
        return complete, str(add_months(v.served_date, 6 if complete else 12))


@rule("COE-DEMOLITION-REMEDY", DEFECT, "复议、诉讼期限内强制拆除")
def coe_demolition_remedy(v: CaseView) -> str | None:
    """强制法 第44条: force only after the order's litigation period L(served) has ended."""
    executed = v.first("demolition_executed")
    if executed is None:
        return None
    xd = executed[0]
    if v.served_date is None:
        return f"限期拆除决定未送达当事人，{xd}即实施强制拆除，违反《行政强制法》第四十四条。"
    complete, l_text = _litigation_end(v)
    if dl.later_than(xd, lambda: dl.litigation_end(v.served_date, complete, v.cal)):
        return None
    return (
        f"限期拆除决定于{v.served_date}送达，当事人申请复议、提起诉讼的期限至{l_text}届满，{xd}即实施强制拆除，"
        "违反《行政强制法》第四十四条。"
    )


@rule("COE-COURT-WINDOW", DEFECT, "申请法院强制执行不在法定期间")
def coe_court_window(v: CaseView) -> str | None:
    """强制法 第53条; 行诉解释 第156条: apply after L(served) and within 3 months after it."""
    applied = v.first("court_application")
    if applied is None:
        return None
    ad = applied[0]
    if v.served_date is None:
        return f"决定未送达当事人，{ad}即申请法院强制执行，违反《行政强制法》第五十三条。"
    complete, l_text = _litigation_end(v)
    premature = not dl.later_than(ad, lambda: dl.litigation_end(v.served_date, complete, v.cal))
    if premature:
        try:
            w_text = str(dl.court_window(v.served_date, complete, v.cal)[1])
        except CalendarGapError:
            w_text = str(add_months(dt.date.fromisoformat(l_text), P.COURT_WINDOW_MONTHS))
    else:
        # W may reach into a year without holiday data; an application before that year is in time
        if not dl.later_than(ad, lambda: dl.court_window(v.served_date, complete, v.cal)[1]):
            return None
        w_text = str(dl.court_window(v.served_date, complete, v.cal)[1])
    return (
        f"处罚决定于{v.served_date}送达，起诉期限至{l_text}届满，申请法院强制执行的期间为{l_text}后至{w_text}，"
        f"实际于{ad}申请，违反《行政强制法》第五十三条及最高人民法院行政诉讼法解释第一百五十六条。"
    )


@rule("COE-COURT-REMINDER", DEFECT, "申请强制执行前未依法催告")
def coe_court_reminder(v: CaseView) -> str | None:
    """强制法 第54条, 第69条: a reminder served more than 10 working days before applying."""
    applied = v.first("court_application")
    if applied is None:
        return None
    ad = applied[0]
    before = [rd for rd, _e in v.every(_REMINDER.before) if rd < ad]
    for rd in before:
        if dl.later_than(ad, lambda rd=rd: dl.reminder_end(rd, v.cal)):
            return None
    if not before:
        return f"申请法院强制执行（{ad}）前未送达催告书，违反《行政强制法》第五十四条、第六十九条。"
    rd = before[-1]
    try:
        end_text = str(dl.reminder_end(rd, v.cal))
    except CalendarGapError as exc:
        end_text = f"{exc.year}年（该年度节假日安排尚未录入）"
    return (
        f"催告书于{rd}送达，十个工作日至{end_text}届满，{ad}即申请法院强制执行，"
        "违反《行政强制法》第五十四条、第六十九条。"
    )
