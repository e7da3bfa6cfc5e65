"""The legal document kinds (法律文书种类): code, Chinese title and the abbreviation used in the 文号.

Pure data, no Django import: the renderer, the numbering and the models all read this table.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Kind:
    code: str  # identifier used in code, URLs and the DocumentNumber counter
    title: str  # 文书名称 printed as the document title
    abbr: str  # 文号中的文书简称, e.g. "罚决" in "东城综执罚决字〔2026〕第7号"


KINDS: tuple[Kind, ...] = (
    Kind("filing_approval", "立案审批表", "立审"),
    Kind("inspection_record", "现场检查笔录", "检录"),
    Kind("inquiry_record", "询问笔录", "询录"),
    Kind("rectification_order", "责令改正通知书", "责改"),
    Kind("prior_notice", "行政处罚事先告知书", "罚告"),
    Kind("hearing_notice", "听证通知书", "听通"),
    Kind("penalty_decision", "行政处罚决定书", "罚决"),
    Kind("no_penalty_decision", "不予行政处罚决定书", "不罚"),
    Kind("service_receipt", "送达回证", "送回"),
    Kind("seizure_decision", "查封扣押决定书", "查扣"),
    Kind("demolition_notice", "限期拆除通知书", "拆通"),
    Kind("demolition_announcement", "限期拆除公告", "拆告"),
    Kind("reminder", "催告书", "催告"),
    Kind("closing_report", "结案报告", "结报"),
)

BY_CODE: dict[str, Kind] = {k.code: k for k in KINDS}
CHOICES: list[tuple[str, str]] = [(k.code, k.title) for k in KINDS]


def get(code: str) -> Kind:
    try:
        return BY_CODE[code]
    except KeyError:
        known = "、".join(BY_CODE)
        raise ValueError(f"未知的文书种类“{code}”，可用：{known}") from None


TOWNSHIP_SUFFIXES = ("街道办事处", "人民政府", "街道", "镇", "乡")


def township_short(name: str) -> str:
    """东城街道 -> 东城, 柳泉镇 -> 柳泉: the agency's short name that opens a 文号."""
    for suffix in TOWNSHIP_SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)]
    return name


def format_doc_no(township_name: str, kind: str, year: int, seq: int) -> str:
    """The 文号 of the `seq`-th document of `kind` of a township in `year`: 东城综执罚决字〔2026〕第7号.

    综执 marks the township's comprehensive enforcement; 〔〕 are the hexagonal brackets of GB/T 9704;
    the sequence has no leading zeros and restarts each year.
    """
    if seq < 1:
        raise ValueError("文号序号必须从1开始")
    return f"{township_short(township_name)}综执{get(kind).abbr}字〔{year}〕第{seq}号"
