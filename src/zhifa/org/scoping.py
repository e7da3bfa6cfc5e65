"""The one permission scoping function behind every queryset of the web UI and the API.

Each scoped model declares a `Scope`: the lookup paths from the model to its county,
township and department. `restrict(qs, user, action)` (also `Model.objects.restrict(...)`)
keeps what the user may see (`action="view"`) or change (`"change"`):
township staff their township, department staff what concerns their department,
county roles (dispatcher, supervisor, procurator, administrator) their county;
a procurator never changes anything. Guessing an id outside the scope finds nothing.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Exists, OuterRef, Q

from zhifa.core.scope import Scope

__all__ = ["Scope", "ScopedQuerySet", "restrict", "scope_q"]


def _path_q(path: str | None, value) -> Q | None:
    if path is None or value is None:
        return None
    return Q(**{path: value})


def scope_q(model: type[models.Model], user, action: str = "view") -> Q | None:
    """The filter for `user` on `model`; None means nothing is allowed."""
    from zhifa.org import roles

    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    if user.is_superuser:
        return Q()
    scope: Scope | None = getattr(model, "scope", None)
    if scope is None:
        return None
    write = action != "view"
    role = user.role
    if write and role in roles.READ_ONLY_ROLES and role not in scope.county_writers:
        return None
    county_q = _path_q(scope.county, user.county_id) if user.county_id else None

    if role in roles.COUNTY_ROLES:
        if write and role != roles.ADMIN and role not in scope.county_writers:
            return None
        if scope.shared_when_county_null and county_q is not None and not write:
            county_q |= Q(**{f"{scope.county}__isnull": True})
        return county_q if county_q is not None else (Q() if scope.county is None else None)

    if not write and scope.public_read:
        return county_q if county_q is not None else Q()

    if role in roles.TOWNSHIP_ROLES and user.township_id:
        q = _path_q(scope.township, user.township_id)
        if q is None:
            return None
        if scope.shared_when_township_null and not write:
            q |= Q(**{f"{scope.township}__isnull": True}) & (county_q or Q())
        return q
    if role in roles.DEPARTMENT_ROLES and user.department_id:
        q = _path_q(scope.department, user.department_id)
        if write or not scope.department_reads:
            return q
        reads = _reads_q(model, scope.department_reads, user.department_id)
        return reads if q is None else q | reads
    return None


def _reads_q(model: type[models.Model], paths: tuple[str, ...], value) -> Q:
    # A correlated EXISTS per path rather than a join: a to-many path (several whistles calling
    # the same department) must neither duplicate rows nor force DISTINCT on the caller's query.
    q = Q()
    for path in paths:
        inner = model._base_manager.filter(pk=OuterRef("pk"), **{path: value})
        q |= Q(Exists(inner))
    return q


def restrict(qs: models.QuerySet, user, action: str = "view") -> models.QuerySet:
    q = scope_q(qs.model, user, action)
    if q is None:
        return qs.none()
    return qs.filter(q).distinct() if _multi_valued(q) else qs.filter(q)


def _multi_valued(q: Q) -> bool:
    # Paths through many-to-many or reverse relations can duplicate rows.
    return any("__in" in str(child) or "set__" in str(child) for child in q.children)


class ScopedQuerySet(models.QuerySet):
    def restrict(self, user, action: str = "view") -> ScopedQuerySet:
        return restrict(self, user, action)
