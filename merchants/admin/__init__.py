"""Admin registrations: the register (regions, merchants, memberships, staff) and credit facts."""

from . import credit, register  # noqa: F401
