"""One open credit-repair request per fact (issue #11, item 10): parallel submissions leave one.

The service locks the fact's row before its check; the partial unique constraint (one request in an open
status per list entry / penalty) is the guarantee, and its IntegrityError becomes the domain error.
"""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, connection, transaction

from integrity_portal.core.audit import audit_entries_for
from integrity_portal.core.errors import ValidationFailed
from merchants.models import CreditRepairRequest, Penalty, PenaltyTier, RepairStatus
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


def _repairable_penalty():
    merchant = MerchantFactory()
    penalty = penalise(merchant, tier=PenaltyTier.MODERATE)
    Penalty.objects.filter(pk=penalty.pk).update(publicity_from=today() - timedelta(days=120))
    penalty.refresh_from_db()
    return merchant, penalty


def test_second_submission_for_the_same_penalty_is_refused(regions):
    merchant, penalty = _repairable_penalty()
    first = _submit(merchant, penalty=penalty)
    with pytest.raises(ValidationFailed, match="待审核"):
        _submit(merchant, penalty=penalty)
    assert CreditRepairRequest.objects.filter(penalty=penalty).count() == 1
    assert audit_entries_for(first).filter(action="repair.submit").count() == 1
    # Once decided, a new request may be filed.
    repair_request_decide(request=first, approve=False, reason="证明材料不足。", actor=make_staff("410802"))
    penalty.refresh_from_db()
    assert _submit(merchant, penalty=penalty).status == RepairStatus.SUBMITTED


def test_database_refuses_a_second_open_request_for_one_fact(regions):
    """The constraint holds even for a write that bypasses the service (admin, shell, a future bug)."""
    merchant, penalty = _repairable_penalty()
    first = _submit(merchant, penalty=penalty)
    fields = dict(
        merchant=merchant, application="a", pledge_text="p", pledge_signed=True, decide_by=first.decide_by
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        CreditRepairRequest.objects.create(penalty=penalty, **fields)
    entry = blacklist(merchant, valid_from=today() - timedelta(days=400))
    CreditRepairRequest.objects.create(list_entry=entry, **fields)
    with pytest.raises(IntegrityError), transaction.atomic():
        CreditRepairRequest.objects.create(list_entry=entry, **fields)
    # Decided requests do not count: history may hold many.
    CreditRepairRequest.objects.create(penalty=penalty, status=RepairStatus.REFUSED, **fields)


def test_integrity_error_of_a_lost_race_becomes_the_domain_error(regions, monkeypatch):
    """The check saw nothing (the other request committed just after it): the insert's IntegrityError is
    reported as the same clear refusal, not a 500."""
    merchant, penalty = _repairable_penalty()
    _submit(merchant, penalty=penalty)
    monkeypatch.setattr(
        CreditRepairRequest.objects, "filter", lambda *a, **k: CreditRepairRequest.objects.none()
    )
    with pytest.raises(ValidationFailed, match="待审核"):
        _submit(merchant, penalty=penalty)
    monkeypatch.undo()
    assert CreditRepairRequest.objects.filter(penalty=penalty).count() == 1


@pytest.mark.postgres
def test_three_parallel_submissions_leave_one(require_postgres, transactional_db, regions):
    merchant, penalty = _repairable_penalty()
    barrier = threading.Barrier(3)
    outcomes: list = []

    def run():
        try:
            barrier.wait(timeout=5)
            _submit(merchant, penalty=penalty)
            outcomes.append("ok")
        except ValidationFailed as exc:
            outcomes.append(exc.message)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert outcomes.count("ok") == 1, outcomes
    assert all("待审核" in o for o in outcomes if o != "ok")
    assert CreditRepairRequest.objects.filter(penalty=penalty, status=RepairStatus.SUBMITTED).count() == 1
