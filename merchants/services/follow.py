"""Following a merchant by e-mail (issue #19 item 7; docs/NOTIFICATIONS.md, "Following a merchant").

* ``follower_request`` — a citizen asks to follow: rate-limited per client and per address; the answer
  is the same whether or not the address already follows (nothing to enumerate). A new or still
  unconfirmed subscription gets a confirmation e-mail (signed, expiring link); a confirmed one gets
  nothing more.
* ``follower_confirm`` / ``follower_unsubscribe`` — from the signed links, without signing in.
  Unsubscribing empties the address at once (the row stays as an anonymous count).
* ``followers_notify_stars`` / ``followers_notify_list`` — called in the event's transaction by the
  rating recompute and the list services: one outbox row per confirmed follower, never to anyone else.
  Followers are looked up in batches of merchant ids (``selectors.engagement.confirmed_followers``).

Every e-mail carries a one-click unsubscribe link and a ``List-Unsubscribe`` header.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import User
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from integrity_portal.core import ratelimit
from integrity_portal.core.audit import audit_log
from integrity_portal.core.errors import DomainError, ValidationFailed
from integrity_portal.core.retention import retention_cutoff
from notifications.fanout import render_notice
from notifications.kinds import notice_kind
from notifications.services import NoticeSpec, notice_enqueue_many, notices_anonymise_about

from ..audit_actions import AuditAction
from ..models import Merchant, MerchantFollower
from ..selectors.engagement import confirmed_followers

CONFIRM_SALT = "merchants.follow.confirm"
UNSUBSCRIBE_SALT = "merchants.follow.unsubscribe"
#: A confirmation link is valid this long; an unconfirmed subscription is anonymised after it.
CONFIRM_MAX_AGE = timedelta(days=3)
RATE_SCOPE = "follow"


class FollowRateLimited(DomainError):
    """Too many follow requests from this client or for this address."""


class FollowLinkInvalid(DomainError):
    """A forged, mistyped, expired or already used link."""


def _absolute(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def confirm_token(follower: MerchantFollower) -> str:
    return signing.dumps({"f": follower.pk}, salt=CONFIRM_SALT, compress=True)


def unsubscribe_token(follower_id: int) -> str:
    return signing.dumps({"f": follower_id}, salt=UNSUBSCRIBE_SALT, compress=True)


def unsubscribe_url(follower_id: int) -> str:
    return _absolute(reverse("public:follow_unsubscribe", args=[unsubscribe_token(follower_id)]))


def _follower_id(token: str, *, salt: str, max_age: timedelta | None) -> int:
    try:
        data = signing.loads(token or "", salt=salt, max_age=max_age)
        return int(data["f"])
    except signing.SignatureExpired:
        raise FollowLinkInvalid(_("该确认链接已过期，请重新在商户页面填写邮箱关注。")) from None
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        raise FollowLinkInvalid(_("该链接无效：它可能被截断、改动或不是本站发出的。")) from None


def follow_email_headers(notice) -> dict[str, str]:
    """``List-Unsubscribe`` (RFC 2369) with one-click POST (RFC 8058) for every follower e-mail."""
    about = notice.about
    if not isinstance(about, MerchantFollower):
        return {}
    return {
        "List-Unsubscribe": f"<{unsubscribe_url(about.pk)}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }


def _spec(follower: MerchantFollower, *, kind: str, key: str, params: dict, merchant: Merchant):
    """The e-mail notice to one follower, rendered in their language (``notice_enqueue_many`` writes it)."""
    language = follower.language if follower.language in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE
    params = {
        **params,
        "merchant": merchant.name,
        "url": _absolute(reverse("public:merchant_detail", args=[merchant.pk])),
        "unsubscribe": unsubscribe_url(follower.pk),
    }
    text = render_notice(notice_kind(kind), params, language)
    return NoticeSpec(
        key=key,
        channel="email",
        address=follower.email,
        subject=text.subject,
        body=text.body,
        language=language,
        about=follower,
        region_code=merchant.region_id or "",
        kind=kind,
        link=params["url"],
    )


def _enqueue(follower: MerchantFollower, **spec) -> None:
    notice_enqueue_many([_spec(follower, **spec)])


def _normalise(email: str) -> str:
    email = (email or "").strip()
    local, _sep, domain = email.rpartition("@")
    return f"{local}@{domain.lower()}" if local else email


def follower_request(
    *, merchant: Merchant, email: str, client_key: str, language: str = "", actor: User | None = None
) -> None:
    """Ask to follow ``merchant``. Returns nothing either way: the page says the same to everybody."""
    email = _normalise(email)
    try:
        validate_email(email)
    except ValidationError:
        raise ValidationFailed(
            _("请填写有效的电子邮箱地址。"), details={"email": _("请填写有效的电子邮箱地址。")}
        ) from None
    if len(email) > 254:
        raise ValidationFailed(_("电子邮箱地址过长。"), details={"email": _("电子邮箱地址过长。")})
    if not ratelimit.hit(RATE_SCOPE, [client_key, f"email:{email.lower()}"]).allowed:
        raise FollowRateLimited(_("关注请求过于频繁，请稍后再试。"))
    language = (
        language if language in dict(settings.LANGUAGES) else (get_language() or settings.LANGUAGE_CODE)
    )
    with transaction.atomic():
        follower = (
            MerchantFollower.objects.select_for_update()
            .filter(merchant=merchant, email__iexact=email, unsubscribed_at__isnull=True)
            .first()
        )
        if follower is None:
            try:
                with transaction.atomic():
                    follower = MerchantFollower.objects.create(
                        merchant=merchant, email=email, language=language
                    )
            except IntegrityError:  # a parallel request for the same address: theirs stands
                return
        if follower.confirmed_at is not None:
            return  # already following: nothing is sent, and the page says the same as for a new address
        now = timezone.now()
        _enqueue(
            follower,
            kind="follow_confirm",
            key=f"follow:{follower.pk}:confirm:{int(now.timestamp())}",
            params={
                "confirm": _absolute(reverse("public:follow_confirm", args=[confirm_token(follower)])),
                "days": CONFIRM_MAX_AGE.days,
            },
            merchant=merchant,
        )


def follower_for_confirm_token(token: str) -> MerchantFollower:
    """The subscription a confirmation link names, if it is valid, unexpired and not unsubscribed."""
    pk = _follower_id(token, salt=CONFIRM_SALT, max_age=CONFIRM_MAX_AGE)
    follower = (
        MerchantFollower.objects.select_related("merchant")
        .filter(pk=pk, unsubscribed_at__isnull=True)
        .first()
    )
    if follower is None:
        raise FollowLinkInvalid(_("该关注已退订或不存在，请重新在商户页面填写邮箱关注。"))
    return follower


def follower_confirm(*, token: str, actor: User | None = None) -> MerchantFollower:
    """Confirm from the e-mailed link (idempotent: a second click changes nothing)."""
    follower = follower_for_confirm_token(token)
    with transaction.atomic():
        updated = MerchantFollower.objects.filter(
            pk=follower.pk, confirmed_at__isnull=True, unsubscribed_at__isnull=True
        ).update(confirmed_at=timezone.now())
        if updated:
            audit_log(
                actor=actor,
                action=AuditAction.FOLLOWER_CONFIRM,
                target=follower.merchant,
                data={"follower": follower.pk},
            )
    follower.refresh_from_db()
    return follower


def follower_for_unsubscribe_token(token: str) -> MerchantFollower | None:
    """The subscription an unsubscribe link names (None if it is gone), without changing it: the GET of
    the link only shows the button (mail scanners open links; RFC 8058 one-click is a POST)."""
    pk = _follower_id(token, salt=UNSUBSCRIBE_SALT, max_age=None)
    return MerchantFollower.objects.select_related("merchant").filter(pk=pk).first()


def follower_unsubscribe(*, token: str, actor: User | None = None) -> Merchant | None:
    """One click from any e-mail: the subscription ends and its address is erased. A second click, or a
    link of a subscription already ended, answers the same (nothing to tell anyone)."""
    pk = _follower_id(token, salt=UNSUBSCRIBE_SALT, max_age=None)
    with transaction.atomic():
        follower = (
            MerchantFollower.objects.select_for_update().select_related("merchant").filter(pk=pk).first()
        )
        if follower is None:
            return None
        if follower.unsubscribed_at is None:
            follower.unsubscribed_at = timezone.now()
            follower.email = ""
            follower.save(update_fields=["unsubscribed_at", "email"])
            notices_anonymise_about(about=follower, actor=actor)  # the address leaves the outbox too
            audit_log(
                actor=actor,
                action=AuditAction.FOLLOWER_UNSUBSCRIBE,
                target=follower.merchant,
                data={"follower": follower.pk},
            )
    return follower.merchant


def followers_anonymise_expired(*, as_of: datetime | None = None, actor: User | None = None) -> int:
    """Retention (core.retention): an address never confirmed within the link's validity is erased; so is
    any address past the retention period after it stopped following (none should be left, belt and braces)."""
    as_of = as_of or timezone.now()
    stale = MerchantFollower.objects.filter(confirmed_at__isnull=True, unsubscribed_at__isnull=True).filter(
        created_at__lt=as_of - CONFIRM_MAX_AGE
    )
    done = 0
    for follower in stale.only("pk").iterator():
        with transaction.atomic():
            if MerchantFollower.objects.filter(pk=follower.pk, confirmed_at__isnull=True).update(
                unsubscribed_at=as_of, email=""
            ):
                notices_anonymise_about(about=follower, actor=actor)  # its confirmation e-mail's address
                done += 1
    done += (
        MerchantFollower.objects.filter(unsubscribed_at__lt=retention_cutoff(as_of))
        .exclude(email="")
        .update(email="")
    )
    return done


# --- notices to confirmed followers (called inside the event's transaction) ---------------------------


def followers_notify_stars(*, changes: Iterable[tuple[Merchant, object, object, object]]) -> int:
    """``changes``: (merchant, old stars text, new stars text, rating) for each merchant whose stars changed.
    One follower query per batch of merchants; returns the number of notices written."""
    changes = list(changes)
    followers = confirmed_followers(m.pk for m, *_rest in changes)
    specs = [
        _spec(
            follower,
            kind="followed_stars_changed",
            key=f"follow:{follower.pk}:rating:{rating.pk}",
            params={"old": old, "new": new},
            merchant=merchant,
        )
        for merchant, old, new, rating in changes
        for follower in followers.get(merchant.pk, ())
    ]
    notice_enqueue_many(specs, fetch=False)  # one bulk write for the batch (notifications.services)
    return len(specs)


def followers_notify_list(*, entries: Iterable, change: str) -> int:
    """``change``: "added" or "ended". Each entry's merchant's confirmed followers get one notice."""
    from ..models import ListEntryKind, ListName

    entries = list(entries)
    followers = confirmed_followers(e.merchant_id for e in entries)
    sent = 0
    for entry in entries:
        rows = followers.get(entry.merchant_id, ())
        if not rows:
            continue
        merchant = entry.merchant
        for follower in rows:
            _enqueue(
                follower,
                kind="followed_list_added" if change == "added" else "followed_list_ended",
                key=f"follow:{follower.pk}:list:{entry.pk}:{change}",
                params={"list": ListName(entry.list_name).label, "kind": ListEntryKind(entry.kind).label},
                merchant=merchant,
            )
            sent += 1
    return sent
