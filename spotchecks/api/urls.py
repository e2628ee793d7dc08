"""Public spot-check API (mounted under /api/v1/)."""

from django.urls import path

from . import views

urlpatterns = [
    path("spot-checks/", views.SpotCheckPlanListApi.as_view(), name="api-spot-checks"),
    path("spot-checks/<int:plan_id>/", views.SpotCheckPlanDetailApi.as_view(), name="api-spot-check"),
    path("spot-checks/<int:plan_id>/results/", views.SpotCheckResultsApi.as_view(), name="api-spot-check-results"),
]
