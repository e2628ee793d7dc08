"""Fan-out of one event to the users it concerns: each on the channels their preferences allow, in
their own language (docs/NOTIFICATIONS.md, "Kinds of notice and fan-out").

Called inside the event's transaction: the rows are the outbox. One row per (event_key, recipient,
channel), so calling it twice for the same event adds nothing.
"""

from __future__ import annotations

import datetime
import decimal
from collections.abc import Iterable
from dataclasses import dataclass
from string import Formatter

from django.conf import settings
from django.contrib.auth.models import User
from django.db import models
from django.utils import formats, translation

from .kinds import NoticeKind, merchant_members, notice_kind, notice_link
from .models import Notice, NoticeChannel, NoticePreference, NoticeProfile
from .sms import SMS_MAX_PARAM


def user_language(user: User) -> str:
    """The language a user's notices are written in: their choice, else the portal's default."""
    profile = NoticeProfile.objects.filter(user=user).only("language").first()
    language = profile.language if profile else ""
    return language if language in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE


def user_channels(user: User, kind: NoticeKind) -> tuple[str, ...]:
    """The channels ``user`` gets ``kind`` on: a legal kind always its defaults; otherwise the user's
    choice for that kind (if they made one), limited to what the kind can use."""
    if kind.legal:
        chosen = kind.default_channels
    else:
        row = (
            NoticePreference.objects.filter(user=user, kind=kind.code)
            .values_list("channels", flat=True)
            .first()
        )
        chosen = kind.default_channels if row is None else tuple(row)
    return tuple(c for c in kind.channels if c in chosen)


def _localise(value):
    """One parameter as the recipient reads it (called under their language)."""
    if isinstance(value, datetime.datetime):
        return formats.date_format(value, "DATETIME_FORMAT")
    if isinstance(value, datetime.date):
        return formats.date_format(value, "DATE_FORMAT")
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int | float | decimal.Decimal):
        return formats.number_format(value)
    return str(value)  # lazy strings (labels, reasons) translate here


@dataclass(frozen=True)
class Rendered:
    """One kind's texts in one language; ``sms_params`` are the SMS text's variables for a template
    provider (the kind's code names the template, SMS_TEMPLATE_CODES maps it)."""

    subject: str
    body: str
    sms: str
    sms_params: dict[str, str]


def render_notice(kind: NoticeKind, params: dict, language: str) -> Rendered:
    """``kind``'s subject, body and SMS text in ``language``, its parameters localised there."""
    with translation.override(language):
        values = {name: _localise(value) for name, value in params.items()}
        sms = str(kind.sms).format(**values) if kind.sms else ""
        names = (
            {field for _text, field, _spec, _conv in Formatter().parse(str(kind.sms)) if field}
            if sms
            else set()
        )
        return Rendered(
            subject=str(kind.subject).format(**values),
            body=str(kind.body).format(**values),
            sms=sms,
            # A provider's variable holds at most SMS_MAX_PARAM characters: cut, never refused (the event
            # must not fail because a merchant's name is long; the inbox and e-mail carry the full text).
            sms_params={name: str(values[name])[:SMS_MAX_PARAM] for name in sorted(names)},
        )


def _address(user: User, channel: str) -> str:
    if channel == NoticeChannel.EMAIL:
        return user.email or ""
    if channel == NoticeChannel.SMS:
        return NoticeProfile.objects.filter(user=user).values_list("phone", flat=True).first() or ""
    return ""


def _fan_out(
    *, users: Iterable[User], kind: NoticeKind, event_key: str, params: dict, about, region_code: str, actor
) -> list[Notice]:
    from .services import notice_enqueue

    link = notice_link(about, kind.audience)
    notices = []
    for user in users:
        channels = user_channels(user, kind)
        if not channels:
            continue
        language = user_language(user)
        text = render_notice(kind, params, language)
        for channel in channels:
            sms = channel == NoticeChannel.SMS
            notices.append(
                notice_enqueue(
                    key=event_key,
                    channel=channel,
                    address=_address(user, channel),
                    subject=text.subject,
                    body=text.sms if sms else text.body,
                    sms_template=kind.code if sms else "",
                    sms_params=text.sms_params if sms else None,
                    language=language,
                    about=about,
                    region_code=region_code,
                    actor=actor,
                    recipient=user,
                    kind=kind.code,
                    link=link,
                )
            )
    return notices


def notify_users(
    *,
    users: Iterable[User],
    kind: str,
    event_key: str,
    params: dict,
    about: models.Model,
    region_code: str,
    actor: User | None = None,
) -> list[Notice]:
    """Notices of ``kind`` about ``about`` to each of ``users`` (staff, or any users known by account).

    Inactive accounts are skipped. Returns the rows (existing ones when the event was notified before)."""
    return _fan_out(
        users=[u for u in users if u.is_active],
        kind=notice_kind(kind),
        event_key=event_key,
        params=params,
        about=about,
        region_code=region_code,
        actor=actor,
    )


def notify_merchant(
    *,
    merchant: models.Model,
    kind: str,
    event_key: str,
    params: dict,
    about: models.Model,
    actor: User | None = None,
) -> list[Notice]:
    """Notices of ``kind`` to every active member of ``merchant``; a merchant with no member gets one
    ``undeliverable`` row (so reports count it as not told, never as sent)."""
    from .services import notice_enqueue

    notice = notice_kind(kind)
    region_code = getattr(merchant, "region_id", "") or ""
    members = [u for u in merchant_members(merchant) if u.is_active]
    if members:
        return _fan_out(
            users=members,
            kind=notice,
            event_key=event_key,
            params=params,
            about=about,
            region_code=region_code,
            actor=actor,
        )
    language = settings.LANGUAGE_CODE
    text = render_notice(notice, params, language)
    return [
        notice_enqueue(
            key=event_key,
            channel=NoticeChannel.INBOX
            if NoticeChannel.INBOX in notice.default_channels
            else notice.default_channels[0],
            address="",
            subject=text.subject,
            body=text.body,
            language=language,
            about=about,
            region_code=region_code,
            actor=actor,
            kind=notice.code,
        )
    ]
