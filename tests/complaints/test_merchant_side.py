"""The merchant's side: ODR enrolment, direct settlement, replies, proposals and what it may see."""

from __future__ import annotations

from datetime import date

import pytest

from complaints.models import Complaint, ProposalStatus, Status
from complaints.selectors import complaints_for_merchant_user
from complaints.services import (
    complaint_accept,
    complaint_assign,
    complaint_decide_proposal,
    complaint_merchant_reply,
    complaints_escalate_overdue,
    merchant_odr_enroll,
)
from integrity_portal.core.audit import audit_entries_for
from integrity_portal.core.errors import NotFound, TransitionNotAllowed
from tests.factories import MerchantFactory, UserFactory

from .conftest import JIEFANG, file_complaint

pytestmark = pytest.mark.django_db


def _assigned(merchant, staff):
    c = file_complaint(merchant_id=merchant.pk)
    complaint_accept(complaint=c, actor=staff)
    complaint_assign(complaint=c, actor=staff, region_code=JIEFANG)
    c.refresh_from_db()
    return c


def test_member_enrols_in_odr_and_it_is_audited(merchant, member):
    merchant_odr_enroll(merchant=merchant, actor=member, enrolled=True)
    merchant.refresh_from_db()
    assert merchant.odr_enrolled
    assert audit_entries_for(merchant).filter(action="merchant.odr_enroll").count() == 1


def test_non_member_cannot_enrol(merchant, regions):
    stranger = UserFactory()
    with pytest.raises(NotFound):
        merchant_odr_enroll(merchant=merchant, actor=stranger, enrolled=True)
    merchant.refresh_from_db()
    assert not merchant.odr_enrolled


def test_odr_settlement_closes_as_settled_and_marks_rating_stale(merchant, member, on_day):
    merchant_odr_enroll(merchant=merchant, actor=member, enrolled=True)
    on_day(date(2026, 11, 2))
    c = file_complaint(merchant_id=merchant.pk, use_odr=True)
    assert c.status == Status.ODR and c.odr_due_on == date(2026, 11, 16)
    reply = complaint_merchant_reply(complaint=c, actor=member, body="非常抱歉", proposal="退还差价20元")
    complaint_decide_proposal(complaint=c, reply_id=reply.pk, accept=True)
    c.refresh_from_db()
    merchant.refresh_from_db()
    assert c.status == Status.SETTLED and c.agreement == "退还差价20元" and c.closed_at
    assert merchant.rating_stale
    assert audit_entries_for(c).filter(from_status=Status.ODR, to_status=Status.SETTLED).exists()


def test_rejected_odr_proposal_goes_to_bureau_with_a_fresh_clock(merchant, member, on_day):
    merchant_odr_enroll(merchant=merchant, actor=member, enrolled=True)
    on_day(date(2026, 11, 2))
    c = file_complaint(merchant_id=merchant.pk, use_odr=True)
    reply = complaint_merchant_reply(complaint=c, actor=member, body="可以协商", proposal="赠送优惠券")
    on_day(date(2026, 11, 9))
    complaint_decide_proposal(complaint=c, reply_id=reply.pk, accept=False)
    c.refresh_from_db()
    assert c.status == Status.RECEIVED and c.due_on == date(2026, 11, 18)
    reply.refresh_from_db()
    assert reply.proposal_status == ProposalStatus.REJECTED


def test_odr_expiry_hands_over_and_counts_unanswered(merchant, member, on_day):
    merchant_odr_enroll(merchant=merchant, actor=member, enrolled=True)
    on_day(date(2026, 11, 2))
    c = file_complaint(merchant_id=merchant.pk, use_odr=True)
    on_day(date(2026, 11, 17))
    result = complaints_escalate_overdue()
    c.refresh_from_db()
    assert result.odr_expired == 1 and result.escalated == 0
    assert c.status == Status.RECEIVED and c.merchant_unanswered
    assert c.due_on == date(2026, 11, 26)
    assert complaints_escalate_overdue().odr_expired == 0


def test_first_reply_to_assigned_complaint_opens_mediation(merchant, member, city_staff):
    c = _assigned(merchant, city_staff)
    complaint_merchant_reply(complaint=c, actor=member, body="已联系消费者")
    c.refresh_from_db()
    assert c.status == Status.MEDIATING and c.merchant_replied_at
    entry = audit_entries_for(c).get(to_status=Status.MEDIATING)
    assert entry.actor == member


def test_accepted_proposal_in_mediation_closes_as_mediated(merchant, member, city_staff):
    c = _assigned(merchant, city_staff)
    reply = complaint_merchant_reply(complaint=c, actor=member, body="同意退款", proposal="全额退款")
    complaint_decide_proposal(complaint=c, reply_id=reply.pk, accept=True)
    c.refresh_from_db()
    assert c.status == Status.MEDIATED and c.agreement == "全额退款"


def test_second_proposal_waits_for_the_first(merchant, member, city_staff):
    c = _assigned(merchant, city_staff)
    complaint_merchant_reply(complaint=c, actor=member, body="方案一", proposal="退一半")
    with pytest.raises(TransitionNotAllowed):
        complaint_merchant_reply(complaint=c, actor=member, body="方案二", proposal="全退")
    assert c.replies.count() == 1


def test_merchant_cannot_reply_before_assignment_or_after_closing(merchant, member, city_staff):
    c = file_complaint(merchant_id=merchant.pk)
    with pytest.raises(NotFound):
        complaint_merchant_reply(complaint=Complaint.objects.get(pk=c.pk), actor=member, body="答复")
    Complaint.objects.filter(pk=c.pk).update(status=Status.MEDIATED)
    with pytest.raises(TransitionNotAllowed):
        complaint_merchant_reply(complaint=c, actor=member, body="答复")


def test_other_merchant_member_cannot_reply(merchant, city_staff, regions):
    c = _assigned(merchant, city_staff)
    other = MerchantFactory()
    from tests.factories import MembershipFactory

    outsider = MembershipFactory(merchant=other).user
    with pytest.raises(NotFound):
        complaint_merchant_reply(complaint=c, actor=outsider, body="不是我的")
    assert not c.replies.exists()


def test_report_never_reaches_the_merchant(merchant, member, city_staff):
    report = file_complaint(kind="report", merchant_id=merchant.pk)
    complaint = _assigned(merchant, city_staff)
    visible = list(complaints_for_merchant_user(member))
    assert visible == [complaint]
    with pytest.raises(NotFound):
        complaint_merchant_reply(complaint=report, actor=member, body="举报人是谁")


def test_merchant_list_does_not_load_contact_data(merchant, member, city_staff):
    _assigned(merchant, city_staff)
    c = complaints_for_merchant_user(member).get()
    assert {"complainant_phone", "complainant_address", "complainant_id_number"} <= c.get_deferred_fields()


def test_unreceived_complaint_is_not_shown_to_merchant(merchant, member):
    file_complaint(merchant_id=merchant.pk)
    assert not complaints_for_merchant_user(member).exists()


def test_proposal_decision_refused_once_complaint_is_closed(merchant, member, city_staff):
    from complaints.services import complaint_terminate

    c = _assigned(merchant, city_staff)
    reply = complaint_merchant_reply(complaint=c, actor=member, body="同意", proposal="退款")
    complaint_terminate(complaint=c, actor=city_staff, reason="withdrawal")
    with pytest.raises(TransitionNotAllowed):
        complaint_decide_proposal(complaint=c, reply_id=reply.pk, accept=True)
    c.refresh_from_db()
    reply.refresh_from_db()
    assert c.status == Status.TERMINATED and reply.proposal_status == ProposalStatus.PENDING


def test_unknown_or_foreign_proposal_is_not_found(merchant, member, city_staff):
    c = _assigned(merchant, city_staff)
    other = _assigned(merchant, city_staff)
    reply = complaint_merchant_reply(complaint=other, actor=member, body="同意", proposal="退款")
    with pytest.raises(NotFound):
        complaint_decide_proposal(complaint=c, reply_id=reply.pk, accept=True)
    c.refresh_from_db()
    assert c.status == Status.ASSIGNED


def test_staff_cannot_reply_as_the_merchant(merchant, city_staff):
    c = _assigned(merchant, city_staff)
    with pytest.raises(NotFound):
        complaint_merchant_reply(complaint=c, actor=city_staff, body="代为答复")
    assert not c.replies.exists()
