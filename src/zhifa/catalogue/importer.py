"""Import and export of a county's catalogue (CSV or Excel), all-or-nothing.

The files and columns are those of the benchmark county (see its README):
departments, townships, catalog, township_items, entrustments, discretion — each as
`<name>.csv`, `<name>.xlsx`, or a sheet named `<name>` in any workbook of the directory.
Every bad cell is reported as `file:row:column：reason` (row 1 is the header), all at once;
if there is any error nothing is written. Importing the same data again changes nothing.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils import timezone

from zhifa.catalogue.actions import versions
from zhifa.catalogue.models import (
    ACTION_TYPE_CHOICES,
    ACTION_TYPE_LABELS,
    PENALTY,
    SNAPSHOT_FIELDS,
    SOURCE_CHOICES,
    SOURCE_LABELS,
    TIER_CHOICES,
    TIER_LABELS,
    CatalogueVersion,
    DiscretionTier,
    Entrustment,
    EntrustmentItem,
    Entry,
    Item,
)
from zhifa.core import audit
from zhifa.org.models import CommandCentre, County, Department, Township

TABLES: dict[str, list[str]] = {
    "departments": ["code", "name", "domain"],
    "townships": ["code", "name", "kind", "setting"],
    "catalog": [
        "code",
        "name",
        "action_type",
        "source",
        "domain",
        "department_code",
        "legal_basis",
        "violation",
        "penalty",
    ],
    "township_items": ["township_code", "item_code"],
    "entrustments": [
        "item_code",
        "township_code",
        "department_code",
        "document_no",
        "valid_from",
        "valid_to",
    ],
    "discretion": ["item_code", "tier", "condition", "fine_min", "fine_max"],
}
OPTIONAL_COLUMNS = {"departments": {"domain"}, "townships": {"setting"}}
TABLE_LABELS = {
    "departments": "部门",
    "townships": "乡镇（街道）",
    "catalog": "执法事项",
    "township_items": "乡镇持有事项",
    "entrustments": "委托书",
    "discretion": "裁量基准",
}
ACTION_BY_LABEL = {label: code for code, label in ACTION_TYPE_CHOICES}
SOURCE_BY_LABEL = {label: code for code, label in SOURCE_CHOICES}
TIER_BY_LABEL = {label: code for code, label in TIER_CHOICES}
MAX_LEN = {"code": 30, "name": 300, "domain": 50, "document_no": 80}


class CatalogueImportError(Exception):
    """The import was refused; `errors` lists every bad cell (nothing was written)."""

    def __init__(self, errors: list[str]):
        super().__init__("\n".join(errors))
        self.errors = errors


@dataclass
class Table:
    name: str
    source: str  # file name (and sheet) used in error messages
    rows: list[tuple[int, dict[str, str]]] = field(default_factory=list)


@dataclass
class ImportResult:
    created: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    updated: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    versions: list[str] = field(default_factory=list)
    county: County | None = None

    @property
    def changed(self) -> bool:
        return bool(sum(self.created.values()) or sum(self.updated.values()) or self.versions)

    def summary(self) -> str:
        parts = []
        for name, label in TABLE_LABELS.items():
            c, u = self.created.get(name, 0), self.updated.get(name, 0)
            if c or u:
                parts.append(f"{label}新增{c}条、更新{u}条")
        if self.versions:
            parts.append("发布清单版本：" + "、".join(self.versions))
        return "；".join(parts) if parts else "数据与现有内容一致，未作任何修改"


# ---- reading -------------------------------------------------------------------------------------


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _table(name: str, source: str, rows: list[list[Any]], errors: list[str]) -> Table | None:
    if not rows:
        errors.append(f"{source}:1:-：文件为空，缺少表头")
        return None
    header = [_cell(h) for h in rows[0]]
    header[0] = header[0].lstrip("\ufeff") if header else ""
    missing = [c for c in TABLES[name] if c not in header and c not in OPTIONAL_COLUMNS.get(name, set())]
    for col in missing:
        errors.append(f"{source}:1:{col}：缺少列“{col}”")
    if missing:
        return None
    table = Table(name, source)
    for n, raw in enumerate(rows[1:], start=2):
        values = [_cell(v) for v in raw]
        if not any(values):
            continue
        row = {h: (values[i] if i < len(values) else "") for i, h in enumerate(header) if h}
        table.rows.append((n, row))
    return table


def read_csv_bytes(name: str, filename: str, data: bytes, errors: list[str]) -> Table | None:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        errors.append(f"{filename}:1:-：文件不是UTF-8编码的CSV")
        return None
    return _table(name, filename, list(csv.reader(io.StringIO(text))), errors)


def read_workbook(filename: str, data: bytes, errors: list[str], stem: str | None = None) -> list[Table]:
    """Tables of a workbook: sheets named like a table, or the one sheet of `<table>.xlsx`."""
    from openpyxl import load_workbook

    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:
        errors.append(f"{filename}:1:-：无法读取Excel文件（应为.xlsx格式）")
        return []
    tables = []
    sheets = wb.worksheets
    for ws in sheets:
        if ws.title in TABLES:
            name, source = ws.title, f"{filename}[{ws.title}]"
        elif stem in TABLES and len(sheets) == 1:
            name, source = stem, filename
        else:
            continue
        t = _table(name, source, [list(r) for r in ws.iter_rows(values_only=True)], errors)
        if t is not None:
            tables.append(t)
    wb.close()
    return tables


def read_files(files: list[tuple[str, bytes]]) -> tuple[dict[str, Table], list[str]]:
    """Tables from (file name, content) pairs: CSV named like a table, or xlsx workbooks."""
    errors: list[str] = []
    tables: dict[str, Table] = {}
    for filename, data in sorted(files):
        stem, suffix = Path(filename).stem, Path(filename).suffix.lower()
        found: list[Table] = []
        if suffix == ".csv":
            if stem not in TABLES:
                errors.append(
                    f"{filename}:-:-：无法识别的文件名，应为{'、'.join(n + '.csv' for n in TABLES)}"
                )
                continue
            t = read_csv_bytes(stem, filename, data, errors)
            found = [t] if t is not None else []
        elif suffix == ".xlsx":
            found = read_workbook(filename, data, errors, stem)
        else:
            continue
        for t in found:
            if t.name in tables:
                errors.append(f"{t.source}:-:-：与{tables[t.name].source}重复，{t.name}只能提供一份")
            else:
                tables[t.name] = t
    if not tables and not errors:
        errors.append(
            "未找到可导入的文件（departments、townships、catalog、township_items、entrustments、discretion）"
        )
    return tables, errors


def read_dir(path: str | Path) -> tuple[dict[str, Table], list[str]]:
    p = Path(path)
    if not p.is_dir():
        return {}, [f"{path}:-:-：目录不存在"]
    files = [(f.name, f.read_bytes()) for f in sorted(p.iterdir()) if f.suffix.lower() in (".csv", ".xlsx")]
    files = [(n, d) for n, d in files if not n.startswith("~$")]
    return read_files(files)


# ---- validation and writing ------------------------------------------------------------------------


def _date(value: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value[:10]) if value else None
    except ValueError:
        return None


def _money(value: str) -> tuple[bool, Decimal | None]:
    if value == "":
        return True, None
    try:
        d = Decimal(value.replace(",", ""))
    except InvalidOperation:
        return False, None
    if not d.is_finite() or d < 0:
        return False, None
    return True, d


class _Plan:
    """Everything the import would write, built from the tables and the database, no writes."""

    def __init__(self, tables: dict[str, Table], county: County | None, effective_date: dt.date):
        self.tables = tables
        self.county = county
        self.effective_date = effective_date
        self.errors: list[str] = []
        # Codes whose own row was refused: references to them are not reported again, so
        # that one bad row gives one message, not one per referencing row.
        self.rejected: set[tuple[str, str]] = set()
        self.departments: dict[str, dict[str, str]] = {}
        self.townships: dict[str, dict[str, str]] = {}
        self.items: dict[str, dict[str, str]] = {}
        self.holdings: dict[str, set[str]] = {}
        self.entrustments: dict[str, dict[str, Any]] = {}
        self.tiers: dict[tuple[str, str], dict[str, Any]] = {}
        cid = county.pk if county else None
        self.db_departments = {d.code: d for d in Department.objects.select_related("county")}
        self.db_townships = {t.code: t for t in Township.objects.select_related("county")}
        self.db_items = (
            {i.code: i for i in Item.objects.filter(county_id=cid).select_related("department")}
            if cid
            else {}
        )
        self.cid = cid

    def err(self, table: Table, row: int, col: str, reason: str) -> None:
        self.errors.append(f"{table.source}:{row}:{col}：{reason}")

    def ref_err(self, table: Table, row: int, col: str, kind: str, code: str, reason: str) -> None:
        if (kind, code) not in self.rejected:
            self.err(table, row, col, reason)

    def _required(self, t: Table, n: int, row: dict[str, str], cols: list[str]) -> bool:
        ok = True
        for col in cols:
            if not row.get(col, ""):
                self.err(t, n, col, "不能为空")
                ok = False
            elif col in MAX_LEN and len(row[col]) > MAX_LEN[col]:
                self.err(t, n, col, f"长度不能超过{MAX_LEN[col]}个字符")
                ok = False
        return ok

    def _other_county(self, obj) -> bool:
        # Township and department codes are unique across the database: when the import
        # creates a new county (cid None), every existing code belongs to another county.
        return obj is not None and obj.county_id != self.cid

    # -- per table --

    def departments_(self, t: Table) -> None:
        for n, row in t.rows:
            if not self._required(t, n, row, ["code", "name"]):
                self.rejected.add(("department", row.get("code", "")))
                continue
            code = row["code"]
            if code in self.departments:
                self.err(t, n, "code", f"部门代码{code}重复")
            elif self._other_county(self.db_departments.get(code)):
                self.err(t, n, "code", f"部门代码{code}已属于其他区县（{self.db_departments[code].county}）")
                self.rejected.add(("department", code))
            else:
                self.departments[code] = {"name": row["name"], "domain": row.get("domain", "")}

    def townships_(self, t: Table) -> None:
        kinds = {k for k, _ in Township.KIND_CHOICES}
        settings_ = {k for k, _ in Township.SETTING_CHOICES} | {""}
        for n, row in t.rows:
            if not self._required(t, n, row, ["code", "name", "kind"]):
                self.rejected.add(("township", row.get("code", "")))
                continue
            code, ok = row["code"], True
            if row["kind"] not in kinds:
                self.err(t, n, "kind", f"类型“{row['kind']}”无效，应为街道、镇或乡")
                ok = False
            if row.get("setting", "") not in settings_:
                self.err(t, n, "setting", f"区位“{row['setting']}”无效，应为城区或农村")
                ok = False
            if code in self.townships:
                self.err(t, n, "code", f"乡镇代码{code}重复")
            elif self._other_county(self.db_townships.get(code)):
                self.err(t, n, "code", f"乡镇代码{code}已属于其他区县（{self.db_townships[code].county}）")
                self.rejected.add(("township", code))
            elif not ok:
                self.rejected.add(("township", code))
            elif ok:
                self.townships[code] = {
                    "name": row["name"],
                    "kind": row["kind"],
                    "setting": row.get("setting", ""),
                }

    def _department_known(self, code: str) -> bool:
        if code in self.departments:
            return True
        d = self.db_departments.get(code)
        return d is not None and not self._other_county(d) and self.cid is not None

    def _township_known(self, code: str) -> bool:
        if code in self.townships:
            return True
        t = self.db_townships.get(code)
        return t is not None and not self._other_county(t) and self.cid is not None

    def _item_values(self, code: str) -> dict[str, str] | None:
        if code in self.items:
            return self.items[code]
        i = self.db_items.get(code)
        if i is None:
            return None
        values = i.snapshot_values()
        values.pop("department_name")
        return values

    def catalog_(self, t: Table) -> None:
        for n, row in t.rows:
            ok = self._required(t, n, row, ["code", "name", "action_type", "source", "department_code"])
            ok = self._required(t, n, row, ["legal_basis"]) and ok
            for col in ("violation", "penalty"):
                row.setdefault(col, "")
            if row.get("domain") and len(row["domain"]) > MAX_LEN["domain"]:
                self.err(t, n, "domain", f"长度不能超过{MAX_LEN['domain']}个字符")
                ok = False
            action = ACTION_BY_LABEL.get(row.get("action_type", ""), row.get("action_type", ""))
            if row.get("action_type") and action not in ACTION_TYPE_LABELS:
                self.err(
                    t,
                    n,
                    "action_type",
                    f"事项类型“{row['action_type']}”无效，应为行政处罚、行政强制或行政检查",
                )
                ok = False
            source = SOURCE_BY_LABEL.get(row.get("source", ""), row.get("source", ""))
            if row.get("source") and source not in SOURCE_LABELS:
                self.err(t, n, "source", f"来源“{row['source']}”无效，应为法定、赋权或委托")
                ok = False
            dep = row.get("department_code", "")
            if dep and not self._department_known(dep):
                self.ref_err(
                    t, n, "department_code", "department", dep, f"部门代码{dep}不存在（departments中没有）"
                )
                ok = False
            code = row.get("code", "")
            if code and code in self.items:
                self.err(t, n, "code", f"事项编码{code}重复")
                ok = False
            elif not ok:
                self.rejected.add(("item", code))
            statutory = {}
            for col in ("fine_statutory_min", "fine_statutory_max"):
                if col in row:  # optional columns: absent = leave the stored range as it is
                    good, amount = _money(row[col])
                    if not good:
                        self.err(t, n, col, f"金额“{row[col]}”无效，应为不小于0的数字（元）")
                        ok = False
                    statutory[col] = amount
            lo, hi = statutory.get("fine_statutory_min"), statutory.get("fine_statutory_max")
            if lo is not None and hi is not None and lo > hi:
                self.err(t, n, "fine_statutory_min", "法定罚款下限不能高于上限")
                ok = False
            if ok:
                self.items[code] = {
                    **statutory,
                    "name": row["name"],
                    "action_type": action,
                    "source": source,
                    "domain": row.get("domain", ""),
                    "department_code": dep,
                    "legal_basis": row["legal_basis"],
                    "violation": row["violation"],
                    "penalty": row["penalty"],
                }

    def township_items_(self, t: Table) -> None:
        seen: set[tuple[str, str]] = set()
        for code in self.townships:
            self.holdings.setdefault(code, set())
        self.holding_rows: dict[tuple[str, str], int] = {}
        for n, row in t.rows:
            if not self._required(t, n, row, ["township_code", "item_code"]):
                continue
            tc, ic, ok = row["township_code"], row["item_code"], True
            if not self._township_known(tc):
                self.ref_err(t, n, "township_code", "township", tc, f"乡镇代码{tc}不存在（townships中没有）")
                ok = False
            if self._item_values(ic) is None:
                self.ref_err(t, n, "item_code", "item", ic, f"事项编码{ic}不存在（catalog中没有）")
                ok = False
            if (tc, ic) in seen:
                self.err(t, n, "item_code", f"乡镇{tc}的事项{ic}重复")
                ok = False
            seen.add((tc, ic))
            if ok:
                self.holdings.setdefault(tc, set()).add(ic)
                self.holding_rows[(tc, ic)] = n

    def entrustments_(self, t: Table) -> None:
        for n, row in t.rows:
            cols = ["item_code", "township_code", "department_code", "document_no", "valid_from", "valid_to"]
            if not self._required(t, n, row, cols):
                continue
            ok = True
            item = self._item_values(row["item_code"])
            if item is None:
                self.ref_err(
                    t,
                    n,
                    "item_code",
                    "item",
                    row["item_code"],
                    f"事项编码{row['item_code']}不存在（catalog中没有）",
                )
                ok = False
            elif item["source"] != "entrusted":
                self.err(t, n, "item_code", f"事项{row['item_code']}不是委托事项，不能签订委托书")
                ok = False
            elif item["department_code"] != row["department_code"]:
                self.err(
                    t,
                    n,
                    "department_code",
                    f"委托部门{row['department_code']}与事项的实施部门{item['department_code']}不一致",
                )
                ok = False
            tc = row["township_code"]
            if not self._township_known(tc):
                self.ref_err(t, n, "township_code", "township", tc, f"乡镇代码{tc}不存在（townships中没有）")
                ok = False
            dc = row["department_code"]
            if not self._department_known(dc):
                self.ref_err(
                    t, n, "department_code", "department", dc, f"部门代码{dc}不存在（departments中没有）"
                )
                ok = False
            start, end = _date(row["valid_from"]), _date(row["valid_to"])
            if start is None:
                self.err(t, n, "valid_from", f"日期“{row['valid_from']}”无效，格式应为YYYY-MM-DD")
                ok = False
            if end is None:
                self.err(t, n, "valid_to", f"日期“{row['valid_to']}”无效，格式应为YYYY-MM-DD")
                ok = False
            if start and end and end < start:
                self.err(t, n, "valid_to", "有效期截止日期早于起始日期")
                ok = False
            if not ok:
                continue
            doc = row["document_no"]
            head = {
                "township_code": row["township_code"],
                "department_code": row["department_code"],
                "valid_from": start,
                "valid_to": end,
            }
            existing = self.entrustments.get(doc)
            if existing is None:
                self.entrustments[doc] = {**head, "items": {row["item_code"]}}
            elif any(existing[k] != v for k, v in head.items()):
                self.err(t, n, "document_no", f"同一委托书{doc}的乡镇、部门或有效期与前面的行不一致")
            elif row["item_code"] in existing["items"]:
                self.err(t, n, "item_code", f"委托书{doc}中事项{row['item_code']}重复")
            else:
                existing["items"].add(row["item_code"])

    def discretion_(self, t: Table) -> None:
        for n, row in t.rows:
            if not self._required(t, n, row, ["item_code", "tier", "condition"]):
                continue
            ok = True
            item = self._item_values(row["item_code"])
            if item is None:
                self.ref_err(
                    t,
                    n,
                    "item_code",
                    "item",
                    row["item_code"],
                    f"事项编码{row['item_code']}不存在（catalog中没有）",
                )
                ok = False
            elif item["action_type"] != PENALTY:
                self.err(t, n, "item_code", f"事项{row['item_code']}不是行政处罚事项，不能设置裁量基准")
                ok = False
            tier = TIER_BY_LABEL.get(row["tier"], row["tier"])
            if tier not in TIER_LABELS:
                self.err(t, n, "tier", f"裁量阶次“{row['tier']}”无效，应为轻微、一般、较重或严重")
                ok = False
            good_min, fmin = _money(row.get("fine_min", ""))
            good_max, fmax = _money(row.get("fine_max", ""))
            if not good_min:
                self.err(t, n, "fine_min", f"金额“{row['fine_min']}”无效，应为不小于0的数字（元）")
                ok = False
            if not good_max:
                self.err(t, n, "fine_max", f"金额“{row['fine_max']}”无效，应为不小于0的数字（元）")
                ok = False
            if good_min and good_max and (fmin is None) != (fmax is None):
                self.err(
                    t, n, "fine_max" if fmax is None else "fine_min", "罚款下限和上限应同时填写或同时为空"
                )
                ok = False
            elif fmin is not None and fmax is not None and fmin > fmax:
                self.err(t, n, "fine_max", f"罚款上限{fmax}小于下限{fmin}")
                ok = False
            key = (row["item_code"], tier)
            if ok and key in self.tiers:
                self.err(t, n, "tier", f"事项{row['item_code']}的{row['tier']}裁量阶次重复")
                ok = False
            if ok:
                self.tiers[key] = {"condition": row["condition"], "fine_min": fmin, "fine_max": fmax}

    def versions_(self) -> None:
        """Which townships need a new published version; refuse revoked items and early dates."""
        self.new_versions: dict[str, set[str]] = {}
        t = self.tables.get("township_items")
        if t is None:
            return
        for tc, codes in sorted(self.holdings.items()):
            township = self.db_townships.get(tc)
            latest = versions.published_versions(township)[-1:] if township and self.cid else []
            if latest:
                current = {
                    e.code: {k: getattr(e, k) for k, _ in SNAPSHOT_FIELDS} for e in latest[0].entries.all()
                }
            else:
                current = {}
            wanted = {}
            for code in codes:
                values = self._item_values(code)
                if values is not None:
                    wanted[code] = {k: values[k] for k, _ in SNAPSHOT_FIELDS}
            if wanted == current or (not wanted and not latest):
                continue
            if latest and self.effective_date < latest[0].effective_date:
                self.errors.append(
                    f"{t.source}:-:township_code：乡镇{tc}的清单需要更新，但生效日期{self.effective_date:%Y-%m-%d}"
                    f"早于现行第{latest[0].number}版的生效日期{latest[0].effective_date:%Y-%m-%d}"
                )
            for code in sorted(codes):
                item = self.db_items.get(code)
                if item is not None and item.is_revoked(self.effective_date):
                    n = self.holding_rows.get((tc, code), "-")
                    self.err(
                        t, n, "item_code", f"事项{code}已于{item.revoked_on:%Y-%m-%d}收回，不能列入新清单"
                    )
            self.new_versions[tc] = codes

    def build(self) -> None:
        for name in TABLES:
            if name in self.tables:
                getattr(self, name + "_")(self.tables[name])
        self.versions_()


def _set_fields(obj, values: dict[str, Any]) -> bool:
    changed = False
    for k, v in values.items():
        if getattr(obj, k) != v:
            setattr(obj, k, v)
            changed = True
    return changed


DEMO_COUNTY_CODE = "DEMO"


def resolve_county(county_code: str | None = None, county_name: str | None = None) -> County | None:
    """The county to import into; None means one will be created.

    With `county_code`: that county (created if missing). Without: the only county of the
    database, or a new one when there is none. Never the demo county implicitly, so that a
    real county's files are not merged into the demonstration data by accident.
    """
    if county_code:
        return County.objects.filter(code=county_code).first()
    counties = list(County.objects.order_by("id")[:2])
    if len(counties) > 1:
        raise CatalogueImportError(["数据库中有多个区县，请用 --county-code 指定导入到哪个区县"])
    if counties and counties[0].code == DEMO_COUNTY_CODE:
        raise CatalogueImportError(
            [
                "数据库中只有演示县（DEMO）。导入本县数据请用 --county-code 指定新区县代码"
                "（乡镇、部门代码不得与演示县重复），或用 --county-code DEMO 明确导入演示县"
            ]
        )
    return counties[0] if counties else None


def import_tables(
    tables: dict[str, Table],
    *,
    county: County | None = None,
    county_code: str | None = None,
    county_name: str | None = None,
    effective_date: dt.date | None = None,
    actor: Any = "导入",
) -> ImportResult:
    """Validate every table, then write everything in one transaction (or nothing)."""
    effective_date = effective_date or timezone.localdate()
    if county is None:
        county = resolve_county(county_code, county_name)
    plan = _Plan(tables, county, effective_date)
    plan.build()
    if plan.errors:
        raise CatalogueImportError(plan.errors)
    result = ImportResult()
    with transaction.atomic():
        if county is None:
            county = County.objects.create(
                code=county_code or "C01", name=county_name or county_code or "本县"
            )
            CommandCentre.objects.get_or_create(county=county)
            result.created["county"] += 1
        result.county = county
        _write(plan, county, effective_date, actor, result)
    return result


def _write(plan: _Plan, county: County, effective_date: dt.date, actor, result: ImportResult) -> None:
    """Write a checked plan, table by table in the order they refer to one another."""
    deps = _write_departments(plan, county, result)
    towns = _write_townships(plan, county, result)
    items = _write_items(plan, county, deps, result)
    _write_versions(plan, towns, items, effective_date, actor, result)
    _write_entrustments(plan, county, deps, towns, items, result)
    _write_tiers(plan, county, items, result)


def _write_departments(plan: _Plan, county: County, result: ImportResult) -> dict[str, Department]:
    deps = {d.code: d for d in Department.objects.filter(county=county)}
    for code, values in plan.departments.items():
        d = deps.get(code)
        if d is None:
            deps[code] = Department.objects.create(county=county, code=code, **values)
            result.created["departments"] += 1
        elif _set_fields(d, values):
            d.save()
            result.updated["departments"] += 1
    return deps


def _write_townships(plan: _Plan, county: County, result: ImportResult) -> dict[str, Township]:
    towns = {t.code: t for t in Township.objects.filter(county=county)}
    for code, values in plan.townships.items():
        t = towns.get(code)
        if t is None:
            towns[code] = Township.objects.create(county=county, code=code, **values)
            result.created["townships"] += 1
        elif _set_fields(t, values):
            t.save()
            result.updated["townships"] += 1
    return towns


def _write_items(
    plan: _Plan, county: County, deps: dict[str, Department], result: ImportResult
) -> dict[str, Item]:
    items = {i.code: i for i in Item.objects.filter(county=county).select_related("department")}
    for code, values in plan.items.items():
        values = dict(values)
        values["department"] = deps[values.pop("department_code")]
        i = items.get(code)
        if i is None:
            items[code] = Item.objects.create(county=county, code=code, **values)
            result.created["catalog"] += 1
        elif _set_fields(i, values):
            i.save()
            result.updated["catalog"] += 1
    return items


def _write_versions(
    plan: _Plan,
    towns: dict[str, Township],
    items: dict[str, Item],
    effective_date: dt.date,
    actor,
    result: ImportResult,
) -> None:
    """One new published version for each township whose items changed."""
    for tc, codes in sorted(plan.new_versions.items()):
        township = towns[tc]
        version = CatalogueVersion.objects.create(
            township=township, number=versions._next_number(township), note="由导入生成"
        )
        entries = []
        for code in sorted(codes):
            e = Entry(version=version)
            e.fill_from(items[code])
            entries.append(e)
        Entry.objects.bulk_create(entries)
        audit.record_many(
            audit.Change(
                "create",
                "catalogue.Entry",
                str(e.pk),
                str(e),
                None,
                audit.snapshot(e),
                county_id=audit.county_of(e),
            )
            for e in entries
        )
        versions.publish_version(version, effective_date, actor=actor, note="由导入生成")
        result.versions.append(f"{township.name}第{version.number}版")
        result.created["township_items"] += len(entries)


def _write_entrustments(
    plan: _Plan,
    county: County,
    deps: dict[str, Department],
    towns: dict[str, Township],
    items: dict[str, Item],
    result: ImportResult,
) -> None:
    existing = {e.doc_no: e for e in Entrustment.objects.filter(county=county)}
    for doc, spec in plan.entrustments.items():
        values = {
            "township": towns[spec["township_code"]],
            "department": deps[spec["department_code"]],
            "valid_from": spec["valid_from"],
            "valid_to": spec["valid_to"],
        }
        e = existing.get(doc)
        if e is None:
            e = Entrustment.objects.create(county=county, doc_no=doc, **values)
            result.created["entrustments"] += 1
            have: set[str] = set()
        else:
            if _set_fields(e, values):
                e.save()
                result.updated["entrustments"] += 1
            have = set(e.item_links.values_list("item__code", flat=True))
        for code in sorted(spec["items"] - have):
            EntrustmentItem.objects.create(entrustment=e, item=items[code])
        for link in e.item_links.filter(item__code__in=have - spec["items"]):
            link.delete()


def _write_tiers(plan: _Plan, county: County, items: dict[str, Item], result: ImportResult) -> None:
    tiers = {
        (d.item.code, d.tier): d
        for d in DiscretionTier.objects.filter(item__county=county).select_related("item")
    }
    for (code, tier), values in plan.tiers.items():
        d = tiers.get((code, tier))
        if d is None:
            DiscretionTier.objects.create(item=items[code], tier=tier, **values)
            result.created["discretion"] += 1
        elif _set_fields(d, values):
            d.save()
            result.updated["discretion"] += 1


def import_dir(path: str | Path, **kwargs) -> ImportResult:
    tables, errors = read_dir(path)
    if errors:
        raise CatalogueImportError(errors)
    return import_tables(tables, **kwargs)


# ---- export --------------------------------------------------------------------------------------


def _num(d: Decimal | None):
    if d is None:
        return None
    return int(d) if d == d.to_integral_value() else float(d)


def export_rows(county: County) -> dict[str, list[list[Any]]]:
    """The county's catalogue as the import's tables (header first); holdings = latest published."""
    out: dict[str, list[list[Any]]] = {name: [list(cols)] for name, cols in TABLES.items()}
    for d in Department.objects.filter(county=county).order_by("code"):
        out["departments"].append([d.code, d.name, d.domain])
    townships = list(Township.objects.filter(county=county).order_by("code"))
    for t in townships:
        out["townships"].append([t.code, t.name, t.kind, t.setting])
    for i in Item.objects.filter(county=county).select_related("department").order_by("code"):
        out["catalog"].append(
            [
                i.code,
                i.name,
                ACTION_TYPE_LABELS[i.action_type],
                SOURCE_LABELS[i.source],
                i.domain,
                i.department.code,
                i.legal_basis,
                i.violation,
                i.penalty,
            ]
        )
    for t in townships:
        latest = versions.published_versions(t)[-1:]
        if latest:
            for e in latest[0].entries.order_by("code"):
                out["township_items"].append([t.code, e.code])
    for e in (
        Entrustment.objects.filter(county=county)
        .select_related("township", "department")
        .prefetch_related("items")
        .order_by("doc_no")
    ):
        for item in sorted(e.items.all(), key=lambda i: i.code):
            out["entrustments"].append(
                [
                    item.code,
                    e.township.code,
                    e.department.code,
                    e.doc_no,
                    e.valid_from.isoformat(),
                    e.valid_to.isoformat(),
                ]
            )
    tiers = sorted(
        DiscretionTier.objects.filter(item__county=county).select_related("item"),
        key=lambda d: (d.item.code, d.order),
    )
    for d in tiers:
        out["discretion"].append(
            [d.item.code, TIER_LABELS[d.tier], d.condition, _num(d.fine_min), _num(d.fine_max)]
        )
    return out


def export_xlsx(county: County) -> bytes:
    """One workbook, one sheet per table, importable again unchanged."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    wb.remove(wb.active)
    for name, rows in export_rows(county).items():
        ws = wb.create_sheet(name)
        for row in rows:
            ws.append(row)
        for cell in ws[1]:
            cell.font = Font(bold=True)
        ws.freeze_panes = "A2"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
