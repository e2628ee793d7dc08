from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _sync_groups(sender, **kwargs):
    from .roles import sync_role_groups

    sync_role_groups()


class CoreConfig(AppConfig):
    name = "integrity_portal.core"
    label = "core"
    verbose_name = _("系统：操作日志与工作日")

    def ready(self) -> None:
        # Groups are derived from the role map after every migrate/flush, so they never drift.
        post_migrate.connect(_sync_groups, dispatch_uid="core_sync_role_groups")
