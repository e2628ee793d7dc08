"""Staff admin: scoped queue with masked phones, due-date filter, handling page, actions, intake, export."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from complaints.models import Complaint, Status
from integrity_portal.core.audit import audit_entries_for
from tests.upload_samples import pdf_bytes

from .conftest import JIEFANG, ZHONGZHAN, file_complaint

pytestmark = pytest.mark.django_db
LIST = "admin:complaints_complaint_changelist"


def test_queue_masks_phones_and_is_region_scoped(client, district_staff):
    mine = file_complaint()
    theirs = file_complaint(region_code=ZHONGZHAN, phone="13955556666")
    client.force_login(district_staff)
    body = client.get(reverse(LIST)).content.decode()
    assert mine.tracking_code in body and theirs.tracking_code not in body
    assert "139****5678" in body and "13912345678" not in body
    assert client.get(reverse("admin:complaints_complaint_change", args=[theirs.pk])).status_code == 404


def test_due_date_filter_shows_overdue(client, district_staff, on_day):
    on_day(date(2026, 2, 12))
    late = file_complaint()
    on_day(date(2026, 11, 2))
    fresh = file_complaint()
    client.force_login(district_staff)
    body = client.get(reverse(LIST), {"due": "overdue"}).content.decode()
    assert late.tracking_code in body and fresh.tracking_code not in body


def test_handling_page_accepts_and_shows_errors(client, district_staff):
    c = file_complaint()
    client.force_login(district_staff)
    url = reverse("admin:complaints_complaint_change", args=[c.pk])
    page = client.get(url)
    assert page.status_code == 200 and "13912345678" in page.content.decode()  # full detail for the handler
    assert client.post(url, {"action": "accept"}).status_code == 302
    c.refresh_from_db()
    assert c.status == Status.ACCEPTED
    refused = client.post(url, {"action": "accept"})
    assert refused.status_code == 200 and "errorlist" in refused.content.decode()
    assert 'value="accept"' not in refused.content.decode()  # only moves the workflow allows are offered
    c.refresh_from_db()
    assert c.status == Status.ACCEPTED


def test_inspector_sees_but_cannot_handle(client, inspector):
    c = file_complaint()
    client.force_login(inspector)
    url = reverse("admin:complaints_complaint_change", args=[c.pk])
    assert client.get(url).status_code == 200
    assert client.post(url, {"action": "accept"}).status_code == 404
    c.refresh_from_db()
    assert c.status == Status.RECEIVED


def test_bulk_accept_action_reports_refusals(client, district_staff):
    a, b = file_complaint(), file_complaint(kind="report")
    client.force_login(district_staff)
    response = client.post(
        reverse(LIST), {"action": "accept_selected", "_selected_action": [a.pk, b.pk]}, follow=True
    )
    a.refresh_from_db()
    b.refresh_from_db()
    assert a.status == Status.ACCEPTED and b.status == Status.RECEIVED
    assert "举报" in response.content.decode()


def test_bulk_reject_action_records_the_legal_ground(client, district_staff):
    c = file_complaint()
    client.force_login(district_staff)
    client.post(reverse(LIST), {"action": "reject_over_three_years", "_selected_action": [c.pk]})
    c.refresh_from_db()
    assert c.status == Status.REJECTED and c.reject_reason == "over_three_years"
    assert audit_entries_for(c).get(to_status=Status.REJECTED).actor == district_staff


def test_assign_action_with_intermediate_page(client, city_staff):
    c = file_complaint()
    from complaints.services import complaint_accept

    complaint_accept(complaint=c, actor=city_staff)
    client.force_login(city_staff)
    page = client.post(reverse(LIST), {"action": "assign_selected", "_selected_action": [c.pk]})
    assert page.status_code == 200 and "中站区" in page.content.decode()
    client.post(reverse(LIST), {"action": "assign_selected", "_selected_action": [c.pk], "region": ZHONGZHAN})
    c.refresh_from_db()
    assert c.status == Status.ASSIGNED and c.region_id == ZHONGZHAN


def test_staff_intake_for_hotline(client, district_staff):
    client.force_login(district_staff)
    data = {
        "intake_channel": "12315",
        "kind": "complaint",
        "name": "测试来电人",
        "phone": "13911112222",
        "address": "测试地址胜利街1号",
        "harm_known_on": "2026-11-01",
        "target_name": "某某饭店",
        "target_address": "胜利街9号",
        "region": JIEFANG,
        "category": "food_safety",
        "description": "在饭店就餐后出现腹泻症状，怀疑食材变质。",
        "consent": "on",
    }
    response = client.post(reverse("admin:complaints_complaint_intake"), data)
    c = Complaint.objects.get()
    assert response.status_code == 302 and c.channel == "12315" and c.created_by == district_staff
    bad = client.post(reverse("admin:complaints_complaint_intake"), {**data, "description": "短"})
    assert bad.status_code == 200 and Complaint.objects.count() == 1


def test_monthly_export_per_district(client, city_staff, district_staff, on_day):
    on_day(date(2026, 11, 2))
    file_complaint()
    file_complaint(region_code=ZHONGZHAN, category="quality")
    client.force_login(city_staff)
    url = reverse("admin:complaints_complaint_statistics")
    month = timezone.localdate().strftime("%Y-%m")
    response = client.get(url, {"month": month, "format": "csv"})
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][:3] == ["区划代码", "辖区", "登记总数"]
    assert [r[0] for r in rows[1:]] == [JIEFANG, ZHONGZHAN]
    assert "按期办结率(%)" in rows[0]
    client.force_login(district_staff)
    rows = list(
        csv.reader(
            io.StringIO(client.get(url, {"month": month, "format": "csv"}).content.decode("utf-8-sig"))
        )
    )
    assert [r[0] for r in rows[1:]] == [JIEFANG]
    xlsx = client.get(url, {"month": month, "format": "xlsx"})
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    assert client.get(url).status_code == 200


def test_attachment_served_only_to_staff_of_the_region(client, district_staff, other_district_staff, member):
    pdf = SimpleUploadedFile("receipt.pdf", pdf_bytes(), content_type="application/pdf")
    c = file_complaint(attachments=[pdf])
    att = c.attachments.get()
    url = reverse("complaints:attachment", args=[att.pk])
    assert client.get(url).status_code == 404
    client.force_login(member)
    assert client.get(url).status_code == 404
    client.force_login(other_district_staff)
    assert client.get(url).status_code == 404
    client.force_login(district_staff)
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content).startswith(b"%PDF")


def test_handling_page_offers_only_allowed_moves_and_refuses_stale_posts(client, district_staff, merchant):
    from complaints.selectors import available_actions

    assert available_actions(file_complaint()) == ["accept", "reject", "link_merchant"]
    c = file_complaint(merchant_id=merchant.pk)
    assert available_actions(c) == ["accept", "reject"]
    client.force_login(district_staff)
    url = reverse("admin:complaints_complaint_change", args=[c.pk])
    client.post(url, {"action": "reject", "reject_reason": "outside_remit"})
    c.refresh_from_db()
    assert c.status == Status.REJECTED
    page = client.get(url).content.decode()
    assert "该件已办结" in page


def test_escalation_list_is_region_scoped(client, district_staff, other_district_staff, on_day):
    from complaints.services import complaints_escalate_overdue

    on_day(date(2026, 2, 12))
    c = file_complaint()
    on_day(date(2026, 3, 2))
    complaints_escalate_overdue()
    url = reverse("admin:complaints_escalation_changelist")
    client.force_login(district_staff)
    assert c.tracking_code in client.get(url).content.decode()
    client.force_login(other_district_staff)
    assert c.tracking_code not in client.get(url).content.decode()


def test_close_action_with_outcome(client, city_staff):
    from complaints.services import complaint_accept, complaint_assign, complaint_start_mediation

    done, early = file_complaint(), file_complaint()
    complaint_accept(complaint=done, actor=city_staff)
    complaint_assign(complaint=done, actor=city_staff, region_code=JIEFANG)
    complaint_start_mediation(complaint=done, actor=city_staff)
    client.force_login(city_staff)
    page = client.post(reverse(LIST), {"action": "close_selected", "_selected_action": [done.pk, early.pk]})
    assert page.status_code == 200 and "终止调解理由" in page.content.decode()
    response = client.post(
        reverse(LIST),
        {
            "action": "close_selected",
            "_selected_action": [done.pk, early.pk],
            "outcome": "close_mediated",
            "agreement": "商家退还货款200元",
        },
        follow=True,
    )
    done.refresh_from_db()
    early.refresh_from_db()
    assert done.status == Status.MEDIATED and done.agreement == "商家退还货款200元"
    assert early.status == Status.RECEIVED
    assert early.tracking_code in response.content.decode()  # the refusal is reported per item
