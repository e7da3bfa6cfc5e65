"""Every state change of dispatch, one function each, called by the web pages, the API and commands.

A transition is first looked up in the one table (`zhifa.rules.dispatch_workflow.TRANSITIONS`),
then applied inside `transaction.atomic()` on a row locked with `select_for_update`, and logged
as a `Transition` (who, when, why, from, to). Refusals raise `TransitionRefused`/`ValidationError`
with a Chinese message. `now` is a parameter everywhere so tests can run a controlled clock.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import math
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from zhifa.core import audit
from zhifa.core.calendar import work_calendar
from zhifa.dispatch import limits
from zhifa.dispatch.models import (
    DisciplinaryProposal,
    Report,
    ReportPhoto,
    Step,
    Transition,
    Whistle,
    WhistleCall,
)
from zhifa.org import roles
from zhifa.org import services as org_services
from zhifa.org.models import County, Department, Township
from zhifa.rules import dispatch_workflow as wf
from zhifa.rules import plaintext
from zhifa.rules.dispatch_workflow import TransitionRefused
from zhifa.rules.workdays import CalendarGapError

log = logging.getLogger(__name__)

__all__ = ["StaleState", "TransitionRefused"]

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
_CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"


# ---- helpers ----------------------------------------------------------------------------------------


def _now(now: dt.datetime | None) -> dt.datetime:
    return now or timezone.now()


def _actor_name(actor) -> str:
    if actor is None:
        return "系统"
    if isinstance(actor, str):
        return actor
    return getattr(actor, "display_name", None) or getattr(actor, "username", str(actor))


def new_tracking_code() -> str:
    return "SJ" + "".join(secrets.choice(_CODE_ALPHABET) for _ in range(10))


def actor_kinds(user, report: Report) -> set[str]:
    """The parts `user` plays for `report` in the transition table (dispatcher, handler)."""
    kinds: set[str] = set()
    if user is None or isinstance(user, str):
        return {wf.SYSTEM}
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return kinds
    if user.is_superuser:
        return {wf.DISPATCHER, wf.HANDLER}
    if user.county_id != report.county_id:
        return kinds
    if roles.has_capability(user, "dispatch.dispatch"):
        if user.role in roles.COUNTY_ROLES:
            kinds.add(wf.DISPATCHER)
        elif user.township_id and user.township_id == report.township_id:
            # The township platform (二级指挥) dispatches what lies in its township.
            kinds.add(wf.DISPATCHER)
    if roles.has_capability(user, "dispatch.handle"):
        if report.handler_kind in (Report.TOWNSHIP, Report.SERVICE) and user.township_id:
            if user.township_id == report.handler_township_id:
                kinds.add(wf.HANDLER)
        if report.handler_kind == Report.DEPARTMENT and user.department_id:
            if user.department_id == report.handler_department_id:
                kinds.add(wf.HANDLER)
    return kinds


def limit_for(report: Report, step: str) -> wf.Limit | None:
    """The configured limit for `step` (most specific row wins), else the default of the rules."""
    return limits.limit_for(report.county_id, step, report.item_code or "", report.priority or "")


def _unit_label(report: Report, state: str) -> str:
    if state == wf.RECEIVED:
        if report.township_id:
            return f"{report.township.name}调度平台"
        return "县综合行政执法指挥中心"
    if state == wf.VERIFYING:
        return "调度平台（核查回访）"
    return report.handler_label


def due_or_gap(start: dt.datetime, limit: wf.Limit | None) -> tuple[dt.datetime | None, str]:
    """The due time of a step, or (None, why) when the calendar lacks the year it reaches.

    A missing holiday arrangement must never stop a report from being taken in or moved on:
    the step runs without a due time, says why, and the worker computes it once the
    administrator has entered the year (`fill_missing_dues`).
    """
    if limit is None:
        return None, ""
    try:
        return wf.due_at(timezone.localtime(start), limit, work_calendar()), ""
    except CalendarGapError as exc:
        return None, f"{exc}，期限待录入节假日安排后确定"


def _start_step(report: Report, state: str, now: dt.datetime) -> None:
    """Close the running step and start the clock of `state` if it is timed."""
    for step in report.steps.filter(ended_at__isnull=True):
        step.ended_at = now
        step.overdue = step.due_at is not None and now > step.due_at
        step.save()
    report.step_started_at = now
    report.step_due_at = None
    if state in wf.TIMED_STATES:
        limit = limit_for(report, state)
        due, gap = due_or_gap(now, limit)
        report.step_due_at = due
        Step.objects.create(
            report=report,
            state=state,
            unit=_unit_label(report, state),
            limit_label=_limit_label(limit, gap),
            started_at=now,
            due_at=due,
        )


def _limit_label(limit: wf.Limit | None, gap: str) -> str:
    if limit is None:
        return ""
    return f"{limit.label()}（期限待定，缺节假日安排）" if gap else limit.label()


def _log(
    report: Report,
    actor,
    action: str,
    from_status: str,
    to_status: str,
    now: dt.datetime,
    reason: str = "",
    data: dict | None = None,
) -> Transition:
    return Transition.objects.create(
        report=report,
        action=action,
        from_status=from_status,
        to_status=to_status,
        actor=None if actor is None or isinstance(actor, str) else actor,
        actor_name=_actor_name(actor),
        at=now,
        reason=reason,
        data=data or {},
    )


class StaleState(ValidationError):
    """The action was taken from an older state of the report: someone else acted in between.
    Nothing is written; the API answers 409, the page shows a flash message."""

    def __init__(self, current_state: str) -> None:
        self.current_state = current_state
        label = wf.STATE_LABELS.get(current_state, current_state)
        super().__init__({"expected_state": f"该事件已被他人处理（当前状态：{label}），请刷新后重试"})

    @property
    def message_text(self) -> str:
        return self.message_dict["expected_state"][0]


def _locked(actor, report_id: int, expected_state: str | None = None) -> Report:
    """The report, locked for this transaction (`select_for_update`). When `expected_state` is
    given (the status the form or client saw) and the report has moved on, `StaleState`."""
    qs = Report.objects.select_for_update()
    if actor is not None and not isinstance(actor, str):
        qs = qs.restrict(actor, "view")
    try:
        report = qs.get(pk=report_id)
    except Report.DoesNotExist as exc:
        raise Report.DoesNotExist("事件不存在或不在您的管辖范围内") from exc
    if expected_state is not None and report.status != expected_state:
        raise StaleState(report.status)
    return report


def expected_state_of(value: Any) -> str | None:
    """`expected_state` from a form or API body: None when absent or blank, else a known status."""
    if value is None or value == "":
        return None
    if not isinstance(value, str) or value not in wf.STATE_LABELS:
        raise ValidationError(
            {"expected_state": "事件状态（expected_state）无效：应为查看事件时得到的status值"}
        )
    return value


def _apply(
    actor,
    report: Report,
    action: str,
    now: dt.datetime,
    reason: str = "",
    data: dict | None = None,
) -> wf.Rule:
    """Check `action` against the table, move the status, restart the step clock, log it."""
    rule = wf.check(report.status, action, actor_kinds(actor, report))
    reason = (reason or "").strip()
    if rule.reason_required and not reason:
        raise ValidationError({"reason": f"{wf.ACTION_LABELS[action]}必须填写理由"})
    before = report.status
    if rule.to is not None:
        report.status = rule.to
        if rule.to != before or action == wf.REASSIGN:
            _start_step(report, rule.to, now)
    if report.status != wf.RECEIVED:
        report.needs_review = False  # routed (or merged, closed): no longer waiting for a person
    report.save()
    _log(report, actor, action, before, report.status, now, reason, data)
    return rule


# ---- intake -----------------------------------------------------------------------------------------


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


def _to_wgs84(lon: float, lat: float, crs: str) -> tuple[float, float]:
    try:
        from zhifa.grid import coords
    except ImportError:  # the grid app is optional for intake: WGS-84 only then
        if crs not in (Report.WGS84, Report.CGCS2000):
            raise ValidationError({"crs": f"不支持的坐标系“{crs}”"}) from None
        return lon, lat
    return coords.to_wgs84(lon, lat, crs)


def _normalise_crs(crs: str | None) -> str:
    try:
        from zhifa.grid import coords
    except ImportError:
        return (crs or Report.WGS84).lower()
    try:
        return coords.normalise_crs(crs)
    except coords.UnknownCRS as exc:
        raise ValidationError({"crs": str(exc)}) from None


def locate(lon: float, lat: float):
    """The grid location of a WGS-84 point, or None when the grid map is not available."""
    try:
        from zhifa.grid.services import locate as grid_locate
    except ImportError:
        return None
    return grid_locate(lon, lat, "wgs84")


def suggest(report: Report):
    """The router's suggestion for `report`, or None when no router is installed."""
    try:
        from zhifa.dispatch import routing
    except ImportError:
        return None
    try:
        on = timezone.localdate(report.reported_at) if report.reported_at else None
        return routing.suggest(
            report.text, report.wgs_lon, report.wgs_lat, "wgs84", on=on, county=report.county
        )
    except Exception:  # a router failure must never lose a report: it is routed by hand
        log.exception("routing suggestion failed for %s", report.tracking_code)
        return None


def suggest_many(reports: list[Report]) -> list:
    """The router's suggestions for several reports in one batch per county (one grid pass,
    held items looked up once per township and day): how deferred suggestions are filled."""
    try:
        from zhifa.dispatch import routing
    except ImportError:
        return [None] * len(reports)
    out: list = [None] * len(reports)
    by_county: dict[int, list[int]] = {}
    for i, r in enumerate(reports):
        by_county.setdefault(r.county_id, []).append(i)
    for county_id, idx in by_county.items():
        rows = [
            (
                reports[i].text,
                reports[i].wgs_lon,
                reports[i].wgs_lat,
                "wgs84",
                timezone.localdate(reports[i].reported_at) if reports[i].reported_at else None,
            )
            for i in idx
        ]
        try:
            found = routing.route_many(rows, county=county_id)
        except Exception:  # one bad row must not hold back the others: fall back to one by one
            log.exception("batch routing failed; suggesting one report at a time")
            found = [suggest(reports[i]) for i in idx]
        for i, sug in zip(idx, found, strict=True):
            out[i] = sug
    return out


def fill_suggestions(reports: Iterable[Report]) -> int:
    """Compute the routing suggestion of reports taken in without one (API, Open311, import)."""
    todo = [r for r in reports if not r.suggestion]
    if not todo:
        return 0
    changed, changes = [], []
    for r, sug in zip(todo, suggest_many(todo), strict=True):
        data = _set_suggestion(r, sug)
        if not data:
            continue
        changed.append(r)
        changes.append(
            audit.Change(
                "update",
                "dispatch.Report",
                str(r.pk),
                str(r),
                {"suggestion": {}, "needs_review": False},
                {"suggestion": data, "needs_review": r.needs_review},
                "转办建议",
                county_id=r.county_id,
            )
        )
    if changed:
        with transaction.atomic():
            Report.objects.bulk_update(changed, ["suggestion", "needs_review"])
            audit.record_many(changes)
    return len(changed)


def _set_suggestion(report: Report, sug) -> dict[str, Any]:
    """Store the router's suggestion on `report` (not saved) and whether it waits for a person."""
    data = _suggestion_dict(sug)
    report.suggestion = data
    report.needs_review = bool(data) and bool(data.get("needs_review")) and report.status == wf.RECEIVED
    return data


def _suggestion_dict(s) -> dict[str, Any]:
    if s is None:
        return {}
    return {
        "item": getattr(s, "item", None),
        "handler": getattr(s, "handler", "none"),
        "township": getattr(s, "township", None),
        "grid": getattr(s, "grid", None),
        "micro": getattr(s, "micro", None),
        "candidates": [
            {"item": c[0], "score": round(float(c[1]), 4), "words": list(c[2]) if len(c) > 2 else []}
            for c in list(getattr(s, "candidates", []) or [])[:3]
        ],
        "confidence": round(float(getattr(s, "confidence", 0.0) or 0.0), 4),
        "needs_review": bool(getattr(s, "needs_review", False)),
        "also": [
            {"item": a[0], "score": round(float(a[1]), 4), "words": list(a[2]), "clause": a[3]}
            for a in list(getattr(s, "also", []) or [])[:2]
        ],
    }


text_similarity = wf.text_similarity
distance_m = wf.distance_m


def find_duplicate(report: Report) -> Report | None:
    """The most similar open report near the same place within the interval, if any.

    Candidates come from the (county, dup_cell, reported_at) index: a fixed handful of cells and
    a time window, so the check costs the same at 10 million reports as at a thousand.
    """
    near = (
        Report.objects.filter(
            county_id=report.county_id,
            dup_cell__in=wf.duplicate_cells_near(report.wgs_lon, report.wgs_lat, DUPLICATE_RADIUS_M),
            reported_at__gte=report.reported_at - DUPLICATE_WINDOW,
            reported_at__lte=report.reported_at + DUPLICATE_WINDOW,
        )
        .exclude(pk=report.pk)
        .exclude(status__in=[wf.MERGED, wf.ARCHIVED])
        .only("id", "text", "wgs_lon", "wgs_lat", "tracking_code")[:50]
    )
    best, best_score = None, DUPLICATE_SIMILARITY
    for other in near:
        if distance_m(report.wgs_lon, report.wgs_lat, other.wgs_lon, other.wgs_lat) > DUPLICATE_RADIUS_M:
            continue
        score = text_similarity(report.text, other.text)
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
    ask the router for a suggestion and flag a likely duplicate."""
    now = _now(now)
    client_id = (client_id or "").strip() or None
    if client_id:
        if len(client_id) > 80:
            raise ValidationError({"client_id": "客户端编号不能超过80个字符"})
        existing = _existing(client_id)
        if existing is not None:
            return IntakeResult(existing, created=False)
    errors, lon_f, lat_f, crs_n = validate_intake(
        text=text, lon=lon, lat=lat, crs=crs, channel=channel, priority=priority, phone=reporter_phone
    )
    # Over-long fields are refused, never cut: what the reporter wrote is what is stored.
    for name, value, label in (
        ("address", address, "地址"),
        ("reporter_name", reporter_name, "举报人"),
        ("reporter_phone", reporter_phone, "联系电话"),
        ("source", source, "来源"),
        ("external_id", external_id, "外部编号"),
    ):
        limit = Report._meta.get_field(name).max_length
        if len((value or "").strip()) > limit:
            errors[name] = f"{label}不能超过{limit}个字符（现为{len(value.strip())}个）"
        elif (bad := plaintext.control_char_message(value or "")) is not None:
            errors[name] = f"{label}{bad}"
    if reported_at is not None:
        # Not before the platform's era, not ahead of the server's clock beyond a phone's skew.
        if reported_at < EARLIEST_REPORTED_AT:
            errors["reported_at"] = "上报时间早于2000年1月1日，请检查日期"
        elif reported_at > now + CLOCK_SKEW:
            shown = f"{timezone.localtime(reported_at):%Y-%m-%d %H:%M}"
            errors["reported_at"] = f"上报时间{shown}晚于当前时间，请检查手机或终端的日期时间设置"
    photos = list(photos)
    for i, p in enumerate(photos, 1):
        if len(p.content) > MAX_PHOTO_BYTES:
            errors[f"photos[{i}]"] = f"第{i}张照片超过10MB"
        elif not (p.content_type or "").startswith("image/"):
            errors[f"photos[{i}]"] = f"第{i}张文件“{p.name}”不是图片"
    if errors:
        raise ValidationError(errors)
    wgs_lon, wgs_lat = _to_wgs84(lon_f, lat_f, crs_n)
    loc = locate(wgs_lon, wgs_lat)
    report = Report(
        county=county,
        tracking_code=new_tracking_code(),
        client_id=client_id,
        channel=channel,
        source=source.strip(),
        external_id=external_id.strip(),
        text=text.strip(),
        address=address.strip(),
        lon=lon_f,
        lat=lat_f,
        crs=crs_n,
        wgs_lon=wgs_lon,
        wgs_lat=wgs_lat,
        reporter_name=reporter_name.strip(),
        reporter_phone=reporter_phone.strip(),
        anonymous=bool(anonymous),
        reported_by=None if actor is None or isinstance(actor, str) else actor,
        reported_at=reported_at or now,
        priority=priority,
    )
    warnings: list[str] = []
    if loc is not None and loc.township_id:
        report.township = org_services.township(loc.township_id) or Township.objects.get(pk=loc.township_id)
        report.community_code = loc.community or ""
        report.grid_code = loc.grid or ""
        report.micro_code = loc.micro or ""
    else:
        warnings.append("该位置不在本县网格范围内，由县指挥中心分拨")
    if route_suggestion:
        _set_suggestion(report, suggest(report))
    # Everything is decided before the one INSERT: each save is an audit entry, and intake is
    # the busiest path of the platform.
    dup = find_duplicate(report)
    if dup is not None:
        report.duplicate_of = dup
        warnings.append(f"疑似与事件{dup.tracking_code}重复，请调度员核实后合并")
    limit = limit_for(report, wf.RECEIVED)
    report.step_started_at = now
    report.step_due_at, gap = due_or_gap(now, limit)
    if gap:
        warnings.append(gap)
    try:
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
    except IntegrityError:
        # Two sends of the same client id at once: the loser returns the winner's report.
        if client_id:
            existing = Report.objects.filter(client_id=client_id).first()
            if existing is not None:
                return IntakeResult(existing, created=False)
        raise
    return IntakeResult(report, created=True, warnings=warnings)


def _existing(client_id: str) -> Report | None:
    return Report.objects.filter(client_id=client_id).first()


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


# ---- routing -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class HandlerChoice:
    kind: str
    township: Township | None = None
    department: Department | None = None
    squad: str = ""
    reason: str = ""


def decide_handler(report: Report, item_code: str | None, on: dt.date) -> HandlerChoice:
    """The township's team when the township where the report lies holds the item; otherwise
    the item's department via the county centre; no item: the service queue.

    A thin adapter: the decision is `zhifa.rules.routing.decide_handler` (the one the router's
    suggestion uses) on the holding of `zhifa.rules.holdings` under the same `FIRST_VERSION`
    policy, so a suggestion and the routing of the same report agree.
    """
    from zhifa.catalogue.models import Item
    from zhifa.catalogue.services import holding_on
    from zhifa.rules import holdings
    from zhifa.rules.routing import decide_handler as handler_rule

    if not item_code:
        return HandlerChoice(Report.SERVICE, township=report.township, reason="非执法事项，转服务类事项队列")
    item = (
        Item.objects.select_related("department").filter(county_id=report.county_id, code=item_code).first()
    )
    if item is None:
        raise ValidationError({"item_code": f"执法事项编码“{item_code}”在本县清单中不存在"})
    township = report.township if report.township_id else None
    auth = holding_on(township, item, on, holdings.FIRST_VERSION) if township is not None else None
    ref = handler_rule(
        item.code,
        township.code if township is not None else None,
        {item.code} if auth is not None and auth.held else set(),
        {item.code: item.department.code},
    )
    if ref.startswith("township:"):
        reason = "乡镇（街道）持有该事项" + (f"（{auth.note}）" if auth is not None and auth.note else "")
        return HandlerChoice(Report.TOWNSHIP, township=township, squad=item.domain, reason=reason)
    reason = auth.reason if auth is not None else "事件不在任何乡镇（街道）范围内"
    return HandlerChoice(Report.DEPARTMENT, department=item.department, squad=item.domain, reason=reason)


def _set_handler(report: Report, choice: HandlerChoice, item_code: str | None) -> None:
    report.item_code = item_code or ""
    report.handler_kind = choice.kind
    report.handler_township = choice.township if choice.kind in (Report.TOWNSHIP, Report.SERVICE) else None
    report.handler_department = choice.department if choice.kind == Report.DEPARTMENT else None
    report.squad = choice.squad
    report.service_queue = choice.kind == Report.SERVICE


def _record_confirmation(report: Report, item_code: str | None, corrected: bool = False) -> None:
    try:
        from zhifa.dispatch import routing
        from zhifa.dispatch.models_router import RoutingExample
    except ImportError:
        return
    try:
        routing.record_confirmation(
            report.text,
            [item_code] if item_code else [],
            report.county,
            source=RoutingExample.CORRECTED if corrected else RoutingExample.CONFIRMED,
            reference=report.tracking_code,
        )
    except Exception:  # learning is a side effect: a failure must not undo the routing
        log.exception("could not record the routing of %s as a training example", report.tracking_code)


_UNSET = object()


def do_route(
    actor,
    report_id: int,
    *,
    item_code: Any = _UNSET,
    department_code: str = "",
    reason: str = "",
    now: dt.datetime | None = None,
    expected_state: str | None = None,
) -> Report:
    """一键转办: confirm the router's item (item_code unset) or correct it (a code, or "" for
    the service queue). A department may be named to override the county centre's choice."""
    now = _now(now)
    with transaction.atomic():
        report = _locked(actor, report_id, expected_state)
        if not report.suggestion:
            _set_suggestion(report, suggest(report))
        if item_code is _UNSET:
            item_code = (report.suggestion or {}).get("item") or ""
        item_code = (item_code or "").strip()
        choice = decide_handler(report, item_code, timezone.localdate(now))
        if department_code:
            dept = Department.objects.filter(county_id=report.county_id, code=department_code).first()
            if dept is None:
                raise ValidationError({"department": f"部门“{department_code}”不存在"})
            choice = HandlerChoice(
                Report.DEPARTMENT, department=dept, squad=choice.squad, reason="调度员指定部门"
            )
        corrected = item_code != ((report.suggestion or {}).get("item") or "")
        _set_handler(report, choice, item_code)
        _apply(
            actor,
            report,
            wf.ROUTE,
            now,
            reason or choice.reason,
            {"item": item_code, "handler": handler_ref(report), "corrected": corrected},
        )
        _apply_playbook(actor, report, now)
        transaction.on_commit(lambda: _record_confirmation(report, item_code, corrected))
    return report


def _apply_playbook(actor, report: Report, now: dt.datetime) -> None:
    from zhifa.dispatch import playbooks

    pb = playbooks.apply(actor, report, now)
    if pb is not None:
        _log(report, actor, "playbook", report.status, report.status, now, pb.name, {"playbook": pb.code})


def handler_ref(report: Report) -> str:
    """The handler as in the report-set format: township:T01, department:D03 or none."""
    if report.handler_kind == Report.TOWNSHIP and report.handler_township_id:
        return f"township:{report.handler_township.code}"
    if report.handler_kind == Report.DEPARTMENT and report.handler_department_id:
        return f"department:{report.handler_department.code}"
    return "none"


def do_reassign(
    actor,
    report_id: int,
    *,
    item_code: str | None = None,
    department_code: str = "",
    reason: str,
    now: dt.datetime | None = None,
    expected_state: str | None = None,
) -> Report:
    now = _now(now)
    with transaction.atomic():
        report = _locked(actor, report_id, expected_state)
        code = report.item_code if item_code is None else item_code.strip()
        choice = decide_handler(report, code, timezone.localdate(now))
        if department_code:
            dept = Department.objects.filter(county_id=report.county_id, code=department_code).first()
            if dept is None:
                raise ValidationError({"department": f"部门“{department_code}”不存在"})
            choice = HandlerChoice(Report.DEPARTMENT, department=dept, squad=choice.squad)
        wf.check(report.status, wf.REASSIGN, actor_kinds(actor, report))
        _set_handler(report, choice, code)
        _apply(actor, report, wf.REASSIGN, now, reason, {"item": code, "handler": handler_ref(report)})
        _apply_playbook(actor, report, now)
    return report


def do_assign(
    actor,
    report_id: int,
    *,
    unit: str,
    item_code: str | None = None,
    reason: str = "",
    now: dt.datetime | None = None,
    expected_state: str | None = None,
) -> Report:
    """指派: the dispatcher names the unit ("township:T01", "department:D03" or "service").

    A township team may only be given a matter whose item its township holds on the day
    (the catalogue decides, not the dispatcher); a department may be named for any item.
    Unrouted reports are routed (rule route), routed ones reassigned (rule reassign).
    """
    now = _now(now)
    with transaction.atomic():
        report = _locked(actor, report_id, expected_state)
        code = (
            (report.item_code or (report.suggestion or {}).get("item") or "")
            if item_code is None
            else item_code
        )
        code = (code or "").strip()
        kind, _, ref = unit.partition(":")
        base = decide_handler(report, code, timezone.localdate(now))
        if kind == "township":
            from zhifa.catalogue.services import holding_on

            township = Township.objects.filter(county_id=report.county_id, code=ref).first()
            if township is None:
                raise ValidationError({"unit": f"乡镇（街道）“{ref}”不存在"})
            if not code:
                raise ValidationError({"unit": "指派给乡镇执法队须先确定执法事项"})
            auth = holding_on(township, code, timezone.localdate(now))
            if not auth.held:
                raise ValidationError({"unit": f"{township.name}不能办理事项{code}：{auth.reason}"})
            choice = HandlerChoice(Report.TOWNSHIP, township=township, squad=base.squad, reason="调度员指派")
        elif kind == "department":
            dept = Department.objects.filter(county_id=report.county_id, code=ref).first()
            if dept is None:
                raise ValidationError({"unit": f"部门“{ref}”不存在"})
            choice = HandlerChoice(Report.DEPARTMENT, department=dept, squad=base.squad, reason="调度员指派")
        elif kind == "service":
            choice = HandlerChoice(
                Report.SERVICE, township=report.township, reason="非执法事项，转服务类事项队列"
            )
            code = ""
        else:
            raise ValidationError(
                {"unit": f"承办单位“{unit}”无效，应为 township:代码、department:代码 或 service"}
            )
        action = wf.ROUTE if report.status == wf.RECEIVED else wf.REASSIGN
        wf.check(report.status, action, actor_kinds(actor, report))
        _set_handler(report, choice, code)
        _apply(
            actor,
            report,
            action,
            now,
            reason or choice.reason,
            {"item": code, "handler": handler_ref(report)},
        )
        _apply_playbook(actor, report, now)
        if action == wf.ROUTE:
            transaction.on_commit(lambda: _record_confirmation(report, code))
    return report


# ---- the loop --------------------------------------------------------------------------------------


def _simple(action: str):
    def run(
        actor,
        report_id: int,
        *,
        reason: str = "",
        now: dt.datetime | None = None,
        expected_state: str | None = None,
    ) -> Report:
        now = _now(now)
        with transaction.atomic():
            report = _locked(actor, report_id, expected_state)
            _apply(actor, report, action, now, reason)
        return report

    run.__name__ = f"do_{action}"
    run.__doc__ = f"{wf.ACTION_LABELS[action]} (table rule {action})."
    return run


do_accept = _simple(wf.ACCEPT)


def do_start_joint(
    actor,
    report_id: int,
    *,
    reason: str = "",
    now: dt.datetime | None = None,
    expected_state: str | None = None,
) -> Report:
    """协调联动: several units on one matter, the current handler leads. When a department leads,
    the township where the matter lies is asked to assist (it sees the report by its location)."""
    now = _now(now)
    with transaction.atomic():
        report = _locked(actor, report_id, expected_state)
        report.assist_township = report.handler_kind == Report.DEPARTMENT and report.township_id is not None
        _apply(actor, report, wf.START_JOINT, now, reason, {"assist_township": report.assist_township})
    return report


do_archive = _simple(wf.ARCHIVE)
do_resume = _simple(wf.RESUME)
do_dismiss = _simple(wf.DISMISS)
do_verify_fail = _simple(wf.VERIFY_FAIL)


def do_return(
    actor, report_id: int, *, reason: str, now: dt.datetime | None = None, expected_state: str | None = None
) -> Report:
    """回退: the unit says the matter is not theirs; it goes back to the dispatcher, unassigned."""
    now = _now(now)
    with transaction.atomic():
        report = _locked(actor, report_id, expected_state)
        handler = handler_ref(report)
        _apply(actor, report, wf.RETURN, now, reason, {"returned_by": handler})
        _set_handler(report, HandlerChoice(Report.NONE), report.item_code)
        report.save()
    return report


def do_finish(
    actor, report_id: int, *, result: str, now: dt.datetime | None = None, expected_state: str | None = None
) -> Report:
    now = _now(now)
    with transaction.atomic():
        report = _locked(actor, report_id, expected_state)
        report.result = (result or "").strip()
        report.verified = False
        report.callback = ""
        _apply(actor, report, wf.FINISH, now, result)
    return report


def do_verify(
    actor,
    report_id: int,
    *,
    passed: bool,
    note: str = "",
    now: dt.datetime | None = None,
    expected_state: str | None = None,
) -> Report:
    """复核: the on-site check; a failed check sends the matter back to the handler."""
    if not passed:
        return do_verify_fail(actor, report_id, reason=note, now=now, expected_state=expected_state)
    now = _now(now)
    with transaction.atomic():
        report = _locked(actor, report_id, expected_state)
        report.verified = True
        _apply(actor, report, wf.VERIFY, now, note)
    return report


def do_callback(
    actor,
    report_id: int,
    *,
    result: str,
    note: str = "",
    now: dt.datetime | None = None,
    expected_state: str | None = None,
) -> Report:
    """回访: ask the reporter. An unhappy reporter reopens the matter (also after closure)."""
    if result not in dict(Report.CALLBACK_CHOICES):
        raise ValidationError({"callback": "回访结果应为满意、不满意或无法联系"})
    now = _now(now)
    with transaction.atomic():
        report = _locked(actor, report_id, expected_state)
        if result == Report.UNSATISFIED:
            if not note.strip():
                raise ValidationError({"reason": "回访不满意时请记录举报人的意见"})
            report.callback = result
            report.verified = False
            _apply(actor, report, wf.REOPEN, now, note, {"callback": result})
            report.closed_at = None
            report.save()
            return report
        report.callback = result
        _apply(actor, report, wf.CALLBACK, now, note, {"callback": result})
    return report


def do_close(
    actor,
    report_id: int,
    *,
    reason: str = "",
    now: dt.datetime | None = None,
    expected_state: str | None = None,
) -> Report:
    """办结: only after the on-site check passed and the reporter was called back (or cannot be)."""
    now = _now(now)
    with transaction.atomic():
        report = _locked(actor, report_id, expected_state)
        wf.check(report.status, wf.CLOSE, actor_kinds(actor, report))
        if not report.verified:
            raise ValidationError("尚未进行现场核查，不能办结")
        needs_callback = bool(report.reporter_phone or report.reported_by_id)
        if needs_callback and not report.callback:
            raise ValidationError("尚未回访举报人，不能办结")
        report.closed_at = now
        _apply(actor, report, wf.CLOSE, now, reason)
    return report


def do_hold(
    actor,
    report_id: int,
    *,
    review_on: dt.date | None,
    reason: str,
    now: dt.datetime | None = None,
    expected_state: str | None = None,
) -> Report:
    """挂账: cannot be solved now; kept on the books with a review date."""
    now = _now(now)
    if review_on is None:
        raise ValidationError({"review_on": "挂账必须填写复查日期"})
    if review_on <= timezone.localdate(now):
        raise ValidationError({"review_on": "复查日期必须晚于今天"})
    with transaction.atomic():
        report = _locked(actor, report_id, expected_state)
        report.hold_review_on = review_on
        _apply(actor, report, wf.HOLD, now, reason, {"review_on": review_on.isoformat()})
    return report


def do_request_extension(
    actor,
    report_id: int,
    *,
    days: int,
    reason: str,
    now: dt.datetime | None = None,
    expected_state: str | None = None,
) -> Report:
    """延期申请: the unit asks for more working days; a dispatcher decides."""
    now = _now(now)
    try:
        days = int(days)
    except (TypeError, ValueError):
        days = 0
    if not 1 <= days <= 30:
        raise ValidationError({"days": "延期天数应为1至30个工作日"})
    with transaction.atomic():
        report = _locked(actor, report_id, expected_state)
        if report.extension_requested_days:
            raise ValidationError("已有待审批的延期申请")
        report.extension_requested_days = days
        _apply(actor, report, wf.REQUEST_EXTENSION, now, reason, {"days": days})
    return report


def do_approve_extension(
    actor,
    report_id: int,
    *,
    reason: str = "",
    now: dt.datetime | None = None,
    expected_state: str | None = None,
) -> Report:
    now = _now(now)
    with transaction.atomic():
        report = _locked(actor, report_id, expected_state)
        days = report.extension_requested_days
        wf.check(report.status, wf.APPROVE_EXTENSION, actor_kinds(actor, report))
        if not days:
            raise ValidationError("没有待审批的延期申请")
        base = report.step_due_at or now
        try:
            new_due = wf.due_at(timezone.localtime(base), wf.Limit(days, wf.WORKDAYS), work_calendar())
        except CalendarGapError as exc:
            raise ValidationError(f"{exc}，请先在“节假日安排”中录入后再批准延期") from None
        report.step_due_at = new_due
        report.extension_requested_days = 0
        step = report.steps.filter(ended_at__isnull=True).last()
        if step is not None:
            step.due_at = new_due
            step.limit_label = f"{step.limit_label}（延期{days}个工作日）"
            step.save()
        _apply(actor, report, wf.APPROVE_EXTENSION, now, reason, {"days": days, "due": new_due.isoformat()})
    return report


def do_reject_extension(
    actor, report_id: int, *, reason: str, now: dt.datetime | None = None, expected_state: str | None = None
) -> Report:
    now = _now(now)
    with transaction.atomic():
        report = _locked(actor, report_id, expected_state)
        if not report.extension_requested_days:
            raise ValidationError("没有待审批的延期申请")
        report.extension_requested_days = 0
        _apply(actor, report, wf.REJECT_EXTENSION, now, reason)
    return report


def do_split(
    actor,
    report_id: int,
    *,
    parts: list[str],
    reason: str,
    now: dt.datetime | None = None,
    expected_state: str | None = None,
) -> list[Report]:
    """拆分: one report with several matters becomes sub-tasks, each routed on its own."""
    now = _now(now)
    parts = [p.strip() for p in parts if p and p.strip()]
    if len(parts) < 2:
        raise ValidationError({"parts": "拆分至少需要两项子任务（每行一项）"})
    with transaction.atomic():
        report = _locked(actor, report_id, expected_state)
        _apply(actor, report, wf.SPLIT_ACTION, now, reason, {"parts": len(parts)})
        children = []
        for text in parts:
            child = Report.objects.create(
                county_id=report.county_id,
                tracking_code=new_tracking_code(),
                channel=report.channel,
                source=report.source,
                text=text,
                address=report.address,
                lon=report.lon,
                lat=report.lat,
                crs=report.crs,
                wgs_lon=report.wgs_lon,
                wgs_lat=report.wgs_lat,
                township_id=report.township_id,
                community_code=report.community_code,
                grid_code=report.grid_code,
                micro_code=report.micro_code,
                reporter_name=report.reporter_name,
                reporter_phone=report.reporter_phone,
                anonymous=report.anonymous,
                reported_by_id=report.reported_by_id,
                reported_at=report.reported_at,
                priority=report.priority,
                parent=report,
            )
            _set_suggestion(child, suggest(child))
            _start_step(child, wf.RECEIVED, now)
            child.save()
            _log(child, actor, "intake", "", wf.RECEIVED, now, f"由事件{report.tracking_code}拆分")
            children.append(child)
    return children


def do_merge(
    actor,
    report_id: int,
    *,
    into_id: int,
    reason: str,
    now: dt.datetime | None = None,
    expected_state: str | None = None,
) -> Report:
    """合并: a duplicate is folded into the report that carries the matter on."""
    now = _now(now)
    if int(into_id) == int(report_id):
        raise ValidationError({"into": "不能与自身合并"})
    with transaction.atomic():
        report = _locked(actor, report_id, expected_state)
        target = _locked(actor, into_id)
        if target.status in (wf.MERGED, wf.ARCHIVED):
            raise ValidationError({"into": f"事件{target.tracking_code}已{target.status_label}，不能并入"})
        report.merged_into = target
        _apply(actor, report, wf.MERGE, now, reason, {"into": target.tracking_code})
    return report


def do_urge(
    actor,
    report_id: int,
    *,
    reason: str = "",
    now: dt.datetime | None = None,
    expected_state: str | None = None,
) -> Report:
    """督办: recorded on the report and on the running step."""
    now = _now(now)
    with transaction.atomic():
        report = _locked(actor, report_id, expected_state)
        _urge(actor, report, reason, now)
    return report


def _urge(actor, report: Report, reason: str, now: dt.datetime) -> None:
    report.urge_count += 1
    step = report.steps.filter(ended_at__isnull=True).last()
    if step is not None:
        step.urged += 1
        step.save()
    _apply(actor, report, wf.URGE, now, reason or "督办")


def do_escalate(
    actor, report_id: int, *, reason: str, now: dt.datetime | None = None, expected_state: str | None = None
) -> Report:
    now = _now(now)
    with transaction.atomic():
        report = _locked(actor, report_id, expected_state)
        _escalate(actor, report, reason, now)
    return report


def _escalate(actor, report: Report, reason: str, now: dt.datetime) -> None:
    if report.escalation_level >= wf.MAX_ESCALATION:
        return
    report.escalation_level += 1
    _apply(
        actor,
        report,
        wf.ESCALATE,
        now,
        reason,
        {"level": report.escalation_level, "to": wf.escalation_label(report.escalation_level)},
    )


@dataclass
class UrgeSummary:
    urged: list[str] = field(default_factory=list)
    escalated: list[str] = field(default_factory=list)
    absent_calls: int = 0
    held_due: list[str] = field(default_factory=list)
    suggested: int = 0
    dues_filled: int = 0


def urge_overdue(now: dt.datetime | None = None, limit: int = 500) -> UrgeSummary:
    """督办问效: urge every overdue step, escalate it one level and give it a grace period;
    mark whistle calls past their deadline as not attended. Safe with several workers."""
    now = _now(now)
    summary = UrgeSummary()
    ids = list(
        Report.objects.filter(status__in=wf.OPEN_STATES, step_due_at__lt=now)
        .order_by("step_due_at")
        .values_list("id", flat=True)[:limit]
    )
    cal = work_calendar()
    for rid in ids:
        with transaction.atomic():
            report = (
                Report.objects.select_for_update(skip_locked=True)
                .filter(pk=rid, status__in=wf.OPEN_STATES, step_due_at__lt=now)
                .first()
            )
            if report is None:
                continue
            due = timezone.localtime(report.step_due_at)
            reason = f"{report.status_label}环节已超过期限（{due:%Y-%m-%d %H:%M}）"
            _urge("督办程序", report, reason, now)
            summary.urged.append(report.tracking_code)
            level = report.escalation_level
            _escalate("督办程序", report, reason + "，升级督办", now)
            if report.escalation_level > level:
                summary.escalated.append(report.tracking_code)
            try:
                report.step_due_at = wf.due_at(timezone.localtime(now), wf.URGE_GRACE, cal)
            except CalendarGapError:  # our own grace period: a day by the clock will do
                report.step_due_at = now + dt.timedelta(hours=24)
            report.save(update_fields=["step_due_at", "updated_at"])
    summary.absent_calls = mark_absent(now)
    summary.held_due = remind_held(now)
    pending = list(Report.objects.filter(status=wf.RECEIVED, suggestion={}).order_by("id")[:limit])
    summary.suggested = fill_suggestions(pending)
    summary.dues_filled = fill_missing_dues(limit)
    return summary


def fill_missing_dues(limit: int = 500) -> int:
    """Steps started without a due time (calendar year missing) get one once the year is there."""
    n = 0
    steps = (
        Step.objects.filter(ended_at__isnull=True, due_at__isnull=True, state__in=wf.TIMED_STATES)
        .select_related("report")
        .order_by("id")[:limit]
    )
    for step in steps:
        report = step.report
        if report.status != step.state:
            continue
        lim = limit_for(report, step.state)
        due, _ = due_or_gap(step.started_at, lim)
        if due is None:
            continue
        with transaction.atomic():
            step.due_at = due
            step.limit_label = lim.label()
            step.save(update_fields=["due_at", "limit_label"])
            Report.objects.filter(pk=report.pk, step_due_at__isnull=True).update(step_due_at=due)
            audit.record(
                "update",
                model="dispatch.Report",
                object_id=str(report.pk),
                before={"step_due_at": None},
                after={"step_due_at": due.isoformat()},
                reason="补算本环节期限",
            )
        n += 1
    return n


def remind_held(now: dt.datetime | None = None) -> list[str]:
    """挂账复查: a held report whose review date has come is urged once on that date."""
    now = _now(now)
    today = timezone.localdate(now)
    codes = []
    for rid in Report.objects.filter(status=wf.HELD, hold_review_on__lte=today).values_list("id", flat=True):
        with transaction.atomic():
            report = Report.objects.select_for_update(skip_locked=True).filter(pk=rid, status=wf.HELD).first()
            if report is None:
                continue
            done = report.transitions.filter(action=wf.URGE, at__date__gte=report.hold_review_on).exists()
            if done:
                continue
            _urge(
                "督办程序",
                report,
                f"挂账复查日期{report.hold_review_on:%Y-%m-%d}已到，请复查能否恢复办理",
                now,
            )
            codes.append(report.tracking_code)
    return codes


# ---- whistle -----------------------------------------------------------------------------------------


def do_whistle(
    actor,
    *,
    township: Township,
    department_codes: list[str],
    subject: str,
    detail: str = "",
    respond_by: dt.datetime | None,
    report_id: int | None = None,
    now: dt.datetime | None = None,
) -> Whistle:
    """乡镇吹哨: the township calls departments to a matter, each must respond by `respond_by`."""
    now = _now(now)
    if not (
        actor.is_superuser
        or (roles.has_capability(actor, "dispatch.whistle") and actor.township_id == township.pk)
    ):
        raise PermissionDenied("只有本乡镇（街道）的调度员或管理员可以吹哨。")
    errors: dict[str, str] = {}
    if not subject.strip():
        errors["subject"] = "请填写吹哨事由"
    codes = [c for c in dict.fromkeys(department_codes) if c]
    depts = list(Department.objects.filter(county_id=township.county_id, code__in=codes))
    if not codes:
        errors["departments"] = "请至少选择一个部门"
    elif len(depts) != len(codes):
        missing = set(codes) - {d.code for d in depts}
        errors["departments"] = f"部门不存在：{'、'.join(sorted(missing))}"
    if respond_by is None:
        errors["respond_by"] = "请填写报到期限"
    elif respond_by <= now:
        errors["respond_by"] = "报到期限必须晚于现在"
    report = None
    if report_id:
        report = Report.objects.restrict(actor).filter(pk=report_id).first()
        if report is None:
            errors["report"] = "关联事件不存在或不在本乡镇（街道）"
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        whistle = Whistle.objects.create(
            township=township,
            report=report,
            subject=subject.strip(),
            detail=detail.strip(),
            called_at=now,
            respond_by=respond_by,
            called_by=actor,
        )
        for d in depts:
            WhistleCall.objects.create(whistle=whistle, department=d)
        if report is not None:
            _log(report, actor, "whistle", report.status, report.status, now, subject, {"departments": codes})
    return whistle


def do_respond(actor, call_id: int, *, response: str, now: dt.datetime | None = None) -> WhistleCall:
    """部门报到: the called department reports in (late answers are recorded as late)."""
    now = _now(now)
    if not response.strip():
        raise ValidationError({"response": "请填写报到情况（到场人员、处置措施）"})
    with transaction.atomic():
        call = (
            WhistleCall.objects.select_for_update(of=("self",))
            .select_related("whistle__report", "department")
            .filter(pk=call_id)
            .first()
        )
        if call is None or not (actor.is_superuser or actor.department_id == call.department_id):
            raise PermissionDenied("只有被召集的部门可以报到。")
        if call.status == WhistleCall.RESPONDED:
            raise ValidationError("已报到，不能重复报到")
        call.status = WhistleCall.RESPONDED
        call.response = response.strip()
        call.responded_at = now
        call.responded_by = actor
        call.save()
        report = call.whistle.report
        if report is not None:
            _log(
                report,
                actor,
                "whistle_response",
                report.status,
                report.status,
                now,
                call.response,
                {"department": call.department.code, "late": now > call.whistle.respond_by},
            )
    return call


def mark_absent(now: dt.datetime | None = None) -> int:
    """Calls still unanswered after their deadline become 未报到 (visible to the county)."""
    now = _now(now)
    n = 0
    for call in WhistleCall.objects.filter(status=WhistleCall.CALLED, whistle__respond_by__lt=now):
        with transaction.atomic():
            call.status = WhistleCall.ABSENT
            call.save(update_fields=["status"])
            n += 1
    return n


def do_propose_discipline(
    actor, call_id: int, *, text: str, now: dt.datetime | None = None
) -> DisciplinaryProposal:
    now = _now(now)
    if not roles.has_capability(actor, "dispatch.discipline"):
        raise PermissionDenied("只有县级调度或监督人员可以提出处理建议。")
    if not text.strip():
        raise ValidationError({"text": "请填写处理建议"})
    with transaction.atomic():
        call = WhistleCall.objects.restrict(actor).filter(pk=call_id).first()
        if call is None:
            raise PermissionDenied("召集记录不存在。")
        if call.status == WhistleCall.RESPONDED and (call.responded_at or now) <= call.whistle.respond_by:
            raise ValidationError("该部门已按时报到，不能提出处理建议")
        return DisciplinaryProposal.objects.create(
            call=call, text=text.strip(), proposed_by=actor, proposed_at=now
        )


def absent_departments(user, qs=None) -> list[dict[str, Any]]:
    """Per department: calls, responded, late and absent counts (the county's view)."""
    calls = (qs if qs is not None else WhistleCall.objects.restrict(user)).select_related(
        "department", "whistle"
    )
    rows: dict[int, dict[str, Any]] = {}
    for c in calls:
        r = rows.setdefault(
            c.department_id,
            {
                "department": c.department,
                "called": 0,
                "waiting": 0,
                "responded": 0,
                "late": 0,
                "absent": 0,
                "open": [],
            },
        )
        r["called"] += 1
        if c.status == WhistleCall.CALLED:
            r["waiting"] += 1
        if c.status == WhistleCall.RESPONDED:
            r["responded"] += 1
            if c.responded_at and c.responded_at > c.whistle.respond_by:
                r["late"] += 1
                r["open"].append(c)
        elif c.status == WhistleCall.ABSENT:
            r["absent"] += 1
            r["open"].append(c)
    return sorted(rows.values(), key=lambda r: (-r["absent"] - r["late"], r["department"].code))


# ---- one entry point for buttons and the API ------------------------------------------------------


def _date(value: Any) -> dt.date | None:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value)) if value else None
    except ValueError:
        raise ValidationError({"review_on": "日期格式应为 YYYY-MM-DD"}) from None


def perform(actor, report_id: int, action: str, data: dict[str, Any], now: dt.datetime | None = None):
    """Run `action` with form/API `data` (reason, item, department, days, review_on, parts, into …).

    `data["expected_state"]` (optional) is the status the form or client saw; when the report
    has moved on since, `StaleState` is raised and nothing is written."""
    reason = str(data.get("reason") or "")
    es = expected_state_of(data.get("expected_state"))
    if action == wf.ROUTE and es is None:
        # 转办 is only ever taken on an unrouted report: a second dispatcher routing the same
        # report (who saw it unrouted) is told someone else did, never silently reassigns it.
        es = wf.RECEIVED
    if action in (wf.ROUTE, wf.REASSIGN) and data.get("unit"):
        item = data.get("item")
        return do_assign(
            actor,
            report_id,
            unit=str(data["unit"]),
            item_code=None if item in (None, "__suggested__") else str(item),
            reason=reason,
            now=now,
            expected_state=es,
        )
    if action == wf.ROUTE:
        item = data.get("item")
        kwargs: dict[str, Any] = {"department_code": str(data.get("department") or "")}
        if item is not None and item != "__suggested__":
            kwargs["item_code"] = str(item)
        return do_route(actor, report_id, reason=reason, now=now, expected_state=es, **kwargs)
    if action == wf.REASSIGN:
        return do_reassign(
            actor,
            report_id,
            item_code=data.get("item"),
            department_code=str(data.get("department") or ""),
            reason=reason,
            now=now,
            expected_state=es,
        )
    if action == wf.RETURN:
        return do_return(actor, report_id, reason=reason, now=now, expected_state=es)
    if action == wf.FINISH:
        return do_finish(
            actor, report_id, result=reason or str(data.get("result") or ""), now=now, expected_state=es
        )
    if action == wf.VERIFY:
        return do_verify(actor, report_id, passed=True, note=reason, now=now, expected_state=es)
    if action == wf.VERIFY_FAIL:
        return do_verify(actor, report_id, passed=False, note=reason, now=now, expected_state=es)
    if action == wf.CALLBACK:
        return do_callback(
            actor, report_id, result=str(data.get("callback") or ""), note=reason, now=now, expected_state=es
        )
    if action == wf.REOPEN:
        return do_callback(
            actor, report_id, result=Report.UNSATISFIED, note=reason, now=now, expected_state=es
        )
    if action == wf.CLOSE:
        return do_close(actor, report_id, reason=reason, now=now, expected_state=es)
    if action == wf.HOLD:
        return do_hold(
            actor,
            report_id,
            review_on=_date(data.get("review_on")),
            reason=reason,
            now=now,
            expected_state=es,
        )
    if action == wf.REQUEST_EXTENSION:
        return do_request_extension(
            actor, report_id, days=data.get("days") or 0, reason=reason, now=now, expected_state=es
        )
    if action == wf.APPROVE_EXTENSION:
        return do_approve_extension(actor, report_id, reason=reason, now=now, expected_state=es)
    if action == wf.REJECT_EXTENSION:
        return do_reject_extension(actor, report_id, reason=reason, now=now, expected_state=es)
    if action == wf.SPLIT_ACTION:
        parts = data.get("parts") or ""
        if isinstance(parts, str):
            parts = parts.splitlines()
        return do_split(actor, report_id, parts=list(parts), reason=reason, now=now, expected_state=es)
    if action == wf.MERGE:
        into = data.get("into")
        target = Report.objects.restrict(actor).filter(Q(tracking_code=str(into)) | Q(pk=_int(into))).first()
        if target is None:
            raise ValidationError({"into": f"要并入的事件“{into}”不存在"})
        return do_merge(actor, report_id, into_id=target.pk, reason=reason, now=now, expected_state=es)
    if action == wf.URGE:
        return do_urge(actor, report_id, reason=reason, now=now, expected_state=es)
    if action == wf.ESCALATE:
        return do_escalate(actor, report_id, reason=reason, now=now, expected_state=es)
    simple = {
        wf.ACCEPT: do_accept,
        wf.START_JOINT: do_start_joint,
        wf.ARCHIVE: do_archive,
        wf.RESUME: do_resume,
        wf.DISMISS: do_dismiss,
    }
    if action in simple:
        return simple[action](actor, report_id, reason=reason, now=now, expected_state=es)
    raise ValidationError({"action": f"未知操作“{action}”"})


def _int(value: Any) -> int:
    """A primary key from user input; -1 (matches nothing) when not a number or out of range."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        return -1
    return number if 0 < number < 2**63 else -1
