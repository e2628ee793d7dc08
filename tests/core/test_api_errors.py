"""One error body for every refusal of the API, whatever refused: a serializer, a filter, a service's DomainError,
an unknown URL, the throttle, the authentication, the request guard. Unauthenticated calls get 401, not 403."""

from __future__ import annotations

import base64
import re

import pytest
from django.test import Client
from rest_framework.test import APIClient

from integrity_portal.core.api import domain_error_items
from integrity_portal.core.errors import TransitionNotAllowed, ValidationFailed
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PORTAL_COMPLAINTS = "/api/v1/portal/complaints/"


def _error(response, status: int, type_: str, code: str, attr=None) -> dict:
    """The response is ``status`` with exactly the one error shape, one error of ``code``."""
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"type", "errors"} and body["type"] == type_, body
    [error] = body["errors"]
    assert set(error) == {"code", "detail", "attr"} and error["code"] == code and error["attr"] == attr, body
    assert isinstance(error["detail"], str) and error["detail"]
    return error


def test_validation_error_filter_and_serializer(regions):
    api = APIClient()
    _error(api.get("/api/v1/merchants/", {"stars": "9"}), 400, "validation_error", "invalid_choice", "stars")
    body = api.post("/api/v1/complaints/submit/", {"kind": "complaint"}, format="json").json()
    assert body["type"] == "validation_error"
    assert {"category", "description"} <= {error["attr"] for error in body["errors"]}


def test_domain_error_keeps_its_status_code_and_message(regions):
    """A service refusal raised in a view (the list filter check): its code, message and field. A refused
    move answers 409 in the same shape (tests/complaints/test_api.py)."""
    error = _error(
        APIClient().get("/api/v1/lists/red/", {"region_code": "999999"}),
        400,
        "validation_error",
        "invalid",
        "region_code",
    )
    assert error["detail"] == "未知的区划代码。"


def test_domain_error_items_name_the_field():
    assert [e.attr for e in domain_error_items(ValidationFailed("x", details={"field": "grounds"}))] == ["grounds"]
    items = domain_error_items(ValidationFailed("第一条", details={"region": "第一条", "kind": "第二条"}))
    assert [(e.attr, e.detail) for e in items] == [("region", "第一条"), ("kind", "第二条")]
    english = domain_error_items(ValidationFailed("Unknown region code.", details={"region": "Unknown region code."}))
    assert [(e.attr, e.detail) for e in english] == [("region", "Unknown region code.")]
    dated = domain_error_items(ValidationFailed("已有申诉", details={"earliest": "2026-12-20"}))
    assert [(e.attr, e.detail) for e in dated] == [(None, "已有申诉")]
    assert domain_error_items(ValidationFailed("请选择", details={"reason": "required"}))[0].attr == "reason"
    moved = domain_error_items(TransitionNotAllowed("不能", details={"from": "open", "to": "draft"}))
    assert [(e.code, e.detail, e.attr) for e in moved] == [("transition_not_allowed", "不能", None)]


def test_unknown_url_under_api_is_json_404_and_the_site_keeps_its_page(regions):
    client = Client()
    _error(client.get("/api/v1/no-such-endpoint/"), 404, "client_error", "not_found")
    _error(client.get("/api/v1/merchants/99999999/"), 404, "client_error", "not_found")
    page = client.get("/no-such-page/")
    assert page.status_code == 404 and page["Content-Type"].startswith("text/html")


def test_throttled_is_429_in_the_same_shape(regions, settings):
    rates = {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "anon": "1/minute"}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    api = APIClient()
    assert api.get("/api/v1/regions/").status_code == 200
    response = api.get("/api/v1/regions/")
    _error(response, 429, "client_error", "throttled")
    assert int(response["Retry-After"]) > 0


def test_unauthenticated_is_401_with_a_challenge_and_forbidden_is_403(regions):
    api = APIClient()
    response = api.get(PORTAL_COMPLAINTS)
    _error(response, 401, "client_error", "not_authenticated")
    assert response["WWW-Authenticate"].startswith("Basic")
    wrong = base64.b64encode(b"nobody:wrong").decode()
    _error(api.get(PORTAL_COMPLAINTS, HTTP_AUTHORIZATION=f"Basic {wrong}"), 401, "client_error", "authentication_failed")
    api.force_authenticate(UserFactory())  # signed in, but not staff
    _error(api.get("/api/v1/staff/complaints/"), 403, "client_error", "permission_denied")


def test_every_operation_that_needs_a_sign_in_answers_401_anonymously(client, regions):
    schema = client.get("/api/schema/", {"format": "json"}).json()
    checked = 0
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            if {} in operation.get("security", [{}]):
                continue  # open to anonymous callers
            url = re.sub(r"\{[^}]+\}", "1", path)
            response = getattr(Client(), method)(url, content_type="application/json")
            assert response.status_code == 401, f"{method.upper()} {path}: {response.status_code}"
            assert response.json()["errors"][0]["code"] == "not_authenticated"
            checked += 1
    assert checked > 10


def test_middleware_refusals_use_the_same_shape(regions):
    _error(Client().get("/api/v1/merchants/?search=%00"), 400, "client_error", "nul_byte")
