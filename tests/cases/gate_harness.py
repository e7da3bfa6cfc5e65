"""Drive the live case gate through its public faces: the REST API and the case page's step
forms. A `Channel` records steps as a given user and reports (accepted, messages); `Gate`
checks that a refused step wrote nothing."""

from __future__ import annotations

import html
import re
from typing import Any

from django.test import Client

from zhifa.cases.models import Case, CaseEvent
from zhifa.core.models import AuditEntry

_ERRORS = re.compile(r'<div class="errors[^"]*" role="alert">(.*?)</div>', re.S)
_P = re.compile(r"<p>(.*?)</p>", re.S)


class Channel:
    """`kind` "api" posts JSON to /api/cases/cases/{id}/steps/; "form" posts the step form of
    /cases/{id}/ as a browser would (checkbox ticked = "on", unticked = absent)."""

    def __init__(self, kind: str):
        self.kind = kind
        self._clients: dict[int, Client] = {}

    def client(self, user) -> Client:
        c = self._clients.get(user.pk)
        if c is None:
            c = self._clients[user.pk] = Client()
            c.force_login(user)
        return c

    def open(self, user, **body) -> int:
        """Open a case through the API (both channels); returns its id."""
        body.setdefault("procedure", "general")
        body.setdefault("party", {"kind": "organisation", "name": "顺意餐饮有限公司"})
        body.setdefault("item_code", "Z028")
        r = self.client(user).post("/api/cases/cases/", body, content_type="application/json")
        assert r.status_code == 201, r.content.decode()
        return r.json()["id"]

    def step(self, user, case_id: int, action: str, date: str, **data) -> tuple[bool, list[str]]:
        c = self.client(user)
        if self.kind == "api":
            body = {"action": action, "date": date, **data}
            r = c.post(f"/api/cases/cases/{case_id}/steps/", body, content_type="application/json")
            assert r.status_code in (201, 400, 409), (r.status_code, r.content[:300])
            if r.status_code == 201:
                return True, []
            return False, r.json()["messages"]
        form: dict[str, Any] = {"action": action, "date": date}
        for k, v in data.items():
            if v is True:
                form[k] = "on"
            elif v is False or v is None:
                continue
            else:
                form[k] = [str(x) for x in v] if isinstance(v, list | tuple) else str(v)
        r = c.post(f"/cases/{case_id}/", form)
        if r.status_code == 302:
            return True, []
        assert r.status_code == 200, r.status_code
        m = _ERRORS.search(r.content.decode())
        assert m, "refused without an error box"
        return False, [html.unescape(p).strip() for p in _P.findall(m.group(1))]


def snapshot(case_id: int) -> tuple:
    """What a refused step must leave unchanged."""
    case = Case.objects.get(pk=case_id)
    return (
        list(CaseEvent.objects.filter(case_id=case_id).values_list("seq", "type", "date", "payload")),
        case.status,
        case.decision,
        case.decider,
        case.legal_reviewer,
        case.findings,
        AuditEntry.objects.count(),
    )


class Gate:
    def __init__(self, channel: Channel):
        self.ch = channel

    def ok(self, user, case_id: int, action: str, date: str, **data) -> None:
        accepted, msgs = self.ch.step(user, case_id, action, date, **data)
        assert accepted, f"{action} {date} refused: {msgs}"

    def refused(self, user, case_id: int, action: str, date: str, *articles: str, **data) -> str:
        """The step is refused citing each of `articles` (e.g. "第四十五条"), nothing written."""
        before = snapshot(case_id)
        accepted, msgs = self.ch.step(user, case_id, action, date, **data)
        text = " ".join(msgs)
        assert not accepted, f"{action} {date} was accepted"
        for a in articles:
            assert a in text, (a, text)
        assert re.search(r"[\u4e00-\u9fff]", text)  # Chinese
        assert snapshot(case_id) == before, "a refused step wrote something"
        return text
