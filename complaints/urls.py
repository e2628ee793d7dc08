from django.urls import path

from .views import public as views

app_name = "complaints"
urlpatterns = [
    path("new/", views.new, name="new"),
    path("new/done/", views.submitted, name="submitted"),
    path("new/send-code/", views.send_code, name="send_code"),
    path("track/", views.track, name="track"),
    path("track/result/", views.track_result, name="track_result"),
    path("track/proposal/<int:reply_id>/", views.track_proposal, name="track_proposal"),
    path("track/rate/", views.track_rate, name="track_rate"),
    path("statistics/", views.statistics, name="statistics"),
    path("merchant-search/", views.merchant_search, name="merchant_search"),
    path("attachments/<int:pk>/", views.attachment, name="attachment"),
]
