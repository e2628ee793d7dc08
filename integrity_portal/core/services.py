"""Write helpers shared by the apps' services."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.db import models


def _stored(instance: models.Model, field) -> Any:
    return getattr(instance, field.attname)


def _incoming(field, value) -> Any:
    """The value as the column stores it: a related object by its key, anything else as given."""
    if field.is_relation:
        return getattr(value, "pk", value)
    return value


def model_update(*, instance: models.Model, fields: Iterable[str], data: Mapping[str, Any]) -> list[str]:
    """Set those of ``fields`` that ``data`` carries with a value different from ``instance``'s, save only
    them (with the model's ``auto_now`` columns) and return their names, in ``fields`` order.

    A full-row ``save()`` writes back every column as the caller last read it: a clerk's form loaded
    before a rating recompute would restore the old stars, and two clerks editing different fields of one
    row would each erase the other's. Callers lock the row (``select_for_update``) and pass the fresh
    instance. Nothing is written when nothing differs. After HackSoft's styleguide ``model_update``.
    """
    changed: list[str] = []
    for name in fields:
        if name not in data:
            continue
        field = instance._meta.get_field(name)
        if not field.concrete or field.many_to_many or field.primary_key:
            raise ValueError(f"model_update cannot set {instance._meta.label}.{name}")
        if _stored(instance, field) != _incoming(field, data[name]):
            setattr(instance, name, data[name])
            changed.append(name)
    if changed:
        auto = [
            f.name
            for f in instance._meta.concrete_fields
            if getattr(f, "auto_now", False) and f.name not in changed
        ]
        instance.save(update_fields=changed + auto)
    return changed
