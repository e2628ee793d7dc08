"""The broker is unreachable when a fact-changing event commits: the event stands, the rating catches up.

The durable record is ``Merchant.rating_stale`` (written in the event's transaction);
the task message is only a hint. These tests break the hint the way a stopped Redis
does and prove the sweep produces exactly what an undisturbed run produces.
"""

from __future__ import annotations

import logging

import pytest
from kombu.exceptions import OperationalError

from complaints.models import Complaint, Status
from complaints.services import (
    Submission,
    complaint_accept,
    complaint_assign,
    complaint_close_mediated,
    complaint_start_mediation,
    complaint_submit,
)
from integrity_portal.core import workdays
from integrity_portal.core.audit import audit_entries_for
from merchants.models import Inspection, Merchant, Penalty, PenaltyTier
from merchants.services.rating import ratings_recompute
from merchants.tasks import sweep_stale_ratings
from tests.factories import MerchantFactory
from tests.merchants.credit_factories import SERIOUS, inspect, penalise

from .conftest import JIEFANG, broker_unreachable

pytestmark = pytest.mark.django_db(transaction=True)

RATING_FIELDS = ("stars", "trading", "service", "credit", "total", "credit_class", "black_listed", "facts")


def _events(merchant, staff) -> dict:
    """One inspection, one penalty and one complaint mediated to a close, each through its own service."""
    inspection = inspect(merchant, advertising=SERIOUS)
    penalty = penalise(merchant, tier=PenaltyTier.MODERATE)
    (complaint,) = complaint_submit(
        submission=Submission(
            kind="complaint",
            category="price",
            description="结账时实际收费高于标价二十元，商家拒绝退还。",
            name="测试王芳",
            phone="13912345678",
            address="测试地址人民路1号",
            harm_known_on=workdays.today(),
            merchant_id=merchant.pk,
            consent=True,
        )
    )
    complaint_accept(complaint=complaint, actor=staff)
    complaint_assign(complaint=complaint, actor=staff, region_code=JIEFANG)
    complaint_start_mediation(complaint=complaint, actor=staff)
    complaint_close_mediated(complaint=complaint, actor=staff, agreement="商家退还差价二十元")
    return {"inspection": inspection, "penalty": penalty, "complaint": complaint}


def _rating(merchant_id: int) -> dict:
    m = Merchant.objects.select_related("current_rating").get(pk=merchant_id)
    r = m.current_rating
    return {
        "merchant.stars": m.stars,
        "merchant.credit_class": m.credit_class,
        **{f: getattr(r, f) if r else None for f in RATING_FIELDS},
    }


def test_events_committed_while_broker_is_down_are_rated_by_the_sweep_exactly_like_an_undisturbed_run(
    client, regions, city_staff, caplog
):
    undisturbed = MerchantFactory(name="未受干扰商户")
    _events(undisturbed, city_staff)  # broker "up": the eager task recomputes on commit
    expected = _rating(undisturbed.pk)
    assert not Merchant.objects.get(pk=undisturbed.pk).rating_stale
    assert expected["stars"] is not None and expected["stars"] < 5, "the scenario must move the stars"
    # The mediated price complaint counted under service; a settlement is never a finding of fault.
    assert expected["facts"].get("complaints_mediated") == 1
    assert not expected["facts"].get("trading_recent")

    disturbed = MerchantFactory(name="消息丢失商户")
    with caplog.at_level(logging.WARNING, logger="integrity_portal.tasks"), broker_unreachable():
        events = _events(disturbed, city_staff)
        page = client.get(f"/merchants/{disturbed.pk}/")

    lost = [r for r in caplog.records if "left to the sweep" in r.getMessage()]
    assert len(lost) == 3  # inspection, penalty, complaint closure: no recompute was queued …
    assert isinstance(lost[0].exc_info[1], OperationalError)  # … the first send failed the way kombu fails,
    assert all("broker marked down" in r.getMessage() for r in lost[1:])  # the breaker skipped the others
    # Every event row is saved and audited; the merchant is flagged and has no rating yet.
    assert Inspection.objects.filter(pk=events["inspection"].pk).exists()
    assert Penalty.objects.filter(pk=events["penalty"].pk).exists()
    assert Complaint.objects.get(pk=events["complaint"].pk).status == Status.MEDIATED
    assert audit_entries_for(events["penalty"]).filter(action="penalty.record").exists()
    assert audit_entries_for(events["complaint"]).filter(to_status=Status.MEDIATED).count() == 1
    flagged = Merchant.objects.get(pk=disturbed.pk)
    assert flagged.rating_stale and flagged.stars is None and flagged.current_rating_id is None
    assert page.status_code == 200 and "消息丢失商户" in page.content.decode()

    result = sweep_stale_ratings.delay().get(timeout=10)

    assert result["considered"] == 1  # only the flagged merchant; the undisturbed one is untouched
    assert not Merchant.objects.get(pk=disturbed.pk).rating_stale
    assert _rating(disturbed.pk) == expected
    assert ratings_recompute().changed == 0  # a full recompute agrees with what the sweep wrote
    assert client.get(f"/merchants/{disturbed.pk}/").status_code == 200


def test_broker_down_does_not_roll_back_the_event_or_leak_an_error_to_the_caller(regions, city_staff):
    """The send happens after commit and its failure is swallowed: the service returns normally."""
    m = MerchantFactory()
    with broker_unreachable():
        penalty = penalise(m, tier=PenaltyTier.SERIOUS)
    assert Penalty.objects.filter(pk=penalty.pk, merchant=m).exists()
    assert Merchant.objects.get(pk=m.pk).rating_stale
    assert audit_entries_for(penalty).filter(action="penalty.record").count() == 1
