"""Portal pages: the merchant's complaint list, reply form, ODR toggle and the panel partial."""

from __future__ import annotations

import pytest
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.urls import reverse

from complaints.models import Status
from complaints.selectors import portal_merchant_panel
from complaints.services import complaint_accept, complaint_assign
from tests.factories import UserFactory

from .conftest import JIEFANG, file_complaint

pytestmark = pytest.mark.django_db


@pytest.fixture
def assigned(merchant, city_staff):
    c = file_complaint(merchant_id=merchant.pk, name="测试王芳")
    complaint_accept(complaint=c, actor=city_staff)
    complaint_assign(complaint=c, actor=city_staff, region_code=JIEFANG)
    return c


def test_portal_list_and_detail_hide_contact_data(client, member, assigned, merchant):
    report = file_complaint(kind="report", merchant_id=merchant.pk, description="举报内容独特标记文字")
    client.force_login(member)
    listing = client.get(reverse("portal_complaints:list")).content.decode()
    detail = client.get(reverse("portal_complaints:detail", args=[assigned.pk])).content.decode()
    for body in (listing, detail):
        for secret in ("13912345678", "测试地址", "测试王芳", "举报内容独特标记文字"):
            assert secret not in body
    assert "测***" in detail
    assert client.get(reverse("portal_complaints:detail", args=[report.pk])).status_code == 404


def test_portal_reply_form(client, member, assigned):
    client.force_login(member)
    url = reverse("portal_complaints:detail", args=[assigned.pk])
    assert client.post(url, {"body": "已与消费者电话沟通", "proposal": "退款50元"}).status_code == 302
    assigned.refresh_from_db()
    assert assigned.status == Status.MEDIATING and assigned.replies.get().proposal == "退款50元"


def test_stranger_gets_404(client, assigned, regions):
    client.force_login(UserFactory())
    assert client.get(reverse("portal_complaints:detail", args=[assigned.pk])).status_code == 404
    assert client.get(reverse("portal_complaints:list")).status_code == 200


def test_odr_toggle_in_portal(client, member, merchant):
    client.force_login(member)
    client.post(reverse("portal_complaints:odr", args=[merchant.pk]), {"enrolled": "1"})
    merchant.refresh_from_db()
    assert merchant.odr_enrolled
    stranger = UserFactory()
    client.force_login(stranger)
    assert (
        client.post(reverse("portal_complaints:odr", args=[merchant.pk]), {"enrolled": "0"}).status_code
        == 404
    )


def test_panel_shows_open_count_and_odr_form(member, merchant, assigned):
    request = RequestFactory().get("/portal/")
    request.user = member
    panel = portal_merchant_panel(viewer=member, merchant=merchant)
    html = render_to_string(
        "portal/partials/complaints_panel.html", {"merchant": merchant, "request": request, "panel": panel}
    )
    assert "待处理投诉 1 件" in html
    assert reverse("portal_complaints:odr", args=[merchant.pk]) in html
    assert f"?merchant={merchant.pk}" in html
