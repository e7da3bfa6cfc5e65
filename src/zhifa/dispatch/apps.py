from django.apps import AppConfig


class DispatchConfig(AppConfig):
    name = "zhifa.dispatch"
    label = "dispatch"
    verbose_name = "受理与转办"

    def ready(self) -> None:
        from zhifa.core import integrity

        integrity.register(
            [
                "dispatch.Report",
                "dispatch.Step",
                "dispatch.Transition",
                "dispatch.TimeLimit",
                "dispatch.Whistle",
                "dispatch.WhistleCall",
                "dispatch.DisciplinaryProposal",
            ]
        )
