"""Complainant notices go through the outbox (issue #16 items 1 and 3, issue #13): each complaint event
writes exactly the expected Notice rows in its own transaction, in the complainant's language, and none
for an anonymous reporter. The expected keys and channels are written out here, never read from code."""

from __future__ import annotations

import pytest
from django.utils import translation

from complaints.models import Complaint, ComplaintKind, Status
from complaints.services import (
    complaint_apply_action,
    complaint_assign,
    complaint_merchant_reply,
    complaint_send_tracking_code,
)
from integrity_portal.core.audit import audit_entries_for
from notifications.models import Notice
from tests.complaints.conftest import JIEFANG, city_staff, file_complaint, member, merchant  # noqa: F401

pytestmark = pytest.mark.django_db

PHONE = "13912345678"
EMAIL = "wang@example.com"

#: (kind, status before, action, its parameters, the occasion notified — None: no notice)
EVENTS = [
    ("complaint", "received", "accept", {}, "accepted"),
    ("complaint", "received", "reject", {"reject_reason": "outside_remit"}, "rejected"),
    ("complaint", "accepted", "assign", {"region": JIEFANG}, None),
    ("complaint", "assigned", "mediate", {}, None),
    ("complaint", "mediating", "close_mediated", {"agreement": "退还差价二十元"}, "mediated"),
    ("complaint", "mediating", "terminate", {"termination_reason": "refusal"}, "terminated"),
    ("complaint", "mediating", "transfer", {}, "transferred"),
    ("complaint", "transferred", "confirm_violation", {"note": "焦市监处罚〔2026〕88号"}, None),
    ("report", "received", "verify", {}, None),
    ("report", "verifying", "open_case", {}, "case_opened"),
    ("report", "verifying", "no_case", {}, "not_opened"),
]


def _in_state(status, **kwargs):
    c = file_complaint(**kwargs)
    Complaint.objects.filter(pk=c.pk).update(status=status)
    c.refresh_from_db()
    return c


def _notices(c):
    """The complainant's notices of the events after filing: the filing's own "received" notice is
    tested apart, and notices to merchant members and staff (a registered kind) are tested in
    tests/complaints/test_merchant_notices.py."""
    rows = Notice.objects.filter(object_id=str(c.pk), kind="").exclude(key=f"complaint:{c.pk}:received")
    return sorted(rows.values_list("key", "channel", "address", "status"))


@pytest.mark.parametrize(("kind", "status", "action", "params", "occasion"), EVENTS, ids=lambda v: str(v))
def test_each_event_writes_exactly_the_expected_notices(
    city_staff, broker_down, kind, status, action, params, occasion  # noqa: F811
):
    c = _in_state(status, kind=kind, email=EMAIL)
    complaint_apply_action(complaint=c, actor=city_staff, action=action, **params)
    expected = [] if occasion is None else [
        (f"complaint:{c.pk}:{occasion}", "email", EMAIL, "queued"),
        (f"complaint:{c.pk}:{occasion}", "sms", PHONE, "queued"),
    ]  # fmt: skip
    assert _notices(c) == expected  # the broker is down: written, left queued for the sweep


def test_without_an_email_only_the_sms_is_written(city_staff, broker_down):  # noqa: F811
    c = _in_state("received")
    complaint_apply_action(complaint=c, actor=city_staff, action="accept")
    assert _notices(c) == [(f"complaint:{c.pk}:accepted", "sms", PHONE, "queued")]


def test_an_anonymous_reporter_is_never_contacted(city_staff, broker_down):  # noqa: F811
    c = _in_state("verifying", kind=ComplaintKind.REPORT, anonymous=True, name="", phone="")
    complaint_apply_action(complaint=c, actor=city_staff, action="open_case")
    assert _notices(c) == []


def test_each_merchant_reply_and_each_code_request_is_its_own_notice(city_staff, merchant, member, broker_down):  # noqa: F811
    c = file_complaint(merchant_id=merchant.pk, region_code=JIEFANG)
    complaint_apply_action(complaint=c, actor=city_staff, action="accept")
    complaint_assign(complaint=c, actor=city_staff, region_code=JIEFANG)
    first = complaint_merchant_reply(complaint=c, actor=member, body="同意协商")
    second = complaint_merchant_reply(complaint=c, actor=member, body="再次说明")
    complaint_send_tracking_code(complaint=c)
    complaint_send_tracking_code(complaint=c)
    codes = [e.pk for e in audit_entries_for(c).filter(action="complaint.send_code").order_by("pk")]
    assert [key for key, *_ in _notices(c)] == sorted(
        [
            f"complaint:{c.pk}:accepted",
            f"complaint:{c.pk}:merchant_reply:{first.pk}",
            f"complaint:{c.pk}:merchant_reply:{second.pk}",
            f"complaint:{c.pk}:tracking_code:{codes[0]}",
            f"complaint:{c.pk}:tracking_code:{codes[1]}",
        ]
    )


def test_a_rolled_back_event_writes_no_notice(city_staff, monkeypatch):  # noqa: F811
    from complaints.services import handling

    c = _in_state("received")

    def fail(complaint):
        raise RuntimeError("escalations table locked")

    monkeypatch.setattr(handling, "_resolve_escalations", fail)
    with pytest.raises(RuntimeError):
        complaint_apply_action(complaint=c, actor=city_staff, action="accept")
    c.refresh_from_db()
    assert c.status == "received" and _notices(c) == []


def test_the_text_is_in_the_complainants_language_whatever_the_clerks(city_staff, broker_down):  # noqa: F811
    with translation.override("en"):
        english = _in_state("received", email="en@example.com")
    with translation.override("zh-hans"):
        chinese = _in_state("received", email="zh@example.com")
    with translation.override("en"):  # the clerk works in English
        complaint_apply_action(complaint=chinese, actor=city_staff, action="accept")
    with translation.override("zh-hans"):
        complaint_apply_action(complaint=english, actor=city_staff, action="accept")

    en = Notice.objects.get(object_id=str(english.pk), channel="email", key__endswith=":accepted")
    zh = Notice.objects.get(object_id=str(chinese.pk), channel="email", key__endswith=":accepted")
    assert en.language == "en" and "has been accepted" in en.body and english.tracking_code in en.body
    assert "已受理" not in en.body and en.subject != "投诉举报办理通知"
    assert zh.language == "zh-hans" and "已受理" in zh.body and zh.subject == "投诉举报办理通知"


def test_a_decision_notice_sent_records_the_reporters_feedback_only_then(
    city_staff, broker_down, sms_file, django_capture_on_commit_callbacks  # noqa: F811
):
    from notifications.services import notices_dispatch_due

    c = _in_state("verifying", kind=ComplaintKind.REPORT)
    complaint_apply_action(complaint=c, actor=city_staff, action="open_case")
    c.refresh_from_db()
    assert c.status == Status.CASE_OPENED and c.feedback_sent_at is None  # queued is not "told"
    broker_down.up()
    notices_dispatch_due()
    c.refresh_from_db()
    assert c.feedback_sent_at is not None
    texts = [line["text"] for line in sms_file.lines() if line["to"] == PHONE]
    assert len(texts) == 2 and "已登记" in texts[0] and "已立案" in texts[1]  # the filing's, then the decision
    assert audit_entries_for(c).filter(action="report.feedback").count() == 1


def test_the_legacy_task_message_enqueues_into_the_outbox_once(regions, sms_file, django_capture_on_commit_callbacks):
    """A notify_complainant message published before the upgrade still reaches the complainant, once."""
    from complaints.tasks import notify_complainant

    c = file_complaint()
    with django_capture_on_commit_callbacks(execute=True):
        assert notify_complainant.apply(args=(c.pk, Status.ACCEPTED)).result is True
    with django_capture_on_commit_callbacks(execute=True):
        notify_complainant.apply(args=(c.pk, Status.ACCEPTED))
    assert _notices(c) == [(f"complaint:{c.pk}:accepted", "sms", PHONE, "sent")]
    assert len(sms_file.lines()) == 1
