"""Staff change lists sort by due date with empty dates last on SQLite and PostgreSQL alike (SQLite puts
NULL first), and show the deadline in the first columns (issue #18: 250 closed cases before the open ones)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.contrib import admin
from django.db.models import OrderBy

from complaints.models import Complaint, Status
from integrity_portal.core import workdays
from integrity_portal.core.roles import StaffRole
from tests.complaints.conftest import JIEFANG, file_complaint
from tests.factories import make_staff


def _complaint(due, status=Status.RECEIVED):
    c = file_complaint(region_code=JIEFANG)
    Complaint.objects.filter(pk=c.pk).update(due_on=due, status=status)
    return c


def _listed_codes(client) -> list[str]:
    html = client.get("/admin/complaints/complaint/").content.decode()
    return re.findall(r'class="field-tracking_code"><a href="[^"]+">([A-Z0-9]+)</a>', html)


def _check_order(client, regions):
    today = workdays.today()
    closed = [_complaint(None, Status.MEDIATED) for _ in range(3)]  # closed first on SQLite before the fix
    later = _complaint(today + timedelta(days=9), Status.ASSIGNED)
    overdue = _complaint(today - timedelta(days=2))
    client.force_login(make_staff(JIEFANG, StaffRole.DISTRICT_BRANCH))
    codes = _listed_codes(client)
    assert codes[:2] == [overdue.tracking_code, later.tracking_code]
    assert set(codes[2:]) == {c.tracking_code for c in closed}


def test_complaint_list_puts_due_first_and_empty_dates_last(client, regions):
    _check_order(client, regions)


@pytest.mark.postgres
def test_complaint_list_order_on_postgres(require_postgres, client, regions):
    _check_order(client, regions)


def test_complaint_list_shows_the_deadline_in_the_first_columns():
    model_admin = admin.site._registry[Complaint]
    assert model_admin.list_display.index("due") <= 2
    first = model_admin.ordering[0]
    assert isinstance(first, OrderBy) and first.nulls_last
