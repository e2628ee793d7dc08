from django.urls import include, path
from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("staff/complaints", views.StaffComplaintViewSet, basename="staff-complaint")
router.register("portal/complaints", views.MerchantComplaintViewSet, basename="portal-complaint")

app_name = "complaints_api"
urlpatterns = [
    path("complaints/submit/", views.SubmitView.as_view(), name="submit"),
    path("complaints/track/", views.TrackView.as_view(), name="track"),
    path("complaints/track/decide/", views.TrackDecideView.as_view(), name="track_decide"),
    path("complaints/track/rate/", views.TrackRateView.as_view(), name="track_rate"),
    path("complaints/statistics/", views.StatisticsView.as_view(), name="statistics"),
    path("portal/complaints/odr/<int:merchant_id>/", views.OdrView.as_view(), name="odr"),
    path("", include(router.urls)),
]
