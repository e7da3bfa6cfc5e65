"""`zhifa import-grid-staff FILE.csv`: post grid leaders, workers and assistants in bulk, all-or-nothing.

Columns: `grid_code`, `username`, `role` (网格长/网格员/网格辅助员 or leader/worker/assistant).
One grid, one worker: a worker in the file replaces the grid's current worker; two workers for one
grid in the file is an error. Every bad cell is reported as `file:row:column：reason`.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction

from zhifa.grid.models import TOWNSHIP, GridStaff, GridUnit
from zhifa.org.models import County, User

COLUMNS = ["grid_code", "username", "role"]
ROLE_BY_NAME = {
    **{code: code for code, _ in GridStaff.ROLE_CHOICES},
    **{label: code for code, label in GridStaff.ROLE_CHOICES},
}


class StaffImportError(Exception):
    def __init__(self, errors: list[str]):
        super().__init__("\n".join(errors))
        self.errors = errors


@dataclass
class StaffImportResult:
    created: int = 0
    replaced: int = 0
    unchanged: int = 0

    def summary(self) -> str:
        if not (self.created or self.replaced):
            return f"共{self.unchanged}条任职，与现有内容一致，未作任何修改"
        return f"新任命{self.created}人次（其中替换原网格员{self.replaced}人），已有{self.unchanged}条未变"


def import_staff_csv(data: bytes, source: str, county: County) -> StaffImportResult:
    errors: list[str] = []
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise StaffImportError([f"{source}:1:-：文件不是UTF-8编码的CSV"])
    rows = list(csv.reader(io.StringIO(text)))
    if not rows:
        raise StaffImportError([f"{source}:1:-：文件为空，缺少表头"])
    header = [h.strip() for h in rows[0]]
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise StaffImportError([f"{source}:1:{c}：缺少列“{c}”" for c in missing])
    col = {c: header.index(c) for c in COLUMNS}
    units = {u.code: u for u in GridUnit.objects.filter(county=county).defer("geometry", "geometry_wkb")}
    users = {u.username: u for u in User.objects.filter(county=county)}
    plan: list[tuple[GridUnit, User, str]] = []
    workers: dict[str, int] = {}
    for n, raw in enumerate(rows[1:], start=2):
        if not any(v.strip() for v in raw):
            continue
        cell = {c: (raw[i].strip() if i < len(raw) else "") for c, i in col.items()}
        unit = units.get(cell["grid_code"])
        user = users.get(cell["username"])
        role = ROLE_BY_NAME.get(cell["role"])
        bad = False
        if unit is None:
            errors.append(f"{source}:{n}:grid_code：本县没有网格“{cell['grid_code']}”")
            bad = True
        elif unit.level == TOWNSHIP:
            errors.append(f"{source}:{n}:grid_code：“{unit.code}”是乡镇（街道），不设网格人员")
            bad = True
        if user is None:
            errors.append(f"{source}:{n}:username：本县没有账号“{cell['username']}”")
            bad = True
        if role is None:
            errors.append(f"{source}:{n}:role：岗位“{cell['role']}”无效，应为网格长、网格员或网格辅助员")
            bad = True
        if bad:
            continue
        if user.township_id and user.township_id != unit.township_id:
            errors.append(
                f"{source}:{n}:username：{user.display_name}属于{user.township}，不能到{unit.township}的网格任职"
            )
            continue
        if role == GridStaff.WORKER:
            if unit.code in workers:
                errors.append(
                    f"{source}:{n}:grid_code：网格“{unit.code}”已在第{workers[unit.code]}行安排网格员（一格一员）"
                )
                continue
            workers[unit.code] = n
        plan.append((unit, user, role))
    if errors:
        raise StaffImportError(errors)
    result = StaffImportResult()
    with transaction.atomic():
        for unit, user, role in plan:
            if GridStaff.objects.filter(unit=unit, user=user, role=role).exists():
                result.unchanged += 1
                continue
            if role == GridStaff.WORKER:
                for old in GridStaff.objects.filter(unit=unit, role=role):
                    old.delete()
                    result.replaced += 1
            GridStaff.objects.create(unit=unit, user=user, role=role)
            result.created += 1
    return result


def import_staff_file(path: str | Path, county: County) -> StaffImportResult:
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise StaffImportError([f"{path}：文件不存在"])
    except OSError as exc:
        raise StaffImportError([f"{path}：无法读取文件（{exc.strerror}）"])
    return import_staff_csv(data, path.name, county)
