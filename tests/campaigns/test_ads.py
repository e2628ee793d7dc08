"""Public-service ads: compliance arithmetic, report validation, verification, reminders, the board."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from campaigns.models import AdQuota, AdReport, AdReportStatus, ReminderLog
from campaigns.services import ad_reminders_send, ad_report_submit, ad_report_verify, psa_is_compliant
from integrity_portal.core.audit import audit_entries_for
from integrity_portal.core.errors import NotPermitted, TransitionNotAllowed, ValidationFailed
from tests.factories import MembershipFactory, MerchantFactory, UserFactory

from .conftest import png_bytes, today


@pytest.mark.parametrize(
    "total,psa,entrance,share,expected",
    [
        (100, 30, 1, 30, True),  # exactly the minimum
        (100, 29, 1, 30, False),  # just under
        (10, 3, 1, 30, True),
        (7, 2, 1, 30, False),  # 28.6 %
        (3, 1, 1, 30, True),  # 33.3 %
        (100, 60, 0, 30, False),  # no PSA at an entrance
        (0, 0, 0, 30, False),  # nothing shown at all
        (20, 10, 2, 50, True),
    ],
)
def test_psa_compliance_arithmetic(total, psa, entrance, share, expected):
    assert (
        psa_is_compliant(total_ads=total, psa_ads=psa, psa_at_entrance=entrance, min_share_percent=share)
        is expected
    )


@pytest.fixture
def quota(db):
    return AdQuota.objects.create(year=today().year)


def test_quota_defaults_to_31_may_30_percent_and_three_themes(quota):
    assert quota.deadline == date(today().year, 5, 31) and quota.min_share_percent == 30
    assert quota.themes == ["核心价值观", "讲文明树新风", "图说我们的价值观"]


@pytest.fixture
def venue(regions):
    return MerchantFactory(kind="market", is_large_venue=True, name="王府井百货")


def placement(**kw):
    return {
        "medium": "led",
        "location": "entrance",
        "total_ads": 10,
        "psa_ads": 4,
        "theme": "核心价值观",
        **kw,
    }


def test_report_sums_placements_and_audits(quota, venue):
    report = ad_report_submit(
        quota=quota,
        merchant=venue,
        period="2026年5月",
        actor=None,
        placements=[
            placement(),
            placement(location="prominent", medium="billboard", total_ads=20, psa_ads=5),
        ],
    )
    assert (report.total_ads, report.psa_ads, report.psa_at_entrance) == (30, 9, 4)
    assert report.placements.count() == 2 and report.status == AdReportStatus.SUBMITTED
    assert audit_entries_for(report).get().action == "ad_report.submit"


@pytest.mark.parametrize(
    "bad,message",
    [
        ({"psa_ads": 11}, "不能大于广告总数"),
        ({"total_ads": -1}, "不能为负数"),
        ({"psa_ads": -2}, "不能为负数"),
        ({"medium": "radio"}, "请选择媒介"),
        ({"total_ads": "x"}, "必须是整数"),
    ],
)
def test_report_with_bad_counts_is_refused_and_nothing_saved(quota, venue, bad, message):
    with pytest.raises(ValidationFailed, match=message):
        ad_report_submit(quota=quota, merchant=venue, period="5月", actor=None, placements=[placement(**bad)])
    assert not AdReport.objects.exists()


def test_report_from_a_venue_not_subject_to_the_quota_is_refused(quota, regions):
    with pytest.raises(NotPermitted):
        ad_report_submit(
            quota=quota, merchant=MerchantFactory(), period="5月", actor=None, placements=[placement()]
        )


def test_photo_that_is_not_an_image_is_refused(quota, venue):
    fake = SimpleUploadedFile("photo.jpg", b"%PDF-1.4 not an image", content_type="image/jpeg")
    with pytest.raises(ValidationFailed, match="图片"):
        ad_report_submit(
            quota=quota, merchant=venue, period="5月", actor=None, placements=[placement(photo=fake)]
        )
    assert not AdReport.objects.exists()


def test_photo_over_five_megabytes_is_refused(quota, venue):
    big = SimpleUploadedFile("big.png", png_bytes() + b"\0" * (5 * 1024 * 1024), content_type="image/png")
    with pytest.raises(ValidationFailed, match="5 MB"):
        ad_report_submit(
            quota=quota, merchant=venue, period="5月", actor=None, placements=[placement(photo=big)]
        )


def test_real_photo_is_stored(quota, venue):
    photo = SimpleUploadedFile("entrance.png", png_bytes(), content_type="image/png")
    report = ad_report_submit(
        quota=quota, merchant=venue, period="5月", actor=None, placements=[placement(photo=photo)]
    )
    assert report.placements.get().photo.name.endswith(".png")


def submitted_report(quota, venue, **kw):
    return ad_report_submit(
        quota=quota, merchant=venue, period="5月", actor=None, placements=[placement(**kw)]
    )


def test_verification_confirms_and_computes_compliance(quota, venue, district_staff):
    report = submitted_report(quota, venue)
    ad_report_verify(report=report, confirmed=True, note="现场属实", actor=district_staff)
    report.refresh_from_db()
    assert report.status == AdReportStatus.VERIFIED and report.is_compliant is True
    assert report.verified_by == district_staff
    assert audit_entries_for(report).filter(to_status="verified").exists()


def test_verified_but_below_share_is_not_compliant(quota, venue, city_staff):
    report = submitted_report(quota, venue, psa_ads=2)  # 20 %
    ad_report_verify(report=report, confirmed=True, note="", actor=city_staff)
    report.refresh_from_db()
    assert report.status == AdReportStatus.VERIFIED and report.is_compliant is False


def test_refuting_needs_a_note_and_verifying_twice_is_refused(quota, venue, district_staff):
    report = submitted_report(quota, venue)
    with pytest.raises(ValidationFailed, match="核查说明"):
        ad_report_verify(report=report, confirmed=False, note="", actor=district_staff)
    ad_report_verify(report=report, confirmed=False, note="入口处未见公益广告", actor=district_staff)
    report.refresh_from_db()
    assert report.status == AdReportStatus.REJECTED and report.is_compliant is False
    with pytest.raises(TransitionNotAllowed):
        ad_report_verify(report=report, confirmed=True, note="", actor=district_staff)


def test_another_district_cannot_verify(quota, venue, other_district_staff):
    report = submitted_report(quota, venue)
    with pytest.raises(NotPermitted):
        ad_report_verify(report=report, confirmed=True, note="", actor=other_district_staff)


# --- reminders --------------------------------------------------------------------------------------


@pytest.fixture
def venue_with_owner(venue):
    MembershipFactory(user=UserFactory(email="owner@wfj.example.cn"), merchant=venue)
    return venue


def test_reminders_go_out_once_at_14_7_and_1_days(
    quota, venue_with_owner, django_capture_on_commit_callbacks
):
    deadline = quota.deadline
    for days, expected_threshold in ((14, 14), (14, None), (13, None), (7, 7), (7, None), (1, 1), (0, None)):
        with django_capture_on_commit_callbacks(execute=True):
            sent = ad_reminders_send(today=deadline - timedelta(days=days))
        assert (sent.reminded, sent.sent) == ((1, 1) if expected_threshold else (0, 0)), days
    assert sorted(ReminderLog.objects.values_list("days_before", flat=True)) == [1, 7, 14]
    assert len(mail.outbox) == 3 and mail.outbox[0].to == ["owner@wfj.example.cn"]
    assert "公益广告" in mail.outbox[0].subject
    assert not ad_reminders_send(today=deadline + timedelta(days=1)).reminded


def test_reminder_missed_on_its_day_is_sent_on_the_next_run(quota, venue_with_owner):
    assert ad_reminders_send(today=quota.deadline - timedelta(days=12)).sent == 1
    assert ReminderLog.objects.get().days_before == 14


def test_compliant_venue_gets_no_reminder(quota, venue_with_owner, district_staff):
    report = submitted_report(quota, venue_with_owner)
    ad_report_verify(report=report, confirmed=True, note="", actor=district_staff)
    assert ad_reminders_send(today=quota.deadline - timedelta(days=7)).reminded == 0
    assert not ReminderLog.objects.exists()


def test_reminder_task_runs_the_service(quota, venue_with_owner, monkeypatch):
    from campaigns import tasks
    from campaigns.services import ads

    monkeypatch.setattr(ads.timezone, "localdate", lambda: quota.deadline - timedelta(days=1))
    assert tasks.send_ad_quota_reminders.delay().get() == {"reminded": 1, "sent": 1, "undeliverable": 0}
    assert tasks.send_ad_quota_reminders.delay().get() == {"reminded": 0, "sent": 0, "undeliverable": 0}


# --- board ------------------------------------------------------------------------------------------


def test_progress_board_counts_per_district_within_the_viewers_region(
    quota, regions, district_staff, city_staff
):
    from campaigns.selectors import ad_progress_board
    from merchants.models import Region

    jiefang, zhongzhan = Region.objects.get(pk="410802"), Region.objects.get(pk="410803")
    compliant = MerchantFactory(is_large_venue=True, region=jiefang)
    reported = MerchantFactory(is_large_venue=True, region=jiefang)
    MerchantFactory(is_large_venue=True, region=jiefang)  # not reported
    MerchantFactory(is_large_venue=True, region=zhongzhan)
    MerchantFactory(is_large_venue=False, region=jiefang)  # not required
    ad_report_verify(report=submitted_report(quota, compliant), confirmed=True, note="", actor=district_staff)
    submitted_report(quota, reported)

    board = ad_progress_board(quota=quota, user=city_staff, today=quota.deadline - timedelta(days=10))
    rows = {r["region"]: r for r in board["rows"]}
    assert (
        rows["410802"]["required"],
        rows["410802"]["reported"],
        rows["410802"]["verified"],
        rows["410802"]["compliant"],
    ) == (3, 2, 1, 1)
    assert rows["410803"]["required"] == 1 and rows["410803"]["reported"] == 0
    assert board["days_left"] == 10 and board["totals"]["required"] == 4

    district_board = ad_progress_board(quota=quota, user=district_staff)
    assert [r["region"] for r in district_board["rows"]] == ["410802"]


def test_progress_board_admin_view_and_export(client, quota, regions, city_staff):
    MerchantFactory(is_large_venue=True)
    client.force_login(city_staff)
    page = client.get(reverse("admin:campaigns_adquota_board", args=[quota.pk]))
    body = page.content.decode()
    assert page.status_code == 200 and "解放区" in body and 'class="bars"' in body
    csv = client.get(reverse("admin:campaigns_adquota_board_export", args=[quota.pk, "csv"]))
    assert "解放区,1,0,0,0" in csv.content.decode("utf-8-sig")
    xlsx = client.get(reverse("admin:campaigns_adquota_board_export", args=[quota.pk, "xlsx"]))
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"


def test_admin_verify_view_records_the_result(client, quota, venue, district_staff):
    report = submitted_report(quota, venue)
    client.force_login(district_staff)
    url = reverse("admin:campaigns_adreport_verify", args=[report.pk])
    assert client.get(url).status_code == 200
    assert client.post(url, {"result": "refuted", "note": ""}).status_code == 400
    assert client.post(url, {"result": "confirmed", "note": "属实"}).status_code == 302
    report.refresh_from_db()
    assert report.is_compliant is True


def test_other_district_gets_404_on_the_verify_view(client, quota, venue, other_district_staff):
    report = submitted_report(quota, venue)
    client.force_login(other_district_staff)
    assert client.get(reverse("admin:campaigns_adreport_verify", args=[report.pk])).status_code == 404
