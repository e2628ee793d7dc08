"""The public pages and the open-data API are tried first when a URL is resolved (the commonest requests), and
that order answers every URL as the order with them last did."""

from __future__ import annotations

import types
import uuid

from django.urls import NoReverseMatch, URLPattern, URLResolver, get_resolver, resolve, reverse
from django.urls.exceptions import Resolver404

from integrity_portal import urls as root_urls

FIRST = 3  # api/v1/, merchants.urls, merchants.urls_credit
SAMPLES = {
    "int": ["7"],
    "str": ["abc"],
    "slug": ["abc"],
    "path": ["a/b"],
    "uuid": [str(uuid.UUID(int=7))],
}
REGEX_SAMPLES = {
    "region_code": ["330100"],
    "dataset": ["register"],
    "fmt": ["csv"],
    "format": ["json"],
}


def _named_endpoints(patterns, namespace=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from _named_endpoints(pattern.url_patterns, inner)
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield f"{namespace}{pattern.name}", pattern


def _sample_paths():
    paths = set()
    for name, pattern in _named_endpoints(get_resolver().url_patterns):
        converters = getattr(pattern.pattern, "converters", {})
        groups = pattern.pattern.regex.groupindex
        kwargs = {}
        for group in groups:
            kind = (
                type(converters[group]).__name__.replace("Converter", "").lower()
                if group in converters
                else None
            )
            values = SAMPLES.get(kind) if kind else REGEX_SAMPLES.get(group, ["7"])
            kwargs[group] = (values or ["abc"])[0]
        try:
            paths.add(reverse(name, kwargs=kwargs or None))
        except NoReverseMatch:
            continue
    return sorted(paths)


def _view_of(path, urlconf=None):
    try:
        match = resolve(path, urlconf=urlconf)
    except Resolver404:
        return None
    return match.view_name, match.kwargs


def test_the_public_pages_and_the_api_are_tried_first():
    first = [str(p.pattern) for p in root_urls.urlpatterns[:FIRST]]
    assert first[0] == "api/v1/"
    modules = {
        p.urlconf_name.__name__ if hasattr(p.urlconf_name, "__name__") else p.urlconf_name
        for p in root_urls.urlpatterns[1:FIRST]
    }
    assert modules == {"merchants.urls", "merchants.urls_credit"}


def test_every_url_resolves_as_with_those_patterns_last():
    old_order = types.ModuleType("old_order_urls")
    old_order.urlpatterns = [*root_urls.urlpatterns[FIRST:], *root_urls.urlpatterns[:FIRST]]
    paths = _sample_paths()
    assert len(paths) > 100  # every named route of the portal, reversed with sample values
    assert {"/merchants/", "/api/v1/merchants/", "/merchants/7/", "/admin/", "/portal/"} <= set(paths)
    differ = [p for p in paths if _view_of(p) != _view_of(p, old_order)]
    assert differ == []
    # Paths no route names: a miss stays a miss, a near miss goes where it went.
    for path in ("/api/v1/nothing/", "/merchantsx/", "/merchants/abc/", "/api/v2/merchants/", "/robots.txt/"):
        assert _view_of(path) == _view_of(path, old_order)
