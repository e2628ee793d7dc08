"""The PSA report form (issue #19 item 8): a validated month picker, any number of placements (add-row
without JavaScript too), and a report below the quota saved only after a confirmation."""

from __future__ import annotations

import pytest
from django.urls import reverse

from campaigns.models import AdQuota, AdReport
from integrity_portal.core.audit import audit_entries_for
from tests.factories import MembershipFactory, MerchantFactory, UserFactory

from .conftest import today

pytestmark = pytest.mark.django_db


@pytest.fixture
def venue(client, regions):
    venue = MerchantFactory(kind="market", is_large_venue=True)
    user = UserFactory()
    MembershipFactory(user=user, merchant=venue)
    AdQuota.objects.create(year=today().year)  # national default: 30 %
    client.force_login(user)
    return venue


def _data(rows, period=None, **extra):
    data = {
        "period": period or f"{today():%Y-%m}",
        "p-TOTAL_FORMS": str(len(rows)),
        "p-INITIAL_FORMS": "0",
        "p-MIN_NUM_FORMS": "1",
        "p-MAX_NUM_FORMS": "20",
    }
    for i, (location, total, psa) in enumerate(rows):
        data.update(
            {f"p-{i}-medium": "poster", f"p-{i}-location": location, f"p-{i}-total_ads": total, f"p-{i}-psa_ads": psa}
        )
    data.update(extra)
    return data


def test_six_placements_are_all_saved(client, venue):
    rows = [("entrance", 10, 4)] + [("elsewhere", 5, 2)] * 5
    url = reverse("portal_campaigns:ad_report", args=[venue.pk])
    assert client.post(url, _data(rows)).status_code == 302
    report = AdReport.objects.get()
    assert report.placements.count() == 6
    assert (report.total_ads, report.psa_ads, report.psa_at_entrance) == (35, 14, 4)
    assert report.period == f"{today():%Y-%m}"
    assert audit_entries_for(report).get().action == "ad_report.submit"


def test_page_offers_a_month_picker_and_one_row_to_start(client, venue):
    html = client.get(reverse("portal_campaigns:ad_report", args=[venue.pk])).content.decode()
    assert 'type="month"' in html and f'value="{today():%Y-%m}"' in html
    assert 'name="p-TOTAL_FORMS" value="1"' in html
    assert 'name="add_row"' in html and "js/campaigns-psa.js" in html
    assert 'id="placement-template"' in html and "p-__prefix__-total_ads" in html


@pytest.mark.parametrize("period", ["2026年5月", "5月", "2026-13", "2026-00", "abcd-ef", "1999-12", "9999-01"])
def test_period_must_be_a_real_past_or_current_month(client, venue, period):
    response = client.post(reverse("portal_campaigns:ad_report", args=[venue.pk]), _data([("entrance", 10, 5)], period))
    assert response.status_code == 400
    assert "period" in response.context["form"].errors
    assert not AdReport.objects.exists()


def test_add_row_without_javascript_keeps_the_rows_and_saves_nothing(client, venue):
    data = _data([("entrance", 10, 4)], add_row="1")
    response = client.post(reverse("portal_campaigns:ad_report", args=[venue.pk]), data)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="p-TOTAL_FORMS" value="2"' in html and 'name="p-1-total_ads"' in html
    assert 'name="p-0-total_ads" value="10"' in html
    assert 'class="errorlist"' not in html  # the empty new row is not reported as an error
    assert not AdReport.objects.exists()


def test_share_below_quota_needs_confirmation(client, venue):
    url = reverse("portal_campaigns:ad_report", args=[venue.pk])
    rows = [("entrance", 10, 1), ("elsewhere", 10, 1)]  # 10 % < 30 %
    response = client.post(url, _data(rows))
    assert response.status_code == 400
    html = response.content.decode()
    assert "公益广告占比 10.0% 低于任务要求的 30%" in html
    assert 'id="psa-share-warning" role="alert" hidden' not in html
    assert not AdReport.objects.exists()
    assert client.post(url, _data(rows, confirm_below_quota="on")).status_code == 302
    assert AdReport.objects.get().psa_ads == 2


def test_share_at_quota_needs_no_confirmation(client, venue):
    url = reverse("portal_campaigns:ad_report", args=[venue.pk])
    assert client.post(url, _data([("entrance", 10, 3)])).status_code == 302
