"""Inspections are recorded only through ``inspection_record``, by two different rostered inspectors,
never for a future date — through the service, the staff admin and the staff API alike."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from integrity_portal.core.audit import audit_entries_for
from integrity_portal.core.errors import NotPermitted, ValidationFailed
from integrity_portal.core.roles import StaffRole
from merchants.models import Inspection, Membership, MembershipRole, StaffProfile
from merchants.selectors.staff import inspector_roster
from merchants.services import credit as svc
from tests.factories import MerchantFactory, UserFactory, make_inspector, make_staff
from tests.merchants.credit_factories import today

pytestmark = pytest.mark.django_db

ADD_URL = "/admin/merchants/inspection/add/"
API_URL = "/api/v1/staff/inspections/"


@pytest.fixture
def world(regions):
    """A 解放区 merchant, its owner, two district inspectors, a city inspector, and outsiders."""
    merchant = MerchantFactory(region=regions["410802"])
    owner = UserFactory(username="owner_jf")
    Membership.objects.create(user=owner, merchant=merchant, role=MembershipRole.OWNER)
    return {
        "merchant": merchant,
        "owner": owner,
        "a": make_inspector("410802", full_name="王<磊\"", certificate_number="JF-0001"),
        "b": make_inspector("410802", full_name="李娜", certificate_number="JF-0002"),
        "city": make_inspector("410800", full_name="张伟", certificate_number="JZ-0001"),
        "other_district": make_inspector("410803", full_name="赵强", certificate_number="ZZ-0001"),
        "other_city": make_inspector("411000", full_name="陈静", certificate_number="XC-0001"),
        "no_cert": make_inspector("410802", full_name="无证", certificate_number=""),
        "clerk": make_staff("410802", StaffRole.DISTRICT_BRANCH, username="jf_branch"),
    }


def _record(w, **overrides):
    kwargs = {
        "merchant": w["merchant"],
        "inspected_on": today(),
        "findings": {"price_marking": "minor"},
        "outcome": "rectify",
        "inspector_1": w["a"],
        "inspector_2": w["b"],
        "actor": w["clerk"],
    }
    kwargs.update(overrides)
    return svc.inspection_record(**kwargs)


# --- the roster ----------------------------------------------------------------------------


def test_roster_is_inspectors_with_a_certificate_in_the_region_or_above(world):
    roster = {p.user for p in inspector_roster(region="410802")}
    assert roster == {world["a"], world["b"], world["city"]}
    assert world["owner"] not in roster and world["clerk"] not in roster
    assert {p.user for p in inspector_roster(region="410800", within=True)} >= {world["a"], world["other_district"]}
    assert world["other_city"] not in {p.user for p in inspector_roster(region="410800", within=True)}


def test_an_inspector_who_is_also_a_merchant_member_or_inactive_leaves_the_roster(world):
    Membership.objects.create(user=world["a"], merchant=MerchantFactory(), role=MembershipRole.CLERK)
    world["b"].is_active = False
    world["b"].save(update_fields=["is_active"])
    assert {p.user for p in inspector_roster(region="410802")} == {world["city"]}


# --- the service -----------------------------------------------------------------------------


def test_valid_inspection_is_recorded_with_names_and_an_audit_row(world):
    inspection = _record(world)
    assert inspection.inspector_1 == world["a"] and inspection.inspector_2 == world["b"]
    assert inspection.inspector_names == "王<磊\"、李娜"
    entry = audit_entries_for(inspection).get(action="inspection.record")
    assert entry.actor == world["clerk"] and entry.data["inspectors"] == ["JF-0001", "JF-0002"]


def test_a_city_inspector_may_inspect_in_a_district_of_the_city(world):
    assert _record(world, inspector_2=world["city"]).pk


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"inspected_on": "tomorrow"}, "晚于今天"),
        ({"inspector_2": "owner"}, "名册"),
        ({"inspector_2": "a"}, "两名不同"),
        ({"inspector_2": "other_city"}, "名册"),
        ({"inspector_2": "other_district"}, "名册"),
        ({"inspector_2": "no_cert"}, "名册"),
        ({"inspector_2": "clerk"}, "名册"),
        ({"inspector_2": None}, "请选择"),
    ],
    ids=["tomorrow", "merchant_account", "same_twice", "other_city", "other_district", "no_cert", "clerk", "missing"],
)
def test_service_refuses_bad_inspections(world, overrides, message):
    resolved = {}
    for key, value in overrides.items():
        if value == "tomorrow":
            resolved[key] = today() + timedelta(days=1)
        elif isinstance(value, str):
            resolved[key] = world[value]
        else:
            resolved[key] = value
    with pytest.raises(ValidationFailed, match=message):
        _record(world, **resolved)
    assert not Inspection.objects.exists()


def test_a_visit_before_the_entity_was_registered_is_refused_and_the_day_itself_is_not(world):
    merchant = world["merchant"]
    merchant.registered_on = today() - timedelta(days=400)
    merchant.save(update_fields=["registered_on"])
    with pytest.raises(ValidationFailed, match="成立日期"):
        _record(world, inspected_on=merchant.registered_on - timedelta(days=1))
    assert not Inspection.objects.exists()
    assert _record(world, inspected_on=merchant.registered_on).inspected_on == merchant.registered_on


@pytest.mark.parametrize("registered", [None, "1985-06-01"], ids=["unknown_registration", "old_entity"])
def test_a_mistyped_year_beyond_the_ten_year_backfill_is_refused(world, registered):
    """0203 for 2023: schemathesis recorded year-73 inspections through the API before the window existed."""
    merchant = world["merchant"]
    merchant.registered_on = date.fromisoformat(registered) if registered else None
    merchant.save(update_fields=["registered_on"])
    for typo in (date(73, 5, 10), date(2003, 5, 10), today() - timedelta(days=366 * 10 + 3)):
        before_registration = merchant.registered_on and typo < merchant.registered_on
        with pytest.raises(ValidationFailed, match="成立日期" if before_registration else "10 年内"):
            _record(world, inspected_on=typo)
    assert not Inspection.objects.exists()
    nine_years = today() - timedelta(days=365 * 9)
    assert _record(world, inspected_on=nine_years).inspected_on == nine_years


def test_api_refuses_a_year_73_inspection_with_400_on_the_date(world, client):
    client.force_login(world["clerk"])
    response = client.post(API_URL, _api(world, inspected_on="0073-05-10"), content_type="application/json")
    assert response.status_code == 400, response.content
    assert response.json()["errors"][0]["attr"] == "inspected_on"
    assert not Inspection.objects.exists()


def test_service_refuses_staff_of_another_district(world):
    with pytest.raises(NotPermitted):
        _record(world, actor=make_staff("410803", StaffRole.DISTRICT_BRANCH))
    assert not Inspection.objects.exists()


def test_correction_changes_only_notes_plan_publication_with_a_reason(world):
    inspection = _record(world)
    with pytest.raises(ValidationFailed):
        svc.inspection_correct(inspection=inspection, changes={"notes": "x"}, reason=" ", actor=world["clerk"])
    with pytest.raises(ValidationFailed, match="不能修改"):
        svc.inspection_correct(
            inspection=inspection, changes={"inspected_on": today()}, reason="改日期", actor=world["clerk"]
        )
    svc.inspection_correct(
        inspection=inspection, changes={"published": False}, reason="记录有误，撤回公示", actor=world["clerk"]
    )
    inspection.refresh_from_db()
    assert inspection.published is False
    assert audit_entries_for(inspection).get(action="inspection.correct").note == "记录有误，撤回公示"


# --- the admin -----------------------------------------------------------------------------


def _form(w, **overrides):
    data = {
        "merchant": w["merchant"].pk,
        "inspected_on": today().isoformat(),
        "inspector_1": w["a"].pk,
        "inspector_2": w["b"].pk,
        "plan": "",
        "price_marking": "pass",
        "metrology": "pass",
        "advertising": "pass",
        "food_safety": "pass",
        "premises": "pass",
        "outcome": "satisfactory",
        "notes": "",
        "published": "on",
    }
    data.update(overrides)
    return data


def test_admin_add_goes_through_the_service(world, client):
    client.force_login(world["clerk"])
    response = client.post(ADD_URL, _form(world))
    assert response.status_code == 302, response.context["adminform"].form.errors
    inspection = Inspection.objects.get()
    assert inspection.created_by == world["clerk"] and inspection.inspector_names == "王<磊\"、李娜"
    assert audit_entries_for(inspection).filter(action="inspection.record", actor=world["clerk"]).count() == 1


def test_admin_drop_downs_list_rostered_names_never_merchant_accounts(world, client):
    client.force_login(world["clerk"])
    form = client.get(ADD_URL).context["adminform"].form
    offered = set(form.fields["inspector_1"].queryset)
    assert offered == {world["a"], world["b"], world["city"]}
    body = client.get(ADD_URL).content.decode()
    assert "李娜（执法证号 JF-0002）" in body and "王&lt;磊&quot;" in body and "王<磊" not in body
    assert world["owner"].username not in body


@pytest.mark.parametrize(
    "field, who",
    [("inspected_on", "tomorrow"), ("inspector_2", "owner"), ("inspector_2", "a"), ("inspector_2", "other_city")],
    ids=["tomorrow", "merchant_account", "same_twice", "other_city"],
)
def test_admin_refuses_bad_inspections_as_form_errors(world, client, field, who):
    client.force_login(world["clerk"])
    value = (today() + timedelta(days=1)).isoformat() if who == "tomorrow" else world[who].pk
    response = client.post(ADD_URL, _form(world, **{field: value}))
    assert response.status_code == 200
    assert response.context["adminform"].form.errors
    assert not Inspection.objects.exists()


def test_city_officer_picking_a_district_inspector_for_another_district_gets_a_form_error(world, client, regions):
    client.force_login(make_staff("410800", StaffRole.CITY_BUREAU))
    other = MerchantFactory(region=regions["410803"])
    response = client.post(ADD_URL, _form(world, merchant=other.pk))  # 解放区 inspectors, 中站区 merchant
    assert response.status_code == 200 and "名册" in str(response.context["adminform"].form.non_field_errors())
    assert not Inspection.objects.exists()


def test_admin_change_only_corrects_with_a_reason(world, client):
    inspection = _record(world)
    client.force_login(world["clerk"])
    url = f"/admin/merchants/inspection/{inspection.pk}/change/"
    response = client.post(url, {"notes": "补充说明", "plan": "", "published": "on", "correction_reason": ""})
    assert response.status_code == 200
    inspection.refresh_from_db()
    assert inspection.notes == ""
    response = client.post(
        url,
        {
            "notes": "补充说明",
            "plan": "",
            "published": "on",
            "correction_reason": "补录现场情况",
            "inspected_on": (today() + timedelta(days=300)).isoformat(),
        },
    )
    assert response.status_code == 302
    inspection.refresh_from_db()
    assert inspection.notes == "补充说明" and inspection.inspected_on == today()
    assert audit_entries_for(inspection).filter(action="inspection.correct", actor=world["clerk"]).exists()


# --- the API -------------------------------------------------------------------------------


def _api(w, **overrides):
    body = {
        "merchant_id": w["merchant"].pk,
        "inspected_on": today().isoformat(),
        "inspector_1": w["a"].pk,
        "inspector_2": w["b"].pk,
        "price_marking": "minor",
        "outcome": "rectify",
    }
    body.update(overrides)
    return body


def test_api_records_through_the_service(world, client):
    client.force_login(world["clerk"])
    response = client.post(API_URL, _api(world), content_type="application/json")
    assert response.status_code == 201, response.content
    inspection = Inspection.objects.get(pk=response.json()["id"])
    assert inspection.price_marking == "minor" and inspection.inspector_names == "王<磊\"、李娜"
    assert audit_entries_for(inspection).filter(action="inspection.record", actor=world["clerk"]).exists()
    listed = client.get(API_URL).json()["results"]
    assert [row["id"] for row in listed] == [inspection.pk]


@pytest.mark.parametrize(
    "field, who",
    [
        ("inspected_on", "tomorrow"),
        ("inspector_2", "owner"),
        ("inspector_2", "a"),
        ("inspector_2", "other_city"),
        ("inspector_1", "huge"),
        ("inspected_on", "garbage"),
    ],
    ids=["tomorrow", "merchant_account", "same_twice", "other_city", "huge_id", "bad_date"],
)
def test_api_refuses_bad_inspections_with_400(world, client, field, who):
    client.force_login(world["clerk"])
    value = {
        "tomorrow": (today() + timedelta(days=1)).isoformat(),
        "huge": 10**30,
        "garbage": "2026-13-45\x00",
    }.get(who) or world[who].pk
    response = client.post(API_URL, _api(world, **{field: value}), content_type="application/json")
    assert response.status_code == 400, response.content
    assert not Inspection.objects.exists()


def test_api_is_for_staff_who_may_record_in_their_district(world, client, regions):
    assert client.post(API_URL, _api(world), content_type="application/json").status_code == 401
    client.force_login(world["owner"])
    assert client.post(API_URL, _api(world), content_type="application/json").status_code == 403
    client.force_login(make_staff("410803", StaffRole.DISTRICT_BRANCH))
    # another district: the merchant is not found and the 解放区 inspectors are not offered
    assert client.post(API_URL, _api(world), content_type="application/json").status_code in (400, 404)
    client.force_login(make_staff("410800", StaffRole.CIVILITY_OFFICE))
    assert client.post(API_URL, _api(world), content_type="application/json").status_code == 403
    assert not Inspection.objects.exists()


# --- create_staff and the demo -------------------------------------------------------------


def test_create_staff_sets_name_and_certificate_number(regions):
    out = io.StringIO()
    call_command(
        "create_staff", "insp1", "--region", "410802", "--role", "inspector",
        "--name", "王磊", "--certificate", "豫JZ-2026-001", stdout=out,
    )
    profile = StaffProfile.objects.get(user__username="insp1")
    assert (profile.full_name, profile.certificate_number) == ("王磊", "豫JZ-2026-001")
    assert profile in inspector_roster(region="410802")
    with pytest.raises(CommandError, match="已登记"):
        call_command(
            "create_staff", "insp2", "--region", "410802", "--role", "inspector",
            "--certificate", "豫JZ-2026-001", stdout=io.StringIO(),
        )
    call_command("create_staff", "insp3", "--region", "410802", "--role", "inspector", stdout=out)
    assert "未登记执法证号" in out.getvalue()


def test_demo_inspections_name_two_different_rostered_inspectors(regions):
    call_command("seed_demo", merchants=300, seed=3, verbosity=0)
    call_command("seed_demo", merchants=300, seed=3, verbosity=0)
    roster = {p.user_id: p for p in inspector_roster(region=None)}
    assert len(roster) >= 8 and all(p.full_name and p.certificate_number for p in roster.values())
    inspections = list(Inspection.objects.select_related("merchant"))
    assert inspections
    for i in inspections:
        assert i.inspector_1_id != i.inspector_2_id and i.inspected_on <= today()
        allowed = {p.user_id for p in inspector_roster(region=i.merchant.region_id)}
        assert {i.inspector_1_id, i.inspector_2_id} <= allowed
