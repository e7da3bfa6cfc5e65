from django.apps import AppConfig


class DocumentsConfig(AppConfig):
    name = "zhifa.documents"
    verbose_name = "法律文书"

    def ready(self) -> None:
        from zhifa.core import integrity

        integrity.register(["documents.Document", "documents.AgencyProfile"])
