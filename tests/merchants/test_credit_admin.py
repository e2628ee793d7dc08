"""Credit admin: region scoping, actions through services, creation through services, read-only history."""

from __future__ import annotations

import pytest

from integrity_portal.core.audit import audit_entries_for
from integrity_portal.core.roles import StaffRole
from merchants.models import Merchant, Penalty, Rating
from merchants.services.rating import ratings_recompute
from tests.factories import MerchantFactory, make_staff
from tests.merchants.credit_factories import inspect, penalise, today

pytestmark = pytest.mark.django_db


@pytest.fixture
def district(regions, client):
    user = make_staff("410802", StaffRole.DISTRICT_BRANCH)
    client.force_login(user)
    return user


def test_district_staff_see_only_their_region(district, client, regions):
    mine = penalise(MerchantFactory(region=regions["410802"]))
    theirs = penalise(MerchantFactory(region=regions["410803"]))
    body = client.get("/admin/merchants/penalty/").content.decode()
    assert mine.decision_number in body and theirs.decision_number not in body
    assert client.get(f"/admin/merchants/penalty/{theirs.pk}/change/").status_code == 404
    assert client.get(f"/admin/merchants/penalty/{mine.pk}/change/").status_code == 200


def test_revoke_action_needs_reason_and_calls_the_service(district, client, regions):
    p = penalise(MerchantFactory(region=regions["410802"]))
    url = "/admin/merchants/penalty/"
    client.post(url, {"action": "revoke", "_selected_action": [p.pk], "reason": ""}, follow=True)
    p.refresh_from_db()
    assert p.revoked_at is None
    client.post(url, {"action": "revoke", "_selected_action": [p.pk], "reason": "复议撤销"}, follow=True)
    p.refresh_from_db()
    assert (
        p.revoked_at is not None
        and audit_entries_for(p).filter(action="penalty.revoke", actor=district).exists()
    )


def test_adding_a_penalty_in_the_admin_goes_through_the_service(district, client, regions):
    m = MerchantFactory(region=regions["410802"])
    Merchant.objects.filter(pk=m.pk).update(rating_stale=False)
    data = {
        "merchant": m.pk,
        "decision_number": "焦解市监处罚〔2026〕7号",
        "decided_on": today().isoformat(),
        "legal_basis": "《价格法》第四十二条",
        "kind": "fine",
        "fine_yuan": "3000",
        "tier": "moderate",
        "facts": "未明码标价",
    }
    assert client.post("/admin/merchants/penalty/add/", data).status_code == 302
    p = Penalty.objects.get(decision_number="焦解市监处罚〔2026〕7号")
    assert p.publicity_until is not None and Merchant.objects.get(pk=m.pk).rating_stale
    duplicate = client.post("/admin/merchants/penalty/add/", data)
    assert duplicate.status_code == 200 and Penalty.objects.count() == 1


def test_rating_history_is_read_only_and_scoped(district, client, regions):
    m = MerchantFactory(region=regions["410802"])
    inspect(m)
    ratings_recompute()
    rating = Rating.objects.get(merchant=m)
    assert client.get("/admin/merchants/rating/").status_code == 200
    assert client.get("/admin/merchants/rating/add/").status_code == 403
    assert client.get(f"/admin/merchants/rating/{rating.pk}/change/").status_code == 200


def test_admin_list_entry_refusals_become_form_errors_without_writes(district, client, regions):
    from merchants.models import ListEntry

    m = MerchantFactory(region=regions["410802"])
    data = {
        "merchant": m.pk,
        "list_name": "red",
        "kind": "serious_dishonesty",
        "reason": "提供虚假材料",
        "legal_basis": "《严重违法失信名单管理办法》",
        "decision_number": "焦解市监失信〔2026〕1号",
        "decided_by": "解放区市场监管局",
        "valid_from": today().isoformat(),
        "valid_until": "",
    }
    response = client.post("/admin/merchants/listentry/add/", data)
    assert response.status_code == 200 and "红名单类别无效" in response.content.decode()
    assert not ListEntry.objects.exists()
    data["list_name"] = "black"
    assert client.post("/admin/merchants/listentry/add/", data).status_code == 302
    entry = ListEntry.objects.get()
    assert entry.valid_until is not None and audit_entries_for(entry).filter(actor=district).count() == 1


def test_admin_future_penalty_is_a_form_error(district, client, regions):
    from datetime import timedelta

    m = MerchantFactory(region=regions["410802"])
    data = {
        "merchant": m.pk,
        "decision_number": "焦解市监处罚〔2026〕8号",
        "decided_on": (today() + timedelta(days=3)).isoformat(),
        "legal_basis": "《价格法》",
        "kind": "fine",
        "fine_yuan": "100",
        "tier": "minor",
        "facts": "",
    }
    response = client.post("/admin/merchants/penalty/add/", data)
    assert response.status_code == 200 and "不能晚于今天" in response.content.decode()
    assert not Penalty.objects.exists()
