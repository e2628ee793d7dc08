"""Personal data retention and data-subject requests (PIPL), for every app without core naming one.

Apps register in ``AppConfig.ready()``:

- ``register_anonymiser(name, fn)``: ``fn(*, as_of, actor) -> int`` anonymises what closed more than
  ``PERSONAL_DATA_RETENTION_DAYS`` before ``as_of`` and returns how many items it changed. Each item is
  anonymised once and audited without personal data; beat runs them all nightly
  (``core.tasks.anonymise_expired_personal_data``).
- ``register_person_data(name, find=..., export=..., erase=...)``: a person's request to see or erase
  their data, found by the exact phone number. ``find(*, phone, viewer)`` returns the viewer's region's
  items only, ``export(item)`` a JSON-ready dict, ``erase(*, item, actor, reason)`` anonymises one now.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import User
from django.utils import timezone
from django.utils.translation import gettext as _

from .errors import NotPermitted, ValidationFailed
from .phones import normalize_phone
from .roles import StaffRole
from .scoping import is_unrestricted, staff_role

logger = logging.getLogger("integrity_portal.retention")

ANONYMISED = "已匿名化"

_anonymisers: dict[str, Callable] = {}


@dataclass(frozen=True)
class PersonData:
    find: Callable
    export: Callable
    erase: Callable


_person_data: dict[str, PersonData] = {}


def register_anonymiser(name: str, fn: Callable) -> None:
    _anonymisers[name] = fn


def register_person_data(name: str, *, find: Callable, export: Callable, erase: Callable) -> None:
    _person_data[name] = PersonData(find=find, export=export, erase=erase)


def retention_cutoff(as_of: datetime | None = None) -> datetime:
    """Items closed before this moment are past the retention period."""
    return (as_of or timezone.now()) - timedelta(days=settings.PERSONAL_DATA_RETENTION_DAYS)


def personal_data_anonymise_all(*, as_of: datetime | None = None, actor: User | None = None) -> dict[str, int]:
    """Run every registered anonymiser; one failing app does not stop the others (logged, retried
    tomorrow since each anonymiser skips what it already did)."""
    as_of = as_of or timezone.now()
    done: dict[str, int] = {}
    for name, fn in _anonymisers.items():
        try:
            done[name] = fn(as_of=as_of, actor=actor)
        except Exception:
            logger.exception("personal data anonymiser %s failed", name)
            done[name] = -1
    return done


#: Who may answer a person's access/erasure request: system administrators, and the city bureau and
#: district branches for their own region (and below).
REQUEST_ROLES = {StaffRole.CITY_BUREAU, StaffRole.DISTRICT_BRANCH}


def _check_request(*, phone: str, actor: User | None) -> str:
    if actor is None or not getattr(actor, "is_authenticated", False) or not actor.is_active:
        raise NotPermitted(_("无权处理个人信息查询或删除申请。"))
    if not (is_unrestricted(actor) or staff_role(actor) in REQUEST_ROLES):
        raise NotPermitted(_("无权处理个人信息查询或删除申请。"))
    phone = normalize_phone(phone)  # the form the forms store: +86 13812345678 finds 13812345678
    if not phone or len(phone) > 20 or not all(ch.isdigit() or ch == "-" for ch in phone):
        raise ValidationFailed(_("请输入完整的电话号码（精确匹配）。"), details={"phone": "invalid"})
    return phone


def personal_data_find(*, phone: str, actor: User | None) -> dict[str, list]:
    """The viewer's region's items of the person with exactly this phone number, per app."""
    phone = _check_request(phone=phone, actor=actor)
    return {name: list(p.find(phone=phone, viewer=actor)) for name, p in _person_data.items()}


def personal_data_export(*, phone: str, actor: User | None) -> dict:
    """A JSON-ready copy of everything the viewer's region holds about this person (PIPL right of
    access). One audit entry per item exported, naming the app, never the data."""
    from .audit import AuditAction, audit_log

    found = personal_data_find(phone=phone, actor=actor)
    result: dict[str, list] = {}
    for name, items in found.items():
        result[name] = [_person_data[name].export(item) for item in items]
        for item in items:
            audit_log(actor=actor, action=AuditAction.PERSONAL_DATA_EXPORTED, target=item, data={"app": name})
    return result


def personal_data_erase(*, phone: str, actor: User | None, reason: str) -> int:
    """Anonymise now every item of this person in the viewer's region (PIPL right to erasure).
    Each app's ``erase`` locks, skips an item already anonymised and audits it with the reason."""
    reason = (reason or "").strip()
    if not reason or len(reason) > 500 or "\x00" in reason:
        raise ValidationFailed(_("请填写删除理由（不超过 500 字）。"), details={"reason": "required"})
    found = personal_data_find(phone=phone, actor=actor)
    erased = 0
    for name, items in found.items():
        for item in items:
            if _person_data[name].erase(item=item, actor=actor, reason=reason):
                erased += 1
    return erased
