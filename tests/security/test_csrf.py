"""A logged-in browser session cannot be ridden by another site: every portal form and every
session-authenticated API write refuses a POST without the CSRF token (403), before any write."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from integrity_portal.core.models import AuditEntry

from .conftest import DISTRICT_A
from .test_permission_matrix import NON_ADMIN_COVERAGE, PORTAL_MERCHANT, _portal_url


def _csrf_client(user) -> Client:
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    return client


@pytest.mark.parametrize("name", sorted(n for n, why in NON_ADMIN_COVERAGE.items() if why == PORTAL_MERCHANT))
def test_portal_forms_refuse_posts_without_csrf_token(name, world, db):
    before = AuditEntry.objects.count()
    url = _portal_url(name, world, world.merchant_a)
    response = _csrf_client(world.users["owner_a"]).post(
        url, {"agree": "on", "kind": "general", "enrolled": "1"}
    )
    assert response.status_code == 403, f"{url}: {response.status_code}"
    assert AuditEntry.objects.count() == before


def test_session_authenticated_api_writes_refuse_posts_without_csrf_token(world, db):
    complaint = world.obj("complaints.Complaint", DISTRICT_A)
    application = world.obj("campaigns.Application", DISTRICT_A)
    cases = [
        (
            "staff_x",
            reverse("complaints_api:staff-complaint-transition", kwargs={"pk": complaint.pk}),
            {"action": "accept"},
        ),
        (
            "staff_x",
            reverse("campaign-application-district-review", kwargs={"pk": application.pk}),
            {"decision": "approve"},
        ),
        (
            "owner_a",
            reverse("complaints_api:odr", kwargs={"merchant_id": world.merchant_a.pk}),
            {"enrolled": True},
        ),
        (
            "owner_a",
            reverse("api-my-appeals", kwargs={"merchant_id": world.merchant_a.pk}),
            {"grounds": "评分有误，请复核。"},
        ),
        ("owner_a", reverse("campaign-application-list"), {"campaign": application.campaign_id}),
    ]
    from complaints.selectors import complaints_for_merchant_user

    own = complaints_for_merchant_user(world.users["owner_a"]).first()
    cases.append(
        (
            "owner_a",
            reverse("complaints_api:portal-complaint-reply", kwargs={"pk": own.pk}),
            {"body": "已处理"},
        )
    )
    before = AuditEntry.objects.count()
    for role, url, payload in cases:
        response = _csrf_client(world.users[role]).post(url, payload, content_type="application/json")
        assert response.status_code == 403, f"{role} POST {url} without CSRF: {response.status_code}"
        [error] = response.json()["errors"]
        assert error["code"] == "permission_denied" and "CSRF" in error["detail"], response.json()
    assert AuditEntry.objects.count() == before
