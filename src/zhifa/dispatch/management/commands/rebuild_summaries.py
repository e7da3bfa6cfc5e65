"""`zhifa rebuild-summaries`: recompute the board's and the metrics page's summary tables from the
reports and steps (an existing database, after `zhifa restore`, after `zhifa generate-province`
or any rows written straight into the database). The worker keeps them up to date afterwards."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand

from zhifa.dispatch.summaries import rebuild_summaries


class Command(BaseCommand):
    help = "重算调度看板和考核指标的统计表（已有数据库、恢复备份或批量写入之后运行）"

    def handle(self, *args, **options):
        t = time.perf_counter()
        n = rebuild_summaries()
        self.stdout.write(f"统计表已重算：{n} 行，用时 {time.perf_counter() - t:.1f} 秒")
