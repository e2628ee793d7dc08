from django.urls import path

from . import views_portal as views

app_name = "portal_campaigns"
urlpatterns = [
    path("", views.overview, name="overview"),
    path("<int:merchant_pk>/applications/", views.applications, name="applications"),
    path("<int:merchant_pk>/apply/<int:campaign_pk>/", views.apply, name="apply"),
    path("<int:merchant_pk>/psa/", views.ad_report, name="ad_report"),
]
