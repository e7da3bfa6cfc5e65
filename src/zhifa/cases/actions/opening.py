"""Opening a case: directly (patrol, inspection, a department's transfer) or from a report the
dispatch routed to the township."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from zhifa.cases.actions import _gate as G
from zhifa.cases.actions._gate import StepRefused
from zhifa.cases.models import Case, CaseEvent
from zhifa.cases.services import refresh_findings, to_casefile
from zhifa.org import roles
from zhifa.rules import casefile as cf
from zhifa.rules import procedure as P


def _next_number(township, year: int) -> str:
    prefix = f"{township.code}-{year}-"
    nums = [
        int(n[len(prefix) :])
        for n in Case.objects.filter(number__startswith=prefix).values_list("number", flat=True)
        if n[len(prefix) :].isdigit()
    ]
    return f"{prefix}{max(nums, default=0) + 1:04d}"


def _violation(v: Any, opened_on: dt.date) -> tuple[dict[str, Any] | None, list[str]]:
    """The violation's dates parsed and checked (never compared as text)."""
    from zhifa.cases.steps import parse_iso_date

    if v in (None, {}):
        return None, []
    if not isinstance(v, dict):
        return None, [
            "违法行为（violation）：应为对象，含began、ended（日期YYYY-MM-DD或null）和grave_harm（true/false）。"
        ]
    problems: list[str] = []
    unknown = sorted(set(v) - {"began", "ended", "grave_harm"})
    if unknown:
        problems.append(f"违法行为（violation）：不认识的字段{'、'.join(map(str, unknown))}。")
    began = ended = None
    try:
        began = parse_iso_date(v.get("began"), "违法行为开始日期", "violation.began")
    except StepRefused as exc:
        problems += exc.messages
    if v.get("ended") not in (None, ""):
        try:
            ended = parse_iso_date(v.get("ended"), "违法行为结束日期", "violation.ended")
        except StepRefused as exc:
            problems += exc.messages
    grave = v.get("grave_harm", False)
    if not isinstance(grave, bool):
        problems.append("违法行为（violation.grave_harm）：应为true或false。")
    if began and began > opened_on:
        problems.append(f"违法行为开始日期（violation.began）{began}晚于受理日期{opened_on}。")
    if began and ended and ended < began:
        problems.append(f"违法行为结束日期（violation.ended）{ended}早于开始日期{began}。")
    if problems:
        return None, problems
    return {
        "began": began.isoformat(),
        "ended": ended.isoformat() if ended else None,
        "grave_harm": grave,
    }, []


def do_open_case(
    user,
    *,
    item_code: str,
    procedure: str,
    party: dict[str, Any],
    opened_on: dt.date,
    source: str = "巡查发现",
    violation: dict[str, Any] | None = None,
    summary: str | None = None,
    source_report: str = "",
    township=None,
) -> Case:
    """Open a case from a routed report (`source_report`, source 网格员上报 …) or directly
    (patrol 巡查发现, an inspection, a department's transfer 部门移送). The opening officer is
    the handler and must hold a valid certificate; the township must hold the item."""
    G.refuse_if(P.actor_refusal("discovered", None, G.capabilities(user)))
    if procedure not in P.PROCEDURES:
        G.refuse("请选择程序（简易程序、普通程序、行政强制或行政检查）。")
    if not (item_code or "").strip():
        G.refuse("请选择执法事项。")
    problems = []
    if not isinstance(party, dict):
        G.refuse("当事人（party）：应为对象，含kind（individual或organisation）和name。")
    if party.get("kind") not in cf.PARTY_KINDS:
        problems.append(
            "当事人类型（party.kind）：请选择公民（individual）或法人或者其他组织（organisation）。"
        )
    if not isinstance(party.get("name"), str) or not party["name"].strip():
        problems.append("当事人姓名或名称（party.name）：请填写。")
    for key in ("address", "id_number", "phone"):
        if party.get(key) not in (None, "") and not isinstance(party.get(key), str):
            problems.append(f"当事人（party.{key}）：应为文字。")
    if summary is not None and not isinstance(summary, str):
        problems.append("案情摘要（summary）：应为文字。")
    if not isinstance(source, str) or source not in cf.DISCOVERY_SOURCES:
        problems.append(f"线索来源（source）：“{source}”无效，应为{'、'.join(cf.DISCOVERY_SOURCES)}之一。")
    violation, bad = _violation(violation, opened_on)
    problems += bad
    if problems:
        G.refuse(*problems)
    township = township or user.township
    if township is None:
        G.refuse("您的账号未关联乡镇（街道），不能办理案件。")
    G.same_township_obj(user, township)
    if opened_on > timezone.localdate():
        G.refuse(f"受理日期{opened_on}不能晚于今天。")
    G.certified(user, opened_on, "办理案件")
    authority = G.authority(township, item_code, opened_on)
    from zhifa.catalogue.models import Item

    item = Item.objects.filter(county_id=township.county_id, code=item_code).first()
    party = {k: v for k, v in party.items() if v not in (None, "")}
    with transaction.atomic():
        for _attempt in range(5):
            number = _next_number(township, opened_on.year)
            try:
                with transaction.atomic():
                    case = Case.objects.create(
                        number=number,
                        township=township,
                        item_code=item_code,
                        item_name=item.name if item else None,
                        procedure=procedure,
                        summary=summary or None,
                        party=party,
                        violation=violation,
                        authority=authority,
                        handler=user.username,
                        source_report=source_report,
                    )
                break
            except IntegrityError:  # another officer took the number at the same moment
                continue
        else:  # pragma: no cover
            G.refuse("案件编号分配冲突，请重试。")
        G.person(case, user)
        CaseEvent.objects.create(
            case=case, seq=1, type="discovered", date=opened_on, payload={"source": source}, recorded_by=user
        )
        G.check_dict(to_casefile(case), "")
        refresh_findings(case)
    return case


# The discovery source a reporter's role implies (not a right: who found the matter). A grid
# worker's report is 网格员上报; a patrol's or an officer's is 巡查发现; anyone else's a public one.
_SOURCE_BY_ROLE = {
    roles.GRID_WORKER: "网格员上报",
    **dict.fromkeys((roles.PATROLLER, roles.OFFICER, roles.SECONDED_OFFICER, roles.AUXILIARY), "巡查发现"),
}


def _report_source(report) -> str:
    """The exchange format's discovery source for a dispatch report."""
    if report.source in cf.DISCOVERY_SOURCES:
        return report.source
    if report.channel == "hotline":
        return "12345热线"
    return _SOURCE_BY_ROLE.get(getattr(report.reported_by, "role", ""), "群众举报")


def do_open_case_from_report(
    user,
    tracking_code: str,
    *,
    procedure: str,
    party: dict[str, Any],
    opened_on: dt.date,
    violation: dict[str, Any] | None = None,
    item_code: str | None = None,
    summary: str | None = None,
) -> Case:
    """Open a case from a report the dispatch routed to the user's township (its item code,
    source and description carry over; the report's tracking code is kept on the case)."""
    from zhifa.dispatch.models import Report

    report = Report.objects.restrict(user).filter(tracking_code=(tracking_code or "").strip()).first()
    if report is None:
        G.refuse(f"事件“{tracking_code}”不存在或不在您的管辖范围内。")
    if report.handler_township_id is not None and report.handler_township_id != user.township_id:
        G.refuse(f"事件{report.tracking_code}已分拨给{report.handler_township}，不能由本乡镇（街道）立案。")
    if Case.objects.filter(source_report=report.tracking_code, township=user.township).exists():
        G.refuse(f"事件{report.tracking_code}已经立案，不能重复立案。")
    code = item_code or report.item_code
    if not code:
        G.refuse(f"事件{report.tracking_code}尚未确定执法事项，请选择执法事项。")
    return do_open_case(
        user,
        item_code=code,
        procedure=procedure,
        party=party,
        opened_on=opened_on,
        source=_report_source(report),
        violation=violation,
        summary=summary or report.text[:300],
        source_report=report.tracking_code,
    )
