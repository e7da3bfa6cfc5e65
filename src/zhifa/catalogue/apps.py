from django.apps import AppConfig


class CatalogueConfig(AppConfig):
    name = "zhifa.catalogue"
    verbose_name = "执法事项清单"
