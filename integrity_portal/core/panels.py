"""Registry of the panels on the portal's page for one merchant (/portal/merchants/<id>/).

The page belongs to ``merchants``, but its complaint and campaign panels show what ``complaints`` and
``campaigns`` own; naming them in the page would make the register depend on the apps built on it. Each
app registers its panel in ``AppConfig.ready()``:

``register_merchant_panel(name, template=..., context=fn, order=n)``; ``fn(*, viewer, merchant) -> dict``
returns the panel's own context (it runs only for a member of the merchant, after the view checked the
membership). The page renders the panels in ascending ``order`` (then name), each template with the page's
context plus ``panel`` (what ``fn`` returned).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class MerchantPanel:
    name: str
    template: str
    context: Callable
    order: int


@dataclass(frozen=True)
class RenderedPanel:
    """One panel ready for the page: its template and the data its context function returned."""

    name: str
    template: str
    data: dict


_panels: dict[str, MerchantPanel] = {}


def register_merchant_panel(name: str, *, template: str, context: Callable, order: int) -> None:
    _panels[name] = MerchantPanel(name=name, template=template, context=context, order=order)


def merchant_panels() -> list[MerchantPanel]:
    return sorted(_panels.values(), key=lambda p: (p.order, p.name))


def merchant_panels_for(*, viewer, merchant) -> list[RenderedPanel]:
    """Every registered panel with its data for this viewer and merchant, in page order."""
    return [
        RenderedPanel(name=p.name, template=p.template, data=p.context(viewer=viewer, merchant=merchant))
        for p in merchant_panels()
    ]


# --- the portal home's to-do list ------------------------------------------------------------------
#
# Each app registers in ``AppConfig.ready()`` ``register_portal_todo(name, fn)`` with
# ``fn(*, viewer, today) -> list[PortalTodo]``: what the viewer has to do (or has just received) across the
# businesses they are a member of, read through the app's own selectors (scoped to the viewer).


@dataclass(frozen=True)
class PortalTodo:
    """One line of the to-do list: what (``label``), for which business, where to act, by when."""

    kind: str  # "complaint", "decision", "commitment", "psa"
    label: str
    merchant_name: str
    url: str
    due: object = None  # a date, or None (no deadline: a decision received)
    note: str = ""


_todo_sources: dict[str, Callable] = {}


def register_portal_todo(name: str, fn: Callable) -> None:
    _todo_sources[name] = fn


def portal_todos(*, viewer, today) -> list[PortalTodo]:
    """Every registered source's items for this viewer: dated ones first, earliest deadline first."""
    items = [item for name in sorted(_todo_sources) for item in _todo_sources[name](viewer=viewer, today=today)]
    return sorted(items, key=lambda t: (t.due is None, t.due or today, t.kind, t.merchant_name))
