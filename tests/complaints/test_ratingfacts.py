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


# --- what counts as substantiated (issue #12): only a finding of fault --------------------------------


def _handled(merchant, staff):
    from complaints.services import complaint_accept, complaint_assign

    c = file_complaint(merchant_id=merchant.pk)
    complaint_accept(complaint=c, actor=staff)
    complaint_assign(complaint=c, actor=staff, region_code=merchant.region_id)
    return c


def _rated(merchant):
    from merchants.models import Merchant
    from merchants.services.rating import ratings_recompute

    ratings_recompute(merchant_ids=[merchant.pk])
    return Merchant.objects.select_related("current_rating").get(pk=merchant.pk).current_rating


def test_settled_mediated_and_transferred_complaints_are_never_substantiated(
    city_staff, merchant, member, client
):
    from complaints.services import (
        complaint_close_mediated,
        complaint_decide_proposal,
        complaint_merchant_reply,
        complaint_start_mediation,
        complaint_transfer,
        merchant_odr_enroll,
    )

    merchant_odr_enroll(merchant=merchant, actor=member, enrolled=True)
    odr = file_complaint(merchant_id=merchant.pk, use_odr=True)
    reply = complaint_merchant_reply(complaint=odr, actor=member, body="非常抱歉", proposal="退还差价20元")
    complaint_decide_proposal(complaint=odr, reply_id=reply.pk, accept=True)
    mediated = _handled(merchant, city_staff)
    complaint_start_mediation(complaint=mediated, actor=city_staff)
    complaint_close_mediated(complaint=mediated, actor=city_staff, agreement="退款并赔礼道歉")
    transferred = _handled(merchant, city_staff)
    complaint_transfer(complaint=transferred, actor=city_staff, note="涉嫌价格欺诈")
    statuses = set(
        Complaint.objects.filter(merchant=merchant, kind="complaint").values_list("status", flat=True)
    )
    assert statuses == {Status.SETTLED, Status.MEDIATED, Status.TRANSFERRED}

    rating = _rated(merchant)
    assert "trading_recent" not in rating.facts and "trading_older" not in rating.facts
    assert rating.trading == 0  # no trading-integrity points lost
    assert rating.facts["complaints_settled_fast"] == 2  # the ODR settlement and the on-time mediation
    body = client.get(f"/merchants/{merchant.pk}/").content.decode()
    assert "经查属实" not in body and "经立案查处或核实为违法" not in body


def test_a_report_that_led_to_a_case_is_substantiated_and_published_with_its_definition(
    city_staff, merchant, client
):
    from complaints.services import report_decide, report_start_verification

    r = file_complaint(kind="report", merchant_id=merchant.pk)
    report_start_verification(complaint=r, actor=city_staff)
    report_decide(complaint=r, actor=city_staff, open_case=True, note="立案查处")
    rating = _rated(merchant)
    assert rating.facts["trading_recent"] == 1 and rating.trading == 5
    body = client.get(f"/merchants/{merchant.pk}/").content.decode()
    assert "近一年经立案查处或核实为违法的投诉举报（价格、计量、宣传、质量、食品安全）：1" in body
    assert "经查属实" not in body


def test_transferred_complaint_confirmed_as_violation_counts_once_with_its_case(
    city_staff, inspector, merchant
):
    from complaints.services import (
        complaint_confirm_violation,
        complaint_transfer,
        report_decide,
        report_start_verification,
    )
    from integrity_portal.core.audit import audit_entries_for
    from integrity_portal.core.errors import NotPermitted, ValidationFailed

    c = _handled(merchant, city_staff)
    complaint_transfer(complaint=c, actor=city_staff)
    c.refresh_from_db()
    assert _rated(merchant).facts.get("trading_recent") is None  # a suspicion, not a finding
    with pytest.raises(ValidationFailed):
        complaint_confirm_violation(complaint=c, actor=city_staff, basis=" ")
    with pytest.raises(NotPermitted):
        complaint_confirm_violation(complaint=c, actor=inspector, basis="焦市监处罚〔2026〕7号")
    c.refresh_from_db()
    assert (
        c.status == Status.TRANSFERRED
        and not audit_entries_for(c).filter(to_status=Status.CONFIRMED).exists()
    )
    complaint_confirm_violation(complaint=c, actor=city_staff, basis="焦市监处罚〔2026〕7号")
    c.refresh_from_db()
    assert c.status == Status.CONFIRMED and c.decided_at is not None
    entry = audit_entries_for(c).get(to_status=Status.CONFIRMED)
    assert (entry.from_status, entry.actor, entry.note) == (
        Status.TRANSFERRED,
        city_staff,
        "焦市监处罚〔2026〕7号",
    )
    assert _rated(merchant).facts["trading_recent"] == 1
    # The report the transfer opened leads to a case: the same matter, still counted once.
    report = Complaint.objects.get(pk=c.related_id)
    report_start_verification(complaint=report, actor=city_staff)
    report_decide(complaint=report, actor=city_staff, open_case=True)
    assert _rated(merchant).facts["trading_recent"] == 1


def test_a_fast_settlement_offsets_complaint_handling_demerits_but_not_premises_findings():
    from merchants.services.rating_policy import FACT_COLUMNS, IDX, Scorer, default_rules

    def service(**facts):
        v = [0] * len(FACT_COLUMNS)
        v[IDX["inspections"]] = 1
        for k, n in facts.items():
            v[IDX[k]] = n
        return Scorer(default_rules()).score(v).service

    assert service(complaints_late=1) == 2
    assert (
        service(complaints_late=1, complaints_closed=1, complaints_mediated=1, complaints_settled_fast=1) == 0
    )
    assert (
        service(premises_serious=1, complaints_closed=1, complaints_mediated=1, complaints_settled_fast=3)
        == 5
    )
    assert service(complaints_unanswered=2, complaints_settled_fast=1) == 8


def test_a_late_mediation_or_an_odr_settlement_after_its_deadline_is_not_fast(regions):
    m = MerchantFactory()
    _closed(m, status=Status.MEDIATED, days_ago=30, closed_late=True)
    c = _closed(m, status=Status.SETTLED, days_ago=20)
    Complaint.objects.filter(pk=c.pk).update(
        odr_due_on=(timezone.make_aware(datetime(2026, 11, 20)) - timedelta(days=25)).date()
    )
    ok = _closed(m, status=Status.SETTLED, days_ago=10)
    Complaint.objects.filter(pk=ok.pk).update(odr_due_on=date(2026, 11, 15))
    rows = {r["merchant_id"]: r for r in complaint_facts(as_of=AS_OF)}
    assert rows[m.pk]["complaints_settled_fast"] == 1
