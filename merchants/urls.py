from django.urls import path

from .views import public as views
from .views import ratings as rating_views

app_name = "public"
urlpatterns = [
    path("", views.home, name="home"),
    path("merchants/", views.merchant_list, name="merchant_list"),
    path("merchants/<int:pk>/", views.merchant_detail, name="merchant_detail"),
    path("ratings/how/", rating_views.ratings_how, name="ratings_how"),
]
