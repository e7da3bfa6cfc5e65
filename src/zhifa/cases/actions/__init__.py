"""Every state change of a case, one function each (`do_*`), each in one transaction and audited.

A step is checked before it is stored: who may record it (role, certificate, three different
people for handling, review and decision), whether the township holds the item on that day
(`zhifa.catalogue.services.holding_on`, the rule of `zhifa.rules.holdings`), the procedure's
order, the exchange format's field rules, and finally `zhifa.rules.review.check_step`, which
refuses a step that would itself create a legal defect, with the finding's message citing the
article. After the step the case's live review findings are stored
(`zhifa.cases.services.refresh_findings`).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from zhifa.cases.models import Case, CaseEvent, CaseOfficer, Officer
from zhifa.cases.services import refresh_findings, rule_context, to_casefile
from zhifa.catalogue.services import fine_range, holding_on, record_usage
from zhifa.core import audit
from zhifa.core.calendar import work_calendar
from zhifa.documents.services import take_decision_number
from zhifa.rules import casefile as cf
from zhifa.rules import deadlines as dl
from zhifa.rules import holdings, periods
from zhifa.rules.review import DEFECT, check_step, with_step
from zhifa.rules.review._base import ACTING, FIELD
from zhifa.rules.workdays import CalendarGapError

__all__ = [
    "StaleState",
    "StepRefused",
    "do_add_event",
    "do_close",
    "do_decide",
    "do_file",
    "do_legal_review",
    "do_open_case",
    "do_open_case_from_report",
    "do_transfer",
    "state_of",
]

ZH = cf.EVENT_NAMES_ZH
# Steps open to each procedure (general and coercive cases may use every step).
SIMPLE_STEPS = frozenset({"discovered", "decided", "served", "paid", "disclosed", "closed"})
INSPECTION_STEPS = frozenset(
    {"discovered", "inspected", "rectification_ordered", "reinspected", "investigated", "closed"}
)
# Recorded by a leader (负责人) in person.
DECIDER_STEPS = frozenset({"filed", "collective_discussion", "seizure_extended"})
NEEDS_FILING = frozenset(
    {
        "investigated",
        "notice_served",
        "statement_received",
        "hearing_requested",
        "hearing_held",
        "legal_review",
        "collective_discussion",
        "decided",
        "seizure_started",
        "demolition_notice",
        "demolition_executed",
    }
)
NEEDS_DECISION = frozenset({"served", "paid", "disclosed", "reminder_served", "court_application"})


class StepRefused(ValidationError):
    """The step is unlawful or not allowed; `messages` say why (Chinese, citing the article)."""


class StaleState(StepRefused):
    """The step was made from an older state of the case: someone recorded a step in between
    (the API answers 409)."""


def state_of(case: Case) -> str:
    """The case's state as a client sees it: the sequence number of its last recorded step.
    A step form or API call carries it back as `expected_state`."""
    return str(case.events.order_by("-seq").values_list("seq", flat=True).first() or 0)


def _refuse(*messages: str) -> None:
    raise StepRefused(list(messages))


# ---- people ----------------------------------------------------------------------------------


def _profile(user) -> Officer | None:
    return Officer.objects.filter(user=user).first()


def _certified(user, day: dt.date, what: str) -> Officer:
    """The user's officer profile, refusing anyone who may not act as an officer on `day`."""
    off = _profile(user)
    name = user.display_name
    if off is None or off.kind == Officer.AUXILIARY or not off.cert_no:
        _refuse(f"{name}未持有执法证件，不能以执法人员身份{what}（《行政处罚法》第四十二条、第五十五条）。")
    if not off.cert_valid_on(day):
        _refuse(
            f"{name}的执法证件（证号{off.cert_no}）有效期至{off.cert_valid_to}，"
            f"{day}不能以执法人员身份{what}（《行政处罚法》第四十二条、第五十五条）。"
        )
    return off


def _person(case: Case, user) -> str:
    """The user's id in the case file; the name and certificate are refreshed as of now."""
    off = _profile(user)
    cert_no = (off.cert_no or None) if off and off.kind != Officer.AUXILIARY else None
    valid_to = off.cert_valid_to if cert_no else None
    row = CaseOfficer.objects.filter(case=case, user=user).first()
    if row is None:
        pos = CaseOfficer.objects.filter(case=case).count()
        row = CaseOfficer(case=case, user=user, key=user.username, position=pos)
    if row.pk is None or (row.name, row.cert_no, row.cert_valid_to) != (user.display_name, cert_no, valid_to):
        row.name, row.cert_no, row.cert_valid_to = user.display_name, cert_no, valid_to
        row.save()
    return row.key


def _same_township(case: Case, users) -> None:
    for u in users:
        if not u.is_superuser and u.township_id != case.township_id:
            _refuse(f"{u.display_name}不属于{case.township}，不能办理本案。")


ROLE_ZH = {"handler": "承办人", "legal_reviewer": "法制审核人员", "decider": "负责人"}


def _separate(case: Case, role: str, key: str) -> None:
    """办、审、定分离: handler, legal reviewer and decider are three different people."""
    for other in ("handler", "legal_reviewer", "decider"):
        if other != role and getattr(case, other) == key:
            _refuse(
                f"承办人、法制审核人员和负责人必须为三个不同的人：{key}已是本案的{ROLE_ZH[other]}，"
                f"不能再担任{ROLE_ZH[role]}（《行政处罚法》第五十七条、第五十八条）。"
            )


# ---- authority ---------------------------------------------------------------------------------


def _authority(township, item_code: str, day: dt.date) -> dict[str, Any]:
    """The holding on `day` in exchange shape, refusing when the township does not hold the item."""
    # A case needs the list in force on the day: no first-version allowance (holdings.STRICT).
    auth = holding_on(township, item_code, day, holdings.STRICT)
    if not auth.held:
        entrusted = auth.source == holdings.ENTRUSTED
        article = "《行政处罚法》第二十条" if entrusted else "《行政处罚法》第二十四条、第三十八条"
        _refuse(f"{township}在{day}无权办理执法事项{item_code}：{auth.reason}（{article}）。")
    ent = auth.entrustment
    return {
        "source": auth.source,
        "held_from": auth.held_from.isoformat() if auth.held_from else day.isoformat(),
        "held_until": auth.held_until.isoformat() if auth.held_until else None,
        "entrustment": (
            None
            if ent is None
            else {k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in ent.items()}
        ),
    }


# ---- opening a case --------------------------------------------------------------------------


def _next_number(township, year: int) -> str:
    prefix = f"{township.code}-{year}-"
    nums = [
        int(n[len(prefix) :])
        for n in Case.objects.filter(number__startswith=prefix).values_list("number", flat=True)
        if n[len(prefix) :].isdigit()
    ]
    return f"{prefix}{max(nums, default=0) + 1:04d}"


def _check_dict(obj: dict, prefix: str = "") -> None:
    errors = [(p, m) for p, m in cf.validate_case(obj) if p.startswith(prefix)]
    if errors:
        _refuse(*(f"{_FIELD_ZH.get(p.split('.')[-1], p)}（{p}）：{m}" for p, m in errors))


_FIELD_ZH = {
    "name": "当事人名称",
    "kind": "当事人类型",
    "began": "违法行为开始日期",
    "ended": "违法行为结束日期",
    "source": "线索来源",
    "procedure": "程序",
    "deadline": "期限",
    "result": "检查结果",
    "proposed_fine": "拟罚款金额",
    "statement_days": "陈述申辩期限",
    "method": "送达方式",
    "amount": "金额",
    "surcharge": "加处罚款",
    "measure": "强制措施种类",
    "term_days": "期限（日）",
    "items": "物品清单",
    "days": "延长天数",
    "outcome": "处理结果",
    "court": "法院",
}


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
    if not user.can("cases.handle"):
        _refuse("只有持证执法人员可以办理案件。")
    if procedure not in cf.PROCEDURES:
        _refuse("请选择程序（简易程序、普通程序、行政强制或行政检查）。")
    if not (item_code or "").strip():
        _refuse("请选择执法事项。")
    problems = []
    if not isinstance(party, dict):
        _refuse("当事人（party）：应为对象，含kind（individual或organisation）和name。")
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
        _refuse(*problems)
    township = township or user.township
    if township is None:
        _refuse("您的账号未关联乡镇（街道），不能办理案件。")
    _same_township_obj(user, township)
    if opened_on > timezone.localdate():
        _refuse(f"受理日期{opened_on}不能晚于今天。")
    _certified(user, opened_on, "办理案件")
    authority = _authority(township, item_code, opened_on)
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
            _refuse("案件编号分配冲突，请重试。")
        _person(case, user)
        CaseEvent.objects.create(
            case=case, seq=1, type="discovered", date=opened_on, payload={"source": source}, recorded_by=user
        )
        _check_dict(to_casefile(case), "")
        refresh_findings(case)
    return case


def _report_source(report) -> str:
    """The exchange format's discovery source for a dispatch report."""
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
        _refuse(f"事件“{tracking_code}”不存在或不在您的管辖范围内。")
    if report.handler_township_id is not None and report.handler_township_id != user.township_id:
        _refuse(f"事件{report.tracking_code}已分拨给{report.handler_township}，不能由本乡镇（街道）立案。")
    if Case.objects.filter(source_report=report.tracking_code, township=user.township).exists():
        _refuse(f"事件{report.tracking_code}已经立案，不能重复立案。")
    code = item_code or report.item_code
    if not code:
        _refuse(f"事件{report.tracking_code}尚未确定执法事项，请选择执法事项。")
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


def _same_township_obj(user, township) -> None:
    if not user.is_superuser and user.township_id != township.pk:
        _refuse(f"您不属于{township}，不能为其办理案件。")


# ---- recording a step ------------------------------------------------------------------------


def _load(case: Case | int, expected_state: str | None = None) -> Case:
    """The case, locked for this transaction; refused when it changed since `expected_state`."""
    pk = case.pk if isinstance(case, Case) else case
    locked = Case.objects.select_for_update().select_related("township__county").get(pk=pk)
    if expected_state is not None and str(expected_state) != state_of(locked):
        raise StaleState(
            "本案已被他人更新（有人先登记了新的办案步骤），本次登记未保存。请刷新页面，查看最新记录后重新办理。"
        )
    return locked


def _types(case: Case) -> list[str]:
    return list(case.events.order_by("seq").values_list("type", flat=True))


def _order(case: Case, etype: str, on: dt.date) -> None:
    """The procedure's order of steps (what must come before what)."""
    if case.imported:
        _refuse("导入的案卷是历史记录，不能在本系统中继续办理。")
    if case.status in (Case.CLOSED, Case.TRANSFERRED):
        _refuse(f"本案{case.get_status_display()}，不能再记录办案步骤。")
    if etype not in cf.EVENTS:
        _refuse(f"办案步骤“{etype}”无效。")
    if case.procedure == "simple" and etype not in SIMPLE_STEPS:
        _refuse(f"简易程序案件没有“{ZH[etype]}”步骤。")
    if case.procedure == "inspection" and etype not in INSPECTION_STEPS:
        _refuse(f"行政检查没有“{ZH[etype]}”步骤；发现违法行为需要处罚的，请另行立案。")
    types = _types(case)
    if cf.EVENTS[etype][2] and etype in types:
        _refuse(f"“{ZH[etype]}”每案只能记录一次。")
    last = case.events.order_by("-seq").values_list("date", flat=True).first()
    if on > timezone.localdate():
        _refuse(f"日期{on}不能晚于今天。")
    if last is not None and on < last:
        _refuse(f"日期{on}早于本案上一步骤的日期{last}，办案记录须按时间顺序登记。")
    if case.procedure in ("general", "coercive") and etype in NEEDS_FILING and "filed" not in types:
        _refuse(f"本案尚未立案，不能{ZH[etype]}（《行政处罚法》第五十四条）。")
    if etype in NEEDS_DECISION and "decided" not in types:
        _refuse(f"尚未作出决定，不能记录“{ZH[etype]}”。")
    if etype in ("seizure_extended", "seizure_ended") and "seizure_started" not in types:
        _refuse(f"没有实施查封、扣押，不能记录“{ZH[etype]}”。")
    if etype == "hearing_held" and "hearing_requested" not in types:
        _refuse("当事人未要求听证，不能记录“举行听证”。")
    if etype == "reinspected" and "rectification_ordered" not in types:
        _refuse("尚未责令改正，不能复查。")
    if etype == "closed" and case.procedure in ("general", "coercive", "simple") and "decided" not in types:
        _refuse("尚未作出决定，不能结案；不需处罚的，请作出不予行政处罚决定或移送。")


def _record(
    user,
    case: Case,
    etype: str,
    on: dt.date,
    *,
    actors: list | None = None,
    fields: dict[str, Any] | None = None,
    decision: dict[str, Any] | None = None,
    note: str = "",
) -> CaseEvent:
    """Check and store one exchange event (inside the caller's transaction)."""
    fields = dict(fields or {})
    has_actors = cf.EVENTS[etype][0]
    event: dict[str, Any] = {"type": etype, "date": on.isoformat()}
    if has_actors:
        event["actors"] = list(actors or [])
    event.update(fields)
    if etype in ACTING:
        case.authority = _authority(case.township, case.item_code, on)
        case.save(update_fields=["authority"])
    current = to_casefile(case, as_of=on)
    candidate = with_step(current, event, decision)
    idx = len(candidate["events"]) - 1
    _check_dict(candidate, f"events[{idx}]")
    if decision is not None:
        _check_dict(candidate, "decision")
    try:
        problems = check_step(current, event, work_calendar(), decision, rule_context(case))
    except CalendarGapError as exc:
        _refuse(str(exc))
    defects = [f.message for f in problems if f.severity == DEFECT]
    if defects:
        _refuse(*defects)
    seq = (case.events.order_by("-seq").values_list("seq", flat=True).first() or 0) + 1
    payload = {k: v for k, v in event.items() if k not in ("type", "date", "actors")}
    ev = CaseEvent.objects.create(
        case=case,
        seq=seq,
        type=etype,
        date=on,
        actors=event.get("actors"),
        payload=payload,
        note=note,
        recorded_by=user,
    )
    return ev


def _field_actors(case: Case, user, actors, on: dt.date, etype: str) -> list[str]:
    """Two or more certified officers of the township (处罚法 第42条; 强制法 第18条)."""
    people = list({u.pk: u for u in actors or []}.values())
    if len(people) < 2:
        _refuse(
            f"{ZH[etype]}须由两名以上持有有效执法证件的执法人员实施，本次仅{len(people)}人"
            "（《行政处罚法》第四十二条、《行政强制法》第十八条）。"
        )
    _same_township(case, people)
    for u in people:
        _certified(u, on, ZH[etype])
    return [_person(case, u) for u in people]


def _status_after(case: Case, etype: str) -> str:
    if etype == "closed":
        return Case.CLOSED
    if etype == "filed":
        return Case.FILED
    if etype == "decided":
        return Case.DECIDED
    if etype in ("seizure_started", "demolition_notice", "reminder_served", "court_application"):
        return Case.ENFORCING
    return case.status


def _done(user, case: Case, etype: str, ev: CaseEvent) -> CaseEvent:
    new_status = _status_after(case, etype)
    if new_status != case.status:
        case.status = new_status
        case.save(update_fields=["status"])
    refresh_findings(case)
    return ev


def do_add_event(
    user,
    case: Case | int,
    etype: str,
    on: dt.date,
    *,
    actors: list | None = None,
    fields: dict[str, Any] | None = None,
    note: str = "",
    expected_state: str | None = None,
) -> CaseEvent:
    """Record one step of the procedure (every type except filing, legal review, the decision
    and closing, which have their own functions). `actors` are User objects: the officers in
    the field for investigations, inspections, seizures and demolitions; the participants of a
    collective discussion. Refused steps raise `StepRefused` and change nothing."""
    kw = {"note": note, "expected_state": expected_state}
    if etype == "filed":
        return do_file(user, case, on, **kw)
    if etype == "closed":
        return do_close(user, case, on, **kw)
    if etype == "legal_review":
        return do_legal_review(user, case, on, passed=bool((fields or {}).get("passed", True)), **kw)
    if etype == "decided":
        _refuse("作出决定请使用“作出决定”（do_decide）。")
    with transaction.atomic():
        case = _load(case, expected_state)
        _order(case, etype, on)
        _same_township(case, [user])
        fields = dict(fields or {})
        keys: list[str] | None = None
        if etype in DECIDER_STEPS:
            if not user.can("cases.decide"):
                _refuse(f"“{ZH[etype]}”须由负责人办理。")
            keys = [_person(case, user)]
            if etype == "collective_discussion":
                others = list({u.pk: u for u in actors or [] if u.pk != user.pk}.values())
                _same_township(case, others)
                not_leaders = [u.display_name for u in others if not u.can("cases.decide")]
                if not_leaders:
                    _refuse(
                        f"{'、'.join(not_leaders)}不是本机关负责人，不能参加负责人集体讨论"
                        "（《行政处罚法》第五十七条第二款）。"
                    )
                if not others:
                    _refuse(
                        "负责人集体讨论须由两名以上负责人参加，请选择参加讨论的其他负责人"
                        "（《行政处罚法》第五十七条第二款）。"
                    )
                keys += [_person(case, u) for u in others]
            if etype == "seizure_extended":
                fields["approved_by"] = keys[0]
        elif etype in FIELD:
            if not user.can("cases.handle"):
                _refuse(f"“{ZH[etype]}”须由执法人员办理。")
            keys = _field_actors(case, user, actors, on, etype)
        else:
            if not (user.can("cases.assist") or user.can("cases.decide")):
                _refuse("您没有办理案件的权限。")
        if etype == "seizure_started" and not (fields.get("items") or "").strip():
            _refuse("查封、扣押须附财物清单（《行政强制法》第二十四条）。")
        if etype == "seizure_started" and int(fields.get("term_days") or 0) > periods.SEIZURE_DAYS:
            _refuse("查封、扣押的期限不得超过三十日（《行政强制法》第二十五条）。")
        if etype == "seizure_extended" and int(fields.get("days") or 0) > periods.SEIZURE_EXTENSION_MAX_DAYS:
            _refuse("查封、扣押的延长期限不得超过三十日（《行政强制法》第二十五条）。")
        if etype == "served" and fields.get("method") == "electronic" and not fields.pop("consent", False):
            _refuse("当事人书面同意并签订确认书的，方可采用电子方式送达（《行政处罚法》第六十一条第二款）。")
        fields.pop("consent", None)
        ev = _record(user, case, etype, on, actors=keys, fields=fields, note=note)
        return _done(user, case, etype, ev)


def do_file(
    user, case: Case | int, on: dt.date, *, note: str = "", expected_state: str | None = None
) -> CaseEvent:
    """立案: approved by a leader, who becomes the case's decider."""
    with transaction.atomic():
        case = _load(case, expected_state)
        _order(case, "filed", on)
        if case.procedure not in ("general", "coercive"):
            _refuse("只有普通程序和行政强制案件需要立案审批。")
        if not user.can("cases.decide"):
            _refuse("立案须由负责人审批（《行政处罚法》第五十四条）。")
        _same_township(case, [user])
        key = _person(case, user)
        _separate(case, "decider", key)
        case.decider = key
        case.save(update_fields=["decider"])
        ev = _record(user, case, "filed", on, actors=[key], note=note)
        return _done(user, case, "filed", ev)


def do_legal_review(
    user,
    case: Case | int,
    on: dt.date,
    *,
    passed: bool = True,
    note: str = "",
    expected_state: str | None = None,
) -> CaseEvent:
    """法制审核 by a legal reviewer who is neither the handler nor the decider."""
    with transaction.atomic():
        case = _load(case, expected_state)
        _order(case, "legal_review", on)
        if not user.can("cases.legal_review"):
            _refuse("法制审核须由法制审核人员办理（《行政处罚法》第五十八条）。")
        _same_township(case, [user])
        key = _person(case, user)
        _separate(case, "legal_reviewer", key)
        case.legal_reviewer = key
        case.save(update_fields=["legal_reviewer"])
        ev = _record(user, case, "legal_review", on, actors=[key], fields={"passed": bool(passed)}, note=note)
        return _done(user, case, "legal_review", ev)


def _num(x: Decimal | int | float) -> int | float:
    d = Decimal(str(x))
    return int(d) if d == d.to_integral_value() else float(d)


def standard_remedy(case: Case) -> dict[str, Any]:
    county = case.township.county.name
    return {
        "reconsideration_body": f"{county}人民政府",
        "reconsideration_days": periods.RECONSIDERATION_DAYS,
        "court": f"{county}人民法院",
        "litigation_months": periods.LITIGATION_MONTHS,
    }


def do_decide(
    user,
    case: Case | int,
    on: dt.date,
    *,
    kind: str = "penalty",
    penalties: list[str] | None = None,
    fine: Decimal | int | float = 0,
    circumstance: str | None = "general",
    deviation_reason: str | None = None,
    first_violation: bool = False,
    corrected_in_time: bool = False,
    major: bool = False,
    party_present: bool = False,
    on_spot_officers: list | None = None,
    late_reason: str | None = None,
    note: str = "",
    expected_state: str | None = None,
) -> CaseEvent:
    """作出决定. General and coercive cases: by the decider (not the handler or legal reviewer),
    fine within the discretion benchmark of the catalogue unless a reason is recorded, the
    standard remedy notice included. Simple procedure: on the spot by two certified officers,
    handed to the party at once (the service is recorded the same day)."""
    penalties = list(penalties or ([] if kind != "penalty" else ["fine"]))
    fine_d = Decimal(str(fine or 0))
    with transaction.atomic():
        case = _load(case, expected_state)
        _order(case, "decided", on)
        note = _late_decision_note(case, on, late_reason, note)
        if kind == "penalty" and first_violation and corrected_in_time and circumstance == "minor":
            _refuse(
                "当事人初次违法、危害后果轻微并及时改正，依照《行政处罚法》第三十三条可以不予行政处罚，"
                "请作出不予行政处罚决定并进行教育（首违不罚）。"
            )
        bench = fine_range(case.item_code, circumstance) if circumstance and "fine" in penalties else None
        benchmark = {"min": _num(bench[0]), "max": _num(bench[1])} if bench else None
        reason = (deviation_reason or "").strip() or None
        # A fine outside the tier without a reason is PEN-DISCRETION, refused below with every
        # other defect of the decision (a fine above the statute: PEN-STATUTORY-MAX).
        if case.procedure == "simple":
            if not user.can("cases.handle"):
                _refuse("当场处罚决定须由执法人员作出。")
            keys = _field_actors(case, user, on_spot_officers, on, "decided")
        else:
            if not user.can("cases.decide"):
                _refuse("处罚决定须由负责人作出（《行政处罚法》第五十七条）。")
            _same_township(case, [user])
            keys = [_person(case, user)]
            _separate(case, "decider", keys[0])
            case.decider = keys[0]
            case.save(update_fields=["decider"])
        decision = {
            "kind": kind,
            # The 文号 from the documents counter, taken in this transaction (a refused decision
            # uses none); the decision document generated later carries the same number.
            "doc_no": take_decision_number(case, kind, on.year),
            "penalties": penalties if kind == "penalty" else [],
            "fine": _num(fine_d) if "fine" in penalties else 0,
            "circumstance": circumstance if kind != "demolition_order" else None,
            "benchmark": benchmark,
            "deviation_reason": reason,
            "first_violation": bool(first_violation),
            "corrected_in_time": bool(corrected_in_time),
            "major": bool(major),
            "remedy_notice": standard_remedy(case),
        }
        fields: dict[str, Any] = {}
        if case.procedure == "simple":
            fields["on_spot"] = True
            party_present = True
        fields["party_present"] = bool(party_present)
        ev = _record(user, case, "decided", on, actors=keys, fields=fields, decision=decision, note=note)
        case.decision = decision
        case.save(update_fields=["decision"])
        if case.procedure == "simple" or party_present:
            # 当场交付 (处罚法 第52条, 第61条): a decision announced to the party present is
            # handed over at once.
            _record(user, case, "served", on, fields={"method": "in_person"}, note="当场宣告并交付")
        record_usage(case.township, case.item_code, on)
        return _done(user, case, "decided", ev)


def _late_decision_note(case: Case, on: dt.date, late_reason: str | None, note: str) -> str:
    """A decision after day 90 (处罚法 第60条) is recordable, with its reason in the event's note."""
    filed = case.events.filter(type="filed").values_list("date", flat=True).first()
    if case.procedure != "general" or filed is None:
        return note
    limit = dl.decision_limit(filed)
    if on <= limit:
        return note
    reason = (late_reason or "").strip()
    if not reason:
        _refuse(
            f"本案于{filed}立案，{on}作出决定已超过立案之日起九十日（{limit}届满），"
            "须记录超期作出决定的理由（或经批准延长办案期限的情况）后方可登记（《行政处罚法》第六十条）。"
        )
    return f"超过九十日作出决定的理由：{reason}" + (f"；{note}" if note else "")


def do_close(
    user, case: Case | int, on: dt.date, *, note: str = "", expected_state: str | None = None
) -> CaseEvent:
    with transaction.atomic():
        case = _load(case, expected_state)
        _order(case, "closed", on)
        if not (user.can("cases.handle") or user.can("cases.decide")):
            _refuse("结案须由承办人或负责人办理。")
        _same_township(case, [user])
        ev = _record(user, case, "closed", on, note=note)
        return _done(user, case, "closed", ev)


def do_transfer(
    user,
    case: Case | int,
    on: dt.date,
    *,
    to: str,
    police: bool = False,
    reason: str = "",
    expected_state: str | None = None,
) -> CaseEvent:
    """移送: to another agency, or to the police when the facts suggest a crime (行刑衔接,
    《行政处罚法》第二十七条). The exchange format has no such event; it stays in our record."""
    if not (to or "").strip():
        _refuse("请填写移送机关。")
    if not (reason or "").strip():
        _refuse("请填写移送理由。")
    with transaction.atomic():
        case = _load(case, expected_state)
        if case.imported or case.status in (Case.CLOSED, Case.TRANSFERRED):
            _refuse("本案已结案或已移送，不能移送。")
        if not (user.can("cases.handle") or user.can("cases.decide")):
            _refuse("移送须由承办人或负责人办理。")
        _same_township(case, [user])
        last = case.events.order_by("-seq").values_list("date", flat=True).first()
        if last is not None and on < last:
            _refuse(f"日期{on}早于本案上一步骤的日期{last}。")
        seq = (case.events.order_by("-seq").values_list("seq", flat=True).first() or 0) + 1
        ev = CaseEvent.objects.create(
            case=case,
            seq=seq,
            type="transferred",
            date=on,
            payload={"to": to.strip(), "police": bool(police), "reason": reason.strip()},
            recorded_by=user,
        )
        case.transfer = {
            "to": to.strip(),
            "police": bool(police),
            "reason": reason.strip(),
            "date": on.isoformat(),
        }
        case.status = Case.TRANSFERRED
        case.save(update_fields=["transfer", "status"])
        audit.record("transfer", case, reason=f"移送{to}：{reason}")
        refresh_findings(case)
        return ev
