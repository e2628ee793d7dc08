"""Registry of demo-data seeders, so `manage.py seed_demo` (in merchants) can fill every
app without importing the apps that depend on merchants.

A seeder is ``fn(*, seed: int, merchant_count: int, stdout) -> None``. It must be
deterministic for a given seed, idempotent (re-running adds nothing), and fast
(bulk inserts). Seeders run in ascending ``order``: 10 register, 20 credit facts,
30 complaints, 40 ratings, 50 campaigns, 60 final rating recompute.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class DemoSeeder:
    name: str
    order: int
    fn: Callable


_seeders: dict[str, DemoSeeder] = {}


def register_demo_seeder(name: str, order: int, fn: Callable) -> None:
    _seeders[name] = DemoSeeder(name=name, order=order, fn=fn)


def demo_seeders() -> list[DemoSeeder]:
    return sorted(_seeders.values(), key=lambda s: (s.order, s.name))
