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

from .kinds import NoticeKind, merchants_members, notice_kind, notice_link
from .models import Notice, NoticeChannel, NoticePreference, NoticeProfile
from .sms import SMS_MAX_PARAM


def _language(chosen: str) -> str:
    return chosen if chosen in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE


def _profiles(user_ids: Iterable[int]) -> dict[int, tuple[str, str]]:
    """{user id: (language, phone)} of the users who saved a notice profile (one query)."""
    rows = NoticeProfile.objects.filter(user_id__in=list(user_ids)).values_list("user_id", "language", "phone")
    return {user_id: (language, phone) for user_id, language, phone in rows}


def _channels_by_user(user_ids: Iterable[int], kind: NoticeKind) -> dict[int, tuple[str, ...]]:
    """{user id: the channels they get ``kind`` on} (one query for an optional kind, none for a legal one):
    a legal kind always its defaults; otherwise the user's choice for the kind (if they made one),
    limited to what the kind can use."""
    user_ids = list(user_ids)
    chosen = {}
    if not kind.legal:
        rows = NoticePreference.objects.filter(user_id__in=user_ids, kind=kind.code).values_list("user_id", "channels")
        chosen = {user_id: tuple(channels) for user_id, channels in rows}
    return {
        user_id: tuple(c for c in kind.channels if c in chosen.get(user_id, kind.default_channels))
        for user_id in user_ids
    }


def user_language(user: User) -> str:
    """The language a user's notices are written in: their choice, else the portal's default."""
    return _language(_profiles([user.pk]).get(user.pk, ("", ""))[0])


def user_channels(user: User, kind: NoticeKind) -> tuple[str, ...]:
    """The channels ``user`` gets ``kind`` on (``_channels_by_user``)."""
    return _channels_by_user([user.pk], kind)[user.pk]


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


@dataclass(frozen=True)
class MerchantEvent:
    """One event of a bulk fan-out (``notify_merchants``): the merchant told, its stable key, the
    template's parameters and the record it is about."""

    merchant: models.Model
    event_key: str
    params: dict
    about: models.Model


#: Merchants resolved per round of ``notify_merchants`` (members, profiles, preferences, rows: one
#: query each per round, whatever the number of merchants in it).
FANOUT_BATCH = 1000


class _Audience:
    """The members, profiles and channel choices of one round of merchants (or of a list of users)."""

    def __init__(self, users: Iterable[User], kind: NoticeKind):
        users = {u.pk: u for u in users}
        self.kind = kind
        self.profiles = _profiles(users)
        self.channels = _channels_by_user(users, kind)
        self._texts: dict[tuple[int, str], Rendered] = {}

    def text(self, event: int, params: dict, language: str) -> Rendered:
        """Rendered once per event and language (members sharing a language share the text)."""
        key = (event, language)
        if key not in self._texts:
            self._texts[key] = render_notice(self.kind, params, language)
        return self._texts[key]

    def specs(self, *, event: int, users, event_key: str, params: dict, about, region_code: str):
        """The notices of one event to ``users`` (active ones), each on their channels in their language."""
        from .services import NoticeSpec

        kind = self.kind
        link = notice_link(about, kind.audience)
        for user in users:
            channels = self.channels.get(user.pk, ())
            if not user.is_active or not channels:
                continue
            chosen_language, phone = self.profiles.get(user.pk, ("", ""))
            language = _language(chosen_language)
            text = self.text(event, params, language)
            for channel in channels:
                sms = channel == NoticeChannel.SMS
                yield NoticeSpec(
                    key=event_key,
                    channel=channel,
                    address=(user.email or "") if channel == NoticeChannel.EMAIL else (phone if sms else ""),
                    subject=text.subject,
                    body=text.sms if sms else text.body,
                    sms_template=kind.code if sms else "",
                    sms_params=text.sms_params if sms else None,
                    language=language,
                    about=about,
                    region_code=region_code,
                    recipient=user,
                    kind=kind.code,
                    link=link,
                )


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
    from .services import notice_enqueue_many

    users = [u for u in users if u.is_active]
    audience = _Audience(users, notice_kind(kind))
    specs = audience.specs(
        event=0, users=users, event_key=event_key, params=params, about=about, region_code=region_code
    )
    return notice_enqueue_many(list(specs), actor=actor)


def _no_member_spec(kind: NoticeKind, event: MerchantEvent, region_code: str):
    """A merchant with no active member: one undeliverable row (reports count it as not told)."""
    from .services import NoticeSpec

    language = settings.LANGUAGE_CODE
    text = render_notice(kind, event.params, language)
    return NoticeSpec(
        key=event.event_key,
        channel=NoticeChannel.INBOX if NoticeChannel.INBOX in kind.default_channels else kind.default_channels[0],
        address="",
        subject=text.subject,
        body=text.body,
        language=language,
        about=event.about,
        region_code=region_code,
        kind=kind.code,
    )


def notify_merchants(
    *, kind: str, events: Iterable[MerchantEvent | tuple], actor: User | None = None, fetch: bool = True
) -> list[Notice] | list[int]:
    """Notices of ``kind`` for many events, each to every active member of its merchant; a merchant with
    no member gets one ``undeliverable`` row. ``events``: ``MerchantEvent`` or (merchant, event_key,
    params, about) tuples.

    Per round of ``FANOUT_BATCH`` merchants a constant number of queries (members, profiles, preferences,
    the rows: ``notice_enqueue_many``), never one per merchant. Returns the rows in event order (their
    ids only with ``fetch=False``: a recompute telling thousands of merchants needs none back)."""
    from .services import notice_enqueue_many

    notice = notice_kind(kind)
    events = [e if isinstance(e, MerchantEvent) else MerchantEvent(*e) for e in events]
    notices: list = []
    for start in range(0, len(events), FANOUT_BATCH):
        chunk = events[start : start + FANOUT_BATCH]
        members = merchants_members(e.merchant for e in chunk)
        audience = _Audience((u for users in members.values() for u in users), notice)
        specs = []
        for i, event in enumerate(chunk):
            region_code = getattr(event.merchant, "region_id", "") or ""
            users = [u for u in members.get(event.merchant.pk, ()) if u.is_active]
            if not users:
                specs.append(_no_member_spec(notice, event, region_code))
                continue
            specs.extend(
                audience.specs(
                    event=i,
                    users=users,
                    event_key=event.event_key,
                    params=event.params,
                    about=event.about,
                    region_code=region_code,
                )
            )
        notices.extend(notice_enqueue_many(specs, actor=actor, fetch=fetch))
    return notices


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
    ``undeliverable`` row (so reports count it as not told, never as sent). ``notify_merchants`` for one."""
    return notify_merchants(kind=kind, events=[MerchantEvent(merchant, event_key, params, about)], actor=actor)
