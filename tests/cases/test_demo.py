"""The demo step: team profiles and cases in various states, built through the actions; idempotent."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from zhifa.cases.models import Case, Officer, Training
from zhifa.rules.casefile import validate_case

pytestmark = pytest.mark.django_db


def test_demo_cases_load_once(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    call_command("load_demo", stdout=io.StringIO())
    from zhifa.cases.services import to_casefile

    cases = {c.source_report: c for c in Case.objects.all()}
    assert sorted(cases) == [f"DEMO-{i}" for i in range(1, 7)]
    assert cases["DEMO-1"].status == Case.CLOSED and cases["DEMO-1"].findings == []
    assert cases["DEMO-4"].status == Case.CLOSED and cases["DEMO-5"].status == Case.CLOSED
    assert cases["DEMO-6"].status == Case.ENFORCING
    # a seizure on an item held by 赋权: coercive measures cannot be entrusted (强制法 第17条)
    assert cases["DEMO-6"].authority["source"] == "empowered"
    # The decision of DEMO-3 was never served: a defect, citing the article.
    defects = [f for f in cases["DEMO-3"].findings if f["severity"] == "defect"]
    assert [f["rule"] for f in defects] == ["PEN-SERVICE-7WD"] and "第六十一条" in defects[0]["message"]
    for c in cases.values():
        assert validate_case(to_casefile(c)) == [], c.source_report
    assert Officer.objects.get(user__username="t01_seconded").home_department.code == "D01"
    assert Officer.objects.get(user__username="t01_aux").kind == Officer.AUXILIARY
    n_cases, n_training = Case.objects.count(), Training.objects.count()
    call_command("load_demo", stdout=io.StringIO())
    assert (Case.objects.count(), Training.objects.count()) == (n_cases, n_training)
