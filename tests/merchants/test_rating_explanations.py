"""Explaining the stars: /ratings/how/ from the active policy, the profile's plain-words reason, 0★ vs
not yet rated, the black-list banner and badge, no stars for a deregistered business, the directory's star
shares, the portal's black-list explanation with the repair date, and no plaque while black-listed.

Expected values are worked out by hand from the default policy (docs/RATINGS.md) and the fixtures, never
from the code under test."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from dateutil.relativedelta import relativedelta
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from integrity_portal.core.models import AuditEntry
from integrity_portal.core.public_cache import public_pages_changed
from merchants.models import ListEntryKind, Merchant, MerchantStatus, PenaltyTier, RatingPolicy
from merchants.selectors.ratings import public_star_shares
from merchants.services import merchant_save
from merchants.services.rating import ratings_recompute
from merchants.services.rating_policy import default_rules, rating_policy_activate, rating_policy_active
from tests.factories import MembershipFactory, MerchantFactory, make_staff
from tests.merchants.credit_factories import blacklist, inspect, penalise, today

pytestmark = pytest.mark.django_db


def _rated(merchant) -> Merchant:
    ratings_recompute(merchant_ids=[merchant.pk])
    merchant.refresh_from_db()
    return merchant


def _band_row(body: str, stars: int) -> str:
    match = re.search(rf'<tr class="band-row" data-stars="{stars}">(.*?)</tr>', body, re.S)
    assert match, f"no band row for {stars} stars"
    return match[1]


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


# --- /ratings/how/ ---------------------------------------------------------------------------------------


def test_how_page_states_the_active_policy_and_follows_a_newly_activated_one(
    client, regions, django_capture_on_commit_callbacks
):
    rating_policy_active()
    body = client.get("/ratings/how/").content.decode()
    # Default policy v1 (docs/RATINGS.md): 5★ 0–15 with no element above 5, 0★ from 51; minor recent 5.
    assert "0–15 分" in _band_row(body, 5) and "5 分" in _band_row(body, 5)
    assert "51 分及以上" in _band_row(body, 0) and "不限" in _band_row(body, 0)
    assert "第 1 版" in body and "扣 5 分" in body
    assert "黑名单一律 0 星" in body and "单项封顶" in body
    # The worked cap example of the default bands: 6 points in one element = 5★ band, capped at 4★.
    assert "合计扣 6 分本属 5 星区间" in body and "星级最高为 4 星" in body

    rules = default_rules()
    rules["bands"][0].update(max_total=12, max_element=4)
    rules["bands"][1].update(min_total=13)
    rules["trading"]["minor_recent"] = 7
    policy = RatingPolicy.objects.create(version=2, name="更严的规则", rules=rules)
    staff = make_staff()
    with django_capture_on_commit_callbacks(execute=True):
        rating_policy_activate(policy=policy, actor=staff)

    body = client.get("/ratings/how/").content.decode()  # the cached v1 page must not be served
    assert "0–12 分" in _band_row(body, 5) and "4 分" in _band_row(body, 5)
    assert "13–20 分" in _band_row(body, 4)
    assert "0–15 分" not in body
    assert "第 2 版" in body and "更严的规则" in body and "扣 7 分" in body
    assert "合计扣 5 分本属 5 星区间" in body
    assert AuditEntry.objects.filter(action="rating_policy.activate", to_status="v2").exists()


def test_how_page_in_english(client, regions):
    body = client.get("/ratings/how/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "How the stars are given" in body
    assert "0–15 points" in _band_row(body, 5)
    assert "A black-list entry means 0 stars" in body
    assert "星级如何评定" not in body


# --- the profile says why ----------------------------------------------------------------------------


@pytest.fixture
def capped(regions):
    """Credit 10 (no commitment 5 + a minor penalty in publicity 5), trading 0, service 0: total 10 is in
    the 5★ band (0–15), but an element above 5 allows 4★ at most (4★: no element above 10)."""
    merchant = MerchantFactory(name="城东便利店")
    penalise(merchant, tier=PenaltyTier.MINOR)
    return _rated(merchant)


def test_profile_with_a_capped_rating_states_the_cap_with_element_and_points(client, capped):
    assert capped.stars == 4
    body = client.get(f"/merchants/{capped.pk}/").content.decode()
    why = _text(re.search(r'<div class="rating-why[^"]*" id="rating-why">(.*?)</div>', body, re.S)[1])
    assert "合计扣 10 分，落在 5 星区间（0–15 分）" in why
    assert "信用管理扣了 10 分，超过 5 星允许的单项最多扣 5 分" in why
    assert "最高为 4 星" in why
    assert "rating-why-capped" in body and 'href="/ratings/how/"' in body


def test_capped_profile_in_english(client, capped):
    body = client.get(f"/merchants/{capped.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    why = _text(re.search(r'<div class="rating-why[^"]*" id="rating-why">(.*?)</div>', body, re.S)[1])
    assert "Total 10 points" in why and "5-star band (0–15 points)" in why
    assert "Credit management lost 10 points" in why and "at most 4 stars" in why
    assert "Why these stars" in body


def test_uncapped_rating_says_no_element_is_above_the_band_cap(client, regions):
    merchant = MerchantFactory()
    inspect(merchant)  # a clean inspection: credit 5 (no commitment) = total 5, 5★
    merchant = _rated(merchant)
    assert merchant.stars == 5
    body = _text(client.get(f"/merchants/{merchant.pk}/").content.decode())
    assert "合计扣 5 分，落在 5 星区间（0–15 分）；各单项扣分都不超过该区间允许的 5 分，因此为 5 星" in body


# --- 0★ from the black list vs not yet rated; banner and badge ------------------------------------------


@pytest.fixture
def listed_and_new(regions):
    listed = MerchantFactory(name="失信海鲜行")
    blacklist(listed)
    listed = _rated(listed)
    new = MerchantFactory(name="新开海鲜店")
    return listed, new


def test_black_listed_zero_and_not_yet_rated_look_different_with_banner_and_badge(client, listed_and_new):
    listed, new = listed_and_new
    assert listed.stars == 0 and new.stars is None

    body = client.get(f"/merchants/{listed.pk}/").content.decode()
    head = body.split('class="profile-grid"')[0]
    assert "black-list-banner" in head and "黑名单在列" in head  # at the top, before the details
    assert 'class="stars stars-0 stars-zero" data-stars="0"' in head and "0 星" in head
    assert "黑名单在列：列入黑名单期间一律为 0 星" in body

    body = client.get(f"/merchants/{new.pk}/").content.decode()
    head = body.split('class="profile-grid"')[0]
    assert "black-list-banner" not in body
    assert 'class="stars stars-none" data-stars="none"' in head and "尚未评级" in head
    assert "stars-zero" not in head and "☆" not in head  # another glyph, not empty stars
    assert "暂未评级" in body and "不是 0 星" in body

    for url in ("/merchants/", "/merchants/?q=海鲜"):  # the directory and its search results
        body = client.get(url).content.decode()
        rows = dict(re.findall(r'href="/merchants/(\d+)/">[^<]*</a></h3>(.*?)</li>', body, re.S))
        assert "badge-black-list" in rows[str(listed.pk)] and 'data-stars="0"' in rows[str(listed.pk)]
        assert "badge-black-list" not in rows[str(new.pk)] and 'data-stars="none"' in rows[str(new.pk)]
        assert body.count("badge-black-list") == 1


def test_black_list_badge_and_zero_in_english(client, listed_and_new):
    listed, _new = listed_and_new
    body = client.get(f"/merchants/{listed.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "On the black list" in body and "0 stars" in body
    assert "Not yet rated" in client.get(f"/merchants/{_new.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()


def test_ended_black_entry_removes_banner_and_badge(client, regions):
    merchant = MerchantFactory(name="已修复商行")
    blacklist(merchant, kind=ListEntryKind.ABNORMAL_OPERATION)
    merchant.list_entries.update(valid_until=today())  # in force up to yesterday only
    public_pages_changed()
    assert "black-list-banner" not in client.get(f"/merchants/{merchant.pk}/").content.decode()
    assert "badge-black-list" not in client.get("/merchants/").content.decode()


# --- deregistered: no current stars anywhere ---------------------------------------------------------------


def test_deregistered_business_shows_no_stars_in_profile_directory_api_and_verify(
    client, regions, django_capture_on_commit_callbacks
):
    merchant = MerchantFactory(name="歇业老店")
    inspect(merchant)
    merchant = _rated(merchant)
    assert merchant.stars == 5
    merchant.status = MerchantStatus.DEREGISTERED
    with django_capture_on_commit_callbacks(execute=True):
        merchant_save(merchant=merchant, actor=None, changed_fields=["status"])
    assert Merchant.objects.get(pk=merchant.pk).stars == 5  # the stored history stays

    body = client.get(f"/merchants/{merchant.pk}/").content.decode()
    assert 'data-stars="deregistered"' in body and "已注销，无当前星级" in body
    assert "★" not in body and 'data-stars="5"' not in body
    assert "该主体已注销，不再评定星级" in body

    # The directory lists operating businesses by default; asked for every status it shows this one without stars.
    assert f'/merchants/{merchant.pk}/"' not in client.get("/merchants/").content.decode()
    body = client.get("/merchants/?status=all").content.decode()
    row = re.search(rf'href="/merchants/{merchant.pk}/">.*?</li>', body, re.S)[0]
    assert 'data-stars="deregistered"' in row and "★" not in row
    assert f'/merchants/{merchant.pk}/"' not in client.get("/merchants/?status=all&stars=5").content.decode()

    data = client.get(f"/api/v1/merchants/{merchant.pk}/").json()
    assert (
        data["stars"] is None and data["rating_state"] == "deregistered" and data["status"] == "deregistered"
    )
    listed = {m["merchant_id"]: m for m in client.get("/api/v1/merchants/").json()["results"]}
    assert listed[merchant.pk]["stars"] is None and listed[merchant.pk]["rating_state"] == "deregistered"
    assert client.get("/api/v1/merchants/?stars=5").json()["results"] == []

    body = client.get(f"/verify/{merchant.plaque_token}/?s=5&y={today().year}").content.decode()
    assert 'data-live-stars="deregistered"' in body and "此牌匾无效" in body and "已注销" in body
    response = client.get(f"/merchants/{merchant.pk}/plaque/")
    assert response.status_code == 404 and "已注销" in response.content.decode()


def test_open_data_states_rating_state_and_black_list_flag(client, listed_and_new):
    listed, new = listed_and_new
    data = client.get(f"/api/v1/merchants/{listed.pk}/").json()
    assert (data["stars"], data["rating_state"], data["black_listed"]) == (0, "rated", True)
    data = client.get(f"/api/v1/merchants/{new.pk}/").json()
    assert (data["stars"], data["rating_state"], data["black_listed"]) == (None, "not_rated", False)
    schema = client.get("/api/schema/").content.decode()
    assert "rating_state" in schema and "deregistered" in schema and "black_listed" in schema


# --- the share of merchants at each star level -------------------------------------------------------------


@pytest.fixture
def distribution(regions):
    """解放区 410802: 5★ ×2, 3★, 0★, not yet rated, and a deregistered 5★ (excluded); 山阳区 410811: 4★."""
    spec = [("410802", 5), ("410802", 5), ("410802", 3), ("410802", 0), ("410802", None), ("410811", 4)]
    for code, stars in spec:
        MerchantFactory(region=regions[code], stars=stars)
    MerchantFactory(region=regions["410802"], stars=5, status=MerchantStatus.DEREGISTERED)


def _shares(body: str) -> dict:
    rows = re.findall(
        r'<tr class="share-row" data-stars="(\w+)">.*?share-count">([\d,]+)<.*?share-pct">([\d.]+)%<',
        body,
        re.S,
    )
    return {stars: (int(n.replace(",", "")), pct) for stars, n, pct in rows}


def test_directory_star_shares_match_the_hand_counted_distribution(client, distribution):
    # Whole directory: 6 entities (the deregistered one excluded) — 2/6 = 33.3 %, 1/6 = 16.7 %.
    assert _shares(client.get("/merchants/").content.decode()) == {
        "5": (2, "33.3"),
        "4": (1, "16.7"),
        "3": (1, "16.7"),
        "2": (0, "0.0"),
        "1": (0, "0.0"),
        "0": (1, "16.7"),
        "none": (1, "16.7"),
    }
    # 解放区 alone: 5 entities — 2/5 = 40 %, 1/5 = 20 %; the directory's district filter and text search.
    expected = {
        "5": (2, "40.0"),
        "4": (0, "0.0"),
        "3": (1, "20.0"),
        "2": (0, "0.0"),
        "1": (0, "0.0"),
        "0": (1, "20.0"),
        "none": (1, "20.0"),
    }
    assert _shares(client.get("/merchants/?region=410802").content.decode()) == expected
    assert _shares(client.get("/merchants/?region=410802&q=测试").content.decode()) == expected
    body = client.get("/merchants/?region=410802").content.decode()
    assert "本辖区星级分布" in body and "pct-40" in body and "pct-20" in body and "style=" not in body


def test_star_shares_cost_one_aggregate_query_then_none(regions, distribution):
    public_star_shares(region_code="410811")  # warm the region tree
    public_pages_changed()
    with CaptureQueriesContext(connection) as ctx:
        shares = public_star_shares(region_code="410802")
    assert len(ctx.captured_queries) == 1 and "GROUP BY" in ctx.captured_queries[0]["sql"].upper()
    assert shares["total"] == 5
    with CaptureQueriesContext(connection) as ctx:
        public_star_shares(region_code="410802")
    assert len(ctx.captured_queries) == 0


def test_star_shares_in_english(client, distribution):
    body = client.get("/merchants/?region=410802", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Stars in this district" in body and "Not yet rated" in body


# --- the portal: a 0★ from the black list, credit repair, no plaque ----------------------------------------


@pytest.fixture
def listed_member(regions, client):
    membership = MembershipFactory()
    merchant = membership.merchant
    blacklist(merchant, valid_from=today() - timedelta(days=30))
    _rated(merchant)
    client.force_login(membership.user)
    return merchant


def test_portal_explains_black_list_zero_with_repair_earliest_date_and_hides_the_plaque(
    client, listed_member
):
    body = client.get(f"/portal/merchants/{listed_member.pk}/").content.decode()
    # Serious dishonesty may be repaired one year after listing (policy repair_min_months 12).
    earliest = today() - timedelta(days=30) + relativedelta(months=12)
    assert "您的主体列入黑名单，列入期间星级一律为 0 星" in body
    assert f"最早可于 {earliest:%Y-%m-%d} 起申请信用修复" in body
    assert f"/portal/credit/{listed_member.pk}/repair/" in body
    assert f"/merchants/{listed_member.pk}/plaque/" not in body and "列入黑名单期间不提供星级牌匾" in body
    assert 'data-stars="0"' in body


def test_portal_black_list_explanation_in_english(client, listed_member):
    body = client.get(f"/portal/merchants/{listed_member.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    earliest = today() - timedelta(days=30) + relativedelta(months=12)
    assert "is on the black list" in body and f"from {earliest:%Y-%m-%d}" in body


def test_portal_says_when_repair_can_be_asked_for_now(client, regions):
    membership = MembershipFactory()
    blacklist(membership.merchant, kind=ListEntryKind.ABNORMAL_OPERATION)  # repairable once cured: now
    _rated(membership.merchant)
    client.force_login(membership.user)
    body = client.get(f"/portal/merchants/{membership.merchant.pk}/").content.decode()
    assert "现在即可申请信用修复" in body


def test_plaque_is_refused_while_black_listed_and_offered_again_after(client, listed_member, regions):
    response = client.get(f"/merchants/{listed_member.pk}/plaque/")
    assert response.status_code == 403
    body = response.content.decode()
    assert (
        "不提供星级牌匾" in body and "列入黑名单" in body and response["Content-Type"].startswith("text/html")
    )
    anonymous = type(client)()
    assert anonymous.get(f"/merchants/{listed_member.pk}/plaque/").status_code == 403
    assert anonymous.get(f"/merchants/{listed_member.pk}/plaque/?download=1").status_code == 403

    listed_member.list_entries.update(ended_at=timezone.now(), end_reason="信用修复")
    _rated(listed_member)
    response = client.get(f"/merchants/{listed_member.pk}/plaque/")
    assert response.status_code == 200 and response["Content-Type"].startswith("image/svg+xml")
    assert (
        f"/merchants/{listed_member.pk}/plaque/"
        in client.get(f"/portal/merchants/{listed_member.pk}/").content.decode()
    )


# --- every star display links to the explanation ------------------------------------------------------------


def test_star_displays_link_to_the_explanation(client, capped):
    for url in (f"/merchants/{capped.pk}/", "/merchants/", f"/verify/{capped.plaque_token}/"):
        assert 'class="stars-how" href="/ratings/how/"' in client.get(url).content.decode(), url


def test_portal_rating_api_gives_the_same_state_and_words(client, listed_member):
    data = client.get(f"/api/v1/portal/merchants/{listed_member.pk}/rating/").json()
    assert data["rating_state"] == "rated" and data["current"]["stars"] == 0
    assert any("黑名单在列" in line and "0 星" in line for line in data["explanation"])
