"""Notices to complainants by SMS and e-mail. The demo has no SMS gateway: SMS go to the log (console)."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from integrity_portal.core.phones import mask_phone

from .models import Complaint, ComplaintNotice, Status

logger = logging.getLogger("complaints.sms")

# Lazy: each notice is rendered in its recipient's language at send time (a plain gettext here ran
# once at import, so the first request's language was used for every later notice of the process).
_EVENTS = {
    "tracking_code": _("您的投诉举报查询码为 %(code)s，请凭查询码和手机号码在 %(url)s 查询办理进度。"),
    "merchant_reply": _("经营者已答复您的投诉（查询码 %(code)s），请登录 %(url)s 查看。"),
    Status.ACCEPTED: _("您的投诉（查询码 %(code)s）已受理。"),
    Status.REJECTED: _("您的投诉（查询码 %(code)s）不予受理，理由请到 %(url)s 查看。"),
    Status.MEDIATED: _("您的投诉（查询码 %(code)s）已调解成功，欢迎评价办理情况。"),
    Status.SETTLED: _("您的投诉（查询码 %(code)s）已与经营者和解，欢迎评价办理情况。"),
    Status.TERMINATED: _("您的投诉（查询码 %(code)s）已终止调解，详情请到 %(url)s 查看。"),
    Status.TRANSFERRED: _("您的投诉（查询码 %(code)s）涉嫌违法，已转执法部门核查。"),
    Status.CASE_OPENED: _("您的举报（查询码 %(code)s）经核查已立案。感谢您的监督。"),
    Status.NOT_OPENED: _("您的举报（查询码 %(code)s）经核查不予立案，详情请到 %(url)s 查看。"),
}


def send_sms(phone: str, text: str) -> None:
    # The stub's log must not open anyone's complaint: a full number and the text (which carries the
    # tracking code) together are exactly what the tracking page asks for. A gateway gets the real values.
    logger.info("SMS to %s (%d characters, text not logged)", mask_phone(phone), len(text))


CHANNELS = ("sms", "email")


def send_notice(
    *, complaint_id: int, event: str, channels=None, delivered: list[str] | None = None, key: str = ""
) -> bool:
    """Send one notice; anonymous reporters are never contacted (they left no contact on purpose).

    ``channels`` limits the send to some of ``CHANNELS`` (a retry repeats only what failed: nobody gets
    the same SMS twice because the mail server was down). A gateway or SMTP error is raised, not
    swallowed, so the task retries with back-off; ``delivered`` collects the channels that went out
    before it. Idempotent: each (complaint, ``key``, channel) goes out once, however often the message
    is delivered (``key`` defaults to the event; see ``ComplaintNotice``)."""
    template = _EVENTS.get(event)
    complaint = Complaint.objects.filter(pk=complaint_id).first()
    if template is None or complaint is None or complaint.anonymous:
        return False
    wanted = set(CHANNELS if channels is None else channels)
    delivered = [] if delivered is None else delivered
    with translation.override(notice_language(complaint)):
        text = str(template) % {"code": complaint.tracking_code, "url": f"{settings.SITE_URL}/complaints/track/"}
        subject = str(_("投诉举报办理通知"))
    key = (key or event)[:80]
    if complaint.complainant_phone and "sms" in wanted and _claim(complaint, key, "sms"):
        _send_claimed(complaint, key, "sms", lambda: send_sms(complaint.complainant_phone, text))
        delivered.append("sms")
    if complaint.complainant_email and "email" in wanted and _claim(complaint, key, "email"):
        _send_claimed(complaint, key, "email", lambda: send_mail(subject, text, None, [complaint.complainant_email]))
        delivered.append("email")
    return True


def _claim(complaint: Complaint, key: str, channel: str) -> bool:
    """Record the notice before sending it; False when it is recorded already (sent, or being sent by a
    duplicate of the same message: the unique constraint lets exactly one through)."""
    try:
        with transaction.atomic():
            ComplaintNotice.objects.create(complaint=complaint, key=key, channel=channel)
    except IntegrityError:
        return False
    return True


def _send_claimed(complaint: Complaint, key: str, channel: str, send) -> None:
    """Send; a failed send is not recorded, so the retry sends it."""
    try:
        send()
    except BaseException:
        ComplaintNotice.objects.filter(complaint=complaint, key=key, channel=channel).delete()
        raise


def notice_language(complaint: Complaint) -> str:
    """The recipient's language: the one they used to file, else the portal's default."""
    language = complaint.language or ""
    return language if language in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE
