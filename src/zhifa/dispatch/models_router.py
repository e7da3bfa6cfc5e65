"""The county's routing model and the labelled examples it learns from (一键转办).

Kept apart from the dispatch engineer's report models so that routing depends on no part of
their schema: a confirmed or corrected routing becomes a `RoutingExample` through
`zhifa.dispatch.routing.record_confirmation`, and `zhifa train-router` turns the catalogue plus all
examples into a new `RouterModel`. The newest model of a county is the one in use.
"""

from __future__ import annotations

from django.db import models

from zhifa.org.models import County
from zhifa.org.scoping import Scope, ScopedQuerySet


class RouterModel(models.Model):
    """A trained router (`zhifa.rules.routing.Router.to_json()`), one row per training run.

    The model text is a few hundred kilobytes of weights; copying it into the audit log on every
    save would bloat the hash chain, so the row is exempt from the audit signals and training
    records a short audit entry (who, how many examples) instead.
    """

    audit_exempt = True

    county = models.ForeignKey(County, on_delete=models.CASCADE, related_name="router_models")
    created_at = models.DateTimeField("训练时间", auto_now_add=True)
    data = models.TextField("模型（JSON）")
    n_items = models.PositiveIntegerField("事项数", default=0)
    n_examples = models.PositiveIntegerField("训练样本数", default=0)
    # The newest example folded into this model: later ones are learned in memory when it is loaded.
    last_example = models.PositiveIntegerField("已学习的最新样本", default=0)
    note = models.CharField("说明", max_length=300, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope = Scope(county="county")

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "转办路由模型"

    def __str__(self) -> str:
        return f"{self.county}路由模型（{self.n_examples}个样本）"


class RoutingExample(models.Model):
    """A report text with the item codes a dispatcher confirmed (empty list: not enforcement)."""

    CONFIRMED, CORRECTED, FILE = "confirmed", "corrected", "file"
    SOURCE_CHOICES = [(CONFIRMED, "调度员确认"), (CORRECTED, "调度员更正"), (FILE, "标注文件")]

    county = models.ForeignKey(County, on_delete=models.CASCADE, related_name="routing_examples")
    text = models.TextField("事件描述")
    items = models.JSONField("事项编码", default=list)
    source = models.CharField("来源", max_length=10, choices=SOURCE_CHOICES, default=CONFIRMED)
    reference = models.CharField("来源编号", max_length=80, blank=True)
    created_at = models.DateTimeField("记录时间", auto_now_add=True)

    objects = ScopedQuerySet.as_manager()
    scope = Scope(county="county")

    class Meta:
        ordering = ["id"]
        verbose_name = "转办训练样本"

    def __str__(self) -> str:
        return f"{self.text[:20]} → {','.join(self.items) or '非执法事项'}"
