"""Structured logs: one JSON line per record, a request id through requests and tasks, personal data masked.

* ``RequestIdMiddleware`` (first in MIDDLEWARE) takes a safe incoming ``X-Request-ID`` (1–128 of
  ``A-Z a-z 0-9 . _ : -``) or makes one, keeps it in a contextvar for every log line of the request,
  returns it as ``X-Request-ID`` and writes one line per request (method, path without the query
  string, status, duration_ms, user_id, request_id) on the ``integrity_portal.request`` logger.
* Celery: ``before_task_publish`` puts the id into the message headers, ``task_prerun`` restores it
  in the worker (an eager task simply keeps the caller's), ``task_postrun`` writes one line per task
  on ``integrity_portal.task``.
* ``RedactFilter`` masks mainland mobile numbers (138****5678), 18-character ID numbers and complaint
  tracking codes in the message, its arguments and the traceback of every record it sees: logs
  leave the machine (aggregators, mail to ADMINS, Sentry) and must carry none of them.
* ``JsonFormatter``: time, level, logger, message, request_id, user_id and any ``extra`` fields.

``LOG_FORMAT=json|text`` (settings) selects the formatter; both go through the same filters. This
module imports nothing from Django at import time: settings load it for ``LOGGING``.
"""

from __future__ import annotations

import contextvars
import json
import logging
import re
import time
import uuid
from datetime import UTC, datetime
from typing import Any

REQUEST_ID_HEADER = "X-Request-ID"
CELERY_HEADER = "x_request_id"
_SAFE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")

request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)
_request_var: contextvars.ContextVar[Any] = contextvars.ContextVar("request", default=None)

request_logger = logging.getLogger("integrity_portal.request")
task_logger = logging.getLogger("integrity_portal.task")

# ---------------------------------------------------------------------------------------------
# Redaction
# ---------------------------------------------------------------------------------------------
# 18-character resident ID: 17 digits and a digit or X, not inside a longer run of letters/digits.
_ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])(\d{6})\d{8}(\d{3}[\dXx])(?![0-9A-Za-z])")
# Mainland mobile, optionally +86/86 in front, not inside a longer number.
_PHONE = re.compile(r"(?<!\d)((?:\+?86)?1[3-9]\d)\d{4}(\d{4})(?!\d)")
# Complaint tracking code (complaints.models: 16 of 23456789ABCDEFGHJKMNPQRSTUVWXYZ), any case.
_TRACKING = re.compile(r"(?<![0-9A-Za-z])([2-9A-HJKMNP-Z]{4})[2-9A-HJKMNP-Z]{12}(?![0-9A-Za-z])", re.IGNORECASE)


def redact(text: str) -> str:
    """Mask phone numbers, ID numbers and tracking codes in ``text`` (keeps enough to tell them apart)."""
    if not text:
        return text
    text = _ID_NUMBER.sub(lambda m: f"{m.group(1)}********{m.group(2)}", text)
    text = _PHONE.sub(lambda m: f"{m.group(1)}****{m.group(2)}", text)
    return _TRACKING.sub(lambda m: f"{m.group(1)}************", text)


def redact_value(value: Any) -> Any:
    """``redact`` through dicts, lists and tuples (Sentry events, log ``extra`` fields)."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {k: redact_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(redact_value(v) for v in value)
    return value


class RedactFilter(logging.Filter):
    """Renders the message with its arguments, then masks it (an argument may be any object whose
    ``str`` carries a phone number); the traceback text is rendered and masked here too."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "_redacted", False):
            return True
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: log what we have rather than lose the record
            message = f"{record.msg!s} {record.args!r}"
        record.msg = redact(message)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        record._redacted = True
        return True


class ContextFilter(logging.Filter):
    """Adds ``request_id`` and ``user_id`` (only when the request already resolved its user: logging
    never costs a session query)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = request_id_var.get()
        if not hasattr(record, "user_id"):
            record.user_id = _resolved_user_id(_request_var.get())
        return True


def _resolved_user_id(request) -> int | None:
    if request is None:
        return None
    from django.utils.functional import empty

    user = request.__dict__.get("user")
    if user is None:
        return None
    wrapped = getattr(user, "_wrapped", user)
    if wrapped is empty or not getattr(wrapped, "is_authenticated", False):
        return None
    return wrapped.pk


# ---------------------------------------------------------------------------------------------
# Formatter
# ---------------------------------------------------------------------------------------------
_STANDARD_ATTRS = frozenset(
    vars(logging.LogRecord("x", logging.INFO, "x", 0, "x", None, None)).keys()
    | {"message", "asctime", "_redacted", "request_id", "user_id"}
)


class JsonFormatter(logging.Formatter):
    """One JSON object per line; ``extra`` fields are included, every string value masked again."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, tz=UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": redact(record.getMessage()),
            "request_id": getattr(record, "request_id", None),
            "user_id": getattr(record, "user_id", None),
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD_ATTRS and not key.startswith("_"):
                entry[key] = redact_value(value)
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exc"] = redact(record.exc_text)
        return json.dumps(entry, ensure_ascii=False, default=str)


def sentry_before_send(event: dict, hint: dict) -> dict:
    """sentry-sdk ``before_send``: the same masking over the whole event (message, frames, breadcrumbs)."""
    return redact_value(event)


def _admin_email_handler_class():
    from django.utils.log import AdminEmailHandler

    class _Handler(AdminEmailHandler):
        """Mail to ADMINS with the report masked: the report lists POST data and headers."""

        def send_mail(self, subject, message, *args, **kwargs):
            if kwargs.get("html_message"):
                kwargs["html_message"] = redact(kwargs["html_message"])
            super().send_mail(redact(subject), redact(message), *args, **kwargs)

    return _Handler


def admin_email_handler(**kwargs) -> logging.Handler:
    """``LOGGING`` handler factory (``"()"``) for the masked mail_admins handler."""
    return _admin_email_handler_class()(**kwargs)


# ---------------------------------------------------------------------------------------------
# Request id: middleware
# ---------------------------------------------------------------------------------------------
def safe_request_id(value) -> str | None:
    if isinstance(value, str) and _SAFE_REQUEST_ID.fullmatch(value):
        return value
    return None


class RequestIdMiddleware:
    """First middleware: every log line of the request carries its id; one summary line at the end."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        rid = safe_request_id(request.META.get("HTTP_X_REQUEST_ID")) or uuid.uuid4().hex
        request.request_id = rid
        rid_token = request_id_var.set(rid)
        request_token = _request_var.set(request)
        started = time.monotonic()
        try:
            response = self.get_response(request)
            response[REQUEST_ID_HEADER] = rid
            status = response.status_code
            level = logging.ERROR if status >= 500 else logging.WARNING if status >= 400 else logging.INFO
            request_logger.log(
                level,
                "%s %s %s",
                request.method,
                request.path,
                status,
                extra={
                    "method": request.method,
                    "path": request.path,
                    "status": status,
                    "duration_ms": round((time.monotonic() - started) * 1000, 1),
                    "user_id": _resolved_user_id(request),
                    "request_id": rid,
                },
            )
            return response
        finally:
            _request_var.reset(request_token)
            request_id_var.reset(rid_token)


# ---------------------------------------------------------------------------------------------
# Request id: Celery
# ---------------------------------------------------------------------------------------------
_task_state: dict[str, tuple[float, contextvars.Token | None]] = {}


def _before_task_publish(headers=None, **kwargs) -> None:
    rid = request_id_var.get()
    if rid and headers is not None:
        headers.setdefault(CELERY_HEADER, rid)


def _task_prerun(task_id=None, task=None, **kwargs) -> None:
    request = getattr(task, "request", None)
    token = None
    if not getattr(request, "is_eager", False):  # eager: already in the caller's context
        incoming = getattr(request, CELERY_HEADER, None) or (getattr(request, "headers", None) or {}).get(
            CELERY_HEADER
        )
        token = request_id_var.set(safe_request_id(incoming) or f"task-{task_id}")
    _task_state[str(task_id)] = (time.monotonic(), token)


def _task_postrun(task_id=None, task=None, state=None, **kwargs) -> None:
    started, token = _task_state.pop(str(task_id), (None, None))
    task_logger.log(
        logging.ERROR if state == "FAILURE" else logging.INFO,
        "task %s %s",
        getattr(task, "name", "?"),
        state,
        extra={
            "task": getattr(task, "name", None),
            "task_id": task_id,
            "state": state,
            "duration_ms": round((time.monotonic() - started) * 1000, 1) if started is not None else None,
        },
    )
    if token is not None:
        try:
            request_id_var.reset(token)
        except ValueError:  # postrun in another context than prerun: nothing of ours to restore
            request_id_var.set(None)


def connect_celery_signals() -> None:
    from celery.signals import before_task_publish, task_postrun, task_prerun

    before_task_publish.connect(_before_task_publish, dispatch_uid="core_logging_publish", weak=False)
    task_prerun.connect(_task_prerun, dispatch_uid="core_logging_prerun", weak=False)
    task_postrun.connect(_task_postrun, dispatch_uid="core_logging_postrun", weak=False)
