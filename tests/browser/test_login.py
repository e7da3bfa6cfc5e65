import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_login_page_in_chinese_and_wrong_password_message(page, make_user):
    make_user("officer", township="T01", username="zhang")
    page.goto("/login/")
    assert page.locator("h1").inner_text() == "登录"
    page.fill("input[name=username]", "zhang")
    page.fill("input[name=password]", "bad-password")
    page.click("button[type=submit]")
    assert "用户名或密码错误" in page.locator(".errors").inner_text()
    page.fill("input[name=password]", "Zhifa-test-2026")
    page.click("button[type=submit]")
    assert "执法人员" in page.locator("header .who").inner_text()
