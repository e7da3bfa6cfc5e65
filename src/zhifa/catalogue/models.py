"""The enforcement-item catalogue (一张清单明权责).

`Item` is the county's master list of offered items (部门列单), edited by the county
administrator and revocable (收回). Each township picks items into a versioned catalogue
(`CatalogueVersion`, 乡镇点单): a draft is edited, then published with an effective date;
its `Entry` rows snapshot the item's fields at publication and never change again.
A version is superseded by the next published version of the same township (derived, not
stored, so that a published row is never written again). Entrustments (委托) give a township
an entrusted item for a term; discretion tiers (裁量基准) give fine ranges; usage counts feed
the evaluation (评估) of empowered items.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from zhifa.org.models import County, Department, Township
from zhifa.org.scoping import Scope, ScopedQuerySet

PENALTY, COERCIVE, INSPECTION = "penalty", "coercive", "inspection"
ACTION_TYPE_CHOICES = [(PENALTY, "行政处罚"), (COERCIVE, "行政强制"), (INSPECTION, "行政检查")]
STATUTORY, EMPOWERED, ENTRUSTED = "statutory", "empowered", "entrusted"
SOURCE_CHOICES = [(STATUTORY, "法定"), (EMPOWERED, "赋权"), (ENTRUSTED, "委托")]
MINOR, GENERAL, SERIOUS, SEVERE = "minor", "general", "serious", "severe"
TIER_CHOICES = [(MINOR, "轻微"), (GENERAL, "一般"), (SERIOUS, "较重"), (SEVERE, "严重")]

ACTION_TYPE_LABELS = dict(ACTION_TYPE_CHOICES)
SOURCE_LABELS = dict(SOURCE_CHOICES)
TIER_LABELS = dict(TIER_CHOICES)
TIER_ORDER = {code: i for i, (code, _) in enumerate(TIER_CHOICES)}

# The item fields an entry snapshots; the comparison of versions is field by field over these.
SNAPSHOT_FIELDS: list[tuple[str, str]] = [
    ("name", "事项名称"),
    ("action_type", "事项类型"),
    ("source", "来源"),
    ("domain", "领域"),
    ("department_code", "实施部门"),
    ("legal_basis", "法律依据"),
    ("violation", "违法行为"),
    ("penalty", "法定处罚"),
]


class PublishedVersionError(ValidationError):
    """Raised on any attempt to change or delete a published version or its entries."""


class Item(models.Model):
    """One enforcement power offered by a county department (执法事项)."""

    county = models.ForeignKey(County, on_delete=models.PROTECT, related_name="catalogue_items")
    code = models.CharField("事项编码", max_length=30)
    name = models.CharField("事项名称", max_length=300)
    action_type = models.CharField("事项类型", max_length=12, choices=ACTION_TYPE_CHOICES)
    source = models.CharField("来源", max_length=12, choices=SOURCE_CHOICES)
    domain = models.CharField("领域", max_length=50, blank=True)
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="catalogue_items")
    legal_basis = models.TextField("法律依据")
    violation = models.TextField("违法行为", blank=True)
    penalty = models.TextField("法定处罚", blank=True)
    # The fine range of the legal basis (法定罚款幅度), yuan; None = not recorded. A fine above
    # the maximum is refused whatever reason is given (docs/case-gate.md, PEN-STATUTORY-MAX).
    fine_statutory_min = models.DecimalField(
        "法定罚款下限（元）", max_digits=14, decimal_places=2, null=True, blank=True
    )
    fine_statutory_max = models.DecimalField(
        "法定罚款上限（元）", max_digits=14, decimal_places=2, null=True, blank=True
    )
    revoked_on = models.DateField("收回日期", null=True, blank=True)
    revoke_reason = models.TextField("收回理由", blank=True)

    objects = ScopedQuerySet.as_manager()
    scope = Scope(county="county", department="department", public_read=True)

    class Meta:
        ordering = ["code"]
        verbose_name = "执法事项"
        constraints = [models.UniqueConstraint(fields=["county", "code"], name="catalogue_item_code")]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def department_code(self) -> str:
        return self.department.code

    def is_revoked(self, on) -> bool:
        return self.revoked_on is not None and self.revoked_on <= on

    def snapshot_values(self) -> dict[str, str]:
        return {
            "name": self.name,
            "action_type": self.action_type,
            "source": self.source,
            "domain": self.domain,
            "department_code": self.department.code,
            "department_name": self.department.name,
            "legal_basis": self.legal_basis,
            "violation": self.violation,
            "penalty": self.penalty,
        }


class VersionQuerySet(ScopedQuerySet):
    def _refuse_published(self, what: str) -> None:
        if self.filter(status=CatalogueVersion.PUBLISHED).exists():
            raise PublishedVersionError(f"已发布的清单版本不可{what}。")

    def update(self, **kwargs):
        self._refuse_published("修改")
        return super().update(**kwargs)

    def delete(self):
        self._refuse_published("删除")
        return super().delete()


class CatalogueVersion(models.Model):
    """A township's catalogue: draft → published (immutable, with effective date) → superseded."""

    DRAFT, PUBLISHED = "draft", "published"
    STATUS_CHOICES = [(DRAFT, "草稿"), (PUBLISHED, "已发布")]

    township = models.ForeignKey(Township, on_delete=models.PROTECT, related_name="catalogue_versions")
    number = models.PositiveIntegerField("版本号")
    status = models.CharField("状态", max_length=10, choices=STATUS_CHOICES, default=DRAFT)
    effective_date = models.DateField("生效日期", null=True, blank=True)
    published_at = models.DateTimeField("发布时间", null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    published_by_name = models.CharField("发布人", max_length=150, blank=True)
    note = models.CharField("说明", max_length=300, blank=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    # Counts the changes of a draft (pick, unpick, publish): a page or API client sends back the
    # revision it saw, and a change made from an older one is refused (someone changed it first).
    revision = models.PositiveIntegerField("修改次数", default=0)

    objects = VersionQuerySet.as_manager()
    scope = Scope(county="township__county", township="township")

    class Meta:
        ordering = ["township__code", "-number"]
        verbose_name = "清单版本"
        constraints = [
            models.UniqueConstraint(fields=["township", "number"], name="catalogue_version_number"),
        ]

    def __str__(self) -> str:
        return f"{self.township.name}执法事项清单第{self.number}版"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            stored = type(self).objects.filter(pk=self.pk).values_list("status", flat=True).first()
            if stored == self.PUBLISHED:
                raise PublishedVersionError("已发布的清单版本不可修改。")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        stored = type(self).objects.filter(pk=self.pk).values_list("status", flat=True).first()
        if stored == self.PUBLISHED:
            raise PublishedVersionError("已发布的清单版本不可删除。")
        return super().delete(*args, **kwargs)

    @property
    def is_published(self) -> bool:
        return self.status == self.PUBLISHED


class EntryQuerySet(ScopedQuerySet):
    def _refuse_published(self, what: str) -> None:
        if self.filter(version__status=CatalogueVersion.PUBLISHED).exists():
            raise PublishedVersionError(f"已发布清单版本中的事项不可{what}。")

    def update(self, **kwargs):
        self._refuse_published("修改")
        return super().update(**kwargs)

    def delete(self):
        self._refuse_published("删除")
        return super().delete()


class Entry(models.Model):
    """An item held in a version, with the item's fields as they were at publication."""

    version = models.ForeignKey(CatalogueVersion, on_delete=models.CASCADE, related_name="entries")
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="entries")
    code = models.CharField("事项编码", max_length=30)
    name = models.CharField("事项名称", max_length=300)
    action_type = models.CharField("事项类型", max_length=12, choices=ACTION_TYPE_CHOICES)
    source = models.CharField("来源", max_length=12, choices=SOURCE_CHOICES)
    domain = models.CharField("领域", max_length=50, blank=True)
    department_code = models.CharField("实施部门代码", max_length=20)
    department_name = models.CharField("实施部门", max_length=100, blank=True)
    legal_basis = models.TextField("法律依据")
    violation = models.TextField("违法行为", blank=True)
    penalty = models.TextField("法定处罚", blank=True)

    objects = EntryQuerySet.as_manager()
    scope = Scope(county="version__township__county", township="version__township")

    class Meta:
        ordering = ["code"]
        verbose_name = "清单事项"
        constraints = [models.UniqueConstraint(fields=["version", "item"], name="catalogue_entry_item")]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    def save(self, *args, **kwargs):
        if self._version_published():
            raise PublishedVersionError("已发布清单版本中的事项不可修改。")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if self._version_published():
            raise PublishedVersionError("已发布清单版本中的事项不可删除。")
        return super().delete(*args, **kwargs)

    def _version_published(self) -> bool:
        return CatalogueVersion.objects.filter(pk=self.version_id, status=CatalogueVersion.PUBLISHED).exists()

    def fill_from(self, item: Item) -> None:
        self.item = item
        self.code = item.code
        for key, value in item.snapshot_values().items():
            setattr(self, key, value)

    def get_source_label(self) -> str:
        return SOURCE_LABELS.get(self.source, self.source)


class Entrustment(models.Model):
    """A written entrustment (委托书): a department entrusts a township with items for a term."""

    county = models.ForeignKey(County, on_delete=models.PROTECT, related_name="entrustments")
    doc_no = models.CharField("委托书文号", max_length=80)
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="entrustments")
    township = models.ForeignKey(Township, on_delete=models.PROTECT, related_name="entrustments")
    items = models.ManyToManyField(Item, through="EntrustmentItem", related_name="entrustments")
    valid_from = models.DateField("有效期自")
    valid_to = models.DateField("有效期至（含）")
    # Ended early (提前终止): the entrustment covers no day from `ended_on` on.
    ended_on = models.DateField("提前终止日期", null=True, blank=True)
    end_reason = models.TextField("终止理由", blank=True)
    # Counts the changes (edit, early end): a stale edit form is refused, not silently applied.
    revision = models.PositiveIntegerField("修改次数", default=0)

    objects = ScopedQuerySet.as_manager()
    scope = Scope(county="county", township="township", department="department")

    class Meta:
        ordering = ["valid_to", "doc_no"]
        verbose_name = "委托书"
        constraints = [models.UniqueConstraint(fields=["county", "doc_no"], name="catalogue_entrustment_doc")]

    def __str__(self) -> str:
        return self.doc_no

    @property
    def last_day(self):
        """The last day covered: the end of the term, or the day before an early end."""
        if self.ended_on is not None:
            return min(self.valid_to, self.ended_on - dt.timedelta(days=1))
        return self.valid_to

    def is_ended(self, on) -> bool:
        return self.ended_on is not None and self.ended_on <= on

    def covers(self, on) -> bool:
        return self.valid_from <= on <= self.last_day


class EntrustmentItem(models.Model):
    entrustment = models.ForeignKey(Entrustment, on_delete=models.CASCADE, related_name="item_links")
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="entrustment_links")

    objects = ScopedQuerySet.as_manager()
    scope = Scope(
        county="entrustment__county", township="entrustment__township", department="entrustment__department"
    )

    class Meta:
        verbose_name = "委托事项"
        constraints = [
            models.UniqueConstraint(fields=["entrustment", "item"], name="catalogue_entrustment_item")
        ]

    def __str__(self) -> str:
        return f"{self.entrustment_id}:{self.item_id}"


class DiscretionTier(models.Model):
    """One tier of a penalty item's discretion benchmark (裁量基准)."""

    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="tiers")
    tier = models.CharField("裁量阶次", max_length=10, choices=TIER_CHOICES)
    condition = models.TextField("适用情形")
    fine_min = models.DecimalField("罚款下限（元）", max_digits=14, decimal_places=2, null=True, blank=True)
    fine_max = models.DecimalField("罚款上限（元）", max_digits=14, decimal_places=2, null=True, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope = Scope(county="item__county", department="item__department", public_read=True)

    class Meta:
        verbose_name = "裁量基准"
        constraints = [models.UniqueConstraint(fields=["item", "tier"], name="catalogue_tier")]

    def __str__(self) -> str:
        return f"{self.item_id} {self.get_tier_display()}"

    @property
    def order(self) -> int:
        return TIER_ORDER.get(self.tier, 9)


class UsageCount(models.Model):
    """How often a township used an item in a month (调用次数), input to evaluation.

    Counters are derived from audited case actions; an audit entry per increment would be
    noise, so this table is exempt from the audit signals.
    """

    audit_exempt = True

    township = models.ForeignKey(Township, on_delete=models.CASCADE, related_name="usage_counts")
    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="usage_counts")
    month = models.DateField("月份（月初）")
    count = models.PositiveIntegerField("次数", default=0)

    objects = ScopedQuerySet.as_manager()
    scope = Scope(county="township__county", township="township", department="item__department")

    class Meta:
        verbose_name = "调用次数"
        constraints = [models.UniqueConstraint(fields=["township", "item", "month"], name="catalogue_usage")]

    def __str__(self) -> str:
        return f"{self.township_id}:{self.item_id}:{self.month:%Y-%m}={self.count}"
