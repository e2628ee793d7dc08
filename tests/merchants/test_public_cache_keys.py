"""Cached public answers are keyed on the parameters the view reads only (issue #11, "Also").

Keyed on the raw query string, ``?r=<random>`` made every request a miss and stored one more copy of the
page: a cheap way to empty the cache for everyone and fill Redis. The key is now the normalised known
parameters (sorted, stripped, empty dropped, a few values each); the view sees exactly that reduced query,
so two URLs share an entry only when they show the same thing.
"""

from __future__ import annotations

import pytest
from django.test import Client

from integrity_portal.core.cache import normalized_query
from merchants.selectors import credit as credit_selectors
from tests.factories import MerchantFactory
from tests.merchants.credit_factories import blacklist

pytestmark = pytest.mark.django_db


@pytest.fixture
def stored(monkeypatch):
    """The keys public pages were stored under (any cache backend: locmem here, Redis under CI)."""
    from merchants.views import public as public_views

    keys: set = set()
    real = public_views.public_cache_set
    monkeypatch.setattr(public_views, "public_cache_set", lambda key, *a: keys.add(key) or real(key, *a))
    return keys


@pytest.fixture
def renders(monkeypatch):
    """How many times the black list was built from the database (a cache hit builds nothing)."""
    calls = []
    real = credit_selectors.list_entries_public

    def counting(**kwargs):
        calls.append(kwargs)
        return real(**kwargs)

    monkeypatch.setattr("merchants.views.credit.list_entries_public", counting)
    return calls


def test_unknown_parameters_share_one_cache_entry(regions, renders, stored):
    blacklist(MerchantFactory(name="黑名单商户甲"))
    visitor = Client()
    first = visitor.get("/lists/black/?r=1")
    second = visitor.get("/lists/black/?r=2&utm_source=x")
    third = visitor.get("/lists/black/")
    assert first.status_code == second.status_code == third.status_code == 200
    assert len(renders) == 1 and len(stored) == 1
    # The stored page does not carry the first visitor's junk (e.g. in the language form's "next").
    assert "r=1" not in second.content.decode()


def test_different_real_filters_do_not_share_an_entry(regions, renders, stored):
    blacklist(MerchantFactory(name="黑名单商户甲"))
    visitor = Client()
    visitor.get("/lists/black/?region=410802")
    visitor.get("/lists/black/?region=410803")
    visitor.get("/lists/black/?region=410802&kind=abnormal_operation")
    assert len(renders) == 3 and len(stored) == 3
    # Order and surrounding spaces do not make a new entry; the view sees the same stripped values.
    visitor.get("/lists/black/?kind=abnormal_operation&region=%20410802%20")
    assert len(renders) == 3


def test_open_data_api_ignores_unknown_parameters(regions, monkeypatch):
    MerchantFactory()
    calls = []
    from merchants.api import views as api_views

    real = api_views.open_data_keys
    monkeypatch.setattr(api_views, "open_data_keys", lambda: calls.append(1) or real())
    api = Client()
    assert api.get("/api/v1/merchants/?r=1").status_code == 200
    assert api.get("/api/v1/merchants/?r=2").status_code == 200
    assert len(calls) == 1
    assert api.get("/api/v1/merchants/?region_code=410802").status_code == 200
    assert len(calls) == 2


def test_normalisation_caps_values_and_length():
    from django.http import QueryDict

    raw = QueryDict("b=2&a=%201%20&a=&x=9&" + "&".join(f"k={i}" for i in range(50)) + "&q=" + "z" * 5000)
    clean = normalized_query(raw, ("a", "b", "k", "q"))
    assert list(clean) == ["a", "b", "k", "q"]
    assert clean.getlist("a") == ["1"] and "x" not in clean
    assert len(clean.getlist("k")) == 5 and len(clean["q"]) == 200


def test_home_page_ignores_unknown_parameters(regions, stored, monkeypatch):
    """Issue #15 item 7: ``/?x=1`` and ``/?y=2`` are one cache entry (the home page reads no parameter)."""
    from merchants.views import public as public_views

    renders = []
    real = public_views.public_headline_counts
    monkeypatch.setattr(public_views, "public_headline_counts", lambda: renders.append(1) or real())
    visitor = Client()
    assert visitor.get("/?x=1").status_code == 200
    assert visitor.get("/?y=2").status_code == 200
    assert visitor.get("/?x=1&utm_campaign=%E6%89%AB%E7%A0%81").status_code == 200
    assert len(renders) == 1 and len(stored) == 1


def test_open_data_page_ignores_unknown_parameters(regions, stored):
    visitor = Client()
    assert visitor.get("/open-data/?x=1").status_code == 200
    assert visitor.get("/open-data/?y=2").status_code == 200
    assert len(stored) == 1


def test_directory_search_ignores_unknown_parameters(regions, stored, monkeypatch):
    """Issue #15 item 7 for the directory: ``?q=面馆&r=<random>`` is the search ``?q=面馆`` — asked a second
    time it is stored, and the third request, whatever its junk, is served from the cache."""
    from merchants.views import directory

    MerchantFactory(name="老街刘记面馆", region_id="410802")
    renders = []
    real = directory.search_page
    monkeypatch.setattr(
        directory, "search_page", lambda request, version: renders.append(1) or real(request, version)
    )
    visitor = Client()
    pages = [
        visitor.get(url)
        for url in ("/merchants/?q=面馆&r=1", "/merchants/?q=面馆&utm_source=x", "/merchants/?q=面馆&r=3")
    ]
    assert [p.status_code for p in pages] == [200, 200, 200]
    assert "老街刘记面馆" in pages[2].content.decode()
    assert len(renders) == 2 and len(stored) == 1  # stored at the second ask, served at the third
    assert "utm_source" not in pages[2].content.decode() and "r=1" not in pages[2].content.decode()
    visitor.get("/merchants/?q=刘记&r=1")
    assert len(renders) == 3  # another word is another search
