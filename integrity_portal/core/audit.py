"""The audit log API used by every service: ``audit_log(...)`` inside the service's transaction."""

from __future__ import annotations

from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models

from .models import AuditEntry


def _actor_label(actor) -> str:
    if actor is None:
        return "system"
    if not getattr(actor, "is_authenticated", False):
        return "anonymous"
    return actor.get_username()


def audit_log(
    *,
    actor,
    action: str,
    target: models.Model,
    from_status: str = "",
    to_status: str = "",
    note: str = "",
    data: dict[str, Any] | None = None,
) -> AuditEntry:
    """Record one action. ``actor`` may be None (a system task) or AnonymousUser (the public)."""
    user = actor if getattr(actor, "is_authenticated", False) else None
    return AuditEntry.objects.create(
        actor=user,
        actor_label=_actor_label(actor),
        action=action,
        content_type=ContentType.objects.get_for_model(target, for_concrete_model=True),
        object_id=str(target.pk),
        from_status=str(from_status or ""),
        to_status=str(to_status or ""),
        note=note or "",
        data=data or {},
    )


def audit_entries_for(target: models.Model):
    """All entries about one object, newest first (for timelines and tests)."""
    return AuditEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(target, for_concrete_model=True),
        object_id=str(target.pk),
    )
