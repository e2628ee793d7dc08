"""Region scoping: staff see and act on their own region and its descendants only.

Regions are GB/T 2260 codes. The Region model lives in an app (core may not
import it), so that app registers a resolver at start-up that turns a region
code into the codes of that region and all its descendants, together with the
Region model itself (the admin scoping recognises it). Everything else here
works on codes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from django.db.models import Model, QuerySet

_descendant_resolver: Callable[[str], list[str]] | None = None
_region_model_label: str | None = None


def register_region_resolver(fn: Callable[[str], list[str]], *, model: type[Model] | None = None) -> None:
    """``fn(code)`` → the codes of that region and its descendants; ``model`` is the Region model."""
    global _descendant_resolver, _region_model_label
    _descendant_resolver = fn
    if model is not None:
        _region_model_label = model._meta.label


def is_region_model(model) -> bool:
    """True for the Region model the resolver was registered with (compared by label, so a historical
    model from a migration counts too)."""
    return _region_model_label is not None and model._meta.label == _region_model_label


def region_and_descendants(code: str) -> list[str]:
    if _descendant_resolver is None:  # pragma: no cover - the app owning the Region model registers one
        raise RuntimeError("No region resolver registered (the app owning the Region model registers one in ready()).")
    return _descendant_resolver(code)


def staff_profile(user):
    """The user's staff profile, or None for the public, merchants and superusers without one."""
    if not getattr(user, "is_authenticated", False) or not user.is_staff:
        return None
    try:
        return user.staff_profile
    except Exception:  # RelatedObjectDoesNotExist
        return None


def staff_region_code(user) -> str | None:
    profile = staff_profile(user)
    return profile.region_id if profile else None


def staff_role(user) -> str | None:
    profile = staff_profile(user)
    return profile.role if profile else None


def is_unrestricted(user) -> bool:
    """Superusers see every region (system administrators, not bureau staff)."""
    return bool(getattr(user, "is_authenticated", False) and user.is_superuser)


def visible_region_codes(user) -> list[str] | None:
    """Codes the user may see; None means all; [] means none."""
    if is_unrestricted(user):
        return None
    code = staff_region_code(user)
    if not code:
        return []
    return region_and_descendants(code)


def scope_to_user_region(qs: QuerySet, user, *, field: str = "region") -> QuerySet:
    """Limit ``qs`` to rows whose ``field`` (a Region FK path) is within the user's region."""
    codes = visible_region_codes(user)
    if codes is None:
        return qs
    if not codes:
        return qs.none()
    return qs.filter(**{f"{field}__in": codes})


def user_covers_region(user, code: str | None) -> bool:
    codes = visible_region_codes(user)
    if codes is None:
        return True
    return code is not None and code in codes


def user_covers_all(user, codes: Iterable[str]) -> bool:
    return all(user_covers_region(user, c) for c in codes)
