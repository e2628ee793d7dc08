"""Open-data lists and the authenticated portal rating endpoints (mounted under /api/v1/)."""

from django.urls import path

from . import credit, discipline

urlpatterns = [
    path("lists/red/", credit.RedListApi.as_view(), name="api-red-list"),
    path("lists/black/", credit.BlackListApi.as_view(), name="api-black-list"),
    path("portal/merchants/<int:merchant_id>/rating/", credit.MyRatingApi.as_view(), name="api-my-rating"),
    path("portal/merchants/<int:merchant_id>/appeals/", credit.MyAppealsApi.as_view(), name="api-my-appeals"),
    path("discipline/feed/", discipline.DisciplineFeedApi.as_view(), name="api-discipline-feed"),
    path("staff/inspections/", credit.StaffInspectionsApi.as_view(), name="api-staff-inspections"),
]
