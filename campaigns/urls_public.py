from django.urls import path

from . import views_public as views

app_name = "public_campaigns"
urlpatterns = [
    path("", views.campaign_list, name="list"),
    path("<int:pk>/", views.campaign_detail, name="detail"),
    path("objections/", views.objection_lookup, name="objection"),
]
