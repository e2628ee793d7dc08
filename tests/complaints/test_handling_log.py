"""The staff handling log (办理记录) reads in words: action labels, status labels, people's names, “系统”."""

from __future__ import annotations

from datetime import date

import pytest
from django.contrib.auth.models import AnonymousUser
from django.urls import reverse
from django.utils import translation

from complaints.models import Complaint, Status
from complaints.services import (
    complaint_apply_action,
    complaint_decide_proposal,
    complaint_merchant_reply,
    complaint_submit,
    complaints_escalate_overdue,
)
from integrity_portal.core.audit import audit_timeline
from integrity_portal.core.roles import StaffRole
from merchants.services import staff_assign_role
from tests.factories import make_staff

from .conftest import JIEFANG, file_complaint, submission

pytestmark = pytest.mark.django_db


@pytest.fixture
def named_clerk(regions):
    clerk = make_staff(JIEFANG, StaffRole.DISTRICT_BRANCH, username="clerk_wang")
    staff_assign_role(
        user=clerk, region_code=JIEFANG, role=StaffRole.DISTRICT_BRANCH, actor=None, full_name="王建国"
    )
    return clerk


def _handled(named_clerk, district_staff, on_day):
    """Filed on a Monday, escalated by the nightly sweep weeks later, then handled by two people."""
    on_day(date(2026, 3, 2))
    c = file_complaint()
    on_day(date(2026, 4, 1))
    complaints_escalate_overdue()
    complaint_apply_action(complaint=c, actor=named_clerk, action="accept")
    complaint_apply_action(complaint=c, actor=named_clerk, action="assign", region=JIEFANG)
    complaint_apply_action(complaint=c, actor=district_staff, action="mediate")
    return c


def test_timeline_names_actions_statuses_and_people(named_clerk, district_staff, on_day):
    c = _handled(named_clerk, district_staff, on_day)
    rows = [(r.actor, r.action, r.status) for r in reversed(audit_timeline(c))]
    assert rows == [
        ("系统", "登记投诉", "已登记"),
        ("系统", "超期督办", ""),
        ("王建国", "受理", "已登记 → 已受理"),
        ("王建国", "分派", "已受理 → 已分派"),
        (district_staff.username, "转入调解", "已分派 → 调解中"),
    ]


def test_handling_page_shows_words_never_codes(client, named_clerk, district_staff, on_day):
    c = _handled(named_clerk, district_staff, on_day)
    client.force_login(district_staff)
    body = client.get(reverse("admin:complaints_complaint_change", args=[c.pk])).content.decode()
    log = body[body.index("办理记录") :]
    for words in ("转入调解", "已分派 → 调解中", "王建国", "系统", "超期督办"):
        assert words in log
    for code in ("complaint.", "assigned", "mediating", "anonymous", ">system<"):
        assert code not in log


def test_a_public_submission_is_the_public_not_the_system(regions):
    c = file_complaint()
    public = complaint_submit(submission=submission(phone="13811112222"), actor=AnonymousUser())[0]
    assert [r.actor for r in audit_timeline(public)] == ["公众"]
    assert [r.actor for r in audit_timeline(c)] == ["系统"]


def test_timeline_follows_the_viewers_language(named_clerk, district_staff, on_day):
    c = _handled(named_clerk, district_staff, on_day)
    with translation.override("en"):
        newest = audit_timeline(c)[0]
        system = audit_timeline(c)[-1]
    assert (newest.action, newest.status) == ("Mediation started", "Assigned → In mediation")
    assert system.actor == "System"


def test_a_proposal_answer_filed_with_the_complaint_reads_with_the_proposal_statuses(merchant, member):
    """The move is the proposal's (pending → accepted) though filed under the complaint, whose own
    ``accepted`` means 已受理: the log must say the proposal's words."""
    c = file_complaint(merchant_id=merchant.pk, region_code=JIEFANG)
    Complaint.objects.filter(pk=c.pk).update(status=Status.MEDIATING)
    c.refresh_from_db()
    reply = complaint_merchant_reply(complaint=c, actor=member, body="同意协商", proposal="退还差价二十元")
    complaint_decide_proposal(complaint=c, reply_id=reply.pk, accept=True)
    answer = next(r for r in audit_timeline(c) if r.action == "投诉人接受和解方案")
    assert answer.status == "待投诉人确认 → 投诉人已接受"
