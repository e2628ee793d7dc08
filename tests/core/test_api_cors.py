"""CORS: any web page may read the open data anonymously (GET/HEAD and the preflight), never write, never with
cookies, and the portal's and staff's endpoints stay closed to other origins."""

from __future__ import annotations

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

ORIGIN = "https://data.example.org"


def test_anonymous_get_of_open_data_carries_cors_headers(regions):
    for url in ("/api/v1/merchants/", "/api/v1/regions/", "/api/v1/lists/red/", "/api/v1/", "/api/schema/"):
        response = Client().get(url, HTTP_ORIGIN=ORIGIN)
        assert response.status_code == 200, url
        assert response["Access-Control-Allow-Origin"] == "*", url
        assert "Access-Control-Allow-Credentials" not in response, url
        assert "ETag" in response["Access-Control-Expose-Headers"] or url == "/api/schema/"


def test_preflight_allows_only_safe_methods(regions):
    response = Client().options(
        "/api/v1/merchants/", HTTP_ORIGIN=ORIGIN, HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET"
    )
    assert response.status_code == 200 and response["Access-Control-Allow-Origin"] == "*"
    assert response["Access-Control-Allow-Methods"] == "GET, HEAD, OPTIONS"


def test_unsafe_methods_and_private_endpoints_get_no_cors_headers(regions):
    client = Client()
    posted = client.post("/api/v1/merchants/", {}, content_type="application/json", HTTP_ORIGIN=ORIGIN)
    assert posted.status_code in (401, 403, 405) and "Access-Control-Allow-Origin" not in posted
    submit = client.post("/api/v1/complaints/submit/", {}, content_type="application/json", HTTP_ORIGIN=ORIGIN)
    assert "Access-Control-Allow-Origin" not in submit
    for url in ("/api/v1/portal/complaints/", "/api/v1/staff/complaints/", "/merchants/"):
        assert "Access-Control-Allow-Origin" not in client.get(url, HTTP_ORIGIN=ORIGIN), url
