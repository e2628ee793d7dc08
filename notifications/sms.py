"""SMS backends, chosen by ``settings.SMS_BACKEND`` (a dotted path), like Django's e-mail backends.

A backend's ``send(phone, text)`` raises on a provider error (``SMSError``, or OSError when the
gateway is unreachable) so the outbox retries it; ``SMSPermanentError`` (a refusal that no retry can
change: an invalid number, a missing template parameter) makes the notice ``failed`` at once. The
outbox calls ``send_message(SMSMessage)``, which carries the notice's template name and parameters
too: a template provider (``AliyunSMSBackend``) sends those, the others send the text.
Nothing here logs a full number together with its text: the text carries the tracking code, and
number + code is exactly what the tracking page asks for.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import os
import re
import urllib.error
import urllib.request
import uuid
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string

from integrity_portal.core.phones import mask_phone

logger = logging.getLogger("notifications.sms")


class SMSError(Exception):
    """The provider refused or failed the message (its error code and text in the message); the
    outbox tries again after a back-off."""


class SMSPermanentError(SMSError):
    """A refusal no retry can change (invalid number or template, missing parameter, no credit…):
    the outbox marks the notice ``failed`` at once with ``code: message`` in ``last_error``."""

    def __init__(self, code: str, message: str = ""):
        self.code = code
        super().__init__(f"{code}: {message}" if message else code)


#: Provider limits, checked when a notice is enqueued (``check_sms_limits``) rather than cut at send:
#: a whole text (signature, template and variables) of at most 500 characters, and each template
#: variable at most 35 (Alibaba Cloud's limit for a variable of the "other" kind).
SMS_MAX_TEXT = 500
SMS_MAX_PARAM = 35
_PARAM_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,31}$")


def check_sms_limits(text: str, params: Mapping[str, str] | None = None) -> None:
    """Raise ``ValueError`` (with what is wrong) when the text or a template variable is too long, or
    a variable's name is not one a provider template can carry (``${name}``: letters, digits, _)."""
    if len(text) > SMS_MAX_TEXT:
        raise ValueError(f"SMS text is {len(text)} characters, the providers' limit is {SMS_MAX_TEXT}")
    for name, value in (params or {}).items():
        if not _PARAM_NAME.match(str(name)):
            raise ValueError(f"SMS template variable name {name!r} is not letters, digits and _")
        if len(str(value)) > SMS_MAX_PARAM:
            raise ValueError(
                f"SMS template variable {name!r} is {len(str(value))} characters, the limit is {SMS_MAX_PARAM}"
            )


@dataclass(frozen=True)
class SMSMessage:
    """One SMS: the rendered ``text`` (console and file backends) and the portal's ``template`` name
    with its ``params`` (template providers map the name to their approved template code)."""

    phone: str
    text: str
    template: str = ""
    params: Mapping[str, str] = field(default_factory=dict)


class BaseSMSBackend(ABC):
    """What every SMS backend does: deliver one text to one phone, or raise SMSError."""

    @abstractmethod
    def send(self, phone: str, text: str) -> None: ...

    def send_message(self, message: SMSMessage) -> None:
        """What the outbox calls; a backend that sends plain text ignores the template."""
        self.send(message.phone, message.text)


class ConsoleSMSBackend(BaseSMSBackend):
    """Development default: one log line with the masked number and the length, never the text."""

    def send(self, phone: str, text: str) -> None:
        logger.info("SMS to %s (%d characters, text not logged)", mask_phone(phone), len(text))


class FileSMSBackend(BaseSMSBackend):
    """Tests and demos: appends one JSON line per message to ``settings.SMS_FILE_PATH`` (the full number
    and text: the file is the demo's phone, kept under a git-ignored path; never use it in production)."""

    def send(self, phone: str, text: str) -> None:
        path = Path(settings.SMS_FILE_PATH)
        path.parent.mkdir(parents=True, exist_ok=True)
        line = json.dumps({"at": timezone.now().isoformat(), "to": phone, "text": text}, ensure_ascii=False)
        # One write of one line in append mode: concurrent workers' lines do not interleave.
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(line + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        logger.info("SMS to %s written to the SMS file", mask_phone(phone))


def aliyun_percent_encode(value: str) -> str:
    """Alibaba Cloud's POP encoding: UTF-8, every byte but ``A-Z a-z 0-9 - _ . ~`` as ``%XY`` (so a
    space is ``%20``, ``*`` is ``%2A`` and ``~`` stays)."""
    return quote(value, safe="")


def aliyun_string_to_sign(params: Mapping[str, str], method: str = "GET") -> str:
    """``GET&%2F&`` + the encoded canonical query: the parameters (without ``Signature``) sorted by
    name, each name and value encoded, joined with ``=`` and ``&``."""
    canonical = "&".join(
        f"{aliyun_percent_encode(k)}={aliyun_percent_encode(str(v))}" for k, v in sorted(params.items())
    )
    return f"{method}&{aliyun_percent_encode('/')}&{aliyun_percent_encode(canonical)}"


def aliyun_signature(params: Mapping[str, str], secret: str, method: str = "GET") -> str:
    """Signature version 1.0: Base64(HMAC-SHA1(AccessKeySecret + "&", string to sign))."""
    digest = hmac.new(
        f"{secret}&".encode(), aliyun_string_to_sign(params, method).encode(), hashlib.sha1
    ).digest()
    return base64.b64encode(digest).decode("ascii")


class AliyunSMSBackend(BaseSMSBackend):
    """Alibaba Cloud SMS (dysmsapi ``SendSms``, API version 2017-05-25), an RPC-style GET signed with
    HMAC-SHA1 (signature version 1.0). Configured from ``SMS_ALIYUN_*``; the notice's template name is
    mapped to an approved template code by ``SMS_TEMPLATE_CODES`` (docs/NOTIFICATIONS.md §Alibaba Cloud
    SMS). Errors: the retryable ones (throttling, the provider's own faults, HTTP 5xx, a network error
    or timeout) raise ``SMSError``; every other refusal ``SMSPermanentError`` with the provider's code."""

    API_VERSION = "2017-05-25"
    #: Refusals a later attempt may pass: flow control, the provider's own faults, a reused nonce.
    RETRYABLE_CODES = frozenset(
        {
            "isv.BUSINESS_LIMIT_CONTROL",
            "isv.DAY_LIMIT_CONTROL",
            "isp.SYSTEM_ERROR",
            "isv.SYSTEM_ERROR",
            "ServiceUnavailable",
            "InternalError",
            "SignatureNonceUsed",
        }
    )
    #: Named for the reader; any other ``isv.*`` code is permanent as well (a business rule refused it).
    PERMANENT_CODES = frozenset(
        {
            "isv.MOBILE_NUMBER_ILLEGAL",
            "isv.TEMPLATE_MISSING_PARAMETERS",
            "isv.SMS_TEMPLATE_ILLEGAL",
            "isv.SMS_SIGNATURE_ILLEGAL",
            "isv.AMOUNT_NOT_ENOUGH",
            "isv.INVALID_PARAMETERS",
            "isv.INVALID_JSON_PARAM",
            "isv.PARAM_LENGTH_LIMIT",
            "isv.PARAM_NOT_SUPPORT_URL",
            "isv.ACCOUNT_NOT_EXISTS",
            "isv.ACCOUNT_ABNORMAL",
            "isv.BLACK_KEY_CONTROL_LIMIT",
            "isp.RAM_PERMISSION_DENY",
            "SignatureDoesNotMatch",
            "IncompleteSignature",
            "InvalidAccessKeyId.NotFound",
            "InvalidAccessKeyId.Inactive",
            "InvalidTimeStamp.Expired",
        }
    )

    def __init__(self) -> None:
        self.access_key_id = settings.SMS_ALIYUN_ACCESS_KEY_ID
        self.access_key_secret = settings.SMS_ALIYUN_ACCESS_KEY_SECRET
        self.sign_name = settings.SMS_ALIYUN_SIGN_NAME
        self.endpoint = settings.SMS_ALIYUN_ENDPOINT
        self.region_id = settings.SMS_ALIYUN_REGION_ID
        self.timeout = settings.SMS_TIMEOUT
        self.template_codes = settings.SMS_TEMPLATE_CODES

    @classmethod
    def is_retryable(cls, code: str) -> bool:
        if code in cls.PERMANENT_CODES:
            return False
        if code in cls.RETRYABLE_CODES or code.startswith("Throttling"):
            return True
        # Another isv.* is a business rule of the provider (it will refuse again); anything else
        # unknown is tried again, at most NOTICE_MAX_ATTEMPTS times.
        return not code.startswith("isv.")

    def send(self, phone: str, text: str) -> None:
        raise SMSPermanentError(
            "portal.NO_TEMPLATE", "Alibaba Cloud sends approved templates only, not free text"
        )

    def request_params(
        self, message: SMSMessage, *, nonce: str | None = None, now: datetime | None = None
    ) -> dict:
        """The signed request's parameters (``Signature`` last), for one phone and one template."""
        if not (self.access_key_id and self.access_key_secret and self.sign_name):
            raise SMSError(
                "portal.NOT_CONFIGURED: SMS_ALIYUN_ACCESS_KEY_ID, SMS_ALIYUN_ACCESS_KEY_SECRET and "
                "SMS_ALIYUN_SIGN_NAME must be set"
            )
        if not message.template:
            raise SMSPermanentError("portal.NO_TEMPLATE", "the notice has no SMS template")
        code = self.template_codes.get(message.template)
        if not code:
            raise SMSPermanentError(
                "portal.TEMPLATE_NOT_CONFIGURED",
                f"SMS_TEMPLATE_CODES has no template code for {message.template!r}",
            )
        try:
            check_sms_limits(message.text, message.params)
        except ValueError as exc:
            raise SMSPermanentError("portal.TOO_LONG", str(exc)) from None
        params = {
            "AccessKeyId": self.access_key_id,
            "Action": "SendSms",
            "Format": "JSON",
            "PhoneNumbers": message.phone,
            "RegionId": self.region_id,
            "SignName": self.sign_name,
            "SignatureMethod": "HMAC-SHA1",
            "SignatureNonce": nonce or uuid.uuid4().hex,
            "SignatureVersion": "1.0",
            "TemplateCode": code,
            "TemplateParam": json.dumps(
                {k: str(v) for k, v in message.params.items()}, ensure_ascii=False, separators=(",", ":")
            ),
            "Timestamp": (now or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "Version": self.API_VERSION,
        }
        params["Signature"] = aliyun_signature(params, self.access_key_secret)
        return params

    def send_message(self, message: SMSMessage) -> None:
        if not self.endpoint.startswith(("https://", "http://")):
            raise SMSError(
                f"portal.NOT_CONFIGURED: SMS_ALIYUN_ENDPOINT {self.endpoint!r} is not an http(s) URL"
            )
        params = self.request_params(message)
        query = "&".join(f"{aliyun_percent_encode(k)}={aliyun_percent_encode(v)}" for k, v in params.items())
        # S310: the endpoint's scheme is checked above (http only for a local test server).
        request = urllib.request.Request(f"{self.endpoint}?{query}", headers={"Accept": "application/json"})  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                status, raw = response.status, response.read()
        except urllib.error.HTTPError as exc:  # 4xx/5xx: the body still names the error
            status, raw = exc.code, exc.read()
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise SMSError(f"network: {type(reason).__name__}: {reason}") from None
        self._check_answer(status, raw, message)

    def _check_answer(self, status: int, raw: bytes, message: SMSMessage) -> None:
        try:
            answer = json.loads(raw.decode("utf-8"))
            code, text = str(answer.get("Code", "")), str(answer.get("Message", ""))
        except (ValueError, AttributeError):
            answer, code, text = None, "", ""
        if status == 200 and code == "OK":
            logger.info(
                "SMS to %s accepted by Alibaba Cloud (template %s, BizId %s)",
                mask_phone(message.phone),
                message.template,
                answer.get("BizId", ""),
            )
            return
        if status >= 500 or not code:
            raise SMSError(f"HTTP {status}: {code or 'no error code'} {text}".strip())
        if self.is_retryable(code):
            raise SMSError(f"{code}: {text}")
        raise SMSPermanentError(code, text)


def get_sms_backend() -> BaseSMSBackend:
    return import_string(settings.SMS_BACKEND)()
