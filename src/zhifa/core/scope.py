"""How a model is scoped to a user: the lookup paths from the model to its county, township and
department (`zhifa.org.scoping.restrict` applies it). Here, below org, so that core's own models
(the audit entries) can declare theirs."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Scope:
    county: str | None = None
    township: str | None = None
    department: str | None = None
    # Readable by every signed-in user of the county (reference data such as townships).
    public_read: bool = False
    # Objects with no township (county-wide rows) are readable by township staff too.
    shared_when_township_null: bool = False
    # Roles that may change rows anywhere in their county, beyond the administrator.
    county_writers: frozenset[str] = frozenset()
    # Further paths to a department that let its staff read a row (never change it), OR-ed with
    # `department`: e.g. a report a department was called to by a township's whistle.
    department_reads: tuple[str, ...] = ()
    # Rows of no county (installation-wide: the holiday calendar, the audit chain's own entries)
    # are readable by the county roles of every county.
    shared_when_county_null: bool = False
