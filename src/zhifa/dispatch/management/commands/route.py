"""`zhifa route IN.jsonl [-o OUT]`: route a report set; one JSON line per report."""

from __future__ import annotations

import gc
import json
import sys

from django.core.management.base import BaseCommand, CommandError

from zhifa.dispatch.reports_io import ReportFileError, read_reports
from zhifa.dispatch.routing import resolve_county, route_many, store_trained_in_memory
from zhifa.org.models import County


class Command(BaseCommand):
    # A batch tool run from scripts: the system checks (which import every URLconf, the API and
    # the document renderer) cost more than routing a few thousand reports.
    requires_system_checks: list[str] = []
    help = (
        "一键转办：读取事件JSON Lines（id、text、lon、lat、reported_at），按位置定乡镇、按描述匹配执法事项，"
        '逐行输出{"id","township","grid","item","candidates","handler"}。'
    )

    def add_arguments(self, parser):
        parser.add_argument("input", help="事件文件（JSON Lines，UTF-8）")
        parser.add_argument("-o", "--output", default=None, help="输出文件（默认标准输出）")
        parser.add_argument("--county-code", default=None, help="区县代码（默认：事件所在的区县）")

    def handle(self, *args, **options):
        # Reading and routing make no reference cycles, while every report read and routed adds
        # objects that the cyclic collector would walk again and again: it waits until the end.
        enabled = gc.isenabled()
        gc.disable()
        try:
            self._route(options)
        finally:
            if enabled:
                gc.enable()

    def _route(self, options):
        try:
            rows = read_reports(options["input"])
        except ReportFileError as exc:
            for line in exc.errors:
                self.stderr.write(line)
            raise CommandError(f"输入有{len(exc.errors)}处错误，未输出任何结果。")
        try:
            # Without --county-code the county is the one the points lie in (or the only one).
            county = resolve_county(options["county_code"]) if options["county_code"] else None
            # The output has no "also" field: clauses are ranked only where they can change the first.
            results = route_many([(r.text, r.lon, r.lat, r.crs, r.on) for r in rows], county, with_also=False)
            if store_trained_in_memory():
                self.stderr.write("本县尚无可用的已存路由模型：本次已训练并保存，下次启动直接加载。")
        except (County.DoesNotExist, County.MultipleObjectsReturned) as exc:
            raise CommandError(str(exc))
        except ValueError as exc:
            raise CommandError(f"转办失败：{exc}")
        out = open(options["output"], "w", encoding="utf-8") if options["output"] else sys.stdout
        encode = json.JSONEncoder(ensure_ascii=False).encode  # json.dumps(…, ensure_ascii=False), made once
        try:
            for r, s in zip(rows, results, strict=True):
                line = {
                    "id": r.id,
                    "township": s.township,
                    "grid": s.grid,
                    "item": s.item,
                    "candidates": [{"item": c, "score": sc, "words": w} for c, sc, w in s.candidates],
                    "handler": s.handler,
                }
                out.write(encode(line) + "\n")
        finally:
            if out is not sys.stdout:
                out.close()
        if options["output"]:
            self.stderr.write(f"已转办{len(rows)}条事件，结果写入{options['output']}")
