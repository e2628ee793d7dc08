from django.urls import path

from . import views_portal as views

app_name = "inbox"
urlpatterns = [
    path("", views.inbox, name="list"),
    path("<int:pk>/read/", views.read, name="read"),
    path("read-all/", views.read_all, name="read_all"),
    path("preferences/", views.preferences, name="preferences"),
]
