from django.apps import AppConfig


class CatalogueConfig(AppConfig):
    name = "zhifa.catalogue"
    verbose_name = "执法事项清单"

    def ready(self) -> None:
        from zhifa.catalogue.integrity import check_rows
        from zhifa.core import audit

        audit.register_row_check(check_rows)
