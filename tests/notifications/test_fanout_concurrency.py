"""Two workers fanning out the same event at once (PostgreSQL, real threads): each recipient and channel
still gets one row, and neither event fails — also for the rows without an address (undeliverable)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, transaction

from notifications.models import Notice
from notifications.services import notify_merchant
from tests.factories import MembershipFactory, MerchantFactory

pytestmark = pytest.mark.postgres


def _twice_at_once(fn) -> list:
    barrier = threading.Barrier(2)
    outcomes: list = [None, None]

    def run(i):
        try:
            barrier.wait(timeout=5)
            with transaction.atomic():
                fn()
            outcomes[i] = "ok"
        except Exception as exc:  # noqa: BLE001 - the outcome is what the test checks
            outcomes[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=20)
    return outcomes


@pytest.mark.parametrize("members", [1, 0])
def test_the_same_event_fanned_out_twice_at_once_is_written_once(
    require_postgres, transactional_db, regions, test_kinds, members
):
    merchant = MerchantFactory()
    for _ in range(members):
        MembershipFactory(merchant=merchant)

    def notify():
        notify_merchant(
            merchant=merchant, kind="test.legal", event_key="race:1", params={"name": "x"}, about=merchant
        )

    assert _twice_at_once(notify) == ["ok", "ok"]
    rows = sorted(Notice.objects.values_list("channel", "status"))
    # A member: inbox (sent) and SMS (no number: undeliverable); no member: the one undeliverable row.
    assert rows == (
        [("inbox", "sent"), ("sms", "undeliverable")] if members else [("inbox", "undeliverable")]
    )
