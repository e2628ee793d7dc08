"""Celery entry point for the fault suite's worker subprocesses: the project's own app and settings.

``FAULTS_VISIBILITY_TIMEOUT`` (seconds) shortens the Redis transport's visibility
timeout (3600 s in settings) so that a message left unacknowledged by a killed
worker is restored when the next worker starts instead of an hour later. Nothing
else differs from ``celery -A integrity_portal worker``.
"""

import os

from integrity_portal.celery import app

_timeout = os.environ.get("FAULTS_VISIBILITY_TIMEOUT")
if _timeout:
    app.conf.broker_transport_options = {
        **(app.conf.broker_transport_options or {}),
        "visibility_timeout": int(_timeout),
    }

__all__ = ["app"]
