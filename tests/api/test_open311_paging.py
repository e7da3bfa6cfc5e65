"""The anonymous Open311 list: paged (default 50, at most 100) and without personal data."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from zhifa.dispatch.models import Report

URL = "/open311/v2/requests.json"


def _reports(county, n: int, **fields) -> list[Report]:
    now = timezone.now()
    out = []
    for i in range(n):
        out.append(
            Report(
                county=county,
                tracking_code=f"T{i:05d}",
                channel=Report.API,
                text=fields.get("text", f"占道经营第{i}起"),
                address=fields.get("address", ""),
                lon=112.8,
                lat=35.88,
                wgs_lon=112.8,
                wgs_lat=35.88,
                reporter_name=fields.get("reporter_name", ""),
                reporter_phone=fields.get("reporter_phone", ""),
                reported_at=now - dt.timedelta(minutes=i),
            )
        )
    return Report.objects.bulk_create(out)


def test_list_is_paged_with_a_capped_page_size(client, county):
    _reports(county, 130)
    first = client.get(URL)
    assert first.status_code == 200
    rows = first.json()
    assert len(rows) == 50 and rows[0]["service_request_id"] == "T00000"
    assert first["X-Total-Count"] == "130" and first["X-Page-Size"] == "50"
    assert 'rel="next"' in first["Link"] and "page=2" in first["Link"]
    big = client.get(URL, {"page_size": 1000})
    assert len(big.json()) == 100 and big["X-Page-Size"] == "100"
    last = client.get(URL, {"page": 3})
    codes = [r["service_request_id"] for r in last.json()]
    assert codes == [f"T{i:05d}" for i in range(100, 130)]
    assert 'rel="next"' not in last["Link"] and 'rel="prev"' in last["Link"]
    # Walking every page yields every request exactly once.
    seen = []
    for page in (1, 2, 3, 4):
        seen += [r["service_request_id"] for r in client.get(URL, {"page": page}).json()]
    assert sorted(seen) == sorted(f"T{i:05d}" for i in range(130))


@pytest.mark.parametrize("params", [{"page": "0"}, {"page": "abc"}, {"page_size": "-5"}, {"page": "9" * 20}])
def test_bad_paging_is_a_chinese_400(client, county, params):
    resp = client.get(URL, params)
    assert resp.status_code == 400
    body = resp.json()
    assert body[0]["code"] == 400 and "应为正整数" in body[0]["description"]


def test_public_requests_show_no_personal_data(client, county):
    _reports(
        county,
        1,
        text="张建国反映：门口占道摆摊，电话13912345678，身份证110101199003071234",
        address="幸福路8号 张建国家门口",
        reporter_name="张建国",
        reporter_phone="13912345678",
    )
    for resp in (client.get(URL), client.get("/open311/v2/requests/T00000.json")):
        text = resp.content.decode("utf-8")
        assert resp.status_code == 200
        assert "张建国" not in text and "13912345678" not in text and "110101199003071234" not in text
        row = resp.json()[0]
        assert "占道摆摊" in row["description"] and "张某" in row["description"]
        assert "reporter" not in text and "phone" not in text
