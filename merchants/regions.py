"""The region tree, cached per process: the table is tiny and changes only by staff edits."""

from __future__ import annotations

from functools import lru_cache

from django.db.models.signals import post_delete, post_save


@lru_cache(maxsize=1)
def _tree() -> tuple[dict[str, list[str]], dict[str, str]]:
    from .models import Region

    children: dict[str, list[str]] = {}
    names: dict[str, str] = {}
    for code, parent, name in Region.objects.values_list("code", "parent_id", "name"):
        names[code] = name
        if parent:
            children.setdefault(parent, []).append(code)
    return children, names


def clear_cache(**_kwargs) -> None:
    _tree.cache_clear()


def connect_cache_invalidation() -> None:
    from .models import Region

    post_save.connect(clear_cache, sender=Region, dispatch_uid="region_tree_save")
    post_delete.connect(clear_cache, sender=Region, dispatch_uid="region_tree_delete")


def region_and_descendant_codes(code: str) -> list[str]:
    children, names = _tree()
    if code not in names:
        return []
    out, stack = [], [code]
    while stack:
        current = stack.pop()
        out.append(current)
        stack.extend(children.get(current, ()))
    return sorted(out)


def region_exists(code: str) -> bool:
    return code in _tree()[1]


def region_and_ancestor_codes(code: str) -> list[str]:
    """``code`` and every region above it (district → city → province); [] for an unknown code."""
    children, names = _tree()
    if code not in names:
        return []
    parent_of = {child: parent for parent, kids in children.items() for child in kids}
    out = [code]
    while out[-1] in parent_of and len(out) < 10:
        out.append(parent_of[out[-1]])
    return out


def region_name(code: str) -> str | None:
    """The region's name; None for an unknown code."""
    return _tree()[1].get(code)


def child_regions(code: str) -> list[tuple[str, str]]:
    """``(code, name)`` of the regions directly below ``code``, by code."""
    children, names = _tree()
    return [(c, names[c]) for c in sorted(children.get(code, ()))]
