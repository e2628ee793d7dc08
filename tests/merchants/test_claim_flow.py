"""Claim codes: issued by staff (hash only), spent once by the owner, throttled, and the portal pages."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone

from integrity_portal.core.audit import audit_entries_for
from integrity_portal.core.errors import NotPermitted, ValidationFailed
from integrity_portal.core.roles import StaffRole
from merchants.models import ClaimCode, Membership, MembershipRole
from merchants.services import TooManyAttempts, claim_code_issue, merchant_claim
from merchants.services.register import CLAIM_CODE_ALPHABET, claim_code_hash
from tests.factories import MembershipFactory, UserFactory, make_staff

from .register_helpers import merchant_in

INVALID = "认领码无效或已过期"
THROTTLED = "尝试次数过多，请稍后再试"


@pytest.fixture
def clerk(regions):
    return make_staff("410802", StaffRole.DISTRICT_BRANCH)


@pytest.fixture
def shop(regions):
    return merchant_in("410802", name="解放区老街包子铺")


@pytest.fixture
def owner(db):
    return UserFactory(username="baozi")


def post_claim(client, number, code, **extra):
    return client.post(reverse("portal:claim"), {"registration_number": number, "code": code}, **extra)


def test_issue_stores_only_a_keyed_hash_and_audits(clerk, shop, settings):
    claim, plain = claim_code_issue(merchant=shop, actor=clerk)
    assert len(plain) == 10 and set(plain) <= set(CLAIM_CODE_ALPHABET)
    assert claim.code_hash == claim_code_hash(plain) and plain not in claim.code_hash
    assert len(claim.code_hash) == 64
    row = ClaimCode.objects.filter(pk=claim.pk).values().get()
    assert plain not in {str(v) for v in row.values()}
    assert claim.issued_by == clerk
    ttl = claim.expires_at - claim.issued_at
    assert timedelta(days=settings.CLAIM_CODE_TTL_DAYS) - ttl < timedelta(seconds=5)
    entry = audit_entries_for(shop).get(action="claim_code.issue")
    assert entry.actor == clerk and entry.data["claim_code_id"] == claim.pk
    assert plain not in str(entry.data)


def test_issue_refused_outside_the_clerks_region(clerk, regions):
    other = merchant_in("410803")
    with pytest.raises(NotPermitted):
        claim_code_issue(merchant=other, actor=clerk)
    assert not ClaimCode.objects.exists()


def test_admin_action_shows_the_code_once_in_a_message(client, clerk, shop, owner):
    client.force_login(clerk)
    response = client.post(
        reverse("admin:merchants_merchant_changelist"),
        {"action": "issue_claim_codes", "_selected_action": [shop.pk]},
    )
    assert response.status_code == 302
    shown = client.get(response.url).content.decode()
    match = re.search(r"认领码：([A-Z0-9]{5}-[A-Z0-9]{5})", shown)
    assert match
    claim = ClaimCode.objects.get(merchant=shop)
    assert claim.code_hash == claim_code_hash(match.group(1))
    again = client.get(reverse("admin:merchants_merchant_changelist")).content.decode()
    assert match.group(1) not in again


def test_new_code_revokes_earlier_unused_code(clerk, shop, owner):
    _first, first_plain = claim_code_issue(merchant=shop, actor=clerk)
    _second, second_plain = claim_code_issue(merchant=shop, actor=clerk)
    with pytest.raises(ValidationFailed, match=INVALID):
        merchant_claim(user=owner, registration_number=shop.uscc, code=first_plain)
    membership = merchant_claim(user=owner, registration_number=shop.uscc, code=second_plain.lower())
    assert membership.role == MembershipRole.OWNER


def test_claim_makes_the_user_owner_spends_the_code_and_audits(client, clerk, shop, owner):
    claim, plain = claim_code_issue(merchant=shop, actor=clerk)
    client.force_login(owner)
    response = post_claim(client, shop.uscc.lower(), f"{plain[:5]}-{plain[5:]}")
    assert response.status_code == 302 and response.url == reverse("portal:merchant", args=[shop.pk])
    membership = Membership.objects.get(user=owner, merchant=shop)
    assert membership.role == MembershipRole.OWNER
    claim.refresh_from_db()
    assert claim.used_by == owner and claim.used_at is not None
    entry = audit_entries_for(shop).get(action="merchant.claim")
    assert entry.actor == owner and entry.data["membership_id"] == membership.pk


def test_claim_by_licence_number(clerk, regions, owner):
    stall = merchant_in("410802", uscc=None, licence_number="JF-2024-0001")
    _claim, plain = claim_code_issue(merchant=stall, actor=clerk)
    membership = merchant_claim(user=owner, registration_number="jf-2024-0001", code=plain)
    assert membership.merchant == stall


def test_clerk_member_is_promoted_to_owner_by_claim(clerk, shop, owner):
    MembershipFactory(user=owner, merchant=shop, role=MembershipRole.CLERK)
    _claim, plain = claim_code_issue(merchant=shop, actor=clerk)
    assert merchant_claim(user=owner, registration_number=shop.uscc, code=plain).role == MembershipRole.OWNER
    assert Membership.objects.get(user=owner, merchant=shop).role == MembershipRole.OWNER


def _page_error(response) -> str:
    return " ".join(response.context["form"].non_field_errors())


def test_wrong_used_expired_code_and_unknown_uscc_give_the_same_error(client, clerk, shop, owner, regions):
    claim, plain = claim_code_issue(merchant=shop, actor=clerk)
    other_shop = merchant_in("410802")
    _other_claim, other_plain = claim_code_issue(merchant=other_shop, actor=clerk)
    client.force_login(owner)

    wrong = post_claim(client, shop.uscc, "ABCDEFGHJK")
    unknown_uscc = post_claim(client, "91410802MA00000000", plain)
    code_of_other_merchant = post_claim(client, shop.uscc, other_plain)
    ClaimCode.objects.filter(pk=claim.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    expired = post_claim(client, shop.uscc, plain)
    errors = {_page_error(r) for r in (wrong, unknown_uscc, code_of_other_merchant, expired)}
    assert errors == {INVALID}
    assert not Membership.objects.exists()

    ClaimCode.objects.filter(pk=claim.pk).update(expires_at=timezone.now() + timedelta(days=1))
    someone_else = UserFactory(username="first")
    merchant_claim(user=someone_else, registration_number=shop.uscc, code=plain)
    used = post_claim(client, shop.uscc, plain)
    assert _page_error(used) == INVALID
    assert not Membership.objects.filter(user=owner).exists()


def test_wrong_attempts_are_throttled_per_user(clerk, shop, owner):
    _claim, plain = claim_code_issue(merchant=shop, actor=clerk)
    for _ in range(10):
        with pytest.raises(ValidationFailed):
            merchant_claim(user=owner, registration_number=shop.uscc, code="WRONGCODE2")
    with pytest.raises(TooManyAttempts, match=THROTTLED):
        merchant_claim(user=owner, registration_number=shop.uscc, code=plain)
    assert not Membership.objects.exists()
    other = UserFactory(username="neighbour")
    assert merchant_claim(user=other, registration_number=shop.uscc, code=plain).user == other


def test_wrong_attempts_are_throttled_per_ip_across_accounts(client, clerk, shop):
    _claim, plain = claim_code_issue(merchant=shop, actor=clerk)
    guessers = get_user_model().objects.bulk_create(
        [get_user_model()(username=f"guess{i}") for i in range(10)]
    )
    for user in guessers:
        with pytest.raises(ValidationFailed):
            merchant_claim(user=user, registration_number=shop.uscc, code="WRONGCODE2", ip="10.0.0.9")
    fresh = UserFactory(username="fresh")
    client.force_login(fresh)
    blocked = post_claim(client, shop.uscc, plain, REMOTE_ADDR="10.0.0.9")
    assert blocked.status_code == 429 and THROTTLED in blocked.content.decode()
    assert not Membership.objects.exists()
    ok = post_claim(client, shop.uscc, plain, REMOTE_ADDR="10.0.0.10")
    assert ok.status_code == 302


def test_portal_requires_login(client, shop):
    for url in (reverse("portal:home"), reverse("portal:claim"), reverse("portal:merchant", args=[shop.pk])):
        response = client.get(url)
        assert response.status_code == 302 and response.url.startswith(reverse("login"))


def test_portal_lists_own_merchants_and_404s_others(client, shop, owner, regions):
    MembershipFactory(user=owner, merchant=shop)
    stranger_shop = merchant_in("410802", name="别人的店")
    client.force_login(owner)
    home = client.get(reverse("portal:home"))
    assert list(home.context["merchants"]) == [shop]
    assert "别人的店" not in home.content.decode()
    page = client.get(reverse("portal:merchant", args=[shop.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert shop.uscc in html and shop.address in html
    used = {t.name for t in page.templates}
    assert {
        "portal/partials/credit_panel.html",
        "portal/partials/complaints_panel.html",
        "portal/partials/campaigns_panel.html",
    } <= used
    assert client.get(reverse("portal:merchant", args=[stranger_shop.pk])).status_code == 404
    assert client.get(reverse("portal:merchant", args=[999999])).status_code == 404


def test_no_code_for_a_deregistered_merchant(clerk, regions):
    closed = merchant_in("410802", status="deregistered")
    with pytest.raises(ValidationFailed, match="已注销"):
        claim_code_issue(merchant=closed, actor=clerk)
    assert not ClaimCode.objects.exists()
    assert not audit_entries_for(closed).exists()


def test_membership_grant_refuses_other_district_and_unknown_role(clerk, owner, regions):
    from merchants.services import membership_grant

    other = merchant_in("410803")
    mine = merchant_in("410802")
    with pytest.raises(NotPermitted):
        membership_grant(user=owner, merchant=other, role=MembershipRole.OWNER, actor=clerk)
    with pytest.raises(ValidationFailed):
        membership_grant(user=owner, merchant=mine, role="boss", actor=clerk)
    assert not Membership.objects.exists()
    assert not audit_entries_for(other).exists() and not audit_entries_for(mine).exists()
