from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def role_grants() -> dict:
    """Staff roles' permissions on the register's models (core.roles). Regions follow GB/T 2260 and only
    system administrators edit them; claim codes are created only by the "发放认领码" action (never typed
    in or edited); history rows are written by django-simple-history, never by hand."""
    from integrity_portal.core.roles import StaffRole

    # Partner departments and their API keys (docs/PARTNERS.md): superusers only (admin SuperuserOnly).
    no_partners = ["!merchants.*_partnerdepartment", "!merchants.*_partnerapikey"]
    register_admin = [
        "!merchants.add_region",
        "!merchants.change_region",
        "!merchants.add_claimcode",
        "!merchants.change_claimcode",
        "!merchants.add_historical*",
        "!merchants.change_historical*",
        "!merchants.*_merchantfollower",  # citizens' e-mail addresses: nobody browses them
        *no_partners,
    ]
    # Role-model stories are written and decided by the civility office and the city bureau only.
    no_stories = ["!merchants.add_rolemodelstory", "!merchants.change_rolemodelstory"]
    return {
        StaffRole.CITY_BUREAU: [
            "merchants.*",
            "!merchants.delete_*",
            "!merchants.*_staffprofile",
            "merchants.view_staffprofile",
            *register_admin,
        ],
        StaffRole.DISTRICT_BRANCH: [
            "merchants.*",
            "!merchants.delete_*",
            "!merchants.*_region",
            "merchants.view_region",
            "!merchants.*_ratingpolicy",
            "merchants.view_ratingpolicy",
            *no_stories,
            "!merchants.*_staffprofile",
            "merchants.view_staffprofile",
            *register_admin,
        ],
        StaffRole.CIVILITY_OFFICE: [
            "merchants.view_merchant",
            "merchants.view_region",
            "merchants.view_listentry",
            "merchants.view_rolemodelstory",
            "merchants.add_rolemodelstory",
            "merchants.change_rolemodelstory",
        ],
        StaffRole.INSPECTOR: [
            "merchants.view_*",
            "merchants.add_inspection",
            "merchants.change_inspection",
            "!merchants.view_staffprofile",
            "!merchants.*_merchantfollower",
            *no_stories,
            *no_partners,
        ],
    }


def merchant_notice_link(merchant, audience: str) -> str:
    """The page a notice about a merchant links to: the member's portal page, or the staff record."""
    from django.urls import reverse

    if audience == "merchant":
        return reverse("portal:merchant", args=[merchant.pk])
    if audience == "staff":
        return reverse("admin:merchants_merchant_change", args=[merchant.pk])
    return ""


class MerchantsConfig(AppConfig):
    name = "merchants"
    verbose_name = _("市场主体与信用")

    def ready(self) -> None:
        from integrity_portal.core.audit import register_audit_actions

        from .audit_actions import AuditAction

        register_audit_actions(AuditAction)  # this app's audit actions, named once (core.audit)
        from integrity_portal.core.scoping import register_region_resolver

        from . import regions

        register_region_resolver(regions.region_and_descendant_codes, model=self.get_model("Region"))
        regions.connect_cache_invalidation()

        from .selectors import dashboard as dashboard_figures

        dashboard_figures.register()  # the region directory and the register's figures (core.dashboard)

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

        from integrity_portal.core.roles import register_role_permissions

        register_role_permissions("merchants", role_grants())

        from integrity_portal.core.retention import register_anonymiser

        from .services.follow import followers_anonymise_expired

        register_anonymiser("merchant_followers", followers_anonymise_expired)  # unconfirmed addresses

        from integrity_portal.core.middleware import register_public_reads

        # The public directory, profiles, lists, plaque verification and their open data: no personal data.
        register_public_reads(
            "merchants",
            prefixes=(
                "/merchants/",
                "/lists/",
                "/verify/",
                "/role-models/",
                "/feeds/",
                "/api/v1/merchants/",
                "/api/v1/regions/",
                "/api/v1/lists/",
            ),
            paths=("/",),
        )

        from integrity_portal.core.panels import register_merchant_panel

        # The credit panel's data comes from its own inclusion tags (credit_tags, findings_tags).
        register_merchant_panel(
            "credit", template="portal/partials/credit_panel.html", context=lambda **_kw: {}, order=10
        )

        from integrity_portal.core.panels import register_portal_todo

        from .selectors.portal import portal_todos

        register_portal_todo("merchants", portal_todos)
        from .selectors.markets import invitation_todos

        register_portal_todo("market_invitations", invitation_todos)  # a market asks its stall to sign (PARTNERS.md)

        from .workflow import register_workflows

        register_workflows()

        from .workbench import register_work_sources

        register_work_sources()  # what waits for staff on the workbench (core.workbench)
        from .audit_scopes import register_audit_scopes

        register_audit_scopes()  # where its audit entries belong, for the staff audit log (core.staff_audit)

        from notifications.kinds import register_member_resolver, register_notice_link

        from .selectors.register import merchant_member_users, merchants_member_users

        # Who a merchant's notices go to, and where the inbox links for a notice about a merchant.
        register_member_resolver(merchant_member_users, bulk=merchants_member_users)
        register_notice_link(self.get_model("Merchant"), merchant_notice_link)

        from .notices import register_kinds as register_notice_kinds

        register_notice_kinds()  # the notices to members about the credit record (merchants/notices.py)

        from django.db.models.signals import post_migrate

        from .search import install_after_migrate

        # PostgreSQL: the search grams function and GIN index (the migration builds it concurrently; tests
        # run --nomigrations, so the handler creates it after syncdb; IF NOT EXISTS elsewhere).
        post_migrate.connect(install_after_migrate, sender=self, dispatch_uid="merchants_search_index")
