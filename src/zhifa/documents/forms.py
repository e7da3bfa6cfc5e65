"""The optional facts a clerk adds when generating a document (what the case record does not hold).

Each field names the document kinds it applies to (None: all). `extra_from_post` turns the posted
form into the `extra` dict of `services.generate`, with Chinese errors naming the field and line.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True)
class Field:
    key: str
    label: str
    widget: str = "text"  # text | textarea | lines | date
    kinds: tuple[str, ...] | None = None
    help: str = ""


DECISIONS = ("penalty_decision", "no_penalty_decision", "prior_notice", "rectification_order")
FIELDS: tuple[Field, ...] = (
    Field("facts", "违法事实（经查明的事实）", "textarea", help="缺省取案情摘要"),
    Field("evidence", "证据清单", "lines", DECISIONS, "每行一项"),
    Field("violated_provisions", "违反的法律规定", help="缺省取执法事项清单的法律依据"),
    Field("penalty_basis", "处罚（处理）依据", help="缺省取执法事项清单的法律依据"),
    Field("discretion", "裁量理由", kinds=("prior_notice", "penalty_decision")),
    Field("statement_result", "陈述申辩（听证）情况及采纳意见", "textarea", ("penalty_decision",)),
    Field("payment_place", "罚款缴纳银行或方式", kinds=("penalty_decision", "reminder")),
    Field("findings", "现场检查情况", "textarea", ("inspection_record",)),
    Field("place", "检查（询问）地点", kinds=("inspection_record", "inquiry_record")),
    Field("recorder", "记录人", kinds=("inspection_record", "inquiry_record")),
    Field("qa", "询问问答", "lines", ("inquiry_record",), "每行以“问：”或“答：”开头"),
    Field("rectify_requirements", "改正要求", "textarea", ("rectification_order",)),
    Field("hearing_at", "听证时间", kinds=("hearing_notice",), help="如：2026年6月23日上午9时"),
    Field("hearing_place", "听证地点", kinds=("hearing_notice",)),
    Field("hearing_host", "听证主持人", kinds=("hearing_notice",)),
    Field("hearing_clerk", "书记员", kinds=("hearing_notice",)),
    Field("seized_items", "查封扣押清单", "lines", ("seizure_decision",), "每行：名称，数量，单位，备注"),
    Field("seizure_place", "查封地点或扣押物品存放地点", kinds=("seizure_decision",)),
    Field("structure", "违法建筑物、构筑物、设施", kinds=("demolition_notice", "demolition_announcement")),
    Field("location", "坐落位置", kinds=("demolition_notice", "demolition_announcement")),
    Field("area", "面积", kinds=("demolition_notice", "demolition_announcement"), help="如：约120平方米"),
    Field("served_doc_name", "送达的文书名称", kinds=("service_receipt",), help="缺省为本案最近生成的决定书"),
    Field(
        "served_doc_no", "送达的文书文号", kinds=("service_receipt",), help="缺省为本案最近生成的决定书文号"
    ),
    Field("recipient", "受送达人", kinds=("service_receipt",), help="缺省为当事人"),
    Field("service_place", "送达地点", kinds=("service_receipt",), help="缺省为当事人地址"),
    Field("issue_date", "落款日期", "date", help="缺省取案件对应环节的日期，尚未记录的取今天"),
    Field("agency_phone", "执法机关联系电话"),
    Field("agency_address", "执法机关地址"),
)
BY_KEY = {f.key: f for f in FIELDS}


def fields_for(kind: str) -> list[Field]:
    return [f for f in FIELDS if f.kinds is None or kind in f.kinds]


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def extra_from_post(kind: str, data) -> tuple[dict, list[str]]:
    """(extra, errors) from the posted form; only the fields of `kind` are read, empty ones skipped."""
    extra: dict = {}
    errors: list[str] = []
    for f in fields_for(kind):
        raw = (data.get(f.key) or "").strip()
        if not raw:
            continue
        if len(raw) > 5000:
            errors.append(f"“{f.label}”过长（最多5000字）")
            continue
        if f.key == "qa":
            pairs, err = _qa(raw, f.label)
            errors.extend(err)
            extra["qa"] = pairs
        elif f.key == "seized_items":
            extra["seized_items"] = [_item(line) for line in _lines(raw)]
        elif f.widget == "date":
            try:
                extra[f.key] = dt.date.fromisoformat(raw).isoformat()
            except ValueError:
                errors.append(f"“{f.label}”应为日期（YYYY-MM-DD），收到“{raw}”")
        elif f.widget == "lines":
            extra[f.key] = _lines(raw)
        else:
            extra[f.key] = raw
    return extra, errors


def _qa(text: str, label: str) -> tuple[list[dict], list[str]]:
    pairs: list[dict] = []
    errors: list[str] = []
    for n, line in enumerate(_lines(text), 1):
        head, body = line[:2], line[2:].strip()
        if head in ("问：", "问:"):
            pairs.append({"q": body, "a": ""})
        elif head in ("答：", "答:") and pairs and not pairs[-1]["a"]:
            pairs[-1]["a"] = body
        elif head in ("答：", "答:"):
            errors.append(f"“{label}”第{n}行：回答之前应有一行以“问：”开头的提问")
        else:
            errors.append(f"“{label}”第{n}行应以“问：”或“答：”开头")
    return pairs, errors


def _item(line: str) -> dict:
    parts = [p.strip() for p in line.replace(",", "，").split("，")]
    keys = ("name", "quantity", "unit", "note")
    return {k: v for k, v in zip(keys, parts, strict=False) if v}


def check_extra(extra: dict) -> list[str]:
    """Errors for an `extra` dict given through the API: only the form's keys, with plain values."""
    errors = []
    for key, value in extra.items():
        f = BY_KEY.get(key)
        if f is None:
            errors.append(f"extra.{key}：不能补充该项，可补充：" + "、".join(BY_KEY))
        elif f.widget == "lines" and not isinstance(value, list):
            errors.append(f"extra.{key}（{f.label}）：应为列表")
        elif f.widget == "lines":
            want = dict if key in ("qa", "seized_items") else str
            for i, element in enumerate(value):
                if not isinstance(element, want) or (
                    want is dict and not all(isinstance(v, str) for v in element.values())
                ):
                    shape = "对象（各项为文字）" if want is dict else "文字"
                    errors.append(f"extra.{key}[{i}]（{f.label}）：应为{shape}")
        elif f.widget == "date":
            try:
                dt.date.fromisoformat(str(value))
            except ValueError:
                errors.append(f"extra.{key}（{f.label}）：应为日期（YYYY-MM-DD），收到“{value}”")
        elif f.widget != "lines" and not isinstance(value, str):
            errors.append(f"extra.{key}（{f.label}）：应为文字")
    return errors
