"""Reading report sets in the JSON-lines format of ../shared/benchmark/reports/README.md.

Shared by `zhifa route` (id, text, lon, lat, reported_at) and `zhifa train-router FILE`
(also expected.items). Errors name the file, the line and the field, in Chinese; the caller
writes nothing when there is any.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

from django.conf import settings

from zhifa.dispatch.routing import LabelledRow


@dataclass
class ReportRow:
    line: int
    id: str
    text: str
    lon: float
    lat: float
    crs: str
    on: dt.date | None


class ReportFileError(ValueError):
    def __init__(self, errors: list[str]):
        super().__init__("；".join(errors[:5]))
        self.errors = errors


def _lines(path: str | Path):
    p = Path(path)
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise ReportFileError([f"无法读取文件{p}：{exc.strerror or exc}"])
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ReportFileError([f"{p.name}第{line}行：不是UTF-8编码"])
    for n, line in enumerate(text.splitlines(), 1):
        if line.strip():
            yield n, line


def _object(name: str, n: int, line: str, errors: list[str]) -> dict | None:
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as exc:
        errors.append(f"{name}第{n}行第{exc.colno}列：不是有效的JSON（{exc.msg}）")
        return None
    if not isinstance(obj, dict):
        errors.append(f"{name}第{n}行：应为一个JSON对象（{{…}}）")
        return None
    return obj


def _id_text(name: str, n: int, obj: dict, errors: list[str]) -> tuple[str, str] | None:
    ok = True
    rid = obj.get("id")
    if not isinstance(rid, (str, int)) or isinstance(rid, bool) or str(rid).strip() == "":
        errors.append(f"{name}第{n}行：字段id缺失或无效")
        ok = False
    text = obj.get("text")
    if not isinstance(text, str) or not text.strip():
        errors.append(f"{name}第{n}行：字段text（事件描述）缺失或为空")
        ok = False
    return (str(rid), text.strip()) if ok else None


def _date(value) -> dt.date:
    when = dt.datetime.fromisoformat(value)
    if when.tzinfo is not None:
        when = when.astimezone(ZoneInfo(settings.TIME_ZONE))
    return when.date()


def read_reports(path: str | Path) -> list[ReportRow]:
    """Every report of the file, or ReportFileError listing every bad line."""
    name = Path(path).name
    rows: list[ReportRow] = []
    errors: list[str] = []
    seen: dict[str, int] = {}
    for n, line in _lines(path):
        obj = _object(name, n, line, errors)
        if obj is None:
            continue
        idt = _id_text(name, n, obj, errors)
        coords = []
        for key, label, lo, hi in (("lon", "经度", -180, 180), ("lat", "纬度", -90, 90)):
            v = obj.get(key)
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
                errors.append(f"{name}第{n}行：字段{key}（{label}）缺失或不是数字")
            elif not lo <= v <= hi:
                errors.append(f"{name}第{n}行：字段{key}（{label}）{v}超出范围（{lo}～{hi}）")
            else:
                coords.append(float(v))
        on = None
        if obj.get("reported_at") not in (None, ""):
            try:
                on = _date(str(obj["reported_at"]))
            except ValueError:
                errors.append(f"{name}第{n}行：字段reported_at“{obj['reported_at']}”不是ISO 8601时间")
        crs = obj.get("crs") or "wgs84"
        if not isinstance(crs, str):
            errors.append(f"{name}第{n}行：字段crs（坐标系）无效")
        if idt and idt[0] in seen:
            errors.append(f"{name}第{n}行：id“{idt[0]}”与第{seen[idt[0]]}行重复")
        elif idt:
            seen[idt[0]] = n
        if idt and len(coords) == 2 and isinstance(crs, str):
            rows.append(ReportRow(n, idt[0], idt[1], coords[0], coords[1], crs, on))
    if errors:
        raise ReportFileError(errors)
    return rows


def read_labelled(path: str | Path, known_items: set[str]) -> list[LabelledRow]:
    """Labelled reports (id, text, expected.items), or ReportFileError listing every bad line."""
    name = Path(path).name
    rows: list[LabelledRow] = []
    errors: list[str] = []
    for n, line in _lines(path):
        obj = _object(name, n, line, errors)
        if obj is None:
            continue
        idt = _id_text(name, n, obj, errors)
        exp = obj.get("expected")
        items = exp.get("items") if isinstance(exp, dict) else None
        if not isinstance(items, list) or not all(isinstance(x, str) for x in items):
            errors.append(f"{name}第{n}行：字段expected.items缺失或不是事项编码列表（非执法事项用[]）")
            continue
        unknown = [x for x in items if x not in known_items]
        if unknown:
            errors.append(f"{name}第{n}行：expected.items中的事项编码{'、'.join(unknown)}不在本县清单中")
            continue
        if idt:
            rows.append(LabelledRow(n, idt[0], idt[1], list(items)))
    if errors:
        raise ReportFileError(errors)
    return rows
