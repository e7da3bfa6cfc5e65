"""The seizure term among the upcoming deadlines: which extension counts (强制法 第25条).

`upcoming_deadlines` reads the extension through its own helper (`_seizure_days`, issue 13);
these cases pin each of its branches through the public function.
"""

from __future__ import annotations

import datetime as dt

import pytest

from rules.builders import ev
from zhifa.rules import deadlines as dl

D = dt.date.fromisoformat
START = "2025-01-20"  # the plain term ends 30 days later, on 2025-02-19


def seizure_due(cal, *extension: dict) -> list[dt.date | None]:
    case = {"procedure": "general", "events": [ev("seizure_started", START), *extension]}
    return [
        due for code, _l, due, _a in dl.upcoming_deadlines(case, D(START), cal) if code == "COE-SEIZURE-30D"
    ]


@pytest.mark.parametrize(
    "extension,due",
    [
        ((), "2025-02-19"),
        ((ev("seizure_extended", "2025-02-10", days=30),), "2025-03-21"),
        ((ev("seizure_extended", "2025-02-10", days=10),), "2025-03-01"),
        # decided on the last day of the term still counts; a day later it does not
        ((ev("seizure_extended", "2025-02-19", days=30),), "2025-03-21"),
        ((ev("seizure_extended", "2025-02-20", days=30),), "2025-02-19"),
        # over the 30-day maximum: the extension counts as none, not as 30 days
        ((ev("seizure_extended", "2025-02-10", days=31),), "2025-02-19"),
        # not approved
        ((ev("seizure_extended", "2025-02-10", days=30, approved_by=None),), "2025-02-19"),
        # only the first extension is read
        (
            (ev("seizure_extended", "2025-02-10", days=10), ev("seizure_extended", "2025-02-11", days=30)),
            "2025-03-01",
        ),
    ],
)
def test_which_extension_counts(cal, extension, due):
    assert seizure_due(cal, *extension) == [D(due)]


def test_an_ended_seizure_has_no_deadline(cal):
    assert seizure_due(cal, ev("seizure_ended", "2025-02-01")) == []
