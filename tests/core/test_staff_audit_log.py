"""The audit log for staff (/admin/audit-log/, core/staff_audit.py): region-scoped, filterable by merchant,
object, actor, action and date, in words; superusers see everything; read-only."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from django.utils import timezone

from complaints.audit_actions import AuditAction as ComplaintAction
from complaints.models import Complaint
from complaints.services import complaint_accept
from integrity_portal.core.audit import AuditAction as CoreAction
from integrity_portal.core.audit import audit_log
from integrity_portal.core.models import AuditEntry
from integrity_portal.core.roles import StaffRole
from integrity_portal.core.staff_audit import audit_entries_filtered, audit_entries_for_staff
from tests.complaints.conftest import CITY, JIEFANG, ZHONGZHAN, file_complaint
from tests.factories import MerchantFactory, UserFactory, make_staff

URL = "/admin/audit-log/"


@pytest.fixture
def log(regions):
    """Entries about a Jiefang complaint (its merchant named), a Zhongzhan complaint, and a user's device."""
    clerk = make_staff(JIEFANG, StaffRole.DISTRICT_BRANCH, username="jf_clerk")
    clerk.staff_profile.full_name = "解放区王科员"
    clerk.staff_profile.save(update_fields=["full_name"])
    other = make_staff(ZHONGZHAN, StaffRole.DISTRICT_BRANCH, username="zz_clerk")
    shop = MerchantFactory(name="解放区百货店")
    mine = file_complaint(region_code=JIEFANG, merchant_id=shop.pk, target_name="")
    theirs = file_complaint(region_code=ZHONGZHAN, target_name="中站区小店")
    complaint_accept(complaint=mine, actor=clerk)
    complaint_accept(complaint=theirs, actor=other)
    # An entry about a user (a two-factor device): superusers only.
    audit_log(actor=clerk, action=CoreAction.TWO_FACTOR_ENABLED, target=clerk)
    return {"clerk": clerk, "other": other, "shop": shop, "mine": mine, "theirs": theirs}


def _targets(entries) -> set[tuple[str, str]]:
    return {(e.content_type.model, e.object_id) for e in entries}


def test_district_user_sees_only_entries_of_their_region(log):
    entries = list(audit_entries_for_staff(log["clerk"]))
    assert entries and ("complaint", str(log["mine"].pk)) in _targets(entries)
    assert ("complaint", str(log["theirs"].pk)) not in _targets(entries)
    assert all(e.content_type.model != "user" for e in entries)
    assert {e.action for e in entries} >= {
        ComplaintAction.COMPLAINT_SUBMIT,
        ComplaintAction.COMPLAINT_ACCEPTED,
    }


def test_city_user_sees_every_district_and_superuser_everything(log):
    city = make_staff(CITY, StaffRole.CITY_BUREAU)
    seen = _targets(audit_entries_for_staff(city))
    assert {("complaint", str(log["mine"].pk)), ("complaint", str(log["theirs"].pk))} <= seen
    root = UserFactory(is_staff=True, is_superuser=True)
    assert audit_entries_for_staff(root).count() == AuditEntry.objects.count()
    assert audit_entries_for_staff(UserFactory()).count() == 0  # not staff


def test_filters_by_merchant_object_actor_action_and_date(log):
    clerk, root = log["clerk"], UserFactory(is_staff=True, is_superuser=True)
    by_merchant = _targets(audit_entries_filtered(root, merchant="百货店"))
    assert by_merchant and by_merchant <= {
        ("complaint", str(log["mine"].pk)),
        ("merchant", str(log["shop"].pk)),
    }
    ct = ContentType.objects.get_for_model(Complaint)
    by_object = audit_entries_filtered(root, content_type=ct, object_id=str(log["theirs"].pk))
    assert _targets(by_object) == {("complaint", str(log["theirs"].pk))}
    by_actor = audit_entries_filtered(root, actor="王科员")
    assert by_actor.count() == 2 and {e.actor_id for e in by_actor} == {clerk.pk}
    accepted = audit_entries_filtered(clerk, action=ComplaintAction.COMPLAINT_ACCEPTED.value)
    assert _targets(accepted) == {("complaint", str(log["mine"].pk))}  # the other district's is not there
    today = timezone.localdate()
    assert audit_entries_filtered(root, date_from=today, date_to=today).count() == AuditEntry.objects.count()
    assert not audit_entries_filtered(root, date_from=today + timedelta(days=1)).exists()
    assert not audit_entries_filtered(root, date_to=today - timedelta(days=1)).exists()


def test_page_reads_in_words_and_stays_in_the_region(client, log):
    client.force_login(log["clerk"])
    page = client.get(URL)
    html = page.content.decode().split('id="staff-audit-entries"')[1]  # the table, not the filter's options
    assert page.status_code == 200
    assert "受理" in html and "解放区王科员" in html and "complaint.accepted" not in html
    assert log["mine"].tracking_code in html and log["theirs"].tracking_code not in html
    assert reverse("admin:complaints_complaint_change", args=[log["mine"].pk]) in html
    filtered = client.get(
        URL, {"merchant": "解放区百货店", "action": ComplaintAction.COMPLAINT_ACCEPTED.value}
    )
    assert filtered.status_code == 200 and filtered.content.decode().count('class="audit-entry"') == 1


def test_page_refuses_bad_filters_with_a_message(client, log):
    client.force_login(log["clerk"])
    reversed_range = client.get(URL, {"date_from": "2026-12-02", "date_to": "2026-11-01"})
    assert reversed_range.status_code == 400 and "截止日期不能早于起始日期" in reversed_range.content.decode()
    assert client.get(URL, {"date_from": "not-a-date"}).status_code == 400
    assert client.get(URL, {"action": "made.up"}).status_code == 400
    assert client.get(URL, {"page": "0"}).status_code == 400


def test_page_paginates_without_counting(client, log, monkeypatch):
    from integrity_portal.core import views_staff

    monkeypatch.setattr(views_staff, "AUDIT_PAGE_SIZE", 2)
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    first = client.get(URL).content.decode()
    assert first.count('class="audit-entry"') == 2 and "page=2" in first
    last_page = AuditEntry.objects.count() // 2 + 1
    last = client.get(URL, {"page": last_page}).content.decode()
    assert "page=" + str(last_page + 1) not in last


def test_staff_without_a_region_are_refused(client, regions):
    staff = UserFactory(is_staff=True)
    client.force_login(staff)
    assert client.get(URL).status_code == 403


def test_page_is_read_only(client, log):
    client.force_login(log["clerk"])
    before = AuditEntry.objects.count()
    assert client.post(URL, {"merchant": "x"}).status_code == 405
    assert AuditEntry.objects.count() == before


def test_page_reads_a_bounded_number_of_queries(client, log):
    """The objects are read per type with what their names show (a membership names its user and merchant):
    more entries about more objects cost no more queries."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from merchants.audit_actions import AuditAction as MerchantAction
    from tests.factories import MembershipFactory

    def grant():
        audit_log(actor=log["clerk"], action=MerchantAction.MEMBERSHIP_GRANT, target=MembershipFactory())

    grant()
    client.force_login(make_staff(CITY, StaffRole.CITY_BUREAU))
    client.get(URL)  # warm the content-type cache and the user's permissions
    with CaptureQueriesContext(connection) as small:
        assert client.get(URL).status_code == 200
    for _ in range(6):
        grant()
    with CaptureQueriesContext(connection) as large:
        html = client.get(URL).content.decode()
    assert html.count("批准成员") >= 7
    assert len(large) == len(small)


def test_merchant_filter_with_nothing_searchable_matches_no_merchant(log):
    root = UserFactory(is_staff=True, is_superuser=True)
    assert not audit_entries_filtered(root, merchant="，。").exists()
    assert audit_entries_filtered(root, merchant=str(log["shop"].pk)).exists()  # the register number
