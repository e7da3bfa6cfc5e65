"""The router's suggestion for a report: one at a time (`suggest`), in batches per county
(`suggest_many`), filled in later for reports taken in without one (`fill_suggestions`), and how
it is stored on the report (`_set_suggestion`).

Callers look `suggest` up on this module (`suggestions.suggest(...)`), so a test that stands in
for the router patches `zhifa.dispatch.actions.suggestions.suggest` (and `suggest_many`).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils import timezone

from zhifa.core import audit
from zhifa.dispatch.models import Report
from zhifa.rules import dispatch_workflow as wf

# The logger the lines had before the split of `zhifa.dispatch.services`.
log = logging.getLogger("zhifa.dispatch.services")


def suggest(report: Report):
    """The router's suggestion for `report`, or None when no router is installed."""
    try:
        from zhifa.dispatch import routing
    except ImportError:
        return None
    try:
        on = timezone.localdate(report.reported_at) if report.reported_at else None
        return routing.suggest(
            report.text, report.wgs_lon, report.wgs_lat, "wgs84", on=on, county=report.county
        )
    except Exception:  # a router failure must never lose a report: it is routed by hand
        log.exception("routing suggestion failed for %s", report.tracking_code)
        return None


def suggest_many(reports: list[Report]) -> list:
    """The router's suggestions for several reports in one batch per county (one grid pass,
    held items looked up once per township and day): how deferred suggestions are filled."""
    try:
        from zhifa.dispatch import routing
    except ImportError:
        return [None] * len(reports)
    out: list = [None] * len(reports)
    by_county: dict[int, list[int]] = {}
    for i, r in enumerate(reports):
        by_county.setdefault(r.county_id, []).append(i)
    for county_id, idx in by_county.items():
        rows = [
            (
                reports[i].text,
                reports[i].wgs_lon,
                reports[i].wgs_lat,
                "wgs84",
                timezone.localdate(reports[i].reported_at) if reports[i].reported_at else None,
            )
            for i in idx
        ]
        try:
            found = routing.route_many(rows, county=county_id)
        except Exception:  # one bad row must not hold back the others: fall back to one by one
            log.exception("batch routing failed; suggesting one report at a time")
            found = [suggest(reports[i]) for i in idx]
        for i, sug in zip(idx, found, strict=True):
            out[i] = sug
    return out


def fill_suggestions(reports: Iterable[Report]) -> int:
    """Compute the routing suggestion of reports taken in without one (API, Open311, import)."""
    todo = [r for r in reports if not r.suggestion]
    if not todo:
        return 0
    changed, changes = [], []
    for r, sug in zip(todo, suggest_many(todo), strict=True):
        data = _set_suggestion(r, sug)
        if not data:
            continue
        changed.append(r)
        changes.append(
            audit.Change(
                "update",
                "dispatch.Report",
                str(r.pk),
                str(r),
                {"suggestion": {}, "needs_review": False},
                {"suggestion": data, "needs_review": r.needs_review},
                "转办建议",
                county_id=r.county_id,
            )
        )
    if not changed:
        return 0
    with transaction.atomic():
        # Several dispatch workers may fill the same backlog at once, and a dispatcher may route
        # a report meanwhile: only the rows still without a suggestion, and not locked by
        # someone else, are written (and audited), so each is stored once and never over a
        # newer state.
        free = set(
            Report.objects.select_for_update(skip_locked=True)
            .filter(pk__in=[r.pk for r in changed], suggestion={})
            .values_list("pk", flat=True)
        )
        kept = [(r, c) for r, c in zip(changed, changes, strict=True) if r.pk in free]
        if kept:
            Report.objects.bulk_update([r for r, _c in kept], ["suggestion", "needs_review"])
            audit.record_many([c for _r, c in kept])
    return len(kept)


def preview_suggestions(reports: Iterable[Report]) -> int:
    """The routing suggestion of reports that have none yet, computed for display only: set on
    the objects in memory, never saved and never audited. A page (a GET) shows it; storing it
    is the dispatch worker's `fill_suggestions` or the routing action's, so reading a page
    writes nothing.

    Why the page does not store it (it did, with `fill_suggestions`, until 0ed1991): that would
    be safe against the worker (only rows still without a suggestion are written, SKIP LOCKED),
    but a stored suggestion is an audited change, and in a request `AuditActorMiddleware` makes
    the viewer its actor (the worker's entries say 系统) and the commit seals the audit chain
    from inside a page view. tests/dispatch/test_web_api.py holds the pages to no writes and no
    audit entries. The cost: one `suggest_many` batch per view for the rows the worker has not
    reached, no query per row (tests/dispatch/test_queue_preview.py)."""
    todo = [r for r in reports if not r.suggestion]
    if not todo:
        return 0
    for r, sug in zip(todo, suggest_many(todo), strict=True):
        _set_suggestion(r, sug)
    return len(todo)


def _set_suggestion(report: Report, sug) -> dict[str, Any]:
    """Store the router's suggestion on `report` (not saved) and whether it waits for a person."""
    data = _suggestion_dict(sug)
    report.suggestion = data
    report.needs_review = bool(data) and bool(data.get("needs_review")) and report.status == wf.RECEIVED
    return data


def _suggestion_dict(s) -> dict[str, Any]:
    if s is None:
        return {}
    return {
        "item": getattr(s, "item", None),
        "handler": getattr(s, "handler", "none"),
        "township": getattr(s, "township", None),
        "grid": getattr(s, "grid", None),
        "micro": getattr(s, "micro", None),
        "candidates": [
            {"item": c[0], "score": round(float(c[1]), 4), "words": list(c[2]) if len(c) > 2 else []}
            for c in list(getattr(s, "candidates", []) or [])[:3]
        ],
        "confidence": round(float(getattr(s, "confidence", 0.0) or 0.0), 4),
        "needs_review": bool(getattr(s, "needs_review", False)),
        "also": [
            {"item": a[0], "score": round(float(a[1]), 4), "words": list(a[2]), "clause": a[3]}
            for a in list(getattr(s, "also", []) or [])[:2]
        ],
    }
