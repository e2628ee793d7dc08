"""Portal credit routes (mounted at /portal/credit/)."""

from django.urls import path

from .views import portal_credit as views

app_name = "portal_credit"
urlpatterns = [
    path("<int:pk>/commitment/", views.commitment, name="commitment"),
    path("<int:pk>/repair/", views.repair, name="repair"),
    path("<int:pk>/appeal/", views.appeal, name="appeal"),
    path("<int:pk>/reply/", views.reply, name="reply"),
    path("<int:pk>/reinspection/", views.reinspection, name="reinspection"),
]
