"""The case-file exchange format `zhifa.casefile/1` (benchmark/casefiles/FORMAT.md): parse,
validate and serialise.

A case file is a plain ``dict`` in exactly the exchange shape (keys and value types of FORMAT.md,
dates as ``"YYYY-MM-DD"`` strings). That dict is the contract between this module, the review
rules (`zhifa.rules.review`) and the case engine, which builds the same dict from a live case.

- `parse_lines(lines)` / `load(path)` parse and validate a whole file and collect every error
  (Chinese, naming the line and the field, e.g. ``第3行 events[2].date：日期“2025-02-30”不存在``);
  `CaseFileError.errors` lists them. A file with any error yields no case at all.
- `validate_case(obj)` checks one already-parsed object and returns its errors (without line
  numbers), for the engine to check a dict it built.
- `dumps(case)` writes one line: keys in the order of the FORMAT.md tables (whatever order the
  dict has), ``ensure_ascii=False``. The dev set is written with Python's default separators
  (``", "`` and ``": "``), so that is the default; FORMAT.md's text says ``(",", ":")``, which
  the dev file does not use — pass ``compact=True`` for that form.

Pure: no Django, no I/O except `load`.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

SCHEMA = "zhifa.casefile/1"

PROCEDURES = ("simple", "general", "coercive", "inspection")
AUTHORITY_SOURCES = ("statutory", "empowered", "entrusted")
PARTY_KINDS = ("individual", "organisation")
DECISION_KINDS = ("penalty", "no_penalty", "demolition_order")
PENALTIES = (
    "warning",
    "criticism",
    "fine",
    "confiscate_gains",
    "confiscate_property",
    "licence_suspended",
    "downgrade",
    "licence_revoked",
    "restrict_business",
    "suspend_business",
    "close",
    "restrict_practice",
)
# The statutory names of the kinds of penalty (处罚法 第9条), for every text a user reads.
PENALTY_NAMES_ZH = {
    "warning": "警告",
    "criticism": "通报批评",
    "fine": "罚款",
    "confiscate_gains": "没收违法所得",
    "confiscate_property": "没收非法财物",
    "licence_suspended": "暂扣许可证件",
    "downgrade": "降低资质等级",
    "licence_revoked": "吊销许可证件",
    "restrict_business": "限制开展生产经营活动",
    "suspend_business": "责令停产停业",
    "close": "责令关闭",
    "restrict_practice": "限制从业",
}
CIRCUMSTANCES = ("minor", "general", "serious", "severe")
DISCOVERY_SOURCES = ("网格员上报", "巡查发现", "群众举报", "12345热线", "部门移送", "智能感知")
INSPECTION_RESULTS = ("compliant", "non_compliant")
SERVICE_METHODS = ("in_person", "left_at_residence", "mail", "electronic", "public_notice", "entrusted")
SEIZURE_MEASURES = ("sealing", "seizure")
SEIZURE_OUTCOMES = ("released", "confiscated", "destroyed", "transferred")

# Field specs: (name, kind, required). Kinds: "str", "id" (non-empty str), "date", "date?",
# "bool", "int", "money", "str?", "officer", "officer?", ("enum", values), ("enum?", values),
# "actors", or a nested spec name.
_R, _O = True, False

TOP = (
    ("schema", "schema", _R),
    ("case_id", "id", _R),
    ("township", "str", _R),
    ("item", "str", _R),
    ("item_name", "str", _O),
    ("procedure", ("enum", PROCEDURES), _R),
    ("summary", "str", _O),
    ("as_of", "date", _R),
    ("authority", "authority?", _R),
    ("party", "party", _R),
    ("violation", "violation?", _R),
    ("officers", "officers", _R),
    ("roles", "roles", _R),
    ("events", "events", _R),
    ("decision", "decision?", _R),
)
AUTHORITY = (
    ("source", ("enum", AUTHORITY_SOURCES), _R),
    ("held_from", "date", _R),
    ("held_until", "date?", _R),
    ("entrustment", "entrustment?", _R),
)
ENTRUSTMENT = (
    ("doc_no", "str", _R),
    ("department", "str", _R),
    ("valid_from", "date", _R),
    ("valid_to", "date", _R),
)
PARTY = (
    ("kind", ("enum", PARTY_KINDS), _R),
    ("name", "str", _R),
    ("address", "str", _O),
    ("id_number", "str", _O),
    ("phone", "str", _O),
)
VIOLATION = (
    ("began", "date", _R),
    ("ended", "date?", _R),
    ("grave_harm", "bool", _R),
)
OFFICER = (
    ("id", "id", _R),
    ("name", "str", _R),
    ("cert_no", "str?", _R),
    ("cert_valid_to", "date?", _R),
)
ROLES = (
    ("handler", "officer", _R),
    ("legal_reviewer", "officer?", _R),
    ("decider", "officer?", _R),
)
BENCHMARK = (("min", "money", _R), ("max", "money", _R))
REMEDY_NOTICE = (
    ("reconsideration_body", "str?", _R),
    ("reconsideration_days", "int", _R),
    ("court", "str?", _R),
    ("litigation_months", "int", _R),
)
DECISION = (
    ("kind", ("enum", DECISION_KINDS), _R),
    ("doc_no", "str", _R),
    ("penalties", "penalties", _R),
    ("fine", "money", _R),
    ("circumstance", ("enum?", CIRCUMSTANCES), _R),
    ("benchmark", "benchmark?", _R),
    ("deviation_reason", "str?", _R),
    ("first_violation", "bool", _R),
    ("corrected_in_time", "bool", _R),
    ("major", "bool", _R),
    ("remedy_notice", "remedy_notice?", _R),
)

# Event types: (has actors, extra fields, at most one per case).
EVENTS: dict[str, tuple[bool, tuple, bool]] = {
    "discovered": (False, (("source", ("enum", DISCOVERY_SOURCES), _R),), True),
    "filed": (True, (), True),
    "investigated": (True, (), False),
    "inspected": (True, (("result", ("enum", INSPECTION_RESULTS), _R),), False),
    "rectification_ordered": (False, (("deadline", "date", _R),), False),
    "reinspected": (True, (("result", ("enum", INSPECTION_RESULTS), _R),), False),
    "notice_served": (
        False,
        (("proposed_fine", "money", _R), ("statement_days", "int", _R), ("hearing_right", "bool", _R)),
        False,
    ),
    "statement_received": (False, (("waived", "bool", _R),), False),
    "hearing_requested": (False, (), False),
    "hearing_held": (False, (), False),
    "legal_review": (True, (("passed", "bool", _R),), False),
    "collective_discussion": (True, (), False),
    "decided": (True, (("on_spot", "bool", _O), ("party_present", "bool", _R)), True),
    "served": (False, (("method", ("enum", SERVICE_METHODS), _R),), True),
    "paid": (False, (("amount", "money", _R), ("surcharge", "money", _R)), False),
    "disclosed": (False, (), True),
    "seizure_started": (
        True,
        (("measure", ("enum", SEIZURE_MEASURES), _R), ("term_days", "int", _R), ("items", "str", _R)),
        True,
    ),
    "seizure_extended": (True, (("approved_by", "officer?", _R), ("days", "int", _R)), True),
    "seizure_ended": (False, (("outcome", ("enum", SEIZURE_OUTCOMES), _R),), True),
    "demolition_notice": (False, (("deadline", "date?", _R),), False),
    "reminder_served": (False, (("deadline", "date", _R),), False),
    "demolition_executed": (True, (), True),
    "court_application": (
        False,
        (("court", "str", _R), ("amount", "money", _R), ("surcharge", "money", _R)),
        True,
    ),
    "closed": (False, (), True),
}

EVENT_NAMES_ZH = {
    "discovered": "发现线索",
    "filed": "立案",
    "investigated": "调查取证",
    "inspected": "行政检查",
    "rectification_ordered": "责令改正",
    "reinspected": "复查",
    "notice_served": "送达事先告知书",
    "statement_received": "收到陈述申辩",
    "hearing_requested": "要求听证",
    "hearing_held": "举行听证",
    "legal_review": "法制审核",
    "collective_discussion": "负责人集体讨论",
    "decided": "作出决定",
    "served": "送达决定书",
    "paid": "缴纳罚款",
    "disclosed": "公示",
    "seizure_started": "查封、扣押",
    "seizure_extended": "延长查封、扣押",
    "seizure_ended": "解除查封、扣押",
    "demolition_notice": "强制拆除公告",
    "reminder_served": "送达催告书",
    "demolition_executed": "实施强制拆除",
    "court_application": "申请法院强制执行",
    "closed": "结案",
}

_NESTED = {
    "authority": AUTHORITY,
    "entrustment": ENTRUSTMENT,
    "party": PARTY,
    "violation": VIOLATION,
    "roles": ROLES,
    "benchmark": BENCHMARK,
    "remedy_notice": REMEDY_NOTICE,
    "decision": DECISION,
}


def _event_spec(etype: str) -> tuple:
    has_actors, extra, _single = EVENTS[etype]
    spec = (("type", "str", _R), ("date", "date", _R))
    if has_actors:
        spec += (("actors", "actors", _R),)
    return spec + extra


class CaseFileError(ValueError):
    """A case file failed validation; `errors` lists every problem (Chinese, line and field)."""

    def __init__(self, errors: list[str]):
        self.errors = errors
        super().__init__("\n".join(errors))


# ---------------------------------------------------------------------------------------------
# Dates


_date_cache: dict[str, dt.date] = {}


def parse_date(s: str) -> dt.date:
    """`"YYYY-MM-DD"` → date (cached; raises ValueError for anything else)."""
    d = _date_cache.get(s)
    if d is None:
        if len(s) != 10 or s[4] != "-" or s[7] != "-" or not (s[:4] + s[5:7] + s[8:]).isdigit():
            raise ValueError(s)
        d = dt.date(int(s[:4]), int(s[5:7]), int(s[8:]))
        if len(_date_cache) < 100_000:
            _date_cache[s] = d
    return d


def _date_error(value: Any) -> str | None:
    if not isinstance(value, str):
        return f"应为日期字符串“YYYY-MM-DD”，实际为{_show(value)}"
    if len(value) != 10 or value[4] != "-" or value[7] != "-" or not value.replace("-", "").isdigit():
        return f"日期“{value}”格式错误，应为YYYY-MM-DD"
    try:
        parse_date(value)
    except ValueError:
        return f"日期“{value}”不存在"
    return None


def _show(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f"“{value}”"
    if isinstance(value, list):
        return "数组"
    if isinstance(value, dict):
        return "对象"
    return str(value)


# ---------------------------------------------------------------------------------------------
# Validation


def _quick(kind: Any):
    """A side-effect-free predicate that is True only for values certainly valid for `kind`
    (the common case, checked without building the field path), or None for kinds that always
    take the full check (officer references, nested objects, money with decimals…)."""
    if isinstance(kind, tuple):
        values = frozenset(kind[1])
        if kind[0] == "enum?":
            return lambda v: v is None or (type(v) is str and v in values)
        return lambda v: type(v) is str and v in values
    nullable = kind.endswith("?")
    base = kind.rstrip("?")
    pred = {
        "str": lambda v: type(v) is str,
        "id": lambda v: type(v) is str and bool(v.strip()),
        "date": lambda v: type(v) is str and v in _date_cache,
        "bool": lambda v: v is True or v is False,
        "int": lambda v: type(v) is int and v >= 0,
        "money": lambda v: type(v) is int and v >= 0,
        "schema": lambda v: v == SCHEMA,
    }.get(base)
    if pred is None:
        return None
    if nullable:
        return lambda v: v is None or pred(v)
    return pred


def _compile(spec: tuple) -> tuple:
    return tuple((name, kind, required, _quick(kind)) for name, kind, required in spec)


class _Checker:
    """Validates one object; collects (field path, message) pairs."""

    def __init__(self) -> None:
        self.errors: list[tuple[str, str]] = []
        self.officer_ids: set[str] = set()
        self.officer_refs: list[tuple[str, Any]] = []

    def err(self, path: str, msg: str) -> None:
        self.errors.append((path, msg))

    def fields(self, obj: Any, spec: tuple, path: str) -> None:
        if not isinstance(obj, dict):
            self.err(path, f"应为对象，实际为{_show(obj)}")
            return
        compiled = _COMPILED.get(id(spec)) or _compile(spec)
        for name, kind, required, quick in compiled:
            if name not in obj:
                if required:
                    self.err(f"{path}.{name}" if path else name, "缺少必填字段")
                continue
            v = obj[name]
            if quick is not None and quick(v):
                continue
            self.value(v, kind, f"{path}.{name}" if path else name)
        known = _KNOWN.get(id(spec)) or {n for n, _k, _r in spec}
        for name in obj:
            if name not in known:
                self.err(f"{path}.{name}" if path else str(name), "未知字段（zhifa.casefile/1 不允许）")

    def value(self, v: Any, kind: Any, p: str) -> None:
        if isinstance(kind, tuple):
            tag, values = kind
            if v is None and tag == "enum?":
                return
            if not isinstance(v, str) or v not in values:
                self.err(p, f"取值{_show(v)}无效，应为：{'、'.join(values)}")
            return
        if kind.endswith("?"):
            if v is None:
                return
            kind = kind[:-1]
        if kind == "schema":
            if v != SCHEMA:
                self.err(p, f"格式版本{_show(v)}错误，应为“{SCHEMA}”")
        elif kind == "str":
            if not isinstance(v, str):
                self.err(p, f"应为字符串，实际为{_show(v)}")
        elif kind == "id":
            if not isinstance(v, str) or not v.strip():
                self.err(p, f"应为非空字符串，实际为{_show(v)}")
        elif kind == "date":
            e = _date_error(v)
            if e:
                self.err(p, e)
        elif kind == "bool":
            if not isinstance(v, bool):
                self.err(p, f"应为true或false，实际为{_show(v)}")
        elif kind == "int":
            if isinstance(v, bool) or not isinstance(v, int) or v < 0:
                self.err(p, f"应为非负整数，实际为{_show(v)}")
        elif kind == "money":
            if isinstance(v, bool) or not isinstance(v, int | float) or v != v or v < 0:
                self.err(p, f"应为非负金额（元），实际为{_show(v)}")
            elif isinstance(v, float) and abs(v * 100 - round(v * 100)) > 1e-6:
                self.err(p, f"金额{v}超过两位小数")
        elif kind == "officer":
            if not isinstance(v, str) or not v:
                self.err(p, f"应为执法人员编号，实际为{_show(v)}")
            else:
                self.officer_refs.append((p, v))
        elif kind == "penalties":
            if not isinstance(v, list):
                self.err(p, f"应为数组，实际为{_show(v)}")
                return
            for i, x in enumerate(v):
                self.value(x, ("enum", PENALTIES), f"{p}[{i}]")
        elif kind in _NESTED:
            self.fields(v, _NESTED[kind], p)
        elif kind == "officers":
            self.officers(v, p)
        elif kind == "events":
            pass  # checked after the officers, see validate_case
        else:  # pragma: no cover - spec typo
            raise AssertionError(kind)

    def officers(self, v: Any, p: str) -> None:
        if not isinstance(v, list):
            self.err(p, f"应为数组，实际为{_show(v)}")
            return
        for i, off in enumerate(v):
            q = f"{p}[{i}]"
            self.fields(off, OFFICER, q)
            if isinstance(off, dict) and isinstance(off.get("id"), str):
                if off["id"] in self.officer_ids:
                    self.err(f"{q}.id", f"执法人员编号“{off['id']}”重复")
                self.officer_ids.add(off["id"])

    def events(self, v: Any, as_of: dt.date | None) -> None:
        if not isinstance(v, list):
            self.err("events", f"应为数组，实际为{_show(v)}")
            return
        prev: dt.date | None = None
        seen: dict[str, int] = {}
        for i, ev in enumerate(v):
            p = f"events[{i}]"
            if not isinstance(ev, dict):
                self.err(p, f"应为对象，实际为{_show(ev)}")
                continue
            etype = ev.get("type")
            if "type" not in ev:
                self.err(f"{p}.type", "缺少必填字段")
                continue
            if etype not in EVENTS:
                self.err(f"{p}.type", f"事件类型{_show(etype)}不在格式规定的类型中")
                continue
            single = EVENTS[etype][2]
            before = len(self.errors)
            self._event_fields(ev, _EVENT_SPECS[etype], p)
            if single:
                if etype in seen:
                    self.err(f"{p}.type", f"“{etype}”事件每案最多一个（已见于events[{seen[etype]}]）")
                else:
                    seen[etype] = i
            else:
                seen.setdefault(etype, i)
            if len(self.errors) > before and any(e[0] == f"{p}.date" for e in self.errors[before:]):
                continue
            if "date" not in ev:
                continue
            d = parse_date(ev["date"])
            if as_of is not None and d > as_of:
                self.err(f"{p}.date", f"事件日期{ev['date']}晚于导出日期as_of（{as_of}）")
            if prev is not None and d < prev:
                self.err(f"{p}.date", f"事件未按日期排序：{ev['date']}早于前一事件的{prev}")
            prev = d

    def _event_fields(self, ev: dict, spec: tuple, p: str) -> None:
        known = set()
        for name, kind, required, quick in spec:
            known.add(name)
            if name not in ev:
                if required:
                    self.err(f"{p}.{name}", "缺少必填字段")
                continue
            if quick is not None and quick(ev[name]):
                continue
            q = f"{p}.{name}"
            if kind == "actors":
                acts = ev[name]
                if not isinstance(acts, list):
                    self.err(q, f"应为执法人员编号数组，实际为{_show(acts)}")
                    continue
                for j, a in enumerate(acts):
                    self.value(a, "officer", f"{q}[{j}]")
            else:
                self.value(ev[name], kind, q)
        for name in ev:
            if name not in known:
                self.err(f"{p}.{name}", f"未知字段（“{ev['type']}”事件没有此字段）")


_SPECS = (TOP, OFFICER, *_NESTED.values())
_COMPILED = {id(spec): _compile(spec) for spec in _SPECS}
_KNOWN = {id(spec): frozenset(n for n, _k, _r in spec) for spec in _SPECS}
_EVENT_SPECS = {etype: _compile(_event_spec(etype)) for etype in EVENTS}


def validate_case(obj: Any) -> list[tuple[str, str]]:
    """Every error of one parsed object as (field path, Chinese message); [] if valid."""
    c = _Checker()
    if not isinstance(obj, dict):
        return [("", f"不是JSON对象（实际为{_show(obj)}）")]
    c.fields(obj, TOP, "")
    as_of = None
    if isinstance(obj.get("as_of"), str) and _date_error(obj["as_of"]) is None:
        as_of = parse_date(obj["as_of"])
    if "events" in obj:
        c.events(obj["events"], as_of)
    for path, ref in c.officer_refs:
        if ref not in c.officer_ids:
            c.err(path, f"执法人员编号“{ref}”不在officers中")
    auth = obj.get("authority")
    if isinstance(auth, dict) and "entrustment" in auth:
        if auth.get("source") == "entrusted" and auth["entrustment"] is None:
            c.err("authority.entrustment", "委托执法事项（source为entrusted）必须载明委托书entrustment")
        elif auth.get("source") in ("statutory", "empowered") and auth["entrustment"] is not None:
            c.err("authority.entrustment", "非委托事项的entrustment应为null")
    dec = obj.get("decision")
    if isinstance(dec, dict) and isinstance(dec.get("penalties"), list):
        pens, kind = dec["penalties"], dec.get("kind")
        if kind in ("no_penalty", "demolition_order") and pens:
            c.err("decision.penalties", f"决定种类为{kind}时处罚种类penalties应为空")
        elif kind == "penalty" and not pens:
            c.err("decision.penalties", "行政处罚决定（penalty）的处罚种类penalties不能为空")
        fine = dec.get("fine")
        if isinstance(fine, int | float) and not isinstance(fine, bool) and fine > 0 and "fine" not in pens:
            c.err("decision.fine", f"罚款金额为{fine}元，但penalties中没有罚款（fine）")
    return c.errors


def _format(lineno: int, path: str, msg: str) -> str:
    return f"第{lineno}行 {path}：{msg}" if path else f"第{lineno}行：{msg}"


def parse_line(text: str, lineno: int = 1) -> tuple[dict | None, list[str]]:
    """Parse and validate one line; returns (case or None, errors)."""
    try:
        obj = json.loads(text)
    except ValueError as exc:
        msg = getattr(exc, "msg", str(exc))
        return None, [_format(lineno, "", f"不是有效的JSON（{msg}）")]
    errors = [_format(lineno, p, m) for p, m in validate_case(obj)]
    return (None if errors else obj), errors


def iter_checked(lines: Iterable[str]) -> Iterator[tuple[int, dict | None, list[str]]]:
    """Line by line: (line number, case or None, errors of that line), including the check that
    a case_id is not repeated in the file. For streaming large files with constant memory."""
    seen: dict[str, int] = {}
    for lineno, raw in enumerate(lines, 1):
        text = raw[:-1] if raw.endswith("\n") else raw
        errors: list[str] = []
        if lineno == 1 and text.startswith("\ufeff"):
            errors.append(_format(lineno, "", "文件不得以BOM开头（应为无BOM的UTF-8）"))
            text = text[1:]
        if not text.strip():
            errors.append(_format(lineno, "", "空行（每行应为一个JSON对象）"))
            yield lineno, None, errors
            continue
        case, errs = parse_line(text, lineno)
        errors.extend(errs)
        obj_id = case.get("case_id") if case is not None else _peek_case_id(text)
        if isinstance(obj_id, str):
            if obj_id in seen:
                errors.append(_format(lineno, "case_id", f"案件编号“{obj_id}”与第{seen[obj_id]}行重复"))
                case = None
            else:
                seen[obj_id] = lineno
        yield lineno, case, errors


def parse_lines(lines: Iterable[str]) -> list[dict]:
    """Parse a whole file (lines with or without their line ends).

    Collects every error of every line; raises `CaseFileError` if there is any, else returns
    the cases in file order.
    """
    cases: list[dict] = []
    errors: list[str] = []
    for _lineno, case, errs in iter_checked(lines):
        errors.extend(errs)
        if case is not None:
            cases.append(case)
    if errors:
        raise CaseFileError(errors)
    return cases


def _peek_case_id(text: str) -> Any:
    try:
        obj = json.loads(text)
    except ValueError:
        return None
    return obj.get("case_id") if isinstance(obj, dict) else None


def parse_text(text: str) -> list[dict]:
    return parse_lines(split_lines(text))


def read_text(path: str | Path) -> str:
    """The file's text; invalid UTF-8 raises `CaseFileError` naming the line."""
    data = Path(path).read_bytes()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise CaseFileError([_format(line, "", "不是有效的UTF-8编码")]) from None


def split_lines(text: str) -> list[str]:
    """Lines of a `.jsonl` text (one final line end allowed, no other blank line)."""
    if text.endswith("\n"):
        text = text[:-1]
    return text.split("\n") if text else []


def load(path: str | Path) -> list[dict]:
    """Read and validate a `.jsonl` case file; raises `CaseFileError` (UTF-8 errors included)."""
    return parse_text(read_text(path))


# ---------------------------------------------------------------------------------------------
# Serialisation


def _ordered(obj: Any, spec: tuple) -> Any:
    if not isinstance(obj, dict):
        return obj
    out: dict = {}
    for name, kind, _required in spec:
        if name in obj:
            out[name] = _ordered_value(obj[name], kind)
    for name, v in obj.items():  # unknown keys (invalid in version 1) keep their place at the end
        if name not in out:
            out[name] = v
    return out


def _ordered_value(v: Any, kind: Any) -> Any:
    if isinstance(kind, tuple) or v is None:
        return v
    base = kind.rstrip("?")
    if base in _NESTED:
        return _ordered(v, _NESTED[base])
    if base == "officers" and isinstance(v, list):
        return [_ordered(o, OFFICER) for o in v]
    if base == "events" and isinstance(v, list):
        return [_ordered_event(e) for e in v]
    return v


def _ordered_event(ev: Any) -> Any:
    if not isinstance(ev, dict) or ev.get("type") not in EVENTS:
        return ev
    has_actors, extra, _single = EVENTS[ev["type"]]
    spec = (("type", "str", _R), ("date", "date", _R))
    if has_actors:
        spec += (("actors", "str", _R),)
    return _ordered(ev, spec + extra)


def canonical(case: dict) -> dict:
    """A copy of `case` with keys in the order of the FORMAT.md tables."""
    return _ordered(case, TOP)


def dumps(case: dict, *, compact: bool = False) -> str:
    """One line (without its line end) in the exchange format."""
    seps = (",", ":") if compact else (", ", ": ")
    return json.dumps(canonical(case), ensure_ascii=False, separators=seps)


def dump_lines(cases: Iterable[dict], *, compact: bool = False) -> str:
    return "".join(dumps(c, compact=compact) + "\n" for c in cases)
