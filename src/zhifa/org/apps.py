from django.apps import AppConfig


class OrgConfig(AppConfig):
    name = "zhifa.org"
    verbose_name = "组织与账号"

    def ready(self) -> None:
        from zhifa.core import integrity

        # last_login is bookkeeping of every sign-in, deliberately not audited (core.audit).
        integrity.register(["org.User"], ignore=["last_login"])
        integrity.register(
            ["org.County", "org.CommandCentre", "org.Township", "org.Community", "org.Department"]
        )
