"""The audit log for staff (操作日志, ``/admin/audit-log/``): region-scoped, filtered, in words.

An ``AuditEntry`` names its object only by content type and id, and the log is append-only (no region
column can be filled in afterwards), so the region and the merchant of an entry are those of its object
*now*, looked up through a registry: each app registers, in ``AppConfig.ready()``, the path from each of
its audited models to its Region and to its merchant (``register_audit_scope(Model, region="merchant__region",
merchant="merchant")``; the merchant model itself says ``merchant="pk"``) and one function that finds merchants
by the text a clerk types (``register_audit_merchant_finder``). Core names no app.

A district user sees the entries whose object lies in their region (one ``IN (subquery)`` per registered
model); an entry about an unregistered model (a user's two-factor device, a holiday schedule) or a deleted
object is seen by superusers only, who see everything.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date

from django.contrib.contenttypes.models import ContentType
from django.contrib.contenttypes.prefetch import GenericPrefetch
from django.db.models import CharField, Model, Q, QuerySet
from django.db.models.functions import Cast

from .models import AuditEntry
from .scoping import visible_region_codes

#: Merchants a typed name or code may match (a filter, not a search page).
MERCHANT_MATCH_LIMIT = 50
#: Objects of one model listed by id for the merchant filter before it falls back to a subquery.
MERCHANT_OBJECTS_LISTED = 2000


@dataclass(frozen=True)
class AuditScope:
    model: type[Model]
    region: str
    merchant: str | None


_scopes: dict[str, AuditScope] = {}
_merchant_finder: Callable[[str], Iterable] | None = None


def register_audit_scope(model: type[Model], *, region: str, merchant: str | None = None) -> None:
    """Entries about ``model`` belong to the region at ``region`` (a Region FK path) and, if given, to the
    merchant at ``merchant`` (a Merchant FK path, ``"pk"`` for the merchant model itself)."""
    _scopes[model._meta.label] = AuditScope(model=model, region=region, merchant=merchant)


def register_audit_merchant_finder(fn: Callable[[str], Iterable]) -> None:
    """``fn(text)`` → the pks of the merchants a clerk means by ``text`` (name, code), at most a few dozen."""
    global _merchant_finder
    _merchant_finder = fn


def audit_scopes() -> list[AuditScope]:
    return sorted(_scopes.values(), key=lambda s: s.model._meta.label)


def _ids_as_text(model: type[Model], lookup: dict) -> QuerySet:
    # object_id is text; compare it with the primary keys as text.
    return (
        model._default_manager.filter(**lookup)
        .annotate(audit_key=Cast("pk", CharField()))
        .values_list("audit_key", flat=True)
    )


def _in_region(codes: list[str]) -> Q:
    q = Q(pk__in=[])
    for scope in audit_scopes():
        ct = ContentType.objects.get_for_model(scope.model, for_concrete_model=True)
        q |= Q(content_type=ct, object_id__in=_ids_as_text(scope.model, {f"{scope.region}__in": codes}))
    return q


def _of_merchants(pks: list) -> Q:
    """Entries about these merchants' objects. The few merchants a filter names have few objects: their ids
    are read first (one indexed query per model), so the log is searched through its (type, id) index
    instead of being scanned end to end against a subquery; a merchant with very many objects of one model
    falls back to the subquery."""
    q = Q(pk__in=[])
    if not pks:
        return q
    for scope in audit_scopes():
        if scope.merchant is None:
            continue
        ct = ContentType.objects.get_for_model(scope.model, for_concrete_model=True)
        ids = _ids_as_text(scope.model, {f"{scope.merchant}__in": pks})
        listed = list(ids[: MERCHANT_OBJECTS_LISTED + 1])
        if len(listed) > MERCHANT_OBJECTS_LISTED:
            q |= Q(content_type=ct, object_id__in=ids)
        elif listed:
            q |= Q(content_type=ct, object_id__in=listed)
    return q


def audit_entries_for_staff(user) -> QuerySet:
    """Every entry ``user`` may read: a superuser all, other staff those of their region's objects."""
    if not getattr(user, "is_staff", False):
        return AuditEntry.objects.none()
    qs = AuditEntry.objects.select_related("actor", "actor__staff_profile", "content_type")
    codes = visible_region_codes(user)
    if codes is None:
        return qs
    if not codes:
        return qs.none()
    return qs.filter(_in_region(codes))


def merchants_matching(text: str) -> list:
    if not text or _merchant_finder is None:
        return []
    return list(_merchant_finder(text))[:MERCHANT_MATCH_LIMIT]


def audit_entries_filtered(
    user,
    *,
    merchant: str = "",
    content_type: ContentType | None = None,
    object_id: str = "",
    actor: str = "",
    action: str = "",
    date_from: date | None = None,
    date_to: date | None = None,
) -> QuerySet:
    """``audit_entries_for_staff`` narrowed by the staff page's filters (each optional; all must match)."""
    qs = audit_entries_for_staff(user)
    if merchant:
        qs = qs.filter(_of_merchants(merchants_matching(merchant)))
    if content_type is not None:
        qs = qs.filter(content_type=content_type)
    if object_id:
        qs = qs.filter(object_id=object_id)
    if actor:
        qs = qs.filter(
            Q(actor_label__icontains=actor)
            | Q(actor__username__icontains=actor)
            | Q(actor__first_name__icontains=actor)
            | Q(actor__last_name__icontains=actor)
            | Q(actor__staff_profile__full_name__icontains=actor)
        )
    if action:
        qs = qs.filter(action=action)
    if date_from:
        qs = qs.filter(created_at__date__gte=date_from)
    if date_to:
        qs = qs.filter(created_at__date__lte=date_to)
    return qs.order_by("-created_at", "-id")


def audit_target_prefetch() -> GenericPrefetch:
    """The entries' objects in one query per type, joined to what their names read (the merchant, a
    membership's user: each foreign key of the object, and the merchant path)."""
    querysets = []
    for scope in audit_scopes():
        related = [f.name for f in scope.model._meta.concrete_fields if f.many_to_one or f.one_to_one]
        if scope.merchant and scope.merchant != "pk":
            related.append(scope.merchant)
        querysets.append(scope.model._default_manager.select_related(*dict.fromkeys(related)))
    return GenericPrefetch("target", querysets)


def audited_content_types() -> list[ContentType]:
    """The object types the filter offers: the registered models."""
    return [ContentType.objects.get_for_model(s.model, for_concrete_model=True) for s in audit_scopes()]
