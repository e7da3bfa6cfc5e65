"""Page forms refuse invisible control characters as the API does (issue 12): a Chinese 400 that
names the field and the position, and nothing is stored."""

from __future__ import annotations

from zhifa.org.models import User


def test_a_control_character_in_a_page_form_is_refused_and_nothing_changes(client, make_user):
    admin = make_user("admin", username="adm")
    client.force_login(admin)
    before = User.objects.count()
    r = client.post(
        "/org/users/new/",
        {"username": "newone", "full_name": "张\x07三", "role": "officer", "password": "Zhifa-test-2026"},
    )
    assert r.status_code == 400
    body = r.content.decode()
    assert "full_name" in body and "第2个字符" in body and "U+0007" in body
    assert User.objects.count() == before


def test_ordinary_line_breaks_and_tabs_pass(client, make_user):
    from zhifa.core.middleware import PlainFormInputMiddleware

    class Req:
        method = "POST"
        path = "/dispatch/new/"

        class POST:
            @staticmethod
            def lists():
                return [("text", ["第一行\r\n第二行\t完"])]

    assert PlainFormInputMiddleware._first_problem(Req) is None
    Req.POST.lists = staticmethod(lambda: [("reason", ["ok", "坏\x1b了"])])
    assert "reason" in PlainFormInputMiddleware._first_problem(Req)


def test_the_api_keeps_its_own_json_error(client, make_user):
    client.force_login(make_user("county_dispatcher", username="cd"))
    r = client.post("/api/dispatch/reports/", {"text": "a\x00b", "lon": 1, "lat": 1}, "application/json")
    assert r.status_code == 400 and r["Content-Type"].startswith("application/json")
