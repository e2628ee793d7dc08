"""Status pipelines: one explicit map of allowed moves per workflow, enforced in one place.

A service calls ``WORKFLOW.transition(obj, to, actor=..., note=...)``. The move
is checked against the map, then written with a conditional
``UPDATE … WHERE pk = … AND status = <from>`` so two people acting at once
cannot both succeed; the loser gets ``ConcurrentUpdate``. The audit entry is
written in the same transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.db import models, transaction
from django.utils.translation import gettext as _

from .audit import audit_log
from .errors import ConcurrentUpdate, TransitionNotAllowed


class Workflow:
    def __init__(
        self,
        name: str,
        transitions: Mapping[str, Iterable[str]],
        *,
        field: str = "status",
        labels: Mapping[str, str] | None = None,
    ):
        self.name = name
        self.field = field
        self.transitions: dict[str, frozenset[str]] = {k: frozenset(v) for k, v in transitions.items()}
        self.labels = dict(labels or {})

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
        actor,
        note: str = "",
        action: str | None = None,
        fields: dict[str, Any] | None = None,
        data: dict[str, Any] | None = None,
    ) -> models.Model:
        """Move ``obj`` to ``target`` atomically, updating ``fields`` too, and audit the move.

        ``obj`` is refreshed in place. Raises TransitionNotAllowed or ConcurrentUpdate.
        """
        current = getattr(obj, self.field)
        self.check(current, target)
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
                action=action or f"{self.name}.{target}",
                target=obj,
                from_status=current,
                to_status=target,
                note=note,
                data=data,
            )
        return obj
