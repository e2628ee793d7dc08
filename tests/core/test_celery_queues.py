"""Every task goes to a queue that every worker command consumes; time limits are ordered (issue #13)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from django.conf import settings

from integrity_portal.celery import app

ROOT = Path(__file__).resolve().parents[2]
QUEUES = {"celery", "recompute", "notices", "reports"}


def _queue(task_name: str) -> str:
    return app.amqp.router.route({}, task_name)["queue"].name


def _project_tasks():
    import campaigns.tasks  # noqa: F401
    import complaints.tasks  # noqa: F401
    import integrity_portal.core.tasks  # noqa: F401
    import merchants.tasks  # noqa: F401  (what autodiscovery imports in a worker)
    import notifications.tasks  # noqa: F401

    apps = {"merchants", "complaints", "campaigns", "integrity_portal", "notifications"}
    return sorted(name for name in app.tasks if name.split(".")[0] in apps)


@pytest.mark.parametrize(
    "task, queue",
    [
        ("merchants.tasks.recompute_merchant_ratings", "recompute"),
        ("merchants.tasks.recompute_region_ratings", "recompute"),
        ("merchants.tasks.recompute_all_ratings", "recompute"),
        ("merchants.tasks.sweep_stale_ratings", "recompute"),
        ("complaints.tasks.notify_complainant", "notices"),
        ("notifications.tasks.deliver_notice", "notices"),
        ("notifications.tasks.sweep_notices", "notices"),
        ("campaigns.tasks.send_ad_quota_reminders", "notices"),
        ("complaints.tasks.escalate_overdue", "celery"),
        ("merchants.tasks.expire_list_entries", "celery"),
        ("campaigns.tasks.publish_due_commendations", "celery"),
        ("complaints.tasks.export_everything", "reports"),
    ],
)
def test_tasks_are_routed_to_their_queue(task, queue):
    assert _queue(task) == queue


def test_every_project_task_lands_in_a_declared_queue_and_a_plain_worker_consumes_them_all():
    tasks = _project_tasks()
    assert len(tasks) >= 9
    assert {_queue(name) for name in tasks} <= QUEUES
    assert {q.name for q in app.conf.task_queues} == QUEUES
    assert set(settings.METRICS_CELERY_QUEUES) == QUEUES


def _consumed(command: str) -> set[str]:
    match = re.search(r"-Q[ =]?\s*([\w,]+)", command)
    assert match, command
    return set(match.group(1).split(","))


def test_worker_commands_consume_every_queue():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    assert _consumed(" ".join(compose["services"]["worker"]["command"])) == QUEUES
    makefile = (ROOT / "Makefile").read_text()
    variable = re.search(r"^CELERY_QUEUES :?= *(\S+)$", makefile, re.M).group(1)
    makefile = makefile.replace("$(CELERY_QUEUES)", variable)
    workers = [line for line in makefile.splitlines() if "celery -A integrity_portal worker" in line]
    assert len(workers) == 2  # `make worker` and the one `make demo` starts
    assert all(_consumed(line) == QUEUES for line in workers)


def test_soft_time_limits_come_before_the_hard_ones_and_before_redelivery():
    visibility = settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"]
    assert settings.CELERY_TASK_SOFT_TIME_LIMIT < settings.CELERY_TASK_TIME_LIMIT < visibility
    for name in _project_tasks():
        task = app.tasks[name]
        soft = task.soft_time_limit or app.conf.task_soft_time_limit
        hard = task.time_limit or app.conf.task_time_limit
        assert soft < hard < visibility, name
    full = app.tasks["merchants.tasks.recompute_all_ratings"]
    assert full.soft_time_limit > settings.CELERY_TASK_SOFT_TIME_LIMIT


@pytest.mark.parametrize(
    "task, service",
    [
        ("merchants.tasks.recompute_all_ratings", "merchants.services.rating.ratings_recompute"),
        ("merchants.tasks.sweep_stale_ratings", "merchants.services.rating.ratings_sweep_stale"),
        ("complaints.tasks.escalate_overdue", "complaints.services.complaints_escalate_overdue"),
        ("campaigns.tasks.publish_due_commendations", "campaigns.services.publication.publish_due_commendations"),
    ],
)
def test_a_task_at_its_soft_limit_logs_and_stops_without_failing(task, service, monkeypatch):
    import importlib

    from celery.exceptions import SoftTimeLimitExceeded

    def slow(*args, **kwargs):
        raise SoftTimeLimitExceeded()

    warnings = []

    class Recorder:
        def warning(self, message, *args, **kwargs):
            warnings.append(message % args)

    monkeypatch.setattr(service, slow)
    # The module's own logger (caplog misses records once a real worker test has reconfigured logging).
    monkeypatch.setattr(importlib.import_module(task.rsplit(".", 1)[0]), "logger", Recorder())
    result = app.tasks[task].apply()
    assert result.successful()
    assert len(warnings) == 1 and "soft time limit" in warnings[0]
