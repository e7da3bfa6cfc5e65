"""The county's organisation: county, townships, communities, departments, the command centre, users."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.utils import timezone

from zhifa.org import roles
from zhifa.org.scoping import Scope, ScopedQuerySet


class County(models.Model):
    code = models.CharField("代码", max_length=20, unique=True)
    name = models.CharField("名称", max_length=100)

    objects = ScopedQuerySet.as_manager()
    scope = Scope(county="pk", public_read=True)

    class Meta:
        verbose_name = "区县"

    def __str__(self) -> str:
        return self.name


class CommandCentre(models.Model):
    """The county command centre (一级指挥), the dispatcher of everything no township holds."""

    county = models.OneToOneField(County, on_delete=models.CASCADE, related_name="command_centre")
    name = models.CharField("名称", max_length=100, default="县综合行政执法指挥中心")

    objects = ScopedQuerySet.as_manager()
    scope = Scope(county="county", public_read=True)

    def __str__(self) -> str:
        return self.name


class Township(models.Model):
    KIND_CHOICES = [("街道", "街道"), ("镇", "镇"), ("乡", "乡")]
    SETTING_CHOICES = [("城区", "城区"), ("农村", "农村")]

    county = models.ForeignKey(County, on_delete=models.PROTECT, related_name="townships")
    code = models.CharField("代码", max_length=20, unique=True)
    name = models.CharField("名称", max_length=100)
    kind = models.CharField("类型", max_length=4, choices=KIND_CHOICES)
    setting = models.CharField("区位", max_length=4, choices=SETTING_CHOICES, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope = Scope(county="county", township="pk", public_read=True)

    class Meta:
        ordering = ["code"]
        verbose_name = "乡镇（街道）"

    def __str__(self) -> str:
        return self.name


class Community(models.Model):
    """社区/村: the first-level grid's organisational unit."""

    township = models.ForeignKey(Township, on_delete=models.PROTECT, related_name="communities")
    code = models.CharField("代码", max_length=40, unique=True)
    name = models.CharField("名称", max_length=100, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope = Scope(county="township__county", township="township", public_read=True)

    class Meta:
        ordering = ["code"]
        verbose_name = "社区（村）"

    def __str__(self) -> str:
        return self.name or self.code


class Department(models.Model):
    county = models.ForeignKey(County, on_delete=models.PROTECT, related_name="departments")
    code = models.CharField("代码", max_length=20, unique=True)
    name = models.CharField("名称", max_length=100)
    domain = models.CharField("领域", max_length=50, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope = Scope(county="county", department="pk", public_read=True)

    class Meta:
        ordering = ["code"]
        verbose_name = "县直部门"

    def __str__(self) -> str:
        return self.name


class ZhifaUserManager(UserManager.from_queryset(ScopedQuerySet)):
    pass


class User(AbstractUser):
    """An account. `role` decides capabilities; township/department/county decide scope."""

    full_name = models.CharField("姓名", max_length=50, blank=True)
    role = models.CharField("角色", max_length=30, choices=roles.CHOICES)
    county = models.ForeignKey(County, on_delete=models.PROTECT, null=True, blank=True, related_name="users")
    township = models.ForeignKey(
        Township, on_delete=models.PROTECT, null=True, blank=True, related_name="users"
    )
    department = models.ForeignKey(
        Department, on_delete=models.PROTECT, null=True, blank=True, related_name="users"
    )
    phone = models.CharField("电话", max_length=30, blank=True)

    objects = ZhifaUserManager()
    scope = Scope(county="county", township="township", department="department")

    class Meta:
        verbose_name = "用户"

    def __str__(self) -> str:
        return self.full_name or self.username

    @property
    def display_name(self) -> str:
        return self.full_name or self.username

    @property
    def role_label(self) -> str:
        return roles.LABELS.get(self.role, self.role)

    def can(self, capability: str) -> bool:
        return roles.has_capability(self, capability)


class LoginThrottle(models.Model):
    """Failed sign-ins of one username from one client address (username "" counts the address
    against every name). Bookkeeping of `zhifa.org.auth`; each failure itself is audited."""

    username = models.CharField("用户名", max_length=150, blank=True)
    address = models.CharField("来源地址", max_length=45)
    failures = models.PositiveIntegerField("连续失败次数", default=0)
    lock_count = models.PositiveIntegerField("已锁定次数", default=0)
    last_failure_at = models.DateTimeField("最近失败时间", null=True)
    locked_until = models.DateTimeField("锁定至", null=True)

    audit_exempt = True  # the failures are audited one by one (login_failed), not the counter

    class Meta:
        verbose_name = "登录失败计数"
        constraints = [models.UniqueConstraint(fields=["username", "address"], name="login_throttle_pair")]
        indexes = [models.Index(fields=["address", "locked_until"]), models.Index(fields=["username"])]

    def __str__(self) -> str:
        return f"{self.username or '*'}@{self.address}"

    def is_locked(self, now=None) -> bool:
        return self.locked_until is not None and self.locked_until > (now or timezone.now())
