"""Compatibility façade: every dispatch action now lives in `zhifa.dispatch.actions`, one module
per family (see that package's docstring); this module re-exports their public names so older
callers keep working. New code imports from the family's module.

Do not monkeypatch names here: the actions look them up in their own modules, so a patch of
`services.locate` or `services.suggest` would silently change nothing. Patch
`zhifa.dispatch.actions.geocoding.locate` and `zhifa.dispatch.actions.suggestions.suggest`
(`suggest_many`) instead.
"""

from __future__ import annotations

from zhifa.dispatch.actions.common import (
    StaleState,
    actor_kinds,
    due_or_gap,
    expected_state_of,
    limit_for,
    new_tracking_code,
)
from zhifa.dispatch.actions.geocoding import (
    locate,
)
from zhifa.dispatch.actions.intake import (
    CLOCK_SKEW,
    DUPLICATE_RADIUS_M,
    DUPLICATE_SIMILARITY,
    DUPLICATE_WINDOW,
    EARLIEST_REPORTED_AT,
    LAT_RANGE,
    LON_RANGE,
    MAX_PHOTO_BYTES,
    MAX_TEXT,
    IntakeResult,
    PhotoIn,
    distance_m,
    do_intake,
    find_duplicate,
    text_similarity,
    validate_intake,
)
from zhifa.dispatch.actions.loop import (
    do_accept,
    do_approve_extension,
    do_archive,
    do_callback,
    do_close,
    do_dismiss,
    do_finish,
    do_hold,
    do_reject_extension,
    do_request_extension,
    do_resume,
    do_return,
    do_start_joint,
    do_verify,
    do_verify_fail,
)
from zhifa.dispatch.actions.perform import (
    perform,
)
from zhifa.dispatch.actions.route import (
    HandlerChoice,
    decide_handler,
    do_assign,
    do_reassign,
    do_route,
    handler_ref,
)
from zhifa.dispatch.actions.split_merge import (
    do_merge,
    do_split,
)
from zhifa.dispatch.actions.suggestions import (
    fill_suggestions,
    suggest,
    suggest_many,
)
from zhifa.dispatch.actions.urge import (
    do_escalate,
    do_urge,
)
from zhifa.dispatch.actions.whistle import (
    absent_departments,
    do_propose_discipline,
    do_respond,
    do_whistle,
    mark_absent,
)
from zhifa.dispatch.actions.worker import (
    UrgeSummary,
    fill_missing_dues,
    remind_held,
    urge_overdue,
)
from zhifa.rules.dispatch_workflow import TransitionRefused

__all__ = [
    "CLOCK_SKEW",
    "DUPLICATE_RADIUS_M",
    "DUPLICATE_SIMILARITY",
    "DUPLICATE_WINDOW",
    "EARLIEST_REPORTED_AT",
    "LAT_RANGE",
    "LON_RANGE",
    "MAX_PHOTO_BYTES",
    "MAX_TEXT",
    "HandlerChoice",
    "IntakeResult",
    "PhotoIn",
    "StaleState",
    "TransitionRefused",
    "UrgeSummary",
    "absent_departments",
    "actor_kinds",
    "decide_handler",
    "distance_m",
    "do_accept",
    "do_approve_extension",
    "do_archive",
    "do_assign",
    "do_callback",
    "do_close",
    "do_dismiss",
    "do_escalate",
    "do_finish",
    "do_hold",
    "do_intake",
    "do_merge",
    "do_propose_discipline",
    "do_reassign",
    "do_reject_extension",
    "do_request_extension",
    "do_respond",
    "do_resume",
    "do_return",
    "do_route",
    "do_split",
    "do_start_joint",
    "do_urge",
    "do_verify",
    "do_verify_fail",
    "do_whistle",
    "due_or_gap",
    "expected_state_of",
    "fill_missing_dues",
    "fill_suggestions",
    "find_duplicate",
    "handler_ref",
    "limit_for",
    "locate",
    "mark_absent",
    "new_tracking_code",
    "perform",
    "remind_held",
    "suggest",
    "suggest_many",
    "text_similarity",
    "urge_overdue",
    "validate_intake",
]
