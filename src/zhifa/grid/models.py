"""The grid map (一张网格): nested grid units with polygons, their staff, base data and elements.

Polygons are GeoJSON geometry text in WGS-84 / CGCS2000 lon/lat with a bounding box in plain
float columns, so the app runs on SQLite and PostgreSQL without GeoDjango; point lookups go
through the in-process index of `zhifa.grid.index` (see docs/architecture.md, "Grid lookup").
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from zhifa.org.models import County, Township
from zhifa.org.scoping import Scope, ScopedQuerySet

TOWNSHIP = "township"
COMMUNITY = "community"
GRID = "grid"
MICRO = "micro"
DEDICATED = "dedicated"
LEVEL_CHOICES = [
    (TOWNSHIP, "乡镇（街道）"),
    (COMMUNITY, "一级网格（社区/村）"),
    (GRID, "二级网格"),
    (MICRO, "微网格"),
    (DEDICATED, "专属网格"),
]
LEVEL_LABELS = dict(LEVEL_CHOICES)
LEVELS = [code for code, _ in LEVEL_CHOICES]
# The level a unit's parent must have.
PARENT_LEVEL = {TOWNSHIP: None, COMMUNITY: TOWNSHIP, GRID: COMMUNITY, MICRO: GRID, DEDICATED: MICRO}
DEDICATED_KINDS = ["学校", "医院", "工业园区", "农贸市场", "景区", "建筑工地", "公园", "其他"]


class GridUnit(models.Model):
    county = models.ForeignKey(County, on_delete=models.PROTECT, related_name="grid_units")
    # Denormalised from the tree so scoping is one indexed column, not a walk up the parents.
    township = models.ForeignKey(Township, on_delete=models.PROTECT, related_name="grid_units")
    level = models.CharField("层级", max_length=10, choices=LEVEL_CHOICES)
    code = models.CharField("网格编码", max_length=60)
    name = models.CharField("名称", max_length=100, blank=True)
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="children"
    )
    kind = models.CharField("专属网格类型", max_length=20, blank=True)
    geometry = models.TextField("边界（GeoJSON）")
    # The same polygon as WKB, written by the import: the lookup index parses it ten times faster
    # than GeoJSON text. Null for rows written before it existed (the index then reads `geometry`).
    geometry_wkb = models.BinaryField(null=True, blank=True, editable=False)
    minx = models.FloatField()
    miny = models.FloatField()
    maxx = models.FloatField()
    maxy = models.FloatField()
    households = models.PositiveIntegerField("户数", null=True, blank=True)
    population = models.PositiveIntegerField("人数", null=True, blank=True)
    businesses = models.PositiveIntegerField("商企数", null=True, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope = Scope(county="county", township="township")

    class Meta:
        verbose_name = "网格"
        ordering = ["code"]
        constraints = [models.UniqueConstraint(fields=["county", "code"], name="grid_unit_code_per_county")]
        indexes = [
            models.Index(fields=["county", "level"]),
            models.Index(fields=["township", "level"]),
            models.Index(fields=["minx", "maxx", "miny", "maxy"]),
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.code}）" if self.name else self.code

    @property
    def label(self) -> str:
        return self.name or self.code

    @property
    def level_label(self) -> str:
        return LEVEL_LABELS.get(self.level, self.level)


class GridIndexVersion(models.Model):
    """One row whose token changes with every import: processes reload their lookup index then.

    A random token rather than a counter: a rolled-back import would let a counter repeat a
    value that some process already cached with other content.
    """

    token = models.CharField(max_length=32, default="")
    audit_exempt = True  # bookkeeping, not a change of the map (the import itself is audited)

    def __str__(self) -> str:
        return self.token


class GridStaff(models.Model):
    LEADER = "leader"
    WORKER = "worker"
    ASSISTANT = "assistant"
    ROLE_CHOICES = [(LEADER, "网格长"), (WORKER, "网格员"), (ASSISTANT, "网格辅助员")]

    unit = models.ForeignKey(GridUnit, on_delete=models.CASCADE, related_name="staff")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="grid_posts")
    role = models.CharField("岗位", max_length=10, choices=ROLE_CHOICES)

    objects = ScopedQuerySet.as_manager()
    scope = Scope(county="unit__county", township="unit__township")

    class Meta:
        verbose_name = "网格人员"
        constraints = [
            models.UniqueConstraint(fields=["unit", "user", "role"], name="grid_staff_once"),
        ]

    def __str__(self) -> str:
        return f"{self.unit.code} {self.get_role_display()} {self.user}"


class EnforcementGrid(models.Model):
    """执法网格: a set of micro grids assigned to officers (微网格与执法网格融合)."""

    county = models.ForeignKey(County, on_delete=models.PROTECT, related_name="enforcement_grids")
    township = models.ForeignKey(Township, on_delete=models.PROTECT, related_name="enforcement_grids")
    code = models.CharField("编码", max_length=60)
    name = models.CharField("名称", max_length=100)
    micro_grids = models.ManyToManyField(GridUnit, related_name="enforcement_grids", verbose_name="微网格")
    officers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="enforcement_grids", verbose_name="执法人员"
    )

    objects = ScopedQuerySet.as_manager()
    scope = Scope(county="county", township="township")

    class Meta:
        verbose_name = "执法网格"
        ordering = ["code"]
        constraints = [models.UniqueConstraint(fields=["county", "code"], name="enforcement_grid_code")]

    def __str__(self) -> str:
        return self.name


class Element(models.Model):
    """要素入网: a point on the map (shop, site, risk point, public place) linked to its grid."""

    SHOP = "shop"
    CONSTRUCTION = "construction"
    RISK = "risk"
    PUBLIC_PLACE = "public_place"
    KIND_CHOICES = [
        (SHOP, "商铺"),
        (CONSTRUCTION, "建筑工地"),
        (RISK, "风险点"),
        (PUBLIC_PLACE, "公共场所"),
    ]

    county = models.ForeignKey(County, on_delete=models.PROTECT, related_name="grid_elements")
    township = models.ForeignKey(Township, on_delete=models.PROTECT, related_name="grid_elements")
    # The most specific unit containing the point: a dedicated grid where one lies, else the micro grid.
    unit = models.ForeignKey(GridUnit, on_delete=models.PROTECT, related_name="elements")
    kind = models.CharField("类型", max_length=20, choices=KIND_CHOICES)
    name = models.CharField("名称", max_length=200)
    address = models.CharField("地址", max_length=300, blank=True)
    lon = models.FloatField("经度（WGS-84）")
    lat = models.FloatField("纬度（WGS-84）")
    note = models.TextField("备注", blank=True)

    objects = ScopedQuerySet.as_manager()
    scope = Scope(county="county", township="township")

    class Meta:
        verbose_name = "网格要素"
        ordering = ["township", "kind", "name"]

    def __str__(self) -> str:
        return self.name
