"""Chinese formatting helpers for legal documents: dates, amounts, numbers. No Django import."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

_DIGITS = "〇一二三四五六七八九"
_UPPER = "零壹贰叁肆伍陆柒捌玖"


def as_date(value) -> dt.date | None:
    """A date from a date, a datetime or an ISO string "YYYY-MM-DD"; None stays None."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value)[:10])
    except ValueError:
        raise ValueError(f"日期“{value}”格式不正确，应为YYYY-MM-DD") from None


def _small_number(n: int) -> str:
    """1..99 in Chinese: 十一, 二十二."""
    if n < 10:
        return _DIGITS[n]
    tens, ones = divmod(n, 10)
    return ("" if tens == 1 else _DIGITS[tens]) + "十" + (_DIGITS[ones] if ones else "")


def cn_date(value, upper: bool = True) -> str:
    """二〇二六年十一月二十二日 (upper=True, for the signature block) or 2026年11月22日."""
    d = as_date(value)
    if d is None:
        return "    年  月  日"
    if not upper:
        return f"{d.year}年{d.month}月{d.day}日"
    year = "".join(_DIGITS[int(c)] for c in str(d.year))
    return f"{year}年{_small_number(d.month)}月{_small_number(d.day)}日"


def short_date(value) -> str:
    """2026年11月22日, or a blank to fill in by hand."""
    d = as_date(value)
    return cn_date(d, upper=False) if d else "    年  月  日"


def cn_number(n: int) -> str:
    """Small counts in Chinese (up to 9999): 十, 十五, 三十, 六十, 一百二十."""
    if n < 0 or n > 9999:
        return str(n)
    if n < 100:
        return _small_number(n) if n else "零"
    out = ""
    units = [(1000, "千"), (100, "百"), (10, "十"), (1, "")]
    zero = False
    for value, name in units:
        q, n = divmod(n, value)
        if q:
            if zero:
                out += "零"
                zero = False
            out += _DIGITS[q] + name
        elif out:
            zero = True
    return out


def money(value) -> Decimal:
    return Decimal(str(value or 0)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def yuan(value) -> str:
    """80000 -> "80000元", 12.5 -> "12.50元"."""
    m = money(value)
    return f"{int(m)}元" if m == m.to_integral_value() else f"{m}元"


def rmb_upper(value) -> str:
    """Amount in capital numerals as written on fines: 80000 -> 捌万元整, 1234.5 -> 壹仟贰佰叁拾肆元伍角."""
    m = money(value)
    if m < 0:
        raise ValueError("金额不能为负数")
    integer = int(m)
    cents = int((m - integer) * 100)
    jiao, fen = divmod(cents, 10)
    out = ""
    if integer:
        groups = []
        n = integer
        while n:
            n, g = divmod(n, 10000)
            groups.append(g)
        big = ["", "万", "亿", "万亿"]
        small = ["仟", "佰", "拾", ""]
        parts = []
        need_zero = False
        for i in range(len(groups) - 1, -1, -1):
            g = groups[i]
            if g == 0:
                need_zero = bool(parts)
                continue
            s = ""
            digits = f"{g:04d}"
            started = bool(parts)
            for j, ch in enumerate(digits):
                d = int(ch)
                if d == 0:
                    if started:
                        need_zero = True
                    continue
                if need_zero:
                    s += "零"
                    need_zero = False
                s += _UPPER[d] + small[j]
                started = True
            parts.append(s + big[i])
            need_zero = digits.endswith("0")
        out = "".join(parts) + "元"
    if not jiao and not fen:
        return (out or "零元") + "整"
    if jiao:
        out += _UPPER[jiao] + "角"
    elif out:
        out += "零"
    if fen:
        out += _UPPER[fen] + "分"
    return out


def fine_text(value) -> str:
    """罚款金额 as on decisions: 人民币捌万元整（¥80000.00）."""
    return f"人民币{rmb_upper(value)}（¥{money(value)}）"
