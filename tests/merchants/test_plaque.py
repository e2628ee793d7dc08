"""Plaque: printable SVG with a QR code to an unguessable verification URL that shows live stars."""

from __future__ import annotations

import re

import pytest

from merchants.models import Merchant
from merchants.services.rating import ratings_recompute
from tests.factories import MerchantFactory
from tests.merchants.credit_factories import SERIOUS, inspect

pytestmark = pytest.mark.django_db


@pytest.fixture
def rated(regions):
    m = MerchantFactory(name="牌匾测试店")
    inspect(m)
    ratings_recompute()
    m.refresh_from_db()
    return m


def _verify_url(svg: str) -> str:
    return re.search(r'data-verify-url="([^"]+)"', svg).group(1).replace("&amp;", "&")


def test_plaque_is_an_svg_with_name_stars_year_and_qr(rated, client):
    response = client.get(f"/merchants/{rated.pk}/plaque/")
    svg = response.content.decode()
    assert response["Content-Type"].startswith("image/svg+xml")
    assert "牌匾测试店" in svg and "★★★★★" in svg and "<path" in svg
    url = _verify_url(svg)
    assert f"/verify/{rated.plaque_token}/?s=5&y=" in url


def test_token_is_random_unique_and_not_derived_from_id(regions):
    a, b = MerchantFactory(), MerchantFactory()
    assert a.plaque_token != b.plaque_token and len(a.plaque_token) >= 20
    assert str(a.pk) != a.plaque_token


def test_verify_shows_live_stars_and_says_when_plaque_no_longer_matches(rated, client):
    url = _verify_url(client.get(f"/merchants/{rated.pk}/plaque/").content.decode())
    path = url.split("testserver")[-1]
    body = client.get(path).content.decode()
    assert "牌匾与当前评定一致" in body and 'data-live-stars="5"' in body
    inspect(rated, price_marking=SERIOUS, advertising=SERIOUS, days_ago=1)
    ratings_recompute()
    live = Merchant.objects.get(pk=rated.pk).stars
    body = client.get(path).content.decode()
    assert "不符" in body and "此牌匾无效" in body and f'data-live-stars="{live}"' in body


def test_unknown_token_is_404_and_old_year_is_flagged(rated, client):
    assert client.get("/verify/not-a-token/").status_code == 404
    body = client.get(f"/verify/{rated.plaque_token}/?s=5&y=2019").content.decode()
    assert "2019" in body and "请以当前评定为准" in body


def test_deregistered_merchant_has_no_plaque(regions, client):
    m = MerchantFactory(status="deregistered")
    assert client.get(f"/merchants/{m.pk}/plaque/").status_code == 404


def test_unrated_merchant_pages_say_not_yet_rated(regions, client):
    m = MerchantFactory(name="新开小店")
    body = client.get(f"/merchants/{m.pk}/").content.decode()
    assert "尚无检查或投诉记录，暂未评级" in body and "★" not in body.split("credit-panel")[1][:2000]
    svg = client.get(f"/merchants/{m.pk}/plaque/").content.decode()
    assert "暂未评级" in svg and "?s=n&amp;y=" in svg
    body = client.get(f"/verify/{m.plaque_token}/?s=n&y=2026").content.decode()
    assert 'data-live-stars="none"' in body
