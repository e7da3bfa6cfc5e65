from django.core.management.base import BaseCommand

from zhifa.demo.accounts import ACCOUNTS, DEMO_PASSWORD
from zhifa.org import roles


class Command(BaseCommand):
    help = "列出演示账号"

    def handle(self, *args, **options):
        self.stdout.write(f"  演示账号（密码均为 {DEMO_PASSWORD}）：")
        for username, full_name, role, tcode, dcode in ACCOUNTS:
            where = tcode or dcode or "县级"
            self.stdout.write(f"    {username:<16} {roles.LABELS[role]:<10} {where:<5} {full_name}")
