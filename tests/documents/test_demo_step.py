"""The demo step generates each case's expected documents once."""

from __future__ import annotations

from zhifa.documents.models import Document
from zhifa.org import roles

from . import samples


def test_demo_step_is_idempotent(county, make_user):
    from zhifa.cases.services import from_casefile
    from zhifa.demo.documents import step

    case = from_casefile(samples.dev_cases()["T01-2025-0030"])  # inspection with a rectification order
    make_user(roles.OFFICER, township="T01")
    lines: list[str] = []
    step(county, lines.append)
    kinds = sorted(Document.objects.filter(case=case).values_list("kind", flat=True))
    assert kinds == ["closing_report", "inspection_record", "rectification_order"]
    assert lines[-1] == "法律文书：新生成3份"
    step(county, lines.append)
    assert lines[-1] == "法律文书：新生成0份" and Document.objects.count() == 3
