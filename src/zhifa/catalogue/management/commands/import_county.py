"""`zhifa import-county DIR`: departments, townships, catalogue, holdings, entrustments, discretion."""

from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from zhifa.catalogue.importer import CatalogueImportError, import_dir
from zhifa.core import audit


class Command(BaseCommand):
    help = (
        "导入区县执法事项清单（CSV或Excel）：部门、乡镇、事项、乡镇持有事项、委托书、裁量基准。"
        "全部校验通过才写入。"
    )

    def add_arguments(self, parser):
        parser.add_argument("directory", help="数据目录（departments.csv、catalog.csv……或同名.xlsx）")
        parser.add_argument(
            "--county-code",
            default=None,
            help="区县代码，不存在则新建。默认：数据库中没有区县时新建C01，只有一个区县时导入该区县；"
            "有多个区县或只有演示县（DEMO）时必须指定",
        )
        parser.add_argument("--county-name", default=None, help="新建区县时的名称")
        parser.add_argument(
            "--effective-date", default=None, help="新发布清单版本的生效日期 YYYY-MM-DD（默认今天）"
        )

    def handle(self, *args, **options):
        effective = None
        if options["effective_date"]:
            try:
                effective = dt.date.fromisoformat(options["effective_date"])
            except ValueError:
                raise CommandError(f"--effective-date “{options['effective_date']}”无效，格式应为YYYY-MM-DD")
        try:
            with audit.acting_as("命令行"):
                result = import_dir(
                    options["directory"],
                    county_code=options["county_code"],
                    county_name=options["county_name"],
                    effective_date=effective,
                )
        except CatalogueImportError as exc:
            for line in exc.errors:
                self.stderr.write(line)
            raise CommandError(f"导入失败：共{len(exc.errors)}处错误，未写入任何数据。")
        self.stdout.write(f"导入完成（{result.county.name}）：{result.summary()}")
