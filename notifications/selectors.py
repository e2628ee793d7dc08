"""What staff read about notices: beside the record they are about, in their own region only."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.contrib.contenttypes.models import ContentType
from django.db import models

from integrity_portal.core.phones import mask_phone
from integrity_portal.core.scoping import scope_to_user_region

from .models import Notice


@dataclass(frozen=True)
class NoticeLine:
    """One notice as staff read it: the address masked, labels instead of codes."""

    channel: str
    address: str
    status: str
    at: datetime
    error: str
    attempts: int


def notices_about(about: models.Model, *, viewer) -> list[NoticeLine]:
    """The notices about one record, newest first; none outside the viewer's region."""
    qs = Notice.objects.filter(
        content_type=ContentType.objects.get_for_model(about, for_concrete_model=True), object_id=str(about.pk)
    )
    qs = scope_to_user_region(qs, viewer, field="region_code")
    return [
        NoticeLine(
            channel=n.get_channel_display(),
            address=mask_phone(n.address),
            status=n.get_status_display(),
            at=n.sent_at or n.created_at,
            error=n.last_error,
            attempts=n.attempts,
        )
        for n in qs.order_by("-created_at", "-pk")[:100]
    ]
