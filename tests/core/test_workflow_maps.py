"""Every status pipeline against its statutory table, and no status field without a map.

The tables below are the expected answers, written out by hand from the rules (DESIGN.md, the
complaint-handling measures, the campaign's notice, the credit-repair and FHRS recourse rules).
They are never read from the maps under test: a move added to or dropped from any map fails here.
"""

from __future__ import annotations

import pytest
from django.apps import apps

from integrity_portal.core.errors import TransitionNotAllowed
from integrity_portal.core.workflow import registered_workflows, workflow_for

#: map name → every allowed (from, to) move; anything else is refused.
STATUTORY = {
    # Complaint (投诉): direct settlement first when the merchant joined ODR, then 7 working days to
    # accept or refuse on a legal ground, assignment (re-assignment allowed), mediation ending in an
    # agreement, termination or transfer as a suspected violation, later confirmed by enforcement.
    "complaint": {
        ("odr", "settled"),
        ("odr", "received"),
        ("received", "accepted"),
        ("received", "rejected"),
        ("accepted", "assigned"),
        ("assigned", "assigned"),
        ("assigned", "mediating"),
        ("assigned", "terminated"),
        ("assigned", "transferred"),
        ("mediating", "mediated"),
        ("mediating", "terminated"),
        ("mediating", "transferred"),
        ("transferred", "confirmed"),
    },
    # Report (举报): verification, then 立案 or 不予立案.
    "report": {
        ("received", "verifying"),
        ("verifying", "case_opened"),
        ("verifying", "not_opened"),
    },
    # The merchant's settlement proposal (和解方案): the complainant accepts or rejects it (or it lapses).
    "settlement": {
        ("pending", "accepted"),
        ("pending", "rejected"),
    },
    # The yearly campaign: a strictly linear pipeline.
    "campaign": {
        ("draft", "open"),
        ("open", "reviewing"),
        ("reviewing", "publicity"),
        ("publicity", "published"),
        ("published", "archived"),
    },
    # An application: district review, city review, publicity candidate, commended; refusable at each step.
    "application": {
        ("submitted", "district_passed"),
        ("submitted", "rejected"),
        ("district_passed", "city_passed"),
        ("district_passed", "rejected"),
        ("city_passed", "candidate"),
        ("city_passed", "rejected"),
        ("candidate", "commended"),
        ("candidate", "rejected"),
    },
    # An objection against a candidate during publicity: resolved once.
    "objection": {
        ("open", "upheld"),
        ("open", "dismissed"),
    },
    # A public-service-ad report: verified or found not to match.
    "ad_report": {
        ("submitted", "verified"),
        ("submitted", "rejected"),
    },
    # Recourse against a rating: the appeal is decided once.
    "appeal": {
        ("open", "upheld"),
        ("open", "dismissed"),
    },
    # Right to reply: moderated, then published; withdrawn by the merchant or a newer reply.
    "reply": {
        ("pending", "published"),
        ("pending", "rejected"),
        ("pending", "withdrawn"),
        ("published", "withdrawn"),
    },
    # Re-inspection: scheduled within 3 months (or refused), then done.
    "reinspection": {
        ("requested", "scheduled"),
        ("requested", "refused"),
        ("scheduled", "done"),
    },
    # Credit repair (信用修复): one decision within 7 working days.
    "repair": {
        ("submitted", "approved"),
        ("submitted", "refused"),
    },
    # Proposal to list as seriously dishonest: listed with a decision number, or dismissed.
    "list_proposal": {
        ("open", "listed"),
        ("open", "dismissed"),
    },
    # A role-model story (诚信典型库): approved before publication; withdrawn or returned to a draft.
    "role_model": {
        ("draft", "approved"),
        ("approved", "published"),
        ("approved", "draft"),
        ("published", "withdrawn"),
        ("withdrawn", "draft"),
    },
    # A 双随机 spot-check plan: strictly linear (docs/SPOT_CHECKS.md).
    "spot_check_plan": {
        ("draft", "approved"),
        ("approved", "drawn"),
        ("drawn", "in_progress"),
        ("in_progress", "completed"),
        ("completed", "published"),
    },
    # A drawn visit: done, or the merchant closed (never replaced); an overdue one is escalated once first.
    "spot_check_task": {
        ("open", "done"),
        ("open", "merchant_closed"),
        ("open", "escalated"),
        ("escalated", "done"),
        ("escalated", "merchant_closed"),
    },
    # A monthly analysis report (月研判): submitted by the head; a district's is compiled into the city's,
    # the city's accepted by the work group; a submitted one may be returned to draft (docs/ANALYSIS.md).
    "monthly_report": {
        ("draft", "submitted"),
        ("submitted", "draft"),
        ("submitted", "compiled"),
        ("submitted", "accepted"),
    },
    # A quarterly meeting's action item: open until its owner reports it done.
    "action_item": {
        ("open", "done"),
    },
    # An outbox notice: claimed by one worker, then sent, retried (back to queued) or failed; a queued
    # one whose address was erased is undeliverable (one without an address is created so); staff
    # queue a failed one again (re-send).
    "notice": {
        ("queued", "sending"),
        ("queued", "undeliverable"),
        ("sending", "sent"),
        ("sending", "queued"),
        ("sending", "failed"),
        ("failed", "queued"),
    },
}

#: (model label, field) → the map names registered for it.
REGISTERED = {
    ("complaints.complaint", "status"): {"complaint", "report"},
    ("complaints.merchantreply", "proposal_status"): {"settlement"},
    ("campaigns.campaign", "status"): {"campaign"},
    ("campaigns.application", "status"): {"application"},
    ("campaigns.objection", "status"): {"objection"},
    ("campaigns.adreport", "status"): {"ad_report"},
    ("merchants.ratingappeal", "status"): {"appeal"},
    ("merchants.ratingreply", "status"): {"reply"},
    ("merchants.reinspectionrequest", "status"): {"reinspection"},
    ("merchants.creditrepairrequest", "status"): {"repair"},
    ("merchants.listproposal", "status"): {"list_proposal"},
    ("merchants.rolemodelstory", "status"): {"role_model"},
    ("notifications.notice", "status"): {"notice"},
    ("spotchecks.spotcheckplan", "status"): {"spot_check_plan"},
    ("spotchecks.spotchecktask", "status"): {"spot_check_task"},
    ("analysis.monthlyreport", "status"): {"monthly_report"},
    ("analysis.actionitem", "status"): {"action_item"},
}

#: Status fields that are deliberately not a pipeline of this system, each with the reason.
NOT_A_PIPELINE = {
    # Operating / suspended / deregistered mirrors the official business register (imported and
    # corrected from it); the portal records that fact, it does not move the merchant through it.
    ("merchants.merchant", "status"),
}


def _registrations():
    return {(r.model._meta.label_lower, r.field): r for r in registered_workflows()}


def _maps():
    return {w.name: (r, w) for r in registered_workflows() for w in r.workflows}


def _states(registration) -> list[str]:
    return [value for value, _label in registration.model._meta.get_field(registration.field).choices]


def test_the_registered_maps_are_exactly_the_expected_ones():
    registrations = _registrations()
    assert {key: {w.name for w in r.workflows} for key, r in registrations.items()} == REGISTERED
    assert set(_maps()) == set(STATUTORY)


@pytest.mark.parametrize("name", sorted(STATUTORY))
def test_map_allows_exactly_the_statutory_moves(name):
    registration, workflow = _maps()[name]
    states = _states(registration)
    allowed = {(s, t) for s in states for t in states if workflow.can(s, t)}
    assert allowed == STATUTORY[name]


@pytest.mark.parametrize("name", sorted(STATUTORY))
def test_map_refuses_every_other_move_with_a_message(name):
    registration, workflow = _maps()[name]
    states = _states(registration)
    refused = [(s, t) for s in states for t in states if (s, t) not in STATUTORY[name]]
    assert refused, "every pipeline has moves it refuses"
    for source, target in refused:
        with pytest.raises(TransitionNotAllowed) as exc:
            workflow.check(source, target)
        assert exc.value.message and exc.value.details == {"from": source, "to": target}


@pytest.mark.parametrize("name", sorted(STATUTORY))
def test_map_names_only_statuses_of_its_field(name):
    registration, workflow = _maps()[name]
    assert workflow.field == registration.field
    states = set(_states(registration))
    named = set(workflow.transitions) | {t for targets in workflow.transitions.values() for t in targets}
    assert named <= states


def test_every_status_field_with_choices_has_a_registered_map():
    """Structural: a new model (or field) with status choices must register its map in AppConfig.ready()."""
    registered = set(_registrations())
    missing = []
    for model in apps.get_models():
        if getattr(model, "instance_type", None) is not None:
            continue  # a django-simple-history copy: it records the tracked model's moves, it makes none
        for field in model._meta.get_fields():
            name = getattr(field, "name", "")
            if not getattr(field, "choices", None) or not (name == "status" or name.endswith("_status")):
                continue
            key = (model._meta.label_lower, name)
            if key not in registered and key not in NOT_A_PIPELINE:
                missing.append(key)
    assert missing == []


def test_workflow_for_picks_the_map_of_the_record():
    from complaints.models import Complaint, ComplaintKind, MerchantReply
    from merchants.models import CreditRepairRequest

    assert workflow_for(Complaint(kind=ComplaintKind.COMPLAINT)).name == "complaint"
    assert workflow_for(Complaint(kind=ComplaintKind.REPORT)).name == "report"
    assert workflow_for(MerchantReply(), "proposal_status").name == "settlement"
    assert workflow_for(CreditRepairRequest()).name == "repair"


def test_workflow_for_an_unregistered_field_is_a_lookup_error():
    from merchants.models import Merchant

    with pytest.raises(LookupError):
        workflow_for(Merchant())
