"""The pages' paginator: Django's, with the count capped.

Counting every matching row on every page is what grows with the table; a list page needs to
know only whether there is more than a reader will page through. Past COUNT_CAP rows the pager
says "超过10000条" and asks for a filter, and the offset never goes deeper than the cap.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from dataclasses import dataclass, field
from functools import cached_property

from django.core.paginator import Paginator
from django.db import models
from django.db.models import F, Q
from django.db.models.expressions import OrderBy

COUNT_CAP = 10_000


class CappedPaginator(Paginator):
    cap = COUNT_CAP

    @cached_property
    def _capped_count(self) -> int:
        qs = self.object_list
        if hasattr(qs, "order_by"):
            # The LIMIT inside keeps the count an index walk of at most cap + 1 rows.
            return qs.order_by()[: self.cap + 1].count()
        return len(qs)

    @cached_property
    def count(self) -> int:
        return min(self._capped_count, self.cap)

    @property
    def capped(self) -> bool:
        return self._capped_count > self.cap


# --- Keyset (cursor) pages -------------------------------------------------------------------
# An offset page reads and throws away every row before it; a keyset page starts from the last
# row shown ("rows after this key, in this order"), which an index on the same order finds
# directly: page 500 costs what page 1 costs. The cursor is opaque to the reader (base64 JSON of
# the last row's key); a cursor that does not decode is a clear message and the first page.


@dataclass(frozen=True)
class Key:
    """One column of the order: `field` ascending unless `desc`; NULLs sort last either way."""

    field: str
    desc: bool = False

    def order(self, model) -> OrderBy:
        expr = F(self.field)
        if not model._meta.get_field(self.field).null:
            # No NULLs to place: the plain direction, which a B-tree index in that direction
            # (ASC NULLS LAST, DESC NULLS FIRST by default on PostgreSQL) serves without a sort.
            return expr.desc() if self.desc else expr.asc()
        return expr.desc(nulls_last=True) if self.desc else expr.asc(nulls_last=True)


@dataclass
class KeysetPage:
    rows: list
    next_cursor: str | None
    first: bool  # no cursor: the list's beginning
    error: str = ""  # the cursor was refused (shown on the page)
    count: int = 0  # capped count of the whole list (COUNT_CAP), for "共N条"
    capped: bool = False
    has_next: bool = field(init=False)

    def __post_init__(self) -> None:
        self.has_next = self.next_cursor is not None

    def __iter__(self):
        return iter(self.rows)


def keyset_order(model, keys: list[Key]) -> list[OrderBy]:
    return [k.order(model) for k in keys]


def keyset_page(qs, keys: list[Key], cursor: str | None, size: int) -> KeysetPage:
    """The `size` rows of `qs` after `cursor` in the order `keys` (the last key must be unique,
    e.g. the primary key, so the order is total)."""
    error = ""
    values = None
    if cursor:
        try:
            values = _decode(qs.model, keys, cursor)
        except (ValueError, TypeError, KeyError):
            error = "翻页参数无效，已回到列表第一页。"
    ordered = qs.order_by(*keyset_order(qs.model, keys))
    capped = CappedPaginator(qs, size)
    if values is not None:
        ordered = ordered.filter(_after(qs.model, keys, values))
    rows = list(ordered[: size + 1])
    more = len(rows) > size
    rows = rows[:size]
    nxt = _encode(keys, rows[-1]) if more and rows else None
    return KeysetPage(
        rows=rows,
        next_cursor=nxt,
        first=values is None,
        error=error,
        count=capped.count,
        capped=capped.capped,
    )


def _after(model, keys: list[Key], values: list) -> Q:
    """Rows strictly after `values` in the order: (k1 > v1) or (k1 = v1 and (k2, …) after (v2, …)).

    Written so that the database can range-scan the matching index: past a NULL first key only
    the NULL rows remain (`k1 IS NULL and …`, an equality), and a non-nullable key gets the
    redundant bound `k ≥ v` (or ≤ for a descending key) beside the alternatives, which the
    planner uses as the scan's start instead of filtering the whole range."""
    key, value = keys[0], values[0]
    if len(keys) == 1:
        return _beyond(model, key, value)
    rest = _after(model, keys[1:], values[1:])
    if value is None:
        return Q(**{f"{key.field}__isnull": True}) & rest
    alternatives = _beyond(model, key, value) | (Q(**{key.field: value}) & rest)
    if model._meta.get_field(key.field).null:
        return alternatives
    return Q(**{f"{key.field}__{'lte' if key.desc else 'gte'}": value}) & alternatives


def _beyond(model, key: Key, value) -> Q:
    if value is None:
        return Q(pk__in=[])  # NULLs sort last: nothing is beyond a NULL but other NULLs
    q = Q(**{f"{key.field}__{'lt' if key.desc else 'gt'}": value})
    return q | Q(**{f"{key.field}__isnull": True}) if model._meta.get_field(key.field).null else q


def _encode(keys: list[Key], row) -> str:
    raw = []
    for key in keys:
        v = getattr(row, key.field)
        raw.append(v.isoformat() if isinstance(v, dt.datetime | dt.date) else v)
    return base64.urlsafe_b64encode(json.dumps(raw, separators=(",", ":")).encode()).decode().rstrip("=")


def _decode(model, keys: list[Key], cursor: str) -> list:
    padded = cursor + "=" * (-len(cursor) % 4)
    raw = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
    if not isinstance(raw, list) or len(raw) != len(keys):
        raise ValueError("cursor shape")
    out = []
    for key, v in zip(keys, raw, strict=True):
        if v is None:
            out.append(None)
            continue
        f = model._meta.get_field(key.field)
        if isinstance(f, models.DateTimeField):
            if not isinstance(v, str):
                raise TypeError("datetime")
            parsed = dt.datetime.fromisoformat(v)
            if parsed.tzinfo is None:
                raise ValueError("naive datetime")
            out.append(parsed)
        elif isinstance(f, models.DateField):
            out.append(dt.date.fromisoformat(v))
        elif isinstance(f, models.IntegerField | models.AutoField | models.BigAutoField):
            if not isinstance(v, int) or isinstance(v, bool) or abs(v) >= 10**18:
                raise TypeError("integer")
            out.append(v)
        else:
            if not isinstance(v, str) or len(v) > 200:
                raise TypeError("text")
            out.append(v)
    return out
