"""The outbox's services: enqueue in the event's transaction, deliver once, retry, sweep, anonymise.

Why an outbox (docs/NOTIFICATIONS.md): a notice that is only a Celery message is lost when the broker
is down at commit time. Here the Notice row commits with its event; the task message is a hint that
speeds it up, and ``notices_dispatch_due`` (beat, every minute) sends whatever is still queued.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.conf import settings
from django.contrib.auth.models import User
from django.contrib.contenttypes.models import ContentType
from django.core.mail import EmailMessage
from django.db import models, transaction
from django.db.models import F, Q
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from integrity_portal.core.audit import audit_log, audit_log_many
from integrity_portal.core.errors import NotFound, NotPermitted, TransitionNotAllowed, ValidationFailed
from integrity_portal.core.logging import redact
from integrity_portal.core.phones import mask_phone
from integrity_portal.core.retention import retention_cutoff
from integrity_portal.core.scoping import user_covers_region

from .audit_actions import AuditAction
from .models import FINAL_STATUSES, Notice, NoticeChannel, NoticeStatus
from .signals import notice_sent
from .sms import SMSMessage, SMSPermanentError, check_sms_limits, get_sms_backend
from .workflow import NOTICE_WORKFLOW

logger = logging.getLogger("notifications")

#: Back-off after the n-th failed attempt: 1, 2, 4, 8 … minutes, at most an hour.
RETRY_BASE = timedelta(minutes=1)
RETRY_MAX = timedelta(hours=1)
#: A claim older than this was left by a worker that died while sending: the sweep queues it again.
STUCK_AFTER = timedelta(minutes=10)
#: An SMS held by the per-phone daily limit is due again at this local time the next day (not at
#: midnight: nobody is woken by a complaint notice).
LIMIT_RESUME_AT = time(8, 0)


def _dispatch(notice_id: int) -> bool:
    """Publish the thin task now; False (logged, the row stays queued for the sweep) if the broker is down."""
    from integrity_portal.core.tasks import send_now

    from .tasks import deliver_notice

    return send_now(deliver_notice, (notice_id,), fallback=f"notice {notice_id} left queued for the sweep")


@dataclass(frozen=True)
class NoticeSpec:
    """One notice to enqueue (``notice_enqueue`` / ``notice_enqueue_many``): ``body`` already rendered in
    the recipient's language."""

    key: str
    channel: str
    address: str
    subject: str
    body: str
    language: str
    about: models.Model
    region_code: str = ""
    recipient: User | None = None
    kind: str = ""
    link: str = ""
    sms_template: str = ""
    sms_params: Mapping[str, object] | None = None

    def identity(self) -> tuple:
        """What makes it once: (key, channel, recipient) for a user, (key, channel, address) otherwise."""
        if self.recipient is not None:
            return (self.key[:120], self.channel, "user", self.recipient.pk)
        return (self.key[:120], self.channel, "address", (self.address or "").strip())


def _identity(key: str, channel: str, recipient_id: int | None, address: str) -> tuple:
    if recipient_id is not None:
        return (key, channel, "user", recipient_id)
    return (key, channel, "address", address)


def _new_row(spec: NoticeSpec, now) -> Notice:
    """The row ``spec`` is stored as when it is new: an inbox row to a user is delivered by being written;
    no address is undeliverable (never sent); anything else is queued, due now."""
    sms = spec.channel == NoticeChannel.SMS
    address = (spec.address or "").strip()
    if spec.channel == NoticeChannel.INBOX and spec.recipient is not None:
        state = {"status": NoticeStatus.SENT, "sent_at": now}
    elif not address:
        state = {"status": NoticeStatus.UNDELIVERABLE}
    else:
        state = {"status": NoticeStatus.QUEUED, "next_attempt_at": now}
    return Notice(
        key=spec.key[:120],
        channel=spec.channel,
        address=address,
        subject=spec.subject[:200],
        body=spec.body,
        language=spec.language or "",
        content_type_id=ContentType.objects.get_for_model(spec.about, for_concrete_model=True).pk,
        object_id=str(spec.about.pk),
        region_code=spec.region_code or "",
        recipient_id=spec.recipient.pk if spec.recipient is not None else None,
        kind=spec.kind,
        link=spec.link[:300],
        sms_template=spec.sms_template if sms else "",
        sms_params={str(k): str(v) for k, v in (spec.sms_params or {}).items()} if sms else {},
        **state,
    )


#: At most this many queued notices of one call are published when its transaction commits; the rest
#: are left to the sweep (``notices_dispatch_due``, every minute), so a recompute that tells 28,000
#: merchants does not hold its worker publishing tens of thousands of messages.
DISPATCH_AT_COMMIT = 1000


def _dispatch_after_commit(ids: list[int]) -> None:
    if not ids:
        return
    now_ids, later = ids[:DISPATCH_AT_COMMIT], len(ids) - DISPATCH_AT_COMMIT

    def publish():
        for pk in now_ids:
            if not _dispatch(pk):  # broker down: the sweep sends the rest
                break
        if later > 0:
            logger.info("%d queued notice(s) left to the sweep", later)

    transaction.on_commit(publish)


_IDENTITY = ("key", "channel", "recipient_id", "address")


def notice_enqueue_many(
    specs: list[NoticeSpec], *, actor: User | None = None, fetch: bool = True
) -> list[Notice] | list[int]:
    """Record many notices in the caller's transaction and send them after commit; one row per
    ``spec`` returned, in order (the existing row when the event was enqueued before) — or, with
    ``fetch=False`` (a large fan-out that needs no rows back), their ids only.

    A constant number of queries whatever the number of rows: the identities of the rows these keys
    already have, one ``bulk_create(ignore_conflicts=True)`` per 1,000 rows (the unique constraints keep
    a notice once even against a concurrent enqueue of the same event, which may then be audited or
    published twice, never sent twice), the rows read back, and one INSERT of the audit entries of the
    undeliverable ones."""
    if not specs:
        return []
    for spec in specs:
        if spec.channel not in NoticeChannel.values:
            raise ValueError(f"unknown notice channel {spec.channel!r}")
        if spec.channel == NoticeChannel.SMS:
            try:  # a provider's limit is a programming error of the caller's template: refused, never cut
                check_sms_limits(spec.body, {str(k): str(v) for k, v in (spec.sms_params or {}).items()})
            except ValueError as exc:
                raise ValidationFailed(_("短信超出服务商限制：%(error)s") % {"error": exc}) from None
    current = Notice.objects.filter(key__in=sorted({spec.key[:120] for spec in specs}), anonymised_at__isnull=True)
    existing = {_identity(*row) for row in current.values_list(*_IDENTITY)}
    fresh: dict[tuple, NoticeSpec] = {}
    for spec in specs:
        if spec.identity() not in existing:
            fresh.setdefault(spec.identity(), spec)
    if fresh:
        now = timezone.now()
        Notice.objects.bulk_create([_new_row(s, now) for s in fresh.values()], ignore_conflicts=True, batch_size=1000)
    if fetch:
        rows = {_identity(n.key, n.channel, n.recipient_id, n.address): n for n in current}
        stored = {i: (n.pk, n.status) for i, n in rows.items()}
    else:
        stored = {_identity(*row[:4]): row[4:] for row in current.values_list(*_IDENTITY, "pk", "status")}
    if fresh:
        new = [(i, *stored[i]) for i in fresh if i in stored]  # (identity, pk, status) of the rows written now
        audit_log_many(
            actor=actor,
            action=AuditAction.NOTICE_UNDELIVERABLE,
            to_status=NoticeStatus.UNDELIVERABLE,
            targets=[
                (fresh[i].about, {"notice": pk, "key": i[0], "channel": i[1]})
                for i, pk, status in new
                if status == NoticeStatus.UNDELIVERABLE
            ],
        )
        _dispatch_after_commit(sorted(pk for _i, pk, status in new if status == NoticeStatus.QUEUED))
    if fetch:
        return [rows[spec.identity()] for spec in specs]
    return [stored[spec.identity()][0] for spec in specs]


def notice_enqueue(*, actor: User | None = None, **fields) -> Notice:
    """Record one notice in the caller's transaction (rolled back with it) and send it after commit.

    ``fields`` are a ``NoticeSpec``'s: ``body`` is rendered by the caller in the recipient's language.
    An existing row of the same (key, channel, address) — or (key, channel, recipient) for a notice to
    a user — is returned as it is: the event was enqueued already, nothing is sent twice. No address:
    the row is stored undeliverable (audited on ``about``), never sent. The ``inbox`` channel is
    addressed by ``recipient`` alone: the row is the delivery (status sent at once, no task); without a
    recipient (a merchant with no account) it is undeliverable."""
    return notice_enqueue_many([NoticeSpec(**fields)], actor=actor)[0]


def _move(notice_id: int, source: str, target: str, **fields) -> bool:
    """A conditional UPDATE … WHERE status = ``source``: False when someone else moved it first."""
    NOTICE_WORKFLOW.check(source, target)
    return Notice.objects.filter(pk=notice_id, status=source).update(status=target, **fields) == 1


def _send(notice: Notice) -> None:
    """Through the channel's backend; raises on a provider error (retried by the caller)."""
    if notice.channel == NoticeChannel.SMS:
        backend = get_sms_backend()
        message = SMSMessage(notice.address, notice.body, notice.sms_template, notice.sms_params or {})
        send_message = getattr(backend, "send_message", None)  # a plain send(phone, text) backend has none
        if send_message is not None:
            send_message(message)
        else:
            backend.send(notice.address, notice.body)
    elif notice.channel == NoticeChannel.EMAIL:
        from .kinds import email_headers

        EmailMessage(
            notice.subject, notice.body, None, [notice.address], headers=email_headers(notice) or None
        ).send(fail_silently=False)
    else:
        raise ValueError(f"unknown notice channel {notice.channel!r}")


def _backoff(attempts: int) -> timedelta:
    return min(RETRY_BASE * (2 ** max(attempts - 1, 0)), RETRY_MAX)


def _audit_target(notice: Notice) -> models.Model:
    """The record the notice is about (its timeline is where staff look), else the notice itself."""
    about = notice.about
    return about if about is not None else notice


def notice_deliver(*, notice_id: int) -> str:
    """Claim, send, mark; returns the status the notice is left in ("" if another worker had it).

    The claim (queued → sending) is a conditional update committed before the send: of two workers
    given the same notice only one sends. A provider error goes back to queued with exponential
    back-off; after ``NOTICE_MAX_ATTEMPTS`` attempts the notice is failed, with the error, audited; a
    permanent refusal (``SMSPermanentError``: invalid number, template…) is failed at once.

    An SMS over the per-phone daily limit (``SMS_DAILY_LIMIT_PER_PHONE``) is not claimed: it stays
    queued until the next day (``_hold_over_limit``). The count and the claim run under a lock on the
    phone's notices, so two workers cannot both take the last message of the day."""
    now = timezone.now()
    NOTICE_WORKFLOW.check(NoticeStatus.QUEUED, NoticeStatus.SENDING)
    due = Notice.objects.filter(pk=notice_id, status=NoticeStatus.QUEUED, next_attempt_at__lte=now)
    with transaction.atomic():
        head = due.values("channel", "address").first()
        if head is None:
            return ""  # sent, being sent, not due yet, or gone
        limit = settings.SMS_DAILY_LIMIT_PER_PHONE
        if head["channel"] == NoticeChannel.SMS and limit:
            sent_today = _sms_count_today(head["address"], now)  # locks the phone's notices until commit
            if sent_today >= limit:
                return _hold_over_limit(notice_id, now, sent_today, limit)
        if due.update(status=NoticeStatus.SENDING, claimed_at=now, attempts=F("attempts") + 1) != 1:
            return ""  # another worker claimed it first
    notice = Notice.objects.get(pk=notice_id)
    try:
        _send(notice)
    except Exception as exc:  # any provider error, including an unreachable gateway (OSError)
        error = redact(f"{type(exc).__name__}: {exc}")[:500]
        return _failed_attempt(notice, error, permanent=isinstance(exc, SMSPermanentError))
    _move(notice.pk, NoticeStatus.SENDING, NoticeStatus.SENT, sent_at=timezone.now(), last_error="")
    notice.refresh_from_db()
    logger.info("notice %s (%s) sent to %s", notice.key, notice.channel, mask_phone(notice.address))
    for receiver, result in notice_sent.send_robust(sender=Notice, notice=notice):
        if isinstance(result, Exception):
            logger.error("notice_sent receiver %r failed for notice %s", receiver, notice.pk, exc_info=result)
    return NoticeStatus.SENT


def _local_midnight(day) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def _sms_count_today(phone: str, now) -> int:
    """SMS to ``phone`` sent, or being sent, since local midnight. Locks every notice to that phone
    first (``SELECT … FOR UPDATE`` in id order): a second worker counting for the same phone waits
    until the first has committed its claim, then counts it. The notice being delivered is one of the
    locked rows, so two claims for one phone always contend for the same lock."""
    to_phone = Notice.objects.filter(channel=NoticeChannel.SMS, address=phone, anonymised_at__isnull=True)
    list(to_phone.select_for_update().order_by("pk").values_list("pk", flat=True))
    since = _local_midnight(timezone.localdate(now))
    return to_phone.filter(
        Q(status=NoticeStatus.SENT, sent_at__gte=since) | Q(status=NoticeStatus.SENDING, claimed_at__gte=since)
    ).count()


def _hold_over_limit(notice_id: int, now, sent_today: int, limit: int) -> str:
    """Keep the notice queued until ``LIMIT_RESUME_AT`` tomorrow (a legal notice is delayed, never
    dropped), with the reason in ``last_error``, a warning in the log and a ``notice.limited`` entry
    on the record it is about (one a day per held notice: it is not due again before tomorrow)."""
    resume = timezone.make_aware(datetime.combine(timezone.localdate(now) + timedelta(days=1), LIMIT_RESUME_AT))
    reason = _("本号码今日已发送 %(sent)d 条短信（每日上限 %(limit)d 条），顺延至 %(at)s 发送。") % {
        "sent": sent_today,
        "limit": limit,
        "at": formats.date_format(timezone.localtime(resume), "SHORT_DATETIME_FORMAT"),
    }
    if not Notice.objects.filter(pk=notice_id, status=NoticeStatus.QUEUED).update(
        next_attempt_at=resume, last_error=reason
    ):
        return ""
    notice = Notice.objects.get(pk=notice_id)
    audit_log(
        actor=None,
        action=AuditAction.NOTICE_LIMITED,
        target=_audit_target(notice),
        note=reason,
        data={"notice": notice.pk, "key": notice.key, "channel": notice.channel, "sent_today": sent_today,
              "limit": limit, "resume_at": resume.isoformat()},
    )  # fmt: skip
    logger.warning(
        "notice %s (sms) to %s held by the daily limit (%d sent today, limit %d): queued until %s",
        notice.key, mask_phone(notice.address), sent_today, limit, resume.isoformat(),
    )  # fmt: skip
    return NoticeStatus.QUEUED


def _failed_attempt(notice: Notice, error: str, *, permanent: bool = False) -> str:
    if permanent or notice.attempts >= settings.NOTICE_MAX_ATTEMPTS:
        with transaction.atomic():
            if _move(notice.pk, NoticeStatus.SENDING, NoticeStatus.FAILED, last_error=error, next_attempt_at=None):
                audit_log(
                    actor=None,
                    action=AuditAction.NOTICE_FAILED,
                    target=_audit_target(notice),
                    from_status=NoticeStatus.SENDING,
                    to_status=NoticeStatus.FAILED,
                    note=error,
                    data={
                        "notice": notice.pk,
                        "key": notice.key,
                        "channel": notice.channel,
                        "attempts": notice.attempts,
                        "permanent": permanent,
                    },
                )
        logger.error(
            "notice %s (%s) failed after %d attempt(s)%s: %s",
            notice.key, notice.channel, notice.attempts, " (permanent refusal)" if permanent else "", error,
        )  # fmt: skip
        return NoticeStatus.FAILED
    retry_at = timezone.now() + _backoff(notice.attempts)
    _move(notice.pk, NoticeStatus.SENDING, NoticeStatus.QUEUED, last_error=error, next_attempt_at=retry_at)
    logger.warning(
        "notice %s (%s) attempt %d failed, retry at %s: %s", notice.key, notice.channel, notice.attempts, retry_at, error
    )
    return NoticeStatus.QUEUED


def notice_resend(*, notice_id: int, actor: User | None) -> Notice:
    """A staff member queues a ``failed`` notice again (failed → queued, audited ``notice.resent`` on
    the record it is about): attempts start from zero and it is sent after commit. Refused, with the
    reason: a notice outside the actor's region (as if it did not exist), one that is not failed, or
    one whose address was erased."""
    with transaction.atomic():
        notice = Notice.objects.select_for_update().filter(pk=notice_id).first()
        if notice is None or (actor is not None and not user_covers_region(actor, notice.region_code or None)):
            raise NotFound(_("您的辖区内没有该通知。"))
        if actor is not None and not actor.has_perm("notifications.resend_notice"):
            raise NotPermitted(_("您没有重新发送通知的权限。"))
        if notice.status != NoticeStatus.FAILED:
            raise TransitionNotAllowed(
                _("只能重新发送“发送失败”的通知，该通知当前为“%(status)s”。") % {"status": notice.get_status_display()}
            )
        if notice.anonymised_at is not None or not notice.address:
            raise ValidationFailed(_("该通知的地址已按个人信息保护要求删除，无法重新发送。"))
        NOTICE_WORKFLOW.transition(
            notice,
            NoticeStatus.QUEUED,
            actor=actor,
            action=AuditAction.NOTICE_RESENT,
            note=notice.last_error,
            fields={"attempts": 0, "next_attempt_at": timezone.now(), "claimed_at": None},
            data={"notice": notice.pk, "key": notice.key, "channel": notice.channel},
            audit_target=_audit_target(notice),
        )
    logger.info("notice %s (%s) queued again by %s", notice.key, notice.channel, getattr(actor, "pk", None))
    pk = notice.pk
    transaction.on_commit(lambda: _dispatch(pk))
    return notice


def notices_dispatch_due(*, limit: int = 1000) -> dict[str, int]:
    """Beat, every minute: queue again the claims a dead worker left (``STUCK_AFTER``), then publish a
    task for every queued notice that is due. Stops at the first failed publish (broker still down:
    the next run tries again). Publishing a notice whose own task is in flight is harmless: one claim wins."""
    now = timezone.now()
    NOTICE_WORKFLOW.check(NoticeStatus.SENDING, NoticeStatus.QUEUED)
    rescued = Notice.objects.filter(status=NoticeStatus.SENDING, claimed_at__lt=now - STUCK_AFTER).update(
        status=NoticeStatus.QUEUED, next_attempt_at=now
    )
    if rescued:
        logger.warning("%d notice(s) stuck in sending for over %s queued again", rescued, STUCK_AFTER)
    due = list(
        Notice.objects.filter(status=NoticeStatus.QUEUED, next_attempt_at__lte=now)
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    dispatched = 0
    for pk in due:
        if not _dispatch(pk):
            break
        dispatched += 1
    return {"rescued": rescued, "due": len(due), "dispatched": dispatched}


def _anonymised_fields(now) -> dict:
    return {"address": "", "subject": "", "body": "", "anonymised_at": now}


def notices_anonymise_about(*, about: models.Model, actor: User | None = None) -> int:
    """Erase the address and text of every notice about ``about`` (called in its anonymisation's
    transaction); one still queued becomes undeliverable first, so nothing is sent to a blank address."""
    now = timezone.now()
    notices = Notice.objects.filter(
        content_type=ContentType.objects.get_for_model(about, for_concrete_model=True),
        object_id=str(about.pk),
        anonymised_at__isnull=True,
    )
    with transaction.atomic():
        for pk, key, channel in notices.filter(status=NoticeStatus.QUEUED).values_list("pk", "key", "channel"):
            if _move(pk, NoticeStatus.QUEUED, NoticeStatus.UNDELIVERABLE, next_attempt_at=None):
                audit_log(
                    actor=actor,
                    action=AuditAction.NOTICE_UNDELIVERABLE,
                    target=about,
                    from_status=NoticeStatus.QUEUED,
                    to_status=NoticeStatus.UNDELIVERABLE,
                    data={"notice": pk, "key": key, "channel": channel, "cause": "anonymised"},
                )
        return notices.update(**_anonymised_fields(now))


def notices_anonymise_expired(*, as_of, actor: User | None = None) -> int:
    """Nightly (core.retention): finished notices older than the retention period lose their address
    and text. They are older than the closure of what they are about, so a complaint anonymised
    tonight has its notices anonymised tonight too (and at once by ``notices_anonymise_about``).
    Not audited per notice: the record they are about carries its own anonymisation entry."""
    cutoff = retention_cutoff(as_of)
    return Notice.objects.filter(
        status__in=FINAL_STATUSES, created_at__lt=cutoff, anonymised_at__isnull=True
    ).update(**_anonymised_fields(timezone.now()))


# The fan-out API (kinds of notice, preferences, languages) lives in fanout.py; imported here so the apps
# call ``notifications.services.notify_merchant`` / ``notify_users`` like every other service.
from .fanout import MerchantEvent, notify_merchant, notify_merchants, notify_users  # noqa: E402, F401
