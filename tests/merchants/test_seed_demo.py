"""`manage.py seed_demo`: deterministic, idempotent, valid register data and demo logins."""

from __future__ import annotations

import io
import os
import time
from collections import Counter

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django_otp.plugins.otp_static.models import StaticDevice

from integrity_portal.core.audit import audit_entries_for
from integrity_portal.core.demo import demo_seeders
from integrity_portal.core.roles import StaffRole
from merchants.demo import DEMO_PASSWORD, generate_register, seed_register
from merchants.models import Membership, Merchant, MerchantKind, MerchantStatus
from merchants.validators import validate_uscc

pytestmark = pytest.mark.django_db


def _register_only(monkeypatch):
    """Run only this app's seeders; the other apps' seeders are tested by their owners."""
    from integrity_portal.core import demo as core_demo

    mine = {k: v for k, v in core_demo._seeders.items() if k in ("register", "demo_logins")}
    monkeypatch.setattr(core_demo, "_seeders", mine)


def _snapshot():
    return list(
        Merchant.objects.order_by("uscc", "licence_number").values_list(
            "name", "uscc", "licence_number", "region_id"
        )
    )


def test_register_seeder_is_registered_first():
    seeders = {s.name: s.order for s in demo_seeders()}
    assert seeders["register"] == 10 and seeders["demo_logins"] == 11


def test_seed_demo_is_idempotent_and_prints_logins(monkeypatch):
    _register_only(monkeypatch)
    out = io.StringIO()
    call_command("seed_demo", "--merchants", "150", "--seed", "0", stdout=out)
    assert Merchant.objects.count() == 150
    first = _snapshot()
    users = get_user_model().objects.count()
    again = io.StringIO()
    call_command("seed_demo", "--merchants", "150", "--seed", "0", stdout=again)
    assert Merchant.objects.count() == 150
    assert _snapshot() == first
    assert get_user_model().objects.count() == users
    text = out.getvalue()
    for login in ("demo_city", "demo_district", "demo_civility", "demo_merchant"):
        assert login in text
    assert DEMO_PASSWORD in text and "http://" in text
    # Staff sign-in needs a second factor: the printout carries working recovery codes for each staff
    # login, and a re-run replaces them (the first run's codes no longer work).
    def printed_codes(output: str, login: str) -> list[str]:
        line = output.split(f"staff {login} ")[1].split("\n")[1]
        assert "recovery codes" in line
        return line.rsplit(":", 1)[1].split()

    for login in ("demo_city", "demo_district", "demo_civility"):
        device = StaticDevice.objects.get(user__username=login)
        old_codes, new_codes = printed_codes(text, login), printed_codes(again.getvalue(), login)
        assert len(new_codes) == 5 and not set(old_codes) & set(new_codes)
        assert not device.token_set.filter(token__in=old_codes).exists()
        assert device.verify_token(new_codes[0])
        assert not device.token_set.filter(token=new_codes[0]).exists()  # single use


def test_seed_demo_growing_count_adds_only_the_difference(monkeypatch):
    _register_only(monkeypatch)
    call_command("seed_demo", "--merchants", "100", stdout=io.StringIO())
    names_100 = set(Merchant.objects.values_list("uscc", "licence_number"))
    call_command("seed_demo", "--merchants", "150", stdout=io.StringIO())
    assert Merchant.objects.count() == 150
    assert names_100 <= set(Merchant.objects.values_list("uscc", "licence_number"))


def test_same_seed_gives_same_register_and_other_seed_differs(regions):
    a = [
        (s.name, s.uscc, s.licence_number, s.region_id) for s in generate_register(seed=7, merchant_count=200)
    ]
    b = [
        (s.name, s.uscc, s.licence_number, s.region_id) for s in generate_register(seed=7, merchant_count=200)
    ]
    c = [
        (s.name, s.uscc, s.licence_number, s.region_id) for s in generate_register(seed=8, merchant_count=200)
    ]
    assert a == b
    assert a != c


def test_seeded_register_is_plausible(regions):
    seed_register(seed=0, merchant_count=2000)
    merchants = list(Merchant.objects.select_related("region", "parent_market"))
    assert len(merchants) == 2000
    for m in merchants:
        if m.uscc:
            validate_uscc(m.uscc)
            assert m.uscc[2:8] == m.region_id, "the division code is the district"
        else:
            assert m.licence_number and m.licence_number.startswith(m.region_id)
        assert m.region.level == "district"
        assert m.name and m.address and m.legal_representative
        if m.parent_market:
            assert m.parent_market.kind == MerchantKind.MARKET and m.parent_market.region_id == m.region_id
    by_city = Counter(m.region_id[:4] for m in merchants)
    assert by_city["4108"] > 0.6 * len(merchants)  # weighted toward 焦作
    assert {"4108", "4110", "6205", "1503"} <= set(by_city)
    assert len({m.region_id for m in merchants}) >= 20
    kinds = Counter(m.kind for m in merchants)
    assert (
        kinds[MerchantKind.MARKET] >= 5
        and kinds[MerchantKind.ENTERPRISE] > 200
        and kinds[MerchantKind.MERCHANT] > 1000
    )
    assert sum(m.uscc is None for m in merchants) > 100  # individual stalls on a licence number
    assert sum(m.parent_market_id is not None for m in merchants) > 50
    assert 0.003 * len(merchants) <= sum(m.is_large_venue for m in merchants) <= 0.03 * len(merchants)
    assert any(m.is_time_honored for m in merchants)
    statuses = Counter(m.status for m in merchants)
    assert statuses[MerchantStatus.OPERATING] > 0.9 * len(merchants)
    assert statuses[MerchantStatus.SUSPENDED] and statuses[MerchantStatus.DEREGISTERED]
    assert all(m.stars is None for m in merchants), (
        "stars come from the rating engine, not the register seeder"
    )


def test_demo_logins_have_roles_regions_and_membership(monkeypatch):
    _register_only(monkeypatch)
    call_command("seed_demo", "--merchants", "100", stdout=io.StringIO())
    User = get_user_model()
    city, district, civility, owner = (
        User.objects.get(username=u) for u in ("demo_city", "demo_district", "demo_civility", "demo_merchant")
    )
    assert (city.staff_profile.region_id, city.staff_profile.role) == ("410800", StaffRole.CITY_BUREAU)
    assert (district.staff_profile.region_id, district.staff_profile.role) == (
        "410802",
        StaffRole.DISTRICT_BRANCH,
    )
    assert civility.staff_profile.role == StaffRole.CIVILITY_OFFICE
    assert all(u.is_staff and not u.is_superuser for u in (city, district, civility))
    assert audit_entries_for(district.staff_profile).filter(action="staff.assign_role").count() == 1
    assert all(u.check_password(DEMO_PASSWORD) for u in (city, district, civility, owner))
    assert not owner.is_staff
    membership = Membership.objects.get(user=owner)
    assert membership.merchant.region_id == "410802" and membership.role == "owner"
    call_command("seed_demo", "--merchants", "100", stdout=io.StringIO())  # re-run: no second role assignment
    assert audit_entries_for(district.staff_profile).filter(action="staff.assign_role").count() == 1
    assert Membership.objects.filter(user=owner).count() == 1


def test_negative_count_is_refused(regions):
    with pytest.raises(CommandError):
        call_command("seed_demo", "--merchants", "-5", stdout=io.StringIO())


@pytest.mark.postgres
@pytest.mark.skipif(not os.environ.get("RUN_SEED_BENCH"), reason="benchmark (~30 s): set RUN_SEED_BENCH=1")
def test_seed_140k_register_within_60_seconds_on_postgres(require_postgres, regions):
    started = time.perf_counter()
    seed_register(seed=0, merchant_count=140_000)
    elapsed = time.perf_counter() - started
    print(f"\nseeded 140,000 entities in {elapsed:.1f} s")
    assert Merchant.objects.count() == 140_000
    assert elapsed <= 60


def test_seed_demo_spot_checks_roster_published_plans_and_one_awaiting_draw(monkeypatch):
    """双随机 (spotchecks/demo.py): two rostered inspectors per demo district, one published plan per demo city
    drawn and recorded through the services (its draw verifies), one approved plan awaiting its draw; idempotent."""
    from integrity_portal.core import demo as core_demo
    from merchants.demo import CITY_SHORT, DISTRICTS
    from merchants.selectors.staff import inspector_roster
    from spotchecks import draw as draw_algorithm
    from spotchecks.models import PlanStatus, SpotCheckPlan, TaskStatus
    from spotchecks.selectors import draw_record

    mine = {k: v for k, v in core_demo._seeders.items() if k in ("register", "demo_logins", "spot_checks")}
    monkeypatch.setattr(core_demo, "_seeders", mine)
    out = io.StringIO()
    call_command("seed_demo", "--merchants", "300", stdout=out)
    assert "published plans" in out.getvalue()
    for district in DISTRICTS:
        posted = inspector_roster(region=district).filter(region_id=district)
        assert posted.count() >= 2, district
        assert all(p.certificate_number and p.full_name for p in posted)
    published = SpotCheckPlan.objects.filter(status=PlanStatus.PUBLISHED)
    assert sorted(published.values_list("region_id", flat=True)) == sorted(CITY_SHORT)
    for plan in published:
        tasks = list(plan.tasks.all())
        assert tasks and len(tasks) == plan.drawn_count
        assert all(t.status == TaskStatus.DONE and t.inspection_id for t in tasks)
        assert plan.seed and draw_algorithm.commitment(plan.seed) == plan.seed_commitment
        record = draw_record(plan, with_openings=True, with_tasks=True)
        assert draw_algorithm.verify(record, tasks=record["tasks"]) == []
    awaiting = SpotCheckPlan.objects.get(status=PlanStatus.APPROVED)
    assert awaiting.region_id == "410802" and awaiting.seed_commitment and not awaiting.seed
    users, plans = get_user_model().objects.count(), SpotCheckPlan.objects.count()
    call_command("seed_demo", "--merchants", "300", stdout=io.StringIO())
    assert (get_user_model().objects.count(), SpotCheckPlan.objects.count()) == (users, plans)
