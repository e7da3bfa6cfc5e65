"""Case-file review rounds (案卷评查): the checklist, pre-scoring from automatic findings, sampling.

The checklist follows the usual structure of county 行政执法案卷评查标准 (100 points): who acted,
facts and evidence, law applied, procedure, documents and service, execution and archiving.
Every automatic review rule (zhifa.rules.review) maps to one checklist line, so a reviewer opens
a sheet with the day-one defects already deducted and only judges what a machine cannot.
Pure: no Django import.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class ChecklistLine:
    code: str
    title: str
    points: int
    rules: tuple[str, ...]  # review rule codes whose findings deduct from this line


CHECKLIST: tuple[ChecklistLine, ...] = (
    ChecklistLine(
        "subject",
        "执法主体：事项在本乡镇清单内或委托有效，执法人员两人以上且持有效证件",
        10,
        ("AUTH-NOT-HELD", "AUTH-ENTRUST-EXPIRED", "OFF-MIN-TWO", "OFF-CERT-VALID"),
    ),
    ChecklistLine("facts", "事实证据：违法事实清楚，证据确凿、充分，取证合法", 20, ()),
    ChecklistLine(
        "law",
        "适用法律：定性准确，适用依据正确，裁量适当（含首违不罚、简易程序限额）",
        15,
        ("PEN-DISCRETION", "PEN-FIRST-VIOLATION", "PEN-SIMPLE-LIMIT", "PEN-LIMITATION"),
    ),
    ChecklistLine(
        "procedure",
        "程序：立案、告知、陈述申辩、听证、法制审核、集体讨论、办、审、定分离，期限合法",
        30,
        (
            "PEN-PRIOR-NOTICE",
            "PEN-STATEMENT-PERIOD",
            "PEN-HEARING",
            "PEN-DECISION-90D",
            "PEN-SIMPLE-ONSPOT",
            "DEC-LEGAL-REVIEW",
            "DEC-COLLECTIVE",
            "DEC-SEPARATION",
            "COE-SEIZURE-30D",
            "COE-DEMOLITION-NOTICE",
            "COE-DEMOLITION-REMEDY",
            "COE-COURT-WINDOW",
            "COE-COURT-REMINDER",
        ),
    ),
    ChecklistLine(
        "documents",
        "文书送达：文书齐全规范，救济途径和期限告知正确，依法按时送达",
        15,
        ("PEN-REMEDY-NOTICE", "PEN-SERVICE-7WD"),
    ),
    ChecklistLine(
        "execution",
        "执行归档：罚缴分离、加处罚款合法，按时公示，卷宗完整归档",
        10,
        ("PEN-SURCHARGE", "PEN-DISCLOSE-7WD"),
    ),
)
LINES = {line.code: line for line in CHECKLIST}
RULE_LINE = {rule: line.code for line in CHECKLIST for rule in line.rules}
DEDUCTION = {"defect": 5, "warning": 2}

GRADES = ((90, "优秀"), (75, "合格"), (0, "不合格"))
PASS_MARK = 75


def prefill(findings: Iterable[dict]) -> dict[str, int]:
    """Scores per checklist line after deducting each automatic finding (never below zero)."""
    scores = {line.code: line.points for line in CHECKLIST}
    for f in findings:
        code = RULE_LINE.get(f.get("rule", ""), "procedure")
        scores[code] = max(0, scores[code] - DEDUCTION.get(f.get("severity", "defect"), 5))
    return scores


def validate_scores(scores: dict[str, object]) -> tuple[dict[str, int], list[str]]:
    """Parse a reviewer's scores; errors name the checklist line in Chinese."""
    clean: dict[str, int] = {}
    errors: list[str] = []
    for line in CHECKLIST:
        raw = scores.get(line.code)
        try:
            value = int(str(raw).strip())
        except (TypeError, ValueError):
            errors.append(f"“{line.title.split('：')[0]}”的得分应为0至{line.points}的整数")
            continue
        if not 0 <= value <= line.points:
            errors.append(f"“{line.title.split('：')[0]}”的得分应在0至{line.points}之间，现为{value}")
            continue
        clean[line.code] = value
    return clean, errors


def total(scores: dict[str, int]) -> int:
    return sum(scores.get(line.code, 0) for line in CHECKLIST)


def grade(score: int) -> str:
    return next(label for floor, label in GRADES if score >= floor)


def sample(
    cases: Sequence[tuple[int, str, str]], per_township: int, seed: int, procedures: Iterable[str] = ()
) -> list[int]:
    """Pick up to `per_township` case ids per township, spread over procedures, reproducibly.

    `cases` are (case_id, township_code, procedure). With `procedures` given, only those.
    Within a township, cases are drawn round-robin over procedures so that every kind of file
    is looked at, as the seeds' "处罚一件、评查一件" practice expects.
    """
    wanted = set(procedures)
    rng = random.Random(seed)
    by_township: dict[str, dict[str, list[int]]] = {}
    for case_id, township, procedure in sorted(cases):
        if wanted and procedure not in wanted:
            continue
        by_township.setdefault(township, {}).setdefault(procedure, []).append(case_id)
    chosen: list[int] = []
    for township in sorted(by_township):
        pools = {p: ids[:] for p, ids in sorted(by_township[township].items())}
        for ids in pools.values():
            rng.shuffle(ids)
        picked: list[int] = []
        while len(picked) < per_township and any(pools.values()):
            for p in list(pools):
                if pools[p] and len(picked) < per_township:
                    picked.append(pools[p].pop())
        chosen.extend(sorted(picked))
    return chosen
