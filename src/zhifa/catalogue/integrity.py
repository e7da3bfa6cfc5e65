"""The catalogue's rows under the audit log's row check (`zhifa.core.integrity`).

Every catalogue row reaches the database through an audited save (or `record_many` for the
import's bulk writes); `zhifa audit verify` names a row changed by SQL behind the log's back.
"""

from __future__ import annotations

from zhifa.core import integrity

CHECKED_MODELS = [
    "catalogue.Item",
    "catalogue.CatalogueVersion",
    "catalogue.Entry",
    "catalogue.Entrustment",
    "catalogue.EntrustmentItem",
    "catalogue.DiscretionTier",
]


def check_rows() -> list[str]:
    return integrity.check_rows(CHECKED_MODELS)
