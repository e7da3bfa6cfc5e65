"""Live defects found by the automatic review, across the county, with a letter drafted from them."""

from __future__ import annotations

from collections import Counter
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.urls import reverse

from zhifa.rules.review import RULES


@login_required
def findings(request):
    from zhifa.cases.models import Case

    cases = (
        Case.objects.restrict(request.user)
        .filter(imported=False)
        .exclude(findings=[])
        .select_related("township")
        .order_by("township__code", "-created_at")
    )
    severity = request.GET.get("severity", "defect")
    rows = []
    per_rule: Counter[str] = Counter()
    for case in cases[:1000]:
        found = [f for f in case.findings or () if f.get("kind", "finding") == "finding"]
        if severity:
            found = [f for f in found if f.get("severity") == severity]
        if not found:
            continue
        per_rule.update(f["rule"] for f in found)
        letter_url = None
        if request.user.can("supervision.letters"):
            body = "\n".join(f"{i}. {f['message']}" for i, f in enumerate(found, 1))
            letter_url = (
                reverse("web:supervision:letter_create")
                + "?"
                + urlencode(
                    {
                        "kind": "supervision",
                        "township": case.township_id,
                        "case_ref": case.number,
                        "subject": f"案件{case.number}办理中存在的问题",
                        "body": (
                            f"平台自动审查发现案件{case.number}存在以下问题：\n{body}\n请依法纠正并书面答复。"
                        ),
                    }
                )
            )
        rows.append((case, found, letter_url))
    return render(
        request,
        "web/supervision/findings.html",
        {
            "rows": rows,
            "per_rule": [
                (code, RULES[code].title if code in RULES else code, n) for code, n in per_rule.most_common()
            ],
            "severity": severity,
        },
    )
