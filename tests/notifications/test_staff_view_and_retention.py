"""Staff see each notice's delivery beside the complaint (masked, region-scoped), and a notice's
address and text are anonymised with the complaint (issue #16 item 1; core.retention)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from complaints.models import Complaint
from complaints.services import complaint_apply_action
from complaints.services.retention import complaint_anonymise
from integrity_portal.core.retention import personal_data_anonymise_all
from notifications.models import Notice
from notifications.selectors import notices_about
from notifications.services import notice_deliver
from tests.complaints.conftest import (  # noqa: F401
    JIEFANG,
    ZHONGZHAN,
    city_staff,
    district_staff,
    file_complaint,
    other_district_staff,
)

pytestmark = pytest.mark.django_db


def _filed(**kwargs):
    """A complaint whose filing notice ("received", tested in test_complaint_notices.py) is set aside, so
    each test here sees the notices of its own event only."""
    c = file_complaint(**kwargs)
    Notice.objects.filter(key=f"complaint:{c.pk}:received").delete()
    return c


class RefusingSMS:
    def send(self, phone, text):
        raise OSError("gateway unreachable")


def test_the_handling_page_lists_the_notices_masked_with_status_and_error(client, district_staff, broker_down, settings):  # noqa: F811
    c = _filed(email="wang@example.com")
    complaint_apply_action(complaint=c, actor=district_staff, action="accept")
    settings.SMS_BACKEND = f"{__name__}.RefusingSMS"
    sms = Notice.objects.get(object_id=str(c.pk), channel="sms")
    assert notice_deliver(notice_id=sms.pk) == "queued"

    client.force_login(district_staff)
    page = client.get(reverse("admin:complaints_complaint_change", args=[c.pk])).content.decode()
    notices = page.split("<h3>通知</h3>")[1].split("</table>")[0]
    assert "139****5678" in notices and "13912345678" not in notices
    assert "wan****.com" in notices and "wang@example.com" not in notices
    assert "短信" in notices and "电子邮件" in notices and "待发送" in notices
    assert "OSError: gateway unreachable" in notices


def test_notices_are_listed_only_within_the_viewers_region(district_staff, other_district_staff, city_staff, broker_down):  # noqa: F811
    c = _filed()
    complaint_apply_action(complaint=c, actor=city_staff, action="accept")
    assert [n.address for n in notices_about(c, viewer=district_staff)] == ["139****5678"]
    assert [n.address for n in notices_about(c, viewer=city_staff)] == ["139****5678"]
    assert notices_about(c, viewer=other_district_staff) == []


def test_anonymising_a_complaint_erases_its_notices_and_a_queued_one_is_never_sent(city_staff, broker_down, sms_file):  # noqa: F811
    c = _filed(email="wang@example.com")
    complaint_apply_action(complaint=c, actor=city_staff, action="accept")
    email = Notice.objects.get(object_id=str(c.pk), channel="email")
    Notice.objects.filter(pk=email.pk).update(status="sent", sent_at=timezone.now())

    assert complaint_anonymise(complaint=c, actor=None)

    rows = sorted(Notice.objects.filter(object_id=str(c.pk)).values_list("channel", "status", "address", "body", "subject"))
    assert rows == [("email", "sent", "", "", ""), ("sms", "undeliverable", "", "", "")]
    assert not Notice.objects.filter(object_id=str(c.pk), anonymised_at__isnull=True).exists()
    broker_down.up()
    assert notice_deliver(notice_id=Notice.objects.get(object_id=str(c.pk), channel="sms").pk) == ""
    assert sms_file.lines() == []


def test_the_nightly_retention_run_anonymises_old_finished_notices(city_staff, broker_down, settings):  # noqa: F811
    settings.PERSONAL_DATA_RETENTION_DAYS = 30
    c = _filed()
    complaint_apply_action(complaint=c, actor=city_staff, action="accept")
    old = Notice.objects.get(object_id=str(c.pk))
    Notice.objects.filter(pk=old.pk).update(status="sent", created_at=timezone.now() - timedelta(days=31))
    recent = _filed(phone="13800001111")
    complaint_apply_action(complaint=recent, actor=city_staff, action="accept")
    Complaint.objects.filter(pk=recent.pk).update(status="mediated")

    assert personal_data_anonymise_all()["notifications"] == 1
    old.refresh_from_db()
    assert (old.address, old.body, old.anonymised_at is not None) == ("", "", True)
    assert Notice.objects.get(object_id=str(recent.pk)).address == "13800001111"  # queued and recent: kept
