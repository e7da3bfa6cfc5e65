"""一口受理: taking a report in (`do_intake`), its checks (`validate_intake`), the photos, and the
search for a likely duplicate (`find_duplicate`).

Intake is the busiest path of the platform and tests pin its queries: everything is decided
before the one INSERT.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from zhifa.core import audit
from zhifa.dispatch.actions import geocoding, suggestions
from zhifa.dispatch.actions.common import (
    _limit_label,
    _log,
    _now,
    _unit_label,
    due_or_gap,
    limit_for,
    new_tracking_code,
)
from zhifa.dispatch.actions.geocoding import _normalise_crs, _to_wgs84
from zhifa.dispatch.models import Report, ReportPhoto, Step
from zhifa.org import services as org_services
from zhifa.org.models import County, Township
from zhifa.rules import dispatch_workflow as wf
from zhifa.rules import plaintext

# Likely duplicates: same place, similar text, short interval (thresholds in the rules module).
DUPLICATE_RADIUS_M = wf.DUPLICATE_RADIUS_M
DUPLICATE_WINDOW = dt.timedelta(hours=wf.DUPLICATE_WINDOW_HOURS)
DUPLICATE_SIMILARITY = wf.DUPLICATE_SIMILARITY
MAX_TEXT = 4000
EARLIEST_REPORTED_AT = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
CLOCK_SKEW = dt.timedelta(minutes=10)
MAX_PHOTO_BYTES = 10 * 1024 * 1024
# China's extent (with a margin): a point outside is a typo or swapped coordinates.
LON_RANGE = (73.0, 136.0)
LAT_RANGE = (3.0, 54.0)


@dataclass
class PhotoIn:
    name: str
    content: bytes
    content_type: str = "image/jpeg"


@dataclass
class IntakeResult:
    report: Report
    created: bool
    warnings: list[str] = field(default_factory=list)


def _float(value: Any, label: str, errors: dict[str, str], key: str) -> float | None:
    try:
        f = float(value)
    except (TypeError, ValueError):
        errors[key] = f"{label}必须是数字"
        return None
    if math.isnan(f) or math.isinf(f):
        errors[key] = f"{label}必须是有限数字"
        return None
    return f


text_similarity = wf.text_similarity
distance_m = wf.distance_m


# The two reads of every intake, in SQL written once (column names from the model): the ORM
# compiled each of them again per request, about 0.3-0.6 ms of CPU apiece against 0.1 ms for
# the statement itself, on the busiest path of the platform. Both run on SQLite and PostgreSQL.
#
# The candidates come from the (dup_cell, reported_at) index, and the county is compared as
# `county_id + 0`, which no index can serve. Written as `county_id = %s`, the planner took an
# index led by the county instead (the board's (county, reported_at) above all) whenever its
# statistics held few reports of the county, as for a county that began taking reports after
# the table's last ANALYZE (at 10 million rows autovacuum re-analyses only after another
# million): it then read every report of the county in the window, a cost growing with the
# county's intake instead of a handful of cells. (Each cell's window written as a row
# comparison on the index's columns would also keep the board's index out, but PostgreSQL
# estimates such comparisons so coarsely, thousands of rows for a few dozen, that at 10 million
# reports it planned a parallel scan, whose workers cost more than the query.)
# In the model's field order, as `Model.from_db` takes a subset of the columns.
_DUP_COLUMNS = [
    f.attname
    for f in Report._meta.concrete_fields
    if f.attname in {"id", "text", "wgs_lon", "wgs_lat", "tracking_code"}
]
_DUP_SQL = (
    "SELECT " + ", ".join(f'"{c}"' for c in _DUP_COLUMNS) + ' FROM "{table}" '
    'WHERE "dup_cell" IN ({cells}) AND "reported_at" >= %s AND "reported_at" <= %s AND "county_id" + 0 = %s '
    'AND "status" NOT IN (%s, %s){not_self} ORDER BY "created_at" DESC, "id" DESC LIMIT 50'
)
_CLIENT_ID_SQL = 'SELECT "id" FROM "{table}" WHERE "client_id" = %s LIMIT 1'


def candidates_query(report: Report) -> tuple[str, list[Any]]:
    """The SQL and parameters reading `report`'s duplicate candidates (a test explains it)."""
    cells = wf.duplicate_cells_near(report.wgs_lon, report.wgs_lat, DUPLICATE_RADIUS_M)
    adapt = connection.ops.adapt_datetimefield_value
    params: list[Any] = [
        *cells,
        adapt(report.reported_at - DUPLICATE_WINDOW),
        adapt(report.reported_at + DUPLICATE_WINDOW),
        report.county_id,
        wf.MERGED,
        wf.ARCHIVED,
    ]
    not_self = ""
    if report.pk is not None:
        not_self = ' AND "id" <> %s'
        params.append(report.pk)
    marks = ", ".join(["%s"] * len(cells))
    return _DUP_SQL.format(table=Report._meta.db_table, cells=marks, not_self=not_self), params


def _candidates(report: Report) -> list[Report]:
    """Open reports of the county in the cells around `report` within the interval (at most 50,
    newest first), as `Report` rows holding only the columns the comparison reads."""
    with connection.cursor() as cursor:
        cursor.execute(*candidates_query(report))
        rows = cursor.fetchall()
    return [Report.from_db(connection.alias, _DUP_COLUMNS, row) for row in rows]


def find_duplicate(report: Report) -> Report | None:
    """The most similar open report near the same place within the interval, if any.

    Candidates come from the (dup_cell, reported_at) index: a fixed handful of cells and a time
    window, so the check costs the same at 10 million reports as at a thousand.
    """
    best, best_score = None, DUPLICATE_SIMILARITY
    mine = wf.bigrams(report.text)  # `text_similarity`, with the report's side computed once
    for other in _candidates(report):
        if distance_m(report.wgs_lon, report.wgs_lat, other.wgs_lon, other.wgs_lat) > DUPLICATE_RADIUS_M:
            continue
        score = wf.bigram_overlap(mine, wf.bigrams(other.text))
        if score >= best_score:
            best, best_score = other, score
    return best


def validate_intake(
    *, text: str, lon: Any, lat: Any, crs: str | None, channel: str, priority: str, phone: str = ""
) -> tuple[dict[str, str], float | None, float | None, str]:
    errors: dict[str, str] = {}
    text = (text or "").strip()
    if not text:
        errors["text"] = "请填写事件描述"
    elif len(text) > MAX_TEXT:
        errors["text"] = f"事件描述不能超过{MAX_TEXT}字"
    elif (bad := plaintext.control_char_message(text)) is not None:
        errors["text"] = f"事件描述{bad}"
    lon_f = _float(lon, "经度", errors, "lon")
    lat_f = _float(lat, "纬度", errors, "lat")
    if lon_f is not None and not LON_RANGE[0] <= lon_f <= LON_RANGE[1]:
        errors["lon"] = f"经度{lon_f}超出范围（应在{LON_RANGE[0]:g}至{LON_RANGE[1]:g}之间，是否与纬度填反？）"
    if lat_f is not None and not LAT_RANGE[0] <= lat_f <= LAT_RANGE[1]:
        errors["lat"] = f"纬度{lat_f}超出范围（应在{LAT_RANGE[0]:g}至{LAT_RANGE[1]:g}之间）"
    try:
        crs_n = _normalise_crs(crs)
    except ValidationError as exc:
        errors["crs"] = exc.message_dict["crs"][0]
        crs_n = Report.WGS84
    if channel not in dict(Report.CHANNEL_CHOICES):
        errors["channel"] = f"渠道“{channel}”无效"
    if priority not in wf.PRIORITY_LABELS:
        errors["priority"] = f"紧急程度“{priority}”无效，应为一般、紧急或特急"
    if phone and not all(ch.isdigit() or ch in "-+ " for ch in phone):
        errors["reporter_phone"] = "联系电话只能包含数字和“-”"
    return errors, lon_f, lat_f, crs_n


# The free-text fields besides the description, in the order their errors are listed: each is
# refused when over-long or holding control characters, and stored stripped.
_TEXT_FIELDS = (
    ("address", "地址"),
    ("reporter_name", "举报人"),
    ("reporter_phone", "联系电话"),
    ("source", "来源"),
    ("external_id", "外部编号"),
)


def do_intake(
    actor,
    *,
    county: County,
    text: str,
    lon: Any,
    lat: Any,
    crs: str | None = "wgs84",
    channel: str = Report.WEB,
    client_id: str | None = None,
    reporter_name: str = "",
    reporter_phone: str = "",
    anonymous: bool = False,
    photos: Iterable[PhotoIn] = (),
    reported_at: dt.datetime | None = None,
    priority: str = wf.NORMAL,
    source: str = "",
    external_id: str = "",
    address: str = "",
    now: dt.datetime | None = None,
    route_suggestion: bool = True,
) -> IntakeResult:
    """一口受理: store a report once (a resent `client_id` returns the stored one), locate it,
    ask the router for a suggestion and flag a likely duplicate.

    Phases, in this order: the resent check; every input check, all errors raised together; the
    unsaved report located and decided on in memory (`_new_report`, `_decide`); one transaction
    that stores it (`_store`).
    """
    now = _now(now)
    client_id = (client_id or "").strip() or None
    if client_id:
        existing = _resent(client_id)
        if existing is not None:
            return IntakeResult(existing, created=False)
    texts = {
        "address": address,
        "reporter_name": reporter_name,
        "reporter_phone": reporter_phone,
        "source": source,
        "external_id": external_id,
    }
    errors, lon_f, lat_f, crs_n = validate_intake(
        text=text, lon=lon, lat=lat, crs=crs, channel=channel, priority=priority, phone=reporter_phone
    )
    _text_field_errors(errors, texts)
    _reported_at_error(errors, reported_at, now)
    photos = list(photos)
    _photo_errors(errors, photos)
    if errors:
        raise ValidationError(errors)
    report, loc = _new_report(
        actor,
        county,
        client_id=client_id,
        channel=channel,
        text=text,
        point=(lon_f, lat_f, crs_n),
        texts=texts,
        anonymous=anonymous,
        reported_at=reported_at or now,
        priority=priority,
    )
    warnings, limit, gap = _decide(report, loc, now, route_suggestion)
    try:
        _store(report, actor, channel=channel, limit=limit, gap=gap, now=now, photos=photos)
    except IntegrityError:
        # Two sends of the same client id at once: the loser returns the winner's report.
        winner = _race_winner(client_id)
        if winner is None:
            raise
        return IntakeResult(winner, created=False)
    return IntakeResult(report, created=True, warnings=warnings)


def _resent(client_id: str) -> Report | None:
    """The report already stored under `client_id` (a resend), after checking the id's length."""
    if len(client_id) > 80:
        raise ValidationError({"client_id": "客户端编号不能超过80个字符"})
    # Looked up through `_existing`, which a test replaces to stage two simultaneous sends.
    return _existing(client_id)


def _text_field_errors(errors: dict[str, str], texts: dict[str, str]) -> None:
    """Over-long fields are refused, never cut: what the reporter wrote is what is stored."""
    for name, label in _TEXT_FIELDS:
        value = texts[name]
        limit = Report._meta.get_field(name).max_length
        if len((value or "").strip()) > limit:
            errors[name] = f"{label}不能超过{limit}个字符（现为{len(value.strip())}个）"
        elif (bad := plaintext.control_char_message(value or "")) is not None:
            errors[name] = f"{label}{bad}"


def _reported_at_error(errors: dict[str, str], reported_at: dt.datetime | None, now: dt.datetime) -> None:
    """Not before the platform's era, not ahead of the server's clock beyond a phone's skew."""
    if reported_at is None:
        return
    if reported_at < EARLIEST_REPORTED_AT:
        errors["reported_at"] = "上报时间早于2000年1月1日，请检查日期"
    elif reported_at > now + CLOCK_SKEW:
        shown = f"{timezone.localtime(reported_at):%Y-%m-%d %H:%M}"
        errors["reported_at"] = f"上报时间{shown}晚于当前时间，请检查手机或终端的日期时间设置"


def _photo_errors(errors: dict[str, str], photos: list[PhotoIn]) -> None:
    """Each photo at most 10 MB and an image; errors name it by its place (第i张), from 1."""
    for i, p in enumerate(photos, 1):
        if len(p.content) > MAX_PHOTO_BYTES:
            errors[f"photos[{i}]"] = f"第{i}张照片超过10MB"
        elif not (p.content_type or "").startswith("image/"):
            errors[f"photos[{i}]"] = f"第{i}张文件“{p.name}”不是图片"


def _new_report(
    actor,
    county: County,
    *,
    client_id: str | None,
    channel: str,
    text: str,
    point: tuple[float | None, float | None, str],
    texts: dict[str, str],
    anonymous: bool,
    reported_at: dt.datetime,
    priority: str,
) -> tuple[Report, Any]:
    """The unsaved report, with its point converted to WGS-84, and where the grid places it."""
    lon_f, lat_f, crs_n = point
    wgs_lon, wgs_lat = _to_wgs84(lon_f, lat_f, crs_n)
    loc = geocoding.locate(wgs_lon, wgs_lat)
    report = Report(
        county=county,
        tracking_code=new_tracking_code(),
        client_id=client_id,
        channel=channel,
        source=texts["source"].strip(),
        external_id=texts["external_id"].strip(),
        text=text.strip(),
        address=texts["address"].strip(),
        lon=lon_f,
        lat=lat_f,
        crs=crs_n,
        wgs_lon=wgs_lon,
        wgs_lat=wgs_lat,
        reporter_name=texts["reporter_name"].strip(),
        reporter_phone=texts["reporter_phone"].strip(),
        anonymous=bool(anonymous),
        reported_by=None if actor is None or isinstance(actor, str) else actor,
        reported_at=reported_at,
        priority=priority,
    )
    return report, loc


def _decide(
    report: Report, loc, now: dt.datetime, route_suggestion: bool
) -> tuple[list[str], wf.Limit | None, str]:
    """Everything about the report decided before the one INSERT (each save is an audit entry,
    and intake is the busiest path of the platform): its township and grid cells, the router's
    suggestion, a likely duplicate, and the received step's limit and due time.
    Returns (warnings for the reporter, the limit, why the due time is missing or "")."""
    warnings: list[str] = []
    if loc is not None and loc.township_id:
        report.township = org_services.township(loc.township_id) or Township.objects.get(pk=loc.township_id)
        report.community_code = loc.community or ""
        report.grid_code = loc.grid or ""
        report.micro_code = loc.micro or ""
    else:
        warnings.append("该位置不在本县网格范围内，由县指挥中心分拨")
    if route_suggestion:
        suggestions._set_suggestion(report, suggestions.suggest(report))
    dup = find_duplicate(report)
    if dup is not None:
        report.duplicate_of = dup
        warnings.append(f"疑似与事件{dup.tracking_code}重复，请调度员核实后合并")
    limit = limit_for(report, wf.RECEIVED)
    report.step_started_at = now
    report.step_due_at, gap = due_or_gap(now, limit)
    if gap:
        warnings.append(gap)
    return warnings, limit, gap


def _store(
    report: Report,
    actor,
    *,
    channel: str,
    limit: wf.Limit | None,
    gap: str,
    now: dt.datetime,
    photos: list[PhotoIn],
) -> None:
    """One transaction: the report, its received step, its intake log, their audit entries and
    the photos. A second send of the same client id raises IntegrityError here."""
    with transaction.atomic():
        # The three rows go into the audit chain as one batch: one turn of the chain's lock
        # per report instead of three (all writers queue on that lock).
        with audit.suppressed():
            report.save(force_insert=True)
            step = Step.objects.create(
                report=report,
                state=wf.RECEIVED,
                unit=_unit_label(report, wf.RECEIVED),
                limit_label=_limit_label(limit, gap),
                started_at=now,
                due_at=report.step_due_at,
            )
            log_row = _log(report, actor, "intake", "", wf.RECEIVED, now, data={"channel": channel})
        audit.record_many(
            [
                audit.Change(
                    "create",
                    o._meta.label,
                    str(o.pk),
                    str(o)[:200],
                    None,
                    audit.snapshot(o),
                    county_id=report.county_id,
                )
                for o in (report, step, log_row)
            ]
        )
        for p in photos:
            _add_photo(report, p)


def _race_winner(client_id: str | None) -> Report | None:
    """After an IntegrityError: the report a simultaneous send of the same client id stored."""
    if client_id:
        return Report.objects.filter(client_id=client_id).first()
    return None


def _existing(client_id: str) -> Report | None:
    # Nearly every intake is a first send: the probe reads one id through the unique index, and
    # the report itself is read only for a resend.
    with connection.cursor() as cursor:
        cursor.execute(_CLIENT_ID_SQL.format(table=Report._meta.db_table), [client_id])
        row = cursor.fetchone()
    return Report.objects.filter(pk=row[0]).first() if row else None


def _add_photo(report: Report, p: PhotoIn) -> ReportPhoto:
    digest = hashlib.sha256(p.content).hexdigest()
    existing = report.photos.filter(sha256=digest).first()
    if existing:
        return existing
    photo = ReportPhoto(report=report, sha256=digest, content_type=p.content_type[:60])
    photo.file.save(p.name or "photo.jpg", ContentFile(p.content), save=False)
    photo.save()
    audit.record(
        "create",
        model="dispatch.ReportPhoto",
        object_id=str(photo.pk),
        after={
            "report_id": report.pk,
            "sha256": digest,
            "file": photo.file.name,
            "content_type": photo.content_type,
            "size": len(p.content),
        },
    )
    return photo
