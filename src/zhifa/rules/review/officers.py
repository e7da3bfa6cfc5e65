"""OFF-*: field acts by at least two officers, each with a valid enforcement certificate."""

from __future__ import annotations

from zhifa.rules import procedure as P
from zhifa.rules.casefile import parse_date
from zhifa.rules.review._base import DEFECT, CaseView, event_zh, field_events, rule


@rule("OFF-MIN-TWO", DEFECT, "执法人员不足两人")
def off_min_two(v: CaseView) -> str | None:
    """处罚法 第42条; 强制法 第18条: every field event has two or more distinct actors."""
    for t, d, e in field_events(v):
        n = len(set(e.get("actors") or ()))
        if n < P.MIN_FIELD_OFFICERS:
            return (
                f"{d}{event_zh(v, t)}仅有{n}名执法人员实施，违反《行政处罚法》第四十二条（《行政强制法》"
                "第十八条）关于执法人员不得少于两人的规定。"
            )
    return None


@rule("OFF-CERT-VALID", DEFECT, "执法人员无有效执法证件")
def off_cert_valid(v: CaseView) -> str | None:
    """处罚法 第42条, 第55条: each actor of a field event holds a certificate valid that day."""
    for t, d, e in field_events(v):
        for oid in e.get("actors") or ():
            off = v.officer(oid) or {}
            name = off.get("name") or oid
            cert_no, valid_to = off.get("cert_no"), off.get("cert_valid_to")
            if not cert_no or not valid_to:
                return (
                    f"{name}未持有执法证件，{d}仍参与{event_zh(v, t)}，"
                    "违反《行政处罚法》第四十二条、第五十五条。"
                )
            if parse_date(valid_to) < d:
                return (
                    f"{name}（证号{cert_no}）的执法证件有效期至{valid_to}，{d}仍参与{event_zh(v, t)}，"
                    "违反《行政处罚法》第四十二条、第五十五条。"
                )
    return None
