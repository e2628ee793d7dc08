"""The portal complaint list's ``?merchant=`` filter: text Python calls digits but ``int()`` refuses
(``"²"``) was a 500; anything but ASCII digits is ignored like any other junk value."""

from __future__ import annotations

import pytest

from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("value", ["²", "1²", "١٢", "abc"])
def test_a_merchant_filter_that_is_not_ascii_digits_is_ignored(regions, client, value):
    client.force_login(MembershipFactory().user)
    assert client.get("/portal/complaints/", {"merchant": value}).status_code == 200
