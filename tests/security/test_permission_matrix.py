"""Who may reach what: every role × every URL pattern × objects in two districts and two merchants.

Roles: anonymous, owner A (解放区 merchant), owner B (中站区 merchant), district staff X (解放区) and
Y (中站区), city staff (焦作市) and the city's civility office. The URL list comes from the resolver;
``test_every_url_pattern_is_covered_or_exempt`` fails when a new pattern is neither walked by
this matrix nor listed below as exempt with a reason, so a new URL cannot slip through untested.
"""

from __future__ import annotations

import json
import re

import pytest
from django.contrib import admin
from django.contrib.admin.utils import quote
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from integrity_portal.core.admin_scoping import RegionScopedAdminMixin

from .conftest import DISTRICT_A, DISTRICT_B, in_district, region_path_of

ROLES = ("anonymous", "owner_a", "owner_b", "staff_x", "staff_y", "city", "civility")
STAFF_ROLES = ("staff_x", "staff_y", "city", "civility")
# Which district's objects each staff role covers (by region, before permissions).
COVERS = {
    "staff_x": {DISTRICT_A},
    "staff_y": {DISTRICT_B},
    "city": {DISTRICT_A, DISTRICT_B},
    "civility": {DISTRICT_A, DISTRICT_B},
}
DENIED = (403, 404)

# ---------------------------------------------------------------------------------------------
# URL coverage: every non-admin pattern name → how this suite covers it (or why it is exempt).
# ---------------------------------------------------------------------------------------------
PUBLIC = "public page/API: crawled for personal data by test_public_pages_leak_no_personal_data"
ANON_API = "anonymous API: test_anonymous_api_never_returns_complaint_or_objection_data"
TOKEN_GATED = "anonymous write/lookup gated by tracking code + phone (complaints app tests); no listing"
PORTAL_MERCHANT = "portal page keyed by merchant id: test_portal_merchant_pages_404_for_non_members"
PORTAL_LIST = "portal overview of the user's own merchants: test_portal_overviews_show_only_own_data"
AUTH = "django.contrib.auth views (login, logout, password reset), no object data"
INFRA = "infrastructure (health check, language switch, API schema/docs), no object data"
API_MATRIX = "authenticated API: test_api_matrix"
UPLOADS = "attachment download: tests/security/test_uploads.py"
TWO_FACTOR = "two-factor sign-in pages of the signed-in user's own account: tests/core/test_two_factor.py"
MARKET_OPERATOR = (
    "market operator's pages keyed by market id, 404 for a non-member and for another market's stalls: "
    "tests/merchants/test_market_operators.py"
)
STATION = (
    "consumer-rights station pages keyed by station id, 404 for non-staff, no personal data: "
    "tests/complaints/test_stations.py"
)
INBOX = (
    "the signed-in user's own notices and notice settings only (another user's notice is a 404): "
    "tests/notifications/test_inbox.py, tests/notifications/test_preferences.py"
)

NON_ADMIN_COVERAGE: dict[str, str] = {
    "set_language": INFRA,
    "healthz": INFRA,
    "public:robots_txt": "crawler rules, a constant text: tests/merchants/test_robots_txt.py",
    "readyz": INFRA,
    "legal-privacy": "public privacy notice, no personal data: tests/core/test_legal_documents.py",
    "legal-terms": "public user agreement, no personal data: tests/core/test_legal_documents.py",
    "metrics": "Prometheus metrics, 404 outside METRICS_ALLOWED_NETWORKS: tests/core/test_operations_metrics.py",
    "api-schema": INFRA,
    "api-docs": INFRA,
    "api-redoc": INFRA,
    "login": AUTH,
    "logout": AUTH,
    "signup": AUTH,
    "signup_done": AUTH,
    "signup_confirm": "sign-up e-mail confirmation by signed token: tests/merchants/test_signup_confirmation.py",
    "signup_confirm_resend": "signed-in user's own confirmation mail: tests/merchants/test_signup_confirmation.py",
    "password_change": AUTH,
    "password_change_done": AUTH,
    "password_reset": AUTH,
    "password_reset_done": AUTH,
    "password_reset_confirm": AUTH,
    "password_reset_complete": AUTH,
    "two-factor": TWO_FACTOR,
    "two-factor-setup": TWO_FACTOR,
    "two-factor-verify": TWO_FACTOR,
    "two-factor-recovery-codes": TWO_FACTOR,
    "two-factor-disable": TWO_FACTOR,
    "public:home": PUBLIC,
    "public:merchant_list": PUBLIC,
    "public:merchant_detail": PUBLIC,
    "public:ratings_how": PUBLIC,
    "public:open_data": PUBLIC,
    "public:open_data_file": "public open-data files, manifest-listed only, no personal data: "
    "tests/merchants/test_open_data.py, tests/security/test_public_pages_leak_no_personal_data.py",
    "credit:red_list": PUBLIC,
    # Role models and feeds (issue #19 items 6, 7): published stories and public columns only.
    "public:role_models": PUBLIC,
    "public:role_model_photo": "published stories' photos only (a draft's is a 404 to the public; staff of the "
    "region for the admin preview): tests/merchants/test_role_models.py",
    "feed_black_list": PUBLIC + "; tests/merchants/test_feeds.py",
    "feed_commendations": PUBLIC + "; tests/merchants/test_feeds.py",
    "feed_spot_checks": PUBLIC + "; tests/merchants/test_feeds.py",
    # Following a merchant: anonymous, by signed token only; never shows or confirms an address.
    "public:follow": "anonymous follow request, rate-limited, same answer for every address: tests/merchants/test_follow.py",
    "public:follow_confirm": "signed, expiring token only: tests/merchants/test_follow.py",
    "public:follow_unsubscribe": "signed token only: tests/merchants/test_follow.py",
    "credit:black_list": PUBLIC,
    "credit:plaque": PUBLIC,
    "credit:verify": PUBLIC,
    "campaigns:notice_list": PUBLIC,
    "campaigns:notice": PUBLIC,
    "campaigns:objection_done": PUBLIC,
    "campaigns:notice_print": PUBLIC,
    "campaigns:notice_export": PUBLIC,
    "complaints:statistics": PUBLIC,
    "public_campaigns:list": PUBLIC,
    "public_campaigns:detail": PUBLIC,
    # By reference number only: status, candidate and campaign, never the objector (rate-limited).
    "public_campaigns:objection": PUBLIC,
    "complaints:merchant_search": PUBLIC,
    "complaints:new": TOKEN_GATED,
    "complaints:submitted": TOKEN_GATED,
    "complaints:send_code": TOKEN_GATED,
    "complaints:track": TOKEN_GATED,
    "complaints:track_result": TOKEN_GATED,
    "complaints:track_proposal": TOKEN_GATED,
    "complaints:track_rate": TOKEN_GATED,
    "complaints:attachment": UPLOADS,
    "complaints_api:submit": TOKEN_GATED,
    "complaints_api:track": TOKEN_GATED,
    "complaints_api:track_decide": TOKEN_GATED,
    "complaints_api:track_rate": TOKEN_GATED,
    "campaign-objection-create": TOKEN_GATED,
    "api-root": ANON_API,
    "open-region-list": ANON_API,
    "open-region-detail": ANON_API,
    "open-merchant-list": ANON_API,
    "open-merchant-detail": ANON_API,
    "api-red-list": ANON_API,
    "api-black-list": ANON_API,
    "commendation-list": ANON_API,
    "commendation-detail": ANON_API,
    "complaints_api:statistics": ANON_API,
    "portal:home": PORTAL_LIST,
    "portal:claim": PORTAL_LIST,
    "portal_complaints:list": PORTAL_LIST,
    "portal_campaigns:overview": PORTAL_LIST,
    "portal:merchant": PORTAL_MERCHANT,
    "portal_complaints:detail": PORTAL_MERCHANT,
    "portal_complaints:odr": PORTAL_MERCHANT,
    "portal_campaigns:applications": PORTAL_MERCHANT,
    "portal_campaigns:apply": PORTAL_MERCHANT,
    "portal_campaigns:ad_report": PORTAL_MERCHANT,
    "portal_credit:commitment": PORTAL_MERCHANT,
    "portal_credit:repair": PORTAL_MERCHANT,
    "portal_credit:appeal": PORTAL_MERCHANT,
    "portal_credit:reply": PORTAL_MERCHANT,
    "portal_credit:reinspection": PORTAL_MERCHANT,
    "portal:market": MARKET_OPERATOR,
    "portal:market_claim_letters": MARKET_OPERATOR,
    "portal:market_invite": MARKET_OPERATOR,
    "portal_complaints:station": STATION,
    "portal_complaints:station_intake": STATION,
    "portal_complaints:station_mediate": STATION,
    "inbox:list": INBOX,
    "inbox:read": INBOX,
    "inbox:read_all": INBOX,
    "inbox:preferences": INBOX,
    "api-my-rating": API_MATRIX,
    "api-my-appeals": API_MATRIX,
    "complaints_api:odr": API_MATRIX,
    "complaints_api:staff-complaint-list": API_MATRIX,
    "complaints_api:staff-complaint-detail": API_MATRIX,
    "complaints_api:staff-complaint-transition": API_MATRIX,
    "complaints_api:portal-complaint-list": API_MATRIX,
    "complaints_api:portal-complaint-detail": API_MATRIX,
    "complaints_api:portal-complaint-reply": API_MATRIX,
    "campaign-application-list": API_MATRIX,
    "campaign-application-detail": API_MATRIX,
    "campaign-application-city-review": API_MATRIX,
    "campaign-application-district-review": API_MATRIX,
    "api-staff-inspections": (
        "staff inspection API: tests/merchants/test_inspections.py::test_api_is_for_staff_who_may_record_in_their_district"
    ),
    # 双随机、一公开: published plans, their frozen draw record and the drawing script; drafts and unpublished
    # results are 404 to the public (tests/spotchecks/test_public.py, tests/spotchecks/test_api.py).
    "spotchecks:plan_list": PUBLIC + "; tests/spotchecks/test_public.py",
    "spotchecks:plan_detail": PUBLIC + "; tests/spotchecks/test_public.py",
    "spotchecks:draw_record": PUBLIC + "; tests/spotchecks/test_draw_service.py, tests/spotchecks/test_api.py",
    "spotchecks:draw_script": "the public drawing script (a static Python file), no object data",
    "api-spot-checks": ANON_API,
    "api-spot-check": PUBLIC + "; published plans only, drafts 404: tests/spotchecks/test_api.py",
    "api-spot-check-results": PUBLIC + "; published results only: tests/spotchecks/test_api.py::"
    "test_unpublished_results_and_drafts_answer_404_with_the_one_error_body",
    "api-discipline-feed": (
        "partner departments' key only (401 without, 403 outside the key's scope), no session access: "
        "tests/merchants/test_discipline_feed.py"
    ),
}

ADMIN_SITE_EXEMPT = {
    "admin:index": "dashboard; app list filtered by permissions",
    "admin:login": "login form",
    "admin:logout": "logout",
    "admin:password_change": "own password",
    "admin:password_change_done": "own password",
    "admin:jsi18n": "translations",
    "admin:app_list": "model list filtered by permissions",
    "admin:autocomplete": "uses each ModelAdmin.get_queryset (region-scoped)",
    "admin:view_on_site": "redirects to the object's public URL (public merchant page)",
}
ADMIN_STANDARD_SUFFIXES = ("changelist", "add", "change", "delete", "history")
# Custom admin views and the test that walks them.
ADMIN_CUSTOM = {
    "admin:campaigns_application_review": "test_admin_object_actions_deny_other_district",
    "admin:campaigns_objection_resolve": "test_admin_object_actions_deny_other_district",
    "admin:campaigns_adreport_verify": "test_admin_object_actions_deny_other_district",
    "admin:campaigns_adquota_board": "test_admin_psa_board_shows_only_own_district",
    "admin:campaigns_adquota_board_export": "test_admin_psa_board_shows_only_own_district",
    "admin:campaigns_adreport_photo": "tests/security/test_uploads.py::test_psa_photo_is_only_linked_through_an_authorised_download",
    "admin:merchants_creditrepairrequest_evidence": (
        "tests/security/test_uploads.py::test_repair_evidence_is_only_linked_through_an_authorised_download"
    ),
    "admin:merchants_merchant_export": "test_admin_merchant_export_is_region_scoped",
    "admin:merchants_creditrepairrequest_decide": (
        "decision on the change page (core.admin_decisions): tests/merchants/test_admin_decisions.py::"
        "test_other_district_gets_404_and_staff_without_change_permission_403"
    ),
    "admin:merchants_ratingappeal_decide": (
        "core.admin_decisions: tests/merchants/test_admin_decisions.py::"
        "test_appeal_of_another_district_is_404_and_view_only_staff_403"
    ),
    "admin:merchants_rolemodelstory_decide": (
        "core.admin_decisions: tests/merchants/test_role_models.py::test_admin_decision_buttons_and_region_scope"
    ),
    "admin:campaigns_campaign_decide": (
        "core.admin_decisions: tests/campaigns/test_admin_decisions.py::"
        "test_other_city_gets_404_and_view_only_district_403"
    ),
    "workbench": "test_staff_pages_refuse_the_public_and_merchants_and_stay_in_region",
    "admin-models": "test_staff_pages_refuse_the_public_and_merchants_and_stay_in_region",
    "staff-audit-log": "test_staff_pages_refuse_the_public_and_merchants_and_stay_in_region; "
    "tests/core/test_staff_audit_log.py (rows of the user's region only)",
    "admin-dashboard": "test_staff_pages_refuse_the_public_and_merchants_and_stay_in_region; "
    "tests/core/test_dashboard.py::test_a_district_user_cannot_reach_another_district_by_url",
    "admin:notifications_notice_decide": "test_admin_object_views_refuse_other_districts (core.admin_decisions)",
    "admin:spotchecks_spotcheckplan_decide": "test_admin_object_views_refuse_other_districts (core.admin_decisions)",
    "admin:spotchecks_spotchecktask_decide": "test_admin_object_views_refuse_other_districts (core.admin_decisions)",
    "admin:spotchecks_spotchecktask_record": "test_admin_object_views_refuse_other_districts",
    "admin:analysis_monthlyreport_decide": "test_admin_object_views_refuse_other_districts (core.admin_decisions)",
    "admin:analysis_monthlyreport_pdf": "test_admin_object_views_refuse_other_districts",
    "admin:analysis_monthlyreport_xlsx": "test_admin_object_views_refuse_other_districts",
    "admin:analysis_actionitem_decide": "test_admin_object_views_refuse_other_districts (core.admin_decisions)",
    "admin:merchants_listentry_import": (
        "test_staff_pages_refuse_the_public_and_merchants_and_stay_in_region; rows of the user's region only: "
        "tests/merchants/test_list_import.py"
    ),
    "admin:complaints_complaint_work_orders_import": (
        "test_staff_pages_refuse_the_public_and_merchants_and_stay_in_region; a merchant of another district is "
        "refused: tests/complaints/test_work_orders.py::test_merchant_matched_by_uscc_in_another_district_is_refused"
    ),
    "admin:complaints_complaint_work_orders_export": (
        "test_staff_pages_refuse_the_public_and_merchants_and_stay_in_region; region-scoped queryset: "
        "tests/complaints/test_work_orders.py::test_admin_export_downloads_outcomes"
    ),
    "admin-inbox": "staff page (admin_view), the signed-in staff member's own notices only: tests/notifications/test_inbox.py",
    "personal-data-request": (
        "staff page (admin_view), superuser/city/district bureau in their region only: "
        "tests/complaints/test_personal_data_retention.py"
    ),
    "admin:merchants_merchant_import": "import writes through the scoped save; district rows only (merchants tests)",
    "admin:merchants_merchant_process_import": "second step of the import above",
    "admin:merchants_merchant_simple_history": "guarded by RegionScopedAdminMixin.history_form_view",
    "admin:auth_user_password_change": "auth.User admin: superuser only (no role grants auth.*)",
    "admin:complaints_complaint_intake": "create form; FK choices region-scoped (complaints tests)",
    "admin:complaints_complaint_statistics": "aggregates of the user's region (complaints tests)",
}
# Admins that are not region-scoped, and why that is safe.
UNSCOPED_ADMINS = {
    "auth.Group": "superuser only (no role grants auth.*)",
    "auth.User": "superuser only (no role grants auth.*)",
    "axes.AccessAttempt": "superuser only",
    "axes.AccessLog": "superuser only",
    "axes.AccessFailureLog": "superuser only",
    "core.AuditEntry": "superuser only",
    "core.HolidaySchedule": "superuser only: the national holiday calendar moves every city's deadlines",
    "core.WorkingDayOverride": "national working-day calendar: superuser only (test_settings_for_every_city)",
    "core.LegalDocument": "privacy notice and user agreement: superuser only (tests/core/test_legal_documents.py)",
    "merchants.RatingPolicy": "one rating policy for the whole system",
    "merchants.PartnerDepartment": (
        "partner departments: superuser only, no role grants them "
        "(tests/merchants/test_discipline_feed.py::test_staff_below_superuser_cannot_reach_partner_admin)"
    ),
    "merchants.PartnerApiKey": "partner departments' API keys (stored hashed): superuser only, no role grants them",
    "django_celery_beat.PeriodicTask": "system schedules: superuser only (test_settings_for_every_city)",
    "django_celery_beat.ClockedSchedule": "system schedules: superuser only",
    "django_celery_beat.CrontabSchedule": "system schedules: superuser only",
    "django_celery_beat.SolarSchedule": "system schedules: superuser only",
    "django_celery_beat.IntervalSchedule": "system schedules: superuser only",
}


def _walk(patterns, prefix="", namespace=None):
    for p in patterns:
        if isinstance(p, URLResolver):
            ns = namespace
            if p.namespace:
                ns = f"{namespace}:{p.namespace}" if namespace else p.namespace
            yield from _walk(p.url_patterns, prefix + str(p.pattern), ns)
        elif isinstance(p, URLPattern):
            name = f"{namespace}:{p.name}" if namespace and p.name else p.name
            yield prefix + str(p.pattern), name


def all_url_patterns() -> list[tuple[str, str | None]]:
    return list(_walk(get_resolver().url_patterns))


def _admin_model_names() -> set[str]:
    names = set()
    for model in admin.site._registry:
        for suffix in ADMIN_STANDARD_SUFFIXES:
            names.add(f"admin:{model._meta.app_label}_{model._meta.model_name}_{suffix}")
    return names


def test_every_url_pattern_is_covered_or_exempt():
    standard = _admin_model_names()
    uncovered = []
    for route, name in all_url_patterns():
        if route.startswith("admin/"):
            if name is None:
                continue  # Django's redirect of old-style change URLs and the catch-all 404.
            if name in standard or name in ADMIN_SITE_EXEMPT or name in ADMIN_CUSTOM:
                continue
            uncovered.append((route, name))
        elif name not in NON_ADMIN_COVERAGE:
            uncovered.append((route, name))
    assert not uncovered, (
        "URL patterns not covered by the permission matrix; add them to a test or to an exempt list "
        f"with a reason: {uncovered}"
    )
    for model in admin.site._registry:
        model_admin = admin.site._registry[model]
        if not isinstance(model_admin, RegionScopedAdminMixin):
            assert model._meta.label in UNSCOPED_ADMINS, (
                f"{model._meta.label} has an admin that is not region-scoped and is not explained in UNSCOPED_ADMINS"
            )


def test_world_has_an_object_per_district_for_every_scoped_admin(world, db):
    assert not world.unbuilt, f"the matrix could not build objects for: {world.unbuilt}"
    for model, model_admin in admin.site._registry.items():
        if isinstance(model_admin, RegionScopedAdminMixin):
            label = model._meta.label
            assert world.obj(label, DISTRICT_A) and world.obj(label, DISTRICT_B), label


def client_for(world, role: str) -> Client:
    client = Client()
    user = world.users[role]
    if user is not None:
        client.force_login(user)
    return client


def _assert_login_redirect(response, url):
    assert response.status_code == 302, f"{url}: {response.status_code}"
    assert "/login/" in response["Location"], f"{url} redirects to {response['Location']}"


# ---------------------------------------------------------------------------------------------
# (a) Admin: changelists, change/history/delete pages of every registered ModelAdmin.
# ---------------------------------------------------------------------------------------------
ADMIN_MODELS = sorted(admin.site._registry, key=lambda m: m._meta.label)


def _change_link(model, obj) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_change", args=[quote(obj.pk)])


@pytest.mark.parametrize("model", ADMIN_MODELS, ids=lambda m: m._meta.label)
def test_admin_matrix(model, world, db):
    info = (model._meta.app_label, model._meta.model_name)
    changelist = reverse("admin:{}_{}_changelist".format(*info))
    scoped = isinstance(admin.site._registry[model], RegionScopedAdminMixin)
    objs = {d: world.obj(model._meta.label, d) for d in (DISTRICT_A, DISTRICT_B)} if scoped else {}

    for role in ("anonymous", "owner_a", "owner_b"):
        client = client_for(world, role)
        _assert_login_redirect(client.get(changelist), changelist)
        for obj in objs.values():
            _assert_login_redirect(client.get(_change_link(model, obj)), role)

    city_html = None
    city = client_for(world, "city")
    response = city.get(changelist)
    if response.status_code == 200:
        city_html = response.content.decode()

    for role in STAFF_ROLES:
        user = world.users[role]
        client = client_for(world, role)
        may_view = user.has_perm("{}.view_{}".format(*info)) or user.has_perm("{}.change_{}".format(*info))
        response = client.get(changelist)
        assert response.status_code == (200 if may_view else 403), (
            f"{role} {changelist}: {response.status_code}"
        )
        html = response.content.decode() if response.status_code == 200 else ""
        for district, obj in objs.items():
            link = _change_link(model, obj)
            visible = may_view and district in COVERS[role]
            if not visible and city_html and link in city_html:
                assert link not in html, (
                    f"{role} sees {model._meta.label} #{obj.pk} of {district} in {changelist}"
                )
            status = client.get(link).status_code
            if visible:
                assert status == 200, f"{role} cannot open own-region {link}: {status}"
            else:
                assert status in DENIED, f"{role} opened {link} of {district}: {status}"
            history = reverse("admin:{}_{}_history".format(*info), args=[quote(obj.pk)])
            status = client.get(history).status_code
            assert (status == 200) if visible else (status in DENIED), f"{role} {history}: {status}"
            if not visible:
                delete = reverse("admin:{}_{}_delete".format(*info), args=[quote(obj.pk)])
                assert client.get(delete).status_code in DENIED, f"{role} {delete}"
                assert client.post(delete, {"post": "yes"}).status_code in DENIED, f"{role} POST {delete}"
                assert client.post(link, {}).status_code in DENIED, f"{role} POST {link}"
                assert model._default_manager.filter(pk=obj.pk).exists()


CUSTOM_OBJECT_VIEWS = {
    "admin:campaigns_application_review": "campaigns.Application",
    "admin:campaigns_objection_resolve": "campaigns.Objection",
    "admin:campaigns_adreport_verify": "campaigns.AdReport",
}


@pytest.mark.parametrize("url_name", sorted(CUSTOM_OBJECT_VIEWS))
def test_admin_object_actions_deny_other_district(url_name, world, db):
    label = CUSTOM_OBJECT_VIEWS[url_name]
    for role, district in (("staff_x", DISTRICT_B), ("staff_y", DISTRICT_A)):
        obj = world.obj(label, district)
        url = reverse(url_name, kwargs={"pk": obj.pk})
        client = client_for(world, role)
        assert client.get(url).status_code in DENIED, f"{role} GET {url}"
        assert client.post(url, {"decision": "approve", "reason": "越权"}).status_code in DENIED, (
            f"{role} POST {url}"
        )
    for role in ("anonymous", "owner_a"):
        url = reverse(url_name, kwargs={"pk": world.obj(label, DISTRICT_A).pk})
        _assert_login_redirect(client_for(world, role).get(url), url)
    city_url = reverse(url_name, kwargs={"pk": world.obj(label, DISTRICT_B).pk})
    assert client_for(world, "city").get(city_url).status_code not in DENIED


def test_admin_psa_board_shows_only_own_district(world, db):
    from campaigns.models import AdQuota

    quota = AdQuota.objects.order_by("pk").first()
    url = reverse("admin:campaigns_adquota_board", kwargs={"pk": quota.pk})
    city_html = client_for(world, "city").get(url).content.decode()
    for role, other in (("staff_x", world.merchant_b), ("staff_y", world.merchant_a)):
        response = client_for(world, role).get(url)
        if response.status_code == 200 and other.name in city_html:
            assert other.name not in response.content.decode(), f"{role} sees {other.name} on the PSA board"
        else:
            assert response.status_code in (200, *DENIED)
        export = reverse("admin:campaigns_adquota_board_export", kwargs={"pk": quota.pk, "fmt": "csv"})
        response = client_for(world, role).get(export)
        if response.status_code == 200:
            assert other.name not in b"".join(response).decode("utf-8", "replace"), (
                f"{role} export leaks {other.name}"
            )
    _assert_login_redirect(client_for(world, "owner_a").get(url), url)


def test_admin_merchant_export_is_region_scoped(world, db):
    url = reverse("admin:merchants_merchant_export")
    for role, own, other in (
        ("staff_x", world.merchant_a, world.merchant_b),
        ("staff_y", world.merchant_b, world.merchant_a),
    ):
        client = client_for(world, role)
        page = client.get(url)
        assert page.status_code == 200
        form = page.context["form"]
        data = {"format": "0"}
        for name, bound in form.fields.items():
            if name.startswith(("merchantresource_", "resource_")) or name.endswith("_fields"):
                data[name] = bound.initial if bound.initial is not None else "on"
        response = client.post(url, data)
        assert response.status_code == 200
        body = b"".join(response).decode("utf-8-sig", "replace")
        assert own.uscc in body, f"{role}'s export misses its own merchant (form errors: {form.errors})"
        assert other.uscc not in body, f"{role}'s export contains {other.name} of another district"
    _assert_login_redirect(client_for(world, "owner_a").get(url), url)


# Staff pages hosted under /admin/ (admin_view): the staff sign-in for everyone else; staff see their own region.
STAFF_PAGES = (
    "workbench",
    "admin-models",
    "staff-audit-log",
    "admin-dashboard",
    "admin:merchants_listentry_import",
    "admin:complaints_complaint_work_orders_import",
    "admin:complaints_complaint_work_orders_export",
)


def test_staff_pages_refuse_the_public_and_merchants_and_stay_in_region(world, db):
    for name in STAFF_PAGES:
        url = reverse(name)
        for role in ("anonymous", "owner_a", "owner_b"):
            _assert_login_redirect(client_for(world, role).get(url), url)
    for role in ("staff_x", "staff_y", "city"):
        client = client_for(world, role)
        for name in ("workbench", "admin-models", "staff-audit-log", "admin-dashboard"):
            assert client.get(reverse(name)).status_code == 200, f"{role} {name}"
    dashboard = reverse("admin-dashboard")
    for role, other in (("staff_x", DISTRICT_B), ("staff_y", DISTRICT_A)):
        assert client_for(world, role).get(f"{dashboard}?region={other}").status_code == 404, role
    for role, other in (("staff_x", world.merchant_b), ("staff_y", world.merchant_a)):
        html = client_for(world, role).get(reverse("staff-audit-log")).content.decode()
        assert other.name not in html, f"{role}'s audit log names {other.name} of another district"


# Custom admin views keyed by one object: (URL name, model, extra args after the pk).
OBJECT_VIEWS = (
    ("admin:notifications_notice_decide", "notifications.Notice", ["resend"]),
    ("admin:spotchecks_spotcheckplan_decide", "spotchecks.SpotCheckPlan", ["approve"]),
    ("admin:spotchecks_spotchecktask_decide", "spotchecks.SpotCheckTask", ["merchant_closed"]),
    ("admin:spotchecks_spotchecktask_record", "spotchecks.SpotCheckTask", []),
    ("admin:analysis_monthlyreport_decide", "analysis.MonthlyReport", ["refresh"]),
    ("admin:analysis_monthlyreport_pdf", "analysis.MonthlyReport", []),
    ("admin:analysis_monthlyreport_xlsx", "analysis.MonthlyReport", []),
    ("admin:analysis_actionitem_decide", "analysis.ActionItem", ["done"]),
)


@pytest.mark.parametrize(("url_name", "label", "extra"), OBJECT_VIEWS, ids=[v[0] for v in OBJECT_VIEWS])
def test_admin_object_views_refuse_other_districts(url_name, label, extra, world, db):
    for role, district in (("staff_x", DISTRICT_B), ("staff_y", DISTRICT_A)):
        obj = world.obj(label, district)
        url = reverse(url_name, args=[obj.pk, *extra])
        client = client_for(world, role)
        assert client.get(url).status_code in (*DENIED, 405), f"{role} GET {url}"
        assert client.post(url, {"reason": "越权", "outcome": "pass"}).status_code in DENIED, f"{role} POST {url}"
    url = reverse(url_name, args=[world.obj(label, DISTRICT_A).pk, *extra])
    for role in ("anonymous", "owner_a"):
        _assert_login_redirect(client_for(world, role).get(url), url)
        _assert_login_redirect(client_for(world, role).post(url, {"reason": "越权"}), url)


# ---------------------------------------------------------------------------------------------
# (b) Portal pages keyed by a merchant or object id.
# ---------------------------------------------------------------------------------------------
def _portal_url(name: str, world, merchant):
    from complaints.selectors import complaints_for_merchant_user

    if name == "portal_complaints:detail":
        owner = world.users["owner_a" if merchant == world.merchant_a else "owner_b"]
        complaint = complaints_for_merchant_user(owner).filter(merchant=merchant).first()
        return reverse(name, kwargs={"pk": complaint.pk})
    if name == "portal_campaigns:apply":
        campaign = world.obj("campaigns.Campaign", DISTRICT_A)
        return reverse(name, kwargs={"merchant_pk": merchant.pk, "campaign_pk": campaign.pk})
    key = "merchant_pk" if "merchant_pk" in _route_for(name) else "pk"
    return reverse(name, kwargs={key: merchant.pk})


def _route_for(name: str) -> str:
    return next(r for r, n in all_url_patterns() if n == name)


PORTAL_MERCHANT_NAMES = sorted(n for n, why in NON_ADMIN_COVERAGE.items() if why == PORTAL_MERCHANT)
# Pages that only take POST (a GET is 405 for members too).
POST_ONLY = {"portal_complaints:odr"}
# Pages whose member GET may legitimately be refused for the seeded data (e.g. no open campaign).
NO_MEMBER_GET_CHECK = {"portal_campaigns:apply", "portal_campaigns:ad_report"}


@pytest.mark.parametrize("name", PORTAL_MERCHANT_NAMES)
def test_portal_merchant_pages_404_for_non_members(name, world, db):
    url = _portal_url(name, world, world.merchant_a)
    _assert_login_redirect(client_for(world, "anonymous").get(url), url)
    for role in ("owner_b", "staff_x", "city"):
        client = client_for(world, role)
        if name not in POST_ONLY:
            assert client.get(url).status_code == 404, f"{role} GET {url}"
        assert client.post(url, {}).status_code == 404, f"{role} POST {url}"
    owner_a = client_for(world, "owner_a")
    status = owner_a.get(url).status_code
    if name in POST_ONLY:
        assert status == 405
    elif name not in NO_MEMBER_GET_CHECK:
        assert status == 200, f"owner A cannot open own {url}: {status}"
    url_b = _portal_url(name, world, world.merchant_b)
    assert owner_a.post(url_b, {}).status_code == 404
    if name not in POST_ONLY:
        assert owner_a.get(url_b).status_code == 404


def test_portal_overviews_show_only_own_data(world, db):
    from complaints.selectors import complaints_for_merchant_user

    codes = {
        role: list(complaints_for_merchant_user(world.users[role]).values_list("tracking_code", flat=True))
        for role in ("owner_a", "owner_b")
    }
    assert codes["owner_a"] and codes["owner_b"]
    for name in ("portal:home", "portal_complaints:list", "portal_campaigns:overview", "portal:claim"):
        url = reverse(name)
        _assert_login_redirect(client_for(world, "anonymous").get(url), url)
        for role, other_merchant, other_role in (
            ("owner_a", world.merchant_b, "owner_b"),
            ("owner_b", world.merchant_a, "owner_a"),
        ):
            response = client_for(world, role).get(url)
            assert response.status_code == 200, f"{role} {url}"
            html = response.content.decode()
            assert other_merchant.name not in html, f"{role} sees {other_merchant.name} on {url}"
            leaked = [c for c in codes[other_role] if c in html]
            assert not leaked, f"{role} sees other merchant's complaints {leaked} on {url}"
    own = client_for(world, "owner_a").get(reverse("portal:home")).content.decode()
    assert world.merchant_a.name in own
    from complaints.models import Complaint

    report = Complaint.objects.filter(merchant=world.merchant_a, kind="report").first()
    owner_a = client_for(world, "owner_a")
    for name in ("portal:home", "portal_complaints:list"):
        assert report.tracking_code not in owner_a.get(reverse(name)).content.decode()
    assert owner_a.get(reverse("portal_complaints:detail", kwargs={"pk": report.pk})).status_code == 404
    detail = reverse("complaints_api:portal-complaint-detail", kwargs={"pk": report.pk})
    assert owner_a.get(detail).status_code == 404


# ---------------------------------------------------------------------------------------------
# (c) Authenticated API: lists hold only permitted rows; details of others are 404.
# ---------------------------------------------------------------------------------------------
def _ids(client, url) -> list[int]:
    ids, next_url = [], url + ("&" if "?" in url else "?") + "page_size=200"
    while next_url:
        response = client.get(next_url)
        assert response.status_code == 200, f"{next_url}: {response.status_code}"
        data = response.json()
        rows = data["results"] if isinstance(data, dict) else data
        ids += [row["id"] for row in rows]
        next_url = data.get("next") if isinstance(data, dict) else None
    return ids


def _staff_allowed_ids(model, role) -> set[int]:
    codes = COVERS[role]
    allowed = set()
    for district in codes:
        allowed |= set(in_district(model, district).values_list("pk", flat=True))
    return allowed


def test_api_staff_complaints_are_region_scoped(world, db):
    from complaints.models import Complaint

    list_url = reverse("complaints_api:staff-complaint-list")
    for role in ("staff_x", "staff_y", "city"):
        client = client_for(world, role)
        ids = set(_ids(client, list_url))
        visible = set(in_district(Complaint, DISTRICT_A).values_list("pk", flat=True)) | set(
            in_district(Complaint, DISTRICT_B).values_list("pk", flat=True)
        )
        allowed = _staff_allowed_ids(Complaint, role)
        assert ids and not (ids & (visible - allowed)), f"{role} lists complaints of another district"
        for district in (DISTRICT_A, DISTRICT_B):
            obj = world.obj("complaints.Complaint", district)
            detail = reverse("complaints_api:staff-complaint-detail", kwargs={"pk": obj.pk})
            transition = reverse("complaints_api:staff-complaint-transition", kwargs={"pk": obj.pk})
            if district in COVERS[role]:
                assert client.get(detail).status_code == 200
            else:
                assert client.get(detail).status_code == 404, f"{role} reads {detail}"
                assert client.post(transition, {"action": "accept"}).status_code == 404, (
                    f"{role} {transition}"
                )
    for role, other in (("staff_x", DISTRICT_B), ("staff_y", DISTRICT_A)):
        filtered = _ids(client_for(world, role), f"{list_url}?region_code={other}")
        assert not filtered, f"{role} lists {other} complaints through ?region_code="
    for role in ("anonymous", "owner_a", "owner_b"):
        assert client_for(world, role).get(list_url).status_code in (401, 403)


def test_api_staff_complaints_need_the_complaints_permission(world, db):
    client = client_for(world, "civility")
    assert not world.users["civility"].has_perm("complaints.view_complaint")
    obj = world.obj("complaints.Complaint", DISTRICT_A)
    assert client.get(reverse("complaints_api:staff-complaint-list")).status_code in DENIED
    assert (
        client.get(reverse("complaints_api:staff-complaint-detail", kwargs={"pk": obj.pk})).status_code
        in DENIED
    )


def test_api_portal_complaints_are_merchant_scoped(world, db):
    from complaints.models import Complaint

    list_url = reverse("complaints_api:portal-complaint-list")
    for role, own, other in (
        ("owner_a", world.merchant_a, world.merchant_b),
        ("owner_b", world.merchant_b, world.merchant_a),
    ):
        client = client_for(world, role)
        ids = set(_ids(client, list_url))
        own_ids = set(Complaint.objects.filter(merchant=own).values_list("pk", flat=True))
        assert ids and ids <= own_ids, f"{role} lists complaints of other merchants: {ids - own_ids}"
        assert not Complaint.objects.filter(pk__in=ids).exclude(kind="complaint").exists(), (
            f"{role} sees reports (举报)"
        )
        other_complaint = Complaint.objects.filter(merchant=other).first()
        detail = reverse("complaints_api:portal-complaint-detail", kwargs={"pk": other_complaint.pk})
        reply = reverse("complaints_api:portal-complaint-reply", kwargs={"pk": other_complaint.pk})
        assert client.get(detail).status_code == 404
        assert client.post(reply, {"body": "越权回复"}, content_type="application/json").status_code == 404
        odr = reverse("complaints_api:odr", kwargs={"merchant_id": other.pk})
        assert client.post(odr, {"enrolled": True}, content_type="application/json").status_code == 404
        for name in ("api-my-rating", "api-my-appeals"):
            assert client.get(reverse(name, kwargs={"merchant_id": other.pk})).status_code == 404, name
            assert client.get(reverse(name, kwargs={"merchant_id": own.pk})).status_code == 200, name
        body = client.get(list_url).content.decode()
        for personal in Complaint.objects.filter(merchant=own).values_list(
            "complainant_phone", "complainant_id_number"
        ):
            assert not [p for p in personal if p and len(p) >= 6 and p in body], (
                f"{role} sees complainant data"
            )
    for name in ("api-my-rating", "api-my-appeals"):
        url = reverse(name, kwargs={"merchant_id": world.merchant_a.pk})
        assert client_for(world, "anonymous").get(url).status_code == 401
        assert client_for(world, "staff_x").get(url).status_code == 404
    assert client_for(world, "anonymous").get(list_url).status_code in (401, 403)


def test_api_campaign_applications_are_scoped(world, db):
    from campaigns.models import Application

    list_url = reverse("campaign-application-list")
    for role, own in (("owner_a", world.merchant_a), ("owner_b", world.merchant_b)):
        ids = set(_ids(client_for(world, role), list_url))
        own_ids = set(Application.objects.filter(merchant=own).values_list("pk", flat=True))
        assert ids and ids <= own_ids, f"{role} lists other merchants' applications"
    for role in ("staff_x", "staff_y", "city"):
        ids = set(_ids(client_for(world, role), list_url))
        allowed = _staff_allowed_ids(Application, role)
        others = set(in_district(Application, DISTRICT_A).values_list("pk", flat=True)) | set(
            in_district(Application, DISTRICT_B).values_list("pk", flat=True)
        )
        assert ids and not (ids & (others - allowed)), f"{role} lists applications of another district"
    for role, obj_district in (
        ("owner_b", DISTRICT_A),
        ("owner_a", DISTRICT_B),
        ("staff_x", DISTRICT_B),
        ("staff_y", DISTRICT_A),
    ):
        client = client_for(world, role)
        obj = world.obj("campaigns.Application", obj_district)
        assert client.get(reverse("campaign-application-detail", kwargs={"pk": obj.pk})).status_code == 404, (
            role
        )
        for action in ("campaign-application-district-review", "campaign-application-city-review"):
            url = reverse(action, kwargs={"pk": obj.pk})
            response = client.post(
                url, {"decision": "approve", "note": "越权"}, content_type="application/json"
            )
            assert response.status_code in DENIED, f"{role} POST {url}: {response.status_code}"
    assert client_for(world, "anonymous").get(list_url).status_code in (401, 403)


# ---------------------------------------------------------------------------------------------
# (d) Anonymous API endpoints never return complaint or objection data.
# ---------------------------------------------------------------------------------------------
PERSONAL_FIELD = re.compile(r"(name|phone|address|id_number|email|reason|text|body|content)")


def _secret_values() -> set[str]:
    from django.apps import apps

    values: set[str] = set()
    for label in ("complaints.Complaint", "campaigns.Objection"):
        model = apps.get_model(label)
        fields = [
            f.name
            for f in model._meta.concrete_fields
            if f.get_internal_type() in {"CharField", "TextField"}
            and (PERSONAL_FIELD.search(f.name) or f.name == "tracking_code")
        ]
        for row in model.objects.values_list(*fields):
            values.update(v for v in row if v and len(v) >= 6)
    return values


def test_anonymous_api_never_returns_complaint_or_objection_data(world, db):
    secrets = _secret_values()
    assert len(secrets) > 50
    client = Client()
    checked = 0
    for _route, name in all_url_patterns():
        if NON_ADMIN_COVERAGE.get(name) != ANON_API:
            continue
        if name.endswith("-detail"):
            listing = client.get(reverse(name.replace("-detail", "-list"))).json()
            rows = listing["results"] if isinstance(listing, dict) else listing
            # (URL keyword, row field): the open data names its ids region_code and merchant_id.
            key, field = {
                "open-region-detail": ("region_code", "code"),
                "open-merchant-detail": ("merchant_id", "merchant_id"),
            }.get(name, ("pk", "id"))
            urls = [reverse(name, kwargs={key: row[field]}) for row in rows[:20]]
        else:
            urls = [reverse(name)]
        for url in urls:
            response = client.get(url)
            assert response.status_code == 200, f"{url}: {response.status_code}"
            body = json.dumps(response.json(), ensure_ascii=False)
            leaked = [s for s in secrets if s in body]
            assert not leaked, f"{url} returns complaint/objection data: {leaked[:3]}"
            checked += 1
    assert checked > 10


@pytest.mark.parametrize("model", ADMIN_MODELS, ids=lambda m: m._meta.label)
def test_admin_add_forms_offer_only_own_district_choices(model, world, db):
    """Every foreign-key choice on an add form is limited to the user's district (querysets, not just HTML)."""
    from django.forms import ModelChoiceField

    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_add")
    for role, other_district in (("staff_x", DISTRICT_B), ("staff_y", DISTRICT_A)):
        response = client_for(world, role).get(url, follow=True)  # the complaint add page redirects to intake
        assert response.status_code in (200, 403), f"{role} {url}: {response.status_code}"
        if response.status_code != 200 or not response.context:
            continue
        form = (
            response.context["adminform"].form
            if "adminform" in response.context
            else response.context.get("form")
        )
        for name, field in getattr(form, "fields", {}).items():
            if not isinstance(field, ModelChoiceField) or region_path_of(field.queryset.model) is None:
                continue
            foreign = in_district(field.queryset.model, other_district).values("pk")
            assert not field.queryset.filter(pk__in=foreign).exists(), (
                f"{role}'s add form for {model._meta.label} offers {other_district} choices in '{name}'"
            )


def test_admin_autocomplete_is_region_scoped(world, db):
    checked = 0
    for model, model_admin in admin.site._registry.items():
        for field_name in getattr(model_admin, "autocomplete_fields", ()):
            target = model._meta.get_field(field_name).related_model
            if target._meta.label != "merchants.Merchant":
                continue
            params = {
                "app_label": model._meta.app_label,
                "model_name": model._meta.model_name,
                "field_name": field_name,
            }
            limit = model._meta.get_field(field_name).get_limit_choices_to() or {}
            candidates = {
                d: in_district(target, d).complex_filter(limit).order_by("pk").first()
                for d in (DISTRICT_A, DISTRICT_B)
            }
            if not all(candidates.values()):
                continue
            for role, other, expect in (
                ("staff_x", candidates[DISTRICT_B], False),
                ("staff_y", candidates[DISTRICT_A], False),
                ("city", candidates[DISTRICT_B], True),
            ):
                response = client_for(world, role).get(
                    reverse("admin:autocomplete"), {**params, "term": other.name}
                )
                if response.status_code != 200:
                    assert not expect and response.status_code in DENIED
                    continue
                ids = {str(r["id"]) for r in response.json()["results"]}
                assert (str(other.pk) in ids) is expect, f"{role} autocomplete {params}: {ids}"
                checked += 1
    assert checked


def test_merchant_portal_never_shows_complainant_personal_data(world, db):
    """A merchant sees complaints against it, never who complained (name, phone, address, ID, e-mail)."""
    from complaints.models import Complaint
    from complaints.selectors import complaints_for_merchant_user

    owner = world.users["owner_a"]
    own = list(complaints_for_merchant_user(owner).values_list("pk", flat=True))
    fields = [
        f
        for f in (
            "complainant_name",
            "complainant_phone",
            "complainant_address",
            "complainant_id_number",
            "complainant_email",
        )
    ]
    secrets = {
        v
        for row in Complaint.objects.filter(merchant=world.merchant_a).values_list(*fields)
        for v in row
        if v and len(v) >= 3
    }
    assert own and secrets
    client = client_for(world, "owner_a")
    urls = [reverse("portal:home"), reverse("portal_complaints:list")]
    urls += [reverse("portal_complaints:detail", kwargs={"pk": pk}) for pk in own]
    urls += [reverse("complaints_api:portal-complaint-list")]
    urls += [reverse("complaints_api:portal-complaint-detail", kwargs={"pk": pk}) for pk in own]
    urls += [_portal_url(n, world, world.merchant_a) for n in PORTAL_MERCHANT_NAMES if n not in POST_ONLY]
    for url in urls:
        response = client.get(url)
        body = response.content.decode()
        if response.get("Content-Type", "").startswith("application/json"):
            body = json.dumps(response.json(), ensure_ascii=False)
        leaked = [s for s in secrets if s in body]
        assert not leaked, f"{url} shows complainant data to the merchant: {leaked[:3]}"


def test_staff_lists_mask_complainant_phones(world, db):
    from complaints.models import Complaint

    phones = {
        p
        for p in in_district(Complaint, DISTRICT_A).values_list("complainant_phone", flat=True)
        if p and len(p) >= 11
    }
    assert phones
    client = client_for(world, "staff_x")
    rows = client.get(reverse("complaints_api:staff-complaint-list") + "?page_size=200").json()["results"]
    assert rows
    for row in rows:
        assert not row.get("complainant_phone") or re.fullmatch(
            r"\d{3}\*{4}\d{4}", row["complainant_phone"]
        ), row
    changelist = client.get(reverse("admin:complaints_complaint_changelist")).content.decode()
    assert not [p for p in phones if p in changelist], "full phone numbers in the staff complaint changelist"
