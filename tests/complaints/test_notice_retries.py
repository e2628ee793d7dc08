"""Notices retry with back-off when the mail relay or SMS gateway is unreachable, and a retry repeats
only the channel that failed (issue #13, Operations: Celery)."""

from __future__ import annotations

import logging
import smtplib

import pytest
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend

from complaints.models import Status
from complaints.tasks import notify_complainant

from .conftest import file_complaint

pytestmark = pytest.mark.django_db

FAILURES = {"left": 0}


class FlakyRelay(EmailBackend):
    """The relay refuses ``FAILURES["left"]`` times, then delivers to ``mail.outbox``."""

    def send_messages(self, messages):
        if FAILURES["left"]:
            FAILURES["left"] -= 1
            raise smtplib.SMTPServerDisconnected("relay went away")
        return super().send_messages(messages)


@pytest.fixture
def flaky_relay(settings):
    from integrity_portal.celery import app

    settings.EMAIL_BACKEND = f"{__name__}.FlakyRelay"
    # Eager retries run at once inside ``apply`` only when exceptions are not propagated (a worker
    # waits 30 s, 60 s … with jitter instead).
    old, app.conf.task_eager_propagates = app.conf.task_eager_propagates, False
    yield FAILURES
    app.conf.task_eager_propagates = old
    FAILURES["left"] = 0


def _sms_lines(caplog, complaint):
    masked = complaint.complainant_phone[-4:]
    return [r for r in caplog.records if r.name == "complaints.sms" and masked in r.getMessage()]


def test_notice_task_retries_with_backoff_on_connection_and_smtp_errors():
    options = notify_complainant
    assert issubclass(smtplib.SMTPServerDisconnected, options.autoretry_for)
    assert issubclass(ConnectionRefusedError, options.autoretry_for)
    assert issubclass(TimeoutError, options.autoretry_for)
    assert not issubclass(ValueError, options.autoretry_for)  # a bug is not retried for hours
    assert options.retry_backoff and options.retry_jitter
    assert 0 < options.retry_backoff_max <= 3600 and 3 <= options.max_retries <= 10
    assert options.soft_time_limit < options.time_limit


def test_a_relay_failure_is_retried_and_the_sms_is_not_sent_twice(regions, flaky_relay, caplog):
    complaint = file_complaint(email="c@example.com")
    assert complaint.complainant_phone
    mail.outbox.clear()
    caplog.clear()
    flaky_relay["left"] = 2
    caplog.set_level(logging.INFO)

    result = notify_complainant.apply(args=(complaint.pk, Status.ACCEPTED))

    assert result.successful() and result.result is True
    assert [m.to for m in mail.outbox] == [["c@example.com"]]
    assert complaint.tracking_code in mail.outbox[0].body
    assert len(_sms_lines(caplog, complaint)) == 1
    assert flaky_relay["left"] == 0
    retries = [r for r in caplog.records if r.name == "complaints.tasks" and "retrying email" in r.getMessage()]
    assert len(retries) == 2


def test_a_relay_that_never_comes_back_fails_after_max_retries_without_resending_sms(
    regions, flaky_relay, caplog
):
    complaint = file_complaint(email="c@example.com")
    mail.outbox.clear()
    caplog.clear()
    caplog.set_level(logging.INFO)
    flaky_relay["left"] = 1000

    result = notify_complainant.apply(args=(complaint.pk, Status.ACCEPTED))

    assert result.failed() and isinstance(result.result, smtplib.SMTPServerDisconnected)
    assert flaky_relay["left"] == 1000 - (notify_complainant.max_retries + 1)
    assert mail.outbox == [] and len(_sms_lines(caplog, complaint)) == 1


def test_an_unexpected_error_is_not_retried(regions, monkeypatch, flaky_relay):
    complaint = file_complaint(email="c@example.com")
    calls = []

    def broken(**kwargs):
        calls.append(kwargs)
        raise ValueError("bug")

    monkeypatch.setattr("complaints.notify.send_notice", broken)
    result = notify_complainant.apply(args=(complaint.pk, Status.ACCEPTED))
    assert result.failed() and isinstance(result.result, ValueError) and len(calls) == 1


def test_the_same_notice_delivered_twice_is_sent_once(regions, caplog):
    """A message the broker delivers again (a worker lost after sending, a duplicated publish) sends
    nothing more: each channel of each occasion is recorded before it goes out."""
    from complaints.models import ComplaintNotice

    complaint = file_complaint(email="c@example.com")
    mail.outbox.clear()
    caplog.clear()
    caplog.set_level(logging.INFO)

    assert notify_complainant.apply(args=(complaint.pk, Status.ACCEPTED)).successful()
    assert notify_complainant.apply(args=(complaint.pk, Status.ACCEPTED)).successful()

    assert [m.to for m in mail.outbox] == [["c@example.com"]]
    assert len(_sms_lines(caplog, complaint)) == 1
    assert sorted(ComplaintNotice.objects.filter(complaint=complaint).values_list("key", "channel")) == [
        ("accepted", "email"),
        ("accepted", "sms"),
    ]


def test_recurring_occasions_each_send_once(regions, caplog):
    """Two merchant replies are two notices; the same reply's notice delivered twice is one."""
    complaint = file_complaint(email="c@example.com")
    mail.outbox.clear()

    for key in ("merchant_reply:1", "merchant_reply:1", "merchant_reply:2"):
        notify_complainant.apply(args=(complaint.pk, "merchant_reply"), kwargs={"key": key})

    assert len(mail.outbox) == 2


def test_a_failed_send_is_not_recorded_so_the_retry_sends_it(regions, flaky_relay):
    from complaints.models import ComplaintNotice

    complaint = file_complaint(email="c@example.com")
    mail.outbox.clear()
    flaky_relay["left"] = 1

    assert notify_complainant.apply(args=(complaint.pk, Status.ACCEPTED)).successful()

    assert [m.to for m in mail.outbox] == [["c@example.com"]]
    assert ComplaintNotice.objects.filter(complaint=complaint, key="accepted").count() == 2
