"""The audit log API used by every service: ``audit_log(...)`` inside the service's transaction.

Every action is named once, as a member of a ``TextChoices`` enumeration (like Zulip's
``AuditLogEventType``): core's own ``AuditAction`` below, and each app's ``AuditAction`` in
its ``audit_actions.py``, which the app registers with ``register_audit_actions`` in its
``AppConfig.ready()`` (core names no app). The member's value is what is stored
(``"complaint.mediating"``, unchanged from the free strings of earlier versions, so old rows
keep rendering); its label (“转入调解”) is what staff read. ``audit_log`` refuses a value
nobody registered, so a misspelt or free-string action fails in the tests instead of
reaching the log as a string no timeline can name.

``describe_entry`` / ``audit_timeline`` turn entries into the words shown to staff: the
action's label, each status as the target model's choice label, the actor's name.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib.auth.models import User
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ImproperlyConfigured
from django.db import models
from django.utils.translation import gettext_lazy as _

from .actors import acting_user
from .models import AuditEntry

SYSTEM_LABEL = "system"
ANONYMOUS_LABEL = "anonymous"


class AuditAction(models.TextChoices):
    """Core's own actions: personal data requests, legal texts, holiday schedules, two-factor sign-in."""

    PERSONAL_DATA_EXPORTED = "personal_data.exported", _("导出个人信息")
    LEGAL_DOCUMENT_UPDATED = "legal_document.updated", _("修改法律文本")
    HOLIDAY_SCHEDULE_LOADED = "holiday_schedule.load", _("录入节假日安排")
    HOLIDAY_SCHEDULE_REPLACED = "holiday_schedule.replace", _("更新节假日安排")
    HOLIDAY_SCHEDULE_FILLED = "holiday_schedule.fill", _("自动填入节假日安排")
    TWO_FACTOR_ENABLED = "two_factor.enabled", _("启用两步验证")
    TWO_FACTOR_DISABLED = "two_factor.disabled", _("停用两步验证")
    TWO_FACTOR_RESET = "two_factor.reset", _("重置两步验证")
    RECOVERY_CODES_REGENERATED = "two_factor.recovery_codes_regenerated", _("重新生成恢复码")
    TWO_FACTOR_FAILED = "two_factor.failed", _("两步验证失败")
    RECOVERY_CODE_USED = "two_factor.recovery_code_used", _("使用恢复码登录")


# --- registry ----------------------------------------------------------------------------------

_enums: list[type[models.TextChoices]] = []
_actions: dict[str, models.TextChoices] = {}


def register_audit_actions(enum_cls: type[models.TextChoices]) -> None:
    """Make ``enum_cls``'s members valid audit actions (an app calls this in ``AppConfig.ready()``).

    Registering the same enumeration again is a no-op. A value another enumeration already
    registered is a configuration error: one stored string must name one action.
    """
    key = (enum_cls.__module__, enum_cls.__qualname__)
    for i, known in enumerate(_enums):
        if (known.__module__, known.__qualname__) == key:  # the same class, or its module reloaded
            for member in known:
                _actions.pop(member.value, None)
            del _enums[i]
            break
    clashes = sorted(m.value for m in enum_cls if m.value in _actions)
    if clashes:
        raise ImproperlyConfigured(f"audit action value(s) already registered by another enum: {clashes}")
    _enums.append(enum_cls)
    _actions.update({m.value: m for m in enum_cls})


def registered_audit_enums() -> tuple[type[models.TextChoices], ...]:
    return tuple(_enums)


def audit_action(action) -> models.TextChoices:
    """The registered member for ``action`` (a member, or its stored value); ValueError otherwise."""
    member = _actions.get(str(action)) if isinstance(action, str) else None
    if member is None or (isinstance(action, enum.Enum) and member is not action):
        raise ValueError(
            f"{action!r} is not a registered audit action: add a member to the app's AuditAction "
            "enum (audit_actions.py) and pass the member"
        )
    return member


_action_statuses: dict[str, dict[str, Any]] = {}  # labels kept lazy: read in the viewer's language


def register_action_statuses(actions, labels) -> None:
    """The status labels of the workflow whose moves ``actions`` record (``Workflow`` calls this).

    An entry is described with its action's workflow labels first: a move filed under another
    record (``transition(audit_target=...)``) must not be read with that record's choices.
    """
    if not labels:
        return
    for member in actions:
        _action_statuses[str(member)] = {str(k): v for k, v in labels.items()}


def action_label(value: str) -> str:
    """The label of a stored action value; the value itself for one no enumeration names."""
    member = _actions.get(value)
    return str(member.label) if member is not None else value


register_audit_actions(AuditAction)


# --- writing -----------------------------------------------------------------------------------


def _actor_label(actor: User | None) -> str:
    if actor is None:
        return SYSTEM_LABEL
    if not getattr(actor, "is_authenticated", False):
        return ANONYMOUS_LABEL
    return actor.get_username()


def audit_log(
    *,
    actor: User | None,
    action: models.TextChoices,
    target: models.Model,
    from_status: str = "",
    to_status: str = "",
    note: str = "",
    data: dict[str, Any] | None = None,
) -> AuditEntry:
    """Record one action. ``actor`` may be None (a system task) or AnonymousUser (the public).

    ``action`` is a registered enumeration member; anything else raises ValueError.
    """
    member = audit_action(action)
    user = acting_user(actor)
    return AuditEntry.objects.create(
        actor=user,
        actor_label=_actor_label(actor),
        action=member.value,
        content_type=ContentType.objects.get_for_model(target, for_concrete_model=True),
        object_id=str(target.pk),
        from_status=str(from_status or ""),
        to_status=str(to_status or ""),
        note=note or "",
        data=data or {},
    )


def audit_log_many(
    *,
    actor: User | None,
    action: models.TextChoices,
    targets: Iterable[tuple[models.Model, dict[str, Any] | None]],
    from_status: str = "",
    to_status: str = "",
    note: str = "",
) -> list[AuditEntry]:
    """``audit_log`` for many targets of one action in one INSERT (a bulk service: one entry per
    (target, data) pair, exactly as ``audit_log`` would write each). Returns the entries (their ids are
    set only on backends that return them from a bulk insert)."""
    member = audit_action(action)
    user = acting_user(actor)
    label = _actor_label(actor)
    entries = [
        AuditEntry(
            actor=user,
            actor_label=label,
            action=member.value,
            content_type=ContentType.objects.get_for_model(target, for_concrete_model=True),
            object_id=str(target.pk),
            from_status=str(from_status or ""),
            to_status=str(to_status or ""),
            note=note or "",
            data=data or {},
        )
        for target, data in targets
    ]
    return AuditEntry.objects.bulk_create(entries, batch_size=1000) if entries else []


def audit_entries_for(target: models.Model):
    """All entries about one object, newest first (for timelines and tests)."""
    return AuditEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(target, for_concrete_model=True),
        object_id=str(target.pk),
    )


# --- reading: the words staff see --------------------------------------------------------------


@dataclass(frozen=True)
class AuditLine:
    """One entry as staff read it: no stored code (``complaint.mediating``, ``assigned``) left."""

    at: datetime
    actor: str
    action: str
    status: str
    note: str


def actor_display(entry: AuditEntry) -> str:
    """Staff name (profile), else the account's full name or username; “系统” for a system task."""
    from .scoping import staff_profile

    user = entry.actor
    if user is not None:
        profile = staff_profile(user)
        if profile is not None and getattr(profile, "full_name", ""):
            return profile.full_name
        return user.get_full_name() or user.get_username()
    if entry.actor_label == ANONYMOUS_LABEL:
        return str(_("公众"))
    if entry.actor_label in ("", SYSTEM_LABEL):
        return str(_("系统"))
    return entry.actor_label  # an account deleted since: the username recorded at the time


def _status_labels(model) -> dict[str, Any]:
    """Choice labels of the model's ``status`` field, then of its other choice fields."""
    if model is None:
        return {}
    fields = sorted(
        (f for f in model._meta.concrete_fields if f.choices),
        key=lambda f: f.name != "status",
    )
    labels: dict[str, str] = {}
    for field in reversed(fields):  # ``status`` last, so it wins a value two fields share
        labels.update({str(value): label for value, label in field.flatchoices})
    return labels


def describe_entry(entry: AuditEntry, *, status_labels: dict[str, Any] | None = None) -> AuditLine:
    """``entry`` in words: “转入调解”, “已分派 → 调解中”, the actor's name.

    A status the target model's choices do not name (e.g. ``ended`` on a list entry) is left
    out: the action's label already says what happened.
    """
    labels = _action_statuses.get(entry.action)
    if labels is None:
        labels = status_labels if status_labels is not None else _status_labels(entry.content_type.model_class())
    states = [str(labels[s]) for s in (entry.from_status, entry.to_status) if s and s in labels]
    return AuditLine(
        at=entry.created_at,
        actor=actor_display(entry),
        action=action_label(entry.action),
        status=" → ".join(states),
        note=entry.note,
    )


def audit_timeline(target: models.Model, *, limit: int | None = 100) -> list[AuditLine]:
    """The handling log of one object for staff, newest first, in words (``describe_entry``)."""
    entries = audit_entries_for(target).select_related("actor", "actor__staff_profile")
    if limit is not None:
        entries = entries[:limit]
    labels = _status_labels(type(target))
    return [describe_entry(e, status_labels=labels) for e in entries]
