"""`zhifa cases export OUT.jsonl` / `zhifa cases import IN.jsonl` (the spelling of issue 5)."""

from __future__ import annotations

from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "案卷交换：zhifa cases export 输出文件 | zhifa cases import 输入文件"

    def add_arguments(self, parser) -> None:
        sub = parser.add_subparsers(dest="sub", required=True)
        exp = sub.add_parser("export", help="导出案卷")
        exp.add_argument("path")
        exp.add_argument("--township", action="append")
        exp.add_argument("--compact", action="store_true")
        imp = sub.add_parser("import", help="导入案卷")
        imp.add_argument("path")

    def handle(self, *args, sub: str, path: str, **opts) -> None:
        if sub == "export":
            call_command(
                "export_cases",
                path,
                township=opts.get("township"),
                compact=opts.get("compact", False),
                stdout=self.stdout,
                stderr=self.stderr,
            )
        else:
            call_command("import_cases", path, stdout=self.stdout, stderr=self.stderr)
