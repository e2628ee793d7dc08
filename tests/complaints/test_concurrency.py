"""Two staff acting on the same complaint at once: exactly one succeeds (PostgreSQL, real threads)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from complaints.models import Status
from complaints.services import complaint_accept, complaint_reject
from integrity_portal.core.audit import audit_entries_for
from integrity_portal.core.errors import ConcurrentUpdate, TransitionNotAllowed

from .conftest import file_complaint

pytestmark = pytest.mark.postgres


def _race(*calls):
    barrier = threading.Barrier(len(calls))
    outcomes: list = [None] * len(calls)

    def run(i, fn):
        try:
            barrier.wait(timeout=5)
            fn()
            outcomes[i] = "ok"
        except (TransitionNotAllowed, ConcurrentUpdate) as exc:
            outcomes[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, fn)) for i, fn in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=20)
    return outcomes


def test_concurrent_accept_and_reject_only_one_wins(
    require_postgres, transactional_db, city_staff, district_staff
):
    c = file_complaint()
    for _ in range(3):
        outcomes = _race(
            lambda: complaint_accept(complaint=c, actor=city_staff),
            lambda: complaint_reject(complaint=c, actor=district_staff, reason="outside_remit"),
        )
        c.refresh_from_db()
        if outcomes.count("ok") == 1:
            break
    assert outcomes.count("ok") == 1
    loser = next(o for o in outcomes if o != "ok")
    assert isinstance(loser, TransitionNotAllowed | ConcurrentUpdate) and loser.message
    assert c.status in (Status.ACCEPTED, Status.REJECTED)
    moves = audit_entries_for(c).filter(from_status=Status.RECEIVED)
    assert moves.count() == 1 and moves.get().to_status == c.status


def test_same_action_twice_at_once_is_recorded_once(
    require_postgres, transactional_db, city_staff, district_staff
):
    c = file_complaint()
    outcomes = _race(
        lambda: complaint_accept(complaint=c, actor=city_staff),
        lambda: complaint_accept(complaint=c, actor=district_staff),
    )
    assert outcomes.count("ok") == 1
    c.refresh_from_db()
    assert c.status == Status.ACCEPTED
    assert audit_entries_for(c).filter(to_status=Status.ACCEPTED).count() == 1
