"""Every closing outcome marks the merchant's rating stale, whichever path closes the item.

Closing goes through one service (``complaint_close``) from the clerk's handling and from the
complainant accepting the merchant's settlement proposal. The cases below are every move of the
complaint and report maps whose target is a closed status (written out here, not read from the
maps), each driven through the real service that makes it; the flag must be set by the time the
service returns, in the same transaction as the outcome.
"""

from __future__ import annotations

import pytest

from complaints.models import Complaint, ComplaintKind, Status
from complaints.services import complaint_apply_action, complaint_decide_proposal, complaint_merchant_reply
from integrity_portal.core.audit import audit_entries_for
from merchants.models import Merchant

from .conftest import JIEFANG, file_complaint

pytestmark = pytest.mark.django_db

#: Every (kind, from, to) move whose target is closed: rejected, settled, mediated, terminated
#: (mediation ended), transferred, confirmed, case opened, not opened.
CLOSING_MOVES = {
    ("complaint", "odr", "settled"),
    ("complaint", "received", "rejected"),
    ("complaint", "assigned", "terminated"),
    ("complaint", "assigned", "transferred"),
    ("complaint", "mediating", "mediated"),
    ("complaint", "mediating", "terminated"),
    ("complaint", "mediating", "transferred"),
    ("complaint", "transferred", "confirmed"),
    ("report", "verifying", "case_opened"),
    ("report", "verifying", "not_opened"),
}

STAFF_PARAMS = {
    "reject": {"reject_reason": "outside_remit"},
    "close_mediated": {"agreement": "退还差价二十元"},
    "terminate": {"termination_reason": "refusal"},
    "transfer": {"note": "涉嫌价格欺诈"},
    "confirm_violation": {"note": "焦市监处罚〔2026〕88号"},
}

#: (kind, from, to, how): the staff action name, or "proposal_accepted" for the settlement path.
CASES = [
    ("complaint", "odr", "settled", "proposal_accepted"),
    ("complaint", "received", "rejected", "reject"),
    ("complaint", "assigned", "terminated", "terminate"),
    ("complaint", "assigned", "transferred", "transfer"),
    ("complaint", "mediating", "mediated", "close_mediated"),
    ("complaint", "mediating", "mediated", "proposal_accepted"),
    ("complaint", "mediating", "terminated", "terminate"),
    ("complaint", "mediating", "transferred", "transfer"),
    ("complaint", "transferred", "confirmed", "confirm_violation"),
    ("report", "verifying", "case_opened", "open_case"),
    ("report", "verifying", "not_opened", "no_case"),
]


def test_the_cases_cover_every_closing_move():
    assert {(kind, source, target) for kind, source, target, _how in CASES} == CLOSING_MOVES


@pytest.mark.parametrize(("kind", "source", "target", "how"), CASES, ids=lambda v: str(v))
def test_every_closing_outcome_marks_the_rating_stale(city_staff, merchant, member, kind, source, target, how):
    c = file_complaint(kind=kind, merchant_id=merchant.pk, region_code=JIEFANG)
    Complaint.objects.filter(pk=c.pk).update(status=source)
    c.refresh_from_db()
    if how == "proposal_accepted":
        reply = complaint_merchant_reply(complaint=c, actor=member, body="同意协商", proposal="退还差价二十元")
    Merchant.objects.filter(pk=merchant.pk).update(rating_stale=False)

    if how == "proposal_accepted":
        complaint_decide_proposal(complaint=c, reply_id=reply.pk, accept=True)
    else:
        complaint_apply_action(complaint=c, actor=city_staff, action=how, **STAFF_PARAMS.get(how, {}))

    c.refresh_from_db()
    assert c.kind == (ComplaintKind.REPORT if kind == "report" else ComplaintKind.COMPLAINT)
    assert c.status == target
    assert Merchant.objects.get(pk=merchant.pk).rating_stale is True
    assert audit_entries_for(c).filter(from_status=source, to_status=target).count() == 1


@pytest.mark.parametrize("how", ["close_mediated", "proposal_accepted"])
def test_both_paths_to_mediated_close_the_same_way(city_staff, merchant, member, on_day, how):
    """The clerk's close and an accepted proposal share one closing: closed_at, the running
    deadline cleared, late when past the bureau's deadline, open escalations resolved."""
    from datetime import date

    from complaints.models import Escalation

    on_day(date(2026, 3, 2))
    c = file_complaint(merchant_id=merchant.pk, region_code=JIEFANG)
    Complaint.objects.filter(pk=c.pk).update(status=Status.MEDIATING, due_on=date(2026, 3, 20))
    Escalation.objects.create(complaint=c, deadline="mediation", due_on=date(2026, 3, 20), escalated_to_id=JIEFANG)
    c.refresh_from_db()
    reply = complaint_merchant_reply(complaint=c, actor=member, body="同意协商", proposal="退还差价二十元")
    on_day(date(2026, 3, 30))
    if how == "proposal_accepted":
        complaint_decide_proposal(complaint=c, reply_id=reply.pk, accept=True)
    else:
        complaint_apply_action(complaint=c, actor=city_staff, action=how, agreement="退还差价二十元")
    c.refresh_from_db()
    assert c.status == Status.MEDIATED and c.agreement == "退还差价二十元"
    assert c.closed_at is not None and c.due_on is None and c.closed_late is True
    assert not Escalation.objects.filter(complaint=c, resolved_at__isnull=True).exists()


def test_settlement_in_direct_settlement_is_never_late(merchant, member, on_day):
    """ODR time is the merchant's: the bureau's clock had not started, so settling is never "late"."""
    from datetime import date

    on_day(date(2026, 11, 2))
    c = file_complaint(merchant_id=merchant.pk, region_code=JIEFANG)
    Complaint.objects.filter(pk=c.pk).update(status=Status.ODR, due_on=date(2026, 11, 16))
    c.refresh_from_db()
    reply = complaint_merchant_reply(complaint=c, actor=member, body="同意协商", proposal="退还差价二十元")
    on_day(date(2026, 11, 18))
    complaint_decide_proposal(complaint=c, reply_id=reply.pk, accept=True)
    c.refresh_from_db()
    assert c.status == Status.SETTLED and c.closed_late is False and c.closed_at is not None


def test_complaint_close_refuses_a_status_that_is_not_closed(city_staff, merchant):
    from complaints.services import complaint_close

    c = file_complaint(merchant_id=merchant.pk, region_code=JIEFANG)
    with pytest.raises(ValueError):
        complaint_close(complaint=c, target=Status.ACCEPTED, actor=city_staff, reason="not a closing")
    c.refresh_from_db()
    assert c.status == Status.RECEIVED and c.closed_at is None
