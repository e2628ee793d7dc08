"""Logs never carry a full phone number, an ID number or a tracking code (issue #11, "Also").

The SMS stub logged "SMS to 13912345678: 您的投诉举报查询码为 ABCD…" — the two things the tracking page
asks for, in one line of a log that operators, log shippers and backups all read.
"""

from __future__ import annotations

import logging

import pytest
from django.test import Client
from django.utils import timezone

from complaints.models import Complaint
from complaints.services import complaint_accept

from .conftest import JIEFANG

pytestmark = pytest.mark.django_db

PHONE = "13912345678"
ID_NUMBER = "410802199001011234"


def test_filing_and_notices_log_no_phone_id_number_or_tracking_code(
    caplog, regions, city_staff, django_capture_on_commit_callbacks
):
    caplog.set_level(logging.DEBUG)
    visitor = Client()
    data = {
        "kind": "complaint",
        "category": "price",
        "description": "结账时实际收费高于标价二十元，商家拒绝退还。",
        "name": "测试王芳",
        "phone": PHONE,
        "address": "测试地址人民路1号",
        "harm_known_on": str(timezone.localdate()),
        "target_name": "无名小店",
        "target_address": "解放路8号",
        "region": JIEFANG,
        "consent": "on",
    }
    with django_capture_on_commit_callbacks(execute=True):
        assert visitor.post("/complaints/new/", data).status_code == 302
        complaint = Complaint.objects.get()
        Complaint.objects.filter(pk=complaint.pk).update(complainant_id_number=ID_NUMBER)
        # The complainant asks for the code again; staff accept (a notice with the code goes out).
        assert visitor.post("/complaints/new/send-code/").status_code == 302
        complaint_accept(complaint=complaint, actor=city_staff)

    sms = [r for r in caplog.records if r.name == "notifications.sms"]
    assert len(sms) >= 2, "the SMS stub should still log that it sent something"
    assert any("139****5678" in r.getMessage() for r in sms)
    for record in caplog.records:
        text = record.getMessage() + repr(record.args)
        assert PHONE not in text, record.getMessage()
        assert ID_NUMBER not in text, record.getMessage()
        assert complaint.tracking_code not in text, record.getMessage()
