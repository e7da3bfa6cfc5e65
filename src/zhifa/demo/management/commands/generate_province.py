"""`zhifa generate-province`: a synthetic province for scale tests, written by PostgreSQL itself."""

from django.core.management.base import BaseCommand, CommandError

from zhifa.demo.province import Plan, generate


class Command(BaseCommand):
    help = "生成省级规模测试数据（区县、乡镇与海量事件及其环节，仅限 PostgreSQL）"

    def add_arguments(self, parser):
        parser.add_argument("--counties", type=int, default=20, help="区县数（默认20）")
        parser.add_argument("--townships", type=int, default=150, help="每个区县的乡镇（街道）数（默认150）")
        parser.add_argument("--reports", type=int, default=1_000_000, help="事件数（默认100万）")
        parser.add_argument("--years", type=int, default=3, help="时间跨度（年，默认3）")
        parser.add_argument("--seed", type=int, default=20261207)
        parser.add_argument(
            "--bulk", action="store_true", help="批量装载：先删除事件与环节表的二级索引，写完后重建（更快）"
        )

    def handle(self, *args, **o):
        for name in ("counties", "townships", "reports", "years"):
            if o[name] < 1:
                raise CommandError(f"--{name} 必须为正整数")
        plan = Plan(
            counties=o["counties"],
            townships_per_county=o["townships"],
            reports=o["reports"],
            years=o["years"],
            seed=o["seed"],
            bulk=o["bulk"],
        )
        try:
            out = generate(plan, log=self.stdout.write)
        except RuntimeError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"已生成：区县{out['counties']}个，乡镇（街道）{out['townships']}个，"
                f"事件{out['reports']}条，环节{out['steps']}条，用时{out['seconds']}秒"
            )
        )
