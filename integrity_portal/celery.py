"""Celery application: broker and result backend come from REDIS_URL via settings.

With no REDIS_URL the settings make every task run eagerly in-process, so the
portal works on a laptop with nothing but Python.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "integrity_portal.settings")

app = Celery("integrity_portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
