"""Public statistics (issue #19 item 5): 12 calendar months (not 360 days), charts drawn by the portal with
their tables, linked from the home page and the complaint pages."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
from dateutil.relativedelta import relativedelta
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from complaints.models import Complaint

from .conftest import file_complaint

pytestmark = pytest.mark.django_db


def _received(complaint, day):
    at = timezone.make_aware(datetime.combine(day, time(10, 0)))
    Complaint.objects.filter(pk=complaint.pk).update(received_at=at)


def _total(client, months=12):
    cache.clear()
    return client.get(reverse("complaints:statistics"), {"months": months}).context["stats"]["totals"]["total"]


def test_last_12_months_are_calendar_months(client, regions):
    today = timezone.localdate()
    inside = file_complaint()
    _received(inside, today - relativedelta(months=11, days=25))
    assert _total(client) == 1
    # 362 days ago is within 12 calendar months (a 360-day window would drop it).
    _received(inside, today - timedelta(days=362))
    assert _total(client) == 1
    _received(inside, today - relativedelta(months=12, days=1))
    assert _total(client) == 0


def test_statistics_page_has_charts_with_their_tables(client, regions):
    file_complaint()
    file_complaint(kind="report", anonymous=True, consent=False)
    cache.clear()
    html = client.get(reverse("complaints:statistics")).content.decode()
    assert html.count("<svg") == 2
    for table_id in ("stats-by-month", "stats-by-category"):
        assert f'aria-describedby="{table_id}"' in html and f'id="{table_id}"' in html
    assert "cdn" not in html.lower()
    stats = client.get(reverse("complaints:statistics")).context["stats"]
    assert len(stats["by_month"]) in (12, 13)  # every calendar month touched by the period, none skipped
    assert stats["by_month"][-1]["complaints"] == 1 and stats["by_month"][-1]["reports"] == 1


def test_statistics_linked_from_home_and_complaint_pages(client, regions):
    url = reverse("complaints:statistics")
    for page in ("/", reverse("complaints:new"), reverse("complaints:track")):
        assert f'href="{url}"' in client.get(page).content.decode(), page
