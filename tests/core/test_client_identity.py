"""Client identity: one ``client_ip`` for every limiter and for axes, trusting X-Forwarded-For only as far
as ``TRUSTED_PROXY_COUNT`` (and ``TRUSTED_PROXY_NETWORKS``) say; rotating the header never buys a fresh
budget, and behind a configured proxy every real client has its own."""

from __future__ import annotations

import itertools

import pytest
from django.test import Client, RequestFactory
from django.urls import reverse

from complaints.models import Complaint
from integrity_portal.core.client import axes_client_ip, client_ip, rate_key
from merchants.services import claim_code_issue
from tests.factories import MerchantFactory, UserFactory

PROXY = "10.0.0.5"
_counter = itertools.count(1)


def _rotating_xff() -> str:
    n = next(_counter)
    return f"198.18.{n // 250}.{n % 250 + 1}"


def _req(remote="203.0.113.9", xff=None):
    extra = {"REMOTE_ADDR": remote} if remote is not None else {}
    if xff is not None:
        extra["HTTP_X_FORWARDED_FOR"] = xff
    request = RequestFactory().get("/", **extra)
    if remote is None:
        request.META.pop("REMOTE_ADDR", None)
    return request


def _rates(settings, **rates):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], **rates},
    }


# --- client_ip itself -------------------------------------------------------------------------------


def test_by_default_no_header_is_trusted(settings):
    assert settings.TRUSTED_PROXY_COUNT == 0
    assert client_ip(_req(xff="1.2.3.4")) == "203.0.113.9"
    assert client_ip(_req(xff="1.2.3.4, 5.6.7.8")) == "203.0.113.9"


def test_one_proxy_takes_the_address_it_appended_not_what_the_client_wrote(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    assert client_ip(_req(PROXY, "192.0.2.77")) == "192.0.2.77"
    assert client_ip(_req(PROXY, "6.6.6.6, 192.0.2.77")) == "192.0.2.77"  # left part is the client's forgery
    assert client_ip(_req(PROXY, " 6.6.6.6 ,  192.0.2.77 ")) == "192.0.2.77"


def test_two_proxies_take_the_second_address_from_the_right(settings):
    settings.TRUSTED_PROXY_COUNT = 2
    assert client_ip(_req(PROXY, "6.6.6.6, 192.0.2.77, 10.0.0.9")) == "192.0.2.77"
    assert client_ip(_req(PROXY, "10.0.0.9")) == PROXY  # fewer entries than proxies: not trusted


def test_header_is_ignored_without_remote_addr(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    assert client_ip(_req(None, "192.0.2.77")) == ""
    assert axes_client_ip(_req(None, "192.0.2.77")) is None


@pytest.mark.parametrize(
    "xff",
    [
        "garbage",
        "192.0.2.77\x00",
        "\x00",
        "192.0.2.77:8080",
        "[2001:db8::1]",
        "",
        ",,,",
        "192.0.2.77, ",
        "999.1.1.1",
        "1" * 5000,
        "unknown",
        "<script>",
        "192.0.2.1, " * 2000 + "192.0.2.77",
    ],
)
def test_garbage_in_the_header_falls_back_to_remote_addr(settings, xff):
    settings.TRUSTED_PROXY_COUNT = 1
    assert client_ip(_req(PROXY, xff)) == PROXY


def test_garbage_remote_addr_gives_an_empty_address():
    assert client_ip(_req("not-an-ip\x00")) == ""
    assert rate_key(_req("not-an-ip")) == "ip:unknown"


def test_addresses_are_canonical_and_ipv6_is_counted_per_64(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    assert client_ip(_req(PROXY, "::ffff:192.0.2.77")) == "192.0.2.77"
    assert client_ip(_req(PROXY, "2001:DB8:0:0::1")) == "2001:db8::1"
    a = rate_key(_req(PROXY, "2001:db8:1:2:aaaa::1"))
    b = rate_key(_req(PROXY, "2001:db8:1:2:bbbb::2"))
    c = rate_key(_req(PROXY, "2001:db8:1:3::1"))
    assert a == b != c
    assert rate_key(_req(PROXY, "192.0.2.77")) == "ip:192.0.2.77"


def test_trusted_networks_require_the_proxy_to_be_one_of_them(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    settings.TRUSTED_PROXY_NETWORKS = ["10.0.0.0/8"]
    assert client_ip(_req("10.1.2.3", "192.0.2.77")) == "192.0.2.77"
    assert client_ip(_req("203.0.113.50", "192.0.2.77")) == "203.0.113.50"  # went around the proxy
    settings.TRUSTED_PROXY_COUNT = 2
    assert client_ip(_req("10.1.2.3", "192.0.2.77, 10.9.9.9")) == "192.0.2.77"
    assert client_ip(_req("10.1.2.3", "192.0.2.77, 198.51.100.1")) == "10.1.2.3"  # inner hop not a proxy


def test_axes_uses_the_same_address(settings):
    from axes.helpers import get_client_ip_address

    settings.TRUSTED_PROXY_COUNT = 1
    assert get_client_ip_address(_req(PROXY, "6.6.6.6, 192.0.2.77")) == "192.0.2.77"


# --- Rotating X-Forwarded-For with the default setting still gets 429 --------------------------------


@pytest.mark.django_db
def test_rotating_forwarded_for_still_gets_429_on_the_open_data_api(client, regions, settings):
    _rates(settings, anon="3/minute")
    statuses = [client.get("/api/v1/merchants/", HTTP_X_FORWARDED_FOR=_rotating_xff()).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]


API_COMPLAINT = {
    "kind": "complaint",
    "category": "quality",
    "description": "新买的电水壶使用三天就漏电，商家拒绝退换。",
    "name": "测试赵强",
    "address": "测试地址文化路3号",
    "harm_known_on": "2026-11-10",
    "target_name": "小家电店",
    "target_address": "文化路10号",
    "region_code": "410802",
    "consent": True,
}


@pytest.mark.django_db
def test_rotating_forwarded_for_still_gets_429_on_api_complaint_submit(client, regions, settings):
    _rates(settings, complaint_submit="2/hour")
    statuses = [
        client.post(
            "/api/v1/complaints/submit/",
            {**API_COMPLAINT, "phone": f"1391234{i:04d}"},
            content_type="application/json",
            HTTP_X_FORWARDED_FOR=_rotating_xff(),
        ).status_code
        for i in range(3)
    ]
    assert statuses == [201, 201, 429]
    assert Complaint.objects.count() == 2


@pytest.mark.django_db
def test_api_and_form_share_the_complaint_budget_per_phone(client, regions, settings):
    _rates(settings, complaint_submit="1/hour")
    body = {**API_COMPLAINT, "phone": "13912345678"}
    ok = client.post("/api/v1/complaints/submit/", body, content_type="application/json", REMOTE_ADDR="192.0.2.1")
    again = client.post(
        "/api/v1/complaints/submit/",
        {**body, "phone": "+86 139 1234 5678"},
        content_type="application/json",
        REMOTE_ADDR="192.0.2.2",
    )
    assert (ok.status_code, again.status_code) == (201, 429)


@pytest.mark.django_db
def test_rotating_forwarded_for_still_gets_429_on_api_tracking(client, regions, settings):
    _rates(settings, tracking="3/hour")
    body = {"tracking_code": "ABCDEFGHJKMNPQRS", "phone": "13912345678"}
    statuses = [
        client.post(
            "/api/v1/complaints/track/", body, content_type="application/json", HTTP_X_FORWARDED_FOR=_rotating_xff()
        ).status_code
        for _ in range(4)
    ]
    assert statuses[-1] == 429 and 429 not in statuses[:3]


@pytest.mark.django_db
def test_rotating_forwarded_for_still_gets_429_on_html_tracking(client, regions, settings):
    _rates(settings, tracking="2/hour")
    body = {"tracking_code": "ABCDEFGHJKMNPQRS", "phone": "13912345678"}
    statuses = [
        client.post(reverse("complaints:track"), body, HTTP_X_FORWARDED_FOR=_rotating_xff()).status_code
        for _ in range(3)
    ]
    assert statuses == [404, 404, 429]


@pytest.mark.django_db
def test_rotating_forwarded_for_still_gets_429_on_api_objection(client, regions, settings):
    from tests.campaigns.conftest import publicity_campaign

    campaign = publicity_campaign(candidates=1)
    application = campaign.applications.get(rank=1)
    _rates(settings, objection="2/hour")
    statuses = [
        client.post(
            "/api/v1/campaign-objections/",
            {"application": application.pk, "name": "李四", "phone": f"1381234{i:04d}", "content": "缺斤短两，多次被投诉。"},
            content_type="application/json",
            HTTP_X_FORWARDED_FOR=_rotating_xff(),
        ).status_code
        for i in range(3)
    ]
    assert statuses == [201, 201, 429]


# --- Behind a configured proxy every real client has its own budget ---------------------------------


@pytest.mark.django_db
def test_behind_one_proxy_two_clients_have_their_own_tracking_budget(client, regions, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    _rates(settings, tracking="2/hour")
    body = {"tracking_code": "ABCDEFGHJKMNPQRS", "phone": "13912345678"}

    def track(real):
        return client.post(
            reverse("complaints:track"), body, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=f"6.6.6.6, {real}"
        ).status_code

    assert [track("192.0.2.10") for _ in range(3)] == [404, 404, 429]
    assert [track("192.0.2.20") for _ in range(2)] == [404, 404]


@pytest.mark.django_db
def test_behind_one_proxy_two_clients_have_their_own_claim_budget(regions, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    _rates(settings, claim="2/hour")
    shop = MerchantFactory(region_id="410802")
    _claim, plain = claim_code_issue(merchant=shop, actor=None)

    def claim(real, code):
        c = Client()
        c.force_login(UserFactory())
        return c.post(
            reverse("portal:claim"),
            {"registration_number": shop.uscc, "code": code},
            REMOTE_ADDR=PROXY,
            HTTP_X_FORWARDED_FOR=real,
        )

    assert [claim("192.0.2.10", "WRONG-CODE1").status_code for _ in range(2)] == [200, 200]
    assert claim("192.0.2.10", plain).status_code == 429  # this client's address is spent
    ok = claim("192.0.2.20", plain)  # another client behind the same proxy
    assert ok.status_code == 302


@pytest.mark.django_db
def test_garbage_forwarded_for_never_gives_500(client, regions, settings):
    for count in (0, 1, 3):
        settings.TRUSTED_PROXY_COUNT = count
        for xff in ("\x00", "1.2.3.4\x00, 5.6.7.8", "a" * 10000, ", , ,", "::ffff:1.2.3.4:80, [::1]"):
            for method, url in (
                ("get", "/api/v1/merchants/"),
                ("post", "/api/v1/complaints/track/"),
                ("post", reverse("complaints:track")),
                ("post", reverse("login")),
                ("post", reverse("signup")),
            ):
                response = getattr(client, method)(url, {}, HTTP_X_FORWARDED_FOR=xff)
                assert response.status_code < 500, (count, xff, url)
