"""Penalty publicity: the officer sets the period within the tier's legal range; the policy's default
pre-fills it; out of range is refused (service and admin); the public page shows it to the recorded end."""

from __future__ import annotations

import pytest
from dateutil.relativedelta import relativedelta

from integrity_portal.core.audit import audit_entries_for
from integrity_portal.core.errors import ValidationFailed
from integrity_portal.core.roles import StaffRole
from merchants.models import Penalty, PenaltyKind, PenaltyTier
from merchants.selectors.repair import repair_earliest_date
from merchants.services.credit import penalty_record
from tests.factories import MerchantFactory, make_staff
from tests.merchants.credit_factories import today

pytestmark = pytest.mark.django_db

# The law (SAMR rules in force since 25 Dec 2025), written out here, not read from the code.
LEGAL_RANGE = {"minor": (3, 3), "moderate": (3, 12), "serious": (12, 36)}
_n = iter(range(1, 10_000))


def _record(m, tier, months, kind=PenaltyKind.FINE):
    return penalty_record(
        merchant=m,
        decision_number=f"焦解市监处罚〔2026〕{next(_n)}号",
        decided_on=today(),
        legal_basis="《价格法》第四十二条",
        kind=kind,
        tier=tier,
        publicity_months=months,
        actor=None,
    )


@pytest.mark.parametrize("tier", ["minor", "moderate", "serious"])
def test_each_tier_accepts_its_bounds_and_refuses_outside(regions, tier):
    m = MerchantFactory()
    lo, hi = LEGAL_RANGE[tier]
    for months in {lo, hi}:
        p = _record(m, tier, months)
        assert p.publicity_months == months
        assert p.publicity_until == p.publicity_from + relativedelta(months=months)
        assert audit_entries_for(p).get(action="penalty.record").data["publicity_months"] == months
    for months in (lo - 1, hi + 1, -5, 10**9, True):
        with pytest.raises(ValidationFailed, match="公示期须在"):
            _record(m, tier, months)
    assert Penalty.objects.count() == len({lo, hi})


def test_default_is_the_policy_default_and_warnings_are_not_published(regions):
    m = MerchantFactory()
    assert _record(m, "moderate", None).publicity_months == 6
    assert _record(m, "serious", None).publicity_months == 36
    warning = _record(m, "minor", None, kind=PenaltyKind.WARNING)
    assert warning.published is False and warning.publicity_months is None


def test_repair_is_not_offered_when_the_period_is_no_longer_than_the_minimum(regions):
    m = MerchantFactory()
    short = _record(m, "moderate", 3)
    assert repair_earliest_date(penalty=short) is None
    long = _record(m, "moderate", 12)
    assert repair_earliest_date(penalty=long) == long.publicity_from + relativedelta(months=3)
    serious_min = _record(m, "serious", 12)
    assert repair_earliest_date(penalty=serious_min) is None


@pytest.fixture
def district(regions, client):
    user = make_staff("410802", StaffRole.DISTRICT_BRANCH)
    client.force_login(user)
    return user


def _data(m, **overrides):
    data = {
        "merchant": m.pk,
        "decision_number": "焦解市监处罚〔2026〕99号",
        "decided_on": today().isoformat(),
        "legal_basis": "《价格法》第四十二条",
        "kind": "fine",
        "fine_yuan": "3000",
        "tier": "serious",
        "publicity_months": "24",
        "facts": "虚构原价",
    }
    data.update(overrides)
    return data


def test_admin_prefills_the_policy_default_for_the_tier(district, client):
    form = client.get("/admin/merchants/penalty/add/").context["adminform"].form
    assert form.initial["publicity_months"] == 6 and form.initial["tier"] == "moderate"
    form = client.get("/admin/merchants/penalty/add/?tier=serious").context["adminform"].form
    assert form.initial["publicity_months"] == 36


def test_admin_records_the_chosen_period_and_refuses_out_of_range(district, client, regions):
    m = MerchantFactory(region=regions["410802"])
    refused = client.post("/admin/merchants/penalty/add/", _data(m, publicity_months="6"))
    assert refused.status_code == 200 and "公示期须在" in str(refused.context["adminform"].form.errors)
    assert not Penalty.objects.exists()
    assert client.post("/admin/merchants/penalty/add/", _data(m)).status_code == 302
    p = Penalty.objects.get()
    assert p.publicity_months == 24 and p.publicity_until == p.publicity_from + relativedelta(months=24)


def test_public_page_shows_the_penalty_until_the_recorded_end(regions, client):
    from merchants.selectors.credit import q_penalty_in_publicity

    m = MerchantFactory()
    p = _record(m, PenaltyTier.MODERATE, 9)
    body = client.get(f"/merchants/{m.pk}/").content.decode()
    assert p.decision_number in body and p.publicity_until.strftime("%Y-%m-%d") in body
    on_last_day = Penalty.objects.filter(q_penalty_in_publicity(p.publicity_until), pk=p.pk).exists()
    after = Penalty.objects.filter(q_penalty_in_publicity(p.publicity_until + relativedelta(days=1)), pk=p.pk)
    assert on_last_day and not after.exists()
