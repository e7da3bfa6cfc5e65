"""DEC-*: separation of handling, review and decision; legal review; collective discussion."""

from __future__ import annotations

from zhifa.rules import procedure as P
from zhifa.rules.review._base import DEFECT, CaseView, rule

# What must precede the decision: the procedure table's entries (`zhifa.rules.procedure`).
_LEGAL_REVIEW = P.need("DEC-LEGAL-REVIEW")
_COLLECTIVE = P.need("DEC-COLLECTIVE")


def _decided_case(v: CaseView) -> bool:
    return v.proc in P.FULL_PROCEDURES and v.decision is not None


@rule("DEC-SEPARATION", DEFECT, "办、审、定未分离")
def dec_separation(v: CaseView) -> str | None:
    """处罚法 第57–58条 (and local rules): handler, legal reviewer and decider differ."""
    if not _decided_case(v):
        return None
    roles = v.case.get("roles") or {}
    seen: set[str] = set()
    for key in P.SEPARATED_ROLES:
        oid = roles.get(key)
        if oid is None:
            continue
        if oid in seen:
            return (
                f"本案承办人、法制审核人员、决定人存在同一人（{v.officer_name(oid)}），未落实办、审、定分离要求"
                "（《行政处罚法》第五十七条、第五十八条）。"
            )
        seen.add(oid)
    return None


@rule("DEC-LEGAL-REVIEW", DEFECT, "重大执法决定未经法制审核")
def dec_legal_review(v: CaseView) -> str | None:
    """处罚法 第58条: a major or heard case needs a passed legal review before the decision."""
    if not _decided_case(v) or v.decided_date is None:
        return None
    dd = v.decided_date
    major = bool(v.decision.get("major"))
    heard = any(d <= dd for d, _e in v.every("hearing_held"))
    if not (major or heard):
        return None
    reviews = v.every(_LEGAL_REVIEW.before)
    if any(d <= dd and e.get("passed") is True for d, e in reviews):
        return None
    why = "本案属于重大执法决定" if major else "本案经过听证"
    if any(d <= dd for d, _e in reviews):
        what = "法制审核未通过即作出决定"
    elif reviews:
        what = f"法制审核（{reviews[0][0]}）晚于决定（{dd}）"
    else:
        what = "决定作出前未经法制审核"
    return f"{why}，{what}，违反《行政处罚法》第五十八条。"


@rule("DEC-COLLECTIVE", DEFECT, "重大案件未经集体讨论")
def dec_collective(v: CaseView) -> str | None:
    """处罚法 第57条第2款: a major case is discussed collectively before the decision."""
    if not _decided_case(v) or v.decided_date is None or not v.decision.get("major"):
        return None
    dd = v.decided_date
    if any(d <= dd for d, _e in v.every(_COLLECTIVE.before)):
        return None
    return "本案属于重大执法决定，作出决定前未经负责人集体讨论，违反《行政处罚法》第五十七条第二款。"
