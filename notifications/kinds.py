"""The registry of kinds of notice, and the hooks the apps that own recipients and records plug in.

notifications names no app (docs/NOTIFICATIONS.md, "Why a separate app"): an app declares its kinds of
notice (``register_notice_kind``) in its ``AppConfig.ready()`` or in a ``<app>/notices.py`` imported
there; the app that knows a merchant's members registers ``register_member_resolver``; an app whose
records notices are about registers ``register_notice_link`` so the inbox can link to their pages.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from django.db import models

AUDIENCES = ("merchant", "staff", "citizen")
CHANNELS = ("inbox", "sms", "email")


@dataclass(frozen=True)
class NoticeKind:
    """One kind of notice: who it is for, whether it may be switched off, its channels and texts.

    ``subject``, ``body`` and ``sms`` are lazy gettext templates with ``{placeholders}`` filled with
    ``str.format`` from the event's ``params`` (localised in the recipient's language)."""

    code: str
    label: str
    audience: str
    legal: bool
    default_channels: tuple[str, ...]
    subject: str
    body: str
    sms: str = ""

    def __post_init__(self) -> None:
        if self.audience not in AUDIENCES:
            raise ValueError(f"notice kind {self.code!r}: unknown audience {self.audience!r}")
        unknown = set(self.default_channels) - set(CHANNELS)
        if unknown:
            raise ValueError(f"notice kind {self.code!r}: unknown channel(s) {sorted(unknown)}")

    @property
    def channels(self) -> tuple[str, ...]:
        """The channels this kind can use at all (no SMS text: no SMS)."""
        return tuple(c for c in CHANNELS if c != "sms" or self.sms)


_kinds: dict[str, NoticeKind] = {}


def register_notice_kind(kind: NoticeKind) -> None:
    """Declare a kind of notice once (a second registration of the same code is a programming error)."""
    if kind.code in _kinds:
        raise ValueError(f"notice kind {kind.code!r} is already registered")
    _kinds[kind.code] = kind


def notice_kind(code: str) -> NoticeKind:
    try:
        return _kinds[code]
    except KeyError:
        raise LookupError(f"unknown notice kind {code!r}") from None


def notice_kinds(audience: str | None = None) -> list[NoticeKind]:
    """Every registered kind (of one audience), in registration order."""
    return [k for k in _kinds.values() if audience is None or k.audience == audience]


# --- who a merchant's members are (registered by the app that owns merchants) ---

_member_resolver: Callable[[models.Model], Iterable] | None = None
_members_resolver: Callable[[list[int]], Mapping[int, Iterable]] | None = None


def register_member_resolver(
    fn: Callable[[models.Model], Iterable], *, bulk: Callable[[list[int]], Mapping[int, Iterable]] | None = None
) -> None:
    """``fn(merchant)`` → the users who act for it (active accounts only); ``bulk(merchant_ids)`` → the
    same for many merchants in one query, as {merchant id: users} (the bulk fan-out uses it; without it,
    ``fn`` is called per merchant)."""
    global _member_resolver, _members_resolver
    _member_resolver = fn
    _members_resolver = bulk


def _no_resolver() -> RuntimeError:  # pragma: no cover - the merchants app registers one in ready()
    return RuntimeError("No member resolver registered (the app owning merchants registers one in ready()).")


def merchant_members(merchant: models.Model) -> list:
    if _member_resolver is None:  # pragma: no cover
        raise _no_resolver()
    return list(_member_resolver(merchant))


def merchants_members(merchants: Iterable[models.Model]) -> dict[int, list]:
    """{merchant pk: its members} for many merchants: one query with a bulk resolver registered."""
    merchants = list(merchants)
    if _members_resolver is not None:
        found = _members_resolver([m.pk for m in merchants])
        return {m.pk: list(found.get(m.pk, ())) for m in merchants}
    if _member_resolver is None:  # pragma: no cover
        raise _no_resolver()
    return {m.pk: list(_member_resolver(m)) for m in merchants}


# --- where the inbox links to (registered by the apps that own the records) ---

_link_resolvers: dict[str, Callable[[models.Model, str], str]] = {}


def register_notice_link(model: type[models.Model], fn: Callable[[models.Model, str], str]) -> None:
    """``fn(record, audience)`` → the URL of the page about ``record`` for that audience, or ""."""
    _link_resolvers[model._meta.label_lower] = fn


def notice_link(about: models.Model | None, audience: str) -> str:
    if about is None:
        return ""
    fn = _link_resolvers.get(about._meta.concrete_model._meta.label_lower)
    return (fn(about, audience) or "") if fn else ""


# --- extra e-mail headers per kind (e.g. List-Unsubscribe for a citizen's subscription) ---

_email_headers: dict[str, Callable[[models.Model], dict[str, str]]] = {}


def register_email_headers(kind: str, fn: Callable[[models.Model], dict[str, str]]) -> None:
    """``fn(notice)`` → headers added to the e-mail of a notice of ``kind`` (registered by the app owning it)."""
    _email_headers[kind] = fn


def email_headers(notice: models.Model) -> dict[str, str]:
    fn = _email_headers.get(getattr(notice, "kind", "") or "")
    return dict(fn(notice) or {}) if fn else {}
