from django.urls import path

from . import views

app_name = "public"
urlpatterns = [
    path("", views.home, name="home"),
    path("merchants/", views.merchant_list, name="merchant_list"),
    path("merchants/<int:pk>/", views.merchant_detail, name="merchant_detail"),
]
