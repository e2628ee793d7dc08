from django.urls import path
from rest_framework.routers import SimpleRouter

from .views import ApplicationViewSet, CommendationViewSet, ObjectionCreateView

router = SimpleRouter()
router.register("commendations", CommendationViewSet, basename="commendation")
router.register("campaign-applications", ApplicationViewSet, basename="campaign-application")

urlpatterns = [
    path("campaign-objections/", ObjectionCreateView.as_view(), name="campaign-objection-create"),
    *router.urls,
]
