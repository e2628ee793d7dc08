"""Per-phone daily SMS limit (issue #16 item 5): at most ``SMS_DAILY_LIMIT_PER_PHONE`` SMS to one number
per local day; the next one is held, queued until 08:00 the next day (never dropped: it may be a legal
notice), with a log line and a ``notice.limited`` audit entry; two workers cannot both pass the limit."""

from __future__ import annotations

import logging
import threading
from datetime import datetime, time, timedelta
from time import sleep

import pytest
from django.db import connection
from django.utils import timezone

from integrity_portal.core.audit import audit_entries_for
from notifications import services
from notifications.models import Notice
from notifications.services import notice_deliver, notice_enqueue

PHONE, OTHER_PHONE = "13912345678", "13800001111"


def _enqueue(about, n: int, *, address=PHONE, channel="sms") -> Notice:
    return notice_enqueue(
        key=f"complaint:{n}:accepted", channel=channel, address=address, subject="", body=f"第 {n} 条通知",
        language="zh-hans", about=about, region_code="410802",
    )  # fmt: skip


def _tomorrow_at_eight() -> datetime:
    return timezone.make_aware(datetime.combine(timezone.localdate() + timedelta(days=1), time(8, 0)))


@pytest.mark.django_db
def test_the_sms_over_the_daily_limit_is_held_until_tomorrow_logged_and_audited(
    about, sms_file, settings, caplog
):
    settings.SMS_DAILY_LIMIT_PER_PHONE = 2
    notices = [_enqueue(about, n) for n in (1, 2, 3)]
    with caplog.at_level(logging.WARNING, logger="notifications"):
        outcomes = [notice_deliver(notice_id=n.pk) for n in notices]

    assert outcomes == ["sent", "sent", "queued"]
    assert [line["text"] for line in sms_file.lines()] == ["第 1 条通知", "第 2 条通知"]
    held = Notice.objects.get(pk=notices[2].pk)
    assert (held.status, held.attempts, held.next_attempt_at) == ("queued", 0, _tomorrow_at_eight())
    assert "每日上限 2 条" in held.last_error
    [entry] = audit_entries_for(about).filter(action="notice.limited")
    assert entry.data["notice"] == held.pk and entry.data["sent_today"] == 2 and entry.data["limit"] == 2
    assert entry.actor is None and "每日上限 2 条" in entry.note
    [record] = [r for r in caplog.records if "daily limit" in r.getMessage()]
    assert "139****5678" in record.getMessage() and PHONE not in record.getMessage()

    # Not due again today: a sweep or a second task leaves it alone, and writes no second entry.
    assert notice_deliver(notice_id=held.pk) == ""
    assert audit_entries_for(about).filter(action="notice.limited").count() == 1


@pytest.mark.django_db
def test_the_limit_counts_per_phone_and_per_local_day_and_not_email(about, sms_file, settings):
    settings.SMS_DAILY_LIMIT_PER_PHONE = 1
    first = _enqueue(about, 1)
    assert notice_deliver(notice_id=first.pk) == "sent"
    assert notice_deliver(notice_id=_enqueue(about, 2, address=OTHER_PHONE).pk) == "sent"  # another number
    assert (
        notice_deliver(notice_id=_enqueue(about, 3, channel="email", address="wang@example.com").pk) == "sent"
    )
    second = _enqueue(about, 4)
    assert notice_deliver(notice_id=second.pk) == "queued"

    # The next day: yesterday's SMS no longer counts, the held one goes out when it is due.
    yesterday = timezone.now() - timedelta(days=1)
    Notice.objects.filter(pk=first.pk).update(sent_at=yesterday, claimed_at=yesterday)
    Notice.objects.filter(pk=second.pk).update(next_attempt_at=timezone.now())
    assert notice_deliver(notice_id=second.pk) == "sent"
    second.refresh_from_db()
    assert second.last_error == "" and second.attempts == 1


@pytest.mark.django_db
def test_a_message_being_sent_counts_towards_the_limit(about, sms_file, settings):
    settings.SMS_DAILY_LIMIT_PER_PHONE = 1
    in_flight = _enqueue(about, 1)
    Notice.objects.filter(pk=in_flight.pk).update(status="sending", claimed_at=timezone.now())
    assert notice_deliver(notice_id=_enqueue(about, 2).pk) == "queued"


@pytest.mark.django_db
def test_zero_means_no_limit(about, sms_file, settings):
    settings.SMS_DAILY_LIMIT_PER_PHONE = 0
    assert [notice_deliver(notice_id=_enqueue(about, n).pk) for n in range(12)] == ["sent"] * 12


@pytest.mark.django_db
def test_the_default_limit_is_ten_a_day(about, sms_file):
    assert [notice_deliver(notice_id=_enqueue(about, n).pk) for n in range(11)] == ["sent"] * 10 + ["queued"]


@pytest.mark.postgres
def test_two_workers_cannot_both_take_the_last_sms_of_the_day(
    require_postgres, transactional_db, about, sms_file, settings, monkeypatch, broker_down
):
    """Both workers count before either claims (the count is slowed down): without the lock on the
    phone's notices both would see 0 of 1 and both would send."""
    settings.SMS_DAILY_LIMIT_PER_PHONE = 1
    notices = [_enqueue(about, n) for n in (1, 2)]  # the broker is down: both stay queued for the workers
    counted = services._sms_count_today

    def slow_count(phone, now):
        result = counted(phone, now)
        sleep(0.5)  # the window between counting and claiming, wide open
        return result

    monkeypatch.setattr(services, "_sms_count_today", slow_count)
    barrier = threading.Barrier(2)
    outcomes: list = [None, None]

    def worker(i: int) -> None:
        try:
            barrier.wait(timeout=5)
            outcomes[i] = notice_deliver(notice_id=notices[i].pk)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in (0, 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=20)

    assert sorted(outcomes) == ["queued", "sent"]
    assert len(sms_file.lines()) == 1
    assert Notice.objects.filter(status="sent").count() == 1
    assert audit_entries_for(about).filter(action="notice.limited").count() == 1
