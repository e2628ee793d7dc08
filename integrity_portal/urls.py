"""URL map: public site at /, merchant portal at /portal/, staff admin at /admin/, API at /api/v1/."""

from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView

from campaigns.feeds import CommendationFeed
from integrity_portal.core import views as core_views
from integrity_portal.core import views_staff as staff_views
from integrity_portal.core.api_docs import RedocDocsView, SwaggerDocsView
from integrity_portal.core.api_root import ApiRootView
from integrity_portal.core.metrics import metrics_view
from integrity_portal.core.views_dashboard import dashboard_view
from integrity_portal.core.views_personal_data import personal_data_request
from merchants.feeds import BlackListFeed
from notifications.views_admin import staff_inbox
from spotchecks.feeds import SpotCheckFeed

api_v1 = [
    path("", ApiRootView.as_view(), name="api-root"),
    path("", include("merchants.api.urls")),
    path("", include("merchants.api.urls_credit")),
    path("", include("complaints.api.urls")),
    path("", include("campaigns.api.urls")),
    path("", include("spotchecks.api.urls")),
]

urlpatterns = [
    # First, the public pages and the open-data API: every visit resolves its URL, and Django tries the
    # patterns in order (50 – 90 µs per request when they came last). None of their routes starts with another
    # pattern's prefix (admin/, portal/, accounts/, api/schema/ …), so the order changes no answer
    # (tests/core/test_urls.py).
    path("api/v1/", include(api_v1)),
    path("", include("merchants.urls")),
    path("", include("merchants.urls_credit")),
    path(
        "admin/personal-data/",
        admin.site.admin_view(personal_data_request),
        name="personal-data-request",
    ),
    # The staff inbox (notifications/views_admin.py): before admin.site.urls, which would 404 it.
    path("admin/inbox/", admin.site.admin_view(staff_inbox), name="admin-inbox"),
    # The staff home is the workbench (core/workbench.py); Django's model list moved one click away.
    path("admin/", admin.site.admin_view(staff_views.workbench), name="workbench"),
    path("admin/models/", admin.site.admin_view(staff_views.model_index), name="admin-models"),
    path("admin/audit-log/", admin.site.admin_view(staff_views.audit_log), name="staff-audit-log"),
    path("admin/dashboard/", admin.site.admin_view(dashboard_view), name="admin-dashboard"),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/two-factor/", include("integrity_portal.core.urls_two_factor")),
    path("accounts/", include("merchants.urls_accounts")),
    path("portal/complaints/", include("complaints.urls_portal")),
    path("portal/campaigns/", include("campaigns.urls_portal")),
    path("portal/credit/", include("merchants.urls_portal_credit")),
    path("portal/inbox/", include("notifications.urls_portal")),
    path("portal/", include("merchants.urls_portal")),
    path("complaints/", include("complaints.urls")),
    path("notices/", include("campaigns.urls")),
    path("campaigns/", include("campaigns.urls_public")),
    path("spot-checks/", include("spotchecks.urls")),
    # Atom feeds per city and district (docs/NOTIFICATIONS.md, "Feeds"): public columns only, cached.
    re_path(r"^feeds/black-list/(?P<region_code>[0-9]{6})\.atom$", BlackListFeed(), name="feed_black_list"),
    re_path(r"^feeds/commendations/(?P<region_code>[0-9]{6})\.atom$", CommendationFeed(), name="feed_commendations"),
    re_path(r"^feeds/spot-checks/(?P<region_code>[0-9]{6})\.atom$", SpotCheckFeed(), name="feed_spot_checks"),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SwaggerDocsView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/redoc/", RedocDocsView.as_view(url_name="api-schema"), name="api-redoc"),
    path("legal/privacy/", core_views.legal_document, {"kind": "privacy"}, name="legal-privacy"),
    path("legal/terms/", core_views.legal_document, {"kind": "terms"}, name="legal-terms"),
    path("healthz/", core_views.healthz, name="healthz"),
    path("readyz/", core_views.readyz, name="readyz"),
    path("metrics", metrics_view, name="metrics"),
]

handler400 = "integrity_portal.core.views.bad_request"
handler403 = "integrity_portal.core.views.permission_denied"
handler404 = "integrity_portal.core.views.page_not_found"
handler500 = "integrity_portal.core.views.server_error"

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
