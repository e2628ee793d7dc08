"""A penalty's "publish within 20 working days" date is provisional when it reaches a year without
its official holiday schedule (issue #12 item 3); within a scheduled year it is exact."""

from __future__ import annotations

from datetime import date

import pytest

from merchants.models import PenaltyKind, PenaltyTier
from merchants.services.credit import penalty_publicity_window

pytestmark = pytest.mark.django_db


def _window(decided_on: date) -> dict:
    return penalty_publicity_window(
        decided_on=decided_on, tier=PenaltyTier.MODERATE, kind=PenaltyKind.FINE, rules={}, months=6
    )


def test_publish_by_inside_a_scheduled_year_is_exact():
    # Tue 1 Sep 2026 + 20 working days: 2–4 (3), 7–11 (8), 14–18 (13), Sun 20 worked (14), 21–24 (18),
    # Fri 25 Sep is the Mid-Autumn holiday, Mon 28 (19), Tue 29 (20).
    window = _window(date(2026, 9, 1))
    assert (window["publish_by"], window["publish_by_provisional"]) == (date(2026, 9, 29), False)


def test_publish_by_reaching_an_unscheduled_year_is_provisional():
    # Fri 20 Dec 2030 + 20 Monday–Friday days (no schedule for either year): 23–27 (5), 30–31 (7),
    # 1–3 Jan (10), 6–10 (15), 13–17 (20).
    window = _window(date(2030, 12, 20))
    assert (window["publish_by"], window["publish_by_provisional"]) == (date(2031, 1, 17), True)


def test_a_warning_has_no_publication_deadline():
    window = penalty_publicity_window(
        decided_on=date(2030, 12, 20), tier=PenaltyTier.MINOR, kind=PenaltyKind.WARNING, rules={}
    )
    assert window["publish_by"] is None and window["publish_by_provisional"] is False
