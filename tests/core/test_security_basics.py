"""Login lockout, staff idle timeout, password strength, CSRF and security headers."""

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from tests.factories import PASSWORD, UserFactory, make_staff


@pytest.mark.django_db
def test_repeated_failed_logins_lock_the_account_out(settings):
    settings.AXES_FAILURE_LIMIT = 3
    UserFactory(username="shopkeeper")
    client = Client()
    for _ in range(3):
        client.post(reverse("login"), {"username": "shopkeeper", "password": "wrong-password"})
    response = client.post(reverse("login"), {"username": "shopkeeper", "password": PASSWORD})
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_correct_password_logs_in_before_the_limit():
    UserFactory(username="shopkeeper")
    client = Client()
    client.post(reverse("login"), {"username": "shopkeeper", "password": "wrong-password"})
    response = client.post(reverse("login"), {"username": "shopkeeper", "password": PASSWORD})
    assert response.status_code == 302
    assert "_auth_user_id" in client.session


def test_weak_passwords_are_refused():
    for weak in ("12345678901", "password123", "short"):
        with pytest.raises(ValidationError):
            validate_password(weak)
    validate_password("Correct-Horse-Battery-9")


def test_staff_session_expires_after_idle_time(regions, settings, client, monkeypatch):
    settings.STAFF_SESSION_IDLE_SECONDS = 60
    staff = make_staff("410800")
    client.force_login(staff)
    clock = {"now": 1_000_000}
    monkeypatch.setattr("integrity_portal.core.middleware.time.time", lambda: clock["now"])
    assert client.get("/admin/").status_code == 200
    clock["now"] += 30
    assert client.get("/admin/").status_code == 200
    clock["now"] += 61
    response = client.get("/admin/")
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_merchant_sessions_are_not_cut_by_the_staff_idle_timeout(regions, settings, client, monkeypatch):
    settings.STAFF_SESSION_IDLE_SECONDS = 60
    merchant_user = UserFactory()
    client.force_login(merchant_user)
    clock = {"now": 1_000_000}
    monkeypatch.setattr("integrity_portal.core.middleware.time.time", lambda: clock["now"])
    client.get("/")
    clock["now"] += 3600
    client.get("/")
    assert "_auth_user_id" in client.session


@pytest.mark.django_db
def test_forms_require_csrf_token():
    UserFactory(username="shopkeeper")
    client = Client(enforce_csrf_checks=True)
    response = client.post(reverse("login"), {"username": "shopkeeper", "password": PASSWORD})
    assert response.status_code == 403


@pytest.mark.django_db
def test_security_headers_are_sent(client):
    response = client.get("/healthz/")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
