"""Merchant accounts: sign-up with Django's password validators and consent, log-in with axes, reset."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.urls import reverse

from integrity_portal.core.audit import audit_entries_for
from tests.factories import PASSWORD, UserFactory

User = get_user_model()
GOOD = "Qingshui-Lu-77"


def signup(client, **overrides):
    data = {
        "email": "zs@example.cn",
        "password1": GOOD,
        "password2": GOOD,
        "consent": "on",
    }
    data.update(overrides)
    return client.post(reverse("signup"), data)


@pytest.mark.django_db
def test_signup_with_weak_password_is_refused(client):
    response = signup(client, password1="12345678", password2="12345678")
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "password2" in errors
    assert not User.objects.filter(email="zs@example.cn").exists()


@pytest.mark.django_db
def test_signup_without_consent_is_refused(client):
    response = signup(client, consent="")
    assert "请勾选同意后再注册" in response.content.decode()
    assert not User.objects.exists()


@pytest.mark.django_db
def test_signup_creates_a_non_staff_account_named_by_its_email_mails_a_link_and_audits(
    client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = signup(client, email="ZS@Example.cn")
    assert response.status_code == 302 and response.url == reverse("signup_done")
    user = User.objects.get(username="zs@example.cn")
    assert user.email == "zs@example.cn"
    assert not user.is_staff and user.check_password(GOOD)
    assert audit_entries_for(user).get().action == "account.signup"
    assert [m.to for m in mail.outbox] == [["zs@example.cn"]]
    assert "/accounts/signup/confirm/" in mail.outbox[0].body
    assert "_auth_user_id" not in client.session  # not signed in by the answer: it would differ by a cookie
    login = client.post(reverse("login"), {"username": "zs@example.cn", "password": GOOD})
    assert login.status_code == 302 and client.get(reverse("portal:home")).status_code == 200


@pytest.mark.django_db
def test_signup_with_a_registered_email_creates_nothing_and_mails_that_address(
    client, django_capture_on_commit_callbacks
):
    old = UserFactory(username="old", email="zs@example.cn")
    response = signup(client, password2="Something-Else-99")  # mismatched passwords: still no hint
    assert "已注册" not in response.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = signup(client)
    assert response.status_code == 302 and response.url == reverse("signup_done")
    assert "已注册" not in client.get(response.url).content.decode()
    assert User.objects.filter(email__iexact="zs@example.cn").get() == old
    assert [m.to for m in mail.outbox] == [["zs@example.cn"]]
    assert "尝试使用本邮箱注册" in mail.outbox[0].body and "/accounts/password/reset/" in mail.outbox[0].body
    assert "account.signup_existing" in [e.action for e in audit_entries_for(old)]


@pytest.mark.django_db
def test_login_page_is_chinese_and_login_works_through_axes(client):
    page = client.get(reverse("login"))
    assert page.status_code == 200 and "登录" in page.content.decode()
    UserFactory(username="lisi")
    response = client.post(reverse("login"), {"username": "lisi", "password": PASSWORD})
    assert response.status_code == 302 and response.url == reverse("portal:home")
    logout = client.post(reverse("logout"))
    assert logout.status_code == 302
    assert client.get(reverse("portal:home")).status_code == 302


@pytest.mark.django_db
def test_wrong_password_shows_an_error(client):
    UserFactory(username="lisi")
    response = client.post(reverse("login"), {"username": "lisi", "password": "wrong-password"})
    assert response.status_code == 200
    assert response.context["form"].non_field_errors()


@pytest.mark.django_db
def test_password_reset_email_link_sets_a_new_password(client):
    user = UserFactory(username="wangwu", email="ww@example.cn")
    response = client.post(reverse("password_reset"), {"email": "ww@example.cn"})
    assert response.status_code == 302 and response.url == reverse("password_reset_done")
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert "重设" in message.subject and "\n" not in message.subject
    link = re.search(r"https?://[^/]+(/\S+)", message.body).group(1)
    form_page = client.get(link, follow=True)
    assert form_page.context["validlink"]
    done = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": "Another-Good-8", "new_password2": "Another-Good-8"},
    )
    assert done.status_code == 302 and done.url == reverse("password_reset_complete")
    user.refresh_from_db()
    assert user.check_password("Another-Good-8")


@pytest.mark.django_db
def test_password_change_requires_login_and_validates(client):
    assert client.get(reverse("password_change")).status_code == 302
    user = UserFactory(username="zhaoliu")
    client.force_login(user)
    weak = client.post(
        reverse("password_change"), {"old_password": PASSWORD, "new_password1": "abc", "new_password2": "abc"}
    )
    assert weak.status_code == 200 and weak.context["form"].errors
    ok = client.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": "Another-Good-8", "new_password2": "Another-Good-8"},
    )
    assert ok.status_code == 302 and ok.url == reverse("password_change_done")
    assert client.get(ok.url).status_code == 200


@pytest.mark.django_db
def test_password_errors_are_all_in_chinese(client):
    response = signup(client, password1="1234567", password2="1234567")
    messages = response.context["form"].errors["password2"]
    assert any("至少需要 10 个字符" in m for m in messages)
    assert not any("This password" in m for m in messages)


@pytest.mark.django_db
def test_repeated_wrong_passwords_lock_the_login_with_a_chinese_page(client, settings):
    settings.AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
    UserFactory(username="lisi")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("login"), {"username": "lisi", "password": "wrong-password"})
    locked = client.post(reverse("login"), {"username": "lisi", "password": PASSWORD})
    assert locked.status_code in {403, 429}
    assert "登录已暂时锁定" in locked.content.decode()


# --- Lockout on (username, client address); the username alone only gets a growing delay ----------------

CLERK_PASSWORD = PASSWORD


def _login(client, username, password, ip):
    return client.post(reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=ip)


@pytest.mark.django_db
def test_attacker_failing_twenty_times_does_not_lock_the_clerk_out_of_another_address(client, settings):
    UserFactory(username="clerk")
    for _ in range(20):
        assert _login(client, "clerk", "wrong-password", "203.0.113.66").status_code in {200, 429}
    from django.test import Client

    desk = Client()
    response = _login(desk, "clerk", CLERK_PASSWORD, "198.51.100.20")
    assert response.status_code == 302 and response.url == reverse("portal:home")
    assert "_auth_user_id" in desk.session


@pytest.mark.django_db
def test_one_clerk_failing_does_not_lock_a_colleague_behind_the_same_nat(client, settings):
    UserFactory(username="clerk")
    UserFactory(username="colleague")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _login(client, "clerk", "wrong-password", "192.0.2.10")
    response = _login(client, "colleague", PASSWORD, "192.0.2.10")
    assert response.status_code == 302 and "_auth_user_id" in client.session


@pytest.mark.django_db
def test_same_username_and_address_is_locked_after_the_limit_even_with_the_right_password(client, settings):
    UserFactory(username="clerk")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _login(client, "clerk", "wrong-password", "192.0.2.10")
    locked = _login(client, "clerk", PASSWORD, "192.0.2.10")
    assert locked.status_code == 429 and "_auth_user_id" not in client.session
    body = locked.content.decode()
    assert "已暂时锁定" in body and "30 分钟后再试" in body
    assert int(locked["Retry-After"]) == 30 * 60


@pytest.mark.django_db
def test_username_failures_slow_down_addresses_that_failed_but_never_a_fresh_one(client, settings, monkeypatch):
    from django.test import Client

    import integrity_portal.core.ratelimit as rl

    clock = {"t": 1_900_000_000.0}
    monkeypatch.setattr(rl.time, "time", lambda: clock["t"])
    UserFactory(username="clerk")
    for _ in range(settings.AXES_FAILURE_LIMIT):  # address A: hard-locked for clerk, 5 username failures
        _login(client, "clerk", "wrong-password", "203.0.113.1")
    second = Client()
    assert _login(second, "clerk", "wrong-password", "203.0.113.2").status_code == 200  # B is fresh: checked
    slowed = _login(second, "clerk", PASSWORD, "203.0.113.2")  # 6th failure → B waits 2^1 s
    assert slowed.status_code == 429 and "_auth_user_id" not in second.session
    assert slowed["Retry-After"] == "2" and "2 秒后再试" in slowed.content.decode()
    clock["t"] += 2
    assert _login(second, "clerk", "wrong-password", "203.0.113.2").status_code == 200  # checked again
    assert _login(second, "clerk", PASSWORD, "203.0.113.2")["Retry-After"] == "4"  # the delay doubles
    fresh = Client()
    assert _login(fresh, "clerk", PASSWORD, "198.51.100.7").status_code == 302  # a fresh address: no delay
    assert "_auth_user_id" in fresh.session
    clock["t"] += 1  # success cleared the username count: B is admitted at once
    assert _login(second, "clerk", PASSWORD, "203.0.113.2").status_code == 302


@pytest.mark.django_db
def test_lockout_page_renders_in_english_without_echoing_the_username(client, settings):
    UserFactory(username="clerk")
    hostile = 'clerk"<b>'
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _login(client, hostile, "wrong-password", "192.0.2.10")
    client.cookies.load({settings.LANGUAGE_COOKIE_NAME: "en"})
    locked = _login(client, hostile, "wrong-password", "192.0.2.10")
    body = locked.content.decode()
    assert locked.status_code == 429 and "<b>" not in body and hostile not in body
    assert "Please try again in 30 minutes." in body
