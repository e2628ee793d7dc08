"""The register's request lists (appeals, repairs, re-inspections) sort open requests by their deadline,
decided ones after them, on SQLite and PostgreSQL; the deadline is in the first columns."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.contrib import admin
from django.db.models import OrderBy
from django.utils import timezone

from integrity_portal.core import workdays
from integrity_portal.core.roles import StaffRole
from merchants.models import CreditRepairRequest, RatingAppeal, ReinspectionRequest, ReinspectionStatus
from tests.factories import MerchantFactory, UserFactory, make_staff

DEADLINES = {RatingAppeal: "decide_by", CreditRepairRequest: "decide_by", ReinspectionRequest: "visit_by"}


def _request(status, visit_by):
    return ReinspectionRequest.objects.create(
        merchant=MerchantFactory(),
        improvements="已整改",
        status=status,
        requested_by=UserFactory(),
        requested_at=timezone.now(),
        visit_by=visit_by,
    )


def _check_order(client):
    today = workdays.today()
    done_early = _request(ReinspectionStatus.DONE, today - timedelta(days=300))  # old date, waits for nobody
    later = _request(ReinspectionStatus.SCHEDULED, today + timedelta(days=30))
    soon = _request(ReinspectionStatus.REQUESTED, today + timedelta(days=3))
    client.force_login(make_staff("410802", StaffRole.DISTRICT_BRANCH))
    html = client.get("/admin/merchants/reinspectionrequest/").content.decode()
    ids = [int(i) for i in re.findall(r"/admin/merchants/reinspectionrequest/(\d+)/change/", html)]
    assert list(dict.fromkeys(ids)) == [soon.pk, later.pk, done_early.pk]


def test_reinspection_list_orders_open_requests_by_deadline(client, regions):
    _check_order(client)


@pytest.mark.postgres
def test_reinspection_list_order_on_postgres(require_postgres, client, regions):
    _check_order(client)


@pytest.mark.parametrize("model", list(DEADLINES))
def test_deadline_column_first_and_ordering_nulls_last(model):
    model_admin = admin.site._registry[model]
    assert model_admin.list_display.index(DEADLINES[model]) <= 2
    first = model_admin.ordering[0]
    assert isinstance(first, OrderBy) and first.nulls_last
