"""Helpers for the outbox tests: a record to be about, and a broker that refuses every publish."""

from __future__ import annotations

import pytest
from kombu.exceptions import OperationalError

from integrity_portal.core.cache import CircuitBreaker
from notifications import kinds
from notifications.kinds import NoticeKind, register_notice_kind


@pytest.fixture
def about(regions):
    """Any saved record will do as what a notice is about: a region (the outbox knows no app)."""
    return regions["410802"]


@pytest.fixture
def broker_down(monkeypatch):
    """Every publish of ``deliver_notice`` fails like a refused Redis (kombu's OperationalError);
    ``broker_down.up()`` brings it back (and closes the breaker the failure tripped)."""
    from notifications.tasks import deliver_notice

    original = deliver_notice.apply_async
    attempts = []

    def refused(*args, **kwargs):
        attempts.append(args)
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(deliver_notice, "apply_async", refused)

    class Broker:
        publishes = attempts

        @staticmethod
        def up():
            monkeypatch.setattr(deliver_notice, "apply_async", original)
            CircuitBreaker.reset_all()

    return Broker


@pytest.fixture
def test_kinds(monkeypatch):
    """Two kinds for the tests alone (the registry is restored afterwards)."""
    monkeypatch.setattr(kinds, "_kinds", dict(kinds._kinds))
    optional = NoticeKind(
        code="test.optional",
        label="测试通知",
        audience="merchant",
        legal=False,
        default_channels=("inbox", "email"),
        subject="测试通知 {name}",
        body="{name}：金额 {amount} 元，期限 {due}。",
        sms="短信 {name}",
    )
    legal = NoticeKind(
        code="test.legal",
        label="法定测试通知",
        audience="merchant",
        legal=True,
        default_channels=("inbox", "sms"),
        subject="法定 {name}",
        body="法定通知 {name}",
        sms="法定短信 {name}",
    )
    register_notice_kind(optional)
    register_notice_kind(legal)
    return {"optional": optional, "legal": legal}
