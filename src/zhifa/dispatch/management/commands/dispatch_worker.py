"""`zhifa dispatch-worker`: the service name used in docs/deploy.md for `zhifa urge-overdue`."""

from zhifa.dispatch.management.commands.urge_overdue import Command as UrgeOverdue


class Command(UrgeOverdue):
    pass
