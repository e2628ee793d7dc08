"""Built for third parties that keep a copy of the register: conditional GET (ETag, Last-Modified, 304),
incremental synchronisation (``updated_since``) and, on every rating, when it was made (``rated_at``), whether
a new rating is pending and whether it is under appeal."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.utils import timezone
from django.utils.http import http_date
from rest_framework.test import APIClient

from merchants.models import Merchant, Rating
from merchants.services.register import merchant_save
from tests.factories import MerchantFactory

pytestmark = pytest.mark.django_db

LIST = "/api/v1/merchants/"


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def shop(regions):
    return MerchantFactory(name="老街刘记面馆", region_id="410802")


def _rename(merchant, name, capture):
    merchant.name = name
    with capture(execute=True):  # the service drops the public page cache on commit
        merchant_save(merchant=merchant, actor=None, changed_fields=["name"])


@pytest.mark.parametrize(
    "url",
    [
        LIST,
        "detail",
        "/api/v1/regions/",
        "/api/v1/regions/410802/",
        "/api/v1/lists/red/",
        "/api/v1/lists/black/",
        "/api/v1/commendations/",
        "/api/v1/spot-checks/",
    ],
)
def test_public_lists_and_details_answer_304_to_a_current_copy(api, shop, url):
    url = f"{LIST}{shop.pk}/" if url == "detail" else url
    first = api.get(url)
    assert first.status_code == 200 and first["ETag"].startswith('"') and first["Last-Modified"]
    again = api.get(url, HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304 and again.content == b"" and again["ETag"] == first["ETag"]
    since = api.get(url, HTTP_IF_MODIFIED_SINCE=first["Last-Modified"])
    assert since.status_code == 304
    assert api.get(url, HTTP_IF_NONE_MATCH='"something-else"').status_code == 200


def test_a_change_to_a_merchant_changes_etag_and_last_modified(api, shop, django_capture_on_commit_callbacks):
    detail = f"{LIST}{shop.pk}/"
    before_list, before_detail = api.get(LIST), api.get(detail)
    _rename(shop, "老街刘记面馆（新店）", django_capture_on_commit_callbacks)
    for url, before in ((LIST, before_list), (detail, before_detail)):
        after = api.get(url, HTTP_IF_NONE_MATCH=before["ETag"], HTTP_IF_MODIFIED_SINCE=before["Last-Modified"])
        assert after.status_code == 200, url
        assert after["ETag"] != before["ETag"]
        # never earlier, and a later second than the old copy's, so If-Modified-Since alone sees the change
        assert timezone.datetime.strptime(after["Last-Modified"], "%a, %d %b %Y %H:%M:%S GMT") > (
            timezone.datetime.strptime(before["Last-Modified"], "%a, %d %b %Y %H:%M:%S GMT")
        )
        assert "（新店）" in after.content.decode()
        assert api.get(url, HTTP_IF_MODIFIED_SINCE=before["Last-Modified"]).status_code == 200


def test_an_unchanged_answer_keeps_its_last_modified(api, shop):
    first = api.get(LIST)
    assert api.get(LIST)["Last-Modified"] == first["Last-Modified"]
    assert api.get(LIST, HTTP_IF_MODIFIED_SINCE=http_date(timezone.now().timestamp() + 60)).status_code == 304


def test_updated_since_returns_what_changed_by_register_edit_or_new_rating(api, regions):
    old, edited, rerated = (MerchantFactory(name=n, region_id="410802") for n in ("旧店", "改名店", "新评级店"))
    long_ago = timezone.make_aware(datetime(2026, 1, 5, 9, 0))
    Merchant.objects.filter(pk__in=[old.pk, edited.pk, rerated.pk]).update(updated_at=long_ago)
    Merchant.objects.filter(pk=edited.pk).update(updated_at=timezone.now())
    rating = Rating.objects.create(merchant=rerated, stars=4, computed_at=timezone.now())
    Merchant.objects.filter(pk=rerated.pk).update(current_rating=rating, stars=4)

    def names(value):
        response = api.get(LIST, {"updated_since": value})
        assert response.status_code == 200, response.content
        return {row["name"] for row in response.json()["results"]}

    today = timezone.localdate()
    assert names(today.isoformat()) == {"改名店", "新评级店"}
    assert names((timezone.localtime() - timedelta(minutes=5)).isoformat()) == {"改名店", "新评级店"}
    assert names("2026-01-05T08:00:00+08:00") == {"旧店", "改名店", "新评级店"}
    assert names("2026-01-05T10:00:00Z") == {"改名店", "新评级店"}
    row = api.get(LIST, {"updated_since": today.isoformat(), "search": "新评级店"}).json()["results"][0]
    assert row["updated_at"] == row["rated_at"]


def test_updated_since_with_an_offset_postgresql_cannot_store_is_the_same_moment_in_utc(api, regions):
    """Python takes offsets up to ±23:59 and PostgreSQL only ±15:59: ``+19:24`` (found by schemathesis) was
    a 500 on PostgreSQL. 2026-01-05T20:00+19:24 is 00:36 UTC that day: after the old rows, before the edit."""
    old, edited = (MerchantFactory(name=n, region_id="410802") for n in ("旧店", "改名店"))
    Merchant.objects.filter(pk=old.pk).update(updated_at=timezone.make_aware(datetime(2026, 1, 4, 9, 0)))
    Merchant.objects.filter(pk=edited.pk).update(updated_at=timezone.make_aware(datetime(2026, 1, 6, 9, 0)))
    for value, expected in (("2026-01-05T20:00:00+19:24", {"改名店"}), ("1885-04-01T02:12:27+19:24", {"旧店", "改名店"})):
        response = api.get(LIST, {"updated_since": value})
        assert response.status_code == 200, response.content
        assert {row["name"] for row in response.json()["results"]} == expected
    response = api.get(LIST, {"updated_since": "0001-01-01T00:00:00+05:00"})
    assert response.status_code == 400 and response.json()["errors"][0]["attr"] == "updated_since"


@pytest.mark.parametrize("value", ["yesterday", "2026-13-01", "2026-02-30", "1700000000"])
def test_invalid_updated_since_is_400_with_a_message(api, regions, value):
    response = api.get(LIST, {"updated_since": value})
    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert error["attr"] == "updated_since" and error["code"] == "invalid" and "ISO 8601" in error["detail"]


def test_every_rating_says_when_it_was_made_and_whether_it_is_pending_or_under_appeal(api, regions):
    rated = MerchantFactory(region_id="410802", stars=3)
    computed = timezone.make_aware(datetime(2026, 11, 20, 10, 30))
    rating = Rating.objects.create(merchant=rated, stars=3, computed_at=computed)
    Merchant.objects.filter(pk=rated.pk).update(current_rating=rating, rating_stale=True, rating_under_appeal=True)
    unrated = MerchantFactory(region_id="410802")

    row = api.get(f"{LIST}{rated.pk}/").json()
    assert row["rated_at"] == "2026-11-20T10:30:00+08:00"
    assert row["new_rating_pending"] is True and row["rating_under_appeal"] is True
    fresh = api.get(f"{LIST}{unrated.pk}/").json()
    assert fresh["rated_at"] is None and fresh["new_rating_pending"] is False and fresh["rating_under_appeal"] is False
    listed = {r["merchant_id"]: r for r in api.get(LIST).json()["results"]}
    assert listed[rated.pk]["rated_at"] == "2026-11-20T10:30:00+08:00" and listed[rated.pk]["new_rating_pending"]


def test_updated_since_sees_the_pending_flag_set_and_cleared(api, regions):
    from merchants.services.rating import ratings_recompute
    from merchants.services.register import merchant_mark_rating_stale

    shop = MerchantFactory(name="待评店", region_id="410802")
    Merchant.objects.filter(pk=shop.pk).update(updated_at=timezone.make_aware(datetime(2026, 1, 5, 9, 0)))
    since = timezone.localtime().isoformat()
    merchant_mark_rating_stale(merchant_ids=[shop.pk], reason="test")  # eager Celery: recomputed at once
    rows = api.get(LIST, {"updated_since": since}).json()["results"]
    assert [row["name"] for row in rows] == ["待评店"]
    Merchant.objects.filter(pk=shop.pk).update(
        rating_stale=True, updated_at=timezone.make_aware(datetime(2026, 1, 5, 9, 0))
    )
    since = timezone.localtime().isoformat()
    ratings_recompute(merchant_ids=[shop.pk])  # clears the flag
    assert not Merchant.objects.get(pk=shop.pk).rating_stale
    assert [row["name"] for row in api.get(LIST, {"updated_since": since}).json()["results"]] == ["待评店"]


def test_updated_since_refusal_speaks_english_when_asked(api, regions):
    response = api.get(LIST, {"updated_since": "soon"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.json()["errors"][0]["detail"].startswith("Invalid time: use an ISO 8601 date")
