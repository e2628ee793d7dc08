"""The acting user every service takes (``actor: User | None``; None is the system: beat, a command).

A view may pass ``request.user`` as it is, which for a visitor is ``AnonymousUser``: rows that record
who did something (``created_by``, ``signed_by``…) must then record nobody, hence ``acting_user``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from django.contrib.auth.models import User


def acting_user(actor) -> User | None:
    """The user to store as the one who acted: ``actor`` when signed in, else None."""
    return actor if getattr(actor, "is_authenticated", False) else None
