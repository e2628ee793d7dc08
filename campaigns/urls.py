from django.urls import path

from . import views

app_name = "campaigns"
urlpatterns = [
    path("", views.notice_list, name="notice_list"),
    path("<int:key>/", views.notice_detail, name="notice"),
    path("<int:key>/objection/filed/", views.objection_done, name="objection_done"),
    path("<int:key>/print/", views.notice_print, name="notice_print"),
    path("<int:key>/export.<str:fmt>", views.notice_export, name="notice_export"),
]
