"""One-pass validation on the intake form (issue #19 item 2): the service's rules run with the form's, so
an empty submit shows every error at once; conditionally required fields carry a mark and aria-required."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from complaints.forms import SubmissionForm
from complaints.models import Complaint

from .test_public_pages import form_data

pytestmark = pytest.mark.django_db

#: What an empty complaint misses, counted by hand: category and description (the form's own rules) and
#: seven of the service's (name, address, phone, harm date, consent, merchant name/address, district).
EMPTY_COMPLAINT_ERRORS = {
    "category",
    "description",
    "name",
    "address",
    "phone",
    "harm_known_on",
    "consent",
    "target_name",
    "region",
}


def test_empty_complaint_submit_shows_every_error_at_once(client, regions):
    response = client.post(reverse("complaints:new"), {"kind": "complaint"})
    assert response.status_code == 400
    form = response.context["form"]
    assert set(form.errors) == EMPTY_COMPLAINT_ERRORS
    html = response.content.decode()
    assert html.count('class="errorlist"') == len(EMPTY_COMPLAINT_ERRORS)
    assert "投诉须填写姓名。" in html and "请选择被投诉方所在的区县。" in html
    assert not Complaint.objects.exists()


def test_form_and_service_errors_show_together(client, regions):
    """A bad phone (service) and a missing description (form) in the same answer."""
    response = client.post(reverse("complaints:new"), form_data(phone="123", description=""))
    assert set(response.context["form"].errors) == {"phone", "description"}


def test_anonymous_report_needs_no_contact_fields(client, regions):
    data = form_data(kind="report", anonymous="on", name="", phone="", address="", harm_known_on="", consent="")
    response = client.post(reverse("complaints:new"), data)
    assert response.status_code == 302
    assert Complaint.objects.get().anonymous


def _aria_required(html: str, name: str) -> bool:
    tag = re.search(rf'<(?:input|textarea|select)[^>]*name="{name}"[^>]*>', html).group(0)
    return 'aria-required="true"' in tag


def test_complaint_fields_are_marked_and_aria_required(client, regions):
    html = client.get(reverse("complaints:new")).content.decode()
    for name in ("name", "phone", "address", "harm_known_on", "consent", "description"):
        assert _aria_required(html, name), name
    assert not _aria_required(html, "email")
    for name in ("name", "phone", "address", "harm_known_on", "consent"):
        mark = re.search(rf'<span class="required-mark"[^>]*data-required-mark="{name}"[^>]*>', html).group(0)
        assert " hidden" not in mark, name


def test_required_marks_follow_the_posted_kind(client, regions):
    """Without JavaScript the page re-rendered after a report shows a report's marks."""
    response = client.post(reverse("complaints:new"), {"kind": "report"})
    html = response.content.decode()
    assert not _aria_required(html, "name") and not _aria_required(html, "harm_known_on")
    assert _aria_required(html, "phone") and _aria_required(html, "consent")
    mark = re.search(r'<span class="required-mark"[^>]*data-required-mark="name"[^>]*>', html).group(0)
    assert " hidden" in mark
    # The rules the script switches with are on the inputs.
    assert 'data-required-when="complaint both"' in html


def test_anonymous_report_marks_nothing_conditional(regions):
    form = SubmissionForm({"kind": "report", "anonymous": "on"})
    assert form.required_now == set()


# --- Confirmation before an irreversible decision: accepting a settlement --------------------------


def _tracked_proposal(client, merchant, member):
    from complaints.models import Status
    from complaints.services import complaint_merchant_reply

    from .conftest import JIEFANG, file_complaint

    c = file_complaint(merchant_id=merchant.pk, region_code=JIEFANG)
    Complaint.objects.filter(pk=c.pk).update(status=Status.ODR)
    c.refresh_from_db()
    reply = complaint_merchant_reply(complaint=c, actor=member, body="同意协商", proposal="退还差价二十元")
    client.post(reverse("complaints:track"), {"tracking_code": c.tracking_code, "phone": "13912345678"})
    return c, reply


def test_accepting_a_settlement_without_confirmation_changes_nothing(client, merchant, member):
    from complaints.models import ProposalStatus, Status

    c, reply = _tracked_proposal(client, merchant, member)
    url = reverse("complaints:track_proposal", args=[reply.pk])
    page = client.post(url, {"decision": "accept"})
    assert page.status_code == 200
    html = page.content.decode()
    assert "确认接受和解方案" in html and 'name="confirm" value="1"' in html and "退还差价二十元" in html
    reply.refresh_from_db()
    c.refresh_from_db()
    assert reply.proposal_status == ProposalStatus.PENDING and c.status == Status.ODR

    client.post(url, {"decision": "accept", "confirm": "1"})
    reply.refresh_from_db()
    c.refresh_from_db()
    assert reply.proposal_status == ProposalStatus.ACCEPTED and c.status == Status.SETTLED
    from integrity_portal.core.audit import audit_entries_for

    assert audit_entries_for(c).filter(action="complaint.proposal_accepted").count() == 1


def test_rejecting_also_needs_confirmation(client, merchant, member):
    from complaints.models import ProposalStatus

    _c, reply = _tracked_proposal(client, merchant, member)
    url = reverse("complaints:track_proposal", args=[reply.pk])
    assert "确认拒绝和解方案" in client.post(url, {"decision": "reject"}).content.decode()
    reply.refresh_from_db()
    assert reply.proposal_status == ProposalStatus.PENDING
    client.post(url, {"decision": "reject", "confirm": "1"})
    reply.refresh_from_db()
    assert reply.proposal_status == ProposalStatus.REJECTED
