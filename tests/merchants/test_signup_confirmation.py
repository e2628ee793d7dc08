"""Sign-up tells nobody who exists: the same answer for a known and an unknown address (and for a staff
member's), a confirmation link before the account can claim a business, and a per-address sign-up limit."""

from __future__ import annotations

import re
import time

import pytest
from django.contrib.auth import get_user_model
from django.core import mail, signing
from django.test import Client
from django.urls import reverse

from integrity_portal.core.audit import audit_entries_for
from merchants.models import EmailConfirmation, Membership
from merchants.services import claim_code_issue, email_confirm
from merchants.services.accounts import email_confirmation_token
from tests.factories import MerchantFactory, UserFactory, make_staff

User = get_user_model()
GOOD = "Qingshui-Lu-77"
CSRF = re.compile(rb'name="csrfmiddlewaretoken" value="[^"]+"')


def _post(client, email, **overrides):
    data = {"email": email, "password1": GOOD, "password2": GOOD, "consent": "on", **overrides}
    return client.post(reverse("signup"), data)


def _answer(email, **overrides):
    """Status, Location and body of the answer and of the page it leads to, CSRF tokens masked."""
    client = Client()
    first = _post(client, email, **overrides)
    body = CSRF.sub(b"CSRF", first.content)
    page = client.get(first["Location"]) if first.status_code == 302 else None
    return (
        first.status_code,
        first.get("Location"),
        body,
        page.status_code if page else None,
        CSRF.sub(b"CSRF", page.content) if page else None,
    )


@pytest.mark.django_db
def test_known_and_unknown_addresses_get_byte_identical_answers(regions):
    UserFactory(username="old", email="known@example.cn")
    assert _answer("known@example.cn") == _answer("new-one@example.cn")
    assert _answer("KNOWN@example.cn") == _answer("other@example.cn")


@pytest.mark.django_db
def test_mismatched_passwords_answer_the_same_for_a_known_address(regions):
    UserFactory(username="old", email="known@example.cn")
    known = _answer("known@example.cn", password2="Different-Pass-9")
    unknown = _answer("nobody@example.cn", password2="Different-Pass-9")
    assert known[0] == unknown[0] == 200
    assert known[2].replace(b"known@example.cn", b"X") == unknown[2].replace(b"nobody@example.cn", b"X")


@pytest.mark.django_db
def test_staff_usernames_and_addresses_are_not_revealed(regions):
    staff = make_staff("410800", username="wangjing", email="wj@jz.gov.cn")
    assert _answer("wj@jz.gov.cn") == _answer("someone@jz.gov.cn")
    staff_name, nobody = _answer("wangjing"), _answer("nobody-here")  # not an address: the same form error
    assert staff_name[0] == nobody[0] == 200
    assert staff_name[2].replace(b"wangjing", b"X") == nobody[2].replace(b"nobody-here", b"X")
    page = Client().get(reverse("signup")).content.decode()
    assert 'name="username"' not in page
    assert User.objects.filter(email__iexact="wj@jz.gov.cn").get() == staff


@pytest.mark.django_db
def test_unconfirmed_account_can_sign_in_but_not_claim_until_confirmed(regions, django_capture_on_commit_callbacks):
    shop = MerchantFactory(region_id="410802")
    _row, plain = claim_code_issue(merchant=shop, actor=None)
    client = Client()
    with django_capture_on_commit_callbacks(execute=True):
        _post(client, "shop@example.cn")
    user = User.objects.get(username="shop@example.cn")
    assert client.post(reverse("login"), {"username": "shop@example.cn", "password": GOOD}).status_code == 302
    page = client.get(reverse("portal:claim"))
    assert "尚未确认" in page.content.decode()
    refused = client.post(reverse("portal:claim"), {"registration_number": shop.uscc, "code": plain})
    assert refused.status_code == 403 and "确认" in refused.content.decode()
    assert not Membership.objects.filter(user=user).exists()

    link = re.search(r"https?://[^/\s]+(/accounts/signup/confirm/\S+/)", mail.outbox[0].body).group(1)
    assert client.get(link).status_code == 200  # a page with a button: following the link changes nothing
    assert EmailConfirmation.objects.get(user=user).confirmed_at is None
    assert client.post(link).status_code == 302
    assert EmailConfirmation.objects.get(user=user).confirmed_at is not None
    assert "account.email_confirm" in [e.action for e in audit_entries_for(user)]
    assert client.post(link).status_code == 302  # twice: still fine

    ok = client.post(reverse("portal:claim"), {"registration_number": shop.uscc, "code": plain})
    assert ok.status_code == 302 and Membership.objects.filter(user=user, merchant=shop).exists()


@pytest.mark.django_db
def test_confirmation_links_that_are_tampered_expired_or_for_another_address_are_refused(regions, monkeypatch):
    user = User.objects.create_user(username="a@example.cn", email="a@example.cn", password=GOOD)
    EmailConfirmation.objects.create(user=user, email="a@example.cn")
    token = email_confirmation_token(user_id=user.pk, email="a@example.cn")
    client = Client()
    assert client.post(reverse("signup_confirm", args=[token[:-2] + "xx"])).status_code == 400
    other = email_confirmation_token(user_id=user.pk, email="b@example.cn")
    assert client.post(reverse("signup_confirm", args=[other])).status_code == 400
    assert client.post(reverse("signup_confirm", args=["%00<script>"])).status_code in {400, 404}
    four_days_ago = signing.b62_encode(int(time.time()) - 4 * 86400)
    monkeypatch.setattr(signing.TimestampSigner, "timestamp", lambda self: four_days_ago)
    expired = email_confirmation_token(user_id=user.pk, email="a@example.cn")
    monkeypatch.undo()
    response = client.post(reverse("signup_confirm", args=[expired]))
    assert response.status_code == 400 and "过期" in response.content.decode()
    assert EmailConfirmation.objects.get(user=user).confirmed_at is None
    email_confirm(token=token)
    assert EmailConfirmation.objects.get(user=user).confirmed_at is not None


@pytest.mark.django_db
def test_resend_mails_a_fresh_link_to_the_accounts_own_address_and_is_limited(
    regions, settings, django_capture_on_commit_callbacks
):
    user = User.objects.create_user(username="a@example.cn", email="a@example.cn", password=GOOD)
    EmailConfirmation.objects.create(user=user, email="a@example.cn")
    client = Client()
    client.force_login(user)
    for _ in range(3):
        with django_capture_on_commit_callbacks(execute=True):
            assert client.post(reverse("signup_confirm_resend")).status_code == 302
    assert [m.to for m in mail.outbox] == [["a@example.cn"]] * 3
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("signup_confirm_resend"))
    assert len(mail.outbox) == 3  # CONFIRM_RESEND_RATE 3/hour
    assert "account.email_confirm_resend" in [e.action for e in audit_entries_for(user)]


@pytest.mark.django_db
def test_accounts_made_by_staff_or_demo_data_count_as_confirmed(regions):
    shop = MerchantFactory(region_id="410802")
    _row, plain = claim_code_issue(merchant=shop, actor=None)
    owner = UserFactory(username="demo_owner")  # no confirmation row, like seed_demo and create_staff
    client = Client()
    client.force_login(owner)
    page = client.get(reverse("portal:claim"))
    assert "尚未确认" not in page.content.decode()
    assert client.post(reverse("portal:claim"), {"registration_number": shop.uscc, "code": plain}).status_code == 302


@pytest.mark.django_db
def test_signup_is_limited_per_client_address_even_with_rotating_forwarded_for(regions, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "signup": "3/hour"},
    }
    client = Client()
    statuses = [
        client.post(
            reverse("signup"),
            {"email": f"user{i}@example.cn", "password1": GOOD, "password2": GOOD, "consent": "on"},
            HTTP_X_FORWARDED_FOR=f"198.18.0.{i + 1}",
        ).status_code
        for i in range(4)
    ]
    assert statuses == [302, 302, 302, 429]
    assert User.objects.filter(username__endswith="@example.cn").count() == 3
    other = Client().post(
        reverse("signup"),
        {"email": "late@example.cn", "password1": GOOD, "password2": GOOD, "consent": "on"},
        REMOTE_ADDR="192.0.2.99",
    )
    assert other.status_code == 302  # another address has its own budget


@pytest.mark.django_db
def test_sign_in_finds_the_registered_address_whatever_its_case(regions, django_capture_on_commit_callbacks):
    """Sign-up stores the address in lower case; a phone capitalises "Shop@…" at sign-in."""
    with django_capture_on_commit_callbacks(execute=True):
        _post(Client(), "Shop.Owner@Example.cn")
    assert User.objects.filter(username="shop.owner@example.cn").exists()
    client = Client()
    answer = client.post(reverse("login"), {"username": "  Shop.Owner@EXAMPLE.cn ", "password": GOOD})
    assert answer.status_code == 302
    assert client.get(reverse("portal:home")).wsgi_request.user.username == "shop.owner@example.cn"
