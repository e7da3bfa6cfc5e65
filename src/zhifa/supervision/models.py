"""Supervision of township enforcement: letters with reply deadlines, citizen supervisors' observations."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from zhifa.org.models import County, Township
from zhifa.org.scoping import Scope, ScopedQuerySet


class Letter(models.Model):
    """A supervision letter (监督建议书), rectification letter (整改建议书) or procuratorial
    recommendation (检察建议) addressed to a township, tracked until it is answered and adopted."""

    SUPERVISION = "supervision"
    RECTIFICATION = "rectification"
    PROCURATORIAL = "procuratorial"
    KIND_CHOICES = [
        (SUPERVISION, "监督建议书"),
        (RECTIFICATION, "整改建议书"),
        (PROCURATORIAL, "检察建议"),
    ]
    ISSUED, ANSWERED, ADOPTED, PARTLY, REJECTED = "issued", "answered", "adopted", "partly", "rejected"
    STATUS_CHOICES = [
        (ISSUED, "待答复"),
        (ANSWERED, "已答复待评定"),
        (ADOPTED, "已采纳"),
        (PARTLY, "部分采纳"),
        (REJECTED, "未采纳"),
    ]

    county = models.ForeignKey(County, on_delete=models.PROTECT, related_name="letters")
    township = models.ForeignKey(Township, on_delete=models.PROTECT, related_name="letters")
    kind = models.CharField("类型", max_length=20, choices=KIND_CHOICES)
    doc_no = models.CharField("文号", max_length=60, unique=True)
    subject = models.CharField("事由", max_length=200)
    body = models.TextField("问题与建议")
    case_ref = models.CharField("涉及案件", max_length=40, blank=True)
    issued_on = models.DateField("发出日期")
    reply_due = models.DateField("答复期限")
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="letters_issued"
    )
    status = models.CharField("状态", max_length=10, choices=STATUS_CHOICES, default=ISSUED)
    reply = models.TextField("答复内容", blank=True)
    replied_on = models.DateField("答复日期", null=True, blank=True)
    replied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="letters_replied",
    )
    assessment = models.TextField("评定意见", blank=True)
    assessed_on = models.DateField("评定日期", null=True, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope = Scope(
        county="county", township="township", county_writers=frozenset({"supervisor", "procurator"})
    )

    class Meta:
        ordering = ["-issued_on", "-id"]
        verbose_name = "监督文书"

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.doc_no}"

    @property
    def closed(self) -> bool:
        return self.status in (self.ADOPTED, self.PARTLY, self.REJECTED)


class CitizenSupervisor(models.Model):
    """执法监督员: a citizen appointed to observe enforcement, who files observations by link."""

    county = models.ForeignKey(County, on_delete=models.PROTECT, related_name="citizen_supervisors")
    name = models.CharField("姓名", max_length=50)
    phone = models.CharField("电话", max_length=30, blank=True)
    organisation = models.CharField("单位/身份", max_length=100, blank=True)
    token = models.CharField(max_length=40, unique=True)
    active = models.BooleanField("在任", default=True)
    appointed_on = models.DateField("聘任日期")

    objects = ScopedQuerySet.as_manager()
    scope = Scope(county="county", county_writers=frozenset({"supervisor"}))

    class Meta:
        ordering = ["name"]
        verbose_name = "执法监督员"

    def __str__(self) -> str:
        return self.name


class Observation(models.Model):
    """An observation filed by a citizen supervisor about a township's enforcement."""

    supervisor = models.ForeignKey(CitizenSupervisor, on_delete=models.PROTECT, related_name="observations")
    township = models.ForeignKey(Township, on_delete=models.PROTECT, related_name="observations")
    observed_on = models.DateField("发现日期")
    place = models.CharField("地点", max_length=200, blank=True)
    content = models.TextField("监督意见")
    filed_at = models.DateTimeField("提交时间", auto_now_add=True)
    handled = models.BooleanField("已处理", default=False)
    handling_note = models.TextField("处理情况", blank=True)

    objects = ScopedQuerySet.as_manager()
    scope = Scope(county="township__county", township="township", county_writers=frozenset({"supervisor"}))

    class Meta:
        ordering = ["-filed_at"]
        verbose_name = "监督意见"

    def __str__(self) -> str:
        return f"{self.supervisor} {self.observed_on}"
