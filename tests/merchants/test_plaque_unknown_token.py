"""A forged or mistyped plaque token: a 404 whose page says the plaque cannot be verified and may be
counterfeit, and where to report it (not the generic "page not found")."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def test_unknown_token_says_plaque_may_be_counterfeit(client, regions):
    response = client.get("/verify/forged-token-123/?s=5&y=2026")
    assert response.status_code == 404
    body = response.content.decode()
    assert "此牌匾无法核验，可能是伪造的。" in body
    assert "12315" in body and 'href="tel:12315"' in body
    assert 'href="/complaints/new/"' in body
    assert "页面不存在" not in body


def test_unknown_token_page_in_english(client, regions):
    client.cookies["django_language"] = "en"
    body = client.get("/verify/forged/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "This plaque cannot be verified" in body and "counterfeit" in body and "12315" in body
