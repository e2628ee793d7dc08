"""Registry of rating-fact providers.

The rating engine lives in ``merchants`` but needs facts that ``complaints`` and
``campaigns`` own. Each app registers providers in its ``AppConfig.ready()``;
the engine asks every provider for a per-merchant aggregate and never imports
the other apps. A provider is ``fn(*, as_of, merchant_ids_qs) -> QuerySet`` of
dicts with ``merchant_id`` plus the provider's named columns (see
``merchants.rating`` for the columns the active policy reads).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class FactProvider:
    name: str
    columns: tuple[str, ...]
    fn: Callable


_providers: dict[str, FactProvider] = {}


def register_fact_provider(name: str, columns: tuple[str, ...], fn: Callable) -> None:
    _providers[name] = FactProvider(name=name, columns=columns, fn=fn)


def fact_providers() -> list[FactProvider]:
    return [_providers[k] for k in sorted(_providers)]
