"""Writes to the register and to merchants' credit facts."""

from .register import staff_assign_role  # noqa: F401
