from django.core.management.base import BaseCommand

from zhifa.core import audit
from zhifa.demo import loader
from zhifa.dispatch import routing


class Command(BaseCommand):
    help = "载入示范县演示数据（可重复执行，不会重复写入）"

    def handle(self, *args, **options):
        loader.load(log=lambda m: self.stdout.write(m))
        # A stored routing model, so the first page that suggests an item does not train first.
        with audit.acting_as("演示数据"):
            for code in routing.refresh_stale_models():
                self.stdout.write(f"转办路由模型已训练并保存（{code}）")
        self.stdout.write(self.style.SUCCESS("示范县演示数据已就绪。"))
