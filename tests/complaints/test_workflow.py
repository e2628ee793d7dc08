"""Every allowed and every refused move of both workflows, plus who may make them."""

from __future__ import annotations

import itertools

import pytest

from complaints.models import Complaint, ComplaintKind, Status
from complaints.services import complaint_apply_action, complaint_assign
from integrity_portal.core.audit import audit_entries_for
from integrity_portal.core.errors import DomainError, NotFound, NotPermitted, TransitionNotAllowed

from .conftest import JIEFANG, ZHONGZHAN, file_complaint

pytestmark = pytest.mark.django_db

# The statutory moves, written out here (never read from complaints.workflow): (from, to).
COMPLAINT_MOVES = {
    ("odr", "settled"),
    ("odr", "received"),
    ("received", "accepted"),
    ("received", "rejected"),
    ("accepted", "assigned"),
    ("assigned", "assigned"),
    ("assigned", "mediating"),
    ("assigned", "terminated"),
    ("assigned", "transferred"),
    ("mediating", "mediated"),
    ("mediating", "terminated"),
    ("mediating", "transferred"),
    ("transferred", "confirmed"),
}
REPORT_MOVES = {
    ("received", "verifying"),
    ("verifying", "case_opened"),
    ("verifying", "not_opened"),
}

ACTION_TARGET = {
    "accept": Status.ACCEPTED,
    "reject": Status.REJECTED,
    "assign": Status.ASSIGNED,
    "mediate": Status.MEDIATING,
    "close_mediated": Status.MEDIATED,
    "terminate": Status.TERMINATED,
    "transfer": Status.TRANSFERRED,
    "confirm_violation": Status.CONFIRMED,
    "verify": Status.VERIFYING,
    "open_case": Status.CASE_OPENED,
    "no_case": Status.NOT_OPENED,
}
PARAMS = {
    "reject": {"reject_reason": "outside_remit"},
    "assign": {"region": JIEFANG},
    "close_mediated": {"agreement": "退还差价二十元"},
    "terminate": {"termination_reason": "refusal"},
    "confirm_violation": {"note": "焦市监处罚〔2026〕88号"},
}
CASES = [
    (kind, status, action)
    for kind, statuses in (
        (
            ComplaintKind.COMPLAINT,
            [s for s in Status if s not in (Status.VERIFYING, Status.CASE_OPENED, Status.NOT_OPENED)],
        ),
        (ComplaintKind.REPORT, [Status.RECEIVED, Status.VERIFYING, Status.CASE_OPENED, Status.NOT_OPENED]),
    )
    for status, action in itertools.product(statuses, ACTION_TARGET)
]


def _in_state(kind: str, status: str) -> Complaint:
    c = file_complaint(kind=kind)
    Complaint.objects.filter(pk=c.pk).update(status=status)
    c.refresh_from_db()
    return c


@pytest.mark.parametrize(("kind", "status", "action"), CASES, ids=lambda v: str(v))
def test_transition_matrix(city_staff, kind, status, action):
    c = _in_state(kind, status)
    before = audit_entries_for(c).count()
    target = ACTION_TARGET[action]
    moves = REPORT_MOVES if kind == ComplaintKind.REPORT else COMPLAINT_MOVES
    allowed = (status, target) in moves
    if allowed:
        complaint_apply_action(complaint=c, actor=city_staff, action=action, **PARAMS.get(action, {}))
        c.refresh_from_db()
        assert c.status == target
        entry = audit_entries_for(c).filter(to_status=target).first()
        assert entry is not None and entry.from_status == status and entry.actor == city_staff
    else:
        with pytest.raises(TransitionNotAllowed) as exc:
            complaint_apply_action(complaint=c, actor=city_staff, action=action, **PARAMS.get(action, {}))
        assert exc.value.message
        c.refresh_from_db()
        assert c.status == status
        assert audit_entries_for(c).count() == before


def test_inspector_may_not_handle(inspector):
    c = file_complaint()
    with pytest.raises(NotPermitted):
        complaint_apply_action(complaint=c, actor=inspector, action="accept")
    c.refresh_from_db()
    assert c.status == Status.RECEIVED


def test_other_district_gets_not_found(other_district_staff):
    c = file_complaint()
    with pytest.raises(NotFound):
        complaint_apply_action(complaint=c, actor=other_district_staff, action="accept")
    c.refresh_from_db()
    assert c.status == Status.RECEIVED and audit_entries_for(c).count() == 1


def test_merchant_user_may_not_handle(member):
    c = file_complaint()
    with pytest.raises(NotPermitted):
        complaint_apply_action(complaint=c, actor=member, action="accept")


def test_district_staff_assign_within_own_district(district_staff):
    c = file_complaint()
    complaint_apply_action(complaint=c, actor=district_staff, action="accept")
    complaint_assign(complaint=c, actor=district_staff, region_code=JIEFANG)
    c.refresh_from_db()
    assert c.status == Status.ASSIGNED and c.region_id == JIEFANG


def test_district_staff_may_not_assign_across_districts(district_staff):
    c = file_complaint()
    complaint_apply_action(complaint=c, actor=district_staff, action="accept")
    with pytest.raises(NotPermitted) as exc:
        complaint_assign(complaint=c, actor=district_staff, region_code=ZHONGZHAN)
    assert "市局" in exc.value.message
    c.refresh_from_db()
    assert c.status == Status.ACCEPTED and c.region_id == JIEFANG


def test_city_staff_assign_across_districts_and_audit_records_regions(city_staff):
    c = file_complaint()
    complaint_apply_action(complaint=c, actor=city_staff, action="accept")
    complaint_assign(complaint=c, actor=city_staff, region_code=ZHONGZHAN)
    c.refresh_from_db()
    assert c.region_id == ZHONGZHAN
    entry = audit_entries_for(c).get(to_status=Status.ASSIGNED)
    assert entry.data == {"from_region": JIEFANG, "to_region": ZHONGZHAN}


def test_reject_requires_a_legal_ground(city_staff):
    c = file_complaint()
    with pytest.raises(DomainError):
        complaint_apply_action(complaint=c, actor=city_staff, action="reject")
    c.refresh_from_db()
    assert c.status == Status.RECEIVED


def test_close_mediated_requires_agreement(city_staff):
    c = _in_state(ComplaintKind.COMPLAINT, Status.MEDIATING)
    with pytest.raises(DomainError):
        complaint_apply_action(complaint=c, actor=city_staff, action="close_mediated", agreement="")
    c.refresh_from_db()
    assert c.status == Status.MEDIATING


def test_transfer_opens_a_linked_report(city_staff):
    c = _in_state(ComplaintKind.COMPLAINT, Status.MEDIATING)
    complaint_apply_action(complaint=c, actor=city_staff, action="transfer", note="涉嫌价格欺诈")
    c.refresh_from_db()
    report = Complaint.objects.get(pk=c.related_id)
    assert report.kind == ComplaintKind.REPORT and report.status == Status.RECEIVED
    assert report.related_id == c.pk and report.due_on is not None
    assert audit_entries_for(report).get().action == "report.submit"


def test_no_agreement_termination_only_after_45_working_days(city_staff, on_day):
    from datetime import date

    on_day(date(2026, 3, 2))
    c = file_complaint()
    complaint_apply_action(complaint=c, actor=city_staff, action="accept")
    complaint_apply_action(complaint=c, actor=city_staff, action="assign", region=JIEFANG)
    c.refresh_from_db()
    with pytest.raises(TransitionNotAllowed):
        complaint_apply_action(
            complaint=c, actor=city_staff, action="terminate", termination_reason="no_agreement"
        )
    on_day(date(2026, 6, 1))
    complaint_apply_action(
        complaint=c, actor=city_staff, action="terminate", termination_reason="no_agreement"
    )
    c.refresh_from_db()
    assert c.status == Status.TERMINATED and c.termination_reason == "no_agreement" and not c.closed_late


def test_report_extension_once_with_reason(city_staff, on_day):
    from datetime import date

    on_day(date(2026, 11, 2))
    r = file_complaint(kind="report")
    assert r.due_on == date(2026, 11, 23)
    with pytest.raises(DomainError):
        complaint_apply_action(complaint=r, actor=city_staff, action="extend", note="")
    complaint_apply_action(complaint=r, actor=city_staff, action="extend", note="需要抽样检验")
    r.refresh_from_db()
    assert r.extended and r.due_on == date(2026, 12, 14)
    with pytest.raises(TransitionNotAllowed):
        complaint_apply_action(complaint=r, actor=city_staff, action="extend", note="再次延期")
    assert audit_entries_for(r).filter(action="report.extend").count() == 1


def test_real_name_reporter_is_told_anonymous_is_not(
    city_staff, mailoutbox, django_capture_on_commit_callbacks
):
    named = file_complaint(kind="report", email="reporter@example.cn")
    anon = file_complaint(kind="report", anonymous=True, consent=False)
    for r in (named, anon):
        complaint_apply_action(complaint=r, actor=city_staff, action="verify")
        with django_capture_on_commit_callbacks(execute=True):
            complaint_apply_action(complaint=r, actor=city_staff, action="open_case")
        r.refresh_from_db()
    assert named.feedback_due_on is not None and named.feedback_sent_at is not None
    assert audit_entries_for(named).filter(action="report.feedback").exists()
    assert anon.feedback_due_on is None and anon.feedback_sent_at is None
    assert [m.to for m in mailoutbox] == [["reporter@example.cn"]]


def test_staff_link_free_text_target_to_register(district_staff, merchant, regions):
    from tests.factories import MerchantFactory

    c = file_complaint()
    complaint_apply_action(complaint=c, actor=district_staff, action="link_merchant", merchant_id=merchant.pk)
    c.refresh_from_db()
    assert c.merchant_id == merchant.pk and c.region_id == merchant.region_id
    assert audit_entries_for(c).filter(action="complaint.link_merchant").exists()
    elsewhere = MerchantFactory(region=regions[ZHONGZHAN])
    other = file_complaint()
    with pytest.raises(NotPermitted):
        complaint_apply_action(
            complaint=other, actor=district_staff, action="link_merchant", merchant_id=elsewhere.pk
        )
    other.refresh_from_db()
    assert other.merchant_id is None


def test_termination_tells_the_complainant(city_staff, sms_file, django_capture_on_commit_callbacks):
    c = _in_state(ComplaintKind.COMPLAINT, Status.MEDIATING)
    with django_capture_on_commit_callbacks(execute=True):
        complaint_apply_action(
            complaint=c, actor=city_staff, action="terminate", termination_reason="no_show"
        )
    sent = [(line["to"], line["text"]) for line in sms_file.lines()]
    assert [phone for phone, _text in sent] == [c.complainant_phone] and "终止调解" in sent[0][1]
