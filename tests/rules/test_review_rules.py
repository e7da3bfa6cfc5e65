"""Focused tests of each review rule (LEGAL-RULES §5), with the boundaries of its examples."""

from __future__ import annotations

import copy

import pytest

from rules.builders import case, demolition_order, ev, general, penalty
from zhifa.rules import review as rv

# -- AUTH -------------------------------------------------------------------------------------


def test_auth_not_held(cal):
    c = general()
    assert rv.auth_not_held(c, cal) is None
    c["authority"]["held_until"] = "2025-03-19"
    f = rv.auth_not_held(c, cal)
    assert f.rule == "AUTH-NOT-HELD" and f.severity == "defect"
    assert f.message.startswith("本案执法事项Z037在2025-03-20不属于本乡镇（街道）依法承接的事项")
    assert "（清单持有期间2024-07-01至2025-03-19）" in f.message and "第二十四条、第三十八条" in f.message
    c["authority"]["held_until"] = "2025-03-20"  # the last day held is still held
    assert rv.auth_not_held(c, cal) is None
    c["authority"]["held_from"] = "2025-03-04"  # filed 03-03, one day before
    assert "在2025-03-03" in rv.auth_not_held(c, cal).message
    c["authority"] = None
    assert "清单未列入该事项" in rv.auth_not_held(c, cal).message


def test_auth_not_held_ignores_non_acting_events(cal):
    c = general()
    c["authority"]["held_from"] = "2025-03-03"
    c["events"][0]["date"] = "2025-03-01"  # discovering a lead is not exercising the power
    assert rv.auth_not_held(c, cal) is None


def _entrusted(c, valid_from="2024-02-01", valid_to="2026-01-31"):
    c["authority"]["source"] = "entrusted"
    c["authority"]["entrustment"] = {
        "doc_no": "县林发〔2024〕1号",
        "department": "县林业局",
        "valid_from": valid_from,
        "valid_to": valid_to,
    }
    return c


def test_auth_entrust_expired(cal):
    c = _entrusted(general())
    assert rv.auth_entrust_expired(c, cal) is None
    assert rv.auth_entrust_expired(general(), cal) is None  # not entrusted
    c = _entrusted(general(), valid_to="2025-03-19")
    f = rv.auth_entrust_expired(c, cal)
    assert f.message == (
        "委托书县林发〔2024〕1号的委托期限为2024-02-01至2025-03-19，2025-03-20实施的作出决定超出委托期限，"
        "违反《行政处罚法》第二十条。"
    )
    c = _entrusted(general(), valid_from="2025-03-04")
    assert "2025-03-03实施的立案" in rv.auth_entrust_expired(c, cal).message
    c["authority"]["entrustment"] = None  # the validator rejects this; the rule still answers
    assert "未载明书面委托" in rv.auth_entrust_expired(c, cal).message


# -- OFF --------------------------------------------------------------------------------------


def test_off_min_two(cal):
    c = general()
    assert rv.off_min_two(c, cal) is None
    c["events"][2]["actors"] = ["O1", "O1"]  # the same person twice is one person
    f = rv.off_min_two(c, cal)
    assert f.message.startswith("2025-03-03调查取证仅有1名执法人员实施，违反《行政处罚法》第四十二条")


def test_off_min_two_simple_decision_is_a_field_event(cal):
    events = [ev("discovered", "2025-05-13"), ev("decided", "2025-05-13", actors=["O1"], on_spot=True)]
    events[1]["party_present"] = True
    events.append(ev("served", "2025-05-13"))
    c = case(
        events,
        procedure="simple",
        decision=penalty(100),
        roles={"handler": "O1", "legal_reviewer": None, "decider": None},
    )
    assert "当场作出处罚决定仅有1名" in rv.off_min_two(c, cal).message
    # in the general procedure the decider alone decides: not a field event
    assert rv.off_min_two(general(), cal) is None


def test_off_cert_valid(cal):
    c = general()
    assert rv.off_cert_valid(c, cal) is None
    c["events"][2]["actors"] = ["O1", "O3"]  # O3's certificate ends 2025-06-30
    assert rv.off_cert_valid(c, cal) is None  # 2025-03-03 is before that
    c["events"][2]["actors"] = ["O1", "L1"]  # a leader without certificate
    assert "领导甲未持有执法证件，2025-03-03仍参与调查取证" in rv.off_cert_valid(c, cal).message
    c = general(filed="2025-07-01", notice="2025-07-10", decided="2025-07-20", served="2025-07-21")
    c["events"][2]["actors"] = ["O1", "O3"]
    assert rv.off_cert_valid(c, cal).message == (
        "执法丙（证号晋执0003）的执法证件有效期至2025-06-30，2025-07-01仍参与调查取证，"
        "违反《行政处罚法》第四十二条、第五十五条。"
    )
    c["events"][2]["date"] = "2025-06-30"  # the last valid day
    c["events"][0]["date"] = "2025-06-30"
    assert rv.off_cert_valid(c, cal) is None


# -- DEC --------------------------------------------------------------------------------------


def test_dec_separation(cal):
    c = general()
    assert rv.dec_separation(c, cal) is None
    c["roles"]["legal_reviewer"] = "O1"
    assert "存在同一人（执法甲）" in rv.dec_separation(c, cal).message
    c["roles"] = {"handler": "O1", "legal_reviewer": None, "decider": "O1"}
    assert rv.dec_separation(c, cal) is not None
    c["roles"] = {"handler": "O1", "legal_reviewer": None, "decider": None}
    assert rv.dec_separation(c, cal) is None
    c["roles"]["decider"] = "O1"
    c["decision"] = None  # no decision: rule does not apply
    assert rv.dec_separation(c, cal) is None


def test_dec_legal_review(cal):
    c = general(decision=penalty(major=True), before_decision=[ev("collective_discussion", "2025-03-18")])
    f = rv.dec_legal_review(c, cal)
    assert f.message == "本案属于重大执法决定，决定作出前未经法制审核，违反《行政处罚法》第五十八条。"
    c["events"].insert(5, ev("legal_review", "2025-03-20", passed=False))
    assert "法制审核未通过" in rv.dec_legal_review(c, cal).message
    c["events"][5]["passed"] = True  # same day as the decision: in time
    assert rv.dec_legal_review(c, cal) is None
    late = general(decision=penalty(major=True), after=[ev("legal_review", "2025-03-22")])
    assert "法制审核（2025-03-22）晚于决定（2025-03-20）" in rv.dec_legal_review(late, cal).message
    heard = general(before_decision=[ev("hearing_held", "2025-03-17")])
    assert rv.dec_legal_review(heard, cal).message.startswith("本案经过听证")
    assert rv.dec_legal_review(general(), cal) is None  # neither major nor heard


def test_dec_collective(cal):
    c = general(decision=penalty(major=True), before_decision=[ev("legal_review", "2025-03-18")])
    assert rv.dec_collective(c, cal).message == (
        "本案属于重大执法决定，作出决定前未经负责人集体讨论，违反《行政处罚法》第五十七条第二款。"
    )
    c = general(decision=penalty(major=True), before_decision=[ev("collective_discussion", "2025-03-20")])
    c["events"].sort(key=lambda e: (e["date"], e["type"] != "collective_discussion"))
    assert rv.dec_collective(c, cal) is None
    assert rv.dec_collective(general(), cal) is None


# -- PEN: simple procedure --------------------------------------------------------------------


def _simple(fine=100, penalties=("warning", "fine"), kind="individual", **decided):
    served = decided.pop("served", "2025-05-13")
    d = {"on_spot": True, "party_present": True, **decided}
    events = [ev("discovered", "2025-05-13"), ev("decided", "2025-05-13", actors=["O1", "O2"], **d)]
    if served:
        events.append(ev("served", served))
    return case(
        events,
        procedure="simple",
        decision=penalty(fine, penalties),
        party={"kind": kind, "name": "某某"},
        roles={"handler": "O1", "legal_reviewer": None, "decider": None},
    )


@pytest.mark.parametrize(
    "fine,kind,penalties,finding",
    [
        (200, "individual", ("fine",), False),
        (201, "individual", ("fine",), True),
        (500, "individual", ("warning", "fine"), True),
        (3000, "organisation", ("fine",), False),
        (3001, "organisation", ("fine",), True),
        (0, "individual", ("warning",), False),
        (0, "individual", ("confiscate_property",), True),
    ],
)
def test_pen_simple_limit(cal, fine, kind, penalties, finding):
    c = _simple(fine, penalties, kind)
    f = rv.pen_simple_limit(c, cal)
    assert (f is not None) == finding
    if f and fine:
        assert f"罚款{fine}元" in f.message and "第五十一条" in f.message


def test_pen_simple_limit_message(cal):
    f = rv.pen_simple_limit(_simple(5000, ("fine",), "organisation"), cal)
    assert f.message == (
        "当场处罚决定对法人或其他组织处以罚款5000元，超出《行政处罚法》第五十一条规定的简易程序适用范围"
        "（公民二百元、法人或其他组织三千元以下罚款或警告）。"
    )


def test_pen_simple_onspot(cal):
    assert rv.pen_simple_onspot(_simple(), cal) is None
    f = rv.pen_simple_onspot(_simple(on_spot=False), cal)
    assert f.message.startswith(
        "适用简易程序的处罚决定未当场作出并当场交付当事人（决定2025-05-13，送达2025-05-13）"
    )
    assert rv.pen_simple_onspot(_simple(party_present=False), cal) is not None
    c = _simple(served="2025-05-16")
    assert "送达2025-05-16" in rv.pen_simple_onspot(c, cal).message
    c = _simple(served=None)
    assert "送达无记录" in rv.pen_simple_onspot(c, cal).message
    c["as_of"] = "2025-05-13"  # the same day: the form may still be handed over
    assert rv.pen_simple_onspot(c, cal) is None
    del c["events"][1]["on_spot"]  # missing on_spot is not "on_spot: true"
    assert rv.pen_simple_onspot(c, cal) is not None


# -- PEN: notice, statement period, hearing ---------------------------------------------------


def test_pen_prior_notice(cal):
    assert rv.pen_prior_notice(general(), cal) is None
    f = rv.pen_prior_notice(general(notice=None), cal)
    assert (
        f.message
        == "作出行政处罚决定前未向当事人送达行政处罚事先告知书，违反《行政处罚法》第四十四条、第六十二条。"
    )
    nop = general(notice=None, decision=penalty(0, (), kind="no_penalty"))
    assert rv.pen_prior_notice(nop, cal) is None


@pytest.mark.parametrize(
    "notice,days,hearing,decided,finding",
    [
        ("2025-09-26", 5, False, "2025-10-10", True),  # last day of the period (国庆)
        ("2025-09-26", 5, False, "2025-10-11", False),  # 调休 Saturday, day after
        ("2026-02-09", 3, True, "2026-02-13", True),  # hearing right raises to 5 → 2026-02-14
        ("2026-02-09", 3, True, "2026-02-24", False),
        ("2026-02-09", 3, False, "2026-02-13", False),  # 3 working days end 02-12
    ],
)
def test_pen_statement_period(cal, notice, days, hearing, decided, finding):
    c = general(
        notice=notice, decided=decided, served=None, filed="2025-09-01" if notice < "2026" else "2026-01-20"
    )
    c["events"][3].update(statement_days=days, hearing_right=hearing)
    f = rv.pen_statement_period(c, cal)
    assert (f is not None) == finding


def test_pen_statement_period_message_and_waiver(cal):
    c = general(notice="2025-09-26", decided="2025-10-10", served=None, filed="2025-09-01")
    c["events"][3]["statement_days"] = 5
    assert rv.pen_statement_period(c, cal).message == (
        "事先告知书于2025-09-26送达，陈述申辩期限至2025-10-10届满，2025-10-10即作出处罚决定，"
        "违反《行政处罚法》第四十五条、第六十二条、第六十四条、第八十五条。"
    )
    c["events"].insert(4, ev("statement_received", "2025-09-30", waived=True))
    assert rv.pen_statement_period(c, cal) is None
    c["events"][4]["waived"] = False
    assert rv.pen_statement_period(c, cal) is not None


def test_pen_statement_period_uses_latest_notice(cal):
    c = general(notice="2025-09-01", decided="2025-10-10", served=None, filed="2025-08-20")
    c["events"].insert(4, ev("notice_served", "2025-09-29", statement_days=5))
    assert "2025-09-29送达" in rv.pen_statement_period(c, cal).message


def _hearing_case(requested, held=None):
    before = [ev("hearing_requested", requested)]
    if held:
        before.append(ev("hearing_held", held))
    c = general(
        notice="2025-09-29", decided="2025-10-20", served=None, filed="2025-09-16", before_decision=before
    )
    c["events"][3].update(statement_days=5, hearing_right=True)
    return c


def test_pen_hearing(cal):
    f = rv.pen_hearing(_hearing_case("2025-10-13"), cal)  # 5th working day, 14 calendar days later
    assert f.message == (
        "当事人于2025-10-13（告知后第5个工作日，在法定五日内）要求听证，行政机关未组织听证即作出处罚决定，"
        "违反《行政处罚法》第六十三条、第六十四条。"
    )
    assert rv.pen_hearing(_hearing_case("2025-10-14"), cal) is None  # 6th working day: late
    assert rv.pen_hearing(_hearing_case("2025-10-13", held="2025-10-17"), cal) is None
    c = _hearing_case("2025-10-13")
    c["events"][3]["hearing_right"] = False  # no hearing offered: nothing to request
    assert rv.pen_hearing(c, cal) is None


# -- PEN: time limits -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "filed,decided,finding",
    [
        ("2025-04-01", "2025-06-30", False),
        ("2025-04-01", "2025-07-01", True),
        ("2025-07-03", "2025-10-01", False),
    ],
)
def test_pen_decision_90d(cal, filed, decided, finding):
    c = general(filed=filed, notice=None, decided=decided, served=None)
    assert (rv.pen_decision_90d(c, cal) is not None) == finding


def test_pen_decision_90d_open_case(cal):
    c = general(filed="2025-04-01", notice=None, decided=None, served=None, decision=None)
    f = rv.pen_decision_90d(c, cal)
    assert f.message == (
        "案件于2025-04-01立案，至2026-06-30仍未作出决定，超过立案之日起九十日（2025-06-30届满），违反《行政处罚法》第六十条。"
    )
    c["as_of"] = "2025-06-30"
    assert rv.pen_decision_90d(c, cal) is None  # still running on as_of
    c["as_of"] = "2026-06-30"
    c["events"].append(ev("closed", "2025-05-01"))
    assert rv.pen_decision_90d(c, cal) is None  # closed without a decision


def test_pen_limitation(cal):
    c = general(
        discovered="2025-11-18", filed="2025-11-18", notice="2025-11-20", decided="2025-12-01", served=None
    )
    c["violation"]["ended"] = "2023-11-20"
    assert rv.pen_limitation(c, cal) is None
    c["violation"]["ended"] = "2023-11-17"
    assert rv.pen_limitation(c, cal).message == (
        "违法行为于2023-11-17终了，2025-11-18才被发现，已超过《行政处罚法》第三十六条规定的2年追责时效，"
        "不应再给予行政处罚。"
    )
    c["violation"]["grave_harm"] = True
    assert rv.pen_limitation(c, cal) is None
    c["violation"]["ended"] = None  # continuing
    assert rv.pen_limitation(c, cal) is None
    c["violation"]["ended"] = "2020-01-01"
    c["decision"] = penalty(0, (), kind="no_penalty")  # correctly not penalised
    assert rv.pen_limitation(c, cal) is None


@pytest.mark.parametrize(
    "decided,served,finding",
    [
        ("2025-09-30", "2025-10-16", False),  # 7th working day across 国庆
        ("2025-09-30", "2025-10-17", True),
        ("2026-02-12", "2026-02-28", False),  # 调休 Saturday
        ("2026-02-12", "2026-03-02", True),
    ],
)
def test_pen_service_7wd(cal, decided, served, finding):
    c = general(decided=decided, served=served, notice=None, filed=None)
    assert (rv.pen_service_7wd(c, cal) is not None) == finding


def test_pen_service_7wd_present_party_and_open(cal):
    c = general(decided="2025-09-30", served="2025-10-16", notice=None, filed=None)
    c["events"][2]["party_present"] = True
    assert "当事人在场，应当场交付决定书，实际于2025-10-16送达" in rv.pen_service_7wd(c, cal).message
    c = general(decided="2025-09-30", served=None, notice=None, filed=None, as_of="2025-10-16")
    assert rv.pen_service_7wd(c, cal) is None
    c["as_of"] = "2025-10-17"
    assert rv.pen_service_7wd(c, cal).message == (
        "处罚决定于2025-09-30作出，当事人不在场，应于2025-10-16前（七个工作日）送达，实际至今未送达，"
        "违反《行政处罚法》第六十一条、第八十五条。"
    )
    simple = _simple()
    assert rv.pen_service_7wd(simple, cal) is None  # general procedure only


@pytest.mark.parametrize(
    "decided,disclosed,finding",
    [
        ("2026-02-11", "2026-02-27", False),
        ("2026-02-11", "2026-02-28", True),
        ("2026-02-13", "2026-03-02", False),
        ("2026-02-13", "2026-03-03", True),
        ("2025-08-05", None, True),
    ],
)
def test_pen_disclose_7wd(cal, decided, disclosed, finding):
    after = [ev("disclosed", disclosed)] if disclosed else []
    c = general(decided=decided, served=decided, notice=None, filed=None, after=after)
    f = rv.pen_disclose_7wd(c, cal)
    assert (f is not None) == finding
    if f:
        assert f.severity == "warning" and "国办发〔2018〕118号" in f.message
        assert f"实际{disclosed or '至今未'}公示" in f.message


def test_pen_disclose_not_for_no_penalty(cal):
    c = general(decided="2025-08-05", notice=None, decision=penalty(0, (), kind="no_penalty"))
    assert rv.pen_disclose_7wd(c, cal) is None


# -- PEN: decision content --------------------------------------------------------------------


def test_pen_discretion(cal):
    c = general(decision=penalty(25000, benchmark={"min": 5000, "max": 20000}))
    assert rv.pen_discretion(c, cal).message == (
        "罚款25000元超出裁量基准“一般”档5000至20000元的幅度，且未说明理由，违反《行政处罚法》第三十四条及裁量基准规定。"
    )
    c["decision"]["fine"] = 20000
    assert rv.pen_discretion(c, cal) is None
    c["decision"]["fine"] = 4000
    assert rv.pen_discretion(c, cal) is not None
    c["decision"]["deviation_reason"] = "依照第三十二条从轻处罚"
    assert rv.pen_discretion(c, cal) is None
    c["decision"]["deviation_reason"] = "  "
    assert rv.pen_discretion(c, cal) is not None
    c["decision"]["benchmark"] = None
    assert rv.pen_discretion(c, cal) is None


def test_pen_first_violation(cal):
    d = penalty(300, first_violation=True, corrected_in_time=True, circumstance="minor")
    f = rv.pen_first_violation(general(decision=d), cal)
    assert f.severity == "warning"
    assert f.message.endswith("本案仍给予罚款300元。") and "第三十三条" in f.message
    for key, value in (("first_violation", False), ("corrected_in_time", False), ("circumstance", "general")):
        d2 = dict(d, **{key: value})
        assert rv.pen_first_violation(general(decision=d2), cal) is None
    nop = general(decision=penalty(0, (), kind="no_penalty", first_violation=True, corrected_in_time=True))
    assert rv.pen_first_violation(nop, cal) is None


def test_pen_remedy_notice(cal):
    assert rv.pen_remedy_notice(general(), cal) is None
    c = general(decision=penalty(remedy_notice=None))
    assert rv.pen_remedy_notice(c, cal).message.startswith(
        "行政处罚决定书未载明申请行政复议、提起行政诉讼的途径和期限"
    )
    c["decision"]["remedy_notice"] = {
        "reconsideration_body": "县人民政府",
        "reconsideration_days": 60,
        "court": "县人民法院",
        "litigation_months": 3,
    }
    f = rv.pen_remedy_notice(c, cal)
    assert "错误载明（起诉期限写为3个月）" in f.message and "第五十九条" in f.message
    c["decision"]["remedy_notice"].update(litigation_months=6, court="")
    assert "未写明管辖法院" in rv.pen_remedy_notice(c, cal).message
    simple = _simple()
    simple["decision"]["remedy_notice"] = None
    assert "第五十二条" in rv.pen_remedy_notice(simple, cal).message


def test_pen_surcharge(cal):
    # served 2025-10-13 → due 10-28; paid 11-07 = 10 days overdue → at most 300 on 1000
    def mk(surcharge, paid="2025-11-07", fine=1000):
        after = [ev("paid", paid, amount=fine, surcharge=surcharge)]
        return general(
            filed="2025-09-01", notice="2025-09-15", decided="2025-10-10", served="2025-10-13",
            decision=penalty(fine), after=after,
        )  # fmt: skip

    assert rv.pen_surcharge(mk(300), cal) is None
    assert rv.pen_surcharge(mk(300.01), cal) is not None
    assert rv.pen_surcharge(mk(1500), cal).message == (
        "罚款1000元，缴款期限2025-10-28届满，至2025-11-07逾期10日，依法加处罚款最多300元，实际加处1500元，"
        "违反《行政处罚法》第七十二条、《行政强制法》第四十五条。"
    )
    assert rv.pen_surcharge(mk(1, paid="2025-10-28"), cal) is not None  # not yet overdue
    assert rv.pen_surcharge(mk(1000, paid="2026-01-20"), cal) is None  # the cap equals the fine
    assert rv.pen_surcharge(mk(1000.5, paid="2026-01-20"), cal) is not None


def test_pen_surcharge_on_court_application(cal):
    c = general(
        filed="2025-01-02", notice="2025-01-06", decided="2025-01-10", served="2025-01-14",
        decision=penalty(5000), after=[ev("court_application", "2025-09-01", amount=5000, surcharge=6000)],
    )  # fmt: skip
    f = rv.pen_surcharge(c, cal)
    assert "缴款期限2025-02-05届满" in f.message and "最多5000元，实际加处6000元" in f.message


# -- COE --------------------------------------------------------------------------------------


def _seizure(ended=None, ext=None):
    events = [ev("discovered", "2025-08-01"), ev("seizure_started", "2025-08-04")]
    if ext:
        events.append(ext)
    if ended:
        events.append(ev("seizure_ended", ended))
    return case(
        events, procedure="coercive", roles={"handler": "O1", "legal_reviewer": None, "decider": "L1"}
    )


def test_coe_seizure_30d(cal):
    assert rv.coe_seizure_30d(_seizure("2025-09-03"), cal) is None
    f = rv.coe_seizure_30d(_seizure("2025-09-04"), cal)
    assert f.message == (
        "扣押自2025-08-04起，至2025-09-04共31日，超过《行政强制法》第二十五条规定的三十日期限"
        "（延长须经负责人批准且不超过三十日）。"
    )
    assert "仍未解除" in rv.coe_seizure_30d(_seizure(), cal).message
    c = _seizure()
    c["as_of"] = "2025-09-03"
    assert rv.coe_seizure_30d(c, cal) is None


def test_coe_seizure_extension(cal):
    ok = ev("seizure_extended", "2025-09-03", days=30)
    assert rv.coe_seizure_30d(_seizure("2025-10-03", ok), cal) is None
    assert rv.coe_seizure_30d(_seizure("2025-10-04", ok), cal) is not None
    late = ev("seizure_extended", "2025-09-04", days=30)
    assert "已超过三十日期限" in rv.coe_seizure_30d(_seizure("2025-09-20", late), cal).message
    too_long = ev("seizure_extended", "2025-09-01", days=31)
    assert "延长31日超过三十日" in rv.coe_seizure_30d(_seizure("2025-09-20", too_long), cal).message
    unapproved = ev("seizure_extended", "2025-09-01", approved_by=None)
    assert "未经负责人批准" in rv.coe_seizure_30d(_seizure("2025-09-20", unapproved), cal).message


def _demolition(executed, served="2025-03-11", notice=("2025-09-15", "2025-09-25"), remedy=True):
    events = [ev("discovered", "2025-02-24"), ev("filed", "2025-02-25"), ev("decided", "2025-03-10")]
    if served:
        events.append(ev("served", served))
    if notice:
        events.append(ev("demolition_notice", notice[0], deadline=notice[1]))
    events.append(ev("demolition_executed", executed))
    events.sort(key=lambda e: e["date"])
    dec = demolition_order() if remedy else demolition_order(remedy_notice=None)
    return case(events, procedure="coercive", decision=dec)


def test_coe_demolition_notice(cal):
    assert rv.coe_demolition_notice(_demolition("2025-10-20"), cal) is None
    assert rv.coe_demolition_notice(_demolition("2025-09-25"), cal) is not None  # deadline not passed
    assert rv.coe_demolition_notice(_demolition("2025-09-26"), cal) is None
    assert rv.coe_demolition_notice(_demolition("2025-10-20", notice=None), cal).message == (
        "强制拆除前未予公告并限期当事人自行拆除（或公告期限未届满即拆除），违反《行政强制法》第四十四条。"
    )
    assert rv.coe_demolition_notice(_demolition("2025-10-20", notice=("2025-09-15", None)), cal) is not None


def test_coe_demolition_remedy(cal):
    # served 2025-03-11 → L = 2025-09-11 (a Thursday)
    assert rv.coe_demolition_remedy(_demolition("2025-09-12", notice=None), cal) is None
    f = rv.coe_demolition_remedy(_demolition("2025-09-11", notice=None), cal)
    assert f.message == (
        "限期拆除决定于2025-03-11送达，当事人申请复议、提起诉讼的期限至2025-09-11届满，2025-09-11即实施强制拆除，"
        "违反《行政强制法》第四十四条。"
    )
    # without a complete remedy notice the period is one year
    f = rv.coe_demolition_remedy(_demolition("2025-10-20", remedy=False), cal)
    assert "期限至2026-03-11届满" in f.message
    assert "未送达" in rv.coe_demolition_remedy(_demolition("2025-10-20", served=None), cal).message
    # 2025-04-01 + 6 months = 10-01 (国庆) → rolled to 10-09: demolition on 10-09 is premature
    assert rv.coe_demolition_remedy(_demolition("2025-10-09", served="2025-04-01", notice=None), cal)
    assert rv.coe_demolition_remedy(_demolition("2025-10-10", served="2025-04-01", notice=None), cal) is None


def _court(applied, served="2025-01-14", reminder="2025-08-01", remedy=True):
    after = []
    if reminder:
        after.append(ev("reminder_served", reminder))
    after.append(ev("court_application", applied))
    d = penalty(1000) if remedy else penalty(1000, remedy_notice=None)
    return general(
        filed="2025-01-02", notice="2025-01-06", decided="2025-01-10", served=served, decision=d, after=after
    )


@pytest.mark.parametrize(
    "applied,finding",
    [("2025-07-14", True), ("2025-07-15", False), ("2025-10-14", False), ("2025-10-15", True)],
)
def test_coe_court_window(cal, applied, finding):
    assert (rv.coe_court_window(_court(applied, reminder="2025-06-01"), cal) is not None) == finding


def test_coe_court_window_messages(cal):
    f = rv.coe_court_window(_court("2025-11-20"), cal)
    assert f.message == (
        "处罚决定于2025-01-14送达，起诉期限至2025-07-14届满，申请法院强制执行的期间为2025-07-14后至2025-10-14，"
        "实际于2025-11-20申请，违反《行政强制法》第五十三条及最高人民法院行政诉讼法解释第一百五十六条。"
    )
    f = rv.coe_court_window(_court("2025-12-15", served="2025-04-28", remedy=False), cal)
    assert "起诉期限至2026-04-28届满" in f.message  # one year without remedy notice: premature
    assert rv.coe_court_window(_court("2025-12-15", served=None), cal).message.startswith("决定未送达当事人")


def test_coe_court_reminder(cal):
    # reminder 2026-02-09 → 10 working days end 2026-02-28 (春节, two 调休 Saturdays)
    def mk(applied, reminder="2026-02-09"):
        c = _court(applied, served="2025-09-01", reminder=reminder)
        return c

    assert rv.coe_court_reminder(mk("2026-03-02"), cal) is None
    f = rv.coe_court_reminder(mk("2026-02-27"), cal)
    assert f.message == (
        "催告书于2026-02-09送达，十个工作日至2026-02-28届满，2026-02-27即申请法院强制执行，"
        "违反《行政强制法》第五十四条、第六十九条。"
    )
    assert rv.coe_court_reminder(mk("2026-02-28"), cal) is not None
    assert "前未送达催告书" in rv.coe_court_reminder(mk("2026-03-02", reminder=None), cal).message


# -- review_case ------------------------------------------------------------------------------


def test_review_case_sorted_and_one_per_rule(cal):
    c = general(decided="2025-03-12", served="2025-04-30", notice="2025-03-10", decision=penalty(major=True))
    c["events"][2]["actors"] = ["O1"]
    c["events"].append(ev("investigated", "2025-05-01", actors=["O2"]))
    codes = [f.rule for f in rv.review_case(c, cal)]
    assert codes == sorted(codes) and len(codes) == len(set(codes))
    assert {
        "DEC-COLLECTIVE",
        "DEC-LEGAL-REVIEW",
        "OFF-MIN-TWO",
        "PEN-SERVICE-7WD",
        "PEN-STATEMENT-PERIOD",
    } <= set(codes)


def test_rule_registry_is_complete():
    assert len(rv.RULES) == 25
    warnings = {code for code, r in rv.RULES.items() if r.severity == "warning"}
    assert warnings == {"PEN-DISCLOSE-7WD", "PEN-FIRST-VIOLATION"}
    for r in rv.RULES.values():
        assert r.title


def test_rules_do_not_mutate_the_case(cal, dev_cases):
    before = copy.deepcopy(dev_cases)
    rv.review_cases(dev_cases, cal)
    assert dev_cases == before
