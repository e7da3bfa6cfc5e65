import sys

from django.core.management.base import BaseCommand, CommandError

from zhifa.core import backup


class Command(BaseCommand):
    help = (
        "用 zhifa backup 的备份覆盖当前数据库（须 --yes 或交互确认），恢复后核对行数与备份清单，"
        "并校验审计日志"
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="备份文件（旁边应有 zhifa backup 写出的 .manifest.json 备份清单）")
        parser.add_argument("--yes", action="store_true", help="确认覆盖当前数据库，不再询问")
        parser.add_argument(
            "--no-manifest",
            action="store_true",
            help="没有备份清单时仍然恢复（无法核对文件是否完好、行数是否一致）",
        )

    def handle(self, *args, **options):
        def confirm(target: str) -> bool:
            if options["yes"]:
                return True
            if not sys.stdin.isatty():
                raise backup.BackupError(
                    f"恢复会用备份覆盖 {target} 中的全部数据：请确认后加 --yes 重新运行。数据库未改动。"
                )
            answer = input(f"将用备份覆盖 {target}，其中现有的数据将全部丢失。确认请输入 yes：")
            return answer.strip().lower() in {"yes", "y", "是"}

        try:
            report = backup.restore(
                options["file"], confirm=confirm, require_manifest=not options["no_manifest"]
            )
        except backup.BackupError as exc:
            raise CommandError(str(exc))
        for line in report.lines():
            self.stdout.write(line)
        if not report.ok:
            for p in report.problems:
                self.stderr.write(p)
            raise CommandError(
                f"恢复已完成，但核对发现{len(report.problems)}处问题（见上）：请检查备份文件和审计密钥配置。"
            )
