"""Open-data API: anonymous, read-only, filtered like the directory, never leaking staff-only facts."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from merchants.models import CreditClass, Industry, MerchantKind, MerchantStatus, Region
from tests.factories import MerchantFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def register(regions):
    jiefang, zhongzhan, weidu = (Region.objects.get(code=c) for c in ("410802", "410803", "411002"))
    market = MerchantFactory(name="解放区民主路农贸市场", kind=MerchantKind.MARKET, region=jiefang)
    return {
        "market": market,
        "noodle": MerchantFactory(
            name="老街刘记面馆",
            region=jiefang,
            industry=Industry.CATERING,
            stars=5,
            credit_class=CreditClass.A,
            rating_stale=True,
            parent_market=market,
        ),
        "stall": MerchantFactory(
            name="中站区冯封路李记粮油店", region=zhongzhan, industry=Industry.FOOD_RETAIL
        ),
        "company": MerchantFactory(
            name="许昌市鑫源百货有限公司",
            kind=MerchantKind.ENTERPRISE,
            region=weidu,
            stars=2,
            credit_class=CreditClass.D,
        ),
    }


def _names(response) -> set[str]:
    assert response.status_code == 200, response.content
    return {row["name"] for row in response.json()["results"]}


def test_regions_list_is_open_and_lists_the_fixture(api, regions):
    response = api.get("/api/v1/regions/")
    assert response.status_code == 200
    codes = {r["code"] for r in response.json()}
    assert {"410800", "410802", "150300", "620525"} <= codes
    jiefang = api.get("/api/v1/regions/410802/").json()
    assert jiefang == {"code": "410802", "name": "解放区", "level": "district", "parent": "410800"}


def test_merchant_list_is_anonymous_and_cursor_paginated(api, register):
    response = api.get("/api/v1/merchants/", {"page_size": 2})
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"next", "previous", "results"}
    assert len(body["results"]) == 2 and "cursor=" in body["next"]
    second = api.get(body["next"])
    assert len(second.json()["results"]) == 2
    seen = {r["merchant_id"] for r in body["results"]} | {r["merchant_id"] for r in second.json()["results"]}
    assert len(seen) == 4


def test_merchant_fields_are_public_facts_only(api, register):
    noodle = register["noodle"]
    row = api.get(f"/api/v1/merchants/{noodle.pk}/").json()
    assert row["name"] == "老街刘记面馆"
    assert row["uscc"] == noodle.uscc
    assert row["merchant_id"] == noodle.pk
    assert row["region_code"] == "410802" and row["region_name"] == "焦作市解放区"
    assert (
        row["parent_market_id"] == register["market"].pk
        and row["parent_market_name"] == "解放区民主路农贸市场"
    )
    assert row["stars"] == 5
    assert "credit_class" not in row and "rating_stale" not in row
    listed = api.get("/api/v1/merchants/").content.decode()
    assert "credit_class" not in listed and "rating_stale" not in listed


def test_region_filter_includes_descendants(api, register):
    assert _names(api.get("/api/v1/merchants/", {"region_code": "410802"})) == {
        "解放区民主路农贸市场",
        "老街刘记面馆",
    }
    assert _names(api.get("/api/v1/merchants/", {"region_code": "410800"})) == {
        "解放区民主路农贸市场",
        "老街刘记面馆",
        "中站区冯封路李记粮油店",
    }


def test_kind_industry_stars_and_search_filters(api, register):
    assert _names(api.get("/api/v1/merchants/", {"kind": "enterprise"})) == {"许昌市鑫源百货有限公司"}
    assert _names(api.get("/api/v1/merchants/", {"industry": "food_retail"})) == {"中站区冯封路李记粮油店"}
    assert _names(api.get("/api/v1/merchants/", {"stars": "5"})) == {"老街刘记面馆"}
    assert _names(api.get("/api/v1/merchants/", {"stars": "none"})) == {
        "解放区民主路农贸市场",
        "中站区冯封路李记粮油店",
    }
    assert _names(api.get("/api/v1/merchants/", {"search": "鑫源"})) == {"许昌市鑫源百货有限公司"}
    assert _names(api.get("/api/v1/merchants/", {"search": register["noodle"].uscc})) == {"老街刘记面馆"}


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"region_code": "999999"}, "region_code"),
        ({"region_code": "41080"}, "region_code"),
        ({"updated_since": "yesterday"}, "updated_since"),
        ({"updated_since": "2026-02-30"}, "updated_since"),
        ({"kind": "xyz"}, "kind"),
        ({"industry": "mining"}, "industry"),
        ({"stars": "9"}, "stars"),
        ({"stars": "-1"}, "stars"),
    ],
)
def test_unknown_filter_value_is_400_with_message(api, register, params, field):
    response = api.get("/api/v1/merchants/", params)
    assert response.status_code == 400
    body = response.json()
    assert body["type"] == "validation_error"
    assert [error["attr"] for error in body["errors"]] == [field] and body["errors"][0]["detail"]


def test_bad_cursor_is_404_and_unknown_merchant_is_404(api, register):
    assert api.get("/api/v1/merchants/", {"cursor": "garbage"}).status_code == 404
    assert api.get("/api/v1/merchants/99999999/").status_code == 404
    assert api.get("/api/v1/merchants/abc/").status_code == 404
    assert api.get("/api/v1/regions/999999/").status_code == 404


def test_api_is_read_only_even_for_logged_in_users(api, register):
    assert api.post("/api/v1/merchants/", {"name": "x"}).status_code in (401, 403, 405)
    api.force_authenticate(UserFactory())
    assert api.post("/api/v1/merchants/", {"name": "x"}).status_code == 405
    assert api.delete(f"/api/v1/merchants/{register['noodle'].pk}/").status_code == 405


def test_deregistered_merchants_are_listed_with_status(api, register):
    register["stall"].status = MerchantStatus.DEREGISTERED
    register["stall"].save()
    rows = api.get("/api/v1/merchants/", {"region_code": "410803"}).json()["results"]
    assert [r["status"] for r in rows] == ["deregistered"]


def test_merchant_list_query_count_is_constant(api, regions, django_assert_max_num_queries):
    market = MerchantFactory(kind=MerchantKind.MARKET)
    for code in ("410802", "410811", "411002"):
        MerchantFactory.create_batch(10, region=Region.objects.get(code=code), parent_market=market)
    api.get("/api/v1/merchants/")
    # The region tree (read once per process), the page's keys, its rows by id (a prepared statement).
    with django_assert_max_num_queries(3):
        response = api.get("/api/v1/merchants/", {"region_code": "410800"})
    assert len(response.json()["results"]) == 21


def test_anonymous_requests_are_throttled(api, register, settings, monkeypatch):
    from integrity_portal.core.throttling import CallerRateThrottle

    rates = {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "anon": "3/minute"}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    # All four requests in one fixed window, whenever the test runs.
    monkeypatch.setattr(CallerRateThrottle, "timer", staticmethod(lambda: 60 * 28_000_000 + 1.0))
    statuses = [api.get("/api/v1/merchants/").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]


def test_openapi_schema_is_valid_and_lists_open_data_paths(api, regions):
    response = api.get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    assert {"info", "paths", "components"} <= set(schema)
    for path in (
        "/api/v1/regions/",
        "/api/v1/regions/{region_code}/",
        "/api/v1/merchants/",
        "/api/v1/merchants/{merchant_id}/",
    ):
        assert path in schema["paths"], path
    params = {p["name"] for p in schema["paths"]["/api/v1/merchants/"]["get"]["parameters"]}
    assert {"region_code", "kind", "industry", "stars", "search", "updated_since", "cursor"} <= params
    merchant_props = schema["components"]["schemas"]["Merchant"]["properties"]
    assert "credit_class" not in merchant_props and "stars" in merchant_props
    from drf_spectacular.validation import validate_schema

    validate_schema(schema)  # the OpenAPI 3 JSON schema shipped with drf-spectacular
    from openapi_spec_validator import validate

    validate(schema)  # and openapi-spec-validator (tests/core/test_api_schema.py checks it in detail)


def test_api_docs_render(client, regions):
    assert client.get("/api/docs/").status_code == 200
