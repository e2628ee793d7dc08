"""The bulk fan-out (``notify_merchants``): many merchants' events in a constant number of queries, with
exactly the rows the single path writes, once (issue #16; docs/NOTIFICATIONS.md, "Stars changed at scale")."""

from __future__ import annotations

import math
from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from integrity_portal.core.audit import audit_entries_for, audit_log, audit_log_many
from integrity_portal.core.models import AuditEntry
from notifications.audit_actions import AuditAction
from notifications.models import Notice, NoticePreference, NoticeProfile, NoticeStatus
from notifications.services import MerchantEvent, notify_merchant, notify_merchants
from tests.factories import MembershipFactory, MerchantFactory, UserFactory

pytestmark = pytest.mark.django_db

#: What a row says, without what differs between two writes of it (ids, times, the event key's prefix).
FIELDS = (
    "recipient_id",
    "channel",
    "address",
    "status",
    "subject",
    "body",
    "language",
    "kind",
    "link",
    "region_code",
    "sms_template",
    "sms_params",
    "object_id",
)


def _params(merchant):
    return {"name": merchant.name, "amount": Decimal("1234.5"), "due": date(2026, 3, 9)}


def _mix():
    """Merchants of every shape: two members in two languages (one with a phone), a member who chose
    e-mail only, a member who switched everything off, an inactive member only, no member at all."""
    two = MerchantFactory()
    zh = MembershipFactory(merchant=two).user
    en = MembershipFactory(merchant=two).user
    NoticeProfile.objects.create(user=en, language="en", phone="13800138000")
    NoticeProfile.objects.create(user=zh, phone="")
    picky = MerchantFactory()
    user = MembershipFactory(merchant=picky).user
    NoticePreference.objects.create(user=user, kind="test.optional", channels=["email"])
    silent = MerchantFactory()
    user = MembershipFactory(merchant=silent).user
    NoticePreference.objects.create(user=user, kind="test.optional", channels=[])
    inactive = MerchantFactory()
    MembershipFactory(merchant=inactive, user=UserFactory(is_active=False))
    shared = MembershipFactory(merchant=MerchantFactory()).user  # one account acting for two merchants
    MembershipFactory(merchant=picky, user=shared)
    return [two, picky, silent, inactive, MerchantFactory()]


def _rows(prefix: str) -> list[tuple]:
    rows = Notice.objects.filter(key__startswith=prefix).order_by("key", "recipient_id", "channel")
    return [(n.key.removeprefix(prefix), *(getattr(n, f) for f in FIELDS)) for n in rows]


def _undeliverable_audits(prefix: str) -> list[tuple]:
    entries = AuditEntry.objects.filter(action=AuditAction.NOTICE_UNDELIVERABLE, data__key__startswith=prefix)
    return sorted(
        (e.object_id, e.to_status, e.data["key"].removeprefix(prefix), e.data["channel"]) for e in entries
    )


@pytest.mark.parametrize("kind", ["test.optional", "test.legal"])
def test_the_bulk_path_writes_exactly_the_rows_of_the_single_path(regions, test_kinds, kind):
    merchants = _mix()
    for m in merchants:
        notify_merchant(merchant=m, kind=kind, event_key=f"one:{m.pk}", params=_params(m), about=m)
    notices = notify_merchants(kind=kind, events=[(m, f"all:{m.pk}", _params(m), m) for m in merchants])

    assert _rows("all:") == _rows("one:") and len(_rows("all:")) == len(notices)
    assert _undeliverable_audits("all:") == _undeliverable_audits("one:") != []
    # Each merchant's members only, each in their own language; the merchants without one are counted.
    two = merchants[0]
    english = Notice.objects.get(key=f"all:{two.pk}", language="en", channel="inbox")
    chinese = Notice.objects.get(key=f"all:{two.pk}", language="zh-hans", channel="inbox")
    assert (
        two.name in english.body and two.name in chinese.body and english.recipient_id != chinese.recipient_id
    )
    if kind == "test.optional":  # the template with a date: written in each member's language
        assert "9 March 2026" in english.body and "March" not in chinese.body
    for m in merchants[3:]:
        row = Notice.objects.get(key=f"all:{m.pk}")
        assert row.recipient_id is None and row.status == NoticeStatus.UNDELIVERABLE


def test_a_second_bulk_run_adds_nothing_publishes_nothing_and_audits_nothing(
    regions, test_kinds, django_capture_on_commit_callbacks
):
    merchants = _mix()
    events = [MerchantEvent(m, f"ev:{m.pk}", _params(m), m) for m in merchants]
    with django_capture_on_commit_callbacks() as first_callbacks:
        first = notify_merchants(kind="test.legal", events=events)
    audits = AuditEntry.objects.count()
    with django_capture_on_commit_callbacks() as second_callbacks:
        second = notify_merchants(kind="test.legal", events=events)

    assert [n.pk for n in first] == [n.pk for n in second]
    assert Notice.objects.count() == len({n.pk for n in first})
    assert AuditEntry.objects.count() == audits
    assert len(first_callbacks) == 1 and second_callbacks == []  # the queued SMS are published once


def test_the_same_event_twice_in_one_call_is_one_row(regions, test_kinds):
    merchant = MerchantFactory()
    MembershipFactory(merchant=merchant)
    event = (merchant, "twice:1", _params(merchant), merchant)
    first, *rest = notify_merchants(kind="test.optional", events=[event, event])
    assert Notice.objects.count() == 2 and {n.pk for n in [first, *rest]} == set(
        Notice.objects.values_list("pk", flat=True)
    )


def _merchants(n: int):
    merchants = []
    for i in range(n):
        merchant = MerchantFactory()
        for j in range(1 + i % 2):
            user = MembershipFactory(merchant=merchant).user
            if j:
                NoticeProfile.objects.create(user=user, language="en", phone=f"1380013{i:04d}")
                NoticePreference.objects.create(user=user, kind="test.optional", channels=["inbox", "sms"])
        merchants.append(merchant)
    return merchants


def _queries(merchants, kind: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        notify_merchants(kind=kind, events=[(m, f"count:{m.pk}", _params(m), m) for m in merchants])
    return len(queries)


def _inserts(rows: int) -> int:
    """INSERTs of ``rows`` notices: one per 1,000 on PostgreSQL; SQLite caps a statement at 999
    variables, so Django splits it further there (a backend limit, not a query per merchant)."""
    fields = [f for f in Notice._meta.concrete_fields if not f.primary_key]
    per_insert = min(1000, connection.ops.bulk_batch_size(fields, [None] * rows) or rows)
    return math.ceil(rows / per_insert)


@pytest.mark.parametrize("kind", ["test.optional", "test.legal"])
def test_the_query_count_does_not_grow_with_the_number_of_merchants(
    regions, test_kinds, kind, django_assert_max_num_queries
):
    few, many = _merchants(10), _merchants(50)
    few.append(MerchantFactory())  # a merchant with no member: an undeliverable row and its audit entry
    many.append(MerchantFactory())
    _queries([MerchantFactory()], kind)  # content types cached, as in a running worker
    # Members, profiles, preferences, the rows before and after, the audit entries: six, plus the INSERTs
    # (two rows per member: inbox and e-mail or SMS; one for the merchant without a member).
    for merchants in (few, many):
        rows = 2 * sum(1 + i % 2 for i in range(len(merchants) - 1)) + 1
        with django_assert_max_num_queries(6 + _inserts(rows)):
            _queries(merchants, kind)
        assert (
            Notice.objects.filter(
                key__startswith="count:", key__in=[f"count:{m.pk}" for m in merchants]
            ).count()
            == rows
        )
    if connection.vendor == "postgresql":
        assert _inserts(151) == 1  # 50 merchants: the same seven queries as 10
    assert Notice.objects.filter(key__startswith="count:", recipient=None).count() == 3


def test_audit_log_many_writes_the_entries_audit_log_would(regions, test_kinds):
    a, b = MerchantFactory(), MerchantFactory()
    audit_log(
        actor=None,
        action=AuditAction.NOTICE_UNDELIVERABLE,
        target=a,
        to_status="undeliverable",
        data={"x": 1},
    )
    audit_log_many(
        actor=None,
        action=AuditAction.NOTICE_UNDELIVERABLE,
        to_status="undeliverable",
        targets=[(a, {"x": 1}), (b, None)],
    )
    one, many = list(audit_entries_for(a).order_by("pk"))
    same = (
        "actor_id",
        "actor_label",
        "action",
        "content_type_id",
        "object_id",
        "from_status",
        "to_status",
        "note",
        "data",
    )
    assert [getattr(one, f) for f in same] == [getattr(many, f) for f in same]
    assert audit_entries_for(b).get().data == {}
    with pytest.raises(ValueError):
        audit_log_many(actor=None, action="no.such.action", targets=[(a, None)])


@pytest.mark.postgres
def test_two_workers_fanning_out_the_same_events_at_once_write_each_row_once(
    require_postgres, transactional_db, regions, test_kinds
):
    from tests.notifications.test_fanout_concurrency import _twice_at_once

    merchants = _merchants(20) + [MerchantFactory()]
    events = [(m, f"race:{m.pk}", _params(m), m) for m in merchants]

    assert _twice_at_once(lambda: notify_merchants(kind="test.legal", events=events)) == ["ok", "ok"]
    assert Notice.objects.count() == 2 * 30 + 1  # inbox + SMS per member, one row for the memberless one
    assert Notice.objects.filter(status=NoticeStatus.UNDELIVERABLE, recipient=None).count() == 1
