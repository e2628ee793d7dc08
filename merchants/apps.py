from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MerchantsConfig(AppConfig):
    name = "merchants"
    verbose_name = _("市场主体与信用")

    def ready(self) -> None:
        from integrity_portal.core.audit import register_audit_actions

        from .audit_actions import AuditAction

        register_audit_actions(AuditAction)  # this app's audit actions, named once (core.audit)
        from integrity_portal.core.scoping import register_region_resolver

        from . import regions

        register_region_resolver(regions.region_and_descendant_codes)
        regions.connect_cache_invalidation()

        from integrity_portal.core.demo import register_demo_seeder

        from . import demo

        register_demo_seeder("register", 10, demo.seed_register)
        register_demo_seeder("demo_logins", 11, demo.seed_demo_logins)

        from . import rating_demo

        register_demo_seeder("credit_facts", 20, rating_demo.seed_credit_facts)
        register_demo_seeder("final_recompute", 60, rating_demo.seed_final_recompute)

        from . import recourse_demo

        register_demo_seeder("recourse_showcases", 25, recourse_demo.seed_showcases)

        from integrity_portal.core.holidays import register_schedule_listener

        from .services.deadlines import register_deadlines_recompute

        register_schedule_listener("merchants", register_deadlines_recompute)

        from integrity_portal.core.panels import register_merchant_panel

        # The credit panel's data comes from its own inclusion tags (credit_tags, findings_tags).
        register_merchant_panel(
            "credit", template="portal/partials/credit_panel.html", context=lambda **_kw: {}, order=10
        )

        from .workflow import register_workflows

        register_workflows()
