from django.urls import path, re_path

from .views import directory as directory_views
from .views import engagement as engagement_views
from .views import open_data as open_data_views
from .views import public as views
from .views import ratings as rating_views

app_name = "public"
urlpatterns = [
    path("", views.home, name="home"),
    path("robots.txt", views.robots_txt, name="robots_txt"),
    path("merchants/", directory_views.merchant_list, name="merchant_list"),
    path("merchants/<int:pk>/", views.merchant_detail, name="merchant_detail"),
    path("ratings/how/", rating_views.ratings_how, name="ratings_how"),
    # Role models (诚信典型库) and following a merchant by e-mail (issue #19 items 6 and 7).
    path("role-models/", engagement_views.role_models, name="role_models"),
    path("role-models/<int:pk>/photo/", engagement_views.role_model_photo, name="role_model_photo"),
    path("merchants/<int:pk>/follow/", engagement_views.follow, name="follow"),
    path("follow/confirm/<str:token>/", engagement_views.follow_confirm, name="follow_confirm"),
    path("follow/unsubscribe/<str:token>/", engagement_views.follow_unsubscribe, name="follow_unsubscribe"),
    path("open-data/", open_data_views.open_data, name="open_data"),
    # Region, dataset and format only: the file is looked up in the manifest, never by a path from the URL.
    re_path(
        r"^open-data/(?P<region_code>[0-9]{6})/(?P<dataset>[a-z_]{1,20})\.(?P<fmt>csv|xlsx|json)$",
        open_data_views.open_data_file,
        name="open_data_file",
    ),
]
