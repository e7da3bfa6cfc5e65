"""Generated legal documents of a case and the per-township counters of their 文号."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone

from zhifa.documents import kinds
from zhifa.org.models import Township
from zhifa.org.scoping import Scope, ScopedQuerySet


class DocumentCounter(models.Model):
    """The last 文号 sequence number used by a township for one kind of document in one year.

    `services.next_number` locks this row (select_for_update) while it takes the next number and
    stores the document in the same transaction, so numbers have no gaps and no duplicates. The
    decision kinds' numbers are taken when the decision is recorded (`services.take_decision_number`)
    and their documents reuse them.
    """

    township = models.ForeignKey(Township, on_delete=models.PROTECT, related_name="document_counters")
    kind = models.CharField("文书种类", max_length=30, choices=kinds.CHOICES)
    year = models.PositiveSmallIntegerField("年度")
    last = models.PositiveIntegerField("已用最大序号", default=0)

    objects = ScopedQuerySet.as_manager()
    scope = Scope(county="township__county", township="township")

    class Meta:
        verbose_name = "文号计数器"
        constraints = [
            models.UniqueConstraint(fields=["township", "kind", "year"], name="documents_counter_unique")
        ]

    def __str__(self) -> str:
        return f"{self.township} {self.get_kind_display()} {self.year}: {self.last}"


class Document(models.Model):
    """One numbered legal document generated from a case: the DOCX and PDF as generated, with SHA-256."""

    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="documents")
    township = models.ForeignKey(Township, on_delete=models.PROTECT, related_name="documents")
    kind = models.CharField("文书种类", max_length=30, choices=kinds.CHOICES)
    title = models.CharField("文书名称", max_length=60)
    year = models.PositiveSmallIntegerField("年度")
    seq = models.PositiveIntegerField("序号")
    # Not unique on its own: two counties may each have a 城关镇; (township, kind, year, seq) is.
    doc_no = models.CharField("文号", max_length=80, db_index=True)
    # Paths in the default storage (MEDIA_ROOT), ASCII; the Chinese name is given at download time.
    # Plain paths rather than FileFields: the audit log snapshots columns as JSON.
    docx_path = models.CharField("DOCX存储路径", max_length=300)
    pdf_path = models.CharField("PDF存储路径", max_length=300)
    docx_sha256 = models.CharField("DOCX的SHA-256", max_length=64)
    pdf_sha256 = models.CharField("PDF的SHA-256", max_length=64)
    # The context the files were rendered from, so a document can be explained later.
    content = models.JSONField("生成内容", default=dict)
    generated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="documents_generated"
    )
    generated_at = models.DateTimeField("生成时间", default=timezone.now)
    # A wrong document is voided, never deleted or renumbered: its 文号 stays accounted for.
    voided_at = models.DateTimeField("作废时间", null=True, blank=True)
    voided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="documents_voided",
    )
    void_reason = models.CharField("作废理由", max_length=300, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope = Scope(county="township__county", township="township")

    class Meta:
        ordering = ["-generated_at", "-id"]
        verbose_name = "法律文书"
        constraints = [
            # One live document per number. A voided document keeps its number: a decision's
            # document regenerated after voiding carries the decision's number again (services).
            models.UniqueConstraint(
                fields=["township", "kind", "year", "seq"],
                condition=models.Q(voided_at__isnull=True),
                name="documents_live_number_unique",
            )
        ]

    def __str__(self) -> str:
        return f"{self.title} {self.doc_no}"

    def get_absolute_url(self) -> str:
        return reverse("web:documents:case", args=[self.case_id]) + f"#doc-{self.pk}"

    @property
    def voided(self) -> bool:
        return self.voided_at is not None

    def path(self, fmt: str) -> str:
        return self.docx_path if fmt == "docx" else self.pdf_path

    def sha(self, fmt: str) -> str:
        return self.docx_sha256 if fmt == "docx" else self.pdf_sha256

    def filename(self, fmt: str) -> str:
        """The download name: 行政处罚决定书（东城综执罚决字〔2026〕第7号）.pdf"""
        return f"{self.title}（{self.doc_no}）.{fmt}"


class AgencyProfile(models.Model):
    """What a township's documents print about the agency itself: name, address, phone, where fines are
    paid, and the remedy bodies when they differ from the county government and the county court."""

    township = models.OneToOneField(Township, on_delete=models.CASCADE, related_name="agency_profile")
    agency_name = models.CharField(
        "执法机关名称",
        max_length=100,
        blank=True,
        help_text="留空：乡、镇为“××人民政府”，街道为“××街道办事处”",
    )
    address = models.CharField("地址", max_length=200, blank=True)
    phone = models.CharField("联系电话", max_length=40, blank=True)
    contact = models.CharField("联系人", max_length=50, blank=True)
    payment_place = models.CharField(
        "罚款缴纳银行或方式",
        max_length=200,
        blank=True,
        help_text="如：××银行××支行（代收罚款）或非税收入缴款平台",
    )
    reconsideration_body = models.CharField(
        "行政复议机关",
        max_length=100,
        blank=True,
        help_text="留空：县（区）人民政府（《行政复议法》第二十四条）",
    )
    court = models.CharField("管辖人民法院", max_length=100, blank=True, help_text="留空：县（区）人民法院")
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    objects = ScopedQuerySet.as_manager()
    scope = Scope(county="township__county", township="township")

    class Meta:
        verbose_name = "文书落款信息"

    def __str__(self) -> str:
        return f"{self.township} 文书落款信息"

    # Context keys of zhifa.documents.context, for the fields that are filled in.
    CONTEXT_KEYS = {
        "agency_name": "agency_name",
        "address": "agency_address",
        "phone": "agency_phone",
        "contact": "agency_contact",
        "payment_place": "payment_place",
        "reconsideration_body": "reconsideration_body",
        "court": "court",
    }

    def context(self) -> dict[str, str]:
        return {
            key: getattr(self, f).strip() for f, key in self.CONTEXT_KEYS.items() if getattr(self, f).strip()
        }
