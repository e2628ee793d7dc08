"""Partner departments of joint discipline and their API keys (writes; docs/PARTNERS.md).

A key is ``<prefix>.<secret>``: the prefix (public, unique) finds the row, the SHA-256 of the whole key is
compared in constant time; the key itself is returned once by ``partner_api_key_issue`` and never stored.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from integrity_portal.core.actors import acting_user
from integrity_portal.core.audit import audit_log
from integrity_portal.core.errors import TransitionNotAllowed, ValidationFailed

from ..audit_actions import AuditAction
from ..models import DecisionKind, PartnerApiKey, PartnerDepartment, Region


def hash_key(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def partner_department_save(
    *, code: str, name: str, region_codes: list[str], decision_kinds: list[str], actor: User | None
) -> PartnerDepartment:
    """Create or update a department's name and scope; a new department gets its signing secret."""
    code, name = (code or "").strip(), (name or "").strip()
    if not code or not name:
        raise ValidationFailed(_("请填写部门代码和名称。"))
    bad = [k for k in decision_kinds if k not in DecisionKind.values]
    if bad or not decision_kinds:
        raise ValidationFailed(_("决定类别无效：%(k)s。") % {"k": "、".join(bad) or "—"})
    regions = list(Region.objects.filter(code__in=region_codes))
    if not regions or len(regions) != len(set(region_codes)):
        raise ValidationFailed(_("请选择有效的辖区。"))
    with transaction.atomic():
        department, created = PartnerDepartment.objects.select_for_update().get_or_create(
            code=code,
            defaults={"name": name, "signing_secret": secrets.token_hex(32), "created_by": acting_user(actor)},
        )
        department.name = name
        department.decision_kinds = sorted(set(decision_kinds))
        department.save(update_fields=["name", "decision_kinds"])
        department.regions.set(regions)
        audit_log(
            actor=actor,
            action=AuditAction.PARTNER_DEPARTMENT_SAVE,
            target=department,
            to_status="created" if created else "updated",
            data={"regions": sorted(r.code for r in regions), "kinds": department.decision_kinds},
        )
    return department


def partner_api_key_issue(*, department: PartnerDepartment, label: str = "", actor: User | None) -> tuple[PartnerApiKey, str]:
    """A new key for ``department``: (the row, the key to hand over once)."""
    prefix = secrets.token_hex(4)
    raw = f"{prefix}.{secrets.token_urlsafe(32)}"
    with transaction.atomic():
        key = PartnerApiKey.objects.create(
            department=department, label=label.strip()[:100], prefix=prefix, key_hash=hash_key(raw),
            created_by=acting_user(actor),
        )
        audit_log(actor=actor, action=AuditAction.PARTNER_KEY_ISSUE, target=key, to_status="active")
    return key, raw


def partner_api_key_revoke(*, key: PartnerApiKey, actor: User | None) -> PartnerApiKey:
    with transaction.atomic():
        if not PartnerApiKey.objects.filter(pk=key.pk, revoked_at__isnull=True).update(revoked_at=timezone.now()):
            raise TransitionNotAllowed(_("该密钥已吊销。"))
        key.refresh_from_db()
        audit_log(actor=actor, action=AuditAction.PARTNER_KEY_REVOKE, target=key, to_status="revoked")
    return key


def partner_api_key_find(raw: str) -> PartnerApiKey | None:
    """The active key of an active department ``raw`` is, or None (unknown, wrong, revoked)."""
    prefix, _sep, _rest = (raw or "").partition(".")
    if not prefix or not _rest:
        return None
    key = (
        PartnerApiKey.objects.select_related("department")
        .filter(prefix=prefix, revoked_at__isnull=True, department__active=True)
        .first()
    )
    if key is None or not hmac.compare_digest(key.key_hash, hash_key(raw)):
        return None
    PartnerApiKey.objects.filter(pk=key.pk).update(last_used_at=timezone.now())
    return key
