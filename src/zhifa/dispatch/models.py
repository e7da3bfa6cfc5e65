"""Dispatch (一个平台管调度): reports, their steps and transitions, whistles, time limits.

A `Report` is taken in once from any channel, located (township, grid, micro grid), routed to
the unit that may act (a township team's squad, a county department, or the service queue) and
followed through the closed loop of `zhifa.rules.dispatch_workflow`. Every status change writes a
`Transition` (who, when, why, from, to); each timed step is a `Step` with its due time.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from zhifa.core.inserts import CompiledInsert
from zhifa.org import roles
from zhifa.org.models import County, Department, Township
from zhifa.org.scoping import Scope, ScopedQuerySet
from zhifa.rules import dispatch_workflow as wf


class Report(CompiledInsert, models.Model):
    """事件 / 问题线索: one reported problem, from intake to archive."""

    WEB, MOBILE, API, OPEN311, IMPORT, HOTLINE = "web", "mobile", "api", "open311", "import", "hotline"
    CHANNEL_CHOICES = [
        (WEB, "网页受理"),
        (MOBILE, "移动端上报"),
        (API, "接口"),
        (OPEN311, "Open311"),
        (IMPORT, "批量导入"),
        (HOTLINE, "12345热线"),
    ]
    WGS84, GCJ02, BD09, CGCS2000 = "wgs84", "gcj02", "bd09", "cgcs2000"
    CRS_CHOICES = [
        (WGS84, "WGS-84"),
        (GCJ02, "GCJ-02（高德、腾讯地图）"),
        (BD09, "BD-09（百度地图）"),
        (CGCS2000, "CGCS2000"),
    ]
    TOWNSHIP, DEPARTMENT, SERVICE, NONE = "township", "department", "service", "none"
    HANDLER_CHOICES = [
        (TOWNSHIP, "乡镇（街道）执法队"),
        (DEPARTMENT, "县直部门"),
        (SERVICE, "服务类事项队列"),
        (NONE, "未确定"),
    ]
    SATISFIED, UNSATISFIED, UNREACHABLE = "satisfied", "unsatisfied", "unreachable"
    CALLBACK_CHOICES = [(SATISFIED, "满意"), (UNSATISFIED, "不满意"), (UNREACHABLE, "无法联系")]

    county = models.ForeignKey(County, on_delete=models.PROTECT, related_name="reports")
    tracking_code = models.CharField("查询码", max_length=16, unique=True)
    client_id = models.CharField("客户端编号", max_length=80, unique=True, null=True, blank=True)
    channel = models.CharField("渠道", max_length=10, choices=CHANNEL_CHOICES)
    source = models.CharField("来源", max_length=30, blank=True)
    external_id = models.CharField("外部编号", max_length=60, blank=True)
    text = models.TextField("事件描述")
    address = models.CharField("地址", max_length=200, blank=True)
    lon = models.FloatField("经度（原始）")
    lat = models.FloatField("纬度（原始）")
    crs = models.CharField("坐标系", max_length=10, choices=CRS_CHOICES, default=WGS84)
    wgs_lon = models.FloatField("经度（WGS-84）")
    wgs_lat = models.FloatField("纬度（WGS-84）")
    # Derived from wgs_lon/wgs_lat on every save (see save()); the duplicate check reads it by index.
    dup_cell = models.BigIntegerField("查重网格", null=True, blank=True, editable=False)
    township = models.ForeignKey(
        Township, on_delete=models.PROTECT, null=True, blank=True, related_name="reports"
    )
    community_code = models.CharField("社区（村）", max_length=40, blank=True)
    grid_code = models.CharField("网格", max_length=40, blank=True)
    micro_code = models.CharField("微网格", max_length=40, blank=True)
    reporter_name = models.CharField("举报人", max_length=50, blank=True)
    reporter_phone = models.CharField("联系电话", max_length=30, blank=True)
    anonymous = models.BooleanField("对外保密举报人", default=False)
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reported_at = models.DateTimeField("上报时间")
    created_at = models.DateTimeField("受理时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    status = models.CharField("状态", max_length=10, choices=wf.STATE_CHOICES, default=wf.RECEIVED)
    priority = models.CharField("紧急程度", max_length=10, choices=wf.PRIORITY_CHOICES, default=wf.NORMAL)
    # Routing: the router's suggestion (kept for the dispatcher) and the confirmed decision.
    suggestion = models.JSONField("分拨建议", default=dict, blank=True)
    # The router was unsure (confidence below the threshold): the report waits in the dispatcher's
    # 待人工确认 queue with its top three and the words that decided.
    needs_review = models.BooleanField("待人工确认", default=False)
    item_code = models.CharField("执法事项", max_length=30, blank=True)
    squad = models.CharField("承办中队（领域）", max_length=50, blank=True)
    handler_kind = models.CharField("承办类型", max_length=12, choices=HANDLER_CHOICES, default=NONE)
    handler_township = models.ForeignKey(
        Township, on_delete=models.PROTECT, null=True, blank=True, related_name="handled_reports"
    )
    handler_department = models.ForeignKey(
        Department, on_delete=models.PROTECT, null=True, blank=True, related_name="handled_reports"
    )
    service_queue = models.BooleanField("服务类事项", default=False)
    assist_township = models.BooleanField("乡镇协助（联合处置）", default=False)

    playbook = models.ForeignKey(
        "Playbook", on_delete=models.SET_NULL, null=True, blank=True, related_name="reports"
    )
    duplicate_of = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="possible_duplicates"
    )
    merged_into = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="merged_reports"
    )
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="subtasks"
    )

    # The clock of the current step (限期督办).
    step_started_at = models.DateTimeField("本环节开始", null=True, blank=True)
    step_due_at = models.DateTimeField("本环节期限", null=True, blank=True)
    escalation_level = models.PositiveSmallIntegerField("督办层级", default=0)
    urge_count = models.PositiveIntegerField("督办次数", default=0)
    extension_requested_days = models.PositiveSmallIntegerField("申请延期（工作日）", default=0)
    hold_review_on = models.DateField("挂账复查日期", null=True, blank=True)
    result = models.TextField("处置结果", blank=True)
    verified = models.BooleanField("现场核查通过", default=False)
    callback = models.CharField("回访结果", max_length=12, choices=CALLBACK_CHOICES, blank=True)
    closed_at = models.DateTimeField("办结时间", null=True, blank=True)

    objects = ScopedQuerySet.as_manager()
    # 部门报到: a department called by a whistle on the report reads it (acting stays with the handler).
    scope = Scope(
        county="county",
        township="township",
        department="handler_department",
        department_reads=("whistles__calls__department",),
        # The county centre dispatches every report of its county (the transition table then
        # says which action its dispatcher may take in which state).
        county_writers=frozenset({roles.COUNTY_DISPATCHER}),
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "事件"
        indexes = [
            models.Index(fields=["county", "status"]),
            models.Index(fields=["county", "needs_review", "status"], name="dispatch_report_review_idx"),
            models.Index(fields=["status", "step_due_at"]),
            # The duplicate check's cells (zhifa.dispatch.actions.intake): led by the cell, not
            # the county, so that no index led by the county can answer that query instead.
            models.Index(fields=["dup_cell", "reported_at"], name="dispatch_report_cell_idx"),
            # The dispatcher's queue order (zhifa.web.dispatch.views.QUEUE_ORDER), per county and
            # per township: a keyset page is an index range scan whatever the table's size.
            models.Index(
                fields=["county", "step_due_at", "-created_at", "-id"], name="dispatch_report_queue_idx"
            ),
            models.Index(
                fields=["township", "step_due_at", "-created_at", "-id"], name="dispatch_report_tqueue_idx"
            ),
            # The board's and the weekly report's windows (reports taken in over a period).
            models.Index(fields=["county", "reported_at"], name="dispatch_report_period_idx"),
        ]

    def __str__(self) -> str:
        return f"事件{self.tracking_code}"

    def save(self, *args, **kwargs):
        if self.wgs_lon is not None and self.wgs_lat is not None:
            self.dup_cell = wf.duplicate_cell(self.wgs_lon, self.wgs_lat)
            update_fields = kwargs.get("update_fields")
            if update_fields is not None and {"wgs_lon", "wgs_lat"} & set(update_fields):
                kwargs["update_fields"] = {*update_fields, "dup_cell"}
        super().save(*args, **kwargs)

    @property
    def is_open(self) -> bool:
        return self.status in wf.OPEN_STATES

    @property
    def status_label(self) -> str:
        return wf.STATE_LABELS.get(self.status, self.status)

    @property
    def handler_label(self) -> str:
        if self.handler_kind == self.TOWNSHIP and self.handler_township_id:
            squad = f"（{self.squad}中队）" if self.squad else ""
            return f"{self.handler_township.name}综合行政执法队{squad}"
        if self.handler_kind == self.DEPARTMENT and self.handler_department_id:
            return self.handler_department.name
        if self.handler_kind == self.SERVICE:
            return "服务类事项队列"
        return "待分拨"

    @property
    def escalation_label(self) -> str:
        return wf.escalation_label(self.escalation_level)


def photo_path(instance: ReportPhoto, filename: str) -> str:
    return f"dispatch/{instance.sha256[:2]}/{instance.sha256}"


class ReportPhoto(models.Model):
    """A photo of a report. The audit signals cannot copy a file field, so `_add_photo` records
    its own audit entry (report, SHA-256, stored name) and the signals skip this model."""

    audit_exempt = True

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="photos")
    file = models.FileField("照片", upload_to=photo_path)
    sha256 = models.CharField("SHA-256", max_length=64)
    content_type = models.CharField(max_length=60, blank=True)
    uploaded_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedQuerySet.as_manager()
    scope = Scope(
        county="report__county", township="report__township", department="report__handler_department"
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["report", "sha256"], name="dispatch_photo_once")]

    def __str__(self) -> str:
        return f"照片{self.sha256[:12]}"


class Step(CompiledInsert, models.Model):
    """One timed step of a report (签收, 处置, 核查回访 …) with its limit, due time and outcome."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="steps")
    state = models.CharField("环节", max_length=10, choices=wf.STATE_CHOICES)
    unit = models.CharField("责任单位", max_length=100, blank=True)
    limit_label = models.CharField("时限", max_length=30, blank=True)
    started_at = models.DateTimeField("开始")
    due_at = models.DateTimeField("期限", null=True, blank=True)
    ended_at = models.DateTimeField("结束", null=True, blank=True)
    overdue = models.BooleanField("超期", default=False)
    urged = models.PositiveSmallIntegerField("督办次数", default=0)

    objects = ScopedQuerySet.as_manager()
    scope = Scope(
        county="report__county", township="report__township", department="report__handler_department"
    )

    class Meta:
        ordering = ["started_at", "id"]
        # The board's on-time rates read the steps started in a period.
        indexes = [
            models.Index(fields=["started_at"], name="dispatch_step_started_idx"),
            # The worker's summary pass reads the steps ended on the touched days (summaries._end_select).
            models.Index(fields=["ended_at"], name="dispatch_step_ended_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_state_display()}（{self.unit}）"

    # Steps are partitioned by month of `started_at` on PostgreSQL (zhifa.core.partitions), and
    # an UPDATE by id alone plans over every month (about 1.2 ms at 10 million reports). So a
    # step read from the database remembers the start it was stored with, and its save finds the
    # row by id and that start: the planner prunes to the one month. The stored start, not the
    # current attribute, so a step whose start is changed in memory is still found (and moves).
    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        fields = kwargs.get("update_fields")
        if fields is None or "started_at" in fields:
            self._stored_started_at = self.started_at

    @classmethod
    def from_db(cls, db, field_names, values):
        step = super().from_db(db, field_names, values)
        step._stored_started_at = step.__dict__.get("started_at")
        return step

    def _do_update(self, base_qs, using, pk_val, values, update_fields, forced_update):
        stored = getattr(self, "_stored_started_at", None)
        if stored is not None:
            base_qs = base_qs.filter(started_at=stored)
        return super()._do_update(base_qs, using, pk_val, values, update_fields, forced_update)


class Transition(CompiledInsert, models.Model):
    """Who did what to a report, when and why (the loop's log; never edited)."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="transitions")
    action = models.CharField("操作", max_length=20)
    from_status = models.CharField("原状态", max_length=10, blank=True)
    to_status = models.CharField("新状态", max_length=10, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    actor_name = models.CharField("操作人", max_length=80)
    at = models.DateTimeField("时间")
    reason = models.TextField("理由", blank=True)
    data = models.JSONField(default=dict, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope = Scope(
        county="report__county", township="report__township", department="report__handler_department"
    )

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.action_label}：{self.actor_name}"

    @property
    def from_label(self) -> str:
        return wf.STATE_LABELS.get(self.from_status, self.from_status)

    @property
    def to_label(self) -> str:
        return wf.STATE_LABELS.get(self.to_status, self.to_status)

    @property
    def action_label(self) -> str:
        return wf.ACTION_LABELS.get(
            self.action,
            {
                "intake": "受理",
                "whistle": "吹哨",
                "whistle_response": "部门报到",
                "playbook": "启用智能预案",
            }.get(self.action, self.action),
        )


class TimeLimit(models.Model):
    """A configured limit for a step, per item (blank: every item) and priority (blank: every)."""

    UNIT_CHOICES = [(wf.WORKDAYS, "工作日"), (wf.WORKHOURS, "工作小时"), (wf.HOURS, "小时")]

    county = models.ForeignKey(County, on_delete=models.CASCADE, related_name="dispatch_limits")
    item_code = models.CharField("执法事项", max_length=30, blank=True)
    priority = models.CharField("紧急程度", max_length=10, choices=wf.PRIORITY_CHOICES, blank=True)
    step = models.CharField("环节", max_length=10, choices=wf.STATE_CHOICES)
    amount = models.PositiveIntegerField("时限")
    unit = models.CharField("单位", max_length=10, choices=UNIT_CHOICES, default=wf.WORKDAYS)

    objects = ScopedQuerySet.as_manager()
    scope = Scope(county="county", public_read=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["county", "item_code", "priority", "step"], name="dispatch_limit")
        ]

    def __str__(self) -> str:
        return f"{self.get_step_display()} {self.amount}{self.get_unit_display()}"


class Playbook(models.Model):
    """智能预案: a predefined plan for a kind of matter, applied when a report is routed to one of
    its items: the steps (what, which unit, how many working days), a priority, units to call."""

    county = models.ForeignKey(County, on_delete=models.CASCADE, related_name="playbooks")
    code = models.CharField("预案编号", max_length=30)
    name = models.CharField("预案名称", max_length=100)
    item_codes = models.JSONField("适用执法事项", default=list)
    priority = models.CharField("紧急程度", max_length=10, choices=wf.PRIORITY_CHOICES, blank=True)
    steps = models.JSONField("处置步骤", default=list)  # [{"title", "unit", "days"}]
    call_departments = models.JSONField("需召集部门", default=list)
    active = models.BooleanField("启用", default=True)

    objects = ScopedQuerySet.as_manager()
    scope = Scope(county="county", public_read=True)

    class Meta:
        ordering = ["code"]
        constraints = [models.UniqueConstraint(fields=["county", "code"], name="dispatch_playbook_code")]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class PlanTask(models.Model):
    """One step of a playbook applied to a report, with its due time and who completed it."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="plan_tasks")
    playbook = models.ForeignKey(Playbook, on_delete=models.PROTECT, related_name="tasks")
    order = models.PositiveSmallIntegerField("序号")
    title = models.CharField("步骤", max_length=200)
    unit = models.CharField("责任单位", max_length=100, blank=True)
    due_at = models.DateTimeField("期限", null=True, blank=True)
    done_at = models.DateTimeField("完成时间", null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    note = models.TextField("完成情况", blank=True)

    objects = ScopedQuerySet.as_manager()
    scope = Scope(
        county="report__county", township="report__township", department="report__handler_department"
    )

    class Meta:
        ordering = ["report_id", "order"]

    def __str__(self) -> str:
        return f"{self.order}. {self.title}"


class Whistle(models.Model):
    """乡镇吹哨: a township calls county departments to a matter, with a deadline to respond."""

    township = models.ForeignKey(Township, on_delete=models.PROTECT, related_name="whistles")
    report = models.ForeignKey(
        Report, on_delete=models.PROTECT, null=True, blank=True, related_name="whistles"
    )
    subject = models.CharField("事由", max_length=200)
    detail = models.TextField("需要部门做什么", blank=True)
    called_at = models.DateTimeField("吹哨时间")
    respond_by = models.DateTimeField("报到期限")
    called_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    objects = ScopedQuerySet.as_manager()
    scope = Scope(county="township__county", township="township", department="calls__department")

    class Meta:
        ordering = ["-called_at", "-id"]

    def __str__(self) -> str:
        return f"{self.township.name}吹哨：{self.subject}"


class WhistleCall(models.Model):
    """部门报到: one department called by a whistle, and whether it came."""

    CALLED, RESPONDED, ABSENT = "called", "responded", "absent"
    STATUS_CHOICES = [(CALLED, "待报到"), (RESPONDED, "已报到"), (ABSENT, "未报到")]

    whistle = models.ForeignKey(Whistle, on_delete=models.CASCADE, related_name="calls")
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="whistle_calls")
    status = models.CharField("状态", max_length=10, choices=STATUS_CHOICES, default=CALLED)
    response = models.TextField("报到情况", blank=True)
    responded_at = models.DateTimeField("报到时间", null=True, blank=True)
    responded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    objects = ScopedQuerySet.as_manager()
    scope = Scope(county="whistle__township__county", township="whistle__township", department="department")

    class Meta:
        ordering = ["whistle_id", "department__code"]
        constraints = [models.UniqueConstraint(fields=["whistle", "department"], name="whistle_call_once")]

    def __str__(self) -> str:
        return f"{self.department} {self.get_status_display()}"


class DisciplinaryProposal(models.Model):
    """The county's record of a proposed disciplinary measure for a department that did not come."""

    call = models.ForeignKey(WhistleCall, on_delete=models.PROTECT, related_name="proposals")
    text = models.TextField("处理建议")
    proposed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    proposed_at = models.DateTimeField("提出时间")

    objects = ScopedQuerySet.as_manager()
    scope = Scope(county="call__whistle__township__county", department="call__department")

    def __str__(self) -> str:
        return f"处理建议：{self.call}"


class Open311Client(models.Model):
    """An external 311 application allowed to post requests (its api_key)."""

    county = models.ForeignKey(County, on_delete=models.CASCADE, related_name="open311_clients")
    name = models.CharField("名称", max_length=100)
    api_key = models.CharField("密钥", max_length=64, unique=True)
    active = models.BooleanField(default=True)

    objects = ScopedQuerySet.as_manager()
    scope = Scope(county="county")

    def __str__(self) -> str:
        return self.name


# ---- summaries (issue 11) -------------------------------------------------------------------------
# Day buckets the worker keeps (zhifa.dispatch.summaries.fold_summaries), so the board and the
# metrics page read a small range instead of scanning steps and reports. Each (county, day) bucket
# is recomputed from the rows as a whole, never incremented, so a pass run twice changes nothing.


class SummaryState(models.Model):
    """How far the worker has folded changes into the summaries (one row per summary family)."""

    name = models.CharField(max_length=30, unique=True)
    # Reports updated before this instant are in the summaries (the next pass starts a margin
    # before it, for transactions that committed late); None: never folded, pages read the rows.
    folded_to = models.DateTimeField(null=True, blank=True)
    folded_at = models.DateTimeField("统计时间", null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.name}：{self.folded_at}"


class StepOutcomeDay(models.Model):
    """Ended unit steps (签收, 处置, 联合处置) with a due time, by the local day they started and the
    unit now answerable for the report: the board's on-time and late counts."""

    county = models.ForeignKey(County, on_delete=models.CASCADE, related_name="+")
    township = models.ForeignKey(Township, on_delete=models.CASCADE, null=True, related_name="+")
    handler_department = models.ForeignKey(Department, on_delete=models.CASCADE, null=True, related_name="+")
    day = models.DateField()
    unit_township = models.ForeignKey(Township, on_delete=models.CASCADE, null=True, related_name="+")
    unit_department = models.ForeignKey(Department, on_delete=models.CASCADE, null=True, related_name="+")
    on_time = models.PositiveIntegerField(default=0)
    late = models.PositiveIntegerField(default=0)

    objects = ScopedQuerySet.as_manager()
    # The report's own paths, as Step's scope: restricting this table keeps what restricting the steps keeps.
    scope = Scope(county="county", township="township", department="handler_department")

    class Meta:
        indexes = [models.Index(fields=["county", "day"], name="dispatch_outcomeday_idx")]

    def __str__(self) -> str:
        return f"{self.day}：按时{self.on_time}，超时{self.late}"


class StepEndDay(models.Model):
    """Ended steps by the local day they ended and the report's township: the metrics page's
    steps done and done late."""

    county = models.ForeignKey(County, on_delete=models.CASCADE, related_name="+")
    township = models.ForeignKey(Township, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    done = models.PositiveIntegerField(default=0)
    late = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [
            models.Index(fields=["county", "day"], name="dispatch_endday_county_idx"),
            models.Index(fields=["township", "day"], name="dispatch_endday_town_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.day}：办结{self.done}，超期{self.late}"


class RoutingDay(models.Model):
    """Routed reports with a suggestion, by the local day they were reported: the board's routing
    quality (how often the dispatcher kept the router's first item)."""

    county = models.ForeignKey(County, on_delete=models.CASCADE, related_name="+")
    township = models.ForeignKey(Township, on_delete=models.CASCADE, null=True, related_name="+")
    handler_department = models.ForeignKey(Department, on_delete=models.CASCADE, null=True, related_name="+")
    day = models.DateField()
    confident = models.PositiveIntegerField(default=0)
    confident_right = models.PositiveIntegerField(default=0)
    unsure = models.PositiveIntegerField(default=0)
    unsure_right = models.PositiveIntegerField(default=0)

    objects = ScopedQuerySet.as_manager()
    scope = Scope(county="county", township="township", department="handler_department")

    class Meta:
        indexes = [models.Index(fields=["county", "day"], name="dispatch_routingday_idx")]

    def __str__(self) -> str:
        return f"{self.day}：确定{self.confident}，待确认{self.unsure}"


from zhifa.dispatch.models_router import RouterModel, RoutingExample  # noqa: E402, F401
