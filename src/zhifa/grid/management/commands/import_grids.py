"""`zhifa import-grids FILE.geojson`: import the grid map, all-or-nothing."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from zhifa.core import audit
from zhifa.grid.importer import DEFAULT_TOLERANCE_M2, GridImportError, import_file


class Command(BaseCommand):
    help = (
        "导入网格地图（GeoJSON，WGS-84经纬度）：乡镇、一级网格、二级网格、微网格、专属网格。"
        "检查多边形有效性、是否超出上级网格、同级网格间的重叠和空隙；有任何问题则不写入。"
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="GeoJSON文件（FeatureCollection）")
        parser.add_argument("--county-code", default=None, help="区县代码（默认：唯一的现有区县，或新建C01）")
        parser.add_argument(
            "--tolerance",
            type=float,
            default=DEFAULT_TOLERANCE_M2,
            help=f"重叠、空隙、超出上级的容差（平方米，默认{DEFAULT_TOLERANCE_M2:g}）",
        )
        parser.add_argument(
            "--prune",
            action="store_true",
            help="删除库中有、文件中没有的网格（连同其人员任职；仍有要素在内的网格不能删除）",
        )

    def handle(self, *args, **options):
        try:
            with audit.acting_as("命令行"):
                result = import_file(
                    options["file"],
                    county_code=options["county_code"],
                    tolerance_m2=options["tolerance"],
                    prune=options["prune"],
                )
        except GridImportError as exc:
            for line in exc.errors:
                self.stderr.write(line)
            raise CommandError(f"导入失败：共{len(exc.errors)}处问题，未写入任何数据。")
        self.stdout.write(f"导入完成（{result.county.name}）：{result.summary()}")
