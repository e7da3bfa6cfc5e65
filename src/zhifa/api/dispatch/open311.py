"""Open311 GeoReport v2 (https://wiki.open311.org/GeoReport_v2) at /open311/v2/, JSON format.

Services are the county's catalogue items plus one service-queue service (非执法类事项: repairs,
disputes, questions). Requests are posted with an `api_key` of a registered `Open311Client`;
reading is public, as the specification intends, and never shows the reporter: no name, no
phone, and phone/ID numbers and the reporter's name are scrubbed from the free text
(`zhifa.rules.redaction.scrub`). The public list is paged (`page`, `page_size`: default 50,
at most 100); the body stays the specification's JSON array, the paging is in the headers
(`X-Total-Count`, `X-Page`, `X-Page-Size`, `Link: <…>; rel="next"`).
`service_request_id` is the report's tracking code. Errors use the Open311 error format
`[{"code": …, "description": …}]` with Chinese descriptions.
"""

from __future__ import annotations

import datetime as dt
import json

from django.core.exceptions import ValidationError
from django.http import JsonResponse
from django.urls import path
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from zhifa.catalogue.models import Item
from zhifa.core import audit
from zhifa.dispatch.actions.intake import do_intake
from zhifa.dispatch.models import Open311Client, Report
from zhifa.org.models import County
from zhifa.rules import dispatch_workflow as wf
from zhifa.rules.redaction import scrub

SERVICE_QUEUE_CODE = "FW"
SERVICE_QUEUE_NAME = "非执法类事项（维修、纠纷、咨询等）"
CLOSED_STATES = {wf.CLOSED, wf.ARCHIVED, wf.MERGED}
PAGE_SIZE = 50
MAX_PAGE_SIZE = 100


def _error(code: int, description: str) -> JsonResponse:
    return JsonResponse([{"code": code, "description": description}], status=code, safe=False)


def _json(data, status: int = 200) -> JsonResponse:
    return JsonResponse(data, status=status, safe=False, json_dumps_params={"ensure_ascii": False})


def _format_ok(fmt: str) -> bool:
    return fmt == "json"


def _county(params) -> County | JsonResponse:
    jid = (params.get("jurisdiction_id") or "").strip()
    if jid:
        county = County.objects.filter(code=jid).first()
        if county is None:
            return _error(404, f"jurisdiction_id“{jid}”不存在")
        return county
    counties = list(County.objects.order_by("id")[:2])
    if len(counties) != 1:
        return _error(400, "本平台有多个区县，请提供 jurisdiction_id（区县代码）")
    return counties[0]


def services_list(request, fmt: str):
    if not _format_ok(fmt):
        return _error(400, "仅支持 JSON 格式（.json）")
    county = _county(request.GET)
    if isinstance(county, JsonResponse):
        return county
    today = timezone.localdate()
    out = []
    for item in Item.objects.filter(county=county).select_related("department").order_by("code"):
        if item.is_revoked(today):
            continue
        out.append(
            {
                "service_code": item.code,
                "service_name": item.name,
                "description": (item.violation or item.name)[:500],
                "metadata": False,
                "type": "realtime",
                "keywords": item.domain,
                "group": item.domain or item.department.name,
            }
        )
    out.append(
        {
            "service_code": SERVICE_QUEUE_CODE,
            "service_name": SERVICE_QUEUE_NAME,
            "description": "不属于行政执法的问题，转服务类事项队列办理",
            "metadata": False,
            "type": "realtime",
            "keywords": "维修,纠纷,咨询",
            "group": "服务",
        }
    )
    return _json(out)


def service_definition(request, code: str, fmt: str):
    return _error(404, f"服务“{code}”没有附加属性（metadata 为 false）")


def _public(text: str, r: Report) -> str:
    """Free text as the public may read it: no phone or ID number, the reporter's name masked."""
    return scrub(text or "", names=(r.reporter_name,) if r.reporter_name else ())


def _as_request(r: Report, names: dict[str, str]) -> dict:
    requested = (r.suggestion or {}).get("requested_service") or ""
    code = r.item_code or requested or (SERVICE_QUEUE_CODE if r.service_queue else "")
    notes = r.status_label
    if r.status in (wf.CLOSED, wf.ARCHIVED) and r.result:
        notes = f"{r.status_label}：{_public(r.result, r)}"
    return {
        "service_request_id": r.tracking_code,
        "status": "closed" if r.status in CLOSED_STATES else "open",
        "status_notes": notes,
        "service_name": SERVICE_QUEUE_NAME if code == SERVICE_QUEUE_CODE else names.get(code, ""),
        "service_code": code,
        "description": _public(r.text, r),
        "agency_responsible": r.handler_label,
        "service_notice": "",
        "requested_datetime": timezone.localtime(r.reported_at).isoformat(),
        "updated_datetime": timezone.localtime(r.updated_at).isoformat(),
        "expected_datetime": timezone.localtime(r.step_due_at).isoformat() if r.step_due_at else None,
        "address": _public(r.address, r),
        "address_id": None,
        "zipcode": None,
        "lat": r.wgs_lat,
        "long": r.wgs_lon,
        "media_url": None,
    }


def _names(reports) -> dict[str, str]:
    codes = {r.item_code or (r.suggestion or {}).get("requested_service") or "" for r in reports} - {""}
    return dict(Item.objects.filter(code__in=codes).values_list("code", "name")) if codes else {}


def _parse_dt(value: str, name: str) -> dt.datetime:
    try:
        d = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ValidationError(f"{name}“{value}”不是 W3C 格式时间（如 2026-10-01T09:00:00+08:00）") from None
    return timezone.make_aware(d) if timezone.is_naive(d) else d


def _positive(value: str | None, name: str, default: int) -> int:
    if value is None or value == "":
        return default
    text = value.strip()
    if not text.isdigit() or len(text) > 9 or int(text) < 1:
        raise ValidationError(f"{name}“{value}”应为正整数")
    return int(text)


def _paging(params) -> tuple[int, int]:
    """(page, page_size) from the query: page from 1, page_size default 50 and capped at 100."""
    page = _positive(params.get("page"), "page（页码）", 1)
    size = min(_positive(params.get("page_size"), "page_size（每页条数）", PAGE_SIZE), MAX_PAGE_SIZE)
    return page, size


def _post_params(request) -> dict:
    if request.content_type == "application/json":
        try:
            data = json.loads(request.body or b"{}")
        except ValueError:
            raise ValidationError("请求体不是有效的 JSON") from None
        if not isinstance(data, dict):
            raise ValidationError("请求体应为 JSON 对象")
        return {k: "" if v is None else str(v) for k, v in data.items()}
    return request.POST.dict()


@csrf_exempt
def requests_view(request, fmt: str):
    if not _format_ok(fmt):
        return _error(400, "仅支持 JSON 格式（.json）")
    if request.method == "POST":
        return _create(request)
    if request.method != "GET":
        return _error(405, "仅支持 GET 和 POST")
    county = _county(request.GET)
    if isinstance(county, JsonResponse):
        return county
    qs = Report.objects.filter(county=county).select_related("handler_township", "handler_department")
    p = request.GET
    try:
        if p.get("service_request_id"):
            ids = [x.strip().upper() for x in p["service_request_id"].split(",") if x.strip()]
            qs = qs.filter(tracking_code__in=ids)
        else:
            end = _parse_dt(p["end_date"], "end_date") if p.get("end_date") else timezone.now()
            start = (
                _parse_dt(p["start_date"], "start_date")
                if p.get("start_date")
                else end - dt.timedelta(days=90)
            )
            qs = qs.filter(reported_at__gte=start, reported_at__lte=end)
            if p.get("status"):
                wanted = {s.strip() for s in p["status"].split(",")}
                if not wanted <= {"open", "closed"}:
                    raise ValidationError("status 只能是 open 或 closed")
                if wanted == {"open"}:
                    qs = qs.exclude(status__in=CLOSED_STATES)
                elif wanted == {"closed"}:
                    qs = qs.filter(status__in=CLOSED_STATES)
            if p.get("service_code"):
                codes = [c.strip() for c in p["service_code"].split(",") if c.strip()]
                qs = qs.filter(item_code__in=codes)
        page, size = _paging(p)
    except ValidationError as exc:
        return _error(400, "；".join(exc.messages))
    total = qs.count()
    start = (page - 1) * size
    reports = list(qs.order_by("-reported_at", "-id")[start : start + size])
    names = _names(reports)
    resp = _json([_as_request(r, names) for r in reports])
    resp["X-Total-Count"] = str(total)
    resp["X-Page"] = str(page)
    resp["X-Page-Size"] = str(size)
    links = []
    if start + size < total:
        links.append(f'<{_page_url(request, page + 1, size)}>; rel="next"')
    if page > 1:
        links.append(f'<{_page_url(request, page - 1, size)}>; rel="prev"')
    if links:
        resp["Link"] = ", ".join(links)
    return resp


def _page_url(request, page: int, size: int) -> str:
    query = request.GET.copy()
    query["page"] = str(page)
    query["page_size"] = str(size)
    return request.build_absolute_uri(f"{request.path}?{query.urlencode()}")


def _create(request) -> JsonResponse:
    try:
        p = _post_params(request)
    except ValidationError as exc:
        return _error(400, "；".join(exc.messages))
    key = (p.get("api_key") or request.headers.get("X-Api-Key") or "").strip()
    if not key:
        return _error(403, "缺少 api_key：请向平台管理员申请接入密钥")
    client = Open311Client.objects.select_related("county").filter(api_key=key, active=True).first()
    if client is None:
        return _error(403, "api_key 无效或已停用")
    jid = p.get("jurisdiction_id")
    if jid and jid != client.county.code:
        return _error(400, f"jurisdiction_id“{jid}”与密钥所属区县不符")
    code = (p.get("service_code") or "").strip()
    if not code:
        return _error(400, "缺少 service_code（服务代码），可用代码见 services.json")
    if code != SERVICE_QUEUE_CODE and not Item.objects.filter(county=client.county, code=code).exists():
        return _error(404, f"服务代码“{code}”不存在，可用代码见 services.json")
    if not p.get("lat") or not p.get("long"):
        return _error(400, "缺少位置：请提供 lat（纬度）和 long（经度）")
    name = " ".join(x for x in (p.get("last_name", ""), p.get("first_name", "")) if x).strip()
    client_id = (request.headers.get("Idempotency-Key") or p.get("client_id") or "").strip()
    try:
        with audit.acting_as(f"Open311:{client.name}"):
            result = do_intake(
                f"Open311:{client.name}",
                county=client.county,
                text=p.get("description", ""),
                lon=p.get("long"),
                lat=p.get("lat"),
                crs=p.get("crs") or "wgs84",
                channel=Report.OPEN311,
                client_id=f"open311:{client.pk}:{client_id}" if client_id else None,
                reporter_name=name,
                reporter_phone=p.get("phone", ""),
                anonymous=str(p.get("anonymous", "")).lower() in ("1", "true", "yes"),
                address=p.get("address_string", ""),
                source=client.name[:30],  # a label for the queue, not the reporter's words
                external_id=p.get("device_id", "")[:60],
                route_suggestion=False,  # filled in batches, as for the REST API
            )
    except ValidationError as exc:
        fields = {"text": "description", "lon": "long", "lat": "lat"}
        msgs = []
        for k, v in exc.message_dict.items() if hasattr(exc, "error_dict") else [("", exc.messages)]:
            msgs.extend(f"{fields.get(k, k)}：{m}" if k else m for m in v)
        return _error(400, "；".join(msgs))
    r = result.report
    if result.created:
        r.suggestion = {**(r.suggestion or {}), "requested_service": code}
        r.save(update_fields=["suggestion"])
    return _json(
        [
            {
                "service_request_id": r.tracking_code,
                "service_notice": f"已受理，可凭查询码 {r.tracking_code} 查询办理进度",
                "account_id": None,
            }
        ],
        status=201 if result.created else 200,
    )


def request_detail(request, code: str, fmt: str):
    if not _format_ok(fmt):
        return _error(400, "仅支持 JSON 格式（.json）")
    r = (
        Report.objects.select_related("handler_township", "handler_department")
        .filter(tracking_code=code.upper())
        .first()
    )
    if r is None:
        return _error(404, f"服务请求“{code}”不存在")
    return _json([_as_request(r, _names([r]))])


def discovery(request, fmt: str):
    if not _format_ok(fmt):
        return _error(400, "仅支持 JSON 格式（.json）")
    base = request.build_absolute_uri("/open311/v2/")
    return _json(
        {
            "changeset": "2026-01-01T00:00:00+08:00",
            "contact": "县综合行政执法指挥中心",
            "key_service": "向平台管理员申请 api_key",
            "endpoints": [
                {
                    "specification": "http://wiki.open311.org/GeoReport_v2",
                    "url": base,
                    "changeset": "2026-01-01T00:00:00+08:00",
                    "type": "production",
                    "formats": ["application/json"],
                }
            ],
        }
    )


urlpatterns = [
    path("discovery.<str:fmt>", discovery, name="open311-discovery"),
    path("services.<str:fmt>", services_list, name="open311-services"),
    path("services/<str:code>.<str:fmt>", service_definition, name="open311-service"),
    path("requests.<str:fmt>", requests_view, name="open311-requests"),
    path("requests/<str:code>.<str:fmt>", request_detail, name="open311-request"),
]
