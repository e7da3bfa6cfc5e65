from django.core.management.base import BaseCommand

from zhifa.demo import loader


class Command(BaseCommand):
    help = "载入示范县演示数据（可重复执行，不会重复写入）"

    def handle(self, *args, **options):
        loader.load(log=lambda m: self.stdout.write(m))
        self.stdout.write(self.style.SUCCESS("示范县演示数据已就绪。"))
