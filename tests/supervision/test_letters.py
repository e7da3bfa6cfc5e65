"""Supervision letters, procuratorial recommendations and citizen supervisors."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from zhifa.supervision import services
from zhifa.supervision.models import Letter, Observation

D = dt.date.fromisoformat


@pytest.fixture
def people(make_user):
    return {
        "sup": make_user("supervisor", username="sup"),
        "proc": make_user("procurator", username="proc"),
        "t1": make_user("township_admin", township="T01", username="t1"),
        "t2": make_user("township_admin", township="T02", username="t2"),
        "officer": make_user("officer", township="T01", username="o1"),
    }


def _letter(people, county, kind=Letter.RECTIFICATION, issuer="sup"):
    return services.issue_letter(
        people[issuer],
        township=county.townships.get(code="T01"),
        kind=kind,
        subject="案卷评查问题",
        body="三起案件未告知救济途径，请整改。",
        issued_on=D("2026-03-02"),
    )


def test_letter_lifecycle_and_adoption_rate(people, county):
    letter = _letter(people, county)
    assert letter.reply_due == D("2026-04-01")
    assert "司法整改〔2026〕1号" in letter.doc_no
    rec = _letter(people, county, Letter.PROCURATORIAL, "proc")
    assert rec.reply_due == D("2026-05-02")  # two months
    with pytest.raises(PermissionDenied):
        _letter(people, county, Letter.PROCURATORIAL, "sup")
    with pytest.raises(ValidationError):
        services.assess_letter(people["sup"], letter.pk, Letter.ADOPTED, "", D("2026-03-05"))
    services.reply_letter(people["t1"], letter.pk, "已补正告知书并组织培训。", D("2026-03-20"))
    with pytest.raises(ValidationError):
        services.reply_letter(people["t1"], letter.pk, "再次答复", D("2026-03-21"))
    services.assess_letter(people["sup"], letter.pk, Letter.ADOPTED, "整改到位", D("2026-03-25"))
    summary = services.adoption_rate(Letter.objects.all(), D("2026-06-01"))
    assert (summary.issued, summary.answered, summary.adopted, summary.overdue) == (2, 1, 1, 1)
    assert summary.rate == 1.0


def test_other_township_cannot_see_or_answer(people, county, client):
    letter = _letter(people, county)
    with pytest.raises(Letter.DoesNotExist):
        services.reply_letter(people["t2"], letter.pk, "越权答复", D("2026-03-10"))
    with pytest.raises(PermissionDenied):
        services.reply_letter(people["officer"], letter.pk, "无权答复", D("2026-03-10"))
    client.force_login(people["t2"])
    assert client.get(f"/supervision/letters/{letter.pk}/").status_code == 404
    assert letter.doc_no not in client.get("/supervision/letters/").content.decode()


def test_letter_form_reports_errors_in_chinese(people, county, client):
    client.force_login(people["sup"])
    r = client.post("/supervision/letters/new/", {"kind": "rectification", "issued_on": "2026-02-30"})
    body = r.content.decode()
    assert "发出日期格式应为" in body and "请选择乡镇" in body
    assert not Letter.objects.exists()


def test_web_reply_and_assessment(people, county, client):
    letter = _letter(people, county)
    client.force_login(people["t1"])
    r = client.post(f"/supervision/letters/{letter.pk}/", {"action": "reply", "reply": "已整改"})
    assert r.status_code == 302
    client.force_login(people["sup"])
    client.post(
        f"/supervision/letters/{letter.pk}/", {"action": "assess", "status": "partly", "assessment": "部分"}
    )
    letter.refresh_from_db()
    assert letter.status == Letter.PARTLY and letter.reply == "已整改"


def test_citizen_supervisor_files_observation_without_login(people, county, client):
    s = services.appoint_citizen_supervisor(
        people["sup"], name="张监督", phone="", organisation="人大代表", appointed_on=D("2026-01-01")
    )
    url = f"/supervision/observe/{s.token}/"
    t1 = county.townships.get(code="T01")
    r = client.post(url, {"township": t1.pk, "observed_on": "2099-01-01", "content": "短"})
    body = r.content.decode()
    assert "不能晚于今天" in body and "至少5个字" in body
    r = client.post(
        url,
        {
            "township": t1.pk,
            "observed_on": "2026-01-05",
            "place": "人民路",
            "content": "执法人员未出示执法证件即开展检查。",
        },
    )
    assert "提交成功" in r.content.decode()
    obs = Observation.objects.get()
    assert obs.township == t1
    assert client.get("/supervision/observe/not-a-token/").status_code == 404
    with pytest.raises(Observation.DoesNotExist):
        services.handle_observation(people["t2"], obs.pk, "越权")
    services.handle_observation(people["t1"], obs.pk, "已约谈当事执法人员")
    obs.refresh_from_db()
    assert obs.handled
