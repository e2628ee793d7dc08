"""The dashboard's month field: a month so early that its 13-month window would start before year 1
(``month=0001-01``) got a 500 (``ValueError: year 0 is out of range`` in ``add_months``). Such a month is a
form error like any other bad month: 400 with the message, also for the Excel download."""

from __future__ import annotations

import pytest

from integrity_portal.core.roles import StaffRole
from tests.factories import make_staff

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("month", ["0001-01", "0001-12", "1899-12"])
@pytest.mark.parametrize("fmt", ["", "xlsx"])
def test_a_month_before_2000_is_a_form_error_not_a_server_error(regions, client, month, fmt):
    client.force_login(make_staff("410800", StaffRole.CITY_BUREAU))
    response = client.get("/admin/dashboard/", {"month": month, "format": fmt})
    assert response.status_code == 400
    assert "2000" in response.content.decode()


def test_the_first_month_allowed_still_shows(regions, client):
    client.force_login(make_staff("410800", StaffRole.CITY_BUREAU))
    assert client.get("/admin/dashboard/", {"month": "2000-01"}).status_code == 200
