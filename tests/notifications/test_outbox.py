"""The outbox (issue #16 item 1, issue #13): a notice is a row written in its event's transaction, sent
once by a thin task, retried with back-off, swept when the broker was down, never sent twice."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from integrity_portal.core.audit import audit_entries_for
from notifications.models import Notice, NoticeStatus
from notifications.services import notice_deliver, notice_enqueue, notices_dispatch_due
from notifications.sms import SMSError

pytestmark = pytest.mark.django_db

PHONE = "13912345678"


def _enqueue(about, *, key="test:1:accepted", channel="sms", address=PHONE, body="您的投诉已受理。"):
    return notice_enqueue(
        key=key, channel=channel, address=address, subject="", body=body, language="zh-hans",
        about=about, region_code="410802",
    )  # fmt: skip


def test_a_notice_enqueued_in_a_transaction_that_rolls_back_leaves_no_row(about, sms_file, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError), transaction.atomic():
        _enqueue(about)
        raise RuntimeError("the event failed")
    assert Notice.objects.count() == 0
    assert sms_file.lines() == []


def test_a_notice_is_sent_after_commit_and_marked_sent(about, sms_file, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        notice = _enqueue(about)
        assert sms_file.lines() == []  # nothing goes out before the event commits
    notice.refresh_from_db()
    assert (notice.status, notice.attempts, notice.last_error) == ("sent", 1, "")
    assert notice.sent_at is not None
    assert [(line["to"], line["text"]) for line in sms_file.lines()] == [(PHONE, "您的投诉已受理。")]
    assert not audit_entries_for(about).exists()  # a sent notice is not audited (NOTIFICATIONS.md)


def test_broker_down_at_commit_leaves_the_notice_queued_and_the_sweep_sends_it(
    about, sms_file, broker_down, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        notice = _enqueue(about)
    assert len(broker_down.publishes) == 1  # it was tried, it failed, the request did not
    notice.refresh_from_db()
    assert notice.status == "queued" and sms_file.lines() == []

    assert notices_dispatch_due() == {"rescued": 0, "due": 1, "dispatched": 0}  # still down: waits
    broker_down.up()
    assert notices_dispatch_due() == {"rescued": 0, "due": 1, "dispatched": 1}

    notice.refresh_from_db()
    assert notice.status == "sent"
    assert [line["to"] for line in sms_file.lines()] == [PHONE]
    assert notices_dispatch_due() == {"rescued": 0, "due": 0, "dispatched": 0}  # nothing twice


def test_the_same_event_enqueued_twice_is_one_notice(about, sms_file, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        first = _enqueue(about)
        second = _enqueue(about)
    assert first.pk == second.pk and Notice.objects.count() == 1
    assert len(sms_file.lines()) == 1


def test_of_two_workers_given_the_same_notice_only_the_first_claim_sends(about, sms_file, broker_down):
    notice = _enqueue(about)  # broker down: the row waits, queued
    sent_by_second = []

    from notifications import services

    real_send = services._send

    def first_worker_send(n):
        # While the first worker is sending, a second one gets the same notice (a duplicated message).
        sent_by_second.append(notice_deliver(notice_id=n.pk))
        real_send(n)

    services._send = first_worker_send
    try:
        assert notice_deliver(notice_id=notice.pk) == "sent"
    finally:
        services._send = real_send
    assert sent_by_second == [""]  # the conditional update found it "sending": nothing sent
    assert notice_deliver(notice_id=notice.pk) == ""  # and a late duplicate finds it sent
    assert len(sms_file.lines()) == 1


class FailingSMS:
    calls = 0

    def send(self, phone, text):
        FailingSMS.calls += 1
        raise SMSError(f"isv.BUSINESS_LIMIT_CONTROL for {phone}")


def test_a_provider_error_is_retried_with_back_off_then_failed_with_the_error(about, broker_down, settings):
    settings.SMS_BACKEND = f"{__name__}.FailingSMS"
    settings.NOTICE_MAX_ATTEMPTS = 3
    FailingSMS.calls = 0
    notice = _enqueue(about)
    waits = []
    for attempt in (1, 2):
        before = timezone.now()
        assert notice_deliver(notice_id=notice.pk) == "queued"
        notice.refresh_from_db()
        assert notice.attempts == attempt and notice.status == "queued"
        # The error is kept, with the number masked (it is personal data).
        assert notice.last_error == "SMSError: isv.BUSINESS_LIMIT_CONTROL for 139****5678"
        waits.append(notice.next_attempt_at - before)
        assert notice_deliver(notice_id=notice.pk) == ""  # not due yet: a duplicate message waits too
        Notice.objects.filter(pk=notice.pk).update(next_attempt_at=timezone.now())  # time passes
    assert timedelta(seconds=59) < waits[0] <= timedelta(seconds=61)
    assert timedelta(seconds=119) < waits[1] <= timedelta(seconds=121)  # doubled

    assert notice_deliver(notice_id=notice.pk) == "failed"
    notice.refresh_from_db()
    assert (notice.status, notice.attempts, notice.next_attempt_at) == ("failed", 3, None)
    assert notice.last_error == "SMSError: isv.BUSINESS_LIMIT_CONTROL for 139****5678"
    assert FailingSMS.calls == 3
    entry = audit_entries_for(about).get()
    assert (entry.action, entry.from_status, entry.to_status) == ("notice.failed", "sending", "failed")
    assert entry.note == notice.last_error and entry.data["notice"] == notice.pk
    assert notices_dispatch_due()["due"] == 0  # a failed notice is not swept again


def test_a_missing_address_is_stored_undeliverable_and_never_sent(about, sms_file, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        notice = _enqueue(about, address="  ")
    notice.refresh_from_db()
    assert (notice.status, notice.address, notice.attempts) == ("undeliverable", "", 0)
    assert sms_file.lines() == []
    assert notice_deliver(notice_id=notice.pk) == "" and notices_dispatch_due()["due"] == 0
    entry = audit_entries_for(about).get()
    assert (entry.action, entry.to_status) == ("notice.undeliverable", "undeliverable")


def test_a_claim_left_by_a_dead_worker_is_queued_again_by_the_sweep(about, sms_file, broker_down):
    notice = _enqueue(about)
    Notice.objects.filter(pk=notice.pk).update(
        status=NoticeStatus.SENDING, attempts=1, claimed_at=timezone.now() - timedelta(minutes=11)
    )
    fresh = _enqueue(about, key="test:2:accepted")
    Notice.objects.filter(pk=fresh.pk).update(status=NoticeStatus.SENDING, claimed_at=timezone.now())
    broker_down.up()

    assert notices_dispatch_due() == {"rescued": 1, "due": 1, "dispatched": 1}
    notice.refresh_from_db()
    fresh.refresh_from_db()
    assert (notice.status, notice.attempts) == ("sent", 2)
    assert fresh.status == "sending"  # being sent right now: left alone


def test_the_file_backend_appends_one_json_line_per_sms(sms_file, settings):
    from notifications.sms import get_sms_backend

    backend = get_sms_backend()
    backend.send(PHONE, "第一条")
    backend.send("13800001111", "第二条")
    assert [(line["to"], line["text"]) for line in sms_file.lines()] == [(PHONE, "第一条"), ("13800001111", "第二条")]
    assert all(line["at"] for line in sms_file.lines())


def test_the_console_backend_logs_the_masked_number_and_never_the_text(caplog, settings):
    from notifications.sms import get_sms_backend

    settings.SMS_BACKEND = "notifications.sms.ConsoleSMSBackend"
    with caplog.at_level("INFO", logger="notifications.sms"):
        get_sms_backend().send(PHONE, "查询码 ABCD2345EFGH6789")
    assert "139****5678" in caplog.text
    assert PHONE not in caplog.text and "ABCD2345EFGH6789" not in caplog.text


def test_the_sweep_runs_every_minute_on_the_notices_queue(settings):
    assert settings.BEAT_DEFAULT_SCHEDULE["sweep-notices"] == {
        "task": "notifications.tasks.sweep_notices",
        "schedule": timedelta(minutes=1),
    }
    from integrity_portal.celery import app

    assert app.amqp.router.route({}, "notifications.tasks.deliver_notice")["queue"].name == "notices"
