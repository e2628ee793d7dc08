from django.urls import path

from .views import markets
from .views import portal as views

app_name = "portal"
urlpatterns = [
    path("", views.home, name="home"),
    path("claim/", views.claim, name="claim"),
    path("merchants/<int:pk>/", views.merchant, name="merchant"),
    path("markets/<int:pk>/", markets.market, name="market"),
    path("markets/<int:pk>/claim-letters/", markets.claim_letters, name="market_claim_letters"),
    path("markets/<int:pk>/invite/", markets.invite, name="market_invite"),
]
