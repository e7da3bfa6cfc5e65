"""`zhifa refresh-case-findings`: review every open live case as of today (run daily, e.g. by cron)
so a deadline missed overnight shows as a defect the day it happens, and near ones as warnings."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from zhifa.cases.models import Case
from zhifa.cases.services import refresh_findings, with_related
from zhifa.core import audit


class Command(BaseCommand):
    help = "按今天重新审查所有未结案件，更新审查发现（建议每日运行）"

    def handle(self, *args, **opts) -> None:
        qs = with_related(
            Case.objects.filter(imported=False).exclude(status__in=[Case.CLOSED, Case.TRANSFERRED])
        )
        n = defects = 0
        with audit.acting_as("命令行"):
            for case in qs.iterator(chunk_size=200):
                findings = refresh_findings(case)
                n += 1
                defects += sum(1 for f in findings if f["severity"] == "defect")
        self.stdout.write(f"已审查{n}件未结案件，发现问题{defects}项")
