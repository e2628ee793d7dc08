"""Register writes only through services: merchant edits lock the row and save only changed fields (a
recompute or another clerk's edit in between survives), imports never touch the rating columns, and
regions are added, edited and deleted by system administrators through audited services."""

from __future__ import annotations

import pytest
import tablib
from django.contrib.messages import get_messages
from django.urls import reverse

from integrity_portal.core.audit import audit_entries_for
from integrity_portal.core.errors import NotPermitted, ValidationFailed
from integrity_portal.core.models import AuditEntry
from integrity_portal.core.roles import StaffRole
from integrity_portal.core.services import model_update
from merchants import regions as region_tree
from merchants.models import Merchant, Region, RegionLevel
from merchants.resources import MerchantResource
from merchants.services import merchant_save, region_delete, region_save
from tests.factories import UserFactory, make_staff

from .register_helpers import merchant_change_data, merchant_in
from .test_import_export import HEADERS, row, uscc

pytestmark = pytest.mark.django_db

BOXES = ("is_large_venue", "is_time_honored", "odr_enrolled")


@pytest.fixture
def clerk(regions):
    return make_staff("410802", StaffRole.DISTRICT_BRANCH)


def _recompute_meanwhile(merchant) -> None:
    """What the rating recompute writes, straight to the row (as its set-based update does)."""
    Merchant.objects.filter(pk=merchant.pk).update(stars=4, credit_class="B", rating_digest=4242)


def _form_post(shown: Merchant, **edits) -> dict:
    """The change form as the browser sends it: the values shown with the clerk's edits, and the shown
    values again in the hidden ``initial-`` inputs."""
    data = merchant_change_data(shown, **edits)
    data.update({f"initial-{k}": v for k, v in merchant_change_data(shown).items()})
    data.update({f"initial-{name}": str(getattr(shown, name)) for name in BOXES})
    return data


# --- model_update ------------------------------------------------------------------------------


def test_model_update_saves_only_differing_fields_and_reports_them(regions, django_assert_num_queries):
    m = merchant_in("410802", name="老街面馆", address="民主路1号")
    row_ = Merchant.objects.get(pk=m.pk)
    with django_assert_num_queries(0):
        assert model_update(instance=row_, fields=["name", "address"], data={"name": "老街面馆"}) == []
    Merchant.objects.filter(pk=m.pk).update(stars=3)
    changed = model_update(
        instance=row_,
        fields=["name", "address", "region"],
        data={"name": "老街新面馆", "address": "民主路1号", "region": regions["410802"]},
    )
    assert changed == ["name"]
    stored = Merchant.objects.get(pk=m.pk)
    assert stored.name == "老街新面馆" and stored.stars == 3 and stored.updated_at > m.updated_at
    with pytest.raises(ValueError):
        model_update(instance=row_, fields=["id"], data={"id": 99})


# --- merchant_save: (a) a recompute in between, (b) two clerks ----------------------------------


def test_save_after_a_recompute_keeps_the_recomputed_rating(clerk):
    m = merchant_in("410802", name="老街面馆")
    shown = Merchant.objects.get(pk=m.pk)  # the clerk opens the form
    _recompute_meanwhile(m)
    shown.address = "新华街8号"
    merchant_save(merchant=shown, actor=clerk, changed_fields=["address"])
    stored = Merchant.objects.get(pk=m.pk)
    assert (stored.address, stored.stars, stored.credit_class, stored.rating_digest) == ("新华街8号", 4, "B", 4242)
    assert shown.stars == 4  # the caller's object is brought up to date
    entry = audit_entries_for(m).get(action="merchant.update")
    assert entry.actor == clerk and entry.data == {"fields": ["address"]}


def test_save_of_every_register_field_still_leaves_the_rating_alone(clerk):
    m = merchant_in("410802")
    shown = Merchant.objects.get(pk=m.pk)
    _recompute_meanwhile(m)
    shown.name = "改名商店"
    merchant_save(merchant=shown, actor=clerk)  # changed_fields=None: all register fields
    stored = Merchant.objects.get(pk=m.pk)
    assert stored.name == "改名商店" and stored.stars == 4 and stored.rating_digest == 4242
    # the old name is kept as a former name (still found by search)
    assert audit_entries_for(m).get(action="merchant.update").data == {"fields": ["former_names", "name"]}


def test_save_with_nothing_changed_writes_and_audits_nothing(clerk):
    m = merchant_in("410802")
    merchant_save(merchant=Merchant.objects.get(pk=m.pk), actor=clerk, changed_fields=["name"])
    assert not audit_entries_for(m).filter(action="merchant.update").exists()


def test_two_clerks_editing_different_fields_both_survive(clerk, regions):
    other_clerk = make_staff("410802", StaffRole.DISTRICT_BRANCH)
    m = merchant_in("410802", name="老街面馆", address="民主路1号")
    first, second = Merchant.objects.get(pk=m.pk), Merchant.objects.get(pk=m.pk)
    first.name = "老街新面馆"
    merchant_save(merchant=first, actor=clerk, changed_fields=["name"])
    second.address = "新华街8号"
    merchant_save(merchant=second, actor=other_clerk, changed_fields=["address"])
    stored = Merchant.objects.get(pk=m.pk)
    assert (stored.name, stored.address) == ("老街新面馆", "新华街8号")
    assert stored.former_names == "老街面馆"
    assert [e.data["fields"] for e in audit_entries_for(m).filter(action="merchant.update").order_by("pk")] == [
        ["former_names", "name"],
        ["address"],
    ]


def test_admin_form_after_a_recompute_keeps_the_stars(client, clerk):
    m = merchant_in("410802", name="老街面馆")
    client.force_login(clerk)
    url = reverse("admin:merchants_merchant_change", args=[m.pk])
    page = client.get(url).content.decode()
    assert 'name="initial-name"' in page  # the values shown travel with the form
    shown = Merchant.objects.get(pk=m.pk)
    _recompute_meanwhile(m)
    response = client.post(url, _form_post(shown, address="新华街8号"))
    assert response.status_code == 302
    stored = Merchant.objects.get(pk=m.pk)
    assert (stored.address, stored.stars, stored.rating_digest) == ("新华街8号", 4, 4242)
    assert audit_entries_for(m).get(action="merchant.update").data == {"fields": ["address"]}


def test_admin_forms_of_two_clerks_editing_different_fields_both_survive(client, clerk):
    from django.test import Client

    m = merchant_in("410802", name="老街面馆", address="民主路1号")
    url = reverse("admin:merchants_merchant_change", args=[m.pk])
    shown = Merchant.objects.get(pk=m.pk)  # both clerks open the form now
    other = Client()
    other.force_login(make_staff("410802", StaffRole.DISTRICT_BRANCH))
    assert other.post(url, _form_post(shown, name="老街新面馆")).status_code == 302
    client.force_login(clerk)
    assert client.post(url, _form_post(shown, address="新华街8号")).status_code == 302
    stored = Merchant.objects.get(pk=m.pk)
    assert (stored.name, stored.address) == ("老街新面馆", "新华街8号")


# --- (c) the import ------------------------------------------------------------------------------


def test_import_creates_new_rows_and_never_rewrites_a_registered_one(clerk):
    existing = merchant_in("410802", name="老街面馆", uscc=uscc(7))
    _recompute_meanwhile(existing)
    data = tablib.Dataset(row("新开张超市", code=uscc(8)), headers=HEADERS)
    result = MerchantResource(user=clerk).import_data(data, dry_run=False)
    assert not result.has_errors() and not result.has_validation_errors()
    created = Merchant.objects.get(name="新开张超市")
    assert audit_entries_for(created).get(action="merchant.create").actor == clerk

    again = tablib.Dataset(row("老街面馆（改）", code=uscc(7)), headers=HEADERS)
    refused = MerchantResource(user=clerk).import_data(again, dry_run=False)
    assert refused.has_validation_errors()
    stored = Merchant.objects.get(pk=existing.pk)
    assert (stored.name, stored.stars, stored.rating_digest) == ("老街面馆", 4, 4242)
    assert not audit_entries_for(existing).filter(action="merchant.update").exists()


def test_import_save_of_an_existing_row_writes_only_changed_columns(clerk):
    m = merchant_in("410802", name="老街面馆", address="民主路1号")
    loaded = Merchant.objects.get(pk=m.pk)  # as a resource would have loaded it
    _recompute_meanwhile(m)
    loaded.address = "新华街8号"
    MerchantResource(user=clerk).do_instance_save(loaded, is_create=False)
    stored = Merchant.objects.get(pk=m.pk)
    assert (stored.address, stored.stars, stored.credit_class) == ("新华街8号", 4, "B")
    assert audit_entries_for(m).get(action="merchant.update").data == {"fields": ["address"]}


# --- regions --------------------------------------------------------------------------------------


@pytest.fixture
def root(regions):
    return UserFactory(username="root", is_staff=True, is_superuser=True)


def _new_district(code="410899", name="示范区") -> Region:
    return Region.objects.create(code=code, name=name, level=RegionLevel.DISTRICT, parent_id="410800")


def _messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_region_edit_in_the_admin_is_audited_and_refreshes_the_tree_on_commit(
    client, root, django_capture_on_commit_callbacks
):
    district = Region.objects.get(pk="410802")
    region_tree.region_exists("410802")  # the tree is cached
    client.force_login(root)
    url = reverse("admin:merchants_region_change", args=["410802"])
    assert "readonly" in client.get(url).content.decode()  # the code is shown, not editable
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(url, {"name": "解放新区", "level": district.level, "parent": "410800"})
    assert response.status_code == 302 and callbacks
    assert region_tree._tree()[1]["410802"] == "解放新区"
    entry = audit_entries_for(district).get(action="region.update")
    assert entry.actor == root and entry.data["fields"] == ["name"]


def test_only_system_administrators_write_regions(regions):
    city = make_staff("410800", StaffRole.CITY_BUREAU)
    district = Region.objects.get(pk="410802")
    district.name = "改名区"
    with pytest.raises(NotPermitted):
        region_save(region=district, actor=city, changed_fields=["name"])
    with pytest.raises(NotPermitted):
        region_delete(region=_new_district(), actor=city)
    assert Region.objects.get(pk="410802").name != "改名区"


def test_a_region_cannot_hang_below_itself(root):
    city = Region.objects.get(pk="410800")
    city.parent_id = "410802"
    with pytest.raises(ValidationFailed, match="下级"):
        region_save(region=city, actor=root, changed_fields=["parent"])


@pytest.mark.parametrize(
    "occupy, word",
    [
        (lambda r: merchant_in(r.code), "市场主体"),
        (lambda r: Region.objects.create(code="410898", name="某街道", level=RegionLevel.DISTRICT, parent=r), "下级区划"),
        (lambda r: make_staff(r.code, StaffRole.DISTRICT_BRANCH), "工作人员"),
    ],
)
def test_deleting_a_region_in_use_shows_the_reason_on_its_page(client, root, occupy, word):
    region = _new_district()
    occupy(region)
    client.force_login(root)
    response = client.post(reverse("admin:merchants_region_delete", args=[region.pk]), {"post": "yes"})
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:merchants_region_change", args=[region.pk])
    assert any(word in m and "不能删除" in m for m in _messages(response))
    assert Region.objects.filter(pk=region.pk).exists()
    assert not AuditEntry.objects.filter(action="region.delete").exists()


def test_deleting_an_unused_region_is_audited_and_drops_it_from_the_tree(
    client, root, django_capture_on_commit_callbacks
):
    region = _new_district()
    region_tree._tree()  # the tree is cached, with the new region in it
    client.force_login(root)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("admin:merchants_region_delete", args=[region.pk]), {"post": "yes"})
    assert response.status_code == 302
    assert not Region.objects.filter(pk="410899").exists()
    assert not region_tree.region_exists("410899")
    entry = AuditEntry.objects.get(action="region.delete", object_id="410899")
    assert entry.actor == root and entry.data["name"] == "示范区"


def test_region_list_offers_no_bulk_delete(client, root):
    client.force_login(root)
    page = client.get(reverse("admin:merchants_region_changelist")).content.decode()
    assert "delete_selected" not in page


def test_deleting_a_region_a_campaign_still_names_is_refused_with_a_message(client, root):
    from tests.campaigns.conftest import make_campaign

    region = _new_district()
    make_campaign(region_code=region.code)
    client.force_login(root)
    response = client.post(reverse("admin:merchants_region_delete", args=[region.pk]), {"post": "yes"})
    assert response.status_code == 302
    assert any("仍被投诉、创建活动等记录引用" in m for m in _messages(response))
    assert Region.objects.filter(pk=region.pk).exists()
    assert not AuditEntry.objects.filter(action="region.delete").exists()
