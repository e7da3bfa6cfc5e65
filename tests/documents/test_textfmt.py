"""Chinese dates and amounts as printed on legal documents."""

from __future__ import annotations

import datetime as dt

import pytest

from zhifa.documents.textfmt import cn_date, cn_number, fine_text, rmb_upper, short_date, yuan


def test_dates():
    assert cn_date("2026-11-22") == "二〇二六年十一月二十二日"
    assert cn_date(dt.date(2025, 10, 1)) == "二〇二五年十月一日"
    assert cn_date("2025-06-30") == "二〇二五年六月三十日"
    assert short_date("2025-06-09") == "2025年6月9日"
    assert short_date(None).strip() == "年  月  日"
    with pytest.raises(ValueError, match="格式不正确"):
        cn_date("2025/6/9")


def test_numbers_and_money():
    assert [cn_number(n) for n in (5, 10, 15, 30, 60, 120, 105)] == [
        "五",
        "十",
        "十五",
        "三十",
        "六十",
        "一百二十",
        "一百零五",
    ]
    assert rmb_upper(80000) == "捌万元整"
    assert rmb_upper(1234.5) == "壹仟贰佰叁拾肆元伍角"
    assert rmb_upper(100005) == "壹拾万零伍元整"
    assert rmb_upper(0.05) == "伍分"
    assert fine_text(200) == "人民币贰佰元整（¥200.00）"
    assert yuan(80000) == "80000元" and yuan(12.5) == "12.50元"
