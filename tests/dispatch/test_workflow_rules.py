"""The pure transition table and step time limits (no database)."""

from __future__ import annotations

import datetime as dt

import pytest

from zhifa.rules import dispatch_workflow as wf
from zhifa.rules.workdays import CalendarGapError, from_chinese_calendar


@pytest.fixture(scope="module")
def cal():
    return from_chinese_calendar(2025, 2026)


@pytest.mark.parametrize(
    ("state", "action", "actor", "to"),
    [
        (wf.RECEIVED, wf.ROUTE, wf.DISPATCHER, wf.ROUTED),
        (wf.ROUTED, wf.ACCEPT, wf.HANDLER, wf.HANDLING),
        (wf.ROUTED, wf.RETURN, wf.HANDLER, wf.RECEIVED),
        (wf.HANDLING, wf.START_JOINT, wf.HANDLER, wf.JOINT),
        (wf.JOINT, wf.FINISH, wf.HANDLER, wf.VERIFYING),
        (wf.VERIFYING, wf.CLOSE, wf.DISPATCHER, wf.CLOSED),
        (wf.VERIFYING, wf.REOPEN, wf.DISPATCHER, wf.HANDLING),
        (wf.CLOSED, wf.REOPEN, wf.DISPATCHER, wf.HANDLING),
        (wf.CLOSED, wf.ARCHIVE, wf.DISPATCHER, wf.ARCHIVED),
        (wf.HANDLING, wf.HOLD, wf.HANDLER, wf.HELD),
        (wf.HELD, wf.RESUME, wf.DISPATCHER, wf.HANDLING),
        (wf.HANDLING, wf.REQUEST_EXTENSION, wf.HANDLER, None),
        (wf.HANDLING, wf.APPROVE_EXTENSION, wf.DISPATCHER, None),
        (wf.RECEIVED, wf.SPLIT_ACTION, wf.DISPATCHER, wf.SPLIT),
        (wf.ROUTED, wf.MERGE, wf.DISPATCHER, wf.MERGED),
        (wf.HANDLING, wf.URGE, wf.SYSTEM, None),
    ],
)
def test_allowed(state, action, actor, to):
    assert wf.check(state, action, {actor}).to == to


@pytest.mark.parametrize(
    ("state", "action", "actor", "message"),
    [
        (wf.RECEIVED, wf.CLOSE, wf.DISPATCHER, "不能核查回访通过，办结"),
        (wf.ARCHIVED, wf.REOPEN, wf.DISPATCHER, "已归档"),
        (wf.ROUTED, wf.ACCEPT, wf.DISPATCHER, "只有承办单位可以签收"),
        (wf.HANDLING, wf.APPROVE_EXTENSION, wf.HANDLER, "只有调度员可以批准延期"),
        (wf.MERGED, wf.ROUTE, wf.DISPATCHER, "已合并"),
        (wf.HELD, wf.FINISH, wf.HANDLER, "挂账"),
    ],
)
def test_refused(state, action, actor, message):
    with pytest.raises(wf.TransitionRefused, match=message):
        wf.check(state, action, {actor})


def test_reason_required_for_return_hold_and_reopen():
    assert wf.TRANSITIONS[(wf.ROUTED, wf.RETURN)].reason_required
    assert wf.TRANSITIONS[(wf.HANDLING, wf.HOLD)].reason_required
    assert wf.TRANSITIONS[(wf.CLOSED, wf.REOPEN)].reason_required
    assert not wf.TRANSITIONS[(wf.ROUTED, wf.ACCEPT)].reason_required


def test_every_rule_targets_a_known_state():
    for (state, action), rule in wf.TRANSITIONS.items():
        assert state in wf.STATE_LABELS and action in wf.ACTION_LABELS
        assert rule.to is None or rule.to in wf.STATE_LABELS
    assert wf.allowed_actions(wf.ROUTED, {wf.HANDLER}) == [wf.ACCEPT, wf.RETURN]


def test_workdays_skip_the_national_day_holiday(cal):
    tz = dt.timezone(dt.timedelta(hours=8))
    start = dt.datetime(2026, 9, 30, 10, 0, tzinfo=tz)  # Wednesday before 1–7 October
    due = wf.due_at(start, wf.Limit(2, wf.WORKDAYS), cal)
    # 8 October (Thu) is the first working day after the holiday, 9 October the second.
    assert due == dt.datetime(2026, 10, 9, 17, 30, tzinfo=tz)
    # The adjusted working Saturday 10 October counts.
    assert wf.due_at(start, wf.Limit(3, wf.WORKDAYS), cal).date() == dt.date(2026, 10, 10)


def test_work_hours_count_only_sessions(cal):
    start = dt.datetime(2026, 9, 30, 16, 30)
    # 1 hour left on 30 September, then the holiday, then 8:30–11:30 on 8 October.
    assert wf.due_at(start, wf.Limit(4, wf.WORKHOURS), cal) == dt.datetime(2026, 10, 8, 11, 30)
    # Lunch break is not counted.
    assert wf.due_at(dt.datetime(2026, 9, 29, 11, 0), wf.Limit(2, wf.WORKHOURS), cal) == dt.datetime(
        2026, 9, 29, 14, 30
    )
    # Started before office hours: counting begins at 8:30.
    assert wf.due_at(dt.datetime(2026, 9, 29, 6, 0), wf.Limit(1, wf.WORKHOURS), cal) == dt.datetime(
        2026, 9, 29, 9, 30
    )


def test_plain_hours_and_gaps(cal):
    start = dt.datetime(2026, 10, 1, 8, 0)
    assert wf.due_at(start, wf.Limit(24, wf.HOURS), cal) == dt.datetime(2026, 10, 2, 8, 0)
    with pytest.raises(CalendarGapError):
        wf.due_at(dt.datetime(2026, 12, 30, 9, 0), wf.Limit(5, wf.WORKDAYS), cal)
    with pytest.raises(ValueError, match="时限单位"):
        wf.due_at(start, wf.Limit(1, "weeks"), cal)


def test_defaults_and_escalation_labels():
    assert wf.default_limit(wf.HANDLING).label() == "5个工作日"
    assert wf.default_limit(wf.ROUTED, wf.EMERGENCY).label() == "1小时"
    assert wf.escalation_label(0) == "承办单位"
    assert wf.escalation_label(9) == "县政府分管领导"


def test_duplicate_measures():
    long = "幸福路与人民路交叉口早上七点有十几个流动菜摊占道经营，行人只能走机动车道"
    assert wf.text_similarity(long, "幸福路人民路口流动菜摊占道经营，堵住了人行道") >= wf.DUPLICATE_SIMILARITY
    assert wf.text_similarity(long, "小区路灯坏了三天了") < 0.1
    assert wf.text_similarity("", "x") == 0.0
    assert 17 < wf.distance_m(112.8, 35.88, 112.8002, 35.88) < 19
