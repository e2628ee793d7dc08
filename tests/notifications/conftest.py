"""Helpers for the outbox tests: a record to be about, and a broker that refuses every publish."""

from __future__ import annotations

import pytest
from kombu.exceptions import OperationalError

from integrity_portal.core.cache import CircuitBreaker


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
