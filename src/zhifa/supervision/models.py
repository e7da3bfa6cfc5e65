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


class Enterprise(models.Model):
    """An enterprise or shop subject to inspection, with its credit grade (信用分级分类监管)."""

    GRADE_CHOICES = [("A", "A类"), ("B", "B类"), ("C", "C类"), ("D", "D类")]

    county = models.ForeignKey(County, on_delete=models.PROTECT, related_name="enterprises")
    township = models.ForeignKey(Township, on_delete=models.PROTECT, related_name="enterprises")
    name = models.CharField("名称", max_length=200)
    credit_code = models.CharField("统一社会信用代码", max_length=18)
    address = models.CharField("地址", max_length=200, blank=True)
    scene = models.CharField("检查场景", max_length=30, blank=True)
    credit_grade = models.CharField("信用等级", max_length=1, choices=GRADE_CHOICES, default="B")
    contact = models.CharField("联系人及电话", max_length=100, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope = Scope(county="county", township="township")

    class Meta:
        ordering = ["township__code", "name"]
        verbose_name = "检查对象"
        constraints = [
            models.UniqueConstraint(fields=["county", "credit_code"], name="supervision_enterprise_code")
        ]

    def __str__(self) -> str:
        return self.name


class InspectionPlan(models.Model):
    """A township's annual inspection plan (年度行政检查计划)."""

    DRAFT, APPROVED = "draft", "approved"
    STATUS_CHOICES = [(DRAFT, "草稿"), (APPROVED, "已批准")]

    township = models.ForeignKey(Township, on_delete=models.PROTECT, related_name="inspection_plans")
    year = models.PositiveIntegerField("年度")
    status = models.CharField("状态", max_length=10, choices=STATUS_CHOICES, default=DRAFT)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    approved_on = models.DateField("批准日期", null=True, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope = Scope(county="township__county", township="township")

    class Meta:
        ordering = ["-year", "township__code"]
        verbose_name = "行政检查计划"
        constraints = [models.UniqueConstraint(fields=["township", "year"], name="supervision_plan_year")]

    def __str__(self) -> str:
        return f"{self.township.name}{self.year}年度行政检查计划"


class PlanTask(models.Model):
    """One joint-inspection task of a plan: a scene, the items of several departments, a month."""

    plan = models.ForeignKey(InspectionPlan, on_delete=models.CASCADE, related_name="tasks")
    scene = models.CharField("检查场景", max_length=30)
    month = models.PositiveSmallIntegerField("计划月份")
    item_codes = models.JSONField("检查事项", default=list)
    department_codes = models.JSONField("参与部门", default=list)
    note = models.CharField("说明", max_length=200, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope = Scope(county="plan__township__county", township="plan__township")

    class Meta:
        ordering = ["month", "id"]
        verbose_name = "计划检查任务"

    def __str__(self) -> str:
        return f"{self.month}月 {self.scene}"


class InspectionVisit(models.Model):
    """One registered inspection visit (扫码入企): who, under which powers, and the enterprise's rating."""

    PENDING, COMPLIANT, NON_COMPLIANT = "pending", "compliant", "non_compliant"
    RESULT_CHOICES = [(PENDING, "待录入"), (COMPLIANT, "未发现问题"), (NON_COMPLIANT, "发现问题")]

    county = models.ForeignKey(County, on_delete=models.PROTECT, related_name="inspection_visits")
    township = models.ForeignKey(Township, on_delete=models.PROTECT, related_name="inspection_visits")
    enterprise = models.ForeignKey(Enterprise, on_delete=models.PROTECT, related_name="visits")
    task = models.ForeignKey(PlanTask, on_delete=models.PROTECT, null=True, blank=True, related_name="visits")
    visited_on = models.DateField("检查日期")
    officers = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="inspection_visits")
    item_codes = models.JSONField("检查事项", default=list)
    department_codes = models.JSONField("参与部门", default=list)
    notice = models.TextField("检查告知")
    token = models.CharField(max_length=40, unique=True)
    registered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    registered_at = models.DateTimeField("登记时间", auto_now_add=True)
    alerts = models.JSONField("频次提示", default=list)
    result = models.CharField("检查结果", max_length=15, choices=RESULT_CHOICES, default=PENDING)
    findings = models.TextField("检查情况", blank=True)
    scanned_at = models.DateTimeField("企业扫码时间", null=True, blank=True)
    rating = models.PositiveSmallIntegerField("企业评价", null=True, blank=True)
    rating_comment = models.TextField("评价意见", blank=True)
    rated_at = models.DateTimeField("评价时间", null=True, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope = Scope(county="county", township="township")

    class Meta:
        ordering = ["-visited_on", "-id"]
        verbose_name = "行政检查登记"

    def __str__(self) -> str:
        return f"{self.enterprise} {self.visited_on}"

    @property
    def has_alert(self) -> bool:
        return any(a.get("severity") == "alert" for a in self.alerts)


class ReviewRound(models.Model):
    """A case-file review round (案卷评查), e.g. a quarter's sample of closed files."""

    OPEN, CLOSED = "open", "closed"
    STATUS_CHOICES = [(OPEN, "评查中"), (CLOSED, "已结束")]

    county = models.ForeignKey(County, on_delete=models.PROTECT, related_name="review_rounds")
    name = models.CharField("名称", max_length=100)
    period_start = models.DateField("结案日期自")
    period_end = models.DateField("结案日期至")
    procedures = models.JSONField("案件类型", default=list)
    per_township = models.PositiveSmallIntegerField("每乡镇抽取件数")
    seed = models.PositiveIntegerField("抽样种子")
    status = models.CharField("状态", max_length=10, choices=STATUS_CHOICES, default=OPEN)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    objects = ScopedQuerySet.as_manager()
    scope = Scope(county="county", county_writers=frozenset({"supervisor"}))

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "评查批次"

    def __str__(self) -> str:
        return self.name


class ReviewSheet(models.Model):
    """One sampled case file scored on the checklist, with its rectification letter if any."""

    PENDING, SCORED = "pending", "scored"
    STATUS_CHOICES = [(PENDING, "待评查"), (SCORED, "已评查")]

    round = models.ForeignKey(ReviewRound, on_delete=models.CASCADE, related_name="sheets")
    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="review_sheets")
    township = models.ForeignKey(Township, on_delete=models.PROTECT, related_name="review_sheets")
    auto_findings = models.JSONField("自动审查发现", default=list)
    scores = models.JSONField("得分", default=dict)
    total = models.PositiveSmallIntegerField("总分", null=True, blank=True)
    grade = models.CharField("等次", max_length=10, blank=True)
    comments = models.TextField("评查意见", blank=True)
    status = models.CharField("状态", max_length=10, choices=STATUS_CHOICES, default=PENDING)
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    scored_on = models.DateField("评查日期", null=True, blank=True)
    letter = models.ForeignKey(
        Letter, on_delete=models.SET_NULL, null=True, blank=True, related_name="review_sheets"
    )

    objects = ScopedQuerySet.as_manager()
    scope = Scope(county="round__county", township="township", county_writers=frozenset({"supervisor"}))

    class Meta:
        ordering = ["township__code", "case__number"]
        verbose_name = "评查表"
        constraints = [models.UniqueConstraint(fields=["round", "case"], name="supervision_sheet_case")]

    def __str__(self) -> str:
        return f"{self.round} {self.case}"

    @property
    def rectification_state(self) -> str:
        if self.letter_id is None:
            return "无需整改" if self.status == self.SCORED and not self.needs_rectification else "—"
        return {
            Letter.ISSUED: "整改中",
            Letter.ANSWERED: "已答复待评定",
            Letter.ADOPTED: "已整改",
            Letter.PARTLY: "部分整改",
            Letter.REJECTED: "未整改",
        }[self.letter.status]

    @property
    def needs_rectification(self) -> bool:
        return self.status == self.SCORED and (self.grade == "不合格" or bool(self.auto_findings))


class Disclosure(models.Model):
    """A penalty decision published on the public page (行政执法公示), personal data removed.

    `content` is the redacted snapshot taken at publication: the public page reads only it,
    never the case, so nothing personal can leak through a later template change.
    """

    case = models.OneToOneField("cases.Case", on_delete=models.PROTECT, related_name="disclosure")
    county = models.ForeignKey(County, on_delete=models.PROTECT, related_name="disclosures")
    township = models.ForeignKey(Township, on_delete=models.PROTECT, related_name="disclosures")
    doc_no = models.CharField("决定书文号", max_length=80)
    decided_on = models.DateField("决定日期")
    due_on = models.DateField("公示期限")
    published_on = models.DateField("公示日期")
    content = models.JSONField("公示内容")
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    revoked_on = models.DateField("决定被变更或撤销日期", null=True, blank=True)
    withdraw_due = models.DateField("撤回期限", null=True, blank=True)
    withdrawn_on = models.DateField("撤回日期", null=True, blank=True)
    withdraw_reason = models.CharField("撤回原因", max_length=200, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope = Scope(county="county", township="township")

    class Meta:
        ordering = ["-published_on", "-id"]
        verbose_name = "执法决定公示"

    def __str__(self) -> str:
        return self.doc_no

    @property
    def on_time(self) -> bool:
        return self.published_on <= self.due_on

    @property
    def withdrawn_on_time(self) -> bool | None:
        if self.withdraw_due is None or self.withdrawn_on is None:
            return None
        return self.withdrawn_on <= self.withdraw_due


class RemedyRecord(models.Model):
    """Reconsideration (行政复议), litigation (行政诉讼) or dispute resolution (行政争议化解) on a case."""

    RECONSIDERATION, LITIGATION, DISPUTE = "reconsideration", "litigation", "dispute"
    KIND_CHOICES = [(RECONSIDERATION, "行政复议"), (LITIGATION, "行政诉讼"), (DISPUTE, "行政争议化解")]
    PENDING, UPHELD, CHANGED, REVOKED, ILLEGAL, WITHDRAWN, RESOLVED = (
        "pending",
        "upheld",
        "changed",
        "revoked",
        "illegal",
        "withdrawn",
        "resolved",
    )
    OUTCOME_CHOICES = [
        (PENDING, "审理中"),
        (UPHELD, "维持/驳回请求"),
        (CHANGED, "变更"),
        (REVOKED, "撤销"),
        (ILLEGAL, "确认违法"),
        (WITHDRAWN, "申请人撤回"),
        (RESOLVED, "调解和解化解"),
    ]

    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="remedies")
    township = models.ForeignKey(Township, on_delete=models.PROTECT, related_name="remedies")
    kind = models.CharField("类型", max_length=20, choices=KIND_CHOICES)
    body = models.CharField("复议机关/法院/化解组织", max_length=100)
    filed_on = models.DateField("申请/起诉日期")
    outcome = models.CharField("结果", max_length=12, choices=OUTCOME_CHOICES, default=PENDING)
    decided_on = models.DateField("结果日期", null=True, blank=True)
    note = models.TextField("情况说明", blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    objects = ScopedQuerySet.as_manager()
    scope = Scope(county="township__county", township="township")

    class Meta:
        ordering = ["-filed_on", "-id"]
        verbose_name = "复议诉讼与争议化解"

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.case}"


class Evaluation(models.Model):
    """A rating of a closed matter by the party or the reporter (社会评议), through a one-time link."""

    PARTY, REPORTER = "party", "reporter"
    ROLE_CHOICES = [(PARTY, "当事人"), (REPORTER, "举报人/反映人")]

    county = models.ForeignKey(County, on_delete=models.PROTECT, related_name="evaluations")
    township = models.ForeignKey(Township, on_delete=models.PROTECT, null=True, related_name="evaluations")
    case = models.ForeignKey(
        "cases.Case", on_delete=models.CASCADE, null=True, blank=True, related_name="evaluations"
    )
    report = models.ForeignKey(
        "dispatch.Report", on_delete=models.CASCADE, null=True, blank=True, related_name="evaluations"
    )
    role = models.CharField("评价人", max_length=10, choices=ROLE_CHOICES)
    token = models.CharField(max_length=40, unique=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    rating = models.PositiveSmallIntegerField("满意度", null=True, blank=True)
    comment = models.TextField("意见", blank=True)
    rated_at = models.DateTimeField("评价时间", null=True, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope = Scope(county="county", township="township")

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "社会评议"

    def __str__(self) -> str:
        return f"{self.get_role_display()}评价"


class Clue(models.Model):
    """A clue transferred between the township/justice bureau and the procuratorate (线索移送)."""

    TO_PROCURATORATE, FROM_PROCURATORATE = "to_procuratorate", "from_procuratorate"
    DIRECTION_CHOICES = [(TO_PROCURATORATE, "移送检察院"), (FROM_PROCURATORATE, "检察院移送")]
    SENT, RECEIVED, HANDLED = "sent", "received", "handled"
    STATUS_CHOICES = [(SENT, "已移送"), (RECEIVED, "已接收"), (HANDLED, "已办结")]

    county = models.ForeignKey(County, on_delete=models.PROTECT, related_name="clues")
    township = models.ForeignKey(Township, on_delete=models.PROTECT, related_name="clues")
    direction = models.CharField("方向", max_length=20, choices=DIRECTION_CHOICES)
    case = models.ForeignKey(
        "cases.Case", on_delete=models.SET_NULL, null=True, blank=True, related_name="clues"
    )
    subject = models.CharField("线索名称", max_length=200)
    content = models.TextField("线索内容")
    sent_on = models.DateField("移送日期")
    sent_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    status = models.CharField("状态", max_length=10, choices=STATUS_CHOICES, default=SENT)
    response = models.TextField("办理情况", blank=True)
    responded_on = models.DateField("办理日期", null=True, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope = Scope(
        county="county", township="township", county_writers=frozenset({"procurator", "supervisor"})
    )

    class Meta:
        ordering = ["-sent_on", "-id"]
        verbose_name = "移送线索"

    def __str__(self) -> str:
        return self.subject
