"""Finds catalogue rows changed directly in the database, behind the audit log's back.

Every catalogue row reaches the database through an audited save (or `record_many` for the
import's bulk writes), so its last audit entry's "after" image equals the row. A row that
differs from that image, a row without any entry, or an entry whose row vanished without a
"delete" entry was changed by SQL. `zhifa audit verify` runs this check (registered in apps.py).
"""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.core.exceptions import ValidationError

from zhifa.core import audit

CHECKED_MODELS = [
    "catalogue.Item",
    "catalogue.CatalogueVersion",
    "catalogue.Entry",
    "catalogue.Entrustment",
    "catalogue.EntrustmentItem",
    "catalogue.DiscretionTier",
]


def _same(field, logged: Any, live: Any) -> bool:
    if logged == live:
        return True
    # The logged image went through JSON (Decimal "5" vs the column's "5.00", ISO dates).
    try:
        return field.to_python(logged) == field.to_python(live)
    except (ValidationError, TypeError, ValueError):
        return False


def _added_later(field, logged: dict, live: Any) -> bool:
    """A column a later migration added (e.g. an entrustment's early end) is absent from images
    logged before it; the row still matches while the column holds the field's default."""
    return field.attname not in logged and _same(field, audit._jsonable(field.get_default()), live)


def check_rows() -> list[str]:
    from zhifa.core.models import AuditEntry

    problems: list[str] = []
    last: dict[tuple[str, str], tuple[int, str, dict | None]] = {}
    entries = (
        AuditEntry.objects.filter(model__in=CHECKED_MODELS)
        .order_by("id")
        .values_list("id", "model", "object_id", "action", "after")
    )
    for eid, label, object_id, action, after in entries.iterator(chunk_size=2000):
        last[(label, object_id)] = (eid, action, after)
    for label in CHECKED_MODELS:
        model = apps.get_model(label)
        fields = {f.attname: f for f in model._meta.concrete_fields}
        name = model._meta.verbose_name
        seen: set[str] = set()
        for obj in model.objects.all().iterator(chunk_size=2000):
            key = str(obj.pk)
            seen.add(key)
            logged = last.get((label, key))
            if logged is None or logged[1] == "delete" or logged[2] is None:
                problems.append(f"{name}（{label}#{key}）：没有对应的审计记录（可能被直接写入数据库）")
                continue
            live = audit.snapshot(obj)
            changed = [
                fields[k].verbose_name
                for k, v in live.items()
                if k in fields
                and not _same(fields[k], logged[2].get(k), v)
                and not _added_later(fields[k], logged[2], v)
            ]
            if changed:
                problems.append(
                    f"{name}（{label}#{key}）：{'、'.join(map(str, changed))}与第{logged[0]}条审计记录不符"
                    "（数据被直接修改）"
                )
        for (lab, key), (eid, action, _after) in last.items():
            if lab == label and action != "delete" and key not in seen:
                problems.append(f"{name}（{label}#{key}）：行已不存在，但没有删除的审计记录（第{eid}条之后）")
    return problems
