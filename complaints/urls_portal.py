from django.urls import path

from .views import portal as views
from .views import stations

app_name = "portal_complaints"
urlpatterns = [
    path("", views.complaint_list, name="list"),
    path("<int:pk>/", views.complaint_detail, name="detail"),
    path("odr/<int:merchant_pk>/", views.odr_enroll, name="odr"),
    path("stations/<int:pk>/", stations.station, name="station"),
    path("stations/<int:pk>/intake/", stations.intake, name="station_intake"),
    path("stations/<int:pk>/<int:complaint_pk>/mediate/", stations.mediate, name="station_mediate"),
]
