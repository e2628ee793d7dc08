from django.urls import path

from .views import portal as views

app_name = "portal"
urlpatterns = [
    path("", views.home, name="home"),
    path("claim/", views.claim, name="claim"),
    path("merchants/<int:pk>/", views.merchant, name="merchant"),
]
