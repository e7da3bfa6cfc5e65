"""Finds business rows changed directly in the database, behind the audit log's back.

Every audited row reaches the database through an audited save (signals) or through
`audit.record_many` with the row's image (bulk paths). Replaying a row's create/update/import
entries in order therefore rebuilds its current image: a live row that differs from that image,
a live row without any entry, or an entry whose row vanished without a "delete" entry was changed
by SQL. Domains register the models they want checked (their apps' `ready`); `zhifa audit verify`
runs the check over all of them.

The work is chunked by primary key (1,000 rows and their entries at a time), so memory stays
bounded at any table size; the cost is one pass over the table and its entries.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import connection

from zhifa.core import audit

# Entries whose "after" is (part of) the row's image. Other actions on the same object (a
# transition's reason, a login failure, a token issued) describe an event, not the row.
IMAGE_ACTIONS = ("create", "update", "import")
CHUNK = 1000

_checked: dict[str, frozenset[str]] = {}


def register(labels: Iterable[str], *, ignore: Iterable[str] = ()) -> None:
    """Check the rows of `labels`; `ignore`: columns written as bookkeeping without an entry."""
    for label in labels:
        _checked[label] = frozenset(ignore) | _checked.get(label, frozenset())


def checked_models() -> list[str]:
    return list(_checked)


def _same(field, logged: Any, live: Any) -> bool:
    if logged == live:
        return True
    # The logged image went through JSON (Decimal "5" vs the column's "5.00", ISO dates).
    try:
        return field.to_python(logged) == field.to_python(live)
    except (ValidationError, TypeError, ValueError):
        return False


def _added_later(field, logged: dict, live: Any) -> bool:
    """A column a later migration added is absent from images logged before it; the row still
    matches while the column holds the field's default."""
    return field.attname not in logged and _same(field, audit._jsonable(field.get_default()), live)


def _images(label: str, keys: list[str]) -> dict[str, tuple[int, dict | None]]:
    """object id → (last entry id, image rebuilt from its entries; None after a delete)."""
    from zhifa.core.models import AuditEntry

    out: dict[str, tuple[int, dict | None]] = {}
    rows = (
        AuditEntry.objects.filter(model=label, object_id__in=keys, action__in=(*IMAGE_ACTIONS, "delete"))
        .order_by("id")
        .values_list("id", "object_id", "action", "after")
    )
    for eid, key, action, after in rows:
        if action == "delete":
            out[key] = (eid, None)
            continue
        if not isinstance(after, dict):
            continue
        _, image = out.get(key, (0, None))
        image = dict(after) if action == "create" or image is None else {**image, **after}
        out[key] = (eid, image)
    return out


def _alive_logged(label: str) -> int:
    """How many objects of `label` the log says exist (last image entry is not a delete)."""
    from zhifa.core.models import AuditEntry

    table = connection.ops.quote_name(AuditEntry._meta.db_table)
    with connection.cursor() as cur:
        cur.execute(
            f"SELECT COUNT(*) FROM {table} e JOIN (SELECT MAX(id) AS m FROM {table}"
            " WHERE model = %s AND action IN ('create', 'update', 'import', 'delete')"
            " GROUP BY object_id) t ON e.id = t.m WHERE e.action <> 'delete'",
            [label],
        )
        return cur.fetchone()[0]


def _vanished(label: str, live_keys_with_entries: int) -> list[str]:
    """Objects the log says exist but whose row is gone (only looked for when the counts differ)."""
    from zhifa.core.models import AuditEntry

    if _alive_logged(label) <= live_keys_with_entries:
        return []
    model = apps.get_model(label)
    last: dict[str, tuple[int, str]] = {}
    for eid, key, action in (
        AuditEntry.objects.filter(model=label, action__in=(*IMAGE_ACTIONS, "delete"))
        .order_by("id")
        .values_list("id", "object_id", "action")
        .iterator(chunk_size=5000)
    ):
        last[key] = (eid, action)
    alive = [k for k, (_e, a) in last.items() if a != "delete"]
    gone: list[str] = []
    for i in range(0, len(alive), CHUNK):
        part = alive[i : i + CHUNK]
        present = {str(pk) for pk in model._base_manager.filter(pk__in=part).values_list("pk", flat=True)}
        name = model._meta.verbose_name
        gone += [
            f"{name}（{label}#{k}）：行已不存在，但没有删除的审计记录（第{last[k][0]}条之后）"
            for k in part
            if k not in present
        ]
    return gone


def check_model(label: str) -> list[str]:
    model = apps.get_model(label)
    ignore = _checked.get(label, frozenset())
    fields = {f.attname: f for f in model._meta.concrete_fields if f.attname not in ignore}
    name = model._meta.verbose_name
    problems: list[str] = []
    with_entries = 0
    last_pk = None
    while True:
        qs = model._base_manager.order_by("pk")
        if last_pk is not None:
            qs = qs.filter(pk__gt=last_pk)
        chunk = list(qs[:CHUNK])
        if not chunk:
            break
        last_pk = chunk[-1].pk
        images = _images(label, [str(o.pk) for o in chunk])
        for obj in chunk:
            key = str(obj.pk)
            eid, image = images.get(key, (0, None))
            if image is None:
                problems.append(f"{name}（{label}#{key}）：没有对应的审计记录（可能被直接写入数据库）")
                continue
            with_entries += 1
            live = audit.snapshot(obj)
            changed = [
                str(fields[k].verbose_name) + f"（{k}）"
                for k, v in live.items()
                if k in fields
                and not _same(fields[k], image.get(k), v)
                and not _added_later(fields[k], image, v)
            ]
            if changed:
                problems.append(
                    f"{name}（表 {model._meta.db_table}，{label}#{key}）：{'、'.join(changed)}"
                    f"与第{eid}条审计记录不符（数据被直接修改）"
                )
    return problems + _vanished(label, with_entries)


def check_rows(labels: Iterable[str] | None = None) -> list[str]:
    problems: list[str] = []
    for label in labels if labels is not None else checked_models():
        problems.extend(check_model(label))
    return problems
