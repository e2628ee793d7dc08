"""PSA quotas per region (issue #11, item 5): a city sets its own quota for itself and its districts,
the national default (region empty, superuser-only) applies elsewhere, and no city reads, edits or
deletes another city's quota or picks another city's campaign in the admin.

Expected figures come from the scenario (40 % set by 焦作市, the national 30 %), not from the code.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse

from campaigns.facts import campaign_rating_facts
from campaigns.models import AdQuota, AdReport, AdReportStatus, ReminderLog
from campaigns.selectors import ad_progress_board, ad_quota_for, psa_status_for_merchant
from campaigns.services import (
    ad_quota_delete,
    ad_quota_save,
    ad_reminders_send,
    ad_report_submit,
    ad_report_verify,
    application_check_eligibility,
)
from integrity_portal.core.audit import audit_entries_for
from integrity_portal.core.errors import NotPermitted, ValidationFailed
from integrity_portal.core.roles import StaffRole
from tests.factories import MerchantFactory, UserFactory, make_staff

from .conftest import eligible_merchant, make_application, make_campaign, today

JIAOZUO, JIEFANG = "410800", "410802"  # 焦作市 and its 解放区
XUCHANG, WEIDU = "411000", "411002"  # 许昌市 and its 魏都区


@pytest.fixture
def national(db):
    """The national default of the year: 30 %, 31 May (model defaults)."""
    return AdQuota.objects.create(year=today().year)


@pytest.fixture
def jiaozuo_quota(regions, national, city_staff):
    """焦作市 sets its own 40 % through the service."""
    return ad_quota_save(
        quota=AdQuota(year=today().year, region=regions[JIAOZUO], min_share_percent=40), actor=city_staff
    )


@pytest.fixture
def xuchang_civility(regions):
    return make_staff(XUCHANG, StaffRole.CIVILITY_OFFICE)


@pytest.fixture
def xuchang_city(regions):
    return make_staff(XUCHANG, StaffRole.CITY_BUREAU)


def venue_in(regions, code: str, **kw):
    return MerchantFactory(kind="market", is_large_venue=True, region=regions[code], **kw)


def report_35_percent(quota, venue) -> AdReport:
    """20 ads of which 7 PSA (35 %), 3 at the entrance: enough for 30 %, not for 40 %."""
    return ad_report_submit(
        quota=quota,
        merchant=venue,
        period="5月",
        actor=None,
        placements=[
            {"medium": "led", "location": "entrance", "total_ads": 10, "psa_ads": 3},
            {"medium": "poster", "location": "prominent", "total_ads": 10, "psa_ads": 4},
        ],
    )


# --- which quota is in force ------------------------------------------------------------------------


def test_city_quota_overrides_national_default_for_its_districts_only(regions, national, jiaozuo_quota):
    year = today().year
    assert ad_quota_for(region=JIEFANG, year=year) == jiaozuo_quota
    assert ad_quota_for(region=regions[JIAOZUO], year=year) == jiaozuo_quota
    assert ad_quota_for(region=WEIDU, year=year) == national
    assert ad_quota_for(region=XUCHANG, year=year).min_share_percent == 30
    assert ad_quota_for(region=JIEFANG, year=year + 1) is None
    assert ad_quota_for(region=JIEFANG, year=year + 1, or_earlier=True) == jiaozuo_quota


def test_without_any_national_row_a_city_without_its_own_has_no_quota(regions, city_staff):
    own = ad_quota_save(quota=AdQuota(year=today().year, region=regions[JIAOZUO]), actor=city_staff)
    assert ad_quota_for(region=JIEFANG, year=today().year) == own
    assert ad_quota_for(region=WEIDU, year=today().year) is None


def test_compliance_uses_40_percent_in_the_city_that_set_it_and_30_elsewhere(
    regions, national, jiaozuo_quota, city_staff, xuchang_city
):
    in_jiaozuo = venue_in(regions, JIEFANG)
    in_xuchang = venue_in(regions, WEIDU)
    a = report_35_percent(jiaozuo_quota, in_jiaozuo)
    b = report_35_percent(national, in_xuchang)
    ad_report_verify(report=a, confirmed=True, note="", actor=city_staff)
    ad_report_verify(report=b, confirmed=True, note="", actor=xuchang_city)
    a.refresh_from_db()
    b.refresh_from_db()
    assert (a.status, a.is_compliant) == (AdReportStatus.VERIFIED, False)
    assert (b.status, b.is_compliant) == (AdReportStatus.VERIFIED, True)
    assert audit_entries_for(a).get(to_status="verified").data["min_share_percent"] == 40
    assert audit_entries_for(b).get(to_status="verified").data["min_share_percent"] == 30


def test_report_filed_before_the_city_set_its_quota_is_judged_by_the_citys_quota(
    regions, national, city_staff
):
    venue = venue_in(regions, JIEFANG)
    report = report_35_percent(national, venue)  # the national 30 % was in force when filed
    own = ad_quota_save(
        quota=AdQuota(year=today().year, region=regions[JIAOZUO], min_share_percent=40), actor=city_staff
    )
    ad_report_verify(report=report, confirmed=True, note="", actor=city_staff)
    report.refresh_from_db()
    assert report.is_compliant is False and report.quota == own
    status = psa_status_for_merchant(venue)
    assert status["quota"] == own and status["latest"] == report and status["compliant"] is False


def test_report_against_a_quota_not_in_force_for_the_venue_is_refused(regions, national, jiaozuo_quota):
    with pytest.raises(ValidationFailed, match="不适用"):
        report_35_percent(national, venue_in(regions, JIEFANG))
    with pytest.raises(ValidationFailed, match="不适用"):
        report_35_percent(jiaozuo_quota, venue_in(regions, WEIDU))
    assert not AdReport.objects.exists()


def test_rating_fact_follows_each_citys_own_deadline(regions, national, city_staff):
    t = today()
    national.deadline = t + timedelta(days=30)
    national.save(update_fields=["deadline"])
    ad_quota_save(
        quota=AdQuota(year=t.year, region=regions[JIAOZUO], deadline=t - timedelta(days=1)), actor=city_staff
    )
    late_jiaozuo = venue_in(regions, JIEFANG)
    xuchang = venue_in(regions, WEIDU)
    rows = {r["merchant_id"]: r["psa_noncompliant"] for r in campaign_rating_facts(as_of=t)}
    assert rows[late_jiaozuo.pk] == 1  # 焦作's own deadline passed
    assert rows[xuchang.pk] == 0  # the national deadline has not


def test_rating_fact_national_deadline_passed_but_city_deadline_not(regions, national, city_staff):
    t = today()
    national.deadline = t - timedelta(days=1)
    national.save(update_fields=["deadline"])
    ad_quota_save(
        quota=AdQuota(year=t.year, region=regions[JIAOZUO], deadline=t + timedelta(days=10)), actor=city_staff
    )
    jiaozuo = venue_in(regions, JIEFANG)
    xuchang = venue_in(regions, WEIDU)
    rows = {r["merchant_id"]: r["psa_noncompliant"] for r in campaign_rating_facts(as_of=t)}
    assert (rows[jiaozuo.pk], rows[xuchang.pk]) == (0, 1)


def test_eligibility_reads_the_quota_of_the_applicants_city(regions, national, jiaozuo_quota, city_staff):
    campaign = make_campaign(region_code=JIAOZUO)
    merchant = eligible_merchant(large=True, region_code=JIEFANG)
    report = report_35_percent(jiaozuo_quota, merchant)
    ad_report_verify(report=report, confirmed=True, note="", actor=city_staff)
    psa = next(
        c for c in application_check_eligibility(campaign=campaign, merchant=merchant) if c["code"] == "psa"
    )
    assert psa["ok"] is False and "40%" in psa["detail"]


def test_reminders_follow_the_quota_each_venue_is_under(
    regions, national, city_staff, django_capture_on_commit_callbacks
):
    t = today()
    national.deadline = t + timedelta(days=100)
    national.save(update_fields=["deadline"])
    own = ad_quota_save(
        quota=AdQuota(year=t.year, region=regions[JIAOZUO], deadline=t + timedelta(days=7)), actor=city_staff
    )
    jiaozuo = venue_in(regions, JIEFANG)
    venue_in(regions, WEIDU)
    with django_capture_on_commit_callbacks(execute=True):
        assert ad_reminders_send(today=t).reminded == 1
    log = ReminderLog.objects.get()
    assert (log.quota, log.merchant, log.days_before) == (own, jiaozuo, 7)


def test_board_of_each_quota_counts_only_the_venues_it_governs(regions, national, jiaozuo_quota):
    venue_in(regions, JIEFANG)
    venue_in(regions, WEIDU)
    superuser = UserFactory(is_staff=True, is_superuser=True)
    assert ad_progress_board(quota=jiaozuo_quota, user=superuser)["totals"]["required"] == 1
    national_board = ad_progress_board(quota=national, user=superuser)
    assert [r["region"] for r in national_board["rows"]] == [WEIDU]


# --- who may write which row (service) --------------------------------------------------------------


def test_only_a_superuser_sets_the_national_default(regions, city_staff, civility_staff):
    for actor in (city_staff, civility_staff):
        with pytest.raises(NotPermitted):
            ad_quota_save(quota=AdQuota(year=today().year), actor=actor)
    assert not AdQuota.objects.exists()
    superuser = UserFactory(is_staff=True, is_superuser=True)
    quota = ad_quota_save(quota=AdQuota(year=today().year, min_share_percent=35), actor=superuser)
    assert quota.region is None and audit_entries_for(quota).get().action == "ad_quota.create"
    with pytest.raises(NotPermitted):
        ad_quota_delete(quota=quota, actor=city_staff)
    assert AdQuota.objects.filter(pk=quota.pk).exists()


def test_city_cannot_write_another_citys_quota_or_a_district_level_one(
    regions, civility_staff, xuchang_civility
):
    year = today().year
    with pytest.raises(NotPermitted):
        ad_quota_save(quota=AdQuota(year=year, region=regions[XUCHANG]), actor=civility_staff)
    with pytest.raises(ValidationFailed, match="地级市"):
        ad_quota_save(quota=AdQuota(year=year, region=regions[JIEFANG]), actor=civility_staff)
    own = ad_quota_save(quota=AdQuota(year=year, region=regions[JIAOZUO]), actor=civility_staff)
    own.min_share_percent = 50
    with pytest.raises(NotPermitted):
        ad_quota_save(quota=own, actor=xuchang_civility)
    with pytest.raises(NotPermitted):
        ad_quota_delete(quota=own, actor=xuchang_civility)
    own.refresh_from_db()
    assert own.min_share_percent == 30
    with pytest.raises(ValidationFailed, match="已有"):
        ad_quota_save(quota=AdQuota(year=year, region=regions[JIAOZUO]), actor=civility_staff)


def test_quota_links_only_its_own_citys_campaign_of_the_same_year(regions, civility_staff):
    year = today().year
    other = make_campaign(region_code=XUCHANG)
    with pytest.raises(ValidationFailed, match="本市同一年度"):
        ad_quota_save(quota=AdQuota(year=year, region=regions[JIAOZUO], campaign=other), actor=civility_staff)
    own = make_campaign(region_code=JIAOZUO)
    quota = ad_quota_save(
        quota=AdQuota(year=year, region=regions[JIAOZUO], campaign=own), actor=civility_staff
    )
    assert quota.campaign == own


# --- admin --------------------------------------------------------------------------------------------


def test_other_citys_civility_office_gets_404_on_the_quota_and_cannot_delete_it(
    client, jiaozuo_quota, xuchang_civility, xuchang_city
):
    change = reverse("admin:campaigns_adquota_change", args=[jiaozuo_quota.pk])
    delete = reverse("admin:campaigns_adquota_delete", args=[jiaozuo_quota.pk])
    board = reverse("admin:campaigns_adquota_board", args=[jiaozuo_quota.pk])
    for user in (xuchang_civility, xuchang_city):
        client.force_login(user)
        assert client.get(change).status_code == 404
        assert (
            client.post(change, {"year": 2030, "min_share_percent": 1, "deadline": "2030-01-01"}).status_code
            == 404
        )
        assert client.get(delete).status_code == 404
        assert client.post(delete, {"post": "yes"}).status_code == 404
        assert client.get(board).status_code == 404
        listing = client.get(reverse("admin:campaigns_adquota_changelist")).content.decode()
        assert change not in listing
        bulk = client.post(
            reverse("admin:campaigns_adquota_changelist"),
            {"action": "delete_selected", "_selected_action": [jiaozuo_quota.pk], "post": "yes"},
        )
        assert bulk.status_code in (200, 302, 403)
    jiaozuo_quota.refresh_from_db()
    assert jiaozuo_quota.min_share_percent == 40


def test_city_staff_read_the_national_default_but_cannot_change_or_delete_it(client, national, city_staff):
    client.force_login(city_staff)
    change = reverse("admin:campaigns_adquota_change", args=[national.pk])
    page = client.get(change)
    assert page.status_code == 200 and 'name="min_share_percent"' not in page.content.decode()
    posted = client.post(change, {"year": national.year, "min_share_percent": 1, "deadline": "2030-01-01"})
    assert posted.status_code == 403
    assert (
        client.post(
            reverse("admin:campaigns_adquota_delete", args=[national.pk]), {"post": "yes"}
        ).status_code
        == 403
    )
    national.refresh_from_db()
    assert national.min_share_percent == 30


def test_civility_office_sets_its_own_citys_quota_in_the_admin(client, regions, national, civility_staff):
    client.force_login(civility_staff)
    add = reverse("admin:campaigns_adquota_add")
    year = today().year
    base = {"year": year, "min_share_percent": 40, "deadline": f"{year}-06-30", "themes": '["核心价值观"]'}
    for region in ("", XUCHANG, JIEFANG):  # national, another city, a district: all refused
        response = client.post(add, {**base, "region": region})
        assert response.status_code == 200 and response.context["adminform"].form.errors, region
    assert AdQuota.objects.count() == 1
    response = client.post(add, {**base, "region": JIAOZUO})
    assert response.status_code == 302, response.content.decode()[:1500]
    quota = AdQuota.objects.get(region_id=JIAOZUO)
    assert quota.min_share_percent == 40
    entry = audit_entries_for(quota).get()
    assert entry.action == "ad_quota.create" and entry.actor == civility_staff


def test_admin_add_form_offers_only_own_city_campaigns_and_regions(client, regions, civility_staff):
    own = make_campaign(region_code=JIAOZUO)
    other = make_campaign(region_code=XUCHANG)
    client.force_login(civility_staff)
    form = client.get(reverse("admin:campaigns_adquota_add")).context["adminform"].form
    assert list(form.fields["campaign"].queryset) == [own] and other not in form.fields["campaign"].queryset
    assert [r.pk for r in form.fields["region"].queryset] == [JIAOZUO]
    assert form.fields["region"].required


def test_admin_filters_offer_only_own_region_campaigns_and_quotas(
    client, regions, national, jiaozuo_quota, city_staff
):
    xuchang_quota = AdQuota.objects.create(year=today().year, region=regions[XUCHANG])
    report_35_percent(xuchang_quota, venue_in(regions, WEIDU))
    report_35_percent(jiaozuo_quota, venue_in(regions, JIEFANG))
    # A second own quota and campaign (last year's), so the admin shows the filters at all.
    last_year = AdQuota.objects.create(year=today().year - 1, region=regions[JIAOZUO])
    AdReport.objects.create(quota=last_year, merchant=venue_in(regions, JIEFANG), period="去年", total_ads=1)
    own = make_campaign(region_code=JIAOZUO)
    own_last_year = make_campaign(region_code=JIAOZUO, year=today().year - 1)
    other = make_campaign(region_code=XUCHANG)
    for campaign, code in ((own, JIEFANG), (own_last_year, JIEFANG), (other, WEIDU)):
        make_application(campaign, MerchantFactory(region=regions[code], stars=5))
    client.force_login(city_staff)
    reports = client.get(reverse("admin:campaigns_adreport_changelist")).content.decode()
    assert f"quota__id__exact={jiaozuo_quota.pk}" in reports
    assert f"quota__id__exact={xuchang_quota.pk}" not in reports
    apps = client.get(reverse("admin:campaigns_application_changelist")).content.decode()
    assert f"campaign__id__exact={own.pk}" in apps and f"campaign__id__exact={other.pk}" not in apps
    quotas = client.get(reverse("admin:campaigns_adquota_changelist")).content.decode()
    assert reverse("admin:campaigns_adquota_change", args=[xuchang_quota.pk]) not in quotas
    assert reverse("admin:campaigns_adquota_change", args=[jiaozuo_quota.pk]) in quotas


def test_district_staff_read_their_citys_quota_only(client, regions, jiaozuo_quota, district_staff):
    xuchang_quota = AdQuota.objects.create(year=today().year, region=regions[XUCHANG])
    client.force_login(district_staff)
    page = client.get(reverse("admin:campaigns_adquota_change", args=[jiaozuo_quota.pk]))
    assert page.status_code == 200 and 'name="min_share_percent"' not in page.content.decode()
    assert client.get(reverse("admin:campaigns_adquota_change", args=[xuchang_quota.pk])).status_code == 404
    assert client.get(reverse("admin:campaigns_adquota_add")).status_code == 403


@pytest.mark.parametrize(
    "bad",
    [
        {"themes": '["核心\\u0000价值观"]'},
        {"themes": '{"a": 1}'},
        {"themes": '["' + "长" * 61 + '"]'},
        {"year": "99999"},
        {"year": "1999"},
        {"year": "-1"},
        {"min_share_percent": "0"},
        {"min_share_percent": "101"},
        {"region": "4108\x00"},
        {"deadline": "2026-02-30"},
    ],
)
def test_hostile_quota_input_gets_a_form_error_and_writes_nothing(client, regions, civility_staff, bad):
    client.force_login(civility_staff)
    year = today().year
    data = {
        "year": year,
        "region": JIAOZUO,
        "min_share_percent": 40,
        "deadline": f"{year}-05-31",
        "themes": "[]",
    }
    response = client.post(reverse("admin:campaigns_adquota_add"), {**data, **bad})
    assert response.status_code == 200 and response.context["adminform"].form.errors, bad
    assert not AdQuota.objects.exists()
