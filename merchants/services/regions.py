"""Writes to the division tree (GB/T 2260 regions): system administrators only.

A region's code is on every merchant, staff profile, complaint and campaign of it, and its name on
every public page of them; one edit acts on a whole city. Every write is audited, and once committed
drops the per-process region tree (``merchants.regions``) and the cached public pages.
"""

from __future__ import annotations

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import ProtectedError
from django.utils.translation import gettext as _

from integrity_portal.core.audit import audit_log
from integrity_portal.core.errors import NotPermitted, ValidationFailed
from integrity_portal.core.public_cache import public_pages_changed
from integrity_portal.core.services import model_update

from .. import regions as region_tree
from ..audit_actions import AuditAction
from ..models import Region

#: What an edit may change; the code is the key every other row points at and never changes.
REGION_FIELDS = ("name", "level", "parent")


def _require_superuser(actor: User | None) -> None:
    if actor is not None and not getattr(actor, "is_superuser", False):
        raise NotPermitted(_("只有系统管理员可以修改行政区划。"))


def _tree_changed() -> None:
    region_tree.clear_cache()
    public_pages_changed()


def region_save(*, region: Region, actor: User | None, changed_fields: list[str] | None = None) -> Region:
    """Add a region or save an edit of one (only ``changed_fields`` of it; None: name, level and parent).

    A parent must not be the region itself or one below it: the tree walks would loop.
    """
    _require_superuser(actor)
    is_new = region._state.adding
    if region.parent_id is not None and not is_new:
        below = set(region_tree.region_and_descendant_codes(region.pk)) | {region.pk}
        if region.parent_id in below:
            raise ValidationFailed(_("上级区划不能是本区划或其下级区划。"), details={"field": "parent"})
    with transaction.atomic():
        if is_new:
            if Region.objects.filter(pk=region.pk).exists():
                raise ValidationFailed(
                    _("区划代码“%(code)s”已存在。") % {"code": region.pk}, details={"field": "code"}
                )
            region.save(force_insert=True)
            changed = list(REGION_FIELDS)
        else:
            locked = Region.objects.select_for_update().filter(pk=region.pk).first()
            if locked is None:
                raise ValidationFailed(_("该区划已被删除。"))
            wanted = [f for f in (REGION_FIELDS if changed_fields is None else changed_fields) if f in REGION_FIELDS]
            changed = model_update(instance=locked, fields=wanted, data={f: getattr(region, f) for f in wanted})
            if not changed:
                return region
        audit_log(
            actor=actor,
            action=AuditAction.REGION_CREATE if is_new else AuditAction.REGION_UPDATE,
            target=region,
            data={
                "fields": sorted(changed),
                "name": region.name,
                "level": region.level,
                "parent": region.parent_id,
            },
        )
        transaction.on_commit(_tree_changed)
    return region


def region_delete(*, region: Region, actor: User | None) -> None:
    """Remove a region nothing hangs on any more: no merchant, no region below it and no staff member.

    Complaints and campaigns of the region keep it too (their foreign keys protect it); that refusal is
    a message as well. Either refusal rolls back the audit entry with the rest.
    """
    _require_superuser(actor)
    with transaction.atomic():
        locked = Region.objects.select_for_update().filter(pk=region.pk).first()
        if locked is None:
            return
        in_use = [
            message % {"name": locked.name}
            for message, exists in (
                (_("区划“%(name)s”下还有下级区划，不能删除。"), Region.objects.filter(parent=locked).exists()),
                (_("区划“%(name)s”下还有市场主体，不能删除。"), locked.merchants.exists()),
                (_("区划“%(name)s”下还有工作人员，不能删除。"), locked.staff.exists()),
            )
            if exists
        ]
        if in_use:
            raise ValidationFailed(" ".join(in_use))
        audit_log(
            actor=actor,
            action=AuditAction.REGION_DELETE,
            target=locked,
            data={"name": locked.name, "level": locked.level, "parent": locked.parent_id},
        )
        try:
            locked.delete()
        except ProtectedError:
            raise ValidationFailed(
                _("区划“%(name)s”仍被投诉、创建活动等记录引用，不能删除。") % {"name": locked.name}
            ) from None
        transaction.on_commit(_tree_changed)
