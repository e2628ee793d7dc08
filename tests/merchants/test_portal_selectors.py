"""Reads for the portal, the lists and the staff API come from viewer-scoped selectors; the rules the views
used to repeat (which facts may be repaired, which list filters exist, who may inspect) are checked once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from integrity_portal.core.errors import ValidationFailed
from integrity_portal.core.roles import StaffRole
from merchants.models import CommitmentKind, Membership, MembershipRole, Penalty, PenaltyTier
from merchants.selectors.portal import (
    member_appeals,
    member_commitments,
    member_current_rating,
    member_repair_candidates,
    member_repair_requests,
)
from merchants.services.credit import commitment_sign, repair_request_submit
from merchants.services.rating import ratings_recompute
from tests.factories import MembershipFactory, MerchantFactory, UserFactory, make_inspector, make_staff
from tests.merchants.credit_factories import blacklist, penalise, today
from tests.upload_samples import pdf_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_members(regions):
    """Two merchants, each with its own member."""
    mine, theirs = MembershipFactory(), MembershipFactory()
    return mine.user, mine.merchant, theirs.user, theirs.merchant


def test_member_selectors_show_nothing_of_a_merchant_the_viewer_is_not_member_of(two_members):
    me, merchant, outsider, _their_merchant = two_members
    commitment_sign(merchant=merchant, kind=CommitmentKind.COMPREHENSIVE, actor=me)
    blacklist(merchant)
    ratings_recompute()
    merchant.refresh_from_db()

    assert list(member_commitments(viewer=me, merchant=merchant).values_list("merchant_id", flat=True)) == [
        merchant.pk
    ]
    assert member_current_rating(viewer=me, merchant=merchant).pk == merchant.current_rating_id
    assert [key.split(":")[0] for key, _fact, _earliest in member_repair_candidates(
        viewer=me, merchant=merchant, as_of=today()
    )] == ["entry"]

    # Handed the merchant without being its member (a page that forgot the check): nothing.
    assert not member_commitments(viewer=outsider, merchant=merchant).exists()
    assert member_current_rating(viewer=outsider, merchant=merchant) is None
    assert member_repair_candidates(viewer=outsider, merchant=merchant, as_of=today()) == []
    assert not member_repair_requests(viewer=outsider, merchant=merchant).exists()
    assert not member_appeals(viewer=None, merchant=merchant).exists()


def test_a_revoked_membership_ends_the_reads(two_members):
    me, merchant, _outsider, _their = two_members
    commitment_sign(merchant=merchant, kind=CommitmentKind.COMPREHENSIVE, actor=me)
    Membership.objects.filter(user=me, merchant=merchant).delete()
    assert not member_commitments(viewer=me, merchant=merchant).exists()


def test_repair_of_a_penalty_whose_publicity_already_ran_out_is_refused_and_not_offered(regions):
    """The portal never offered it; the service used to accept it once the minimum period had passed."""
    membership = MembershipFactory()
    merchant = membership.merchant
    p = penalise(merchant, tier=PenaltyTier.MODERATE)
    Penalty.objects.filter(pk=p.pk).update(
        publicity_from=today() - timedelta(days=200), publicity_until=today() - timedelta(days=1)
    )
    p.refresh_from_db()
    assert member_repair_candidates(viewer=membership.user, merchant=merchant, as_of=today()) == []
    with pytest.raises(ValidationFailed, match="不在公示期内"):
        repair_request_submit(
            merchant=merchant,
            penalty=p,
            application="已全部整改并缴清罚款。",
            pledge_text="守法诚信经营。",
            pledge_signed=True,
            evidence_files=[SimpleUploadedFile("receipt.pdf", pdf_bytes())],
            actor=membership.user,
        )
    assert not p.repairs.exists()


def test_list_api_refuses_unknown_filters_with_the_messages_the_pages_drop(client, regions):
    region = client.get("/api/v1/lists/black/?region_code=999999")
    assert region.status_code == 400
    assert region.json() == {
        "type": "validation_error",
        "errors": [{"code": "invalid", "detail": "未知的区划代码。", "attr": "region_code"}],
    }
    kind = client.get("/api/v1/lists/red/?kind=nonsense")
    [error] = kind.json()["errors"]
    assert kind.status_code == 400 and error["attr"] == "kind" and error["detail"].startswith("类别无效，可选：")
    # The page shows the whole list instead.
    assert client.get("/lists/black/?region=999999&kind=nonsense").status_code == 200


def test_inspections_api_leaves_the_roster_check_to_the_service(client, regions):
    merchant = MerchantFactory(region=regions["410802"])
    owner = UserFactory()
    Membership.objects.create(user=owner, merchant=merchant, role=MembershipRole.OWNER)
    first = make_inspector("410802", full_name="王磊", certificate_number="JF-0101")
    client.force_login(make_staff("410802", StaffRole.DISTRICT_BRANCH))
    body = {
        "merchant_id": merchant.pk,
        "inspected_on": today().isoformat(),
        "inspector_1": first.pk,
        "inspector_2": owner.pk,
        "outcome": "satisfactory",
    }
    response = client.post("/api/v1/staff/inspections/", body, content_type="application/json")
    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert "名册" in error["detail"] and error["attr"] == "inspector_2"
    # Another district's clerk does not find the merchant at all.
    client.force_login(make_staff("410803", StaffRole.DISTRICT_BRANCH))
    assert client.post("/api/v1/staff/inspections/", body, content_type="application/json").status_code == 404
