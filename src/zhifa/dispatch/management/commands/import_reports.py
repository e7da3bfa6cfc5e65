"""`zhifa import-reports FILE.jsonl [--county C01]`: bulk intake, all or nothing."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from zhifa.core import audit
from zhifa.dispatch.importer import ImportFileError, import_reports
from zhifa.org.models import County

MAX_SHOWN = 200


class Command(BaseCommand):
    help = "批量导入事件（JSON Lines，每行一个事件）：全部校验通过才导入，重复导入不会重复存储"

    def add_arguments(self, parser):
        parser.add_argument("file", help="事件文件（.jsonl）")
        parser.add_argument("--county", default="", help="区县代码；只有一个区县时可省略")

    def handle(self, *args, **options):
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"找不到事件文件：{path}")
        if options["county"]:
            county = County.objects.filter(code=options["county"]).first()
            if county is None:
                raise CommandError(f"区县“{options['county']}”不存在")
        else:
            counties = list(County.objects.order_by("id")[:2])
            if len(counties) != 1:
                raise CommandError(
                    "请用 --county 指定区县代码" if counties else "尚未建立区县，请先导入区县数据"
                )
            county = counties[0]
        try:
            with audit.acting_as("命令行"):
                result = import_reports(path, county)
        except ImportFileError as exc:
            shown = exc.errors[:MAX_SHOWN]
            more = len(exc.errors) - len(shown)
            for e in shown:
                self.stderr.write(e)
            if more > 0:
                self.stderr.write(f"……另有{more}处错误")
            raise CommandError(f"共{len(exc.errors)}处错误，未导入任何事件。") from None
        self.stdout.write(
            f"导入{result.created}件，已存在{result.existing}件（未重复存储），其中疑似重复{result.duplicates}件。"
        )
