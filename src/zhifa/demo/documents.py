"""Demo step: the legal documents each demo case's record calls for, generated and numbered as an
officer of the case's township would (idempotent: a kind already generated for a case is skipped)."""

from __future__ import annotations

from collections.abc import Callable


def _author(case):
    """The handler's account when the case names one, else any account of the township that may generate."""
    from zhifa.org import roles
    from zhifa.org.models import User

    handler = case.officers.filter(key=case.handler, user__isnull=False).select_related("user").first()
    if handler is not None and handler.user.can("documents.generate"):
        return handler.user
    allowed = roles.CAPABILITIES["documents.generate"]
    return (
        User.objects.filter(township=case.township, role__in=allowed, is_active=True).order_by("id").first()
    )


def step(county, log: Callable[[str], None]) -> None:
    from zhifa.cases.models import Case
    from zhifa.documents import services

    made = 0
    for case in Case.objects.filter(township__county=county).select_related("township").order_by("id"):
        user = _author(case)
        if user is None:
            continue
        have = set(case.documents.filter(voided_at__isnull=True).values_list("kind", flat=True))
        for kind, _why in services.expected_for(case):
            if kind in have:
                continue
            try:
                services.generate(case, kind, user)
            except services.DocumentError as err:
                log(f"案件{case.number}未能生成文书：{err}")
                continue
            made += 1
    log(f"法律文书：新生成{made}份")
