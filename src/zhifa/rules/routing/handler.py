"""Who handles a routed report (一键转办): the township's team, a county department, or no one.

The rule of the benchmark county README and of issue 4: a report located in township T about
item I goes to T's enforcement team if T holds I on the report's date (an entrusted item only
while its entrustment is valid — the caller's `held` set already says so, computed by
`zhifa.rules.holdings.held_codes` under its FIRST_VERSION policy); otherwise up to the county
centre, which assigns I's department. A matter that is not enforcement has no handler ("none":
the service queue). The one handler decision: `zhifa.dispatch.actions.route.decide_handler` adapts it.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

NONE = "none"


def decide_handler(
    item: str | None,
    township: str | None,
    held: Collection[str],
    department_of: Mapping[str, str],
) -> str:
    """ "township:Txx", "department:Dxx" or "none".

    `held`: codes of the items `township` may exercise on the report's date; `department_of`:
    item code → department code. A point outside every township goes to the department.
    """
    if not item:
        return NONE
    if township and item in held:
        return f"township:{township}"
    dept = department_of.get(item)
    if not dept:
        raise ValueError(f"执法事项{item}没有实施部门，无法转办")
    return f"department:{dept}"
