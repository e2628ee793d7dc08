"""System checks of the SMS channel (``manage.py check``): a provider backend chosen without what it
needs would make every SMS notice fail, found only by the first complainant who is not told."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Error, Warning
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _


def sms_backend_check(app_configs=None, **kwargs) -> list:
    """notifications.E001: ``SMS_BACKEND`` cannot be imported; E002: Alibaba Cloud chosen without its
    AccessKey or signature; W001: no template codes; W002: an endpoint that is not HTTPS."""
    from .sms import AliyunSMSBackend

    try:
        backend = import_string(settings.SMS_BACKEND)
    except ImportError as exc:
        return [Error(_("SMS_BACKEND 无法导入：%(error)s") % {"error": exc}, id="notifications.E001")]
    if not (isinstance(backend, type) and issubclass(backend, AliyunSMSBackend)):
        return []
    problems = []
    missing = [
        name
        for name in ("SMS_ALIYUN_ACCESS_KEY_ID", "SMS_ALIYUN_ACCESS_KEY_SECRET", "SMS_ALIYUN_SIGN_NAME")
        if not getattr(settings, name, "")
    ]
    if missing:
        problems.append(
            Error(
                _("已选用阿里云短信，但未设置 %(names)s：所有短信通知都将发送失败。")
                % {"names": ", ".join(missing)},
                id="notifications.E002",
            )
        )
    if not settings.SMS_TEMPLATE_CODES:
        problems.append(
            Warning(
                _(
                    "SMS_TEMPLATE_CODES 为空：阿里云短信只发送已审核的模板，每条短信通知都将因缺少模板代码而失败。"
                ),
                hint=_("按 docs/NOTIFICATIONS.md 的模板名设置，如 complaint.accepted=SMS_123456。"),
                id="notifications.W001",
            )
        )
    if not settings.SMS_ALIYUN_ENDPOINT.startswith("https://"):
        problems.append(
            Warning(
                _("SMS_ALIYUN_ENDPOINT 不是 HTTPS 地址：请求（含签名）将以明文传输。"),
                id="notifications.W002",
            )
        )
    return problems
