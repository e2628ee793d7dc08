# ruff: noqa: F811 (the staff fixtures are imported from tests.complaints.conftest)
"""Staff re-send a failed notice (failed → queued, ``notice_resend``): from the Notice admin's list or
its page, only within their region, only a failed one, audited; district clerks see their region's
notices through the role grants (core.roles)."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from integrity_portal.core.audit import audit_entries_for
from integrity_portal.core.errors import NotFound, NotPermitted, TransitionNotAllowed, ValidationFailed
from notifications.models import Notice
from notifications.services import notice_enqueue, notice_resend
from tests.complaints.conftest import (  # noqa: F401
    JIEFANG,
    ZHONGZHAN,
    city_staff,
    district_staff,
    inspector,
    other_district_staff,
)

pytestmark = pytest.mark.django_db

PHONE = "13912345678"
ERROR = "SMSPermanentError: isv.MOBILE_NUMBER_ILLEGAL: 非法手机号"


def _notice(about, *, status="failed", region=JIEFANG, key="complaint:7:accepted") -> Notice:
    notice = notice_enqueue(
        key=key, channel="sms", address=PHONE, subject="", body="您的投诉已受理。", language="zh-hans",
        about=about, region_code=region,
    )  # fmt: skip
    Notice.objects.filter(pk=notice.pk).update(
        status=status, attempts=5, last_error=ERROR, next_attempt_at=None
    )
    notice.refresh_from_db()
    return notice


def test_a_failed_notice_is_queued_again_audited_and_sent_after_commit(
    about,
    district_staff,
    sms_file,
    django_capture_on_commit_callbacks,
):
    notice = _notice(about)
    with django_capture_on_commit_callbacks(execute=True):
        notice_resend(notice_id=notice.pk, actor=district_staff)
    notice.refresh_from_db()
    assert (notice.status, notice.attempts, notice.last_error) == ("sent", 1, "")
    assert [line["to"] for line in sms_file.lines()] == [PHONE]
    [entry] = audit_entries_for(about).filter(action="notice.resent")
    assert (entry.actor, entry.from_status, entry.to_status) == (district_staff, "failed", "queued")
    assert entry.note == ERROR and entry.data["notice"] == notice.pk


def test_the_resent_notice_starts_its_attempts_from_zero(about, district_staff):
    notice = _notice(about)
    notice_resend(notice_id=notice.pk, actor=district_staff)  # on-commit dispatch not run here
    notice.refresh_from_db()
    assert (notice.status, notice.attempts) == ("queued", 0)
    assert notice.next_attempt_at <= timezone.now()


@pytest.mark.parametrize("status", ["queued", "sending", "sent", "undeliverable"])
def test_only_a_failed_notice_can_be_resent(about, district_staff, status):
    notice = _notice(about, status=status)
    with pytest.raises(TransitionNotAllowed) as refused:
        notice_resend(notice_id=notice.pk, actor=district_staff)
    assert "只能重新发送“发送失败”的通知" in refused.value.message
    notice.refresh_from_db()
    assert notice.status == status
    assert not audit_entries_for(about).filter(action="notice.resent").exists()


def test_another_regions_notice_is_not_found_and_a_role_without_the_grant_is_refused(
    about,
    other_district_staff,
    inspector,
    city_staff,
):
    notice = _notice(about)
    with pytest.raises(NotFound):
        notice_resend(notice_id=notice.pk, actor=other_district_staff)
    with pytest.raises(NotPermitted):
        notice_resend(notice_id=notice.pk, actor=inspector)  # same district, no resend_notice
    notice_resend(notice_id=notice.pk, actor=city_staff)  # the city covers its districts
    assert Notice.objects.get(pk=notice.pk).status == "queued"


def test_an_anonymised_notice_cannot_be_resent(about, district_staff):
    notice = _notice(about)
    Notice.objects.filter(pk=notice.pk).update(address="", body="", anonymised_at=timezone.now())
    with pytest.raises(ValidationFailed):
        notice_resend(notice_id=notice.pk, actor=district_staff)


def _messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_district_clerks_see_their_regions_notices_in_the_admin(client, about, district_staff):
    mine, theirs = _notice(about), _notice(about, region=ZHONGZHAN, key="complaint:8:accepted")
    client.force_login(district_staff)
    page = client.get(reverse("admin:notifications_notice_changelist"))
    assert page.status_code == 200
    listed = list(page.context["cl"].result_list)
    assert listed == [mine] and theirs not in listed
    assert "139****5678" in page.content.decode() and PHONE not in page.content.decode()
    assert client.get(reverse("admin:notifications_notice_change", args=[theirs.pk])).status_code == 404


def test_the_resend_button_on_the_notice_page(client, about, district_staff, other_district_staff):
    notice = _notice(about)
    change = reverse("admin:notifications_notice_change", args=[notice.pk])
    decide = reverse("admin:notifications_notice_decide", args=[notice.pk, "resend"])
    client.force_login(other_district_staff)
    assert client.post(decide).status_code == 404

    client.force_login(district_staff)
    assert decide in client.get(change).content.decode()
    response = client.post(decide)
    assert response.status_code == 302 and response["Location"] == change
    assert "该通知已重新排队发送。" in _messages(response)
    assert Notice.objects.get(pk=notice.pk).status == "queued"
    assert decide not in client.get(change).content.decode()  # no longer failed: no button
    again = client.post(decide)
    assert any("本次提交未作处理" in m for m in _messages(again))
    assert audit_entries_for(about).filter(action="notice.resent").count() == 1


def test_the_list_action_resends_the_failed_and_explains_the_others(client, about, district_staff):
    failed, sent = _notice(about), _notice(about, status="sent", key="complaint:9:accepted")
    client.force_login(district_staff)
    response = client.post(
        reverse("admin:notifications_notice_changelist"),
        {"action": "resend_selected", "_selected_action": [failed.pk, sent.pk]},
    )
    assert response.status_code == 302
    messages = _messages(response)
    assert "已重新排队发送 1 条通知。" in messages
    assert any("只能重新发送“发送失败”的通知" in m for m in messages)
    assert (
        Notice.objects.get(pk=failed.pk).status == "queued"
        and Notice.objects.get(pk=sent.pk).status == "sent"
    )


def test_an_inspector_neither_lists_notices_nor_resends(client, about, inspector):
    notice = _notice(about)
    client.force_login(inspector)
    assert client.get(reverse("admin:notifications_notice_changelist")).status_code == 403
    assert client.post(
        reverse("admin:notifications_notice_decide", args=[notice.pk, "resend"])
    ).status_code in (403, 404)
    assert Notice.objects.get(pk=notice.pk).status == "failed"
