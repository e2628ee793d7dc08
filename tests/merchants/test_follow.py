"""Following a merchant by e-mail (issue #19 item 7): confirmation before any notice, signed links
(a forged or expired one gets a clear page), one-click unsubscribe that erases the address, one notice per
confirmed follower for a stars or list change, rate limits, and nothing that tells whether an address
already follows."""

from __future__ import annotations

import re
from datetime import timedelta
from unittest import mock

import pytest
from django.core import mail, signing
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from integrity_portal.core.audit import audit_entries_for
from merchants.models import MerchantFollower, PenaltyTier
from merchants.services import follow as follow_svc
from merchants.services.credit import list_entry_remove
from merchants.services.rating import ratings_recompute
from notifications.models import Notice
from notifications.services import notice_deliver
from tests.factories import MerchantFactory
from tests.merchants.credit_factories import blacklist, inspect, penalise

pytestmark = pytest.mark.django_db

ADDRESS = "citizen@example.cn"


@pytest.fixture
def merchant(regions):
    return MerchantFactory()


def _ask(client, merchant, email=ADDRESS, ip="203.0.113.7"):
    return client.post(reverse("public:follow", args=[merchant.pk]), {"email": email}, REMOTE_ADDR=ip)


def _link(notice: Notice, name: str) -> str:
    path = reverse(name, args=["TOKEN"]).replace("TOKEN/", "")
    match = re.search(re.escape(path) + r"([^/\s]+)/", notice.body)
    assert match, notice.body
    return reverse(name, args=[match.group(1)])


def _confirm_notice(merchant) -> Notice:
    return Notice.objects.filter(kind="follow_confirm", region_code=merchant.region_id).latest("pk")


def _follow(client, merchant, email=ADDRESS, ip="203.0.113.7") -> MerchantFollower:
    assert _ask(client, merchant, email, ip).status_code == 200
    notice = Notice.objects.filter(kind="follow_confirm", address=email).latest("pk")
    assert client.post(_link(notice, "public:follow_confirm")).status_code == 200
    return MerchantFollower.objects.get(merchant=merchant, email=email)


def _change_stars(merchant):
    inspect(merchant)
    ratings_recompute(merchant_ids=[merchant.pk])
    penalise(merchant, tier=PenaltyTier.SERIOUS)
    ratings_recompute(merchant_ids=[merchant.pk])


def test_a_request_sends_one_confirmation_and_nothing_is_followed_until_confirmed(merchant, client):
    response = _ask(client, merchant)
    assert response.status_code == 200 and "确认邮件" in response.content.decode()
    follower = MerchantFollower.objects.get()
    assert follower.confirmed_at is None and follower.email == ADDRESS
    notice = _confirm_notice(merchant)
    assert notice.address == ADDRESS and notice.channel == "email"
    assert "/follow/confirm/" in notice.body and "/follow/unsubscribe/" in notice.body

    _change_stars(merchant)  # unconfirmed: no notice of the change
    assert not Notice.objects.filter(kind="followed_stars_changed").exists()

    link = _link(notice, "public:follow_confirm")
    page = client.get(link)  # a mail scanner opening the link confirms nothing
    assert page.status_code == 200 and MerchantFollower.objects.get().confirmed_at is None
    assert client.post(link).status_code == 200
    assert MerchantFollower.objects.get().confirmed_at is not None
    assert [e.action for e in audit_entries_for(merchant) if e.action.startswith("follower.")] == [
        "follower.confirm"
    ]


def test_the_answer_is_the_same_whether_or_not_the_address_already_follows(merchant, client):
    first = _ask(client, merchant).content.decode()
    _follow(client, merchant, email="other@example.cn", ip="203.0.113.8")
    confirmed_again = _ask(client, merchant, email="other@example.cn", ip="203.0.113.9").content.decode()
    strip = lambda html: re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", html)  # noqa: E731
    assert strip(first) == strip(confirmed_again)
    # An address that already follows gets no second confirmation e-mail (nothing to act on).
    assert Notice.objects.filter(kind="follow_confirm", address="other@example.cn").count() == 1
    assert MerchantFollower.objects.filter(email="other@example.cn").count() == 1


def test_forged_and_expired_links_are_refused_with_a_clear_page(merchant, client):
    _ask(client, merchant)
    follower = MerchantFollower.objects.get()
    forged = signing.dumps({"f": follower.pk}, salt="some.other.salt")
    response = client.post(reverse("public:follow_confirm", args=[forged]))
    assert response.status_code == 400 and "链接无法使用" in response.content.decode()
    token = follow_svc.confirm_token(follower)
    later = timezone.now() + follow_svc.CONFIRM_MAX_AGE + timedelta(minutes=1)
    with mock.patch("django.core.signing.time.time", return_value=later.timestamp()):
        expired = client.post(reverse("public:follow_confirm", args=[token]))
    assert expired.status_code == 400 and "已过期" in expired.content.decode()
    bad_unsub = client.get(
        reverse("public:follow_unsubscribe", args=[token])
    )  # a confirm token is no unsubscribe token
    assert bad_unsub.status_code == 400
    assert (
        MerchantFollower.objects.get().confirmed_at is None
        and MerchantFollower.objects.get().email == ADDRESS
    )


def test_opening_the_unsubscribe_link_only_shows_a_button(merchant, client):
    """Mail link scanners open every link: a GET unsubscribes nobody, it shows a POST form."""
    follower = _follow(client, merchant)
    link = _link(_confirm_notice(merchant), "public:follow_unsubscribe")
    response = client.get(link)
    html = response.content.decode()
    assert response.status_code == 200 and 'method="post"' in html and "确认退订" in html
    assert "已退订" not in html and ADDRESS not in html
    follower.refresh_from_db()
    assert follower.unsubscribed_at is None and follower.email == ADDRESS and follower.confirmed_at is not None
    assert not [e for e in audit_entries_for(merchant) if e.action == "follower.unsubscribe"]


def test_one_click_unsubscribe_without_sign_in_erases_the_address(merchant, client):
    follower = _follow(client, merchant)
    link = _link(_confirm_notice(merchant), "public:follow_unsubscribe")
    # RFC 8058: the mail client POSTs "List-Unsubscribe=One-Click" with no session and no CSRF token.
    one_click = Client(enforce_csrf_checks=True)
    response = one_click.post(link, {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200 and "已退订" in response.content.decode()
    follower.refresh_from_db()
    assert follower.unsubscribed_at is not None and follower.email == ""
    assert not Notice.objects.filter(address=ADDRESS).exists()  # the outbox forgets the address too
    assert len([e for e in audit_entries_for(merchant) if e.action == "follower.unsubscribe"]) == 1
    assert client.post(link).status_code == 200  # a second click (the page's button) says the same
    assert "已退订" in client.get(link).content.decode()  # and the link of an ended subscription says so
    _change_stars(merchant)
    assert not Notice.objects.filter(kind="followed_stars_changed").exists()


def test_a_stars_change_sends_exactly_one_notice_per_confirmed_follower(regions, client):
    merchant, quiet = MerchantFactory(), MerchantFactory()
    a = _follow(client, merchant, "a@example.cn", "203.0.113.1")
    b = _follow(client, merchant, "b@example.cn", "203.0.113.2")
    _ask(client, merchant, "pending@example.cn", "203.0.113.3")  # never confirmed
    gone = _follow(client, merchant, "gone@example.cn", "203.0.113.4")
    follow_svc.follower_unsubscribe(token=follow_svc.unsubscribe_token(gone.pk))
    _follow(client, quiet, "c@example.cn", "203.0.113.5")
    inspect(quiet)
    _change_stars(merchant)
    ratings_recompute()  # a second recompute changes nothing and sends nothing twice
    rows = Notice.objects.filter(kind="followed_stars_changed")
    assert sorted(rows.values_list("address", flat=True)) == ["a@example.cn", "b@example.cn"]
    assert {n.object_id for n in rows} == {str(a.pk), str(b.pk)}
    merchant.refresh_from_db()
    body = rows.get(address="a@example.cn").body
    assert merchant.name in body and f"{merchant.stars}星" in body and "/follow/unsubscribe/" in body


def test_follower_email_carries_list_unsubscribe_header(merchant, client, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    _follow(client, merchant)
    mail.outbox.clear()
    _change_stars(merchant)
    notice = Notice.objects.get(kind="followed_stars_changed")
    notice_deliver(notice_id=notice.pk)
    message = mail.outbox[-1]
    assert message.to == [ADDRESS]
    assert message.extra_headers["List-Unsubscribe"].startswith("<http")
    assert "/follow/unsubscribe/" in message.extra_headers["List-Unsubscribe"]
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_list_entry_added_and_removed_notify_confirmed_followers(merchant, client):
    _follow(client, merchant)
    entry = blacklist(merchant, number="焦市监失信〔2026〕9号")
    list_entry_remove(entry=entry, reason="信用修复", actor=None)
    kinds = sorted(
        Notice.objects.filter(address=ADDRESS).exclude(kind="follow_confirm").values_list("kind", flat=True)
    )
    assert kinds == ["followed_list_added", "followed_list_ended"]
    added = Notice.objects.get(kind="followed_list_added")
    assert "黑名单" in added.subject and "严重违法失信" in added.body


def test_requests_are_rate_limited_per_client_and_per_address(merchant, client, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "follow": "2/hour"},
    }
    assert _ask(client, merchant, "x1@example.cn").status_code == 200
    assert _ask(client, merchant, "x2@example.cn").status_code == 200
    refused = _ask(client, merchant, "x3@example.cn")
    assert refused.status_code == 429 and "频繁" in refused.content.decode()
    # Per address: the same address from other clients.
    assert _ask(client, merchant, "y@example.cn", ip="198.51.100.1").status_code == 200
    assert _ask(client, merchant, "y@example.cn", ip="198.51.100.2").status_code == 200
    assert _ask(client, merchant, "y@example.cn", ip="198.51.100.3").status_code == 429
    assert not MerchantFollower.objects.filter(email="x3@example.cn").exists()


def test_a_bad_address_gets_a_form_error_and_nothing_is_stored(merchant, client):
    response = _ask(client, merchant, "not-an-address")
    assert response.status_code == 400 and "有效的电子邮箱" in response.content.decode()
    assert 'aria-invalid="true"' in response.content.decode()
    assert not MerchantFollower.objects.exists() and not Notice.objects.exists()


def test_the_profile_offers_the_form_and_never_shows_an_address(merchant, client):
    _follow(client, merchant)
    page = client.get(reverse("public:merchant_detail", args=[merchant.pk])).content.decode()
    assert reverse("public:follow", args=[merchant.pk]) in page and ADDRESS not in page


def test_unconfirmed_addresses_are_erased_by_retention(merchant, client):
    _ask(client, merchant)
    later = timezone.now() + follow_svc.CONFIRM_MAX_AGE + timedelta(hours=1)
    assert follow_svc.followers_anonymise_expired(as_of=later) == 1
    follower = MerchantFollower.objects.get()
    assert follower.email == "" and follower.unsubscribed_at is not None
    assert not Notice.objects.filter(address=ADDRESS).exists()
