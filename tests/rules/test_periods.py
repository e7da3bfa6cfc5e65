"""The statutory periods are defined once (zhifa.rules.periods) with the values of LEGAL-RULES.md."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from zhifa.documents import layouts
from zhifa.rules import deadlines as dl
from zhifa.rules import periods as P
from zhifa.rules.review import gate

D = dt.date.fromisoformat


def test_values_are_the_statutory_ones():
    assert (P.SEIZURE_DAYS, P.SEIZURE_EXTENSION_MAX_DAYS) == (30, 30)  # 强制法 第25条
    assert (P.PAYMENT_DAYS, P.SURCHARGE_PERCENT, P.SURCHARGE_RATE) == (15, 3, Decimal("0.03"))
    assert (P.DECISION_LIMIT_DAYS, P.HEARING_REQUEST_WORKDAYS, P.SERVICE_WORKDAYS) == (90, 5, 7)
    assert (P.DISCLOSURE_WORKDAYS, P.REMINDER_WORKDAYS, P.COURT_WINDOW_MONTHS) == (7, 10, 3)
    assert (P.RECONSIDERATION_DAYS, P.LITIGATION_MONTHS, P.LITIGATION_MONTHS_NO_NOTICE) == (60, 6, 12)
    assert (P.LIMITATION_YEARS, P.LIMITATION_YEARS_GRAVE) == (2, 5)


def test_every_user_reads_the_one_definition():
    assert layouts.PAYMENT_DAYS is P.PAYMENT_DAYS and layouts.SEIZURE_MAX_DAYS is P.SEIZURE_DAYS
    assert (gate.STATEMENT_DAYS_MIN, gate.STATEMENT_DAYS_MAX) == (P.STATEMENT_DAYS_MIN, P.STATEMENT_DAYS_MAX)
    start = D("2026-03-02")
    assert dl.seizure_allowed_end(start) == start + dt.timedelta(days=P.SEIZURE_DAYS)
    assert dl.seizure_allowed_end(start, 99) == start + dt.timedelta(
        days=P.SEIZURE_DAYS + P.SEIZURE_EXTENSION_MAX_DAYS
    )
    assert dl.decision_limit(start) == start + dt.timedelta(days=P.DECISION_LIMIT_DAYS)
