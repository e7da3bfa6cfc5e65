"""`zhifa train-router [FILE.jsonl]`: retrain the county's router from confirmed routings (and a file)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from zhifa.catalogue.models import Item
from zhifa.core import audit
from zhifa.dispatch.reports_io import ReportFileError, read_labelled
from zhifa.dispatch.routing import learn_file, resolve_county, train
from zhifa.org.models import County


class Command(BaseCommand):
    help = (
        "重新训练一键转办路由模型：执法事项清单 + 数据库中调度员确认/更正的转办记录；"
        "给出标注文件（事件JSON Lines，含expected.items）时先将其样本存入数据库。模型保存后立即生效。"
    )

    def add_arguments(self, parser):
        parser.add_argument("file", nargs="?", default=None, help="标注文件（JSON Lines，可选）")
        parser.add_argument("--county-code", default=None, help="区县代码（默认：唯一的区县）")

    def handle(self, *args, **options):
        try:
            county = resolve_county(options["county_code"])
        except (County.DoesNotExist, County.MultipleObjectsReturned) as exc:
            raise CommandError(str(exc))
        added = skipped = 0
        with audit.acting_as("命令行"), transaction.atomic():
            if options["file"]:
                known = set(Item.objects.filter(county=county).values_list("code", flat=True))
                try:
                    rows = read_labelled(options["file"], known)
                except ReportFileError as exc:
                    for line in exc.errors:
                        self.stderr.write(line)
                    raise CommandError(f"标注文件有{len(exc.errors)}处错误，未写入任何样本，模型未更新。")
                added, skipped = learn_file(rows, county)
            note = f"命令行训练（文件{options['file']}）" if options["file"] else "命令行训练"
            model = train(county, note=note)
        msg = f"路由模型已更新（{county.name}）：{model.n_items}个事项，{model.n_examples}个训练样本"
        if options["file"]:
            msg += f"；本次新增样本{added}个" + (f"，已有而跳过{skipped}个" if skipped else "")
        self.stdout.write(msg)
