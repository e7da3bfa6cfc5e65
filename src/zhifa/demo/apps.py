from django.apps import AppConfig


class DemoConfig(AppConfig):
    # Its own app, at the top of the layering: the demo loader imports every domain, so its
    # commands (`load_demo`, `demo_accounts`) cannot live in `org`, which every domain imports.
    name = "zhifa.demo"
    verbose_name = "演示数据"
