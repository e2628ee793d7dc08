"""SMS backends, chosen by ``settings.SMS_BACKEND`` (a dotted path), like Django's e-mail backends.

A backend's ``send(phone, text)`` raises on a provider error (``SMSError``, or OSError when the
gateway is unreachable) so the outbox retries it. Nothing here logs a full number together with its
text: the text carries the tracking code, and number + code is exactly what the tracking page asks for.
"""

from __future__ import annotations

import json
import logging
import os
from abc import ABC, abstractmethod
from pathlib import Path

from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string

from integrity_portal.core.phones import mask_phone

logger = logging.getLogger("notifications.sms")


class SMSError(Exception):
    """The provider refused or failed the message (its error code and text in the message)."""


class BaseSMSBackend(ABC):
    """What every SMS backend does: deliver one text to one phone, or raise SMSError."""

    @abstractmethod
    def send(self, phone: str, text: str) -> None: ...


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


def get_sms_backend() -> BaseSMSBackend:
    return import_string(settings.SMS_BACKEND)()
