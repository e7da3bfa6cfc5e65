from django.apps import AppConfig
from django.core import checks


class CoreConfig(AppConfig):
    name = "zhifa.core"
    verbose_name = "基础设施"

    def ready(self) -> None:
        from zhifa.core import audit

        audit.connect_signals()
        checks.register(check_audit_key, checks.Tags.security, deploy=True)


def check_audit_key(app_configs=None, **kwargs):
    """`zhifa check --deploy`: without a key the audit chain proves only its own consistency."""
    from django.conf import settings

    keyring = getattr(settings, "AUDIT_KEYRING", None)
    if keyring is not None and keyring.keyed:
        return []
    return [
        checks.Warning(
            "审计日志未启用密钥签名：任何能写数据库的人都能重算整条哈希链。",
            hint="设置 ZHIFA_AUDIT_KEY（至少32个字符，保存在数据库以外），然后运行 zhifa audit seal。",
            id="zhifa.W001",
        )
    ]
