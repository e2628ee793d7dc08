"""Writes of a user's own inbox and notice settings (docs/NOTIFICATIONS.md, "Inbox" and "Preferences").

Kept apart from services.py (the outbox's sending) because these act for the signed-in user on their own
rows only: marking read is not audited (it is the reader's own state, like a mail client's), a change of
settings is (it decides whether a merchant is told of a legal deadline by SMS).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from integrity_portal.core.audit import audit_log
from integrity_portal.core.errors import NotFound, ValidationFailed
from integrity_portal.core.phones import is_valid_phone, mask_phone, normalize_phone

from .audit_actions import AuditAction
from .kinds import notice_kinds
from .models import Notice, NoticeChannel, NoticePreference, NoticeProfile


def _own_inbox(user: User):
    return Notice.objects.filter(recipient=user, channel=NoticeChannel.INBOX, anonymised_at__isnull=True)


def inbox_mark_read(*, user: User, notice_id: int) -> Notice:
    """Mark one of ``user``'s own inbox notices read (again: no change). Another user's: NotFound."""
    with transaction.atomic():
        notice = _own_inbox(user).select_for_update().filter(pk=notice_id).first()
        if notice is None:
            raise NotFound(_("没有这条通知。"))
        if notice.read_at is None:
            notice.read_at = timezone.now()
            notice.save(update_fields=["read_at"])
    return notice


def inbox_mark_all_read(*, user: User) -> int:
    """Mark every unread inbox notice of ``user`` read; returns how many were unread."""
    return _own_inbox(user).filter(read_at__isnull=True).update(read_at=timezone.now())


def notice_settings_save(
    *,
    user: User,
    language: str,
    phone: str,
    choices: Mapping[str, Iterable[str]],
    audience: str = "merchant",
    actor: User | None = None,
) -> NoticeProfile:
    """Save ``user``'s notice language, SMS number and channels per kind of ``audience``.

    ``choices`` maps a kind's code to the channels chosen (a kind absent from it: none). Legal kinds are
    not stored at all — they always go out on their default channels, whatever a (forged) form says.
    Unknown language, kind or channel, or an invalid mobile number: ValidationFailed, nothing saved."""
    if language not in dict(settings.LANGUAGES):
        raise ValidationFailed(_("不支持该语言。"), details={"language": _("不支持该语言。")})
    phone = normalize_phone(phone)
    if phone and not is_valid_phone(phone):
        raise ValidationFailed(_("请输入有效的手机号码。"), details={"phone": _("请输入有效的手机号码。")})
    kinds = {kind.code: kind for kind in notice_kinds(audience)}
    unknown = set(choices) - set(kinds)
    if unknown:
        raise ValidationFailed(_("未知的通知类型。"), details={"kinds": sorted(unknown)})
    wanted: dict[str, list[str]] = {}
    for code, kind in kinds.items():
        if kind.legal:
            continue
        chosen = set(choices.get(code, ()))
        if chosen - set(kind.channels):
            raise ValidationFailed(_("该通知类型不能使用所选渠道。"), details={"kind": code})
        wanted[code] = [c for c in kind.channels if c in chosen]
    with transaction.atomic():
        profile, _created = NoticeProfile.objects.select_for_update().get_or_create(user=user)
        before = {"language": profile.language, "phone": mask_phone(profile.phone)}
        profile.language, profile.phone = language, phone
        profile.save(update_fields=["language", "phone", "updated_at"])
        stored = dict(
            NoticePreference.objects.filter(user=user, kind__in=wanted).values_list("kind", "channels")
        )
        changed = {}
        for code, channels in wanted.items():
            if code in stored and list(stored[code]) == channels:
                continue
            if code not in stored and channels == [
                c for c in kinds[code].channels if c in kinds[code].default_channels
            ]:
                continue  # the default, never chosen: no row needed
            NoticePreference.objects.update_or_create(user=user, kind=code, defaults={"channels": channels})
            changed[code] = channels
        after = {"language": language, "phone": mask_phone(phone)}
        if changed or before != after:
            audit_log(
                actor=actor if actor is not None else user,
                action=AuditAction.NOTICE_PREFERENCES_CHANGED,
                target=profile,
                data={"before": before, "after": after, "channels": changed},
            )
    return profile
