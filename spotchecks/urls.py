"""Public routes of 双随机、一公开 (mounted at /spot-checks/)."""

from django.urls import path

from . import views

app_name = "spotchecks"
urlpatterns = [
    path("", views.plan_list, name="plan_list"),
    path("draw.py", views.draw_script, name="draw_script"),
    path("<int:pk>/", views.plan_detail, name="plan_detail"),
    path("<int:pk>/record.json", views.draw_record, name="draw_record"),
]
