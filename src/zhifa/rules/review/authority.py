"""AUTH-*: the township held the item (and, if entrusted, the entrustment) when it acted.

The case file states the holding as periods (authority.held_from…held_until, entrustment
valid_from…valid_to), computed when the case was opened by `zhifa.rules.holdings`; an act
must lie within them (`holdings.within`).
"""

from __future__ import annotations

from zhifa.rules.casefile import parse_date
from zhifa.rules.holdings import ENTRUSTED, within
from zhifa.rules.review._base import ACTING, DEFECT, CaseView, event_zh, rule


@rule("AUTH-NOT-HELD", DEFECT, "超越职权：未持有该执法事项")
def auth_not_held(v: CaseView) -> str | None:
    """处罚法 第24条, 第38条: every acting event lies within the catalogue holding."""
    item = v.case.get("item", "")
    acting = [(d, t) for t, d, _e in v.events if t in ACTING]
    auth = v.case.get("authority")
    if auth is None:
        when = f"在{acting[0][0]}" if acting else ""
        return (
            f"本案执法事项{item}{when}不属于本乡镇（街道）依法承接的事项（本乡镇（街道）公布的执法事项清单"
            "未列入该事项），超越职权，违反《行政处罚法》第二十四条、第三十八条。"
        )
    held_from = parse_date(auth["held_from"])
    held_until = parse_date(auth["held_until"]) if auth.get("held_until") else None
    for d, _t in acting:
        if not within(d, held_from, held_until):
            return (
                f"本案执法事项{item}在{d}不属于本乡镇（街道）依法承接的事项（清单持有期间{auth['held_from']}"
                f"至{auth.get('held_until') or '今'}），超越职权，违反《行政处罚法》第二十四条、第三十八条。"
            )
    return None


@rule("AUTH-ENTRUST-EXPIRED", DEFECT, "委托执法超出委托期限")
def auth_entrust_expired(v: CaseView) -> str | None:
    """处罚法 第20条: an entrusted township acts only within the entrustment's term."""
    auth = v.case.get("authority")
    if not auth or auth.get("source") != ENTRUSTED:
        return None
    ent = auth.get("entrustment")
    if not ent:
        return "本案为委托执法事项，但未载明书面委托（委托事项、权限和期限），违反《行政处罚法》第二十条。"
    lo, hi = parse_date(ent["valid_from"]), parse_date(ent["valid_to"])
    for t, d, _e in v.events:
        if t in ACTING and not within(d, lo, hi):
            return (
                f"委托书{ent.get('doc_no', '')}的委托期限为{ent['valid_from']}至{ent['valid_to']}，"
                f"{d}实施的{event_zh(v, t)}超出委托期限，违反《行政处罚法》第二十条。"
            )
    return None
