"""`zhifa locate IN.jsonl [-o OUT.jsonl]`: batch geocoding of points to their grids."""

from __future__ import annotations

import sys

from django.core.management.base import BaseCommand, CommandError

from zhifa.grid.batch import locate_jsonl


class Command(BaseCommand):
    help = (
        '按坐标批量定位网格：输入每行 {"id", "lon", "lat", "crs"?}（crs可为wgs84、cgcs2000、gcj02、bd09，'
        '默认wgs84），输出每行 {"id", "township", "community", "grid", "micro", "dedicated"}，无则为null。'
    )

    def add_arguments(self, parser):
        parser.add_argument("input", help="输入文件（JSON Lines），- 表示标准输入")
        parser.add_argument("-o", "--output", default="-", help="输出文件（默认标准输出）")
        parser.add_argument("--batch", type=int, default=50_000, help="每批定位的点数")

    def handle(self, *args, **options):
        src = sys.stdin if options["input"] == "-" else None
        try:
            inp = src or open(options["input"], encoding="utf-8")
        except FileNotFoundError:
            raise CommandError(f"{options['input']}：文件不存在")
        except OSError as exc:
            raise CommandError(f"{options['input']}：无法读取文件（{exc.strerror}）")
        out = self.stdout._out if options["output"] == "-" else open(options["output"], "w", encoding="utf-8")
        try:
            stats = locate_jsonl(
                inp, out, batch=options["batch"], source="标准输入" if src else options["input"]
            )
        finally:
            if inp is not sys.stdin:
                inp.close()
            if options["output"] != "-":
                out.close()
        for line in stats.errors:
            self.stderr.write(line)
        self.stderr.write(
            f"定位完成：共{stats.total}行，定位到网格{stats.found}个，不在本县{stats.outside}个，错误{len(stats.errors)}行"
        )
        if stats.errors:
            raise CommandError(f"有{len(stats.errors)}行无法处理（见上），其余行已输出。")
