"""The complainant's reads come from selectors: the tracked item is re-read under the same conditions as the
proof (an item whose personal data has since been erased is no longer shown), and the rating form is offered
by the service's own rule (``complaint_can_rate``), the one ``complaint_rate`` enforces."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from complaints.models import Complaint
from complaints.selectors import complaint_tracked_in_session, complaints_submitted_in_session
from complaints.services import complaint_can_rate, complaint_rate, complaint_reject
from integrity_portal.core.errors import TransitionNotAllowed

from .conftest import file_complaint

pytestmark = pytest.mark.django_db


def _track(client, complaint):
    return client.post(
        reverse("complaints:track"), {"tracking_code": complaint.tracking_code, "phone": "13912345678"}
    )


def test_a_tracked_item_is_no_longer_shown_once_its_personal_data_is_erased(client, regions):
    c = file_complaint()
    assert _track(client, c).status_code == 302
    assert client.get(reverse("complaints:track_result")).status_code == 200
    Complaint.objects.filter(pk=c.pk).update(anonymised_at=timezone.now())
    assert client.get(reverse("complaints:track_result")).status_code == 302
    assert complaint_tracked_in_session(c.pk) is None
    assert complaint_tracked_in_session(None) is None


def test_the_session_selectors_find_only_the_items_named(regions):
    mine, other = file_complaint(), file_complaint(phone="13800000000")
    assert complaints_submitted_in_session([mine.pk]) == [mine]
    assert complaints_submitted_in_session(None) == []
    assert complaint_tracked_in_session(other.pk) == other


def test_rating_is_offered_when_closed_and_unrated_as_the_service_enforces(client, city_staff):
    c = file_complaint()
    assert not complaint_can_rate(c)
    with pytest.raises(TransitionNotAllowed, match="办结后才能评价"):
        complaint_rate(complaint=c, score=5)
    complaint_reject(complaint=c, actor=city_staff, reason="outside_remit")
    c.refresh_from_db()
    assert complaint_can_rate(c)
    _track(client, c)
    assert client.get(reverse("complaints:track_result")).context["can_rate"] is True
    complaint_rate(complaint=c, score=4)
    c.refresh_from_db()
    assert not complaint_can_rate(c)
    assert client.get(reverse("complaints:track_result")).context["can_rate"] is False
    with pytest.raises(TransitionNotAllowed, match="不能重复评价"):
        complaint_rate(complaint=c, score=5)
