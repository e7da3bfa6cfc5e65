"""Rights asked through the role table (`roles.CAPABILITIES`) answer, for every role, as the
direct role comparisons they replaced did (issue 13): the old expressions are written out here
from the role constants, and every role, with and without a superuser account, is tried."""

from __future__ import annotations

import itertools
from types import SimpleNamespace

import pytest

from zhifa.cases.actions.opening import _report_source
from zhifa.org import roles
from zhifa.org.models import User
from zhifa.rules import casefile as cf
from zhifa.supervision import services as letters
from zhifa.supervision.models import Letter
from zhifa.supervision.oversight import clue_answer_refusal

R = roles
ROLES = [r for r, _ in R.CHOICES]
USERS = [
    pytest.param(role, su, id=f"{role}{'-superuser' if su else ''}")
    for role, su in itertools.product(ROLES, (False, True))
]


def user(role: str, superuser: bool, township_id: int | None = None) -> User:
    return User(role=role, is_superuser=superuser, is_active=True, township_id=township_id)


def test_every_role_and_both_account_kinds_are_tried():
    assert len(ROLES) == len(set(ROLES)) == 14
    assert len(USERS) == 28


@pytest.mark.parametrize(("role", "su"), USERS)
def test_remedies(role, su):
    u = user(role, su)
    old = (
        u.can("cases.assist")
        or u.can("cases.decide")
        or u.role == R.TOWNSHIP_ADMIN
        or u.can("supervision.review")
    )
    assert u.can("supervision.remedies") == old


@pytest.mark.parametrize(("role", "su"), USERS)
def test_sending_clues(role, su):
    u = user(role, su)
    old_from = not (u.role != R.PROCURATOR and not u.is_superuser)
    old_to = u.role in (R.TOWNSHIP_ADMIN, R.DECIDER, R.SUPERVISOR) or u.is_superuser
    assert u.can("supervision.procuratorate_clues") == old_from
    assert u.can("supervision.clue_to_procuratorate") == old_to


def old_answer_refusal(u, receiver_is_procuratorate: bool) -> str | None:
    if receiver_is_procuratorate != (u.role == R.PROCURATOR) and not u.is_superuser:
        return "只有接收方可以登记线索办理情况。"
    if not receiver_is_procuratorate and u.role not in (R.TOWNSHIP_ADMIN, R.DECIDER):
        return "只有乡镇（街道）负责人可以登记线索办理情况。"
    return None


@pytest.mark.parametrize(("role", "su"), USERS)
@pytest.mark.parametrize("to_procuratorate", [True, False])
def test_answering_clues(role, su, to_procuratorate):
    u = user(role, su)
    assert clue_answer_refusal(u, to_procuratorate) == old_answer_refusal(u, to_procuratorate)


@pytest.mark.parametrize(("role", "su"), USERS)
@pytest.mark.parametrize("township_id", [None, 7])
def test_procuratorate_page(role, su, township_id):
    u = user(role, su, township_id)
    old_enter = u.role in (R.PROCURATOR, R.SUPERVISOR, R.ADMIN) or u.township_id or u.is_superuser
    old_is_procurator = u.role == R.PROCURATOR
    old_can_send = old_is_procurator or u.role in (R.TOWNSHIP_ADMIN, R.DECIDER, R.SUPERVISOR)
    is_procurator = R.has_capability(u, "supervision.procuratorate_clues", role_only=True)
    assert bool(u.can("supervision.procuratorate_page") or u.township_id) == bool(old_enter)
    assert is_procurator == old_is_procurator
    assert (
        is_procurator or R.has_capability(u, "supervision.clue_to_procuratorate", role_only=True)
    ) == old_can_send


OLD_ISSUER_ROLE = {
    Letter.SUPERVISION: R.SUPERVISOR,
    Letter.RECTIFICATION: R.SUPERVISOR,
    Letter.PROCURATORIAL: R.PROCURATOR,
}


def test_every_letter_kind_has_its_issue_capability_and_one_issuer_label():
    assert set(letters.ISSUE_CAPABILITY) == set(OLD_ISSUER_ROLE) == {k for k, _ in Letter.KIND_CHOICES}
    for kind, capability in letters.ISSUE_CAPABILITY.items():
        assert capability in R.CAPABILITIES
        assert R.holders(capability) == [OLD_ISSUER_ROLE[kind]]


@pytest.mark.parametrize(("role", "su"), USERS)
@pytest.mark.parametrize("kind", list(OLD_ISSUER_ROLE))
def test_issuing_and_assessing_letters(role, su, kind):
    u = user(role, su)
    assert u.can(letters.ISSUE_CAPABILITY[kind]) == (u.is_superuser or u.role == OLD_ISSUER_ROLE[kind])


@pytest.mark.parametrize(("role", "su"), USERS)
def test_absent_departments_page(role, su):
    u = user(role, su)
    assert u.can("dispatch.absent") == (u.is_superuser or u.role in R.COUNTY_ROLES)


@pytest.mark.parametrize(("role", "su"), USERS)
def test_case_step_forms(role, su):
    u = user(role, su)
    old_none = u.role == "procurator" or not any(
        u.can(c) for c in ("cases.assist", "cases.decide", "cases.legal_review")
    )
    assert (R.reads_only(u) or not u.can("cases.steps")) == old_none


def old_report_source(report) -> str:
    if report.source in cf.DISCOVERY_SOURCES:
        return report.source
    if report.channel == "hotline":
        return "12345热线"
    role = getattr(report.reported_by, "role", "")
    if role == "grid_worker":
        return "网格员上报"
    if role in ("patroller", "officer", "seconded_officer", "auxiliary"):
        return "巡查发现"
    return "群众举报"


@pytest.mark.parametrize("channel", ["app", "hotline"])
@pytest.mark.parametrize("reporter", [*ROLES, None])
def test_report_source_by_the_reporters_role(reporter, channel):
    report = SimpleNamespace(
        source="", channel=channel, reported_by=None if reporter is None else user(reporter, False)
    )
    assert _report_source(report) == old_report_source(report)


def test_report_sources_cover_every_answer():
    answers = {
        _report_source(SimpleNamespace(source="", channel="app", reported_by=user(r, False))) for r in ROLES
    }
    assert answers == {"网格员上报", "巡查发现", "群众举报"}


def test_a_role_only_question_ignores_the_superuser_flag_but_not_an_inactive_account():
    su = user(R.ADMIN, True)
    assert su.can("supervision.answer_clue")
    assert not R.has_capability(su, "supervision.answer_clue", role_only=True)
    leader = user(R.DECIDER, False)
    assert R.has_capability(leader, "supervision.answer_clue", role_only=True)
    leader.is_active = False
    assert not R.has_capability(leader, "supervision.answer_clue", role_only=True)
