from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MerchantsConfig(AppConfig):
    name = "merchants"
    verbose_name = _("Merchants and credit (市场主体与信用)")

    def ready(self) -> None:
        from integrity_portal.core.scoping import register_region_resolver

        from . import regions

        register_region_resolver(regions.region_and_descendant_codes)
        regions.connect_cache_invalidation()
