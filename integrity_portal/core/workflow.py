"""Status pipelines: one explicit map of allowed moves per workflow, enforced in one place.

A service calls ``WORKFLOW.transition(obj, to, actor=..., note=...)``. The move
is checked against the map, then written with a conditional
``UPDATE … WHERE pk = … AND status = <from>`` so two people acting at once
cannot both succeed; the loser gets ``ConcurrentUpdate``. The audit entry is
written in the same transaction, with the action the map names for the target status
(``actions={Status.MEDIATING: AuditAction.COMPLAINT_MEDIATING, ...}``): every move's
action is a registered enumeration member (``core.audit``), never a string built here.

Every status pipeline an app owns is registered here from its ``AppConfig.ready()``
(``register_workflow``), so ``workflow_for(obj)`` finds the map of any registered
record and a structural test can prove that no model ``status`` field with
``TextChoices`` goes without one. The registry keeps core free of app imports.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import User
from django.db import models, transaction
from django.utils.translation import gettext as _

from .audit import audit_log, register_action_statuses
from .errors import ConcurrentUpdate, TransitionNotAllowed


class Workflow:
    def __init__(
        self,
        name: str,
        transitions: Mapping[str, Iterable[str]],
        *,
        field: str = "status",
        labels: Mapping[str, str] | None = None,
        actions: Mapping[str, models.TextChoices] | None = None,
        extra_actions: Iterable[models.TextChoices] = (),
    ):
        self.name = name
        self.field = field
        self.transitions: dict[str, frozenset[str]] = {k: frozenset(v) for k, v in transitions.items()}
        self.labels = dict(labels or {})
        # Target status → the audit action of a move there (a core.audit enumeration member).
        self.actions: dict[str, models.TextChoices] = {str(k): v for k, v in (actions or {}).items()}
        # Members a service may pass as ``transition(action=...)`` instead (e.g. per review level).
        self.extra_actions: frozenset[models.TextChoices] = frozenset(extra_actions)
        register_action_statuses([*self.actions.values(), *self.extra_actions], self.labels)

    def targets(self) -> frozenset[str]:
        """Every status some move leads to (each needs an entry in ``actions``)."""
        return frozenset().union(*self.transitions.values())

    def allowed_targets(self, current: str) -> frozenset[str]:
        return self.transitions.get(str(current), frozenset())

    def can(self, current: str, target: str) -> bool:
        return str(target) in self.allowed_targets(current)

    def label(self, status: str) -> str:
        return str(self.labels.get(str(status), status))

    def check(self, current: str, target: str) -> None:
        if not self.can(current, target):
            raise TransitionNotAllowed(
                _("当前状态“%(from)s”不能转为“%(to)s”。")
                % {"from": self.label(current), "to": self.label(target)},
                details={"from": str(current), "to": str(target)},
            )

    def transition(
        self,
        obj: models.Model,
        target: str,
        *,
        actor: User | None,
        note: str = "",
        action: models.TextChoices | None = None,
        fields: dict[str, Any] | None = None,
        data: dict[str, Any] | None = None,
        audit_target: models.Model | None = None,
    ) -> models.Model:
        """Move ``obj`` to ``target`` atomically, updating ``fields`` too, and audit the move.

        ``obj`` is refreshed in place. Raises TransitionNotAllowed or ConcurrentUpdate.
        ``audit_target`` files the entry under another record when that record's history is
        where people look for the move (a settlement proposal's answer in its complaint's).
        ``action`` overrides the map's member for this move (e.g. the review level's); ValueError
        when neither names one.
        """
        current = getattr(obj, self.field)
        self.check(current, target)
        if action is None:
            action = self.actions.get(str(target))
            if action is None:
                raise ValueError(f"workflow {self.name!r} names no audit action for a move to {target!r}")
        elif action not in self.extra_actions and action is not self.actions.get(str(target)):
            raise ValueError(f"workflow {self.name!r}: declare {action!r} in extra_actions= to pass it")
        values = {self.field: target, **(fields or {})}
        model = type(obj)
        with transaction.atomic():
            updated = model._default_manager.filter(pk=obj.pk, **{self.field: current}).update(**values)
            if updated != 1:
                raise ConcurrentUpdate(
                    _("该事项已被他人处理，请刷新后重试。")
                )
            for key, value in values.items():
                setattr(obj, key, value)
            audit_log(
                actor=actor,
                action=action,
                target=obj if audit_target is None else audit_target,
                from_status=current,
                to_status=target,
                note=note,
                data=data,
            )
        return obj


# --- registry --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Registration:
    """The maps of one model field; ``select`` picks the one for a record when there are several."""

    model: type[models.Model]
    field: str
    workflows: tuple[Workflow, ...]
    select: Callable[[models.Model], Workflow] | None = None


_REGISTRY: dict[tuple[str, str], Registration] = {}


def register_workflow(
    model: type[models.Model],
    *workflows: Workflow,
    select: Callable[[models.Model], Workflow] | None = None,
) -> None:
    """Declare the map(s) of ``model``'s status field (``Workflow.field``); called from ``AppConfig.ready()``.

    Several maps for one field (complaint and report share ``Complaint.status``) need ``select``.
    Registering the same field again replaces the entry, so a re-run ``ready()`` is harmless.
    """
    if not workflows:
        raise ValueError("register_workflow needs at least one Workflow")
    fields = {w.field for w in workflows}
    if len(fields) != 1:
        raise ValueError(f"{model.__name__}: the maps of one registration must share their field")
    if len(workflows) > 1 and select is None:
        raise ValueError(f"{model.__name__}: several maps for one field need select=")
    field = fields.pop()
    _REGISTRY[(model._meta.label_lower, field)] = Registration(model, field, tuple(workflows), select)


def registered_workflows() -> list[Registration]:
    return list(_REGISTRY.values())


def workflow_for(obj: models.Model, field: str = "status") -> Workflow:
    """The map that governs ``obj``'s ``field``; LookupError when the app registered none."""
    try:
        registration = _REGISTRY[(obj._meta.label_lower, field)]
    except KeyError:
        raise LookupError(f"no workflow registered for {obj._meta.label}.{field}") from None
    if registration.select is not None:
        return registration.select(obj)
    return registration.workflows[0]
