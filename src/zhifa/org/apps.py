from django.apps import AppConfig


class OrgConfig(AppConfig):
    name = "zhifa.org"
    verbose_name = "组织与账号"
