"""Channels come from the environment (issue #16 item 2): EMAIL_URL, the bureau's sender, SMS_BACKEND."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _settings(**env) -> dict:
    """settings.py read in a fresh interpreter with exactly these variables (it is evaluated at import)."""
    code = (
        "import json; from integrity_portal import settings as s; print(json.dumps({k: str(getattr(s, k)) "
        "for k in ('EMAIL_BACKEND', 'EMAIL_HOST', 'EMAIL_PORT', 'EMAIL_HOST_USER', 'EMAIL_USE_TLS', "
        "'DEFAULT_FROM_EMAIL', 'SMS_BACKEND', 'NOTICE_MAX_ATTEMPTS')}))"
    )
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("EMAIL", "SMS_", "SITE_", "DEFAULT_FROM"))}
    result = subprocess.run(  # noqa: S603 - our own interpreter
        [sys.executable, "-c", code], cwd=ROOT, env={**keep, "DEBUG": "true", **env},
        capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_email_url_sets_backend_and_relay_and_the_sender_names_the_bureau():
    got = _settings(EMAIL_URL="smtp+tls://notices:secret@smtp.example.gov.cn:587", SITE_BUREAU_NAME="焦作市市场监督管理局")
    assert got["EMAIL_BACKEND"] == "django.core.mail.backends.smtp.EmailBackend"
    assert (got["EMAIL_HOST"], got["EMAIL_PORT"], got["EMAIL_HOST_USER"], got["EMAIL_USE_TLS"]) == (
        "smtp.example.gov.cn", "587", "notices", "True",
    )  # fmt: skip
    assert got["DEFAULT_FROM_EMAIL"].endswith("<noreply@integrity-portal.local>")
    assert got["DEFAULT_FROM_EMAIL"].startswith("=?utf-8?")  # the bureau's name, encoded for the header


def test_without_email_url_the_current_defaults_stay():
    got = _settings()
    assert got["EMAIL_BACKEND"] == "django.core.mail.backends.console.EmailBackend"
    assert got["DEFAULT_FROM_EMAIL"] == "noreply@integrity-portal.local"
    assert got["SMS_BACKEND"] == "notifications.sms.ConsoleSMSBackend" and got["NOTICE_MAX_ATTEMPTS"] == "5"
    assert _settings(SMS_BACKEND="notifications.sms.FileSMSBackend")["SMS_BACKEND"] == "notifications.sms.FileSMSBackend"
