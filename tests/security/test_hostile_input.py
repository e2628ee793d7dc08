"""Hostile input (issue #11, item 8) gets a clear 4xx, never a 500, and writes nothing.

Each input below was a 500 on PostgreSQL (NUL bytes: psycopg refuses U+0000 in a query parameter; 2**31
ads: integer overflow; 9999-12: date overflow) or on every database (non-object or deeply nested JSON). On
SQLite the NUL cases answered 200 with the NUL silently passed to the ORM; the tests assert the 400 that
the request guard now gives on every database. Pages run with DEBUG off and the client set not to re-raise,
so a test sees exactly what a visitor would.
"""

from __future__ import annotations

import base64
import io
import json

import pytest
from django.test import Client
from django.urls import reverse

from campaigns.models import AdQuota, AdReport, Objection
from complaints.models import Complaint
from integrity_portal.core.roles import StaffRole
from tests.factories import MembershipFactory, MerchantFactory, UserFactory, make_staff

pytestmark = pytest.mark.django_db

NUL = "\x00"
DEEP_ARRAY = "[" * 100_000 + "]" * 100_000
DEEP_OBJECT = '{"a":' * 100_000 + "1" + "}" * 100_000
NON_OBJECTS = ["[]", "null", "1", '"x"', "true", DEEP_ARRAY, DEEP_OBJECT]
JSON_POST_URLS = ["/api/v1/complaints/submit/", "/api/v1/complaints/track/", "/api/v1/campaign-objections/"]


@pytest.fixture
def anon(settings):
    settings.DEBUG = False
    return Client(raise_request_exception=False)


# --- NUL bytes in query strings, paths and credentials ---------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "/lists/red/?region=%00",
        "/lists/black/?region=%00",
        "/lists/red/?region=410802%00&kind=five_star",
        "/api/v1/lists/red/?region_code=%00",
        "/api/v1/lists/black/?region_code=%00",
        "/api/v1/merchants/?region_code=%00",
        "/merchants/?q=%00",
    ],
)
def test_nul_in_list_filters_is_400(anon, regions, url):
    response = anon.get(url)
    assert response.status_code == 400
    if url.startswith("/api/"):
        assert [error["code"] for error in response.json()["errors"]] == ["nul_byte"]
    else:
        assert "NUL" in response.content.decode()


def test_refusal_speaks_the_visitors_language(anon, regions):
    english = anon.get("/api/v1/lists/red/?region_code=%00", HTTP_ACCEPT_LANGUAGE="en")
    assert english.status_code == 400 and english.json()["errors"][0]["detail"].startswith("The request contains")
    page = anon.get("/lists/red/?region=%00", HTTP_ACCEPT_LANGUAGE="en")
    assert "invalid character (NUL)" in page.content.decode()
    chinese = anon.get("/api/v1/lists/red/?region_code=%00")
    assert "无效字符" in chinese.json()["errors"][0]["detail"]


def test_nul_in_merchant_search_query_is_400(anon, regions):
    MerchantFactory(name="测试超市")
    response = anon.get("/complaints/merchant-search/", {"q": "测试\x00超市"})
    assert response.status_code == 400
    # The same search without the NUL still answers (the guard refuses the NUL, not the feature).
    assert anon.get("/complaints/merchant-search/", {"q": "测试超市"}).json()["results"]


def test_nul_in_verify_path_is_400(anon, regions):
    assert anon.get("/verify/%00/").status_code == 400
    assert anon.get("/verify/abc%00def/").status_code == 400


def test_nul_in_a_header_is_400(anon, regions):
    """Cookies and the user agent reach the session store and django-axes' attempt log."""
    assert anon.get("/merchants/", HTTP_USER_AGENT="x\x00y").status_code == 400
    assert anon.get("/merchants/", HTTP_COOKIE="sessionid=a\x00b").status_code == 400


@pytest.mark.parametrize(
    "url", ["/api/v1/merchants/", "/api/v1/lists/red/", "/api/v1/complaints/statistics/", "/api/v1/regions/"]
)
def test_nul_in_basic_auth_username_is_a_failed_sign_in(anon, regions, url):
    from axes.models import AccessAttempt, AccessFailureLog

    credentials = base64.b64encode(b"a\x00b:pw").decode()
    response = anon.get(url, HTTP_AUTHORIZATION=f"Basic {credentials}")
    assert response.status_code in (401, 403)
    assert response.json()["errors"][0]["code"] == "authentication_failed"
    # Refused before any look-up: nothing was written to the lockout tables (a NUL there was the 500).
    assert not AccessAttempt.objects.exists() and not AccessFailureLog.objects.exists()


@pytest.mark.parametrize("url", ["/accounts/login/", "/admin/login/"])
def test_100k_character_username_on_sign_in_is_a_plain_failure(anon, regions, url):
    """Django's sign-in form does not enforce max_length: axes stored the whole name (a 500 on PostgreSQL,
    whose column holds 255). The attempt is still counted, under the first 150 characters."""
    from axes.models import AccessAttempt

    response = anon.post(url, {"username": "u" * 100_000, "password": "pw"})
    assert response.status_code in (200, 400, 429)
    attempt = AccessAttempt.objects.get()
    assert attempt.username == "u" * 150


def test_basic_auth_with_a_real_account_still_works(anon, regions):
    user = UserFactory(username="apiuser")
    user.set_password("right-password-1")
    user.save()
    credentials = base64.b64encode(b"apiuser:right-password-1").decode()
    response = anon.get("/api/v1/portal/complaints/", HTTP_AUTHORIZATION=f"Basic {credentials}")
    assert response.status_code == 200


# --- JSON bodies that are not one object ------------------------------------------------------------------


@pytest.fixture
def publicity(regions):
    from tests.campaigns.conftest import publicity_campaign

    return publicity_campaign(candidates=1)


@pytest.mark.parametrize("url", JSON_POST_URLS)
@pytest.mark.parametrize("body", NON_OBJECTS, ids=["list", "null", "int", "str", "bool", "deep[", "deep{"])
def test_non_object_or_deeply_nested_json_is_400(anon, publicity, url, body):
    response = anon.post(url, body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["detail"]
    assert not Complaint.objects.exists() and not Objection.objects.exists()


def test_json_object_nested_past_the_limit_is_400(anon, regions):
    from integrity_portal.core.api_input import MAX_JSON_DEPTH

    body = {"kind": "complaint"}
    node = body
    for _ in range(MAX_JSON_DEPTH + 1):
        node["x"] = {}
        node = node["x"]
    response = anon.post("/api/v1/complaints/submit/", json.dumps(body), content_type="application/json")
    assert response.status_code == 400 and str(MAX_JSON_DEPTH) in response.json()["errors"][0]["detail"]
    assert not Complaint.objects.exists()


# --- Integers out of range on a PSA report ------------------------------------------------------------------


@pytest.fixture
def venue_owner(regions):
    from django.utils import timezone

    venue = MerchantFactory(kind="market", is_large_venue=True)
    user = UserFactory()
    MembershipFactory(user=user, merchant=venue)
    AdQuota.objects.create(year=timezone.localdate().year)
    return user, venue


def _psa_post(client, venue, total, psa):
    from django.utils import timezone

    data = {
        "confirm_below_quota": "on",  # a share below the quota is filed only when confirmed
        "period": f"{timezone.localdate():%Y-%m}",
        "p-TOTAL_FORMS": "1",
        "p-INITIAL_FORMS": "0",
        "p-MIN_NUM_FORMS": "1",
        "p-MAX_NUM_FORMS": "20",
        "p-0-medium": "led",
        "p-0-location": "entrance",
        "p-0-total_ads": str(total),
        "p-0-psa_ads": str(psa),
    }
    return client.post(reverse("portal_campaigns:ad_report", args=[venue.pk]), data)


@pytest.mark.parametrize(
    "total,psa",
    [(2**31, 1), (2**31, 2**31), (10**30, 1), (-1, 0), (5, -1), (5, 6), ("1e9", 1)],
    ids=["2^31", "both 2^31", "10^30", "negative total", "negative psa", "psa>total", "float text"],
)
def test_psa_report_counts_out_of_range_are_400(anon, venue_owner, total, psa):
    user, venue = venue_owner
    anon.force_login(user)
    response = _psa_post(anon, venue, total, psa)
    assert response.status_code == 400
    assert not AdReport.objects.exists()
    # The highest accepted count still files.
    from campaigns.models import MAX_ADS_PER_PLACEMENT

    assert _psa_post(anon, venue, MAX_ADS_PER_PLACEMENT, 1).status_code == 302
    assert AdReport.objects.get().total_ads == MAX_ADS_PER_PLACEMENT


def test_psa_service_refuses_counts_past_the_bound(venue_owner):
    """The service is the rule (admin, imports and the API call it), not only the portal form."""
    from campaigns.services import ad_report_submit
    from integrity_portal.core.errors import ValidationFailed

    user, venue = venue_owner
    placement = {"medium": "led", "location": "entrance", "total_ads": 2**31, "psa_ads": 1}
    with pytest.raises(ValidationFailed, match="不能超过"):
        ad_report_submit(
            quota=AdQuota.objects.get(), merchant=venue, period="5月", placements=[placement], actor=user
        )
    many = [{**placement, "total_ads": 1}] * 21
    with pytest.raises(ValidationFailed, match="最多"):
        ad_report_submit(quota=AdQuota.objects.get(), merchant=venue, period="5月", placements=many, actor=user)
    assert not AdReport.objects.exists()


# --- Months out of range on the admin complaint statistics ---------------------------------------------------


@pytest.mark.parametrize("month", ["9999-12", "abc", "0000-00", "2026-13", "1-1", "2026-05\x00"])
def test_statistics_month_out_of_range_is_400_with_message(anon, regions, month):
    anon.force_login(make_staff("410800", StaffRole.CITY_BUREAU))
    url = reverse("admin:complaints_complaint_statistics")
    response = anon.get(url, {"month": month, "format": "csv"})
    assert response.status_code == 400
    if "\x00" not in month:
        assert "errornote" in response.content.decode()
    # A real month still exports.
    ok = anon.get(url, {"month": "2026-05", "format": "csv"})
    assert ok.status_code == 200 and "complaints-2026-05.csv" in ok["Content-Disposition"]


# --- Request body cap -----------------------------------------------------------------------------------------


class _Unreadable(io.RawIOBase):
    """A request body that fails the test if anything reads it."""

    def read(self, *args):
        raise AssertionError("the body of an oversize request was read")

    readline = read


def _announce(url, length: int):
    from django.test import RequestFactory

    from integrity_portal.core.request_guard import RequestGuardMiddleware

    request = RequestFactory().generic("POST", url, b"", content_type="application/x-www-form-urlencoded")
    request.META["CONTENT_LENGTH"] = str(length)
    request.META["wsgi.input"] = _Unreadable()
    request._stream = _Unreadable()
    reached = []
    response = RequestGuardMiddleware(lambda r: reached.append(r) or pytest.fail("view reached"))(request)
    return response, reached


@pytest.mark.parametrize("url", ["/complaints/new/", "/api/v1/complaints/submit/", "/accounts/signup/"])
def test_announced_200_mb_post_is_413_before_the_body_is_read(regions, url):
    response, reached = _announce(url, 200 * 1024 * 1024)
    assert response.status_code == 413 and not reached
    assert not Complaint.objects.exists()


def test_oversize_post_through_the_whole_stack_is_413(anon, regions, settings):
    """Through every middleware: the guard answers before CSRF or any view reads the body."""
    settings.MAX_REQUEST_BODY_BYTES = 1024
    response = anon.post("/api/v1/complaints/submit/", {"description": "x" * 4096})
    assert response.status_code == 413 and response.json()["errors"][0]["code"] == "request_too_large"
    page = anon.post("/complaints/new/", {"description": "x" * 4096})
    assert page.status_code == 413
    assert not Complaint.objects.exists()


def test_body_at_the_cap_passes_and_a_bad_length_is_400(anon, regions, settings):
    settings.MAX_REQUEST_BODY_BYTES = 4096
    body = json.dumps({"tracking_code": "X" * 10, "phone": "1" * 11, "pad": "p" * 3000})
    assert len(body) <= 4096
    assert anon.post("/api/v1/complaints/track/", body, content_type="application/json").status_code == 404
    response = anon.generic("POST", "/api/v1/complaints/track/", "{}", CONTENT_LENGTH="-5")
    assert response.status_code == 400


# --- A little fuzzing of every anonymous form and API endpoint ---------------------------------------------------

HOSTILE_TEXT = ["\x00", "a\x00b", "x" * 100_000, str(2**63), "-1", "1e999", "9" * 400, "<script>\"'"]
HOSTILE_JSON = ["\x00", "x" * 100_000, 2**63, -(2**63), 10**100, 1e308, [], {}, None, True, [1, [2]]]


def _form_targets(publicity):
    from django.utils import timezone

    app = publicity.applications.get()
    notice = reverse("campaigns:notice", args=[publicity.pk])
    base_complaint = {
        "kind": "complaint",
        "category": "price",
        "description": "结账时实际收费高于标价二十元。",
        "name": "王芳",
        "phone": "13912345678",
        "harm_known_on": str(timezone.localdate()),
        "address": "人民路1号",
        "target_name": "小店",
        "target_address": "解放路8号",
        "region": "410802",
        "consent": "on",
    }
    return [
        ("/complaints/new/", base_complaint),
        ("/complaints/track/", {"tracking_code": "ABCDEFGH", "phone": "13912345678"}),
        (notice, {"application": str(app.pk), "name": "李四", "phone": "13812345678", "content": "内容" * 10}),
        ("/accounts/login/", {"username": "someone", "password": "pw"}),
        ("/accounts/signup/", {"username": "u1", "email": "a@example.com", "password1": "x", "password2": "x"}),
    ]


def test_fuzz_public_forms_never_500(anon, publicity):
    for url, base in _form_targets(publicity):
        for field in base:
            for value in HOSTILE_TEXT:
                response = anon.post(url, {**base, field: value})
                assert response.status_code < 500, (url, field, value[:20], response.status_code)
    # What was filed (valid variants) carries no NUL anywhere (checked in Python: SQLite's LIKE stops at NUL).
    for complaint in Complaint.objects.all():
        texts = [complaint.description, complaint.complainant_name, complaint.complainant_address]
        assert not any("\x00" in t for t in texts + [complaint.target_name, complaint.target_address])


def _api_targets(publicity):
    from tests.complaints.test_api import PAYLOAD

    app = publicity.applications.get()
    tracking = {"tracking_code": "ABCDEFGH", "phone": "13912345678"}
    return [
        ("/api/v1/complaints/submit/", PAYLOAD),
        ("/api/v1/complaints/track/", tracking),
        ("/api/v1/complaints/track/decide/", {**tracking, "reply_id": 1, "accept": True}),
        ("/api/v1/complaints/track/rate/", {**tracking, "score": 5, "comment": "好"}),
        (
            "/api/v1/campaign-objections/",
            {"application": app.pk, "name": "李四", "phone": "13812345678", "content": "内容" * 10},
        ),
    ]


def test_fuzz_anonymous_api_never_500(anon, publicity, settings):
    from django.core.cache import cache

    # The fuzz sends a few hundred requests: lift the anonymous limits for it (they are tested elsewhere).
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_CLASSES": []}
    for url, base in _api_targets(publicity):
        for field in base:
            for value in HOSTILE_JSON:
                cache.clear()
                body = json.dumps({**base, field: value})
                response = anon.post(url, body, content_type="application/json")
                assert response.status_code < 500, (url, field, repr(value)[:20], response.status_code)
    for url in ["/api/v1/merchants/", "/api/v1/lists/red/", "/api/v1/lists/black/", "/api/v1/commendations/"]:
        for name in ["region", "kind", "stars", "search", "cursor", "page_size", "year"]:
            for value in HOSTILE_TEXT:
                cache.clear()
                response = anon.get(url, {name: value})
                assert response.status_code < 500, (url, name, value[:20], response.status_code)
