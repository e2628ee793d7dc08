"""Objection resolution goes through the objection map and checks the campaign inside its transaction.

The race: staff open an objection while the campaign is in publicity; before they press "resolve"
the campaign moves on (published or archived by someone else). The caller's copy still says
publicity; the service must read the campaign row under its lock and refuse, changing nothing.
"""

from __future__ import annotations

import pytest

from campaigns.models import ApplicationStatus, Campaign, CampaignStatus, Objection, ObjectionStatus
from campaigns.services import objection_file, objection_resolve
from integrity_portal.core.audit import audit_entries_for
from integrity_portal.core.errors import DomainError, TransitionNotAllowed

from .conftest import publicity_campaign

pytestmark = pytest.mark.django_db

VALID = {"name": "李四", "phone": "13812345678", "content": "该商户长期缺斤短两，多次被消费者投诉。"}


@pytest.fixture
def objection(regions):
    campaign = publicity_campaign(candidates=1)
    return objection_file(application=campaign.applications.get(rank=1), **VALID)


@pytest.mark.parametrize("moved_to", [CampaignStatus.PUBLISHED, CampaignStatus.ARCHIVED])
@pytest.mark.parametrize("upheld", [True, False])
def test_resolve_refused_when_the_campaign_moved_on_after_the_objection_was_loaded(
    objection, city_staff, moved_to, upheld
):
    app = objection.application
    assert app.campaign.status == CampaignStatus.PUBLICITY  # the caller's copy
    Campaign.objects.filter(pk=app.campaign_id).update(status=moved_to)  # someone else moved it on

    with pytest.raises(DomainError, match="不在公示阶段") as exc:
        objection_resolve(objection=objection, upheld=upheld, reason="经核查属实", actor=city_staff)

    assert isinstance(exc.value, TransitionNotAllowed)
    assert exc.value.details == {"campaign_status": moved_to}
    fresh = Objection.objects.get(pk=objection.pk)
    assert fresh.status == ObjectionStatus.OPEN and fresh.resolved_at is None and fresh.resolution_reason == ""
    app.refresh_from_db()
    assert app.status == ApplicationStatus.CANDIDATE
    assert list(audit_entries_for(fresh).values_list("action", flat=True)) == ["objection.file"]


@pytest.mark.parametrize(("upheld", "target"), [(True, "upheld"), (False, "dismissed")])
def test_each_resolution_is_a_move_of_the_map_audited_once(objection, city_staff, upheld, target):
    objection_resolve(objection=objection, upheld=upheld, reason="经核查", actor=city_staff)
    assert objection.status == target
    entry = audit_entries_for(objection).get(to_status=target)
    assert (entry.from_status, entry.actor, entry.note) == ("open", city_staff, "经核查")


def test_a_stale_copy_of_a_resolved_objection_is_refused(objection, city_staff):
    stale = Objection.objects.get(pk=objection.pk)
    objection_resolve(objection=objection, upheld=False, reason="不属实", actor=city_staff)
    with pytest.raises(TransitionNotAllowed, match="已处理过"):
        objection_resolve(objection=stale, upheld=True, reason="改判", actor=city_staff)
    assert Objection.objects.get(pk=objection.pk).status == ObjectionStatus.DISMISSED
    assert audit_entries_for(objection).exclude(action="objection.file").count() == 1


@pytest.mark.postgres
def test_resolve_and_publish_at_once_never_resolve_on_a_published_campaign(
    require_postgres, transactional_db, regions, city_staff
):
    """Real threads on PostgreSQL: resolution and publication take the same campaign row, so either
    the objection is resolved first and publication follows, or publication (seeing the objection
    still open) is refused and the resolution goes ahead — never a resolution after publication."""
    import threading
    from datetime import timedelta

    from django.db import connection

    from campaigns.services import campaign_publish

    campaign = publicity_campaign(candidates=1)
    objection = objection_file(application=campaign.applications.get(rank=1), **VALID)
    after = campaign.publicity_end + timedelta(days=1)
    barrier = threading.Barrier(2)
    outcomes: dict = {}

    def run(name, fn):
        try:
            barrier.wait(timeout=5)
            fn()
            outcomes[name] = "ok"
        except DomainError as exc:
            outcomes[name] = exc
        finally:
            connection.close()

    calls = {
        "resolve": lambda: objection_resolve(
            objection=Objection.objects.get(pk=objection.pk), upheld=False, reason="不属实", actor=city_staff
        ),
        "publish": lambda: campaign_publish(
            campaign=Campaign.objects.get(pk=campaign.pk), actor=city_staff, today=after
        ),
    }
    threads = [threading.Thread(target=run, args=item) for item in calls.items()]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=20)

    assert outcomes["resolve"] == "ok"
    resolved = audit_entries_for(objection).get(to_status="dismissed")
    published = audit_entries_for(campaign).filter(to_status="published").first()
    if outcomes["publish"] == "ok":
        assert published is not None and resolved.pk < published.pk
    else:
        assert isinstance(outcomes["publish"], TransitionNotAllowed) and published is None
        assert Campaign.objects.get(pk=campaign.pk).status == CampaignStatus.PUBLICITY
