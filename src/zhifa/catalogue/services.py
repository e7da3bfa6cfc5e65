"""Compatibility façade: the catalogue's behaviour now lives in `zhifa.catalogue.actions`, one
module per family (see that package's docstring); this module re-exports their public names so
older callers (case opening, dispatch, supervision, the pages and the API) keep working. New code
imports from the family's module.

Do not monkeypatch names here: the actions look them up in their own modules, so a patch of a
re-export would change nothing. Patch the name in the module that uses it.
"""

from __future__ import annotations

from django.utils import timezone  # re-exported: tests read the catalogue's clock from here

from zhifa.catalogue.actions.common import (
    StaleVersion,
    check_revision,
)
from zhifa.catalogue.actions.discretion import (
    MAX_FINE,
    _tier_code,  # the API reads tier labels with it
    fine_range,
    record_usage,
    save_tiers,
)
from zhifa.catalogue.actions.entrustments import (
    ENTRUSTMENT_LABELS,
    EXPIRY_WARNING_DAYS,
    HistoryRow,
    create_entrustment,
    end_entrustment,
    entrustment_history,
    entrustment_state,
    entrustments_by_item,
    expiring_entrustments,
    update_entrustment,
)
from zhifa.catalogue.actions.holdings import (
    held_item_codes,
    held_items,
    holding_facts,
    holding_on,
    items_for_routing,
    version_in_force,
    versions_in_force,
)
from zhifa.catalogue.actions.items import (
    ITEM_FIELDS,
    revoke_item,
    save_item,
)
from zhifa.catalogue.actions.versions import (
    Comparison,
    FieldChange,
    compare,
    create_draft,
    discard_draft,
    offered_items,
    pick,
    publish,
    publish_version,
    published_versions,
    superseded_by,
    unpick,
    version_state,
)
from zhifa.rules.holdings import Authority  # re-exported: callers import it from here

__all__ = [
    "ENTRUSTMENT_LABELS",
    "EXPIRY_WARNING_DAYS",
    "ITEM_FIELDS",
    "MAX_FINE",
    "Authority",
    "Comparison",
    "FieldChange",
    "HistoryRow",
    "StaleVersion",
    "_tier_code",
    "check_revision",
    "compare",
    "create_draft",
    "create_entrustment",
    "discard_draft",
    "end_entrustment",
    "entrustment_history",
    "entrustment_state",
    "entrustments_by_item",
    "expiring_entrustments",
    "fine_range",
    "held_item_codes",
    "held_items",
    "holding_facts",
    "holding_on",
    "items_for_routing",
    "offered_items",
    "pick",
    "publish",
    "publish_version",
    "published_versions",
    "record_usage",
    "revoke_item",
    "save_item",
    "save_tiers",
    "superseded_by",
    "timezone",
    "unpick",
    "update_entrustment",
    "version_in_force",
    "version_state",
    "versions_in_force",
]
