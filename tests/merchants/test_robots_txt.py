"""``/robots.txt`` (merchants, the public site): crawlers keep out of the back office, the portal, sign-in, the API and complaint tracking."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def test_robots_txt_disallows_the_private_areas_and_allows_the_register(client):
    response = client.get("/robots.txt")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    lines = response.content.decode().splitlines()
    assert lines[0] == "User-agent: *"
    disallowed = {line.removeprefix("Disallow: ") for line in lines[1:]}
    assert {"/admin/", "/portal/", "/accounts/", "/api/", "/complaints/track/"} <= disallowed
    assert not any(path in disallowed for path in ("/", "/merchants/", "/lists/red/", "/lists/black/"))
    # a plain view through every middleware: the security headers apply, no session is started
    assert response["X-Frame-Options"] == "DENY" and "Content-Security-Policy" in response
    assert "sessionid" not in response.cookies
