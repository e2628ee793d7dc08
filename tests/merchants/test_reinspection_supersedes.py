"""A re-inspection supersedes the findings it re-checked (FHRS), and every suggestion the portal gives
is kept: following it gives exactly the stars it promised."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from integrity_portal.core.audit import audit_entries_for
from integrity_portal.core.errors import ValidationFailed
from merchants.models import Inspection, Merchant, PenaltyTier, ReinspectionStatus
from merchants.services import credit as credit_services
from merchants.services import recourse
from merchants.services.rating import ratings_recompute
from tests.factories import MembershipFactory, make_staff
from tests.merchants.credit_factories import MINOR, SERIOUS, inspect, penalise, today

pytestmark = pytest.mark.django_db


def _stars(m) -> int | None:
    ratings_recompute(merchant_ids=[m.pk])
    return Merchant.objects.get(pk=m.pk).stars


def _member_merchant(client):
    membership = MembershipFactory()
    client.force_login(membership.user)
    return membership.merchant


def _suggestion(m, link: str) -> dict:
    found = [
        s
        for s in recourse.raise_rating_suggestions(merchant=Merchant.objects.get(pk=m.pk))
        if s["link"] == link
    ]
    assert len(found) == 1, f"the portal does not suggest {link!r}"
    return found[0]


def _reinspect(m, *, items=None, days_ago=0, **findings):
    req = recourse.reinspection_request(merchant=m, improvements="价签已全部补齐，电子秤已检定。", actor=None)
    recourse.reinspection_schedule(request=req, visit_on=today(), actor=make_staff())
    visit = inspect(m, days_ago=days_ago, **findings)
    recourse.reinspection_complete(request=req, inspection=visit, actor=make_staff(), items=items)
    req.refresh_from_db()
    assert req.status == ReinspectionStatus.DONE and req.inspection_id == visit.pk
    return visit


def _pdf() -> SimpleUploadedFile:
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    buffer = io.BytesIO()
    writer.write(buffer)
    return SimpleUploadedFile("receipt.pdf", buffer.getvalue(), content_type="application/pdf")


# --- one scenario per kind of suggestion: the state that makes the portal offer it, and following it ---


def _scenario_reinspection(m):
    # Two serious findings on one visit: trading 20 caps the rating at 1 star.
    inspect(m, price_marking=SERIOUS, metrology=SERIOUS, days_ago=20)
    return 1, lambda: _reinspect(m)


def _scenario_commitment(m):
    # Trading 10, service 7, no commitment 5: total 22 → 3 stars; a commitment takes 5 off → 17 → 4 stars.
    inspect(m, price_marking=SERIOUS, premises=SERIOUS, days_ago=10)
    inspect(m, premises=MINOR, days_ago=30)
    return 3, lambda: credit_services.commitment_sign(merchant=m, kind="service", actor=None)


def _scenario_repair(m):
    # A moderate penalty in publicity (credit 10 + no commitment 5 = 15, the worst element caps at 2 stars),
    # past its 3-month minimum: credit repair ends its publicity.
    inspect(m, days_ago=40)
    penalty = penalise(m, tier=PenaltyTier.MODERATE, days_ago=150)

    def follow():
        req = credit_services.repair_request_submit(
            merchant=m,
            penalty=penalty,
            application="罚款已缴清，整改到位。",
            pledge_text="今后守法诚信经营。",
            pledge_signed=True,
            evidence_files=[_pdf()],
            actor=None,
        )
        credit_services.repair_request_decide(
            request=req, approve=True, reason="材料齐全，准予修复", actor=make_staff()
        )

    return 2, follow


SCENARIOS = {
    "reinspection": _scenario_reinspection,
    "commitment": _scenario_commitment,
    "repair": _scenario_repair,
}


def test_every_kind_of_suggestion_has_a_scenario_that_follows_it():
    assert set(SCENARIOS) == set(recourse.SUGGESTION_KINDS)


@pytest.mark.parametrize("kind", sorted(SCENARIOS))
def test_following_a_suggestion_gives_the_stars_it_promised(regions, client, kind):
    m = _member_merchant(client)
    stars_before, follow = SCENARIOS[kind](m)
    assert _stars(m) == stars_before
    suggestion = _suggestion(m, kind)
    assert suggestion["stars"] > stars_before
    # The portal shows exactly this promise.
    body = client.get(f"/portal/merchants/{m.pk}/").content.decode()
    assert suggestion["label"].split("（")[0] in body and f"可提升至 {suggestion['stars']} 星" in body
    follow()
    assert _stars(m) == suggestion["stars"]


def test_reinspection_scenario_two_serious_findings_fixed_goes_from_one_star_to_five(regions):
    m = Merchant.objects.get(pk=MembershipFactory().merchant_id)
    original = inspect(m, price_marking=SERIOUS, metrology=SERIOUS, days_ago=20)
    assert _stars(m) == 1
    visit = _reinspect(m)
    assert _stars(m) == 5
    original.refresh_from_db()
    # The earlier visit stays on record, marked superseded, with its findings unchanged.
    assert original.price_marking == SERIOUS and original.metrology == SERIOUS
    assert original.superseded_by_id == visit.pk and original.superseded_at is not None
    assert set(original.superseded_item_names) == {
        "price_marking",
        "metrology",
        "advertising",
        "food_safety",
        "premises",
    }
    assert Inspection.objects.get(pk=visit.pk).rechecks_id == original.pk
    entry = audit_entries_for(original).get(action="inspection.supersede")
    assert entry.data["by"] == visit.pk and set(entry.data["findings_superseded"]) == {
        "price_marking",
        "metrology",
    }
    # Nothing left to re-check: no more re-inspection requests, no more suggestion.
    with pytest.raises(ValidationFailed, match="无需申请复查"):
        recourse.reinspection_request(merchant=m, improvements="再次申请复查一次。", actor=None)


def test_reinspection_can_lower_the_stars(regions):
    m = MembershipFactory().merchant
    inspect(m, price_marking=MINOR, days_ago=20)
    credit_services.commitment_sign(merchant=m, kind="price", actor=None)
    assert _stars(m) == 5  # trading 5
    _reinspect(m, metrology=SERIOUS)  # the price tag is fixed, but the scale is now rigged
    assert _stars(m) == 4  # trading 10: the worst element caps at 4


def test_items_not_rechecked_keep_the_original_finding(regions):
    m = MembershipFactory().merchant
    original = inspect(m, price_marking=SERIOUS, metrology=SERIOUS, days_ago=20)
    credit_services.commitment_sign(merchant=m, kind="food_safety", actor=None)
    assert _stars(m) == 1  # trading 20: a worst element of 20 caps at 1 star
    _reinspect(m, items=["price_marking"])
    original.refresh_from_db()
    assert original.superseded_item_names == ["price_marking"]
    rating = Merchant.objects.get(pk=m.pk)
    ratings_recompute(merchant_ids=[m.pk])
    rating.refresh_from_db()
    assert rating.current_rating.trading == 10  # the metrology finding still counts
    assert rating.stars == 4
    # The rest can be re-checked by another re-inspection of the same visit.
    _reinspect(m, items=["metrology"])
    original.refresh_from_db()
    assert original.superseded_item_names == ["price_marking", "metrology"]
    assert _stars(m) == 5


def test_a_problem_found_on_an_item_not_ticked_is_still_rechecked(regions):
    m = MembershipFactory().merchant
    original = inspect(m, price_marking=SERIOUS, advertising=MINOR, days_ago=20)
    _reinspect(m, items=["price_marking"], advertising=SERIOUS)
    original.refresh_from_db()
    assert original.superseded_item_names == ["price_marking", "advertising"]
    ratings_recompute(merchant_ids=[m.pk])
    assert Merchant.objects.get(pk=m.pk).current_rating.trading == 10  # only the visit's serious finding


def test_reinspection_refuses_an_earlier_visit_a_reused_visit_and_bad_items(regions):
    m = MembershipFactory().merchant
    first = inspect(m, price_marking=SERIOUS, days_ago=20)
    req = recourse.reinspection_request(merchant=m, improvements="价签已全部补齐。", actor=None)
    recourse.reinspection_schedule(request=req, visit_on=today(), actor=None)
    with pytest.raises(ValidationFailed, match="申请复查之后"):
        recourse.reinspection_complete(request=req, inspection=first, actor=None)
    visit = inspect(m, days_ago=0)
    with pytest.raises(ValidationFailed, match="检查项目"):
        recourse.reinspection_complete(request=req, inspection=visit, actor=None, items=["nonsense"])
    with pytest.raises(ValidationFailed, match="检查项目"):
        recourse.reinspection_complete(request=req, inspection=visit, actor=None, items=[])
    first.refresh_from_db()
    assert first.superseded_items == "" and first.superseded_by_id is None
    recourse.reinspection_complete(request=req, inspection=visit, actor=None)
    # A second completion (double submit) is refused by the workflow and changes nothing.
    with pytest.raises(Exception):  # noqa: B017 - TransitionNotAllowed or ValidationFailed
        recourse.reinspection_complete(request=req, inspection=visit, actor=None)
    inspect(m, price_marking=MINOR, days_ago=0)
    req2 = recourse.reinspection_request(merchant=m, improvements="再次整改价签。", actor=None)
    recourse.reinspection_schedule(request=req2, visit_on=today(), actor=None)
    with pytest.raises(ValidationFailed, match="不能重复使用"):
        recourse.reinspection_complete(request=req2, inspection=visit, actor=None)


def test_an_older_superseded_finding_stops_counting_too(regions):
    """An old finding (13 months ago, "older" weight) superseded by a re-inspection stops counting too."""
    m = MembershipFactory().merchant
    inspect(m, metrology=SERIOUS, days_ago=400)
    credit_services.commitment_sign(merchant=m, kind="price", actor=None)
    assert _stars(m) == 5  # serious older = 5
    ratings_recompute(merchant_ids=[m.pk])
    assert Merchant.objects.get(pk=m.pk).current_rating.trading == 5
    _reinspect(m)
    ratings_recompute(merchant_ids=[m.pk])
    assert Merchant.objects.get(pk=m.pk).current_rating.trading == 0


def test_staff_and_merchant_see_the_superseded_visit_marked(regions, client):
    m = _member_merchant(client)
    original = inspect(m, price_marking=SERIOUS, days_ago=20)
    visit = _reinspect(m)
    ratings_recompute(merchant_ids=[m.pk])
    body = client.get(f"/portal/merchants/{m.pk}/").content.decode()
    assert "已被复查取代" in body
    staff = make_staff()
    client.force_login(staff)
    page = client.get(f"/admin/merchants/inspection/{original.pk}/change/").content.decode()
    assert "已被复查取代" in page and visit.inspected_on.isoformat() in page
    assert client.get(f"/merchants/{m.pk}/").status_code == 200


def test_the_visit_must_be_the_same_merchants(regions):
    m, other = MembershipFactory().merchant, MembershipFactory().merchant
    inspect(m, price_marking=SERIOUS, days_ago=20)
    req = recourse.reinspection_request(merchant=m, improvements="价签已全部补齐。", actor=None)
    recourse.reinspection_schedule(request=req, visit_on=today() + timedelta(days=0), actor=None)
    with pytest.raises(ValidationFailed, match="同一市场主体"):
        recourse.reinspection_complete(request=req, inspection=inspect(other, days_ago=0), actor=None)
