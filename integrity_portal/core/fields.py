"""Model fields shared by the apps."""

from __future__ import annotations

from django.conf import settings
from django.db import models


def actor_fk(verbose_name, *, blank: bool = True) -> models.ForeignKey:
    """A pointer to the user who did something to the row (recorded, signed, reviewed, decided…).

    The row is a record that must outlive the account, hence ``SET_NULL``; nobody navigates
    from a user to these rows, hence no reverse accessor. ``blank=False`` where a service
    always sets the user and no form offers the field.
    """
    return models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=verbose_name,
        null=True,
        blank=blank,
        on_delete=models.SET_NULL,
        related_name="+",
    )
