"""Registry of rating-fact providers.

The rating engine lives in ``merchants`` but needs facts that ``complaints`` and
``campaigns`` own. Each app registers providers in its ``AppConfig.ready()``;
the engine asks every provider for a per-merchant aggregate and never imports
the other apps. A provider is ``fn(*, as_of, merchant_ids_qs) -> QuerySet`` of
dicts with ``merchant_id`` plus the provider's named columns (see
``merchants.services.rating_policy.FACT_COLUMNS`` for the columns the engine reads).

The provider declares its columns and the public label of each (``labels``, shown
in the rating breakdown), so neither the engine nor the breakdown repeats them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class FactProvider:
    name: str
    columns: tuple[str, ...]
    fn: Callable
    labels: Mapping[str, str] = field(default_factory=dict)


_providers: dict[str, FactProvider] = {}


def register_fact_provider(
    name: str, columns: tuple[str, ...], fn: Callable, *, labels: Mapping[str, str] | None = None
) -> None:
    """``labels``: column → public label (lazy gettext) for the columns a rating breakdown shows."""
    _providers[name] = FactProvider(name=name, columns=tuple(columns), fn=fn, labels=dict(labels or {}))


def fact_providers() -> list[FactProvider]:
    return [_providers[k] for k in sorted(_providers)]


def provider_fact_label(column: str) -> str | None:
    """The label a provider declared for ``column``; None when no registered provider names it."""
    for provider in fact_providers():
        if column in provider.labels:
            return str(provider.labels[column])
    return None
