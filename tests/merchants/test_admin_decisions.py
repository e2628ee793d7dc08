"""Deciding a credit repair or a rating appeal on the record's own admin page: buttons while the status
allows the decision, the typed reason in the audit, region scoping, permissions, CSRF, repeated posts."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from integrity_portal.core.audit import audit_entries_for
from integrity_portal.core.roles import StaffRole
from merchants.models import AppealStatus, ListEntryKind, RepairStatus
from merchants.services import recourse
from merchants.services.credit import repair_request_submit
from merchants.services.rating import ratings_recompute
from tests.factories import MerchantFactory, make_staff
from tests.merchants.credit_factories import blacklist, inspect
from tests.upload_samples import pdf_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture
def district(regions):
    return make_staff("410802", StaffRole.DISTRICT_BRANCH)


@pytest.fixture
def repair(regions):
    merchant = MerchantFactory(region=regions["410802"])
    entry = blacklist(merchant, kind=ListEntryKind.ABNORMAL_OPERATION)
    return repair_request_submit(
        merchant=merchant,
        list_entry=entry,
        application="已补报年报。",
        pledge_text="守法诚信经营。",
        pledge_signed=True,
        evidence_files=[SimpleUploadedFile("receipt.pdf", pdf_bytes())],
        actor=None,
    )


@pytest.fixture
def appeal(regions):
    merchant = MerchantFactory(region=regions["410802"])
    inspect(merchant)
    ratings_recompute(merchant_ids=[merchant.pk])
    merchant.refresh_from_db()
    return recourse.appeal_file(merchant=merchant, grounds="检查当日店主不在，记录有误。", actor=None)


def change_url(obj) -> str:
    return reverse(f"admin:merchants_{obj._meta.model_name}_change", args=[obj.pk])


def decide_url(obj, decision: str) -> str:
    return reverse(f"admin:merchants_{obj._meta.model_name}_decide", args=[obj.pk, decision])


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_repair_page_shows_both_decisions_beside_the_evidence_while_submitted(client, district, repair):
    client.force_login(district)
    page = client.get(change_url(repair)).content.decode()
    assert decide_url(repair, "approve") in page and decide_url(repair, "refuse") in page
    assert page.index("下载证明材料") < page.index(decide_url(repair, "approve"))  # under the evidence
    assert 'form="decision-form"' in page and 'id="decision-form"' in page
    assert "style=" not in page.split('id="decision-heading"')[1].split("</fieldset>")[0]

    client.post(decide_url(repair, "approve"), {"reason": "整改到位"})
    page = client.get(change_url(repair)).content.decode()
    assert decide_url(repair, "approve") not in page and decide_url(repair, "refuse") not in page


def test_refusal_on_the_page_needs_a_reason_and_audits_the_typed_one(client, district, repair):
    client.force_login(district)
    response = client.post(decide_url(repair, "refuse"), {"reason": "  "})
    assert response.status_code == 302 and response["Location"] == change_url(repair)
    assert any("原因" in m for m in messages_of(response))
    repair.refresh_from_db()
    assert repair.status == RepairStatus.SUBMITTED

    response = client.post(decide_url(repair, "refuse"), {"reason": "年报仍未补报完整"})
    assert response.status_code == 302
    repair.refresh_from_db()
    assert repair.status == RepairStatus.REFUSED and repair.decided_by == district
    entry = audit_entries_for(repair).get(action="repair.refused")
    assert entry.actor == district and entry.note == "年报仍未补报完整"
    assert repair.list_entry.ended_at is None


def test_repeated_approval_is_answered_with_a_message_and_audited_once(client, district, repair):
    client.force_login(district)
    first = client.post(decide_url(repair, "approve"), {"reason": "整改到位"})
    second = client.post(decide_url(repair, "approve"), {"reason": "整改到位"})
    assert first.status_code == second.status_code == 302
    assert any("本次提交未作处理" in m for m in messages_of(second))
    assert audit_entries_for(repair).filter(action="repair.approved").count() == 1
    refuse_late = client.post(decide_url(repair, "refuse"), {"reason": "改主意"}, follow=True)
    assert refuse_late.status_code == 200 and "本次提交未作处理" in refuse_late.content.decode()
    repair.refresh_from_db()
    assert repair.status == RepairStatus.APPROVED


def test_other_district_gets_404_and_staff_without_change_permission_403(client, regions, repair):
    client.force_login(make_staff("410803", StaffRole.DISTRICT_BRANCH))
    assert client.post(decide_url(repair, "approve"), {"reason": "整改到位"}).status_code == 404
    inspector = make_staff("410802", StaffRole.INSPECTOR)  # may view repair requests, not decide them
    client.force_login(inspector)
    assert client.get(change_url(repair)).status_code == 200
    assert decide_url(repair, "approve") not in client.get(change_url(repair)).content.decode()
    assert client.post(decide_url(repair, "approve"), {"reason": "整改到位"}).status_code == 403
    listing = client.get(reverse("admin:merchants_creditrepairrequest_changelist")).content.decode()
    assert 'value="approve"' not in listing  # nor through the bulk action
    repair.refresh_from_db()
    assert repair.status == RepairStatus.SUBMITTED and not audit_entries_for(repair).filter(
        action="repair.approved"
    ).exists()


def test_decision_url_takes_only_a_post_with_a_csrf_token(regions, district, repair):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(district)
    assert browser.get(decide_url(repair, "approve")).status_code == 405
    assert browser.post(decide_url(repair, "approve"), {"reason": "整改到位"}).status_code == 403
    page = browser.get(change_url(repair))
    token = page.context["csrf_token"]
    response = browser.post(decide_url(repair, "approve"), {"reason": "整改到位", "csrfmiddlewaretoken": str(token)})
    assert response.status_code == 302
    repair.refresh_from_db()
    assert repair.status == RepairStatus.APPROVED


def test_bulk_decisions_stay_on_the_list(client, district, repair):
    client.force_login(district)
    listing = client.get(reverse("admin:merchants_creditrepairrequest_changelist")).content.decode()
    assert 'value="approve"' in listing and 'value="refuse"' in listing


def test_appeal_is_decided_on_its_page_with_the_typed_reason(client, district, appeal):
    client.force_login(district)
    page = client.get(change_url(appeal)).content.decode()
    assert decide_url(appeal, "uphold") in page and decide_url(appeal, "dismiss") in page
    response = client.post(decide_url(appeal, "dismiss"), {"reason": "记录与现场照片一致，维持评定"})
    assert response.status_code == 302
    appeal.refresh_from_db()
    assert appeal.status == AppealStatus.DISMISSED
    entry = audit_entries_for(appeal).get(to_status=AppealStatus.DISMISSED)
    assert entry.actor == district and entry.note == "记录与现场照片一致，维持评定"
    again = client.post(decide_url(appeal, "uphold"), {"reason": "改判"})
    assert any("本次提交未作处理" in m for m in messages_of(again))
    decisions = audit_entries_for(appeal).exclude(action__startswith="notice.")  # no account: undeliverable notice
    assert decisions.exclude(to_status=AppealStatus.OPEN).count() == 1


def test_appeal_refusal_by_the_service_is_an_error_message_not_a_500(client, regions):
    inspector_district = make_staff("410802", StaffRole.DISTRICT_BRANCH)
    merchant = MerchantFactory(region=regions["410802"])
    inspect(merchant, actor=inspector_district)  # took part in the facts behind the rating
    ratings_recompute(merchant_ids=[merchant.pk])
    merchant.refresh_from_db()
    appeal = recourse.appeal_file(merchant=merchant, grounds="检查人员认定有误。", actor=None)
    client.force_login(inspector_district)
    response = client.post(decide_url(appeal, "uphold"), {"reason": "予以纠正"}, follow=True)
    assert response.status_code == 200
    assert "须由未参与的工作人员处理申诉" in response.content.decode()
    appeal.refresh_from_db()
    assert appeal.status == AppealStatus.OPEN


def test_appeal_of_another_district_is_404_and_view_only_staff_403(client, regions, appeal):
    client.force_login(make_staff("410803", StaffRole.DISTRICT_BRANCH))
    assert client.post(decide_url(appeal, "uphold"), {"reason": "予以纠正"}).status_code == 404
    client.force_login(make_staff("410802", StaffRole.INSPECTOR))
    assert client.post(decide_url(appeal, "uphold"), {"reason": "予以纠正"}).status_code == 403
    appeal.refresh_from_db()
    assert appeal.status == AppealStatus.OPEN
