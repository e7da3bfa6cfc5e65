"""The holdings rule (zhifa.rules.holdings) on plain data: no database."""

from __future__ import annotations

import datetime as dt

from zhifa.rules import holdings as h

D = dt.date.fromisoformat

V1 = h.VersionFacts(
    1, D("2026-01-01"), {"A001": "statutory", "A002": "empowered", "A003": "entrusted"}, "甲镇清单第1版"
)
V2 = h.VersionFacts(
    2, D("2026-07-01"), {"A001": "statutory", "A003": "entrusted", "A004": "empowered"}, "甲镇清单第2版"
)
ITEMS = {c: h.ItemFacts(c) for c in ("A001", "A002", "A003", "A004")}
ENT = h.EntrustmentFacts("委〔2026〕1号", "D01", D("2026-03-01"), D("2026-12-31"), frozenset({"A003"}))


def facts(versions=(V1, V2), items=None, entrustments=(ENT,)) -> h.HoldingFacts:
    return h.HoldingFacts(versions=tuple(versions), items=items or ITEMS, entrustments=tuple(entrustments))


def test_version_change_moves_the_holding_and_bounds_it():
    f = facts()
    a = h.holding(f, "A002", D("2026-06-30"))
    assert a.held and a.source == "empowered" and a.version == 1
    assert (a.held_from, a.held_until) == (D("2026-01-01"), D("2026-06-30"))
    gone = h.holding(f, "A002", D("2026-07-01"))
    assert not gone.held and gone.version == 2 and gone.reason == "未持有：甲镇清单第2版中无此事项"
    assert h.holding(f, "A004", D("2026-07-01")).held_from == D("2026-07-01")
    kept = h.holding(f, "A001", D("2026-08-01"))
    assert (kept.held_from, kept.held_until, kept.version) == (D("2026-01-01"), None, 2)
    assert h.held_codes(f, D("2026-06-30")) == {"A001", "A002", "A003"}
    assert h.held_codes(f, D("2026-07-01")) == {"A001", "A003", "A004"}


def test_versions_given_out_of_order_and_same_day_versions():
    later_same_day = h.VersionFacts(3, D("2026-07-01"), {"A001": "statutory"}, "甲镇清单第3版")
    f = facts(versions=(later_same_day, V2, V1))
    assert h.held_codes(f, D("2026-07-01")) == {"A001"}  # the higher number of the day wins
    assert h.holding(f, "A004", D("2026-07-02")).reason == "未持有：甲镇清单第3版中无此事项"
    assert h.holding(f, "A002", D("2026-02-01")).held


def test_revocation_ends_the_holding_the_day_before():
    items = dict(ITEMS, A001=h.ItemFacts("A001", D("2026-09-01"), "承接能力不足"))
    f = facts(items=items)
    before = h.holding(f, "A001", D("2026-08-31"))
    assert before.held and before.held_until == D("2026-08-31")
    after = h.holding(f, "A001", D("2026-09-01"))
    assert not after.held and after.source == "statutory"
    assert after.reason == "已收回：该事项已于2026-09-01收回（承接能力不足）"
    assert "A001" not in h.held_codes(f, D("2026-09-01"))
    assert "A001" in h.held_codes(f, D("2026-08-31"))


def test_entrustment_term_future_expiry_and_missing():
    f = facts()
    ok = h.holding(f, "A003", D("2026-06-01"))
    assert ok.held and ok.entrustment == {
        "doc_no": "委〔2026〕1号",
        "department": "D01",
        "valid_from": D("2026-03-01"),
        "valid_to": D("2026-12-31"),
    }
    assert (ok.held_from, ok.held_until) == (D("2026-03-01"), D("2026-12-31"))
    future = h.holding(f, "A003", D("2026-02-28"))
    assert not future.held and future.reason == "委托尚未生效：委托书委〔2026〕1号自2026-03-01起有效"
    expired = h.holding(f, "A003", D("2027-01-01"))
    assert expired.reason == "委托已过期：委托书委〔2026〕1号有效期至2026-12-31"
    assert expired.entrustment["doc_no"] == "委〔2026〕1号"
    none = h.holding(facts(entrustments=()), "A003", D("2026-06-01"))
    assert none.reason == "无有效委托：该委托事项没有委托书" and none.entrustment is None
    assert "A003" not in h.held_codes(f, D("2026-02-28")) and "A003" in h.held_codes(f, D("2026-03-01"))


def test_early_end_stops_the_entrustment_and_says_why():
    ended = h.EntrustmentFacts(
        "委〔2026〕1号",
        "D01",
        D("2026-03-01"),
        D("2026-12-31"),
        frozenset({"A003"}),
        D("2026-10-01"),
        "力量调整",
    )
    f = facts(entrustments=(ended,))
    last = h.holding(f, "A003", D("2026-09-30"))
    assert (
        last.held and last.held_until == D("2026-09-30") and last.entrustment["valid_to"] == D("2026-09-30")
    )
    refused = h.holding(f, "A003", D("2026-10-01"))
    assert refused.reason == "委托已提前终止：委托书委〔2026〕1号自2026-10-01起终止（力量调整）"
    assert "A003" not in h.held_codes(f, D("2026-10-01"))
    # a later renewal covers the day again; the latest-ending valid document is named
    renewal = h.EntrustmentFacts(
        "委〔2026〕9号", "D01", D("2026-10-15"), D("2027-06-30"), frozenset({"A003"})
    )
    f2 = facts(entrustments=(ended, renewal))
    assert h.holding(f2, "A003", D("2026-10-10")).reason.startswith("委托已提前终止")
    assert h.holding(f2, "A003", D("2026-11-01")).entrustment["doc_no"] == "委〔2026〕9号"


def test_before_the_first_version_strict_and_first_version_policies():
    f = facts()
    day = D("2025-06-01")
    strict = h.holding(f, "A001", day)
    assert (
        not strict.held
        and strict.reason == h.NO_LIST_REASON == "未持有：该乡镇（街道）在该日期没有生效的执法事项清单"
    )
    assert h.held_codes(f, day) == set()
    first = h.holding(f, "A001", day, h.FIRST_VERSION)
    assert first.held and first.before_first and first.version == 1 and first.held_from is None
    assert "2026-01-01" in first.note and "甲镇清单第1版" in first.note
    # entrusted items still need an entrustment covering the day itself
    ent = h.holding(f, "A003", day, h.FIRST_VERSION)
    assert not ent.held and ent.reason.startswith("委托尚未生效：") and "早于首个清单版本" in ent.reason
    assert h.held_codes(f, day, h.FIRST_VERSION) == {"A001", "A002"}
    early_ent = h.EntrustmentFacts(
        "委〔2025〕1号", "D01", D("2025-01-01"), D("2025-12-31"), frozenset({"A003"})
    )
    f2 = facts(entrustments=(early_ent,))
    assert h.held_codes(f2, day, h.FIRST_VERSION) == {"A001", "A002", "A003"}
    assert h.holding(f2, "A003", day, h.FIRST_VERSION).held_from == D("2025-01-01")
    # the policy changes nothing from the first version on
    assert h.held_codes(f, D("2026-06-01"), h.FIRST_VERSION) == h.held_codes(f, D("2026-06-01"))
    assert not h.holding(facts(versions=()), "A001", day, h.FIRST_VERSION).held


def test_early_end_is_honoured_before_the_first_version_too():
    ended = h.EntrustmentFacts(
        "委〔2025〕1号", "D01", D("2025-01-01"), D("2025-12-31"), frozenset({"A003"}), D("2025-05-01"), "调整"
    )
    f = facts(entrustments=(ended,))
    assert "A003" in h.held_codes(f, D("2025-04-30"), h.FIRST_VERSION)
    assert "A003" not in h.held_codes(f, D("2025-05-01"), h.FIRST_VERSION)


def test_unknown_item_and_held_codes_agree_with_holding_everywhere():
    items = dict(ITEMS, A002=h.ItemFacts("A002", D("2026-05-01")))
    ended = h.EntrustmentFacts(
        "委〔2026〕1号", "D01", D("2026-03-01"), D("2026-12-31"), frozenset({"A003"}), D("2026-10-01")
    )
    f = facts(items=items, entrustments=(ended,))
    assert h.holding(f, "X999", D("2026-06-01")).reason == "执法事项X999不存在"
    breaks = h.breakpoints(f)
    assert D("2026-10-01") in breaks and D("2027-01-01") in breaks and D("2026-05-01") in breaks
    day = D("2025-12-01")
    seen: dict[tuple, set[str]] = {}
    while day <= D("2027-02-01"):
        for policy in (h.STRICT, h.FIRST_VERSION):
            codes = h.held_codes(f, day, policy)
            assert codes == {c for c in items if h.holding(f, c, day, policy).held}, (day, policy)
            # constant between breakpoints: the routing cache's memo is sound
            key = (policy, max((b for b in breaks if b <= day), default=None))
            assert seen.setdefault(key, codes) == codes, (day, policy)
        day += dt.timedelta(days=1)


def test_within_open_and_closed_periods():
    assert h.within(D("2026-01-01"), D("2026-01-01"), None)
    assert not h.within(D("2025-12-31"), D("2026-01-01"), None)
    assert h.within(D("2026-12-31"), None, D("2026-12-31"))
    assert not h.within(D("2027-01-01"), D("2026-01-01"), D("2026-12-31"))
