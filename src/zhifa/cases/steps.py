"""The step forms: which fields each step asks for, and one entry point `perform(user, case,
action, data)` that parses the submitted values (web form or API JSON) and calls the `do_*`
function. Web views and the API share it, so both refuse the same input with the same words."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from zhifa.cases import actions as A
from zhifa.cases.models import Case, CaseEvent
from zhifa.org import roles
from zhifa.org.models import User
from zhifa.rules import casefile as cf
from zhifa.rules import procedure as P
from zhifa.rules.periods import STATEMENT_DAYS_DEFAULT

ZH = cf.EVENT_NAMES_ZH

INSPECTION_RESULT_CHOICES = [("non_compliant", "不合格（发现问题）"), ("compliant", "合格")]
SERVICE_CHOICES = [
    ("in_person", "直接送达"),
    ("left_at_residence", "留置送达"),
    ("mail", "邮寄送达"),
    ("electronic", "电子送达（须当事人书面同意）"),
    ("public_notice", "公告送达"),
    ("entrusted", "委托送达"),
]
MEASURE_CHOICES = [("seizure", "扣押"), ("sealing", "查封")]
OUTCOME_CHOICES = [
    ("released", "解除并退还"),
    ("confiscated", "依法没收"),
    ("destroyed", "依法销毁"),
    ("transferred", "移送处理"),
]
DECISION_KIND_CHOICES = [
    ("penalty", "行政处罚决定"),
    ("no_penalty", "不予行政处罚决定（含首违不罚、轻微不罚）"),
    ("demolition_order", "责令限期拆除决定"),
]
PENALTY_CHOICES = [
    ("warning", "警告"),
    ("criticism", "通报批评"),
    ("fine", "罚款"),
    ("confiscate_gains", "没收违法所得"),
    ("confiscate_property", "没收非法财物"),
    ("licence_suspended", "暂扣许可证件"),
    ("downgrade", "降低资质等级"),
    ("licence_revoked", "吊销许可证件"),
    ("restrict_business", "限制开展生产经营活动"),
    ("suspend_business", "责令停产停业"),
    ("close", "责令关闭"),
    ("restrict_practice", "限制从业"),
]
CIRCUMSTANCE_CHOICES = [("minor", "轻微"), ("general", "一般"), ("serious", "较重"), ("severe", "严重")]


@dataclass
class Field:
    name: str
    label: str
    kind: str  # date, date?, money, int, bool, text, select
    choices: list[tuple[str, str]] = field(default_factory=list)
    default: Any = None


@dataclass
class Step:
    action: str
    label: str
    fields: list[Field] = field(default_factory=list)
    actors: str = ""  # "" none, "officers" (≥2 field officers), "leaders" (collective discussion)


STEPS: list[Step] = [
    Step("file", "立案审批"),
    Step("investigated", "调查取证（现场检查、询问）", actors="officers"),
    Step(
        "inspected",
        "行政检查",
        [Field("result", "检查结果", "select", INSPECTION_RESULT_CHOICES)],
        "officers",
    ),
    Step("rectification_ordered", "责令（限期）改正", [Field("deadline", "改正期限", "date")]),
    Step(
        "reinspected", "复查", [Field("result", "复查结果", "select", INSPECTION_RESULT_CHOICES)], "officers"
    ),
    Step(
        "notice_served",
        "送达行政处罚事先告知书",
        [
            Field("proposed_fine", "拟罚款金额（元）", "money", default=0),
            Field("statement_days", "陈述申辩期限（工作日）", "int", default=STATEMENT_DAYS_DEFAULT),
            Field("hearing_right", "告知听证权利", "bool"),
        ],
    ),
    Step("statement_received", "收到陈述申辩", [Field("waived", "当事人书面放弃陈述申辩和听证", "bool")]),
    Step("hearing_requested", "当事人要求听证"),
    Step("hearing_held", "举行听证"),
    Step("legal_review", "法制审核", [Field("passed", "审核通过", "bool", default=True)]),
    Step("collective_discussion", "负责人集体讨论", actors="leaders"),
    Step("decide", "作出决定"),
    Step(
        "served",
        "送达决定书",
        [
            Field("method", "送达方式", "select", SERVICE_CHOICES),
            Field("consent", "当事人已书面同意电子送达并签订确认书", "bool"),
        ],
    ),
    Step(
        "paid",
        "缴纳罚款",
        [
            Field("amount", "缴纳罚款（元）", "money"),
            Field("surcharge", "加处罚款（元）", "money", default=0),
        ],
    ),
    Step("disclosed", "处罚决定网上公示"),
    Step(
        "seizure_started",
        "实施查封、扣押",
        [
            Field("measure", "措施", "select", MEASURE_CHOICES),
            Field("term_days", "期限（日，不超过30日）", "int", default=30),
            Field("items", "查封、扣押财物清单", "text"),
        ],
        "officers",
    ),
    Step(
        "seizure_extended",
        "延长查封、扣押（负责人批准）",
        [Field("days", "延长天数（不超过30日）", "int", default=30)],
    ),
    Step(
        "seizure_ended", "解除查封、扣押或作出处理", [Field("outcome", "处理结果", "select", OUTCOME_CHOICES)]
    ),
    Step("demolition_notice", "强制拆除公告", [Field("deadline", "公告限期自行拆除的期限", "date?")]),
    Step("reminder_served", "送达催告书", [Field("deadline", "催告履行期限", "date")]),
    Step("demolition_executed", "实施强制拆除", actors="officers"),
    Step(
        "court_application",
        "申请人民法院强制执行",
        [
            Field("court", "法院", "text"),
            Field("amount", "申请执行金额（元）", "money"),
            Field("surcharge", "加处罚款（元）", "money", default=0),
        ],
    ),
    Step("close", "结案"),
    Step("transfer", "移送（其他机关、公安机关）"),
]
BY_ACTION = {s.action: s for s in STEPS}
_ETYPE = {"file": "filed", "decide": "decided", "close": "closed"}


def event_type(action: str) -> str:
    return _ETYPE.get(action, action)


def available(case: Case, user) -> list[Step]:
    """The step forms offered on the case page (the engine still checks each step)."""
    if case.imported or case.status in (Case.CLOSED, Case.TRANSFERRED):
        return []
    if roles.reads_only(user) or not user.can("cases.steps"):
        return []
    if not user.is_superuser and user.township_id != case.township_id:
        return []
    done = set(case.events.values_list("type", flat=True))
    out = []
    for s in STEPS:
        et = event_type(s.action)
        if et in cf.EVENTS and cf.EVENTS[et][2] and et in done:
            continue
        if s.action != "transfer" and not P.offered_in(et, case.procedure):
            continue  # the procedure table: 行政检查 is its own procedure; a penalty case investigates
        out.append(s)
    return out


# ---- parsing --------------------------------------------------------------------------------


class _Data:
    """Uniform access to a QueryDict (web) or a JSON dict (API)."""

    def __init__(self, data: Any):
        if not hasattr(data, "get") or isinstance(data, list | tuple | str):
            raise A.StepRefused(
                '请求内容应为JSON对象（如 {"action": "investigated", "date": "2026-09-01"}）。'
            )
        self.data = data

    def get(self, name: str) -> Any:
        v = self.data.get(name)
        return v.strip() if isinstance(v, str) else v

    def getlist(self, name: str) -> list:
        if hasattr(self.data, "getlist"):
            return self.data.getlist(name)
        v = self.data.get(name)
        return list(v) if isinstance(v, list | tuple) else ([] if v in (None, "") else [v])


_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}$")
MONEY_MAX = Decimal("1000000000000")  # 1e12 yuan: anything above is a typing error


def parse_iso_date(v: Any, label: str, name: str) -> dt.date:
    """A `YYYY-MM-DD` string as a date; anything else (a number, "2026/01/01", "20260101", a
    list) is refused naming the field. Dates are compared as dates, never as text."""
    if not isinstance(v, str) or not _ISO.match(v.strip()):
        raise A.StepRefused(f"{label}“{v}”不是有效日期（字段{name}），格式应为YYYY-MM-DD。")
    try:
        return dt.date.fromisoformat(v.strip())
    except ValueError:
        raise A.StepRefused(f"{label}“{v}”不是有效日期（字段{name}）：该日期不存在。") from None


def _date(d: _Data, name: str, label: str, optional: bool = False) -> dt.date | None:
    v = d.get(name)
    if v in (None, ""):
        if optional:
            return None
        raise A.StepRefused(f"请填写{label}（{name}，格式YYYY-MM-DD）。")
    return parse_iso_date(v, label, name)


def _money(d: _Data, name: str, label: str, default: Any = None) -> int | float:
    v = d.get(name)
    if v in (None, ""):
        if default is not None:
            return default
        raise A.StepRefused(f"请填写{label}（{name}）。")
    if isinstance(v, bool) or not isinstance(v, str | int | float):
        raise A.StepRefused(f"{label}（{name}）：“{v}”不是有效金额。")
    try:
        x = Decimal(str(v))
    except InvalidOperation:
        raise A.StepRefused(f"{label}（{name}）：“{v}”不是有效金额。") from None
    if not x.is_finite() or x < 0 or x > MONEY_MAX or x != x.quantize(Decimal("0.01")):
        raise A.StepRefused(f"{label}（{name}）：应为不小于0、最多两位小数的金额（元）。")
    return int(x) if x == x.to_integral_value() else float(x)


def _int(d: _Data, name: str, label: str, default: Any = None) -> int:
    v = d.get(name)
    if v in (None, ""):
        if default is not None:
            return default
        raise A.StepRefused(f"请填写{label}（{name}）。")
    if isinstance(v, bool) or not isinstance(v, str | int):
        raise A.StepRefused(f"{label}（{name}）：“{v}”应为整数。")
    try:
        n = int(str(v))
    except ValueError:
        raise A.StepRefused(f"{label}（{name}）：“{v}”应为整数。") from None
    if n < 0:
        raise A.StepRefused(f"{label}（{name}）：不能为负数。")
    return n


def _bool(d: _Data, name: str) -> bool:
    v = d.get(name)
    if v is None or isinstance(v, bool):
        return bool(v)
    if isinstance(v, str) and v.lower() in ("on", "true", "1", "yes", "false", "0", "no", "off", ""):
        return v.lower() in ("on", "true", "1", "yes")
    if isinstance(v, int) and v in (0, 1):
        return bool(v)
    raise A.StepRefused(f"“{name}”应为是或否（true/false）。")


def _text(d: _Data, name: str, label: str, max_len: int = 2000) -> str:
    v = d.get(name)
    if v is None:
        return ""
    if not isinstance(v, str):
        raise A.StepRefused(f"{label}（{name}）：应为文字。")
    if len(v) > max_len:
        raise A.StepRefused(f"{label}（{name}）：不能超过{max_len}个字。")
    return v


def _choice(d: _Data, name: str, label: str, choices, default: str | None = None) -> str | None:
    v = d.get(name)
    if v in (None, ""):
        return default
    if not isinstance(v, str) or v not in {c for c, _l in choices}:
        raise A.StepRefused(f"{label}（{name}）：“{v}”无效，应为{'、'.join(c for c, _l in choices)}之一。")
    return v


def _users(case: Case, d: _Data, name: str = "actors") -> list[User]:
    raw = d.getlist(name)
    if any(not isinstance(x, str) for x in raw):
        raise A.StepRefused(f"人员（{name}）：应为用户名列表。")
    names = [x.strip() for x in raw if x.strip()]
    found = {u.username: u for u in User.objects.filter(username__in=names)}
    missing = [n for n in names if n not in found]
    if missing:
        raise A.StepRefused(f"人员{'、'.join(missing)}不存在。")
    return [found[n] for n in names]


def _fields(step: Step, d: _Data) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for f in step.fields:
        if f.kind in ("date", "date?"):
            v = _date(d, f.name, f.label, optional=f.kind == "date?")
            out[f.name] = v.isoformat() if v else None
        elif f.kind == "money":
            out[f.name] = _money(d, f.name, f.label, f.default)
        elif f.kind == "int":
            out[f.name] = _int(d, f.name, f.label, f.default)
        elif f.kind == "bool":
            if d.get(f.name) is None and not hasattr(d.data, "getlist"):
                out[f.name] = bool(f.default)  # JSON without the key: the default
            else:
                out[f.name] = _bool(d, f.name)  # an unticked checkbox is not submitted at all
        elif f.kind == "select":
            v = d.get(f.name)
            if v in (None, ""):
                raise A.StepRefused(f"请选择{f.label}（{f.name}）。")
            out[f.name] = _choice(d, f.name, f.label, f.choices)
        else:
            out[f.name] = _text(d, f.name, f.label)
    return out


def perform(user, case: Case, action: Any, data: Any) -> tuple[CaseEvent, str]:
    """Parse `data` for `action` and record the step; returns (event, Chinese success message).

    `expected_state` (optional) is the case's `state_of(case)` that the form or client saw; a
    step made from an older state is refused with `StaleState` and nothing is written."""
    d = _Data(data)
    step = BY_ACTION.get(action) if isinstance(action, str) else None
    if step is None:
        raise A.StepRefused(
            f"办案步骤（action）“{action if action not in (None, '') else ''}”无效，"
            f"应为{'、'.join(s.action for s in STEPS)}之一。"
        )
    on = _date(d, "date", "日期")
    note = _text(d, "note", "说明")
    state = d.get("expected_state")
    if state is not None and not isinstance(state, str | int):
        raise A.StepRefused("案件状态（expected_state）：应为查看案件时得到的state值。")
    kw: dict[str, Any] = {"note": note, "expected_state": None if state in (None, "") else str(state)}
    if action == "file":
        ev = A.do_file(user, case, on, **kw)
    elif action == "legal_review":
        ev = A.do_legal_review(user, case, on, passed=_fields(step, d)["passed"], **kw)
    elif action == "close":
        ev = A.do_close(user, case, on, **kw)
    elif action == "transfer":
        kw.pop("note")
        ev = A.do_transfer(
            user,
            case,
            on,
            to=_text(d, "to", "移送机关", 200),
            police=_bool(d, "police"),
            reason=_text(d, "reason", "移送理由"),
            **kw,
        )
    elif action == "decide":
        kind = _choice(d, "kind", "决定种类", DECISION_KIND_CHOICES, "penalty")
        raw = d.getlist("penalties")
        bad = [p for p in raw if not isinstance(p, str) or p not in {c for c, _l in PENALTY_CHOICES}]
        if bad:
            raise A.StepRefused(f"处罚种类（penalties）：{'、'.join(str(p) for p in bad)}无效。")
        penalties = [p for p in raw if p]
        circumstance = _choice(d, "circumstance", "违法情节（裁量阶次）", CIRCUMSTANCE_CHOICES)
        if kind == "penalty" and not penalties:
            raise A.StepRefused("处罚种类（penalties）：行政处罚决定至少选择一种处罚种类。")
        ev = A.do_decide(
            user,
            case,
            on,
            kind=kind,
            penalties=penalties if kind == "penalty" else [],
            fine=_money(d, "fine", "罚款金额", 0) if "fine" in penalties else 0,
            circumstance=circumstance,
            deviation_reason=_text(d, "deviation_reason", "超出裁量基准的理由") or None,
            late_reason=_text(d, "late_reason", "超过九十日作出决定的理由") or None,
            first_violation=_bool(d, "first_violation"),
            corrected_in_time=_bool(d, "corrected_in_time"),
            major=_bool(d, "major"),
            party_present=_bool(d, "party_present"),
            on_spot_officers=_users(case, d) if case.procedure == "simple" else None,
            **kw,
        )
    else:
        ev = A.do_add_event(
            user,
            case,
            action,
            on,
            actors=_users(case, d) if step.actors else None,
            fields=_fields(step, d),
            **kw,
        )
    return ev, f"已记录：{step.label}（{on}）。"


_LABELS: dict[str, tuple[str, dict[str, str]]] = {}
for _s in STEPS:
    for _f in _s.fields:
        _LABELS.setdefault(_f.name, (_f.label, dict(_f.choices)))
_LABELS.update(
    {
        "source": ("线索来源", {}),
        "on_spot": ("当场作出", {}),
        "party_present": ("当事人在场", {}),
        "approved_by": ("批准人", {}),
        "to": ("移送机关", {}),
        "police": ("移送公安机关", {}),
        "reason": ("移送理由", {}),
    }
)
_LABELS["method"] = ("送达方式", dict(SERVICE_CHOICES))


def describe(ev: CaseEvent, names: dict[str, str]) -> tuple[str, str]:
    """(actors, details) of an event in Chinese for the timeline."""
    actors = "、".join(names.get(a, a) for a in ev.actors or ())
    parts = []
    for k, v in (ev.payload or {}).items():
        label, choices = _LABELS.get(k, (k, {}))
        if isinstance(v, bool):
            text = "是" if v else "否"
        elif v is None:
            text = "无"
        elif k == "approved_by":
            text = names.get(v, v)
        else:
            text = choices.get(v, str(v)) if isinstance(v, str) else str(v)
        parts.append(f"{label}：{text}")
    return actors, "；".join(parts)
