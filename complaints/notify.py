"""Notices to complainants by SMS and e-mail, through the notifications outbox (docs/NOTIFICATIONS.md).

The notices are rows written in the transaction of the event, so a broker outage at commit time loses
none; the channel backends (SMS_BACKEND, EMAIL_URL) send them.
"""

from __future__ import annotations

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from .models import Complaint, Status

# Lazy: each notice is rendered in its recipient's language when it is enqueued (a plain gettext here ran
# once at import, so the first request's language was used for every later notice of the process).
_EVENTS = {
    "received": _("您的%(kind)s已登记，查询码 %(code)s，请凭查询码和手机号码在 %(url)s 查询办理进度。"),
    "tracking_code": _("您的投诉举报查询码为 %(code)s，请凭查询码和手机号码在 %(url)s 查询办理进度。"),
    "merchant_reply": _("经营者已答复您的投诉（查询码 %(code)s），请登录 %(url)s 查看。"),
    "proposal": _("经营者对您的投诉（查询码 %(code)s）提出了和解方案，请到 %(url)s 查看并确认是否接受。"),
    Status.ACCEPTED: _("您的投诉（查询码 %(code)s）已受理。"),
    # Each closing notice invites the rating of the handling (the tracking page takes it, once).
    Status.REJECTED: _("您的投诉（查询码 %(code)s）不予受理，理由请到 %(url)s 查看，并可评价办理情况。"),
    Status.MEDIATED: _("您的投诉（查询码 %(code)s）已调解成功，请到 %(url)s 评价办理情况。"),
    Status.SETTLED: _("您的投诉（查询码 %(code)s）已与经营者和解，请到 %(url)s 评价办理情况。"),
    Status.TERMINATED: _("您的投诉（查询码 %(code)s）已终止调解，详情请到 %(url)s 查看，并可评价办理情况。"),
    Status.TRANSFERRED: _("您的投诉（查询码 %(code)s）涉嫌违法，已转执法部门核查，欢迎到 %(url)s 评价办理情况。"),
    Status.CASE_OPENED: _("您的举报（查询码 %(code)s）经核查已立案。感谢您的监督。"),
    Status.NOT_OPENED: _("您的举报（查询码 %(code)s）经核查不予立案，详情请到 %(url)s 查看。"),
}


def notice_key(complaint_id: int, occasion: str) -> str:
    """The outbox key of one occasion: ``complaint:<id>:<event>`` for a status notice (once per
    complaint), ``complaint:<id>:<event>:<id>`` for one that may recur (each merchant reply, each
    requested re-send of the tracking code)."""
    return f"complaint:{complaint_id}:{occasion}"


def enqueue_notice(*, complaint: Complaint, event: str, key: str = "", actor=None) -> list:
    """Record the complainant's notices of ``event`` in the caller's transaction (notifications outbox).

    Anonymous reporters are never contacted (they left no contact on purpose), and an event without a
    template sends nothing. The text is rendered now, in the complainant's language. SMS always (no
    phone: stored undeliverable, so staff see it), e-mail only when one was given (it is optional).
    Idempotent: the same ``key`` (default the event) enqueued again adds nothing."""
    from notifications.services import notice_enqueue

    template = _EVENTS.get(event)
    if template is None or complaint.anonymous:
        return []
    language = notice_language(complaint)
    with translation.override(language):
        text = str(template) % {
            "code": complaint.tracking_code,
            "url": f"{settings.SITE_URL}/complaints/track/",
            "kind": complaint.get_kind_display(),
        }
        subject = str(_("投诉举报办理通知"))
    occasion = notice_key(complaint.pk, key or event)
    addresses = [("sms", complaint.complainant_phone)]
    if complaint.complainant_email:
        addresses.append(("email", complaint.complainant_email))
    return [
        notice_enqueue(
            key=occasion,
            channel=channel,
            address=address,
            subject=subject if channel == "email" else "",
            body=text,
            language=language,
            about=complaint,
            region_code=complaint.region_id or "",
            actor=actor,
            # A template provider (Alibaba Cloud) sends the approved template "complaint.<event>"
            # (SMS_TEMPLATE_CODES) with the tracking code as ${code}; the portal's URL is in the template.
            sms_template=f"complaint.{event}",
            sms_params={"code": complaint.tracking_code},
        )
        for channel, address in addresses
    ]


FEEDBACK_EVENTS = (Status.CASE_OPENED, Status.NOT_OPENED)


def record_feedback_when_sent(sender, *, notice, **kwargs) -> None:
    """``notifications.signals.notice_sent``: a real-name reporter's decision counts as told (the
    5-working-day feedback) only once its notice actually went out."""
    parts = notice.key.split(":")
    if len(parts) < 3 or parts[0] != "complaint" or parts[2] not in FEEDBACK_EVENTS:
        return
    from .services import report_send_feedback

    report_send_feedback(complaint_id=int(parts[1]))


def notice_language(complaint: Complaint) -> str:
    """The recipient's language: the one they used to file, else the portal's default."""
    language = complaint.language or ""
    return language if language in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE
