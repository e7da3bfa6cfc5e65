"""`represent`: one bound serializer per thread, given each call's own context."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from dispatch.helpers import T01_POINT, fake_locate, fake_suggestion, make_items

from zhifa.api.base import represent
from zhifa.api.dispatch.serializers import ReportDetailSerializer, ReportSerializer
from zhifa.dispatch import services as s
from zhifa.dispatch.actions import geocoding, suggestions


@pytest.fixture
def people(make_user, county, monkeypatch):
    monkeypatch.setattr(geocoding, "locate", fake_locate)
    monkeypatch.setattr(suggestions, "suggest", lambda report: fake_suggestion("Z001"))
    make_items(county, make_user("township_admin", township="T01", username="ta1"))
    return {
        "td1": make_user("township_dispatcher", township="T01", username="td1"),
        "o1": make_user("officer", township="T01", username="o1"),
        "gw": make_user("grid_worker", township="T01", username="gw"),
    }


def test_each_call_sees_its_own_request_and_matches_the_serializer(people, county):
    protected = s.do_intake(
        people["gw"],
        county=county,
        text="门口占道摆摊卖菜",
        lon=T01_POINT[0],
        lat=T01_POINT[1],
        reporter_name="王秘密",
        reporter_phone="13912345678",
        anonymous=True,
    ).report
    s.do_route(people["td1"], protected.pk)
    protected.refresh_from_db()
    point = {"lon": T01_POINT[0], "lat": T01_POINT[1]}
    plain = s.do_intake(people["gw"], county=county, text="路口乱扔垃圾", **point).report
    seen = []
    # Alternating users and reports: a context or a report left over from the previous call
    # would show (or hide) the protected reporter to the wrong user.
    for user, report in [("td1", protected), ("o1", protected), ("td1", protected), ("o1", plain)]:
        context = {"request": SimpleNamespace(user=people[user])}
        for cls in (ReportSerializer, ReportDetailSerializer):
            out = represent(cls, report, context)
            assert out == dict(cls(report, context=context).data)
        seen.append((user, report.tracking_code, out["reporter_name"], out["reporter_phone"]))
    assert seen == [
        ("td1", protected.tracking_code, "王秘密", "13912345678"),
        ("o1", protected.tracking_code, "", ""),
        ("td1", protected.tracking_code, "王秘密", "13912345678"),
        ("o1", plain.tracking_code, "", ""),
    ]


def test_validated_gives_each_body_its_own_result_as_a_fresh_serializer_does():
    from rest_framework.exceptions import ValidationError

    from zhifa.api.base import validated
    from zhifa.api.dispatch.serializers import IntakeSerializer

    good = {"client_id": "a-1", "text": "门口占道", "lon": 118.1, "lat": 30.2, "address": "东门"}
    bad = {"text": 123, "lon": [1], "photos": "x"}
    bare = {"text": "路口乱扔垃圾", "lon": "118.2", "lat": "30.1"}
    # Alternating: errors or fields left over from the previous body would show in the next.
    for body in (good, bad, bare, bad, good, bare):
        fresh = IntakeSerializer(data=body)
        if fresh.is_valid():
            assert validated(IntakeSerializer, body) == fresh.validated_data
        else:
            with pytest.raises(ValidationError) as caught:
                validated(IntakeSerializer, body)
            assert caught.value.detail == fresh.errors
    assert validated(IntakeSerializer, bare)["address"] == ""
