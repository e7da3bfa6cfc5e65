"""zhifa api-token USERNAME: issue (or rotate, or revoke) the API token of an account."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from rest_framework.authtoken.models import Token

from zhifa.core import audit
from zhifa.org.models import User


class Command(BaseCommand):
    help = "为账号签发、更换或吊销 API 令牌（请求头 Authorization: Token <令牌>）"

    def add_arguments(self, parser):
        parser.add_argument("username")
        group = parser.add_mutually_exclusive_group()
        group.add_argument("--rotate", action="store_true", help="作废旧令牌并签发新令牌")
        group.add_argument("--revoke", action="store_true", help="吊销令牌")

    def handle(self, username, rotate=False, revoke=False, **options):
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"账号“{username}”不存在。")
        if not user.is_active and not revoke:
            raise CommandError(f"账号“{username}”已停用，不能签发令牌。")
        with audit.acting_as("命令行"), transaction.atomic():
            if revoke or rotate:
                gone = Token.objects.filter(user=user).delete()[0]
                audit.record("token_revoked", user, after={"revoked": gone}, reason="吊销 API 令牌")
                if revoke:
                    self.stdout.write(f"已吊销 {username} 的 API 令牌（{gone} 个）。")
                    return
            token, created = Token.objects.get_or_create(user=user)
            if created:
                audit.record("token_issued", user, after={"token": "已签发"}, reason="签发 API 令牌")
        self.stdout.write(token.key)
