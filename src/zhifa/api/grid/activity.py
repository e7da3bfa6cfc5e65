"""Open reports and open cases as points for the grid map (GeoJSON, WGS-84), within the user's scope.

A report has its own location. A case has none: it is drawn at the report it was opened from
(`Case.source_report` holds that report's tracking code); a case opened without a report is left
off the map and counted in `unplaced`.
"""

from __future__ import annotations

import datetime as dt

from django.urls import reverse
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.decorators import api_view
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from zhifa.cases.models import Case
from zhifa.dispatch.models import Report
from zhifa.rules import dispatch_workflow as wf

LAYERS = {"reports": "未办结事件", "cases": "在办案件"}
# A map cannot show more points usefully; the newest are kept and `truncated` says so.
MAX_POINTS = 5000
CASE_DONE = (Case.CLOSED, Case.TRANSFERRED)
SUMMARY_CHARS = 40


def _point(lon: float, lat: float, props: dict) -> dict:
    return {"type": "Feature", "geometry": {"type": "Point", "coordinates": [lon, lat]}, "properties": props}


def report_features(user, township: str | None, now: dt.datetime) -> tuple[list[dict], bool]:
    qs = Report.objects.restrict(user).filter(status__in=wf.OPEN_STATES)
    if township:
        qs = qs.filter(township__code=township)
    rows = list(
        qs.select_related("township")
        .only(
            "id",
            "tracking_code",
            "status",
            "text",
            "wgs_lon",
            "wgs_lat",
            "step_due_at",
            "priority",
            "township__code",
            "township__name",
        )
        .order_by("-created_at", "-id")[: MAX_POINTS + 1]
    )
    features = [
        _point(
            r.wgs_lon,
            r.wgs_lat,
            {
                "kind": "report",
                "id": r.pk,
                "code": r.tracking_code,
                "status": r.status,
                "status_label": r.status_label,
                "overdue": bool(r.step_due_at and r.step_due_at < now),
                "due_at": r.step_due_at.isoformat() if r.step_due_at else None,
                "township": r.township.name if r.township_id else "",
                "township_code": r.township.code if r.township_id else "",
                "summary": r.text[:SUMMARY_CHARS],
                "url": reverse("web:dispatch:detail", args=[r.pk]),
            },
        )
        for r in rows[:MAX_POINTS]
    ]
    return features, len(rows) > MAX_POINTS


def case_features(user, township: str | None) -> tuple[list[dict], bool, int]:
    qs = Case.objects.restrict(user).exclude(status__in=CASE_DONE)
    if township:
        qs = qs.filter(township__code=township)
    rows = list(
        qs.select_related("township")
        .only(
            "id", "number", "status", "source_report", "township__code", "township__name", "township__county"
        )
        .order_by("-created_at", "-id")[: MAX_POINTS + 1]
    )
    truncated = len(rows) > MAX_POINTS
    rows = rows[:MAX_POINTS]
    codes = {c.source_report.strip() for c in rows if c.source_report.strip()}
    # The source report only lends its position: it is looked up in the case's own county, so a
    # case in scope is placed even where the report itself is not (e.g. routed to a department).
    where = {
        (code, county): (lon, lat)
        for code, county, lon, lat in Report.objects.filter(tracking_code__in=codes).values_list(
            "tracking_code", "county_id", "wgs_lon", "wgs_lat"
        )
    }
    features: list[dict] = []
    for c in rows:
        pos = where.get((c.source_report.strip(), c.township.county_id))
        if pos is None:
            continue
        features.append(
            _point(
                pos[0],
                pos[1],
                {
                    "kind": "case",
                    "id": c.pk,
                    "code": c.number,
                    "status": c.status,
                    "status_label": c.get_status_display(),
                    "overdue": None,
                    "township": c.township.name,
                    "township_code": c.township.code,
                    "source_report": c.source_report,
                    "url": reverse("web:cases:detail", args=[c.pk]),
                },
            )
        )
    return features, truncated, len(rows) - len(features)


def open_activity(user, layers: list[str], township: str | None, now: dt.datetime | None = None) -> dict:
    now = now or timezone.now()
    features: list[dict] = []
    out: dict = {"type": "FeatureCollection", "truncated": False, "unplaced_cases": 0, "counts": {}}
    if "reports" in layers:
        found, more = report_features(user, township, now)
        features += found
        out["counts"]["reports"] = len(found)
        out["truncated"] |= more
    if "cases" in layers:
        found, more, unplaced = case_features(user, township)
        features += found
        out["counts"]["cases"] = len(found)
        out["unplaced_cases"] = unplaced
        out["truncated"] |= more
    out["features"] = features
    return out


@extend_schema(
    parameters=[
        OpenApiParameter(
            "layers", str, description="图层，逗号分隔：reports（未办结事件）、cases（在办案件）；默认两者"
        ),
        OpenApiParameter("township", str, description="乡镇代码，如 T01"),
    ],
    responses={200: dict},
)
@api_view(["GET"])
def activity(request):
    """地图上的未办结事件和在办案件（GeoJSON点，WGS-84；仅限本人权限范围）。

    事件用其上报位置；案件用其来源事件的位置，没有来源事件的案件不上图（计入 unplaced_cases）。
    每个点的 overdue 表示事件当前环节已超期（案件为 null）。
    """
    raw = request.query_params.get("layers") or ",".join(LAYERS)
    layers = [x.strip() for x in raw.split(",") if x.strip()]
    bad = [x for x in layers if x not in LAYERS]
    if bad:
        allowed = "、".join(f"{k}（{v}）" for k, v in LAYERS.items())
        raise ValidationError({"layers": f"图层“{'、'.join(bad)}”无效，应为 {allowed}"})
    township = (request.query_params.get("township") or "").strip() or None
    return Response(open_activity(request.user, layers, township))
