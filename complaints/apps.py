from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ComplaintsConfig(AppConfig):
    name = "complaints"
    verbose_name = _("投诉举报")

    def ready(self) -> None:
        from integrity_portal.core.demo import register_demo_seeder
        from integrity_portal.core.ratingfacts import register_fact_provider

        from .demo import seed_complaints
        from .ratingfacts import FACT_COLUMNS, complaint_facts

        register_fact_provider("complaints", FACT_COLUMNS, complaint_facts)
        register_demo_seeder("complaints", 30, seed_complaints)
