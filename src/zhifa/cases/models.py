"""The township enforcement team (officers, squads, training) and its cases.

A case is stored the way the exchange format `zhifa.casefile/1` describes it: a header
(`Case`), the people named in it (`CaseOfficer`, a snapshot of name and certificate when they
acted) and the dated timeline (`CaseEvent`). `zhifa.cases.services.to_casefile(case)` builds the
exchange dict from these rows, so the same review rules (`zhifa.rules.review`) check live cases
and imported files.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models

from zhifa.org.models import Department, Township
from zhifa.org.scoping import Scope, ScopedQuerySet
from zhifa.rules import procedure as P

# ---- the team ---------------------------------------------------------------------------------


class Squad(models.Model):
    """中队: a squad of the township team, by domain."""

    township = models.ForeignKey(Township, on_delete=models.PROTECT, related_name="squads")
    name = models.CharField("名称", max_length=100)
    domain = models.CharField("领域", max_length=50, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope = Scope(county="township__county", township="township")

    class Meta:
        ordering = ["township__code", "name"]
        verbose_name = "执法中队"
        constraints = [models.UniqueConstraint(fields=["township", "name"], name="cases_squad_unique_name")]

    def __str__(self) -> str:
        return self.name


class Officer(models.Model):
    """The enforcement profile of an account: certificate, kind, squad, home department."""

    OFFICER = "officer"
    AUXILIARY = "auxiliary"
    SECONDED = "seconded"
    KIND_CHOICES = [(OFFICER, "执法人员"), (AUXILIARY, "辅助人员"), (SECONDED, "派驻执法人员")]

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="officer")
    township = models.ForeignKey(Township, on_delete=models.PROTECT, related_name="officers")
    kind = models.CharField("人员类别", max_length=12, choices=KIND_CHOICES, default=OFFICER)
    cert_no = models.CharField("执法证号", max_length=40, blank=True)
    cert_valid_from = models.DateField("证件有效期自", null=True, blank=True)
    cert_valid_to = models.DateField("证件有效期至", null=True, blank=True)
    # Seconded officers stay staff of their department (dual management, 双重管理).
    home_department = models.ForeignKey(
        Department, on_delete=models.PROTECT, null=True, blank=True, related_name="seconded_officers"
    )
    squad = models.ForeignKey(Squad, on_delete=models.SET_NULL, null=True, blank=True, related_name="members")
    active = models.BooleanField("在岗", default=True)

    objects = ScopedQuerySet.as_manager()
    scope = Scope(county="township__county", township="township", department="home_department")

    class Meta:
        ordering = ["township__code", "user__username"]
        verbose_name = "执法队员"

    def __str__(self) -> str:
        return self.user.display_name

    def cert_valid_on(self, day: dt.date) -> bool:
        return P.cert_valid_on(
            self.kind == self.AUXILIARY, self.cert_no, self.cert_valid_from, self.cert_valid_to, day
        )


class Training(models.Model):
    officer = models.ForeignKey(Officer, on_delete=models.CASCADE, related_name="trainings")
    date = models.DateField("日期")
    title = models.CharField("培训内容", max_length=200)
    hours = models.DecimalField("学时", max_digits=5, decimal_places=1)

    objects = ScopedQuerySet.as_manager()
    scope = Scope(county="officer__township__county", township="officer__township")

    class Meta:
        ordering = ["-date"]
        verbose_name = "培训记录"

    def __str__(self) -> str:
        return f"{self.date} {self.title}"


# ---- cases ------------------------------------------------------------------------------------


class Case(models.Model):
    # The procedures and statuses are those of the procedure table (`zhifa.rules.procedure`).
    PROCEDURE_CHOICES = list(P.PROCEDURE_LABELS.items())
    OPEN, FILED, DECIDED, ENFORCING, CLOSED, TRANSFERRED = (
        P.OPEN,
        P.FILED,
        P.DECIDED,
        P.ENFORCING,
        P.CLOSED,
        P.TRANSFERRED,
    )
    STATUS_CHOICES = list(P.STATUS_LABELS.items())

    number = models.CharField("案件编号", max_length=40, unique=True)
    township = models.ForeignKey(Township, on_delete=models.PROTECT, related_name="cases")
    item_code = models.CharField("执法事项编码", max_length=30)
    # None = the optional field is absent from the case file (kept so a round trip is exact).
    item_name = models.CharField("执法事项名称", max_length=300, null=True, blank=True)
    procedure = models.CharField("程序", max_length=12, choices=PROCEDURE_CHOICES)
    status = models.CharField("状态", max_length=12, choices=STATUS_CHOICES, default=OPEN)
    summary = models.TextField("案情摘要", null=True, blank=True)
    party = models.JSONField("当事人", default=dict)
    violation = models.JSONField("违法行为时间", null=True, blank=True)
    authority = models.JSONField("事项持有情况", null=True, blank=True)
    decision = models.JSONField("决定", null=True, blank=True)
    handler = models.CharField("承办人编号", max_length=60)
    legal_reviewer = models.CharField("法制审核人员编号", max_length=60, null=True, blank=True)
    decider = models.CharField("负责人编号", max_length=60, null=True, blank=True)
    # Set for imported files: the day the file was exported. Live cases are "as of today".
    as_of = models.DateField("截至日期", null=True, blank=True)
    imported = models.BooleanField("外部导入", default=False)
    source_report = models.CharField("来源事件编号", max_length=60, blank=True)
    transfer = models.JSONField("移送情况", null=True, blank=True)
    findings = models.JSONField("审查发现", default=list, blank=True)
    findings_at = models.DateTimeField("审查时间", null=True, blank=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    objects = ScopedQuerySet.as_manager()
    scope = Scope(county="township__county", township="township")

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "案件"

    def __str__(self) -> str:
        return self.number

    @property
    def party_name(self) -> str:
        return (self.party or {}).get("name", "")

    @property
    def defect_count(self) -> int:
        return sum(1 for f in self.findings or () if f.get("severity") == "defect")


class CaseOfficer(models.Model):
    """A person named in the case file, as recorded when they acted (name, certificate)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="officers")
    key = models.CharField("人员编号", max_length=60)
    name = models.CharField("姓名", max_length=50)
    cert_no = models.CharField("执法证号", max_length=40, null=True, blank=True)
    cert_valid_to = models.DateField("证件有效期至", null=True, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="case_roles"
    )
    position = models.PositiveIntegerField(default=0)

    objects = ScopedQuerySet.as_manager()
    scope = Scope(county="case__township__county", township="case__township")

    class Meta:
        ordering = ["case", "position"]
        constraints = [models.UniqueConstraint(fields=["case", "key"], name="cases_officer_unique_key")]

    def __str__(self) -> str:
        return self.name


class CaseEvent(models.Model):
    """One dated step. `type` is an exchange event type, or an internal one (`transferred`) that
    the exchange format has no place for and the export leaves out."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events")
    seq = models.PositiveIntegerField("顺序")
    type = models.CharField("类型", max_length=30)
    date = models.DateField("日期")
    actors = models.JSONField("实施人员", null=True, blank=True)
    payload = models.JSONField("事项内容", default=dict, blank=True)
    note = models.TextField("说明", blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    recorded_at = models.DateTimeField("记录时间", auto_now_add=True)

    objects = ScopedQuerySet.as_manager()
    scope = Scope(county="case__township__county", township="case__township")

    class Meta:
        ordering = ["case", "seq"]
        constraints = [models.UniqueConstraint(fields=["case", "seq"], name="cases_event_unique_seq")]

    def __str__(self) -> str:
        return f"{self.case_id} {self.date} {self.type}"


class Evidence(models.Model):
    """A file kept unaltered with its SHA-256 (全过程记录)."""

    KIND_CHOICES = [("photo", "照片"), ("video", "视频"), ("audio", "录音"), ("pdf", "PDF文件")]

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="evidence")
    event = models.ForeignKey(CaseEvent, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    kind = models.CharField("类别", max_length=8, choices=KIND_CHOICES)
    mime = models.CharField("文件类型", max_length=60)
    original_name = models.CharField("原文件名", max_length=255)
    path = models.CharField("存储路径", max_length=300)
    size = models.PositiveBigIntegerField("大小（字节）")
    sha256 = models.CharField("SHA-256", max_length=64)
    date = models.DateField("取证日期")
    description = models.CharField("说明", max_length=300, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    uploaded_at = models.DateTimeField("上传时间", auto_now_add=True)

    objects = ScopedQuerySet.as_manager()
    scope = Scope(county="case__township__county", township="case__township")

    class Meta:
        ordering = ["date", "id"]
        verbose_name = "证据"

    def __str__(self) -> str:
        return f"{self.original_name}（{self.sha256[:12]}）"
