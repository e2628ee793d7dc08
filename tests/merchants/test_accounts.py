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
        "username": "zhangsan",
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
    assert not User.objects.filter(username="zhangsan").exists()


@pytest.mark.django_db
def test_signup_without_consent_is_refused(client):
    response = signup(client, consent="")
    assert "请勾选同意后再注册" in response.content.decode()
    assert not User.objects.exists()


@pytest.mark.django_db
def test_signup_creates_a_non_staff_account_logs_in_and_audits(client):
    response = signup(client)
    assert response.status_code == 302 and response.url == reverse("portal:claim")
    user = User.objects.get(username="zhangsan")
    assert not user.is_staff and user.check_password(GOOD)
    assert audit_entries_for(user).get().action == "account.signup"
    assert client.get(reverse("portal:home")).status_code == 200


@pytest.mark.django_db
def test_signup_refuses_an_email_already_registered(client):
    UserFactory(username="old", email="zs@example.cn")
    response = signup(client)
    assert "该电子邮箱已注册" in response.content.decode()
    assert not User.objects.filter(username="zhangsan").exists()


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
