"""Operations settings read from the environment: log format, ADMINS, Sentry (no personal data)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SETUP = "import os, django, json; os.environ['DJANGO_SETTINGS_MODULE']='integrity_portal.settings'; django.setup();"


def _run(code: str, **env) -> dict:
    clean = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "LOG_FORMAT", "ADMINS", "SENTRY_DSN", "DATABASE_URL", "REDIS_URL"}}
    clean.update({"SECRET_KEY": "x" * 50, **env})
    result = subprocess.run(
        [sys.executable, "-c", SETUP + code], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_production_logs_json_and_mails_masked_errors_to_admins():
    out = _run(
        "from django.conf import settings as s; import logging;"
        "h = logging.getLogger('django.request').handlers;"
        "print(json.dumps({'fmt': s.LOG_FORMAT, 'admins': s.ADMINS, 'handlers': [type(x).__name__ for x in h],"
        " 'formatter': type(logging.getLogger().handlers[0].formatter).__name__}))",
        ADMINS="Duty Officer <duty@example.org>, ops@example.org, not-an-address",
    )
    assert out["fmt"] == "json"
    assert out["formatter"] == "JsonFormatter"
    assert out["admins"] == [["Duty Officer", "duty@example.org"], ["ops@example.org", "ops@example.org"]]
    assert out["handlers"] == ["_Handler"]


def test_development_logs_plain_text():
    out = _run("from django.conf import settings as s; print(json.dumps({'fmt': s.LOG_FORMAT}))", DEBUG="true")
    assert out["fmt"] == "text"


def test_sentry_is_initialised_without_personal_data_and_masks_events():
    out = _run(
        "import sentry_sdk; o = sentry_sdk.get_client().options;"
        "ev = o['before_send']({'message': 'call 13812345678', 'extra': {'id': '41080219900307123X'}}, {});"
        "import logging; h = logging.getLogger('django.request').handlers;"
        "print(json.dumps({'pii': o['send_default_pii'], 'dsn': bool(o['dsn']), 'ev': ev, 'mail': len(h)}))",
        SENTRY_DSN="https://public@127.0.0.1:9/1",
    )
    assert out["pii"] is False and out["dsn"] is True
    assert out["ev"] == {"message": "call 138****5678", "extra": {"id": "410802********123X"}}
    assert out["mail"] == 0  # Sentry reports errors: no mail to ADMINS as well
