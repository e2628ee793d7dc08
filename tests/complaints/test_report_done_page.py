"""The page after filing says only what is true: an anonymous report cannot be tracked by code and phone
and its code cannot be sent anywhere, so the page neither promises the one nor offers the other."""

from __future__ import annotations

import pytest
from django.urls import reverse

from complaints.models import Complaint

from .test_public_pages import form_data

pytestmark = pytest.mark.django_db

ANONYMOUS_REPORT = {"kind": "report", "anonymous": "on", "name": "", "phone": "", "address": "", "consent": ""}


def test_anonymous_report_page_promises_no_tracking_and_offers_no_send_code(client, regions):
    response = client.post(reverse("complaints:new"), form_data(**ANONYMOUS_REPORT), follow=True)
    report = Complaint.objects.get()
    assert report.anonymous
    body = response.content.decode()
    assert report.tracking_code in body
    assert "无法在线查询办理进度，也无法发送查询码" in body
    assert "凭查询码和手机号码可查询办理进度" not in body
    assert "发送查询码" not in body.replace("也无法发送查询码", "")
    assert reverse("complaints:send_code") not in body
    assert reverse("complaints:track") not in body.split("<main", 1)[1].split("</main>", 1)[0]
    again = client.get(reverse("complaints:submitted")).content.decode()  # codes shown once; still honest
    assert "无法在线查询办理进度" in again and reverse("complaints:send_code") not in again


def test_named_complaint_page_still_offers_tracking_and_send_code(client, regions):
    response = client.post(reverse("complaints:new"), form_data(), follow=True)
    body = response.content.decode()
    assert "凭查询码和手机号码可查询办理进度" in body
    assert reverse("complaints:send_code") in body
    assert "无法在线查询办理进度" not in body
