"""Publication by the beat task: exactly once (even with two workers at once), red list, public pages."""

from __future__ import annotations

import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.urls import reverse

from campaigns import tasks
from campaigns.models import (
    ApplicationStatus,
    CampaignStatus,
    CommendationEntry,
    CommendationList,
    Objection,
)
from campaigns.services import campaign_publish_if_due, publish_due_commendations
from integrity_portal.core.audit import audit_entries_for
from tests.factories import MerchantFactory

from .conftest import make_application, make_campaign, today


def ended_publicity_campaign(n: int = 2):
    """Publicity ended yesterday; ``n`` merchant candidates."""
    t = today()
    campaign = make_campaign(
        status=CampaignStatus.PUBLICITY,
        app_start=t - timedelta(days=60),
        app_end=t - timedelta(days=40),
        publicity_start=t - timedelta(days=8),
        notice_number=f"焦文明诚信〔{t.year}〕7号",
        notice_title=f"关于公示全市{t.year}年度文明诚信市场、商户的公告",
    )
    for i in range(n):
        make_application(
            campaign,
            MerchantFactory(stars=5, name=f"表彰商户{i + 1}"),
            status=ApplicationStatus.CANDIDATE,
            rank=i + 1,
            total=Decimal(90 - i),
        )
    return campaign


def test_task_publishes_due_campaign_and_a_rerun_is_a_no_op(regions):
    campaign = ended_publicity_campaign()
    assert tasks.publish_due_commendations.delay().get() == [campaign.pk]
    assert tasks.publish_due_commendations.delay().get() == []
    assert CommendationList.objects.filter(campaign=campaign).count() == 2  # one per category
    assert CommendationEntry.objects.count() == 2
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.PUBLISHED
    assert audit_entries_for(campaign).filter(to_status="published").count() == 1


def test_task_skips_campaign_with_open_objection_and_still_in_publicity(regions):
    due = ended_publicity_campaign()
    Objection.objects.create(
        application=due.applications.first(),
        reference="YY2",
        objector_name="王五",
        objector_phone="13900000000",
        content="存在价格欺诈行为，请核查。",
    )
    running = make_campaign(status=CampaignStatus.PUBLICITY, year=2030)
    assert publish_due_commendations() == []
    assert not CommendationList.objects.exists()
    for c in (due, running):
        c.refresh_from_db()
        assert c.status == CampaignStatus.PUBLICITY


def test_publish_if_due_returns_false_instead_of_raising_when_already_published(regions):
    campaign = ended_publicity_campaign()
    assert campaign_publish_if_due(campaign_id=campaign.pk) is True
    assert campaign_publish_if_due(campaign_id=campaign.pk) is False
    assert CommendationList.objects.filter(campaign=campaign).count() == 2


def test_red_list_shows_the_commended_merchants(client, regions):
    from merchants.selectors.credit import list_entries_public

    campaign = ended_publicity_campaign()
    publish_due_commendations()
    red = list_entries_public(list_name="red", as_of=today())
    assert sorted(e.merchant.name for e in red) == ["表彰商户1", "表彰商户2"]
    assert {e.decision_number for e in red} == {campaign.notice_number}
    page = client.get("/lists/red/", {"kind": "commended"}).content.decode()
    assert "表彰商户1" in page and "表彰商户2" in page


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_workers_publishing_at_once_make_exactly_one_list(require_postgres, regions):
    """Two threads call the task body at the same moment on PostgreSQL: one publishes, one is a no-op."""
    from merchants.selectors.credit import list_entries_public

    campaign = ended_publicity_campaign(n=3)
    barrier = threading.Barrier(2)
    results, errors = [], []

    def worker():
        try:
            barrier.wait(timeout=10)
            results.append(campaign_publish_if_due(campaign_id=campaign.pk))
        except Exception as exc:  # pragma: no cover - the assertion below reports it
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert errors == []
    assert sorted(results) == [False, True]
    assert CommendationList.objects.filter(campaign=campaign, category="merchant").count() == 1
    assert CommendationList.objects.filter(campaign=campaign).count() == 2
    assert CommendationEntry.objects.count() == 3
    red = list_entries_public(list_name="red", as_of=today())
    assert sorted(e.merchant.name for e in red) == ["表彰商户1", "表彰商户2", "表彰商户3"]
    assert audit_entries_for(campaign).filter(to_status="published").count() == 1


# --- public pages, exports, API ---------------------------------------------------------------------


@pytest.fixture
def published(regions):
    campaign = ended_publicity_campaign()
    publish_due_commendations()
    campaign.refresh_from_db()
    return campaign


def test_notice_list_and_detail_show_published_list(client, published):
    body = client.get(reverse("campaigns:notice_list")).content.decode()
    assert published.public_heading.startswith("关于表彰全市") and published.public_heading in body
    assert "文明诚信商户" in body
    detail = client.get(reverse("campaigns:notice", args=[published.pk])).content.decode()
    assert "表彰商户1" in detail and "表彰名单" in detail and "提交异议" not in detail


def test_printable_notice_lists_the_commended(client, published):
    body = client.get(reverse("campaigns:notice_print", args=[published.pk])).content.decode()
    assert published.public_heading in body and "表彰商户2" in body and "data-print" in body
    # The print button works through static/js/site.js (no inline script under the CSP).
    assert "js/site.js" in body and "window.print()" not in body


def test_csv_export_of_published_list(client, published):
    response = client.get(reverse("campaigns:notice_export", args=[published.pk, "csv"]))
    text = response.content.decode("utf-8-sig")
    assert response["Content-Type"].startswith("text/csv")
    assert text.splitlines()[0].startswith("类别,排名,名称") and "表彰商户1" in text


def test_excel_export_of_published_list(client, published):
    import io

    from openpyxl import load_workbook

    response = client.get(reverse("campaigns:notice_export", args=[published.pk, "xlsx"]))
    ws = load_workbook(io.BytesIO(response.content)).active
    names = [row[2] for row in ws.iter_rows(min_row=2, values_only=True)]
    assert sorted(names) == ["表彰商户1", "表彰商户2"]


def test_unknown_export_format_is_404(client, published):
    assert client.get(f"/notices/{published.pk}/export.pdf").status_code == 404


def test_commendations_api_is_public_cursor_paginated_and_filterable(client, published):
    response = client.get("/api/v1/commendations/", {"page_size": 1})
    data = response.json()
    assert response.status_code == 200 and len(data["results"]) == 1 and "cursor=" in data["next"]
    row = data["results"][0]
    assert row["year"] == published.year and row["category"] == "merchant"
    assert row["notice_number"] == published.notice_number
    assert client.get("/api/v1/commendations/", {"category": "market"}).json()["results"] == []
    assert len(client.get("/api/v1/commendations/", {"year": published.year}).json()["results"]) == 2


def test_commendations_api_hides_campaigns_still_in_publicity(client, regions):
    ended_publicity_campaign()
    assert client.get("/api/v1/commendations/").json()["results"] == []
