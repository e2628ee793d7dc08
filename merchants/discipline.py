"""The joint-discipline feed (联合惩戒): list decisions per day for partner departments (docs/PARTNERS.md).

A *decision* is one audit entry of a list or penalty change: a red/black-list entry added, changed
(escalated), removed (by staff, by expiry, by an approved credit repair); a penalty published or withdrawn
(revoked, or its publicity ended by an approved repair). The audit trail is written in the same transaction
as the change and never edited, and every entry belongs to exactly one local day: so over any range of days
each decision appears exactly once, and pages that split the range by whole days never repeat one.

Only *closed* days are served (up to yesterday): a day's batch never grows after it was signed. Each day's
batch is signed with HMAC-SHA256 under the department's secret over its canonical JSON
(``canonical_bytes``): ``{"department": code, "date": "YYYY-MM-DD", "decisions": [...]}``, keys sorted,
no spaces, UTF-8.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from datetime import date, datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from integrity_portal.core.audit import audit_log
from integrity_portal.core.exports import atomic_file
from integrity_portal.core.models import AuditEntry

from .audit_actions import AuditAction
from .models import CreditRepairRequest, DecisionKind, ListEntry, ListName, PartnerDepartment, Penalty
from .regions import region_and_descendant_codes

ALGORITHM = "HMAC-SHA256"
#: Days per page of the API (whole days: a page never splits one).
PAGE_DAYS = 31
#: The earliest ``since`` accepted.
EARLIEST = date(2000, 1, 1)

#: Audit action → what the decision did (the change).
FEED_ACTIONS = {
    AuditAction.LIST_ENTRY_ADD_RED.value: "added",
    AuditAction.LIST_ENTRY_ADD_BLACK.value: "added",
    AuditAction.LIST_ENTRY_ESCALATE.value: "changed",
    AuditAction.LIST_ENTRY_REMOVE.value: "removed",
    AuditAction.LIST_ENTRY_EXPIRE.value: "removed",
    AuditAction.PENALTY_RECORD.value: "published",
    AuditAction.PENALTY_REVOKE.value: "withdrawn",
    AuditAction.REPAIR_APPROVED.value: "repaired",  # becomes "removed" (entry) or "withdrawn" (penalty)
}


def canonical_bytes(obj) -> bytes:
    return json.dumps(obj, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


def sign_batch(department: PartnerDepartment, day: date, decisions: list[dict]) -> str:
    payload = {"department": department.code, "date": day.isoformat(), "decisions": decisions}
    return hmac.new(department.signing_secret.encode(), canonical_bytes(payload), hashlib.sha256).hexdigest()


def department_region_codes(department: PartnerDepartment) -> set[str]:
    codes: set[str] = set()
    for code in department.regions.values_list("code", flat=True):
        codes.update(region_and_descendant_codes(code))
    return codes


def _merchant(m) -> dict:
    return {"id": m.pk, "uscc": m.uscc or "", "name": m.name, "region_code": m.region_id}


def _list_entry(e: ListEntry) -> dict:
    return {
        "list": e.list_name,
        "category": e.kind,
        "decision_number": e.decision_number,
        "decided_by": e.decided_by,
        "reason": e.reason,
        "valid_from": e.valid_from.isoformat(),
        "valid_until": e.valid_until.isoformat() if e.valid_until else None,
        "source": e.source,
    }


def _penalty(p: Penalty) -> dict:
    return {
        "decision_number": p.decision_number,
        "decided_on": p.decided_on.isoformat(),
        "penalty_kind": p.kind,
        "tier": p.tier,
        "publicity_until": p.publicity_until.isoformat() if p.publicity_until else None,
    }


def _day_bounds(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, datetime.min.time()))


def _targets(entries: list[AuditEntry]) -> dict[tuple[int, str], object]:
    """The list entries, penalties and repair requests the audit entries name, loaded in bulk."""
    found: dict[tuple[int, str], object] = {}
    for model, related in ((ListEntry, ("merchant",)), (Penalty, ("merchant",)), (CreditRepairRequest, ())):
        ct = ContentType.objects.get_for_model(model)
        ids = [e.object_id for e in entries if e.content_type_id == ct.pk]
        if not ids:
            continue
        qs = model.objects.filter(pk__in=ids)
        if model is CreditRepairRequest:
            qs = qs.select_related("list_entry__merchant", "penalty__merchant")
        else:
            qs = qs.select_related(*related)
        for obj in qs:
            found[(ct.pk, str(obj.pk))] = obj
    return found


def _decision(entry: AuditEntry, target) -> tuple[str, dict] | None:
    """(kind, record) for one audit entry, or None when it is no public decision (an unpublished penalty)."""
    change = FEED_ACTIONS[entry.action]
    if isinstance(target, CreditRepairRequest):
        target, change = (target.list_entry, "removed") if target.list_entry_id else (target.penalty, "withdrawn")
        if target is None:
            return None
    if isinstance(target, ListEntry):
        kind = DecisionKind.RED_LIST if target.list_name == ListName.RED else DecisionKind.BLACK_LIST
        detail = {"list_entry": _list_entry(target)}
    elif isinstance(target, Penalty):
        if not target.published:
            return None
        kind = DecisionKind.PENALTY
        detail = {"penalty": _penalty(target)}
    else:
        return None
    record = {
        "id": entry.pk,
        "at": timezone.localtime(entry.created_at).isoformat(),
        "kind": kind.value,
        "change": change,
        "merchant": _merchant(target.merchant),
        "note": entry.note,
        **detail,
    }
    return kind.value, record


def decisions_by_day(
    department: PartnerDepartment, start: date, end: date, *, kinds: set[str] | None = None, regions: set[str] | None = None
) -> dict[date, list[dict]]:
    """Every decision of ``start``..``end`` (inclusive, local days) within the department's scope, narrowed to
    ``kinds``/``regions`` when given; each day's list in audit order (time, then id). Days without
    decisions are present with an empty list."""
    kinds = set(kinds or department.decision_kinds)
    regions = regions or department_region_codes(department)
    entries = list(
        AuditEntry.objects.filter(
            action__in=list(FEED_ACTIONS),
            created_at__gte=_day_bounds(start),
            created_at__lt=_day_bounds(end + timedelta(days=1)),
        ).order_by("created_at", "id")
    )
    targets = _targets(entries)
    days: dict[date, list[dict]] = {start + timedelta(days=n): [] for n in range((end - start).days + 1)}
    for entry in entries:
        target = targets.get((entry.content_type_id, entry.object_id))
        found = _decision(entry, target) if target is not None else None
        if found is None:
            continue
        kind, record = found
        if kind in kinds and record["merchant"]["region_code"] in regions:
            days[timezone.localdate(entry.created_at)].append(record)
    return days


def last_closed_day() -> date:
    return timezone.localdate() - timedelta(days=1)


def encode_cursor(day: date) -> str:
    return base64.urlsafe_b64encode(f"v1:{day.isoformat()}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> date | None:
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        prefix, value = text.split(":", 1)
        return date.fromisoformat(value) if prefix == "v1" else None
    except (ValueError, UnicodeDecodeError, binascii.Error):
        return None


def feed_page(
    department: PartnerDepartment, start: date, *, kinds: set[str] | None = None, regions: set[str] | None = None
) -> tuple[list[dict], date | None]:
    """One page: whole closed days from ``start`` (at most PAGE_DAYS), each signed; and the next page's first
    day (None when this page reaches yesterday)."""
    last = last_closed_day()
    if start > last:
        return [], None
    end = min(last, start + timedelta(days=PAGE_DAYS - 1))
    days = decisions_by_day(department, start, end, kinds=kinds, regions=regions)
    batches = [
        {"date": day.isoformat(), "count": len(items), "decisions": items, "signature": sign_batch(department, day, items)}
        for day, items in days.items()
    ]
    return batches, (end + timedelta(days=1) if end < last else None)


def feed_root() -> Path:
    root = getattr(settings, "DISCIPLINE_FEED_ROOT", "") or ""
    return Path(root) if root else Path(settings.MEDIA_ROOT) / "discipline-feed"


def daily_file_write(*, department: PartnerDepartment, day: date, actor=None) -> Path:
    """Write ``<root>/<department>/<YYYY-MM-DD>.json``: the day's decisions in the department's scope and their
    signature (the same batch and signature the API serves for that day). Rewriting a closed day gives the
    same decisions."""
    items = decisions_by_day(department, day, day)[day]
    body = {
        "department": department.code,
        "date": day.isoformat(),
        "decisions": items,
        "algorithm": ALGORITHM,
        "signature": sign_batch(department, day, items),
    }
    path = feed_root() / department.code / f"{day.isoformat()}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_file(path) as stream:
        stream.write(json.dumps(body, ensure_ascii=False, indent=1).encode("utf-8"))
    audit_log(
        actor=actor,
        action=AuditAction.DISCIPLINE_DAILY_FILE,
        target=department,
        data={"date": day.isoformat(), "count": len(items)},
    )
    return path


def daily_files_write(*, day: date | None = None, actor=None) -> list[Path]:
    """The beat job: yesterday's file (or ``day``'s) for every active department."""
    day = day or last_closed_day()
    return [
        daily_file_write(department=d, day=day, actor=actor)
        for d in PartnerDepartment.objects.filter(active=True).order_by("code")
    ]
