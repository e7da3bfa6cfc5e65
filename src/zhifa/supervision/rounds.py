"""Case-file review rounds (案卷评查): sample closed files, score them, track rectification."""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from zhifa.rules import scoring
from zhifa.supervision import services as letters
from zhifa.supervision.models import Letter, ReviewRound, ReviewSheet

PROCEDURE_LABELS = {
    "simple": "简易程序",
    "general": "普通程序",
    "coercive": "行政强制",
    "inspection": "行政检查",
}


def _require_reviewer(user) -> None:
    if not user.can("supervision.review"):
        raise PermissionDenied("只有司法局执法监督人员可以组织和评查案卷。")


def _closed_cases(county_id: int, start: dt.date, end: dt.date):
    """Closed cases whose closing event falls in [start, end]."""
    from zhifa.cases.models import Case

    return Case.objects.filter(
        township__county_id=county_id,
        status=Case.CLOSED,
        events__type="closed",
        events__date__gte=start,
        events__date__lte=end,
    ).distinct()


@transaction.atomic
def create_round(
    user,
    *,
    name: str,
    period_start: dt.date,
    period_end: dt.date,
    per_township: int,
    procedures: list[str] | None = None,
    seed: int | None = None,
) -> ReviewRound:
    """Open a round and draw its sample: `per_township` closed files per township."""
    from zhifa.cases.services import refresh_findings

    _require_reviewer(user)
    errors: dict[str, str] = {}
    if not name.strip():
        errors["name"] = "请填写评查批次名称。"
    if period_end < period_start:
        errors["period_end"] = "结案日期止不能早于结案日期自。"
    if not 1 <= per_township <= 50:
        errors["per_township"] = "每乡镇抽取件数应为1至50。"
    procedures = [p for p in procedures or [] if p]
    unknown = [p for p in procedures if p not in PROCEDURE_LABELS]
    if unknown:
        errors["procedures"] = f"案件类型{'、'.join(unknown)}无效。"
    if errors:
        raise ValidationError(errors)
    seed = seed if seed is not None else secrets.randbelow(2**31)
    rows = list(
        _closed_cases(user.county_id, period_start, period_end).values_list(
            "pk", "township__code", "procedure"
        )
    )
    chosen = scoring.sample(rows, per_township, seed, procedures)
    if not chosen:
        raise ValidationError("所选期间内没有符合条件的已结案案件，无法抽取评查案卷。")
    rnd = ReviewRound.objects.create(
        county_id=user.county_id,
        name=name.strip(),
        period_start=period_start,
        period_end=period_end,
        procedures=procedures,
        per_township=per_township,
        seed=seed,
        created_by=user,
    )
    from zhifa.cases.models import Case

    for case in Case.objects.filter(pk__in=chosen).select_related("township"):
        findings = [f for f in refresh_findings(case) if f.get("kind", "finding") == "finding"]
        ReviewSheet.objects.create(
            round=rnd,
            case=case,
            township=case.township,
            auto_findings=findings,
            scores=scoring.prefill(findings),
        )
    return rnd


@transaction.atomic
def score_sheet(user, sheet_id: int, scores: dict[str, object], comments: str, on: dt.date) -> ReviewSheet:
    _require_reviewer(user)
    sheet = ReviewSheet.objects.restrict(user, "change").select_for_update().get(pk=sheet_id)
    if sheet.round.status == ReviewRound.CLOSED:
        raise ValidationError("评查批次已结束，不能再修改评分。")
    clean, errors = scoring.validate_scores(scores)
    if errors:
        raise ValidationError(errors)
    sheet.scores = clean
    sheet.total = scoring.total(clean)
    sheet.grade = scoring.grade(sheet.total)
    sheet.comments = comments.strip()
    sheet.status = ReviewSheet.SCORED
    sheet.reviewer = user
    sheet.scored_on = on
    sheet.save()
    return sheet


def _letter_body(sheet: ReviewSheet) -> str:
    lines = [
        f"经{sheet.round.name}评查，案件{sheet.case.number}得分{sheet.total}分（{sheet.grade}）。存在以下问题："
    ]
    for i, f in enumerate(sheet.auto_findings, 1):
        lines.append(f"{i}. {f.get('message', '')}")
    if sheet.comments:
        lines.append(f"{len(sheet.auto_findings) + 1}. {sheet.comments}")
    lines.append("请对照上述问题逐项整改，并在答复期限内书面答复整改情况。")
    return "\n".join(lines)


@transaction.atomic
def send_rectification(user, sheet_id: int, on: dt.date) -> Letter:
    """Issue a rectification letter (整改建议书) for a scored sheet; tracked through the letter."""
    _require_reviewer(user)
    sheet = ReviewSheet.objects.restrict(user, "change").select_for_update().get(pk=sheet_id)
    if sheet.status != ReviewSheet.SCORED:
        raise ValidationError("请先完成评分，再发出整改建议书。")
    if sheet.letter_id is not None:
        raise ValidationError(f"该案卷已发出整改建议书{sheet.letter.doc_no}。")
    letter = letters.issue_letter(
        user,
        township=sheet.township,
        kind=Letter.RECTIFICATION,
        subject=f"案卷评查整改：{sheet.case.number}",
        body=_letter_body(sheet),
        issued_on=on,
        case_ref=sheet.case.number,
    )
    sheet.letter = letter
    sheet.save(update_fields=["letter"])
    return letter


@transaction.atomic
def close_round(user, round_id: int) -> ReviewRound:
    _require_reviewer(user)
    rnd = ReviewRound.objects.restrict(user, "change").select_for_update().get(pk=round_id)
    pending = rnd.sheets.filter(status=ReviewSheet.PENDING).count()
    if pending:
        raise ValidationError(f"还有{pending}份案卷未评查，不能结束本批次。")
    rnd.status = ReviewRound.CLOSED
    rnd.save()
    return rnd


@dataclass
class TownshipResult:
    township: str
    sampled: int
    scored: int
    average: float | None
    passed: int
    excellent: int
    rectifying: int
    rectified: int

    @property
    def pass_rate(self) -> float | None:
        return self.passed / self.scored if self.scored else None


def results(rnd: ReviewRound, sheets=None) -> list[TownshipResult]:
    """Per-township results of a round: average score, pass rate, rectification progress."""
    sheets = list(sheets if sheets is not None else rnd.sheets.select_related("township", "letter"))
    by: dict[str, list[ReviewSheet]] = {}
    for s in sheets:
        by.setdefault(s.township.name, []).append(s)
    out = []
    for name, group in sorted(by.items()):
        scored = [s for s in group if s.status == ReviewSheet.SCORED]
        out.append(
            TownshipResult(
                township=name,
                sampled=len(group),
                scored=len(scored),
                average=round(sum(s.total for s in scored) / len(scored), 1) if scored else None,
                passed=sum(1 for s in scored if s.total >= scoring.PASS_MARK),
                excellent=sum(1 for s in scored if s.grade == "优秀"),
                rectifying=sum(1 for s in group if s.letter_id and not s.letter.closed),
                rectified=sum(
                    1 for s in group if s.letter_id and s.letter.status in (Letter.ADOPTED, Letter.PARTLY)
                ),
            )
        )
    return out
