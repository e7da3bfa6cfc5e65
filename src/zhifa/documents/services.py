"""Generating the numbered legal documents of a case, and reading them back.

`generate(case, kind, user)` builds the context from the case (through the exchange dict that
`zhifa.cases.services.to_casefile` gives, registered by the cases app with
`register_casefile_builder`, plus the township, county and catalogue data the format does not
carry), takes the next 文号 of the township for that kind and year under a row lock, renders DOCX
and PDF and stores both with their SHA-256, all in one transaction: a failed render leaves no
number used, and two clerks generating at once never get the same number.

A decision (行政处罚决定书, 不予行政处罚决定书, 限期拆除通知书) is different: its 文号 is taken from the
same counter when the decision is made (`take_decision_number`, called by `cases.actions.do_decide`),
so the decision, its disclosure and its document carry one number from the start. Generating that
document, or regenerating it after the first one was voided, reuses the decision's number.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.utils import timezone

from zhifa.core.calendar import work_calendar
from zhifa.documents import forms, kinds
from zhifa.documents.builders import casefile_builder
from zhifa.documents.context import ContextError, context_from_casefile
from zhifa.documents.models import AgencyProfile, Document, DocumentCounter
from zhifa.documents.render import render, render_both, title
from zhifa.org.models import Township

# The case event whose date a document bears (and whose year numbers it); today when not yet recorded.
DATE_KEYS: dict[str, str | tuple[str, ...]] = {
    "filing_approval": "filed_date",
    "inspection_record": "inspection_date",
    "inquiry_record": "inspection_date",
    "rectification_order": "rectify_date",
    "prior_notice": "notice_date",
    "hearing_notice": ("hearing_notice_date", "hearing_requested_date"),
    "penalty_decision": "decision_date",
    "no_penalty_decision": "decision_date",
    "service_receipt": "service_date",
    "seizure_decision": "seizure_date",
    "demolition_notice": "decision_date",
    "demolition_announcement": "announcement_date",
    "reminder": "reminder_date",
    "closing_report": "closing_date",
}
assert set(DATE_KEYS) == set(kinds.BY_CODE)
DECISION_KINDS = ("penalty_decision", "no_penalty_decision", "demolition_notice")
# The document kind that carries each kind of decision. Its 文号 is taken from that kind's counter
# when the decision is made (`take_decision_number`), and the document generated later reuses it.
DECISION_DOCUMENT = {
    "penalty": "penalty_decision",
    "no_penalty": "no_penalty_decision",
    "demolition_order": "demolition_notice",
}


def _casefile(case) -> dict[str, Any]:
    # The builder the cases app registered when Django was ready (see zhifa.documents.builders).
    build = casefile_builder()
    if build is None:
        raise RuntimeError("zhifa.cases is not installed: no case file builder is registered")
    return build(case)


class DocumentError(ValidationError):
    """The document cannot be generated; the message is Chinese and says why.

    A ValidationError, so that callers handling invalid steps (the case page) show it as such."""

    def __init__(self, message: str):
        super().__init__(message)

    def __str__(self) -> str:
        return str(self.message)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def can_generate(user, case) -> bool:
    cases = type(case).objects
    return user.can("documents.generate") and cases.restrict(user, "change").filter(pk=case.pk).exists()


def visible(user):
    """The documents `user` may read: the township's own staff, the county's supervisors and procurators."""
    if not user.can("documents.view"):
        return Document.objects.none()
    return Document.objects.restrict(user, "view").select_related("township", "case", "generated_by")


def township_extra(township: Township, item_code: str | None) -> dict[str, Any]:
    """What the organisation and the catalogue add to a case file: names, legal basis of the item."""
    from zhifa.catalogue.models import Item

    extra: dict[str, Any] = {
        "township_name": township.name,
        "township_kind": township.kind,
        "county_name": township.county.name,
    }
    profile = AgencyProfile.objects.filter(township=township).first()
    if profile is not None:
        extra.update(profile.context())
    item = Item.objects.filter(county_id=township.county_id, code=item_code).first() if item_code else None
    if item is not None:
        extra["item_name"] = item.name
        extra["legal_basis"] = item.legal_basis
        if item.violation:
            extra["violation"] = item.violation
    return extra


def context_for_case(case, kind: str, extra: dict | None = None, today: dt.date | None = None) -> dict:
    """The context of document `kind` for a stored case (without its 文号)."""
    kinds.get(kind)
    base = township_extra(case.township, case.item_code)
    # The decision document generated here is the one the later documents cite.
    decision = (
        case.documents.filter(kind__in=DECISION_KINDS, voided_at__isnull=True)
        .order_by("-generated_at", "-id")
        .first()
    )
    if decision is not None:
        base["decision_doc_no"] = decision.doc_no
        base["served_doc_name"] = decision.title
        base["served_doc_no"] = decision.doc_no
    ctx = context_from_casefile(_casefile(case), {**base, **(extra or {})}, work_calendar())
    if not ctx.get("issue_date"):
        keys = DATE_KEYS[kind] if isinstance(DATE_KEYS[kind], tuple) else (DATE_KEYS[kind],)
        recorded = next((ctx[k] for k in keys if ctx.get(k)), None)
        ctx["issue_date"] = recorded or (today or timezone.localdate()).isoformat()
    return ctx


def expected_for(case) -> list[tuple[str, str]]:
    """The documents the case's record calls for (checklist.expected_kinds on its exchange dict)."""
    from zhifa.documents.checklist import expected_kinds

    return expected_kinds(_casefile(case))


def next_number(township: Township, kind: str, year: int) -> int:
    """Take the next sequence number; call inside the transaction that stores the document."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("next_number must run inside transaction.atomic()")
    try:
        with transaction.atomic():
            counter, _ = DocumentCounter.objects.select_for_update().get_or_create(
                township=township, kind=kind, year=year
            )
    except IntegrityError:  # another transaction created the row first: wait for its lock
        counter = DocumentCounter.objects.select_for_update().get(township=township, kind=kind, year=year)
    counter.last += 1
    counter.save(update_fields=["last"])
    return counter.last


def take_decision_number(case, decision_kind: str, year: int) -> str:
    """The 文号 of a decision being made on `case`, from the counter of its document kind and `year`.

    Call inside the transaction that records the decision: a refused decision rolls the counter back
    and uses no number."""
    kind = DECISION_DOCUMENT[decision_kind]
    return kinds.format_doc_no(case.township.name, kind, year, next_number(case.township, kind, year))


# The year and sequence at the end of a counter-made 文号: …〔2026〕第7号.
_NUMBER_TAIL = re.compile(r"〔(\d{4})〕第(\d+)号$")


def counter_number(doc_no: str) -> tuple[int, int] | None:
    """(year, seq) of a 文号 made by the documents counter; None for any other (e.g. an imported file's)."""
    m = _NUMBER_TAIL.search(doc_no or "")
    return (int(m.group(1)), int(m.group(2))) if m else None


def decision_number(case, kind: str) -> tuple[int, int, str] | None:
    """(year, seq, 文号) the document `kind` must carry because it is the case's decision, else None.

    Imported cases keep their file's numbers and their documents are numbered as any other; so are
    decisions recorded before decisions were numbered from the counter (no counter-made number)."""
    dec = case.decision
    if case.imported or not dec or DECISION_DOCUMENT.get(dec.get("kind")) != kind:
        return None
    parsed = counter_number(dec.get("doc_no", ""))
    return (*parsed, dec["doc_no"]) if parsed else None


def _reuse_decision_number(case, kind: str, year: int, seq: int, doc_no: str) -> None:
    """Refuse a second live document for one decision; lock the counter so two clerks regenerating
    a voided decision document at once are serialised (the partial unique constraint backs this)."""
    DocumentCounter.objects.select_for_update().filter(township=case.township, kind=kind, year=year).first()
    live = Document.objects.filter(
        township=case.township, kind=kind, year=year, seq=seq, voided_at__isnull=True
    ).exists()
    if live:
        raise DocumentError(
            f"本案的{kinds.get(kind).title}{doc_no}已生成；如需重新生成，请先作废原文书，新文书沿用该文号"
        )


def _year_of(ctx: dict) -> int:
    from zhifa.documents.textfmt import as_date

    day = as_date(ctx["issue_date"])
    assert day is not None
    return day.year


def generate(case, kind: str, user, extra: dict | None = None, today: dt.date | None = None) -> Document:
    """Generate, number and store document `kind` of `case` for `user` (DocumentError, PermissionDenied)."""
    try:
        kinds.get(kind)
    except ValueError as err:
        raise DocumentError(str(err)) from None
    if not can_generate(user, case):
        raise PermissionDenied("您无权为该案件生成法律文书")
    problems = forms.check_extra(extra or {})
    if problems:
        raise DocumentError("；".join(problems))
    # The case as stored: a caller's instance may predate the decision (do_decide saves its own copy),
    # and the decision's 文号 and content must come from the record.
    case = type(case).objects.select_related("township__county").get(pk=case.pk)
    ctx = context_for_case(case, kind, extra, today)
    try:
        year = _year_of(ctx)
    except ValueError as err:
        raise DocumentError(f"文书日期：{err}") from None
    reserved = decision_number(case, kind)
    written: list = []
    try:
        with transaction.atomic():
            if reserved is not None:
                year, seq, ctx["doc_no"] = reserved
                _reuse_decision_number(case, kind, year, seq, ctx["doc_no"])
            else:
                seq = next_number(case.township, kind, year)
                ctx["doc_no"] = kinds.format_doc_no(case.township.name, kind, year, seq)
            try:
                docx, pdf = render_both(kind, ctx)
            except ContextError as err:
                raise DocumentError(str(err)) from None
            doc = Document(
                case=case,
                township=case.township,
                kind=kind,
                title=title(kind, ctx),
                year=year,
                seq=seq,
                doc_no=ctx["doc_no"],
                docx_sha256=sha256(docx),
                pdf_sha256=sha256(pdf),
                content=_jsonable(ctx),
                generated_by=user,
            )
            stem = f"documents/{case.township.code}/{year}/{kind}-{seq:04d}-case{case.pk}"
            doc.docx_path = default_storage.save(f"{stem}.docx", ContentFile(docx))
            written.append(doc.docx_path)
            doc.pdf_path = default_storage.save(f"{stem}.pdf", ContentFile(pdf))
            written.append(doc.pdf_path)
            doc.save()
    except BaseException as err:
        # The transaction rolled back (the number is free again): remove the files it wrote.
        for name in written:
            default_storage.delete(name)
        if reserved is not None and isinstance(err, IntegrityError):
            # Another clerk regenerated this decision's document in the meantime.
            raise DocumentError(
                f"本案的{kinds.get(kind).title}{reserved[2]}已由他人同时生成，请刷新后查看"
            ) from None
        raise
    return doc


PREVIEW_DOC_NO = "（草稿，未编号）"


def preview(case, kind: str, user, extra: dict | None = None, today: dt.date | None = None) -> bytes:
    """The PDF the document would be, marked as a draft: no number is taken, nothing stored."""
    try:
        kinds.get(kind)
    except ValueError as err:
        raise DocumentError(str(err)) from None
    if not can_generate(user, case):
        raise PermissionDenied("您无权为该案件生成法律文书")
    problems = forms.check_extra(extra or {})
    if problems:
        raise DocumentError("；".join(problems))
    ctx = context_for_case(case, kind, extra, today)
    # A decision's document already has its number (taken when the decision was made); others not yet.
    reserved = decision_number(case, kind)
    ctx["doc_no"] = reserved[2] if reserved else PREVIEW_DOC_NO
    try:
        return render(kind, ctx, "pdf")
    except ContextError as err:
        raise DocumentError(str(err)) from None


def _jsonable(ctx: dict) -> dict:
    return json.loads(json.dumps(ctx, cls=DjangoJSONEncoder, ensure_ascii=False))


def read_file(doc: Document, fmt: str) -> bytes:
    """The stored DOCX or PDF, after checking it still has the SHA-256 recorded when it was generated."""
    if fmt not in ("docx", "pdf"):
        raise DocumentError(f"不支持的文书格式“{fmt}”，可用：docx、pdf")
    try:
        with default_storage.open(doc.path(fmt), "rb") as f:
            data = f.read()
    except FileNotFoundError:
        raise DocumentError(f"文书{doc.doc_no}的{fmt.upper()}文件缺失，请联系管理员") from None
    expected = doc.sha(fmt)
    if sha256(data) != expected:
        raise DocumentError(f"文书{doc.doc_no}的{fmt.upper()}文件与生成时的SHA-256不一致，可能已被改动")
    return data


@transaction.atomic
def void(doc: Document, user, reason: str) -> Document:
    """Void a document generated in error; the number stays used, with the reason on record.

    A decision's document regenerated afterwards carries the decision's number again (`generate`)."""
    doc = Document.objects.select_for_update().get(pk=doc.pk)
    cases = Document._meta.get_field("case").related_model.objects  # the case app's, by the FK
    may = user.can("documents.generate") and cases.restrict(user, "change").filter(pk=doc.case_id).exists()
    if not may:
        raise PermissionDenied("您无权作废该文书")
    reason = (reason or "").strip()
    if not reason:
        raise DocumentError("请填写作废理由")
    if len(reason) > 300:
        raise DocumentError("作废理由过长（最多300字）")
    if doc.voided:
        raise DocumentError(f"文书{doc.doc_no}已于{timezone.localtime(doc.voided_at):%Y-%m-%d %H:%M}作废")
    doc.voided_at = timezone.now()
    doc.voided_by = user
    doc.void_reason = reason
    doc.save(update_fields=["voided_at", "voided_by", "void_reason"])
    return doc


def can_edit_profile(user, township: Township) -> bool:
    """The township's administrator, or the county administrator, may set what documents print."""
    if not user.can("documents.settings"):
        return False
    if user.is_superuser:
        return True
    if user.township_id is not None:
        return user.township_id == township.pk
    return user.county_id == township.county_id


@transaction.atomic
def save_profile(user, township: Township, data: dict[str, str]) -> AgencyProfile:
    """Set the agency details printed on the township's documents (Chinese ValidationError if invalid)."""
    if not can_edit_profile(user, township):
        raise PermissionDenied("您无权修改该乡镇（街道）的文书落款信息")
    profile = AgencyProfile.objects.select_for_update().filter(township=township).first() or AgencyProfile(
        township=township
    )
    for field in AgencyProfile.CONTEXT_KEYS:
        setattr(profile, field, (data.get(field) or "").strip())
    profile.full_clean()
    profile.save()
    return profile
