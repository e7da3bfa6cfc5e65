"""Bulk import of reports from JSON Lines (the report-set format of ../shared/benchmark/reports).

All or nothing: every line is checked first and every error is reported with file, line and
field in Chinese; only a clean file is stored, in one transaction. Each line's `id` becomes the
client id `import:<id>`, so importing the same file again stores nothing twice.
Fields read: id, text, lon, lat, crs (optional), source, reported_at, address, priority.
`township` and `expected` are ignored: the location decides the township.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from zhifa.dispatch.actions.intake import do_intake, validate_intake
from zhifa.dispatch.actions.suggestions import fill_suggestions
from zhifa.dispatch.models import Report
from zhifa.org.models import County
from zhifa.rules import dispatch_workflow as wf


class ImportFileError(ValueError):
    def __init__(self, errors: list[str]):
        super().__init__("\n".join(errors))
        self.errors = errors


@dataclass
class ImportResult:
    created: int = 0
    existing: int = 0
    duplicates: int = 0
    codes: list[str] = field(default_factory=list)


FIELD_LABELS = {
    "text": "text（事件描述）",
    "lon": "lon（经度）",
    "lat": "lat（纬度）",
    "crs": "crs（坐标系）",
}


def parse(path: Path) -> list[tuple[int, dict[str, Any]]]:
    name = path.name
    try:
        raw = path.read_bytes().decode("utf-8-sig")
    except OSError as exc:
        raise ImportFileError([f"无法读取文件{path}：{exc.strerror or exc}"]) from None
    except UnicodeDecodeError:
        raise ImportFileError([f"{name}：不是UTF-8编码"]) from None
    rows: list[tuple[int, dict[str, Any]]] = []
    errors: list[str] = []
    seen: dict[str, int] = {}
    for n, line in enumerate(raw.splitlines(), 1):
        if not line.strip():
            continue
        where = f"{name}第{n}行"
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            errors.append(f"{where}第{exc.colno}列：不是有效的JSON（{exc.msg}）")
            continue
        if not isinstance(obj, dict):
            errors.append(f"{where}：应为一个JSON对象")
            continue
        rid = obj.get("id")
        if isinstance(rid, bool) or not isinstance(rid, str | int) or not str(rid).strip():
            errors.append(f"{where}：字段id缺失或无效")
        elif str(rid) in seen:
            errors.append(f"{where}：id“{rid}”与第{seen[str(rid)]}行重复")
        else:
            seen[str(rid)] = n
        for key in ("lon", "lat"):
            if isinstance(obj.get(key), bool):
                obj[key] = None
        fields, *_ = validate_intake(
            text=obj.get("text") if isinstance(obj.get("text"), str) else "",
            lon=obj.get("lon"),
            lat=obj.get("lat"),
            crs=obj.get("crs") or "wgs84",
            channel=Report.IMPORT,
            priority=obj.get("priority") or wf.NORMAL,
        )
        for key, msg in fields.items():
            errors.append(f"{where}：字段{FIELD_LABELS.get(key, key)}：{msg}")
        when = obj.get("reported_at")
        if when not in (None, ""):
            try:
                d = dt.datetime.fromisoformat(str(when))
                obj["reported_at"] = timezone.make_aware(d) if timezone.is_naive(d) else d
            except ValueError:
                errors.append(
                    f"{where}：字段reported_at“{when}”不是ISO 8601时间（如2026-04-19T11:23:00+08:00）"
                )
        else:
            obj["reported_at"] = None
        rows.append((n, obj))
    if errors:
        raise ImportFileError(errors)
    if not rows:
        raise ImportFileError([f"{name}：文件中没有事件"])
    return rows


def import_reports(path: Path, county: County, actor="命令行") -> ImportResult:
    rows = parse(path)
    result = ImportResult()
    new: list[Report] = []
    with transaction.atomic():
        for n, obj in rows:
            try:
                out = do_intake(
                    actor,
                    county=county,
                    text=obj["text"],
                    lon=obj["lon"],
                    lat=obj["lat"],
                    crs=obj.get("crs") or "wgs84",
                    channel=Report.IMPORT,
                    client_id=f"import:{obj['id']}",
                    source=str(obj.get("source") or ""),
                    external_id=str(obj["id"]),
                    address=str(obj.get("address") or ""),
                    priority=obj.get("priority") or wf.NORMAL,
                    reported_at=obj["reported_at"],
                    route_suggestion=False,
                )
            except ValidationError as exc:  # checked above; kept so that nothing half-imports
                raise ImportFileError([f"{path.name}第{n}行：{'；'.join(exc.messages)}"]) from None
            if out.created:
                result.created += 1
                result.codes.append(out.report.tracking_code)
                result.duplicates += out.report.duplicate_of_id is not None
                new.append(out.report)
            else:
                result.existing += 1
        # One routing batch for the whole file instead of one call per line.
        fill_suggestions(new)
    return result
