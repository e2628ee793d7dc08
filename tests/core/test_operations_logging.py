"""Structured logs: one JSON line per request and per task, the request id carried into tasks, and no
phone number, ID number or tracking code in any log line or admin error mail."""

from __future__ import annotations

import io
import json
import logging

import pytest
from django.core import mail
from django.test import RequestFactory

from integrity_portal.celery import app
from integrity_portal.core import logging as core_logging
from integrity_portal.core.logging import JsonFormatter, request_id_var
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PHONE = "13812345678"
ID_NUMBER = "41080219900307123X"
TRACKING = "K7M2P9QXR4T8W3YZ"


@pytest.fixture
def console():
    """The configured console handler (settings.LOGGING), writing JSON into a buffer for the test."""
    handler = next(h for h in logging.getLogger().handlers if h.get_name() == "console")
    buffer = io.StringIO()
    old_stream, old_formatter = handler.setStream(buffer), handler.formatter
    handler.setFormatter(JsonFormatter())
    yield buffer
    handler.setStream(old_stream)
    handler.setFormatter(old_formatter)


def _lines(buffer, logger: str | None = None) -> list[dict]:
    rows = [json.loads(line) for line in buffer.getvalue().splitlines() if line.strip()]
    return [r for r in rows if logger is None or r["logger"] == logger]


def test_a_request_writes_one_json_line_with_its_fields(client, console):
    response = client.get(f"/healthz/?phone={PHONE}", HTTP_X_REQUEST_ID="lb-7f3a.42")
    assert response["X-Request-ID"] == "lb-7f3a.42"
    lines = _lines(console, "integrity_portal.request")
    assert len(lines) == 1
    line = lines[0]
    assert line["method"] == "GET"
    assert line["path"] == "/healthz/"  # no query string
    assert line["status"] == 200
    assert isinstance(line["duration_ms"], int | float) and line["duration_ms"] >= 0
    assert line["request_id"] == "lb-7f3a.42"
    assert line["user_id"] is None
    assert line["level"] == "INFO" and line["time"]
    assert PHONE not in console.getvalue()


def test_the_request_line_names_the_signed_in_user(client, console):
    user = UserFactory(username="logged")
    client.force_login(user)
    client.get("/portal/")
    (line,) = _lines(console, "integrity_portal.request")
    assert line["user_id"] == user.pk
    assert line["path"] == "/portal/"


@pytest.mark.parametrize("incoming", ["<script>", "a" * 129, "id\nforged line", "", "ab cd"])
def test_an_unsafe_incoming_request_id_is_replaced(client, console, incoming):
    response = client.get("/healthz/", HTTP_X_REQUEST_ID=incoming)
    rid = response["X-Request-ID"]
    assert rid != incoming and len(rid) == 32 and all(c in "0123456789abcdef" for c in rid)
    (line,) = _lines(console, "integrity_portal.request")
    assert line["request_id"] == rid


@app.task(name="tests.core.log_inside_task")
def log_inside_task(note: str) -> str:
    logging.getLogger("tests.task_body").warning("inside the task %s", note)
    return note


def test_the_request_id_reaches_an_eager_tasks_log_lines(console):
    token = request_id_var.set("req-for-task-1")
    try:
        log_inside_task.delay(PHONE)
    finally:
        request_id_var.reset(token)
    (inside,) = _lines(console, "tests.task_body")
    assert inside["request_id"] == "req-for-task-1"
    assert inside["message"] == "inside the task 138****5678"
    (summary,) = _lines(console, "integrity_portal.task")
    assert summary["request_id"] == "req-for-task-1"
    assert summary["task"] == "tests.core.log_inside_task" and summary["state"] == "SUCCESS"
    assert summary["duration_ms"] >= 0


def test_a_worker_restores_the_request_id_from_the_message_headers(console):
    headers: dict = {}
    token = request_id_var.set("req-published-9")
    try:
        core_logging._before_task_publish(headers=headers)
    finally:
        request_id_var.reset(token)
    assert headers[core_logging.CELERY_HEADER] == "req-published-9"

    class _Request:
        is_eager = False
        x_request_id = headers[core_logging.CELERY_HEADER]

    class _Task:
        name = "tests.worker_task"
        request = _Request()

    core_logging._task_prerun(task_id="t-1", task=_Task())
    assert request_id_var.get() == "req-published-9"
    logging.getLogger("tests.task_body").warning("in worker")
    core_logging._task_postrun(task_id="t-1", task=_Task(), state="SUCCESS")
    assert request_id_var.get() is None
    assert [r["request_id"] for r in _lines(console)] == ["req-published-9", "req-published-9"]


def test_phone_id_number_and_tracking_code_are_masked_in_message_and_args(console):
    logger = logging.getLogger("tests.redaction")
    logger.warning(f"complaint {TRACKING} from {PHONE}")
    logger.warning("id %s phone %s code %s", ID_NUMBER, f"+86{PHONE}", TRACKING.lower(), extra={"who": PHONE})
    try:
        raise ValueError(f"bad phone {PHONE}")
    except ValueError:
        logger.exception("failed for %s", ID_NUMBER)
    out = console.getvalue()
    for secret in (PHONE, ID_NUMBER, TRACKING, TRACKING.lower(), "199003071"):
        assert secret not in out
    first, second, third = _lines(console, "tests.redaction")
    assert first["message"] == "complaint K7M2************ from 138****5678"
    assert second["message"] == "id 410802********123X phone +86138****5678 code k7m2************"
    assert second["who"] == "138****5678"
    assert "138****5678" in third["exc"]


def test_plain_text_format_is_masked_too():
    handler = next(h for h in logging.getLogger().handlers if h.get_name() == "console")
    buffer = io.StringIO()
    old = handler.setStream(buffer)
    try:
        logging.getLogger("tests.redaction").warning("phone %s", PHONE)
    finally:
        handler.setStream(old)
    assert "138****5678" in buffer.getvalue() and PHONE not in buffer.getvalue()


def test_numbers_that_are_not_personal_data_are_left_alone():
    text = "order 1234567890123 took 25 ms; merchant 91410800MA44T7K21B; 113812345678"
    assert core_logging.redact(text) == text


def test_error_mail_to_admins_is_masked(settings):
    settings.ADMINS = [("Ops", "ops@example.org")]
    request = RequestFactory().post("/complaints/track/", {"phone": PHONE, "code": TRACKING})
    logging.getLogger("django.request").error("Internal Server Error: %s", f"/x/{PHONE}", extra={"request": request, "status_code": 500})
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert PHONE not in message.subject and PHONE not in message.body and TRACKING not in message.body
    assert "138****5678" in message.subject


_SEEN_BY_WORKER: list = []


@app.task(name="tests.core.remember_request_id")
def remember_request_id() -> None:
    _SEEN_BY_WORKER.append(request_id_var.get())


@pytest.mark.worker
def test_a_real_worker_logs_under_the_publishers_request_id(celery_worker_real):
    import time

    _SEEN_BY_WORKER.clear()
    token = request_id_var.set("req-through-redis")
    try:
        remember_request_id.delay()
    finally:
        request_id_var.reset(token)
    remember_request_id.delay()  # sent outside any request: its own id, not the previous one
    deadline = time.monotonic() + 20
    while len(_SEEN_BY_WORKER) < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _SEEN_BY_WORKER[0] == "req-through-redis"
    assert _SEEN_BY_WORKER[1].startswith("task-")
