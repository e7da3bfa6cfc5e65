"""`zhifa export-cases OUT.jsonl [--township T01] [--compact]`: cases in the exchange format."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from zhifa.cases.models import Case
from zhifa.cases.services import export_casefiles, with_related


class Command(BaseCommand):
    help = "导出案卷（zhifa.casefile/1 JSON Lines）"

    def add_arguments(self, parser) -> None:
        parser.add_argument("out", help="输出文件路径，“-”为标准输出")
        parser.add_argument("--township", action="append", help="只导出该乡镇（街道）代码的案件，可重复")
        parser.add_argument("--compact", action="store_true", help='紧凑分隔符(",", ":")')

    def handle(self, *args, out: str, township=None, compact: bool = False, **opts) -> None:
        qs = Case.objects.order_by("id")
        if township:
            qs = qs.filter(township__code__in=township)
        text = export_casefiles(with_related(qs), compact=compact)
        if out == "-":
            self.stdout.write(text, ending="")
            return
        try:
            Path(out).write_text(text, encoding="utf-8")
        except OSError as exc:
            raise CommandError(f"无法写入{out}：{exc.strerror}") from None
        self.stderr.write(f"已导出{text.count(chr(10))}件案卷到{out}")
