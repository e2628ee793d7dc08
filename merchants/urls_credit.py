"""Public credit routes: red/black lists, printable plaque and its verification page."""

from django.urls import path

from .views import credit as views

app_name = "credit"
urlpatterns = [
    path("lists/red/", views.red_list, name="red_list"),
    path("lists/black/", views.black_list, name="black_list"),
    path("merchants/<int:pk>/plaque/", views.plaque, name="plaque"),
    path("verify/<str:token>/", views.verify, name="verify"),
]
