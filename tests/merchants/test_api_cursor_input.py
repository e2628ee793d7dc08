"""A cursor is the client's text: whatever it holds, the API answers 200 or a clear 404 ("Invalid cursor") in
the one error shape — never a 500 — on the search statement's path and on the filterset's alike."""

from __future__ import annotations

import base64

import pytest

from tests.factories import MerchantFactory

pytestmark = pytest.mark.django_db


def _cursor(token: str) -> str:
    return base64.b64encode(token.encode()).decode()


@pytest.mark.parametrize(
    ("token", "status"),
    [
        ("p=abc", 404),
        ("p=1e5", 404),
        ("p=\x00", 404),
        ("p=99999999999999999999999", 404),  # past a bigint
        ("r=1&p=abc", 404),
        ("p=-5", 200),  # a number: bounds nothing (newest first, ids below -5)
        ("o=999999999999999999999&p=3", 200),  # an offset past REST framework's cut-off: capped
        ("o=5&p=3", 200),
    ],
)
@pytest.mark.parametrize("extra", [{}, {"kind": "merchant"}])
def test_a_hostile_cursor_is_refused_or_answered_never_a_server_error(client, regions, token, status, extra):
    MerchantFactory.create_batch(3, name="火锅店", region=regions["410802"])
    response = client.get("/api/v1/merchants/", {"search": "火锅", "cursor": _cursor(token), **extra})
    assert response.status_code == status, response.content[:300]
    if status == 404:
        body = response.json()
        assert body["type"] == "client_error" and body["errors"][0]["code"] == "not_found"


def test_a_cursor_from_the_api_pages_through_every_match(client, regions):
    made = MerchantFactory.create_batch(5, name="火锅店", region=regions["410802"])
    seen, url, params = [], "/api/v1/merchants/", {"search": "火锅", "page_size": 2}
    while url:
        body = client.get(url, params).json()
        seen += [row["merchant_id"] for row in body["results"]]
        url, params = body["next"], {}
    assert seen == sorted((m.pk for m in made), reverse=True)
