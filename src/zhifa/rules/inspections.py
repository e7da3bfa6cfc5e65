"""Inspection frequency rules (信用分级分类监管, 综合查一次): plain data in, alerts out.

An enterprise's credit grade sets how many inspections it may receive in a calendar year;
visiting it again for an item checked recently, or many times in a short window, is the
"多头检查、重复检查" the seeds warn against and raises an alert for the supervisor.
No Django import: the same function checks a visit being registered and an imported history.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

# Grade → at most this many inspections per calendar year (None: no fixed ceiling).
# A = good credit, low risk: inspected least; D = poor credit, high risk: inspected as needed.
CREDIT_LIMITS: dict[str, int | None] = {"A": 1, "B": 2, "C": 4, "D": None}
CREDIT_LABELS = {
    "A": "A类（信用好、风险低）",
    "B": "B类（信用较好）",
    "C": "C类（信用一般）",
    "D": "D类（信用差、风险高）",
}

REPEAT_WINDOW_DAYS = 90  # the same item checked again within this window is a repeat
BURST_WINDOW_DAYS = 30  # visits within this window …
BURST_VISITS = 3  # … at least this many (the new one included) is high frequency


@dataclass(frozen=True)
class PastVisit:
    visited_on: dt.date
    item_codes: tuple[str, ...]


@dataclass(frozen=True)
class Alert:
    code: str
    severity: str  # "warning" (shown, visit registered) or "alert" (goes to the supervisor)
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"code": self.code, "severity": self.severity, "message": self.message}


def check_visit(
    grade: str, history: Iterable[PastVisit], visited_on: dt.date, item_codes: Iterable[str]
) -> list[Alert]:
    """Alerts that registering a visit on `visited_on` checking `item_codes` raises."""
    past = [v for v in history if v.visited_on <= visited_on]
    items = set(item_codes)
    alerts: list[Alert] = []

    limit = CREDIT_LIMITS.get(grade)
    same_year = sum(1 for v in past if v.visited_on.year == visited_on.year) + 1
    if limit is not None and same_year > limit:
        alerts.append(
            Alert(
                "FREQ-CREDIT-LIMIT",
                "alert",
                f"该企业信用等级为{grade}类，{visited_on.year}年检查次数上限为{limit}次，"
                f"本次为第{same_year}次，超出信用分级分类监管的频次要求。",
            )
        )

    repeat_start = visited_on - dt.timedelta(days=REPEAT_WINDOW_DAYS)
    repeated = sorted(
        {code for v in past if v.visited_on >= repeat_start for code in v.item_codes if code in items}
    )
    if repeated:
        alerts.append(
            Alert(
                "FREQ-REPEAT-ITEM",
                "warning",
                f"事项{'、'.join(repeated)}在{REPEAT_WINDOW_DAYS}日内已检查过，属重复检查，"
                "应合并检查或说明理由。",
            )
        )

    burst_start = visited_on - dt.timedelta(days=BURST_WINDOW_DAYS - 1)
    burst = sum(1 for v in past if v.visited_on >= burst_start) + 1
    if burst >= BURST_VISITS:
        alerts.append(
            Alert(
                "FREQ-HIGH",
                "alert",
                f"该企业{BURST_WINDOW_DAYS}日内被检查{burst}次，属高频检查，已提示监督人员。",
            )
        )
    return alerts


# 统一社会信用代码 (GB 32100-2015): 18 characters, the last a check character.
_USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def uscc_error(code: str) -> str | None:
    """None when `code` is a valid unified social credit code, else what is wrong, in Chinese."""
    code = code.strip().upper()
    if len(code) != 18:
        return f"统一社会信用代码应为18位，现为{len(code)}位"
    bad = [c for c in code if c not in _USCC_CHARS]
    if bad:
        return f"统一社会信用代码含无效字符“{bad[0]}”（不使用I、O、Z、S、V）"
    total = sum(_USCC_CHARS.index(c) * w for c, w in zip(code[:17], _USCC_WEIGHTS, strict=True))
    check = _USCC_CHARS[(31 - total % 31) % 31]
    if code[17] != check:
        return f"统一社会信用代码校验位错误（应为{check}）"
    return None


def uscc_with_check(first17: str) -> str:
    """Complete 17 characters with their check character (for demo data and tests)."""
    total = sum(_USCC_CHARS.index(c) * w for c, w in zip(first17, _USCC_WEIGHTS, strict=True))
    return first17 + _USCC_CHARS[(31 - total % 31) % 31]
