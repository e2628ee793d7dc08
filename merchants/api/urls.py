from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("regions", views.RegionViewSet, basename="open-region")
router.register("merchants", views.MerchantViewSet, basename="open-merchant")

urlpatterns = router.urls
