"""Region scoping of the register's admin: lists, object pages, FK choices, saves, filters, history."""

from __future__ import annotations

import pytest
from django.urls import reverse

from integrity_portal.core.audit import audit_entries_for
from integrity_portal.core.roles import StaffRole
from merchants.models import ClaimCode, Membership, MembershipRole, Merchant, StaffProfile
from merchants.services import claim_code_issue
from tests.factories import UserFactory, make_staff

from .register_helpers import market_in, merchant_change_data, merchant_in

CHANGELIST = "admin:merchants_merchant_changelist"


@pytest.fixture
def world(regions):
    return {
        "city": make_staff("410800", StaffRole.CITY_BUREAU),
        "district": make_staff("410802", StaffRole.DISTRICT_BRANCH),
        "jiefang": merchant_in("410802", name="解放区百货店"),
        "zhongzhan": merchant_in("410803", name="中站区粮油店"),
        "zhongzhan_market": market_in("410803", name="中站区农贸市场"),
        "jiefang_market": market_in("410802", name="解放区农贸市场"),
        "wuhai": merchant_in("150302", name="海勃湾区超市"),
    }


def test_district_user_lists_only_own_district_merchants(client, world):
    client.force_login(world["district"])
    response = client.get(reverse(CHANGELIST))
    assert response.status_code == 200
    listed = set(response.context["cl"].queryset.values_list("name", flat=True))
    assert listed == {"解放区百货店", "解放区农贸市场"}
    assert "中站区粮油店" not in response.content.decode()


def test_city_user_lists_every_district_of_the_city_only(client, world):
    client.force_login(world["city"])
    response = client.get(reverse(CHANGELIST))
    listed = set(response.context["cl"].queryset.values_list("name", flat=True))
    assert listed == {"解放区百货店", "中站区粮油店", "中站区农贸市场", "解放区农贸市场"}


def test_district_user_gets_404_for_other_district_merchant_pages(client, world):
    client.force_login(world["district"])
    other = world["zhongzhan"]
    assert client.get(reverse("admin:merchants_merchant_change", args=[other.pk])).status_code == 404
    assert client.get(reverse("admin:merchants_merchant_history", args=[other.pk])).status_code == 404
    assert client.get(reverse("admin:merchants_merchant_change", args=[999999])).status_code == 404
    assert (
        client.get(reverse("admin:merchants_merchant_change", args=[world["jiefang"].pk])).status_code == 200
    )


def test_district_user_cannot_read_other_district_history_versions(client, world):
    other = world["zhongzhan"]
    version = other.history.first()
    client.force_login(world["district"])
    url = reverse("admin:merchants_merchant_simple_history", args=[other.pk, version.history_id])
    assert client.get(url).status_code == 404


def test_city_user_opens_any_district_merchant_of_the_city(client, world):
    client.force_login(world["city"])
    assert (
        client.get(reverse("admin:merchants_merchant_change", args=[world["zhongzhan"].pk])).status_code
        == 200
    )
    assert client.get(reverse("admin:merchants_merchant_change", args=[world["wuhai"].pk])).status_code == 404


def test_district_user_fk_choices_exclude_other_districts(client, world):
    client.force_login(world["district"])
    response = client.get(reverse("admin:merchants_merchant_add"))
    form = response.context["adminform"].form
    assert set(form.fields["region"].queryset.values_list("code", flat=True)) == {"410802"}
    markets = set(form.fields["parent_market"].queryset.values_list("name", flat=True))
    assert markets == {"解放区农贸市场"}
    autocomplete = client.get(
        reverse("admin:autocomplete"),
        {"app_label": "merchants", "model_name": "merchant", "field_name": "parent_market", "term": "农贸"},
    )
    assert [r["text"] for r in autocomplete.json()["results"]] == ["解放区农贸市场"]


def test_district_user_cannot_save_merchant_into_other_district(client, world):
    client.force_login(world["district"])
    m = world["jiefang"]
    url = reverse("admin:merchants_merchant_change", args=[m.pk])
    response = client.post(url, merchant_change_data(m, region="410803"))
    assert response.status_code == 200
    assert "region" in response.context["adminform"].form.errors
    response = client.post(url, merchant_change_data(m, parent_market=world["zhongzhan_market"].pk))
    assert "parent_market" in response.context["adminform"].form.errors
    m.refresh_from_db()
    assert m.region_id == "410802" and m.parent_market_id is None


def test_city_user_moves_merchant_between_districts_and_history_records_who(client, world):
    client.force_login(world["city"])
    m = world["jiefang"]
    response = client.post(
        reverse("admin:merchants_merchant_change", args=[m.pk]), merchant_change_data(m, region="410803")
    )
    assert response.status_code == 302
    m.refresh_from_db()
    assert m.region_id == "410803"
    latest = m.history.first()
    assert latest.history_user == world["city"] and latest.history_type == "~"
    page = client.get(reverse("admin:merchants_merchant_history", args=[m.pk]))
    assert world["city"].username in page.content.decode()
    entry = audit_entries_for(m).get(action="merchant.update")
    assert entry.actor == world["city"] and entry.data["fields"] == ["region"]


def test_district_user_registers_a_merchant_in_own_district(client, world):
    from merchants.validators import build_uscc

    client.force_login(world["district"])
    data = {
        "name": "新开面馆",
        "kind": "merchant",
        "industry": "catering",
        "status": "operating",
        "uscc": build_uscc(authority="9", entity_type="2", division="410802", org_body8="55500001"),
        "legal_representative": "周七",
        "address": "解放中路8号",
        "region": "410802",
        "parent_market": world["jiefang_market"].pk,
    }
    response = client.post(reverse("admin:merchants_merchant_add"), data)
    assert response.status_code == 302
    m = Merchant.objects.get(name="新开面馆")
    assert m.parent_market == world["jiefang_market"]
    assert m.history.get().history_user == world["district"]
    assert audit_entries_for(m).get().action == "merchant.create"


def test_region_filter_offers_only_visible_regions(client, world):
    client.force_login(world["district"])
    response = client.get(reverse(CHANGELIST))
    spec = next(s for s in response.context["cl"].filter_specs if s.parameter_name == "region")
    assert [code for code, _label in spec.lookup_choices] == ["410802"]

    client.force_login(world["city"])
    response = client.get(reverse(CHANGELIST), {"region": "410803"})
    spec = next(s for s in response.context["cl"].filter_specs if s.parameter_name == "region")
    codes = [code for code, _label in spec.lookup_choices]
    assert codes[0] == "410800" and "410803" in codes and "150302" not in codes
    listed = set(response.context["cl"].queryset.values_list("name", flat=True))
    assert listed == {"中站区粮油店", "中站区农贸市场"}


def test_district_user_cannot_filter_into_another_district(client, world):
    client.force_login(world["district"])
    response = client.get(reverse(CHANGELIST), {"region": "410803"})
    assert not response.context["cl"].queryset.exists()


def test_search_by_name_or_uscc(client, world):
    client.force_login(world["city"])
    by_uscc = client.get(reverse(CHANGELIST), {"q": world["zhongzhan"].uscc})
    assert list(by_uscc.context["cl"].queryset) == [world["zhongzhan"]]
    by_name = client.get(reverse(CHANGELIST), {"q": "粮油"})
    assert list(by_name.context["cl"].queryset) == [world["zhongzhan"]]


def test_staff_approves_membership_through_the_service(client, world):
    owner = UserFactory(username="laowang")
    client.force_login(world["district"])
    response = client.post(
        reverse("admin:merchants_membership_add"),
        {"username": "laowang", "merchant": world["jiefang"].pk, "role": MembershipRole.CLERK},
    )
    assert response.status_code == 302
    membership = Membership.objects.get(user=owner)
    assert membership.merchant == world["jiefang"] and membership.approved_by == world["district"]
    entry = audit_entries_for(world["jiefang"]).get(action="membership.grant")
    assert entry.actor == world["district"] and entry.to_status == MembershipRole.CLERK


def test_district_user_cannot_approve_membership_for_other_district(client, world):
    UserFactory(username="laoli")
    client.force_login(world["district"])
    response = client.post(
        reverse("admin:merchants_membership_add"),
        {"username": "laoli", "merchant": world["zhongzhan"].pk, "role": MembershipRole.OWNER},
    )
    assert response.status_code == 200
    assert "merchant" in response.context["adminform"].form.errors
    assert not Membership.objects.exists()


def test_membership_for_unknown_username_is_a_form_error(client, world):
    client.force_login(world["district"])
    response = client.post(
        reverse("admin:merchants_membership_add"),
        {"username": "nobody", "merchant": world["jiefang"].pk, "role": MembershipRole.OWNER},
    )
    assert "没有该用户名的有效账号" in response.content.decode()
    assert not Membership.objects.exists()


def test_claim_code_list_is_scoped_and_never_shows_the_hash(client, world):
    mine, _ = claim_code_issue(merchant=world["jiefang"], actor=world["district"])
    theirs, _ = claim_code_issue(merchant=world["zhongzhan"], actor=world["city"])
    client.force_login(world["district"])
    response = client.get(reverse("admin:merchants_claimcode_changelist"))
    assert list(response.context["cl"].queryset) == [mine]
    page = client.get(reverse("admin:merchants_claimcode_change", args=[mine.pk])).content.decode()
    assert mine.code_hash not in page and mine.code_hash not in response.content.decode()
    assert client.get(reverse("admin:merchants_claimcode_change", args=[theirs.pk])).status_code == 404
    assert client.get(reverse("admin:merchants_claimcode_add")).status_code == 403
    assert ClaimCode.objects.count() == 2


def test_staff_profiles_viewable_by_city_staff_but_edited_only_by_superusers(client, world):
    profile = world["district"].staff_profile
    client.force_login(world["city"])
    url = reverse("admin:merchants_staffprofile_change", args=[profile.pk])
    assert client.get(url).status_code == 200
    response = client.post(
        url, {"user": world["district"].pk, "region": "410803", "role": StaffRole.CITY_BUREAU}
    )
    assert response.status_code == 403
    profile.refresh_from_db()
    assert profile.region_id == "410802" and profile.role == StaffRole.DISTRICT_BRANCH

    admin_user = UserFactory(username="root", is_staff=True, is_superuser=True)
    client.force_login(admin_user)
    response = client.post(
        url,
        {
            "user": world["district"].pk,
            "region": "410803",
            "role": StaffRole.DISTRICT_BRANCH,
            "unit": "中站分局",
        },
    )
    assert response.status_code == 302
    profile.refresh_from_db()
    assert profile.region_id == "410803" and profile.unit == "中站分局"
    assert audit_entries_for(profile).filter(action="staff.assign_role", actor=admin_user).exists()


def test_regions_are_read_only_for_city_staff(client, world):
    client.force_login(world["city"])
    assert client.get(reverse("admin:merchants_region_changelist")).status_code == 200
    assert client.get(reverse("admin:merchants_region_add")).status_code == 403
    response = client.post(reverse("admin:merchants_region_change", args=["410802"]), {"name": "改名区"})
    assert response.status_code == 403
    listed = set(
        client.get(reverse("admin:merchants_region_changelist"))
        .context["cl"]
        .queryset.values_list("code", flat=True)
    )
    assert "410802" in listed and "150302" not in listed


def test_staff_without_profile_sees_nothing(client, world):
    stray = UserFactory(username="stray", is_staff=True)
    stray.user_permissions.add(*world["district"].groups.get().permissions.all())
    client.force_login(stray)
    response = client.get(reverse(CHANGELIST))
    assert not response.context["cl"].queryset.exists()
    assert Merchant.objects.count() == 5 and StaffProfile.objects.count() == 2
