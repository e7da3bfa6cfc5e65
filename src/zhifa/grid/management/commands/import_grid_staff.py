"""`zhifa import-grid-staff FILE.csv`: post grid leaders, workers and assistants in bulk."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from zhifa.core import audit
from zhifa.grid.importer import GridImportError, resolve_county
from zhifa.grid.staff_import import StaffImportError, import_staff_file


class Command(BaseCommand):
    help = (
        "批量任命网格人员：CSV列 grid_code（网格编码）、username（账号）、role（网格长/网格员/网格辅助员）。"
        "一格一员：文件中的网格员替换该网格原网格员。全部校验通过才写入。"
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="CSV文件（UTF-8）")
        parser.add_argument("--county-code", default=None, help="区县代码（默认：唯一的现有区县）")

    def handle(self, *args, **options):
        try:
            county = resolve_county(options["county_code"])
        except GridImportError as exc:
            raise CommandError(exc.errors[0])
        if county is None:
            raise CommandError("找不到区县：请先导入网格地图，或用 --county-code 指定区县")
        try:
            with audit.acting_as("命令行"):
                result = import_staff_file(options["file"], county)
        except StaffImportError as exc:
            for line in exc.errors:
                self.stderr.write(line)
            raise CommandError(f"导入失败：共{len(exc.errors)}处错误，未写入任何数据。")
        self.stdout.write(f"网格人员导入完成（{county.name}）：{result.summary()}")
