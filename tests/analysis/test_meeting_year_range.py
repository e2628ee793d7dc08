"""A quarterly meeting's year was never checked: year 0 or 3000 (any 0-32767 the field holds) was recorded
for a meeting held in 2026. The year of the quarter discussed is refused with a message unless it lies
between 2000 and the year after the meeting's date, in the service and so in the admin form."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from analysis import services
from analysis.models import QuarterlyMeeting
from integrity_portal.core.errors import ValidationFailed

from .conftest import CITY, JIEFANG

pytestmark = pytest.mark.django_db

HELD = dt.date(2026, 11, 28)


@pytest.mark.parametrize("year", [0, 1999, 2028, 32767])
def test_a_year_outside_2000_to_the_next_year_is_refused(drafted, regions, city_staff, on_day, year):
    on_day(HELD)
    with pytest.raises(ValidationFailed, match="年度"):
        services.meeting_record(
            region=regions[CITY], held_on=HELD, year=year, quarter=4, attendees="市商务局：张三",
            minutes="纪要", reports=[drafted[JIEFANG]], actor=city_staff,
        )  # fmt: skip
    assert not QuarterlyMeeting.objects.exists()


@pytest.mark.parametrize("year", [2025, 2026, 2027])
def test_the_years_around_the_meeting_are_accepted(drafted, regions, city_staff, on_day, year):
    on_day(HELD)
    meeting = services.meeting_record(
        region=regions[CITY], held_on=HELD, year=year, quarter=4, attendees="市商务局：张三",
        minutes="纪要", reports=[drafted[JIEFANG]], actor=city_staff,
    )  # fmt: skip
    assert meeting.year == year


def test_the_admin_form_shows_the_year_error(client, drafted, city_staff, on_day):
    on_day(HELD)
    client.force_login(city_staff)
    data = {
        "region": CITY, "held_on": "2026-11-28", "year": "0", "quarter": "4",
        "attendees": "市商务局：张三", "minutes": "纪要", "reports": [drafted[JIEFANG].pk],
    }  # fmt: skip
    response = client.post(reverse("admin:analysis_quarterlymeeting_add"), data)
    assert response.status_code == 200 and "年度" in response.content.decode()
    assert not QuarterlyMeeting.objects.exists()
