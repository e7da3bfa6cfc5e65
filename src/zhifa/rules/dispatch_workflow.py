"""The closed loop of a report (事件) as one explicit transition table, and step time limits.

Pure: no Django, no database. The dispatch services look a transition up here before they
change anything, so what is allowed is written in exactly one place.

States follow the seven steps 一口受理、一键转办、分类处置、协调联动、复核回访、督办问效、办结归档:
received → routed → handling → joint → verifying → closed → archived, plus held (挂账),
split (parent of sub-tasks) and merged (folded into another report).

Time limits: a step's limit is a number of working days (the n-th working day after the start,
the start day not counted, ending at the close of working hours), working hours (counted only
inside the working hours of working days) or plain hours. All use the one `WorkCalendar`.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from zhifa.rules.workdays import WorkCalendar

# ---- states ----------------------------------------------------------------------------------

RECEIVED = "received"
ROUTED = "routed"
HANDLING = "handling"
JOINT = "joint"
VERIFYING = "verifying"
CLOSED = "closed"
ARCHIVED = "archived"
HELD = "held"
SPLIT = "split"
MERGED = "merged"

STATE_LABELS: dict[str, str] = {
    RECEIVED: "已受理待分拨",
    ROUTED: "已转办待签收",
    HANDLING: "处置中",
    JOINT: "联合处置中",
    VERIFYING: "待核查回访",
    CLOSED: "已办结",
    ARCHIVED: "已归档",
    HELD: "挂账",
    SPLIT: "已拆分",
    MERGED: "已合并",
}
STATE_CHOICES = list(STATE_LABELS.items())
OPEN_STATES = frozenset({RECEIVED, ROUTED, HANDLING, JOINT, VERIFYING})
# States whose duration is limited (the clock of 限期督办 runs).
TIMED_STATES = frozenset({RECEIVED, ROUTED, HANDLING, JOINT, VERIFYING})
FINAL_STATES = frozenset({ARCHIVED, MERGED})

# ---- who may act -------------------------------------------------------------------------------

DISPATCHER = "dispatcher"  # the county centre or the township platform that dispatches the report
HANDLER = "handler"  # the unit the report is routed to (township team or department)
SYSTEM = "system"  # the urging worker

ACTOR_LABELS = {DISPATCHER: "调度员", HANDLER: "承办单位", SYSTEM: "系统"}

# ---- actions -------------------------------------------------------------------------------------

ROUTE = "route"
ACCEPT = "accept"
RETURN = "return"
REASSIGN = "reassign"
START_JOINT = "start_joint"
FINISH = "finish"
VERIFY_FAIL = "verify_fail"
CLOSE = "close"
ARCHIVE = "archive"
HOLD = "hold"
RESUME = "resume"
REQUEST_EXTENSION = "request_extension"
APPROVE_EXTENSION = "approve_extension"
REJECT_EXTENSION = "reject_extension"
SPLIT_ACTION = "split"
MERGE = "merge"
REOPEN = "reopen"
URGE = "urge"
ESCALATE = "escalate"
DISMISS = "dismiss"
VERIFY = "verify"
CALLBACK = "callback"

ACTION_LABELS: dict[str, str] = {
    ROUTE: "转办",
    ACCEPT: "签收",
    RETURN: "回退",
    REASSIGN: "改派",
    START_JOINT: "发起联合处置",
    FINISH: "处置完毕，提请核查",
    VERIFY_FAIL: "核查未通过，退回重办",
    CLOSE: "核查回访通过，办结",
    ARCHIVE: "归档",
    HOLD: "挂账",
    RESUME: "恢复办理",
    REQUEST_EXTENSION: "申请延期",
    APPROVE_EXTENSION: "批准延期",
    REJECT_EXTENSION: "驳回延期",
    SPLIT_ACTION: "拆分",
    MERGE: "合并",
    REOPEN: "回访不满意，重新办理",
    URGE: "督办",
    ESCALATE: "升级督办",
    DISMISS: "不予受理",
    VERIFY: "现场核查通过",
    CALLBACK: "回访举报人",
}


@dataclass(frozen=True)
class Rule:
    to: str | None  # None: the state does not change (extension, urge, escalate)
    actors: frozenset[str]
    reason_required: bool = False


def _r(to: str | None, *actors: str, reason: bool = False) -> Rule:
    return Rule(to, frozenset(actors), reason)


_STEP_STATES = (ROUTED, HANDLING, JOINT, VERIFYING)
_WORKING = (HANDLING, JOINT)

# THE table: (state, action) → rule. Anything not listed is refused.
TRANSITIONS: dict[tuple[str, str], Rule] = {
    (RECEIVED, ROUTE): _r(ROUTED, DISPATCHER),
    (RECEIVED, DISMISS): _r(CLOSED, DISPATCHER, reason=True),
    (RECEIVED, SPLIT_ACTION): _r(SPLIT, DISPATCHER, reason=True),
    (RECEIVED, MERGE): _r(MERGED, DISPATCHER, reason=True),
    (ROUTED, ACCEPT): _r(HANDLING, HANDLER),
    (ROUTED, RETURN): _r(RECEIVED, HANDLER, reason=True),
    (ROUTED, REASSIGN): _r(ROUTED, DISPATCHER, reason=True),
    (ROUTED, SPLIT_ACTION): _r(SPLIT, DISPATCHER, reason=True),
    (ROUTED, MERGE): _r(MERGED, DISPATCHER, reason=True),
    (HANDLING, RETURN): _r(RECEIVED, HANDLER, reason=True),
    (HANDLING, REASSIGN): _r(ROUTED, DISPATCHER, reason=True),
    (HANDLING, START_JOINT): _r(JOINT, HANDLER, DISPATCHER, reason=True),
    (HANDLING, FINISH): _r(VERIFYING, HANDLER, reason=True),
    (HANDLING, MERGE): _r(MERGED, DISPATCHER, reason=True),
    (JOINT, FINISH): _r(VERIFYING, HANDLER, reason=True),
    (JOINT, REASSIGN): _r(ROUTED, DISPATCHER, reason=True),
    (VERIFYING, VERIFY): _r(None, DISPATCHER),
    (VERIFYING, VERIFY_FAIL): _r(HANDLING, DISPATCHER, reason=True),
    (VERIFYING, CALLBACK): _r(None, DISPATCHER),
    (VERIFYING, CLOSE): _r(CLOSED, DISPATCHER),
    (VERIFYING, REOPEN): _r(HANDLING, DISPATCHER, reason=True),
    (CLOSED, REOPEN): _r(HANDLING, DISPATCHER, reason=True),
    (CLOSED, ARCHIVE): _r(ARCHIVED, DISPATCHER),
    (HELD, RESUME): _r(HANDLING, DISPATCHER, HANDLER),
    (HELD, URGE): _r(None, DISPATCHER, SYSTEM),
}
for _s in _WORKING:
    TRANSITIONS[(_s, HOLD)] = _r(HELD, DISPATCHER, HANDLER, reason=True)
    TRANSITIONS[(_s, REQUEST_EXTENSION)] = _r(None, HANDLER, reason=True)
    TRANSITIONS[(_s, APPROVE_EXTENSION)] = _r(None, DISPATCHER)
    TRANSITIONS[(_s, REJECT_EXTENSION)] = _r(None, DISPATCHER, reason=True)
for _s in (RECEIVED, *_STEP_STATES):
    TRANSITIONS[(_s, URGE)] = _r(None, DISPATCHER, SYSTEM)
    TRANSITIONS[(_s, ESCALATE)] = _r(None, DISPATCHER, SYSTEM, reason=True)


class TransitionRefused(ValueError):
    """A transition the table does not allow; the message is Chinese and says why."""


def check(state: str, action: str, actor_kinds: set[str] | frozenset[str]) -> Rule:
    """The rule for `action` in `state` if one of `actor_kinds` may take it, else TransitionRefused."""
    rule = TRANSITIONS.get((state, action))
    label = ACTION_LABELS.get(action, action)
    if rule is None:
        raise TransitionRefused(f"事件当前状态为“{STATE_LABELS.get(state, state)}”，不能{label}")
    if not (rule.actors & set(actor_kinds)):
        who = "或".join(ACTOR_LABELS[a] for a in sorted(rule.actors))
        raise TransitionRefused(f"只有{who}可以{label}")
    return rule


def allowed_actions(state: str, actor_kinds: set[str] | frozenset[str]) -> list[str]:
    """Actions `actor_kinds` may take in `state`, in table order (for buttons)."""
    return [a for (s, a), r in TRANSITIONS.items() if s == state and r.actors & set(actor_kinds)]


# ---- escalation -----------------------------------------------------------------------------------

ESCALATION_LABELS = ["承办单位", "乡镇（街道）调度平台", "县综合行政执法指挥中心", "县政府分管领导"]
MAX_ESCALATION = len(ESCALATION_LABELS) - 1


def escalation_label(level: int) -> str:
    return ESCALATION_LABELS[min(max(level, 0), MAX_ESCALATION)]


# ---- time limits -----------------------------------------------------------------------------------

WORKDAYS = "workdays"
WORKHOURS = "workhours"
HOURS = "hours"
UNIT_LABELS = {WORKDAYS: "个工作日", WORKHOURS: "个工作小时", HOURS: "小时"}

NORMAL, URGENT, EMERGENCY = "normal", "urgent", "emergency"
PRIORITY_LABELS = {NORMAL: "一般", URGENT: "紧急", EMERGENCY: "特急"}
PRIORITY_CHOICES = list(PRIORITY_LABELS.items())


@dataclass(frozen=True)
class Limit:
    amount: int
    unit: str

    def label(self) -> str:
        return f"{self.amount}{UNIT_LABELS[self.unit]}"


# Defaults when no TimeLimit row is configured: per priority, per step.
DEFAULT_LIMITS: dict[str, dict[str, Limit]] = {
    NORMAL: {
        RECEIVED: Limit(4, WORKHOURS),
        ROUTED: Limit(1, WORKDAYS),
        HANDLING: Limit(5, WORKDAYS),
        JOINT: Limit(5, WORKDAYS),
        VERIFYING: Limit(2, WORKDAYS),
    },
    URGENT: {
        RECEIVED: Limit(1, WORKHOURS),
        ROUTED: Limit(2, WORKHOURS),
        HANDLING: Limit(2, WORKDAYS),
        JOINT: Limit(2, WORKDAYS),
        VERIFYING: Limit(1, WORKDAYS),
    },
    EMERGENCY: {
        RECEIVED: Limit(1, HOURS),
        ROUTED: Limit(1, HOURS),
        HANDLING: Limit(24, HOURS),
        JOINT: Limit(24, HOURS),
        VERIFYING: Limit(8, HOURS),
    },
}
# A step urged once gets this much more before it is escalated again.
URGE_GRACE = Limit(1, WORKDAYS)

# Working hours of a working day (morning and afternoon sessions), local time.
WORK_SESSIONS: tuple[tuple[dt.time, dt.time], ...] = (
    (dt.time(8, 30), dt.time(12, 0)),
    (dt.time(13, 30), dt.time(17, 30)),
)


def default_limit(step: str, priority: str = NORMAL) -> Limit | None:
    return DEFAULT_LIMITS.get(priority, DEFAULT_LIMITS[NORMAL]).get(step)


def due_at(
    start: dt.datetime,
    limit: Limit,
    cal: WorkCalendar,
    sessions: tuple[tuple[dt.time, dt.time], ...] = WORK_SESSIONS,
) -> dt.datetime:
    """When a step started at `start` (aware or naive local time) is due under `limit`.

    Working days: the close of working hours of the n-th working day after the start day.
    Working hours: counted only inside `sessions` of working days.
    Plain hours: wall-clock hours.
    """
    if limit.amount < 1:
        raise ValueError("时限必须为正整数")
    if limit.unit == HOURS:
        return start + dt.timedelta(hours=limit.amount)
    if limit.unit == WORKDAYS:
        day = cal.add_workdays(start.date(), limit.amount)
        return dt.datetime.combine(day, sessions[-1][1], tzinfo=start.tzinfo)
    if limit.unit == WORKHOURS:
        return _add_work_hours(start, limit.amount * 60, cal, sessions)
    raise ValueError(f"时限单位“{limit.unit}”无效，应为工作日、工作小时或小时")


def _add_work_hours(
    start: dt.datetime, minutes: int, cal: WorkCalendar, sessions: tuple[tuple[dt.time, dt.time], ...]
) -> dt.datetime:
    tz = start.tzinfo
    day = start.date()
    cursor = start.replace(tzinfo=None)
    left = dt.timedelta(minutes=minutes)
    for _ in range(3660):  # at most ten years of days: a calendar gap raises long before
        if cal.is_workday(day):
            for begin, end in sessions:
                s = max(cursor, dt.datetime.combine(day, begin))
                e = dt.datetime.combine(day, end)
                if s >= e:
                    continue
                if e - s >= left:
                    return (s + left).replace(tzinfo=tz)
                left -= e - s
        day += dt.timedelta(days=1)
        cursor = dt.datetime.combine(day, dt.time(0, 0))
    raise ValueError("时限过长，无法计算")


def is_overdue(due: dt.datetime | None, now: dt.datetime) -> bool:
    return due is not None and now > due


# ---- likely duplicates (same place, same matter, short interval) -------------------------------------

DUPLICATE_RADIUS_M = 50.0
DUPLICATE_WINDOW_HOURS = 72
DUPLICATE_SIMILARITY = 0.5
# Duplicate search goes by a spatial cell column (indexed with county and time), so its cost does
# not grow with the table. A cell is DUPLICATE_CELL_DEG of latitude square in degrees: at least the
# radius north–south, so the 3 rows around a point cover it; east–west a degree is shorter by
# cos(lat), so more columns are read (2 each side at 60°N).
DUPLICATE_CELL_DEG = DUPLICATE_RADIUS_M / 111_000 * 1.02
_CELL_COLUMNS = 10_000_000  # > 360 / DUPLICATE_CELL_DEG, so (row, column) packs into one integer


def duplicate_cell(lon: float, lat: float) -> int:
    """The integer key of the cell holding (lon, lat) in WGS-84 degrees."""
    row = math.floor((lat + 90.0) / DUPLICATE_CELL_DEG)
    col = math.floor((lon + 180.0) / DUPLICATE_CELL_DEG)
    return row * _CELL_COLUMNS + col


def duplicate_cells_near(lon: float, lat: float, radius_m: float = DUPLICATE_RADIUS_M) -> list[int]:
    """Every cell a point within `radius_m` of (lon, lat) can lie in (a 3 × (2k+1) block)."""
    rows = math.ceil(radius_m / 111_000 / DUPLICATE_CELL_DEG)
    lat_edge = min(89.0, abs(lat) + (rows + 1) * DUPLICATE_CELL_DEG)
    cols = math.ceil(radius_m / (111_000 * math.cos(math.radians(lat_edge))) / DUPLICATE_CELL_DEG)
    centre = duplicate_cell(lon, lat)
    spans = range(-rows, rows + 1), range(-cols, cols + 1)
    return [centre + dr * _CELL_COLUMNS + dc for dr in spans[0] for dc in spans[1]]


def bigrams(text: str) -> set[str]:
    """The character bigrams `text_similarity` compares (letters and digits only)."""
    t = "".join(ch for ch in text if ch.isalnum())
    return {t[i : i + 2] for i in range(len(t) - 1)} or {t}


def bigram_overlap(x: set[str], y: set[str]) -> float:
    """`text_similarity` of two texts given their `bigrams` (a report compared with many
    candidates computes its own once)."""
    if not x or not y:
        return 0.0
    return len(x & y) / min(len(x), len(y))


def text_similarity(a: str, b: str) -> float:
    """Share of the shorter text's character bigrams found in the other (0–1).

    The overlap, not Jaccard, because one reporter writes a sentence and the next a paragraph
    about the same stall; Chinese needs no word segmentation for this.
    """
    return bigram_overlap(bigrams(a), bigrams(b))


def distance_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Great-circle distance in metres (haversine)."""
    r = 6371008.8
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(math.sqrt(h))
