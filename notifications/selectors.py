"""What staff read about notices: beside the record they are about, in their own region only."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.http import Http404

from integrity_portal.core.phones import mask_phone
from integrity_portal.core.scoping import scope_to_user_region

from .models import Notice, NoticeChannel, NoticeProfile


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
            # An inbox notice has no address: its recipient's account name says who was told.
            address=mask_phone(n.address) if n.address else (n.recipient.get_username() if n.recipient else ""),
            status=n.get_status_display(),
            at=n.sent_at or n.created_at,
            error=n.last_error,
            attempts=n.attempts,
        )
        for n in qs.select_related("recipient").order_by("-created_at", "-pk")[:100]
    ]


# --- a user's own inbox and preferences (portal and admin pages): only ever the viewer's own rows ---


def inbox_notices(*, viewer):
    """The viewer's inbox, newest first (the ``notice_inbox`` index); nothing for the anonymous."""
    if not getattr(viewer, "is_authenticated", False):
        return Notice.objects.none()
    return Notice.objects.filter(recipient=viewer, channel=NoticeChannel.INBOX, anonymised_at__isnull=True).order_by(
        "-created_at", "-pk"
    )


def inbox_unread_count(*, viewer) -> int:
    """One indexed count (``notice_inbox_unread``) for the header badge."""
    if not getattr(viewer, "is_authenticated", False):
        return 0
    return Notice.objects.filter(
        recipient=viewer, channel=NoticeChannel.INBOX, read_at__isnull=True, anonymised_at__isnull=True
    ).count()


def inbox_notice_or_404(*, viewer, pk: int) -> Notice:
    """One of the viewer's own inbox notices; another user's is a 404 (never a 403 that confirms it)."""
    try:
        return inbox_notices(viewer=viewer).get(pk=pk)
    except (Notice.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


@dataclass(frozen=True)
class KindChoice:
    """One kind of notice on the preferences page: its channels, those the user gets, locked or not."""

    code: str
    label: str
    channels: tuple[tuple[str, str], ...]  # (code, label) the kind can use
    chosen: frozenset[str]
    legal: bool


def notice_settings(*, viewer, audience: str = "merchant") -> tuple[NoticeProfile | None, list[KindChoice]]:
    """The viewer's language/phone row (None until saved) and their channels per kind of ``audience``."""
    from .fanout import user_channels
    from .kinds import notice_kinds

    labels = dict(NoticeChannel.choices)
    profile = NoticeProfile.objects.filter(user=viewer).first()
    rows = [
        KindChoice(
            code=kind.code,
            label=str(kind.label),
            channels=tuple((c, labels[c]) for c in kind.channels),
            chosen=frozenset(user_channels(viewer, kind)),
            legal=kind.legal,
        )
        for kind in notice_kinds(audience)
    ]
    return profile, rows
