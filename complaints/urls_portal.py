from django.urls import path

from .views import portal as views

app_name = "portal_complaints"
urlpatterns = [
    path("", views.complaint_list, name="list"),
    path("<int:pk>/", views.complaint_detail, name="detail"),
    path("odr/<int:merchant_pk>/", views.odr_enroll, name="odr"),
]
