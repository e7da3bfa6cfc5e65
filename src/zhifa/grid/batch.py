"""Batch geocoding of JSON Lines: {"id","lon","lat","crs"?} in, {"id", township…dedicated} out."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import IO

from zhifa.grid import coords
from zhifa.grid.index import get_index
from zhifa.grid.services import _checked, to_wgs84_grouped

OUT_KEYS = ("township", "community", "grid", "micro", "dedicated")


@dataclass
class BatchStats:
    total: int = 0
    found: int = 0
    outside: int = 0
    errors: list[str] = field(default_factory=list)


def _parse(n: int, line: str, source: str) -> tuple[object, float, float, str] | str:
    try:
        rec = json.loads(line)
    except ValueError:
        return f"{source}:{n}：不是有效的JSON"
    if not isinstance(rec, dict):
        return f"{source}:{n}：应为JSON对象"
    if "id" not in rec:
        return f"{source}:{n}：缺少id"
    for key in ("lon", "lat"):
        if key not in rec:
            return f"{source}:{n}：缺少{key}（id={rec['id']}）"
    try:
        x, y = _checked(rec["lon"], rec["lat"])
        crs = coords.normalise_crs(rec.get("crs"))
    except ValueError as exc:
        return f"{source}:{n}：{exc}（id={rec['id']}）"
    return rec["id"], x, y, crs


def locate_jsonl(
    lines: Iterable[str], out: IO[str], *, batch: int = 50_000, source: str = "输入"
) -> BatchStats:
    """Write one output line per good input line, in input order; bad lines go to `errors`."""
    stats = BatchStats()
    index = get_index(force_check=True)
    pending: list[tuple[object, float, float, str]] = []
    tails: dict[int, str] = {}

    def flush() -> None:
        if not pending:
            return
        lons, lats = to_wgs84_grouped(
            [p[1] for p in pending], [p[2] for p in pending], [p[3] for p in pending]
        )
        locs = index.locate_many(lons, lats)
        lines = []
        for (pid, *_), loc in zip(pending, locs, strict=True):
            # Many points share a grid: its part of the line is serialised once per batch.
            key = id(loc)
            tail = tails.get(key)
            if tail is None:
                codes = loc.codes() if loc is not None else dict.fromkeys(OUT_KEYS)
                tail = tails[key] = json.dumps(codes, ensure_ascii=False)[1:]
            if loc is None:
                stats.outside += 1
            else:
                stats.found += 1
            head = str(pid) if type(pid) is int else json.dumps(pid, ensure_ascii=False)
            lines.append('{"id": ' + head + ", " + tail + "\n")
        out.write("".join(lines))
        pending.clear()
        tails.clear()  # ids of Location objects are only stable while `locs` holds them

    for n, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        stats.total += 1
        parsed = _parse(n, line, source)
        if isinstance(parsed, str):
            stats.errors.append(parsed)
            continue
        pending.append(parsed)
        if len(pending) >= batch:
            flush()
    flush()
    return stats
