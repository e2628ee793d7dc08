"""Two-factor sign-in (等保 2.0 level 3): no staff page without a second factor; enrolment, the second
step, recovery codes, merchants' opt-in, the superuser's reset, and the API's refusal of Basic auth."""

from __future__ import annotations

import base64

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from integrity_portal.core.audit import audit_entries_for
from tests.factories import PASSWORD, MembershipFactory, UserFactory, make_staff

pytestmark = [pytest.mark.django_db, pytest.mark.real_two_factor]

STAFF_PAGES = [
    "/admin/",
    "/admin/merchants/merchant/",
    "/admin/complaints/complaint/",
    "/admin/personal-data/",
    "/accounts/two-factor/",
    "/portal/",
]


def _current_code(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


def _enrolled(user) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)


def _password_login(client: Client, user, next_url: str = "/admin/"):
    return client.post(f"/accounts/login/?next={next_url}", {"username": user.username, "password": PASSWORD})


def _actions(user) -> list[str]:
    return list(audit_entries_for(user).values_list("action", flat=True))


@pytest.mark.parametrize("path", STAFF_PAGES)
def test_staff_without_an_authenticator_is_sent_to_enrol_before_any_staff_page(regions, path):
    clerk = make_staff("410802")
    client = Client()
    client.force_login(clerk)

    response = client.get(path)

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/two-factor/setup/?next=")


@pytest.mark.parametrize("path", STAFF_PAGES)
def test_enrolled_staff_with_only_a_password_is_asked_for_the_code_on_every_staff_page(regions, path):
    clerk = make_staff("410802")
    _enrolled(clerk)
    client = Client()
    client.force_login(clerk)

    response = client.get(path)

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/two-factor/verify/?next=")


def test_staff_api_answers_403_without_the_second_factor(regions):
    clerk = make_staff("410802")
    _enrolled(clerk)
    client = Client()
    client.force_login(clerk)

    response = client.get("/api/v1/staff/inspections/")

    assert response.status_code == 403
    assert response.json()["errors"][0]["code"] == "second_factor_required"


def test_sign_in_asks_for_the_code_and_a_correct_code_opens_the_admin(regions):
    clerk = make_staff("410802")
    device = _enrolled(clerk)
    client = Client()

    response = _password_login(client, clerk)
    assert response.status_code == 302
    response = client.get(response["Location"])  # /admin/ → the second step
    assert response["Location"] == "/accounts/two-factor/verify/?next=%2Fadmin%2F"
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert "6位验证码" in page.content.decode()

    response = client.post("/accounts/two-factor/verify/", {"token": _current_code(device), "next": "/admin/"})

    assert response.status_code == 302 and response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_a_wrong_code_is_refused_audited_and_slows_the_next_try(regions):
    clerk = make_staff("410802")
    device = _enrolled(clerk)
    client = Client()
    client.force_login(clerk)

    response = client.post("/accounts/two-factor/verify/", {"token": "000000", "next": "/admin/"})
    if _current_code(device) == "000000":  # one chance in a million
        pytest.skip("the authenticator happened to show 000000")

    assert response.status_code == 200
    assert "验证码不正确" in response.content.decode()
    assert "two_factor.failed" in _actions(clerk)
    # django-otp's throttle: right after a miss even the right code waits (guessing 10^6 codes is slow).
    response = client.post("/accounts/two-factor/verify/", {"token": _current_code(device), "next": "/admin/"})
    assert response.status_code == 200
    assert client.get("/admin/").status_code == 302


def test_enrolment_needs_a_code_from_the_new_authenticator_and_issues_ten_single_use_recovery_codes(regions):
    clerk = make_staff("410802")
    client = Client()
    client.force_login(clerk)

    page = client.get("/accounts/two-factor/setup/?next=/admin/")
    assert page.status_code == 200
    assert 'src="data:image/svg+xml;base64,' in page.content.decode()
    device = TOTPDevice.objects.get(user=clerk, confirmed=False)
    secret = base64.b32encode(device.bin_key).decode().rstrip("=")
    assert secret[:4] in page.content.decode()
    assert client.get("/accounts/two-factor/setup/").status_code == 200
    assert TOTPDevice.objects.filter(user=clerk).count() == 1  # a reload keeps the QR code

    wrong = client.post("/accounts/two-factor/setup/", {"token": "12345x", "next": "/admin/"})
    assert wrong.status_code == 200 and "验证码不正确" in wrong.content.decode()
    assert not TOTPDevice.objects.get(pk=device.pk).confirmed

    done = client.post("/accounts/two-factor/setup/", {"token": _current_code(device), "next": "/admin/"})

    assert done.status_code == 200
    codes = done.context["codes"]
    assert len(codes) == 10 and len(set(codes)) == 10
    assert TOTPDevice.objects.get(pk=device.pk).confirmed
    assert "two_factor.enabled" in _actions(clerk)
    assert client.get("/admin/").status_code == 200  # this session is verified
    # A double click on "完成设置" sends the same code again: no error page, no second QR code.
    again = client.post("/accounts/two-factor/setup/", {"token": _current_code(device), "next": "/admin/"})
    assert again.status_code == 302 and again["Location"] == "/accounts/two-factor/"
    assert TOTPDevice.objects.filter(user=clerk).count() == 1

    # A recovery code works once, typed with its dash and in capitals.
    other = Client()
    other.force_login(clerk)
    assert other.post("/accounts/two-factor/verify/", {"token": codes[0].upper()}).status_code == 302
    assert other.get("/admin/").status_code == 200
    assert "two_factor.recovery_code_used" in _actions(clerk)
    third = Client()
    third.force_login(clerk)
    assert third.post("/accounts/two-factor/verify/", {"token": codes[0]}).status_code == 200
    assert third.get("/admin/").status_code == 302


def test_an_enrolled_user_with_only_a_password_cannot_enrol_a_new_phone(regions):
    clerk = make_staff("410802")
    _enrolled(clerk)
    attacker = Client()
    attacker.force_login(clerk)

    response = attacker.get("/accounts/two-factor/setup/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/two-factor/verify/")
    response = attacker.post("/accounts/two-factor/setup/", {"token": "123456"})
    assert response.status_code == 302
    assert TOTPDevice.objects.filter(user=clerk).count() == 1
    assert attacker.get("/admin/").status_code == 302


def test_regenerated_recovery_codes_replace_the_old_ones(regions):
    clerk = make_staff("410802")
    device = _enrolled(clerk)
    client = Client()
    client.force_login(clerk)
    client.post("/accounts/two-factor/verify/", {"token": _current_code(device)})
    first = client.post("/accounts/two-factor/recovery-codes/").context["codes"]

    second = client.post("/accounts/two-factor/recovery-codes/").context["codes"]

    assert StaticToken.objects.filter(device__user=clerk).count() == 10
    assert not set(first) & set(second)
    other = Client()
    other.force_login(clerk)
    assert other.post("/accounts/two-factor/verify/", {"token": first[0]}).status_code == 200
    assert _actions(clerk).count("two_factor.recovery_codes_regenerated") == 2


def test_an_unverified_session_cannot_regenerate_recovery_codes(regions):
    clerk = make_staff("410802")
    _enrolled(clerk)
    client = Client()
    client.force_login(clerk)

    response = client.post("/accounts/two-factor/recovery-codes/")

    assert response.status_code == 302
    assert not StaticDevice.objects.filter(user=clerk).exists()


def test_the_second_step_never_redirects_off_site(regions):
    clerk = make_staff("410802")
    device = _enrolled(clerk)
    client = Client()
    client.force_login(clerk)

    response = client.post(
        "/accounts/two-factor/verify/", {"token": _current_code(device), "next": "https://evil.example/"}
    )

    assert response.status_code == 302 and response["Location"] == "/admin/"


def test_signing_out_and_in_again_asks_for_the_code_again(regions):
    clerk = make_staff("410802")
    device = _enrolled(clerk)
    client = Client()
    _password_login(client, clerk)
    client.post("/accounts/two-factor/verify/", {"token": _current_code(device)})
    assert client.get("/admin/").status_code == 200

    client.post("/accounts/logout/")
    _password_login(client, clerk)

    assert client.get("/admin/").status_code == 302


def test_merchants_sign_in_with_a_password_until_they_opt_in(regions):
    membership = MembershipFactory()
    owner = membership.user
    client = Client()
    _password_login(client, owner, "/portal/")
    assert client.get("/portal/").status_code == 200
    assert client.get("/accounts/two-factor/").status_code == 200

    client.get("/accounts/two-factor/setup/")
    device = TOTPDevice.objects.get(user=owner)
    client.post("/accounts/two-factor/setup/", {"token": _current_code(device)})
    client.post("/accounts/logout/")
    _password_login(client, owner, "/portal/")

    assert client.get("/portal/").status_code == 302
    assert client.get(f"/portal/merchants/{membership.merchant.pk}/")["Location"].startswith(
        "/accounts/two-factor/verify/"
    )


def test_a_merchant_turns_two_factor_off_with_a_current_code_and_staff_cannot(regions):
    owner = MembershipFactory().user
    device = _enrolled(owner)
    client = Client()
    client.force_login(owner)
    StaticDevice.objects.create(user=owner, name="recovery", confirmed=True).token_set.create(token="abcd2345")
    client.post("/accounts/two-factor/verify/", {"token": "abcd2345"})

    client.post("/accounts/two-factor/disable/", {"token": _current_code(device)})

    assert not TOTPDevice.objects.filter(user=owner).exists()
    assert not StaticDevice.objects.filter(user=owner).exists()
    assert "two_factor.disabled" in _actions(owner)
    assert client.get("/portal/").status_code == 200

    clerk = make_staff("410802")
    clerk_device = _enrolled(clerk)
    staff_client = Client()
    staff_client.force_login(clerk)
    staff_client.post("/accounts/two-factor/verify/", {"token": _current_code(clerk_device)})
    response = staff_client.post("/accounts/two-factor/disable/", {"token": _current_code(clerk_device)}, follow=True)
    assert "必须启用两步验证" in response.content.decode()
    assert TOTPDevice.objects.filter(user=clerk).exists()


def test_basic_auth_is_refused_for_accounts_that_need_a_second_factor(regions):
    clerk = make_staff("410802")
    _enrolled(clerk)
    merchant_user = MembershipFactory().user

    def basic(user):
        raw = base64.b64encode(f"{user.username}:{PASSWORD}".encode()).decode()
        return Client().get("/api/v1/portal/complaints/", HTTP_AUTHORIZATION=f"Basic {raw}")

    assert basic(clerk).status_code in (401, 403)
    assert "两步验证" in basic(clerk).json()["errors"][0]["detail"]
    assert basic(merchant_user).status_code == 200


def test_a_superuser_resets_a_lost_phone_and_the_clerk_enrols_again(regions):
    clerk = make_staff("410802")
    _enrolled(clerk)
    StaticDevice.objects.create(user=clerk, name="recovery", confirmed=True).token_set.create(token="abcd2345")
    root = UserFactory(is_staff=True, is_superuser=True)
    root_device = _enrolled(root)
    admin_client = Client()
    admin_client.force_login(root)
    admin_client.post("/accounts/two-factor/verify/", {"token": _current_code(root_device)})

    response = admin_client.post(
        "/admin/auth/user/", {"action": "reset_two_factor", "_selected_action": [clerk.pk]}, follow=True
    )

    assert response.status_code == 200
    assert not TOTPDevice.objects.filter(user=clerk).exists()
    assert not StaticDevice.objects.filter(user=clerk).exists()
    entry = audit_entries_for(clerk).get(action="two_factor.reset")
    assert entry.actor == root
    client = Client()
    client.force_login(clerk)
    assert client.get("/admin/")["Location"].startswith("/accounts/two-factor/setup/")


def test_only_superusers_get_the_reset_action(regions):
    clerk = make_staff("410802")
    device = _enrolled(clerk)
    # Even a clerk allowed to edit users (auth.change_user) is not offered the reset.
    clerk.user_permissions.add(
        *Permission.objects.filter(content_type__app_label="auth", codename__in=["view_user", "change_user"])
    )
    client = Client()
    client.force_login(clerk)
    client.post("/accounts/two-factor/verify/", {"token": _current_code(device)})
    victim = make_staff("410803")
    _enrolled(victim)

    assert client.get("/admin/auth/user/").status_code == 200
    assert "reset_two_factor" not in client.get("/admin/auth/user/").content.decode()
    client.post("/admin/auth/user/", {"action": "reset_two_factor", "_selected_action": [victim.pk]})

    assert TOTPDevice.objects.filter(user=victim).exists()


def test_device_secrets_are_not_browsable_in_the_admin(regions):
    root = UserFactory(is_staff=True, is_superuser=True)
    device = _enrolled(root)
    client = Client()
    client.force_login(root)
    client.post("/accounts/two-factor/verify/", {"token": _current_code(device)})

    assert client.get("/admin/otp_totp/totpdevice/").status_code == 404
    assert client.get("/admin/otp_static/staticdevice/").status_code == 404


def test_pages_without_account_data_stay_reachable_before_the_second_step(regions):
    clerk = make_staff("410802")
    _enrolled(clerk)
    client = Client()
    client.force_login(clerk)

    assert client.get("/legal/privacy/").status_code == 200
    assert client.get("/healthz/").status_code == 200
    assert client.post("/accounts/logout/").status_code == 302
