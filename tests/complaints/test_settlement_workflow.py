"""The merchant's settlement proposal (和解方案) moves only along its map: pending → accepted or rejected.

The complainant's answer is filed in the complaint's history (the tracking page shows it there);
a proposal still pending when direct settlement runs out lapses (rejected by the system, not shown
to the complainant as their own answer). A decided proposal never moves again.
"""

from __future__ import annotations

from datetime import date

import pytest

from complaints.models import Complaint, MerchantReply, ProposalStatus, Status
from complaints.selectors import complaint_timeline
from complaints.services import (
    complaint_decide_proposal,
    complaint_merchant_reply,
    complaints_escalate_overdue,
    merchant_odr_enroll,
)
from complaints.workflow import SETTLEMENT_WORKFLOW
from integrity_portal.core.audit import audit_entries_for
from integrity_portal.core.errors import NotFound, TransitionNotAllowed

from .conftest import JIEFANG, file_complaint

pytestmark = pytest.mark.django_db


def _with_proposal(merchant, member, status):
    c = file_complaint(merchant_id=merchant.pk, region_code=JIEFANG)
    Complaint.objects.filter(pk=c.pk).update(status=status)
    c.refresh_from_db()
    reply = complaint_merchant_reply(complaint=c, actor=member, body="同意协商", proposal="退还差价二十元")
    assert reply.proposal_status == ProposalStatus.PENDING
    return c, reply


@pytest.mark.parametrize(
    ("status", "accept", "proposal_after", "complaint_after", "action"),
    [
        (Status.ODR, True, "accepted", Status.SETTLED, "complaint.proposal_accepted"),
        (Status.ODR, False, "rejected", Status.RECEIVED, "complaint.proposal_rejected"),
        (Status.MEDIATING, True, "accepted", Status.MEDIATED, "complaint.proposal_accepted"),
        (Status.MEDIATING, False, "rejected", Status.MEDIATING, "complaint.proposal_rejected"),
    ],
)
def test_complainant_answer_moves_the_proposal_and_is_filed_with_the_complaint(
    merchant, member, status, accept, proposal_after, complaint_after, action
):
    c, reply = _with_proposal(merchant, member, status)
    complaint_decide_proposal(complaint=c, reply_id=reply.pk, accept=accept)
    reply.refresh_from_db()
    c.refresh_from_db()
    assert reply.proposal_status == proposal_after and reply.decided_at is not None
    assert c.status == complaint_after
    entry = audit_entries_for(c).get(action=action)
    assert (entry.from_status, entry.to_status, entry.data) == ("pending", proposal_after, {"reply": reply.pk})
    assert [row["action"] for row in complaint_timeline(c)].count(action.split(".", 1)[1]) == 1


def test_a_decided_proposal_cannot_be_answered_again(merchant, member):
    c, reply = _with_proposal(merchant, member, Status.MEDIATING)
    complaint_decide_proposal(complaint=c, reply_id=reply.pk, accept=False)
    with pytest.raises(NotFound):
        complaint_decide_proposal(complaint=c, reply_id=reply.pk, accept=True)
    reply.refresh_from_db()
    assert reply.proposal_status == ProposalStatus.REJECTED


@pytest.mark.parametrize("decided", [ProposalStatus.ACCEPTED, ProposalStatus.REJECTED, ProposalStatus.NONE])
@pytest.mark.parametrize("target", [ProposalStatus.ACCEPTED, ProposalStatus.REJECTED, ProposalStatus.PENDING])
def test_the_map_refuses_every_move_out_of_a_final_status(merchant, member, decided, target):
    c, reply = _with_proposal(merchant, member, Status.MEDIATING)
    MerchantReply.objects.filter(pk=reply.pk).update(proposal_status=decided)
    reply.refresh_from_db()
    before = audit_entries_for(c).count()
    with pytest.raises(TransitionNotAllowed):
        SETTLEMENT_WORKFLOW.transition(reply, target, actor=None, audit_target=c)
    assert MerchantReply.objects.get(pk=reply.pk).proposal_status == decided
    assert audit_entries_for(c).count() == before


def test_pending_proposal_lapses_when_direct_settlement_runs_out(merchant, member, on_day):
    merchant_odr_enroll(merchant=merchant, actor=member, enrolled=True)
    on_day(date(2026, 11, 2))
    c = file_complaint(merchant_id=merchant.pk, use_odr=True)
    reply = complaint_merchant_reply(complaint=c, actor=member, body="可以协商", proposal="赠送优惠券")
    on_day(date(2026, 11, 17))
    assert complaints_escalate_overdue().odr_expired == 1
    reply.refresh_from_db()
    c.refresh_from_db()
    assert reply.proposal_status == ProposalStatus.REJECTED and c.status == Status.RECEIVED
    entry = audit_entries_for(c).get(action="complaint.proposal_lapsed")
    assert (entry.actor, entry.from_status, entry.to_status) == (None, "pending", "rejected")
    # The complainant did not reject it: their timeline does not say so.
    assert "proposal_rejected" not in [row["action"] for row in complaint_timeline(c)]
