"""`zhifa import-cases IN.jsonl`: all-or-nothing import of exchange-format case files."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from zhifa.cases.services import ImportError_, import_casefiles
from zhifa.core import audit
from zhifa.rules import casefile as cf


class Command(BaseCommand):
    help = "导入案卷（zhifa.casefile/1 JSON Lines）；任何一行有错则全部不导入"

    def add_arguments(self, parser) -> None:
        parser.add_argument("path", help="案卷文件（.jsonl）")

    def handle(self, *args, path: str, **opts) -> None:
        try:
            text = cf.read_text(path)
        except cf.CaseFileError as exc:
            raise CommandError(f"{path}：" + "\n".join(exc.errors)) from None
        except OSError as exc:
            raise CommandError(f"无法读取{path}：{exc.strerror}") from None
        try:
            with audit.acting_as("命令行"):
                cases = import_casefiles(text)
        except ImportError_ as exc:
            lines = [f"{path}：{e}" for e in exc.errors]
            raise CommandError(
                f"导入失败，共{len(lines)}处错误，未导入任何案卷：\n" + "\n".join(lines)
            ) from None
        self.stdout.write(f"已导入{len(cases)}件案卷")
