"""Written entrustments (委托书) of entrusted items to a township for a term.

Reading: `expiring_entrustments` (the renewal warning), `entrustment_state`,
`entrustments_by_item` and `entrustment_history` (the audit log in words). Changing, by the county
administrator: `create_entrustment` (a renewal is a new document), `update_entrustment` and
`end_entrustment` (提前终止); each locks the row, checks the revision seen and runs in one
transaction.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from zhifa.catalogue.actions.common import _require, check_revision
from zhifa.catalogue.models import ENTRUSTED, Entrustment, EntrustmentItem, Item
from zhifa.org.models import County, Department, Township

EXPIRY_WARNING_DAYS = 60


def expiring_entrustments(qs=None, today: dt.date | None = None, days: int = EXPIRY_WARNING_DAYS):
    """Entrustments still valid today whose term ends within `days` days (inclusive)."""
    today = today or timezone.localdate()
    qs = Entrustment.objects.all() if qs is None else qs
    # An entrustment ended early was ended on purpose: no renewal warning for it.
    return qs.filter(
        valid_from__lte=today,
        valid_to__gte=today,
        valid_to__lte=today + dt.timedelta(days=days),
        ended_on__isnull=True,
    )


def entrustment_state(e: Entrustment, today: dt.date | None = None) -> str:
    today = today or timezone.localdate()
    if e.ended_on is not None and e.ended_on <= e.valid_to:
        return "已终止" if e.ended_on <= today else "即将终止"
    if e.valid_to < today:
        return "已过期"
    if e.valid_from > today:
        return "未生效"
    if e.valid_to <= today + dt.timedelta(days=EXPIRY_WARNING_DAYS):
        return "即将到期"
    return "有效"


def entrustments_by_item(
    township: Township, today: dt.date | None = None
) -> dict[int, tuple[Entrustment, str]]:
    """For each item entrusted to `township`: the entrustment that matters today and its state.

    The one covering today with the latest end; otherwise the one that ended last (or starts first).
    """
    today = today or timezone.localdate()
    best: dict[int, Entrustment] = {}

    def rank(e: Entrustment) -> tuple:
        return (e.covers(today), e.valid_to)

    for e in Entrustment.objects.filter(township=township).prefetch_related("item_links"):
        for link in e.item_links.all():
            cur = best.get(link.item_id)
            if cur is None or rank(e) > rank(cur):
                best[link.item_id] = e
    return {item_id: (e, entrustment_state(e, today)) for item_id, e in best.items()}


@transaction.atomic
def create_entrustment(
    user,
    county: County,
    *,
    doc_no: str,
    department_code: str,
    township_code: str,
    item_codes: list[str],
    valid_from: dt.date | None,
    valid_to: dt.date | None,
) -> Entrustment:
    """Record a written entrustment (委托书) of entrusted items to a township for a term.

    A renewal is a new document with a new term; the old one stays as history.
    """
    _require(user, "catalogue.manage_entrustments", "只有县级系统管理员可以登记委托书。")

    errors: dict[str, list[str]] = {}

    def err(field_name: str, message: str) -> None:
        errors.setdefault(field_name, []).append(message)

    doc_no = (doc_no or "").strip()
    if not doc_no:
        err("doc_no", "委托书文号：不能为空")
    elif len(doc_no) > 80:
        err("doc_no", "委托书文号：长度不能超过80个字符")
    elif Entrustment.objects.filter(county=county, doc_no=doc_no).exists():
        err("doc_no", f"委托书文号：{doc_no}已登记")
    department = Department.objects.filter(county=county, code=department_code).first()
    if department is None:
        err("department", "委托部门：请选择本县的部门")
    township = Township.objects.filter(county=county, code=township_code).first()
    if township is None:
        err("township", "受委托乡镇（街道）：请选择本县的乡镇（街道）")
    if valid_from is None:
        err("valid_from", "有效期自：请填写日期（YYYY-MM-DD）")
    if valid_to is None:
        err("valid_to", "有效期至：请填写日期（YYYY-MM-DD）")
    if valid_from and valid_to and valid_to < valid_from:
        err("valid_to", "有效期至：不能早于有效期起始日期")
    codes, items = _check_items(county, department, item_codes, err)
    if errors:
        raise ValidationError(errors)
    e = Entrustment.objects.create(
        county=county,
        doc_no=doc_no,
        department=department,
        township=township,
        valid_from=valid_from,
        valid_to=valid_to,
    )
    for code in codes:
        EntrustmentItem.objects.create(entrustment=e, item=items[code])
    return e


def _check_items(county: County, department, codes: list[str], err) -> tuple[list[str], dict[str, Item]]:
    """The chosen entrusted items of `department`; every problem goes to `err("items", …)`."""
    codes = sorted({c.strip() for c in codes if c and c.strip()})
    items = {i.code: i for i in Item.objects.filter(county=county, code__in=codes)}
    if not codes:
        err("items", "委托事项：请至少选择一项")
    for code in codes:
        it = items.get(code)
        if it is None:
            err("items", f"委托事项：{code}不存在")
        elif it.source != ENTRUSTED:
            err("items", f"委托事项：{code}不是委托事项")
        elif department is not None and it.department_id != department.pk:
            err("items", f"委托事项：{code}的实施部门不是{department.name}")
    return codes, items


def _changeable_entrustment(user, entrustment_id: int) -> Entrustment:
    qs = Entrustment.objects.restrict(user, "change") if user is not None else Entrustment.objects.all()
    return qs.select_for_update().select_related("department", "township", "county").get(pk=entrustment_id)


def _refuse_closed(e: Entrustment, today: dt.date, what: str) -> None:
    if e.ended_on is not None:
        raise ValidationError(f"委托书{e.doc_no}已提前终止（自{e.ended_on:%Y-%m-%d}起），不能再{what}。")
    if e.valid_to < today:
        raise ValidationError(
            f"委托书{e.doc_no}已于{e.valid_to:%Y-%m-%d}到期，不能再{what}；请以新文号续签。"
        )


@transaction.atomic
def update_entrustment(
    user,
    entrustment_id: int,
    *,
    doc_no: str,
    item_codes: list[str],
    valid_from: dt.date | None,
    valid_to: dt.date | None,
    today: dt.date | None = None,
    expected_revision: int | str | None = None,
) -> Entrustment:
    """Correct a current or future entrustment: its document number, term and items.

    Department and township stay (another party is another document). An expired or ended
    entrustment is history and stays as it was; so does the part of a term already past, which
    is why the new end may not lie before today.
    """
    _require(user, "catalogue.manage_entrustments", "只有县级系统管理员可以修改委托书。")

    today = today or timezone.localdate()
    e = _changeable_entrustment(user, entrustment_id)
    check_revision(e, expected_revision, f"委托书{e.doc_no}")
    _refuse_closed(e, today, "修改")
    errors: dict[str, list[str]] = {}

    def err(field_name: str, message: str) -> None:
        errors.setdefault(field_name, []).append(message)

    doc_no = (doc_no or "").strip()
    if not doc_no:
        err("doc_no", "委托书文号：不能为空")
    elif len(doc_no) > 80:
        err("doc_no", "委托书文号：长度不能超过80个字符")
    elif Entrustment.objects.filter(county=e.county, doc_no=doc_no).exclude(pk=e.pk).exists():
        err("doc_no", f"委托书文号：{doc_no}已登记")
    if valid_from is None:
        err("valid_from", "有效期自：请填写日期（YYYY-MM-DD）")
    if valid_to is None:
        err("valid_to", "有效期至：请填写日期（YYYY-MM-DD）")
    if valid_from and valid_to and valid_to < valid_from:
        err("valid_to", "有效期至：不能早于有效期起始日期")
    elif valid_to and valid_to < today:
        err("valid_to", f"有效期至：不能早于今天（{today:%Y-%m-%d}）；要提前结束委托请使用“提前终止”")
    codes, items = _check_items(e.county, e.department, item_codes, err)
    if errors:
        raise ValidationError(errors)
    e.doc_no, e.valid_from, e.valid_to = doc_no, valid_from, valid_to
    e.revision += 1
    e.save()
    # Link rows are saved and deleted one by one so that each change of items is audited.
    current = {link.item.code: link for link in e.item_links.select_related("item")}
    for code in sorted(current.keys() - set(codes)):
        current[code].delete()
    for code in codes:
        if code not in current:
            EntrustmentItem.objects.create(entrustment=e, item=items[code])
    return e


@transaction.atomic
def end_entrustment(
    user,
    entrustment_id: int,
    on: dt.date | None,
    reason: str,
    today: dt.date | None = None,
    expected_revision: int | str | None = None,
) -> Entrustment:
    """End an entrustment early (提前终止): from `on` it covers nothing; the reason is kept.

    `on` may not lie before today: acts already done under the entrustment keep their footing.
    """
    _require(user, "catalogue.manage_entrustments", "只有县级系统管理员可以终止委托书。")
    today = today or timezone.localdate()
    e = _changeable_entrustment(user, entrustment_id)
    check_revision(e, expected_revision, f"委托书{e.doc_no}")
    _refuse_closed(e, today, "终止")
    errors: dict[str, list[str]] = {}
    reason = (reason or "").strip()
    if not reason:
        errors["end_reason"] = ["终止理由：不能为空"]
    if not isinstance(on, dt.date):
        errors["ended_on"] = ["终止日期：请填写日期（YYYY-MM-DD）"]
    elif on < today:
        errors["ended_on"] = [f"终止日期：不能早于今天（{today:%Y-%m-%d}），已经过去的委托期间不能追溯终止"]
    elif on > e.valid_to:
        errors["ended_on"] = [
            f"终止日期：晚于有效期届满日{e.valid_to:%Y-%m-%d}，委托到期自然终止，无需提前终止"
        ]
    if errors:
        raise ValidationError(errors)
    e.ended_on, e.end_reason = on, reason
    e.revision += 1
    e.save()
    return e


@dataclass
class HistoryRow:
    at: dt.datetime
    actor: str
    what: str
    details: list[str]


ENTRUSTMENT_LABELS = {
    "doc_no": "委托书文号",
    "valid_from": "有效期自",
    "valid_to": "有效期至",
    "ended_on": "提前终止日期",
    "end_reason": "终止理由",
    "department_id": "委托部门",
    "township_id": "受委托乡镇（街道）",
}


def entrustment_history(e: Entrustment) -> list[HistoryRow]:
    """The audit log's entries for an entrustment and its item links, oldest first, in words."""
    from zhifa.core.models import AuditEntry

    pk = str(e.pk)
    entries = AuditEntry.objects.filter(
        Q(model="catalogue.Entrustment", object_id=pk)
        | Q(model="catalogue.EntrustmentItem", after__entrustment_id=e.pk)
        | Q(model="catalogue.EntrustmentItem", before__entrustment_id=e.pk)
    ).order_by("id")
    entries = list(entries)
    item_ids = {
        (x.after or x.before or {}).get("item_id") for x in entries if x.model == "catalogue.EntrustmentItem"
    }
    codes = dict(Item.objects.filter(pk__in=[i for i in item_ids if i]).values_list("pk", "code"))
    rows = []
    for x in entries:
        if x.model == "catalogue.EntrustmentItem":
            code = codes.get((x.after or x.before or {}).get("item_id"), "?")
            what = {"create": f"加入委托事项{code}", "delete": f"移出委托事项{code}"}.get(
                x.action, f"变更委托事项{code}"
            )
            rows.append(HistoryRow(x.at, x.actor, what, []))
            continue
        before, after = x.before or {}, x.after or {}
        if x.action == "create":
            rows.append(
                HistoryRow(
                    x.at,
                    x.actor,
                    "登记委托书",
                    [f"文号{after.get('doc_no')}，有效期{after.get('valid_from')}至{after.get('valid_to')}"],
                )
            )
            continue
        details = [
            f"{label}：{before.get(k) or '（空）'} → {after.get(k) or '（空）'}"
            for k, label in ENTRUSTMENT_LABELS.items()
            if before.get(k) != after.get(k)
        ]
        what = "提前终止" if after.get("ended_on") and not before.get("ended_on") else "修改委托书"
        if x.action == "delete":
            what = "删除委托书"
        rows.append(HistoryRow(x.at, x.actor, what, details + ([x.reason] if x.reason else [])))
    return rows
