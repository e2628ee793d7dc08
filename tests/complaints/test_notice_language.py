"""Notices go out in each recipient's language, whatever language the process served before (issue #12 item 8).

The texts used to be translated once at import, so the first request decided the language of
every later notice of that worker.
"""

from __future__ import annotations

import pytest
from django.core import mail
from django.utils import translation

from complaints.models import Channel, Status
from complaints.notify import enqueue_notice

from .conftest import file_complaint

pytestmark = pytest.mark.django_db


def send_notice(*, complaint_id, event):
    """Enqueue the notice in the outbox and deliver it, as the task does after commit."""
    from complaints.models import Complaint
    from notifications.services import notice_deliver

    notices = enqueue_notice(complaint=Complaint.objects.get(pk=complaint_id), event=event)
    return [notice_deliver(notice_id=n.pk) for n in notices]

ENGLISH_ACCEPTED = "has been accepted"
CHINESE_ACCEPTED = "已受理"


def test_english_then_chinese_notice_in_one_process_each_in_its_recipients_language(regions):
    with translation.override("en"):
        english = file_complaint(email="en@example.com")
    with translation.override("zh-hans"):
        chinese = file_complaint(email="zh@example.com")
    assert (english.language, chinese.language) == ("en", "zh-hans")
    mail.outbox.clear()

    with translation.override("zh-hans"):  # the worker's own language must not leak into the notice
        assert send_notice(complaint_id=english.pk, event=Status.ACCEPTED)
    with translation.override("en"):
        assert send_notice(complaint_id=chinese.pk, event=Status.ACCEPTED)

    first, second = mail.outbox
    assert (
        first.to == ["en@example.com"]
        and ENGLISH_ACCEPTED in first.body
        and english.tracking_code in first.body
    )
    assert CHINESE_ACCEPTED not in first.body and first.subject != "投诉举报办理通知"
    assert second.to == ["zh@example.com"] and CHINESE_ACCEPTED in second.body
    assert second.subject == "投诉举报办理通知"
    assert translation.get_language() in ("zh-hans", "en-us", "en")  # the override did not stick


def test_staff_intake_and_unknown_language_fall_back_to_the_default(regions, settings):
    with translation.override("en"):  # the clerk's English UI is not the caller's language
        by_phone = file_complaint(channel=Channel.HOTLINE_12315, email="caller@example.com")
        odd = file_complaint(language='xx-evil"<', email="odd@example.com")
    assert by_phone.language == "" and odd.language == ""
    mail.outbox.clear()
    with translation.override("en"):
        send_notice(complaint_id=by_phone.pk, event=Status.ACCEPTED)
    assert settings.LANGUAGE_CODE == "zh-hans" and CHINESE_ACCEPTED in mail.outbox[0].body
