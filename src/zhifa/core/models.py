"""Cross-domain infrastructure: the hash-chained audit log and the holiday calendar."""

from django.db import models

from zhifa.core.scope import Scope


class AuditEntry(models.Model):
    """One change, append-only, chained to the previous entry by SHA-256.

    A change is written inside its own transaction without a hash; right after that transaction
    commits, `zhifa.core.audit.seal_pending` gives every new entry its place in the chain (`seq`)
    and its `hash` (covering every other column and `prev_hash`). Writers therefore never wait for
    one another on the chain's tip; `zhifa audit verify` recomputes the chain and so finds a
    sealed row edited, inserted or deleted behind the application's back.
    """

    at = models.DateTimeField("时间", db_index=True)
    actor_id = models.BigIntegerField("操作人ID", null=True)
    actor = models.CharField("操作人", max_length=150)
    action = models.CharField("操作", max_length=40)
    model = models.CharField("对象类型", max_length=100, db_index=True)
    object_id = models.CharField("对象ID", max_length=64, db_index=True)
    object_repr = models.CharField("对象", max_length=200, blank=True)
    before = models.JSONField("变更前", null=True)
    after = models.JSONField("变更后", null=True)
    reason = models.TextField("说明", blank=True)
    # `seq` and `hash` are unique across the log here (SQLite); on PostgreSQL, where the log is
    # partitioned by month of `at` (migration 0006, zhifa.core.partitions), unique together with
    # `at` only: the sealer's lock on AuditHead and `verify` keep and check the rest.
    seq = models.BigIntegerField("链序号", null=True, unique=True)
    prev_hash = models.CharField(max_length=64, blank=True, default="")
    hash = models.CharField(max_length=64, null=True, unique=True)
    # How `hash` was computed: plain sha256, or an HMAC (hmac-sha256, hmac-sm3) under key `key_id`
    # (zhifa.core.auditkeys); set by the sealer, covered by the seal itself when keyed.
    alg = models.CharField(max_length=16, default="sha256")
    key_id = models.CharField(max_length=16, blank=True, default="")
    # The county the change belongs to (the object's, else the actor's), so each county's
    # administrator reads their own county's entries; NULL for installation-wide ones.
    county_id = models.BigIntegerField("县", null=True, db_index=True)

    scope = Scope(county="county_id", shared_when_county_null=True)

    class Meta:
        ordering = ["id"]
        verbose_name = "审计日志"

    def __str__(self) -> str:
        return f"#{self.id} {self.action} {self.model}:{self.object_id}"

    def save(self, *args, **kwargs):
        if self.pk is not None and not kwargs.pop("_allow_update", False):
            raise RuntimeError("审计日志只能追加，不能修改。")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise RuntimeError("审计日志只能追加，不能删除。")


class AuditHead(models.Model):
    """A single row holding the chain's tip; locking it serialises the sealers (not the writers).

    With an audit key the head carries a MAC over its own columns, so it cannot be rolled to
    another tip (a truncation) or stripped of the first keyed position (a downgrade) without
    the key; a replayed *old* head needs an anchor kept outside the database to be caught.
    """

    seq = models.BigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default="0" * 64)
    count = models.BigIntegerField(default=0)
    first_keyed_seq = models.BigIntegerField(null=True)
    key_id = models.CharField(max_length=16, blank=True, default="")
    alg = models.CharField(max_length=16, blank=True, default="")
    mac = models.CharField(max_length=64, blank=True, default="")

    def __str__(self) -> str:
        return f"audit head {self.count}"


class HolidayYear(models.Model):
    """A year for which the State Council's holiday arrangement is known."""

    year = models.PositiveIntegerField("年份", unique=True)
    source = models.CharField("依据", max_length=200, blank=True)

    class Meta:
        ordering = ["year"]
        verbose_name = "节假日安排年度"

    def __str__(self) -> str:
        return f"{self.year}年"


class CalendarDay(models.Model):
    """An exception to Monday–Friday: a holiday on a weekday or a worked weekend day (调休)."""

    HOLIDAY = "holiday"
    WORKDAY = "workday"
    KIND_CHOICES = [(HOLIDAY, "法定节假日（休息）"), (WORKDAY, "调休上班日")]

    date = models.DateField("日期", unique=True)
    kind = models.CharField("类型", max_length=10, choices=KIND_CHOICES)
    name = models.CharField("节日", max_length=40, blank=True)

    class Meta:
        ordering = ["date"]
        verbose_name = "节假日/调休日"

    def __str__(self) -> str:
        return f"{self.date} {self.get_kind_display()} {self.name}"
