from django.core.management.base import BaseCommand, CommandError

from zhifa.core import backup


class Command(BaseCommand):
    help = (
        "备份数据库（SQLite 在线备份；PostgreSQL 用 pg_dump 自定义格式），并在旁边写入备份清单"
        "（行数、审计链尾、迁移状态）；--verify 只校验已有的备份"
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "file",
            nargs="?",
            help="备份文件路径（默认 $ZHIFA_VAR_DIR/backups/zhifa-日期-时间.sqlite3 或 .dump）",
        )
        parser.add_argument("--verify", metavar="FILE", help="校验已有的备份文件与其备份清单，不做备份")
        parser.add_argument("--force", action="store_true", help="覆盖已存在的同名备份文件")

    def handle(self, *args, **options):
        if options["verify"] and options["file"]:
            raise CommandError("--verify 与备份文件路径只能给出一个。")
        try:
            if options["verify"]:
                report = backup.verify_backup(options["verify"])
            else:
                result = backup.backup(options["file"], force=options["force"])
        except backup.BackupError as exc:
            raise CommandError(str(exc))
        if options["verify"]:
            for p in report.problems:
                self.stderr.write(p)
            if not report.ok:
                raise CommandError(report.lines()[0])
            for line in report.lines():
                self.stdout.write(line)
            return
        for line in result.lines():
            self.stdout.write(line)
