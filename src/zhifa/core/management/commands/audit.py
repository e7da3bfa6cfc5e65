from django.core.management.base import BaseCommand, CommandError

from zhifa.core import audit


class Command(BaseCommand):
    help = "审计日志：zhifa audit verify 校验哈希链"

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["verify"], help="verify：逐条重新计算哈希并校验链接")

    def handle(self, *args, **options):
        result = audit.verify()
        if result.ok:
            self.stdout.write(f"审计日志完整：共校验{result.checked}条记录，未发现篡改。")
            return
        for p in result.problems:
            self.stderr.write(p)
        raise CommandError(
            f"审计日志校验失败：发现{len(result.problems)}处问题（共{result.checked}条记录）。"
        )
