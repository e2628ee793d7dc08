"""Credit repair decisions are moves of the repair map: audited once, final, and a stale copy loses.

Allowed: submitted → approved, submitted → refused. Everything else is refused and changes nothing
(neither the request nor the fact it would end).
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from integrity_portal.core.audit import audit_entries_for
from integrity_portal.core.errors import ConcurrentUpdate, TransitionNotAllowed
from merchants.models import CreditRepairRequest, ListEntry, Merchant, RepairStatus
from merchants.services.credit import repair_request_decide, repair_request_submit
from tests.factories import MerchantFactory, make_staff
from tests.merchants.credit_factories import blacklist, today
from tests.upload_samples import pdf_bytes

pytestmark = pytest.mark.django_db


def _request():
    merchant = MerchantFactory()
    entry = blacklist(merchant, valid_from=today() - timedelta(days=400))
    request = repair_request_submit(
        merchant=merchant,
        list_entry=entry,
        application="已全部整改并缴清罚款。",
        pledge_text="守法诚信经营。",
        pledge_signed=True,
        evidence_files=[SimpleUploadedFile("receipt.pdf", pdf_bytes())],
        actor=None,
    )
    return merchant, entry, request


@pytest.mark.parametrize(("approve", "target"), [(True, "approved"), (False, "refused")])
def test_each_decision_is_one_audited_move_from_submitted(regions, approve, target):
    merchant, _entry, request = _request()
    staff = make_staff()
    Merchant.objects.filter(pk=merchant.pk).update(rating_stale=False)
    repair_request_decide(request=request, approve=approve, reason="经审核", actor=staff)
    stored = CreditRepairRequest.objects.get(pk=request.pk)
    assert (stored.status, stored.decided_by, stored.decision_reason) == (target, staff, "经审核")
    assert stored.decided_at is not None
    entry = audit_entries_for(request).get(to_status=target)
    assert (entry.action, entry.from_status, entry.actor, entry.note) == (
        f"repair.{target}",
        "submitted",
        staff,
        "经审核",
    )
    assert Merchant.objects.get(pk=merchant.pk).rating_stale is approve


@pytest.mark.parametrize("first", [True, False])
@pytest.mark.parametrize("second", [True, False])
def test_a_decided_request_is_final(regions, first, second):
    _merchant, _entry, request = _request()
    repair_request_decide(request=request, approve=first, reason="经审核", actor=None)
    with pytest.raises(TransitionNotAllowed):
        repair_request_decide(request=request, approve=second, reason="改判", actor=None)
    expected = RepairStatus.APPROVED if first else RepairStatus.REFUSED
    assert CreditRepairRequest.objects.get(pk=request.pk).status == expected
    # One decision (the merchant, with no account, also has one undeliverable notice of it).
    assert audit_entries_for(request).filter(action__startswith="repair.").exclude(action="repair.submit").count() == 1


def test_a_stale_copy_loses_and_ends_nothing(regions):
    merchant, entry, request = _request()
    stale = CreditRepairRequest.objects.get(pk=request.pk)
    repair_request_decide(request=request, approve=False, reason="证明材料不足", actor=None)
    Merchant.objects.filter(pk=merchant.pk).update(rating_stale=False)
    with pytest.raises(ConcurrentUpdate):
        repair_request_decide(request=stale, approve=True, reason="整改到位", actor=None)
    assert CreditRepairRequest.objects.get(pk=request.pk).status == RepairStatus.REFUSED
    assert ListEntry.objects.get(pk=entry.pk).ended_at is None
    assert Merchant.objects.get(pk=merchant.pk).rating_stale is False
