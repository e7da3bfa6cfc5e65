from django.apps import AppConfig


class CatalogueConfig(AppConfig):
    name = "zhifa.catalogue"
    verbose_name = "执法事项清单"

    def ready(self) -> None:
        from zhifa.catalogue.integrity import CHECKED_MODELS
        from zhifa.core import integrity

        integrity.register(CHECKED_MODELS)
