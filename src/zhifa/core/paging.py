"""The pages' paginator: Django's, with the count capped.

Counting every matching row on every page is what grows with the table; a list page needs to
know only whether there is more than a reader will page through. Past COUNT_CAP rows the pager
says "超过10000条" and asks for a filter, and the offset never goes deeper than the cap.
"""

from __future__ import annotations

from functools import cached_property

from django.core.paginator import Paginator

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
