"""Credit repair: minimum periods with the earliest date, 7 working days, approval ends the fact."""

from __future__ import annotations

from datetime import timedelta

import pytest
from dateutil.relativedelta import relativedelta
from django.core.files.uploadedfile import SimpleUploadedFile

from integrity_portal.core.audit import audit_entries_for
from integrity_portal.core.errors import NotPermitted, TransitionNotAllowed, ValidationFailed
from merchants.models import ListEntry, ListEntryKind, Penalty, PenaltyTier, RepairStatus
from merchants.selectors.credit import merchant_has_black_entry_in_force
from merchants.services.credit import repair_request_decide, repair_request_submit
from tests.factories import MerchantFactory, make_staff
from tests.merchants.credit_factories import blacklist, penalise, today
from tests.upload_samples import pdf_bytes

pytestmark = pytest.mark.django_db


def _submit(merchant, **target):
    return repair_request_submit(
        merchant=merchant,
        application="已全部整改并缴清罚款。",
        pledge_text="守法诚信经营。",
        pledge_signed=True,
        evidence_files=[SimpleUploadedFile("receipt.pdf", pdf_bytes())],
        actor=None,
        **target,
    )


def _aged_penalty(m, tier, days):
    p = penalise(m, tier=tier)
    Penalty.objects.filter(pk=p.pk).update(publicity_from=today() - timedelta(days=days))
    p.refresh_from_db()
    return p


def test_moderate_penalty_repair_before_three_months_is_refused_with_earliest_date(regions):
    m = MerchantFactory()
    p = _aged_penalty(m, PenaltyTier.MODERATE, 30)
    earliest = p.publicity_from + relativedelta(months=3)
    with pytest.raises(ValidationFailed) as exc:
        _submit(m, penalty=p)
    assert earliest.isoformat() in exc.value.message and exc.value.details["earliest"] == earliest.isoformat()


def test_serious_penalty_needs_one_year(regions):
    m = MerchantFactory()
    p = _aged_penalty(m, PenaltyTier.SERIOUS, 200)
    with pytest.raises(ValidationFailed, match="最早可于"):
        _submit(m, penalty=p)
    Penalty.objects.filter(pk=p.pk).update(publicity_from=today() - timedelta(days=370))
    p.refresh_from_db()
    assert _submit(m, penalty=p).status == RepairStatus.SUBMITTED


def test_serious_dishonesty_entry_needs_one_year_and_judgment_defaulter_is_refused(regions):
    m = MerchantFactory()
    recent = blacklist(m, valid_from=today() - timedelta(days=100))
    with pytest.raises(ValidationFailed, match="最早可于"):
        _submit(m, list_entry=recent)
    court = blacklist(m, kind=ListEntryKind.JUDGMENT_DEFAULTER)
    with pytest.raises(ValidationFailed, match="人民法院"):
        _submit(m, list_entry=court)


def test_minor_penalty_is_not_repairable_early(regions):
    m = MerchantFactory()
    p = _aged_penalty(m, PenaltyTier.MINOR, 60)
    with pytest.raises(ValidationFailed, match="轻微"):
        _submit(m, penalty=p)


def test_repair_needs_pledge_and_evidence_and_own_fact(regions):
    m = MerchantFactory()
    p = _aged_penalty(m, PenaltyTier.MODERATE, 120)
    with pytest.raises(ValidationFailed, match="承诺书"):
        repair_request_submit(
            merchant=m,
            penalty=p,
            application="x",
            pledge_text="y",
            pledge_signed=False,
            evidence_files=[1],
            actor=None,
        )
    with pytest.raises(ValidationFailed, match="证明材料"):
        repair_request_submit(
            merchant=m,
            penalty=p,
            application="x",
            pledge_text="y",
            pledge_signed=True,
            evidence_files=[],
            actor=None,
        )
    with pytest.raises(NotPermitted):
        _submit(MerchantFactory(), penalty=p)


def test_approval_ends_the_entry_within_seven_working_days_and_marks_stale(regions):
    m = MerchantFactory()
    entry = blacklist(m, valid_from=today() - timedelta(days=400))
    req = _submit(m, list_entry=entry)
    assert req.decide_by > today() and (req.decide_by - today()).days <= 15
    assert req.evidence.count() == 1
    staff = make_staff()
    repair_request_decide(request=req, approve=True, reason="整改到位", actor=staff)
    entry.refresh_from_db()
    assert entry.ended_at is not None and "信用修复" in entry.end_reason
    assert not merchant_has_black_entry_in_force(merchant=m, as_of=today())
    assert ListEntry.objects.filter(pk=entry.pk).exists()
    assert audit_entries_for(req).filter(action="repair.approved", actor=staff).exists()
    with pytest.raises(TransitionNotAllowed):
        repair_request_decide(request=req, approve=False, reason="x", actor=staff)


def test_refusal_needs_a_reason_and_keeps_the_entry(regions):
    m = MerchantFactory()
    entry = blacklist(m, kind=ListEntryKind.ABNORMAL_OPERATION)
    req = _submit(m, list_entry=entry)
    with pytest.raises(ValidationFailed):
        repair_request_decide(request=req, approve=False, reason="", actor=None)
    repair_request_decide(request=req, approve=False, reason="年报仍未补报", actor=None)
    entry.refresh_from_db()
    assert entry.ended_at is None
