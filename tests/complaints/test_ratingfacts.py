"""The rating-fact provider: one GROUP BY row per merchant with exactly the agreed integer columns."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from complaints.models import Complaint, ComplaintKind, Status
from complaints.ratingfacts import FACT_COLUMNS, complaint_facts
from integrity_portal.core.ratingfacts import fact_providers
from tests.factories import MerchantFactory

from .conftest import file_complaint

pytestmark = pytest.mark.django_db
AS_OF = date(2026, 11, 20)


def _closed(merchant, *, status, days_ago, kind=ComplaintKind.COMPLAINT, category="price", **extra):
    c = file_complaint(merchant_id=merchant.pk, kind=kind, category=category)
    at = timezone.make_aware(datetime(2026, 11, 20, 12)) - timedelta(days=days_ago)
    Complaint.objects.filter(pk=c.pk).update(
        status=status, closed_at=at, received_at=at - timedelta(days=10), **extra
    )
    return c


def test_provider_is_registered_with_the_agreed_columns():
    provider = next(p for p in fact_providers() if p.name == "complaints")
    assert provider.columns == FACT_COLUMNS
    assert FACT_COLUMNS == (
        "trading_recent",
        "trading_older",
        "complaints_closed",
        "complaints_mediated",
        "complaints_unanswered",
        "complaints_late",
        "satisfaction_sum",
        "satisfaction_count",
        "complaints_settled_fast",
    )


def test_facts_per_merchant(regions):
    m, clean = MerchantFactory(), MerchantFactory()
    _closed(m, status=Status.MEDIATED, days_ago=30, satisfaction=5)
    _closed(m, status=Status.TERMINATED, days_ago=40, satisfaction=2, closed_late=True)
    _closed(m, status=Status.CASE_OPENED, kind=ComplaintKind.REPORT, days_ago=400, category="short_weight")
    _closed(m, status=Status.MEDIATED, days_ago=50, category="service")  # service: not trading
    _closed(m, status=Status.MEDIATED, days_ago=800)  # outside 24 months
    _closed(m, status=Status.TERMINATED, days_ago=60, merchant_unanswered=True)
    _closed(clean, status=Status.REJECTED, days_ago=10)
    with CaptureQueriesContext(connection) as ctx:
        rows = {r["merchant_id"]: r for r in complaint_facts(as_of=AS_OF)}
    assert len(ctx.captured_queries) == 1
    assert rows[m.pk] == {
        "merchant_id": m.pk,
        "trading_recent": 0,  # a mediated complaint is a settlement, not a finding of fault
        "trading_older": 1,  # the report that led to a case
        "complaints_closed": 4,
        "complaints_mediated": 2,
        "complaints_unanswered": 1,
        "complaints_late": 1,
        "satisfaction_sum": 7,
        "satisfaction_count": 2,
        "complaints_settled_fast": 2,  # the two mediated ones (on time) in the window
    }
    assert rows[clean.pk]["complaints_closed"] == 1 and rows[clean.pk]["trading_recent"] == 0


def test_every_closing_outcome_marks_rating_stale(city_staff, merchant):
    from complaints.services import (
        complaint_accept,
        complaint_assign,
        complaint_close_mediated,
        complaint_start_mediation,
    )

    c = file_complaint(merchant_id=merchant.pk)
    complaint_accept(complaint=c, actor=city_staff)
    complaint_assign(complaint=c, actor=city_staff, region_code=merchant.region_id)
    complaint_start_mediation(complaint=c, actor=city_staff)
    merchant.refresh_from_db()
    assert not merchant.rating_stale
    complaint_close_mediated(complaint=c, actor=city_staff, agreement="退款并道歉")
    merchant.refresh_from_db()
    assert merchant.rating_stale


def test_report_case_opened_marks_rating_stale(city_staff, merchant):
    from complaints.services import report_decide, report_start_verification

    r = file_complaint(kind="report", merchant_id=merchant.pk)
    report_start_verification(complaint=r, actor=city_staff)
    report_decide(complaint=r, actor=city_staff, open_case=True)
    merchant.refresh_from_db()
    assert merchant.rating_stale
