from django.apps import AppConfig


def _to_casefile(case, *args, **kwargs):
    # zhifa.cases.services is imported by the first document, not at every process start.
    from zhifa.cases.services import to_casefile

    return to_casefile(case, *args, **kwargs)


class CasesConfig(AppConfig):
    name = "zhifa.cases"
    verbose_name = "执法办案"

    def ready(self) -> None:
        # Documents builds its contexts from a case file; cases gives it the builder, so that
        # documents needs no import of cases (cases calls documents, not the other way round).
        # Registered in documents.builders: start-up imports neither documents.services nor its
        # renderer (which imports the DOCX/PDF writers on first use).
        from zhifa.documents.builders import register_casefile_builder

        register_casefile_builder(_to_casefile)

        from zhifa.core import integrity

        integrity.register(
            [
                "cases.Case",
                "cases.CaseOfficer",
                "cases.CaseEvent",
                "cases.Evidence",
                "cases.Officer",
                "cases.Squad",
                "cases.Training",
            ]
        )
