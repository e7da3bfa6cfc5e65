"""Paging for the lists that grow without bound (reports, cases, documents, whistles).

Reference lists (catalogue, grid units, users) are bounded by a county's size and keep
limit/offset. Event lists page by a cursor on the primary key, so page 10,000 costs what page 1
costs, and their count is capped: counting ten million rows on every page is what made the
lists slow, and nobody pages through more than COUNT_CAP rows anyway.
"""

from __future__ import annotations

from rest_framework.pagination import CursorPagination
from rest_framework.response import Response

COUNT_CAP = 10_000


class KeysetPagination(CursorPagination):
    ordering = "-id"  # the primary key: unique, indexed, and in creation order
    page_size = 50
    page_size_query_param = "limit"
    max_page_size = 200
    invalid_cursor_message = "分页游标无效（cursor 参数应原样使用上一页返回的 next/previous 链接）。"

    def paginate_queryset(self, queryset, request, view=None):
        # A capped count: the LIMIT keeps it an index walk of at most COUNT_CAP + 1 rows.
        self.capped_count = queryset.order_by()[: COUNT_CAP + 1].count()
        return super().paginate_queryset(queryset, request, view)

    def get_paginated_response(self, data):
        return Response(
            {
                "count": min(self.capped_count, COUNT_CAP),
                "count_capped": self.capped_count > COUNT_CAP,
                "next": self.get_next_link(),
                "previous": self.get_previous_link(),
                "results": data,
            }
        )

    def get_paginated_response_schema(self, schema):
        base = super().get_paginated_response_schema(schema)
        base["properties"] = {
            "count": {"type": "integer", "description": f"条数（超过{COUNT_CAP}条时为{COUNT_CAP}）"},
            "count_capped": {"type": "boolean", "description": "条数是否已封顶（实际更多）"},
            **base["properties"],
        }
        base["required"] = ["count", "count_capped", "next", "previous", "results"]
        return base
